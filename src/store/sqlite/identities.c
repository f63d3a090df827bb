/* SPDX-License-Identifier: Apache-2.0 */
/* identities.c — a subject's identifiers (table identities), found only through the blind
 * index (tenant, type, keyed hash); the value itself is stored sealed in value_enc. */
#include "sq.h"

#include <string.h>

#define IDENTITY_COLS "tenant_id, identity_id, subject_id, type, blind, created_at, value_enc"

/* value_enc points into the row: valid until the statement steps on or is reset */
static void fill_identity(sqlite3_stmt *st, struct tt_identity *i, int with_value)
{
    memset(i, 0, sizeof *i);
    tt__sq_col_text(st, 0, i->tenant_id, sizeof i->tenant_id);
    tt__sq_col_text(st, 1, i->id, sizeof i->id);
    tt__sq_col_text(st, 2, i->subject_id, sizeof i->subject_id);
    i->type = (enum tt_identity_type)sqlite3_column_int64(st, 3);
    tt__sq_col_text(st, 4, i->blind_hex, sizeof i->blind_hex);
    i->created_at = sqlite3_column_int64(st, 5);
    if (with_value) {
        i->value_enc = sqlite3_column_blob(st, 6);
        i->value_enc_len = i->value_enc ? (size_t)sqlite3_column_bytes(st, 6) : 0;
    }
}

static int identity_row(sqlite3_stmt *st, void *ctx)
{
    fill_identity(st, ctx, 0);
    return 0;
}

struct identity_each {
    tt_identity_cb cb;
    void *cls;
};

static int identity_each_row(sqlite3_stmt *st, void *ctx)
{
    struct identity_each *e = ctx;
    struct tt_identity i;
    fill_identity(st, &i, 1);
    return e->cb && e->cb(e->cls, &i) ? 1 : 0;
}

enum tt_qs tt__sq_identity_put(struct tt_store_conn *c, const struct tt_identity *i)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SQ_IDENTITY_PUT,
                    "INSERT INTO identities (" IDENTITY_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?)", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, i->tenant_id) || tt__sq_bind_text(st, 2, i->id) ||
        tt__sq_bind_text(st, 3, i->subject_id) || tt__sq_bind_int(st, 4, i->type) ||
        tt__sq_bind_text(st, 5, i->blind_hex) || tt__sq_bind_int(st, 6, i->created_at) ||
        tt__sq_bind_blob(st, 7, i->value_enc, i->value_enc_len))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

enum tt_qs tt__sq_identity_find(struct tt_store_conn *c, const char *tenant_id,
                                enum tt_identity_type type, const char *blind_hex,
                                struct tt_identity *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SQ_IDENTITY_FIND,
                                   "SELECT " IDENTITY_COLS " FROM identities"
                                   " WHERE tenant_id = ? AND type = ? AND blind = ?",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, type) ||
        tt__sq_bind_text(st, 3, blind_hex))
        return tt__sq_bind_failed(q, st);
    struct tt_identity i;
    qs = tt__sq_one(q, st, identity_row, &i);
    if (qs == TT_QS_ONE)
        *out = i;
    return qs;
}

enum tt_qs tt__sq_identity_list(struct tt_store_conn *c, const char *tenant_id,
                                const char *subject_id, tt_identity_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SQ_IDENTITY_LIST,
                                   "SELECT " IDENTITY_COLS " FROM identities"
                                   " WHERE tenant_id = ? AND subject_id = ?"
                                   " ORDER BY identity_id",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id))
        return tt__sq_bind_failed(q, st);
    struct identity_each e = {cb, cls};
    return tt__sq_each(q, st, identity_each_row, &e);
}

/* Every identity of every tenant in (tenant_id, identity_id) order, streamed row by row. */
enum tt_qs tt__sq_identity_scan(struct tt_store_conn *c, tt_identity_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SQ_IDENTITY_SCAN,
        "SELECT " IDENTITY_COLS " FROM identities ORDER BY tenant_id, identity_id", &qs);
    if (!st)
        return qs;
    struct identity_each e = {cb, cls};
    return tt__sq_each(q, st, identity_each_row, &e);
}
