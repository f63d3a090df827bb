/* SPDX-License-Identifier: Apache-2.0 */
/* pg_tenants.c — tenants, their API keys and the key-value settings on PostgreSQL (tables
 * tenants, api_keys, settings). A key is looked up by its globally unique id (the public half of
 * the token); the secret half is only ever a hash. Inserts never raise a constraint error: a
 * duplicate or a missing parent answers NONE and leaves the surrounding transaction usable. */
#include "pg_internal.h"

#include <string.h>

#define TENANT_COLS "tenant_id, name, kind, created_at"
#define KEY_COLS "tenant_id, key_id, role, hash, created_at, revoked_at"

static const struct pg_stmt ST_TENANT_PUT = {
    PG_TENANT_PUT, "tt_tenant_put", "ttii",
    "INSERT INTO tenants (" TENANT_COLS ") VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", NULL};
static const struct pg_stmt ST_TENANT_GET = {
    PG_TENANT_GET, "tt_tenant_get", "t", "SELECT " TENANT_COLS " FROM tenants WHERE tenant_id = $1",
    NULL};
static const struct pg_stmt ST_TENANT_LIST = {
    PG_TENANT_LIST, "tt_tenant_list", "", "SELECT " TENANT_COLS " FROM tenants ORDER BY tenant_id",
    NULL};
static const struct pg_stmt ST_KEY_PUT = {
    PG_API_KEY_PUT, "tt_api_key_put", "ttitii",
    "INSERT INTO api_keys (" KEY_COLS ") SELECT $1, $2, $3, $4, $5, $6"
    " WHERE EXISTS (SELECT 1 FROM tenants WHERE tenant_id = $1) ON CONFLICT DO NOTHING",
    NULL};
static const struct pg_stmt ST_KEY_GET = {PG_API_KEY_GET, "tt_api_key_get", "t",
                                          "SELECT " KEY_COLS " FROM api_keys WHERE key_id = $1",
                                          NULL};
static const struct pg_stmt ST_KEY_REVOKE = {
    PG_API_KEY_REVOKE, "tt_api_key_revoke", "tti",
    "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND key_id = $2 AND revoked_at = 0",
    NULL};
static const struct pg_stmt ST_SETTING_GET = {PG_SETTING_GET, "tt_setting_get", "t",
                                              "SELECT value FROM settings WHERE key = $1", NULL};
static const struct pg_stmt ST_SETTING_PUT = {
    PG_SETTING_PUT, "tt_setting_put", "tt",
    "INSERT INTO settings (key, value) VALUES ($1, $2)"
    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
    NULL};

static int fill_tenant(const PGresult *r, int row, struct tt_tenant *t)
{
    memset(t, 0, sizeof *t);
    if (tt__pg_text(r, row, 0, t->id, sizeof t->id) < 0 ||
        tt__pg_text(r, row, 1, t->name, sizeof t->name) < 0)
        return -1;
    t->kind = (enum tt_tenant_kind)tt__pg_int(r, row, 2);
    t->created_at = tt__pg_int(r, row, 3);
    return 0;
}

struct tenant_each {
    tt_tenant_cb cb;
    void *cls;
};

static int tenant_each_row(void *cls, const PGresult *r, int row)
{
    struct tenant_each *e = cls;
    struct tt_tenant t;
    if (fill_tenant(r, row, &t) < 0)
        return -1;
    return e->cb && e->cb(e->cls, &t) ? 1 : 0;
}

enum tt_qs tt__pg_tenant_put(struct tt_store_conn *c, const struct tt_tenant *t)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, t->id);
    tt__pg_arg_text(&a, t->name);
    tt__pg_arg_int(&a, t->kind);
    tt__pg_arg_int(&a, t->created_at);
    return tt__pg_exec_one(pg_conn_of(c), &ST_TENANT_PUT, &a);
}

enum tt_qs tt__pg_tenant_get(struct tt_store_conn *c, const char *id, struct tt_tenant *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, id);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(pg_conn_of(c), &ST_TENANT_GET, &a, &r);
    if (qs < 0)
        return qs;
    struct tt_tenant t;
    qs = TT_QS_NONE;
    if (PQntuples(r) > 0)
        qs = fill_tenant(r, 0, &t) < 0 ? TT_QS_HARD : TT_QS_ONE;
    PQclear(r);
    if (qs == TT_QS_ONE)
        *out = t;
    return qs;
}

enum tt_qs tt__pg_tenant_list(struct tt_store_conn *c, tt_tenant_cb cb, void *cls)
{
    struct tenant_each e = {cb, cls};
    return tt__pg_each(pg_conn_of(c), &ST_TENANT_LIST, NULL, tenant_each_row, &e);
}

static int fill_key(const PGresult *r, int row, struct tt_api_key *k)
{
    memset(k, 0, sizeof *k);
    if (tt__pg_text(r, row, 0, k->tenant_id, sizeof k->tenant_id) < 0 ||
        tt__pg_text(r, row, 1, k->id, sizeof k->id) < 0 ||
        tt__pg_text(r, row, 3, k->hash_hex, sizeof k->hash_hex) < 0)
        return -1;
    k->role = (enum tt_role)tt__pg_int(r, row, 2);
    k->created_at = tt__pg_int(r, row, 4);
    k->revoked_at = tt__pg_int(r, row, 5);
    return 0;
}

/* NONE when the key id exists already or the tenant does not. */
enum tt_qs tt__pg_api_key_put(struct tt_store_conn *c, const struct tt_api_key *k)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, k->tenant_id);
    tt__pg_arg_text(&a, k->id);
    tt__pg_arg_int(&a, k->role);
    tt__pg_arg_text(&a, k->hash_hex);
    tt__pg_arg_int(&a, k->created_at);
    tt__pg_arg_int(&a, k->revoked_at);
    return tt__pg_exec_one(pg_conn_of(c), &ST_KEY_PUT, &a);
}

enum tt_qs tt__pg_api_key_get(struct tt_store_conn *c, const char *id, struct tt_api_key *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, id);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(pg_conn_of(c), &ST_KEY_GET, &a, &r);
    if (qs < 0)
        return qs;
    struct tt_api_key k;
    qs = TT_QS_NONE;
    if (PQntuples(r) > 0)
        qs = fill_key(r, 0, &k) < 0 ? TT_QS_HARD : TT_QS_ONE;
    PQclear(r);
    if (qs == TT_QS_ONE)
        *out = k;
    return qs;
}

/* ONE when an active key of that tenant was revoked; NONE when there is no such key or it was
 * already revoked (the first revocation time stands). */
enum tt_qs tt__pg_api_key_revoke(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                 tt_time at)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id);
    tt__pg_arg_int(&a, at);
    return tt__pg_exec_one(pg_conn_of(c), &ST_KEY_REVOKE, &a);
}

/* ONE with the value copied into out; NONE if unset; HARD if out is too small for it. */
enum tt_qs tt__pg_setting_get(struct tt_store_conn *c, const char *key, char *out, size_t out_size)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, key);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(pg_conn_of(c), &ST_SETTING_GET, &a, &r);
    if (qs < 0)
        return qs;
    qs = TT_QS_NONE;
    if (PQntuples(r) > 0) {
        size_t len = (size_t)PQgetlength(r, 0, 0);
        qs = TT_QS_HARD;
        if (out && len < out_size) {
            memcpy(out, PQgetvalue(r, 0, 0), len);
            out[len] = '\0';
            qs = TT_QS_ONE;
        }
    }
    PQclear(r);
    return qs;
}

/* Insert or replace: ONE. */
enum tt_qs tt__pg_setting_put(struct tt_store_conn *c, const char *key, const char *value)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, key);
    tt__pg_arg_text(&a, value);
    enum tt_qs qs = tt__pg_exec_one(pg_conn_of(c), &ST_SETTING_PUT, &a);
    return qs == TT_QS_NONE ? TT_QS_HARD : qs;
}
