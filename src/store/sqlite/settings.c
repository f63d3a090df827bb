/* SPDX-License-Identifier: Apache-2.0 */
/* settings.c — key-value settings (table settings): master key id, first-start marker, … */
#include "sq.h"

#include <string.h>

struct setting_out {
    char *buf;
    size_t size;
};

static int setting_row(sqlite3_stmt *st, void *ctx)
{
    struct setting_out *o = ctx;
    const unsigned char *v = sqlite3_column_text(st, 0);
    size_t n = v ? (size_t)sqlite3_column_bytes(st, 0) : 0;
    if (n >= o->size)
        return -1;
    if (n)
        memcpy(o->buf, v, n);
    o->buf[n] = '\0';
    return 0;
}

/* ONE with the value in out; NONE when unset; HARD (out untouched) when it does not fit. */
enum tt_qs tt__sq_setting_get(struct tt_store_conn *c, const char *key, char *out, size_t out_size)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    if (!out || out_size == 0)
        return TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SQ_SETTING_GET, "SELECT value FROM settings WHERE key = ?", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, key))
        return tt__sq_bind_failed(q, st);
    /* setting_row writes out only once it knows the value fits: the only way to ONE */
    struct setting_out o = {out, out_size};
    return tt__sq_one(q, st, setting_row, &o);
}

enum tt_qs tt__sq_setting_put(struct tt_store_conn *c, const char *key, const char *value)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SQ_SETTING_PUT,
                                   "INSERT INTO settings (key, value) VALUES (?, ?)"
                                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, key) || tt__sq_bind_text(st, 2, value))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}
