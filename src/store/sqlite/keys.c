/* SPDX-License-Identifier: Apache-2.0 */
/* keys.c — per-subject data keys, one per key class (table subject_keys), wrapped by a master
 * key. Crypto-shredding: a key is destroyed by putting it again with destroyed_at set, which
 * drops the wrapped bytes for good (secure_delete zeroes the freed space). */
#include "sq.h"

#include <string.h>

#define KEY_COLS                                                                                   \
    "tenant_id, subject_id, key_class, master_key_id, wrapped, created_at, destroyed_at"

static int fill_key(sqlite3_stmt *st, struct tt_subject_key *k)
{
    memset(k, 0, sizeof *k);
    tt__sq_col_text(st, 0, k->tenant_id, sizeof k->tenant_id);
    tt__sq_col_text(st, 1, k->subject_id, sizeof k->subject_id);
    k->key_class = (enum tt_key_class)sqlite3_column_int64(st, 2);
    tt__sq_col_text(st, 3, k->master_key_id, sizeof k->master_key_id);
    size_t n = (size_t)sqlite3_column_bytes(st, 4);
    if (n > sizeof k->wrapped)
        return -1;
    if (n && tt__sq_col_fixed(st, 4, k->wrapped, n) < 0)
        return -1;
    k->wrapped_len = n;
    k->created_at = sqlite3_column_int64(st, 5);
    k->destroyed_at = sqlite3_column_int64(st, 6);
    return 0;
}

static int key_row(sqlite3_stmt *st, void *ctx)
{
    return fill_key(st, ctx);
}

struct key_each {
    tt_key_cb cb;
    void *cls;
};

static int key_each_row(sqlite3_stmt *st, void *ctx)
{
    struct key_each *e = ctx;
    struct tt_subject_key k;
    if (fill_key(st, &k) < 0)
        return -1;
    int stop = e->cb && e->cb(e->cls, &k);
    memset(k.wrapped, 0, sizeof k.wrapped);
    return stop ? 1 : 0;
}

/* ONE when a key was created, destroyed, or re-wrapped under another master key (rotation);
 * NONE when the subject is missing, a live key with the same master key already exists (the
 * first one stays: data may already be sealed under it), or the key was already destroyed. */
enum tt_qs tt__sq_subject_key_put(struct tt_store_conn *c, const struct tt_subject_key *k)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SQ_KEY_PUT,
        "INSERT INTO subject_keys (" KEY_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (tenant_id, subject_id, key_class) DO UPDATE SET"
        " master_key_id = excluded.master_key_id,"
        " wrapped = CASE WHEN excluded.destroyed_at <> 0 THEN NULL ELSE excluded.wrapped END,"
        " destroyed_at = excluded.destroyed_at"
        " WHERE subject_keys.destroyed_at = 0 AND (excluded.destroyed_at <> 0"
        " OR excluded.master_key_id <> subject_keys.master_key_id)",
        &qs);
    if (!st)
        return qs;
    if (k->wrapped_len > sizeof k->wrapped)
        return TT_QS_HARD;
    if (tt__sq_bind_text(st, 1, k->tenant_id) || tt__sq_bind_text(st, 2, k->subject_id) ||
        tt__sq_bind_int(st, 3, k->key_class) || tt__sq_bind_text(st, 4, k->master_key_id) ||
        tt__sq_bind_blob(st, 5, k->destroyed_at ? NULL : k->wrapped, k->wrapped_len) ||
        tt__sq_bind_int(st, 6, k->created_at) || tt__sq_bind_int(st, 7, k->destroyed_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

enum tt_qs tt__sq_subject_key_get(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, enum tt_key_class cls,
                                  struct tt_subject_key *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SQ_KEY_GET,
                                   "SELECT " KEY_COLS " FROM subject_keys"
                                   " WHERE tenant_id = ? AND subject_id = ? AND key_class = ?",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id) ||
        tt__sq_bind_int(st, 3, cls))
        return tt__sq_bind_failed(q, st);
    struct tt_subject_key k;
    qs = tt__sq_one(q, st, key_row, &k);
    if (qs == TT_QS_ONE)
        *out = k;
    memset(k.wrapped, 0, sizeof k.wrapped);
    return qs;
}

/* Every key of the first `limit` subjects (1..1000) after (after_tenant, after_subject) ("" or
 * NULL: from the start), in (tenant_id, subject_id, key_class) order. Paging by subject keeps
 * all classes of a subject on one page, so the next page starts after the last subject seen.
 * Returns the number of keys seen. */
enum tt_qs tt__sq_subject_key_scan(struct tt_store_conn *c, const char *after_tenant,
                                   const char *after_subject, int limit, tt_key_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SQ_KEY_SCAN,
                    "SELECT " KEY_COLS " FROM subject_keys WHERE (tenant_id, subject_id) IN ("
                    "  SELECT DISTINCT tenant_id, subject_id FROM subject_keys"
                    "  WHERE tenant_id > ?1 OR (tenant_id = ?1 AND subject_id > ?2)"
                    "  ORDER BY tenant_id, subject_id LIMIT ?3)"
                    " ORDER BY tenant_id, subject_id, key_class",
                    &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, after_tenant ? after_tenant : "") ||
        tt__sq_bind_text(st, 2, after_subject ? after_subject : "") ||
        tt__sq_bind_int(st, 3, tt__sq_page_limit(limit)))
        return tt__sq_bind_failed(q, st);
    struct key_each e = {cb, cls};
    return tt__sq_each(q, st, key_each_row, &e);
}
