/* SPDX-License-Identifier: Apache-2.0 */
/* tenants.c — tenants and their API keys (tables tenants, api_keys). A key is looked up by its
 * globally unique id (the public half of the token); the secret half is only ever a hash. */
#include "sq.h"

#include <string.h>

#define TENANT_COLS "tenant_id, name, kind, created_at"
#define KEY_COLS "tenant_id, key_id, role, hash, created_at, revoked_at"

static void fill_tenant(sqlite3_stmt *st, struct tt_tenant *t)
{
    memset(t, 0, sizeof *t);
    tt__sq_col_text(st, 0, t->id, sizeof t->id);
    tt__sq_col_text(st, 1, t->name, sizeof t->name);
    t->kind = (enum tt_tenant_kind)sqlite3_column_int64(st, 2);
    t->created_at = sqlite3_column_int64(st, 3);
}

static int tenant_row(sqlite3_stmt *st, void *ctx)
{
    fill_tenant(st, ctx);
    return 0;
}

struct tenant_each {
    tt_tenant_cb cb;
    void *cls;
};

static int tenant_each_row(sqlite3_stmt *st, void *ctx)
{
    struct tenant_each *e = ctx;
    struct tt_tenant t;
    fill_tenant(st, &t);
    return e->cb && e->cb(e->cls, &t) ? 1 : 0;
}

enum tt_qs tt__sq_tenant_put(struct tt_store_conn *c, const struct tt_tenant *t)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SQ_TENANT_PUT, "INSERT INTO tenants (" TENANT_COLS ") VALUES (?, ?, ?, ?)", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, t->id) || tt__sq_bind_text(st, 2, t->name) ||
        tt__sq_bind_int(st, 3, t->kind) || tt__sq_bind_int(st, 4, t->created_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

enum tt_qs tt__sq_tenant_get(struct tt_store_conn *c, const char *id, struct tt_tenant *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SQ_TENANT_GET,
                                   "SELECT " TENANT_COLS " FROM tenants WHERE tenant_id = ?", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, id))
        return tt__sq_bind_failed(q, st);
    struct tt_tenant t;
    qs = tt__sq_one(q, st, tenant_row, &t);
    if (qs == TT_QS_ONE)
        *out = t;
    return qs;
}

enum tt_qs tt__sq_tenant_list(struct tt_store_conn *c, tt_tenant_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SQ_TENANT_LIST,
                                   "SELECT " TENANT_COLS " FROM tenants ORDER BY tenant_id", &qs);
    if (!st)
        return qs;
    struct tenant_each e = {cb, cls};
    return tt__sq_each(q, st, tenant_each_row, &e);
}

static void fill_key(sqlite3_stmt *st, struct tt_api_key *k)
{
    memset(k, 0, sizeof *k);
    tt__sq_col_text(st, 0, k->tenant_id, sizeof k->tenant_id);
    tt__sq_col_text(st, 1, k->id, sizeof k->id);
    k->role = (enum tt_role)sqlite3_column_int64(st, 2);
    tt__sq_col_text(st, 3, k->hash_hex, sizeof k->hash_hex);
    k->created_at = sqlite3_column_int64(st, 4);
    k->revoked_at = sqlite3_column_int64(st, 5);
}

static int key_row(sqlite3_stmt *st, void *ctx)
{
    fill_key(st, ctx);
    return 0;
}

enum tt_qs tt__sq_api_key_put(struct tt_store_conn *c, const struct tt_api_key *k)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SQ_API_KEY_PUT, "INSERT INTO api_keys (" KEY_COLS ") VALUES (?, ?, ?, ?, ?, ?)", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, k->tenant_id) || tt__sq_bind_text(st, 2, k->id) ||
        tt__sq_bind_int(st, 3, k->role) || tt__sq_bind_text(st, 4, k->hash_hex) ||
        tt__sq_bind_int(st, 5, k->created_at) || tt__sq_bind_int(st, 6, k->revoked_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

enum tt_qs tt__sq_api_key_get(struct tt_store_conn *c, const char *id, struct tt_api_key *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SQ_API_KEY_GET, "SELECT " KEY_COLS " FROM api_keys WHERE key_id = ?", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, id))
        return tt__sq_bind_failed(q, st);
    struct tt_api_key k;
    qs = tt__sq_one(q, st, key_row, &k);
    if (qs == TT_QS_ONE)
        *out = k;
    return qs;
}

/* ONE when an active key of that tenant was revoked; NONE when there is no such key or it was
 * already revoked (the first revocation time stands). */
enum tt_qs tt__sq_api_key_revoke(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                 tt_time at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SQ_API_KEY_REVOKE,
                                   "UPDATE api_keys SET revoked_at = ?"
                                   " WHERE tenant_id = ? AND key_id = ? AND revoked_at = 0",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_int(st, 1, at) || tt__sq_bind_text(st, 2, tenant_id) ||
        tt__sq_bind_text(st, 3, id))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}
