/* SPDX-License-Identifier: Apache-2.0 */
/* keys.c — API keys: an admin creates keys in its own tenant with a role not above its own; a
 * platform admin bootstraps a customer tenant's first key; an admin revokes a key of its tenant.
 * The token is returned once and only its secret's hash is stored. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "app.h"
#include "audit.h"
#include "common.h"
#include "handlers.h"
#include "spec.h"

struct key_ctx {
    struct tt_api_key k;
    const char *actor;
    const char *actor_tenant;
};

static enum tt_qs create_txn(struct tt_store_conn *c, void *cls)
{
    struct key_ctx *x = cls;
    enum tt_qs qs = tt_store_ops_of(c)->api_key_put(c, &x->k);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    json_t *detail =
        json_pack("{s:s, s:s}", "role", tt_role_name(x->k.role), "tenant", x->k.tenant_id);
    if (!detail)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->k.tenant_id, x->k.created_at, x->actor, "key.create", x->k.id, detail);
    if (qs > 0 && strcmp(x->actor_tenant, x->k.tenant_id) != 0)
        qs = tt_audit_emit(c, x->actor_tenant, x->k.created_at, x->actor, "key.create", x->k.id,
                           detail);
    json_decref(detail);
    return qs < 0 ? qs : TT_QS_ONE;
}

/* Creates a key of tenant_id from the request body {role}. */
static int create_key(struct tt_req *req, struct tt_resp *resp, const char *tenant_id)
{
    const char *role_s = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("role", &role_s, 1),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    enum tt_role role;
    if (tt_role_parse(role_s, &role) < 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "role",
                          "'role' must be readonly, service, support, dpo, admin or owner");
    if (role > req->auth.role)
        return tt_problem(resp, TT_E_FORBIDDEN, "role", "a key cannot grant a role above its own");

    struct key_ctx x = {.actor = req->auth.key_id, .actor_tenant = req->auth.tenant_id};
    tt_id_new("key_", x.k.id);
    tt__api_copy(x.k.tenant_id, sizeof(x.k.tenant_id), tenant_id);
    x.k.role = role;
    x.k.created_at = tt_now(&req->app->clock);

    char secret[TT_API_SECRET_MAX + 1];
    char token[TT_API_TOKEN_MAX];
    tt_random_token(32, secret, sizeof(secret));
    tt_vault_hash_secret(secret, x.k.hash_hex);
    rc = tt_api_token_format(x.k.id, secret, token, sizeof(token));
    sodium_memzero(secret, sizeof(secret));
    if (rc < 0)
        return tt_problem(resp, TT_E_INTERNAL, "", "the token cannot be formatted");

    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_txn(c, create_txn, &x);
    tt_store_release(c);
    if (qs < 0) {
        sodium_memzero(token, sizeof(token));
        return tt__api_store_err(resp, qs);
    }
    json_t *body = json_pack("{s:s, s:s, s:s, s:o, s:s}", "id", x.k.id, "tenant", x.k.tenant_id,
                             "role", tt_role_name(x.k.role), "created_at",
                             tt__api_time(x.k.created_at), "token", token);
    sodium_memzero(token, sizeof(token));
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->cache_control, sizeof(resp->cache_control), "no-store");
    return tt_reply(resp, 201, body);
}

int tt_api_key_create(struct tt_req *req, struct tt_resp *resp)
{
    return create_key(req, resp, req->auth.tenant_id);
}

int tt_api_tenant_key_create(struct tt_req *req, struct tt_resp *resp)
{
    if (req->auth.tenant_kind != TT_TENANT_PLATFORM)
        return tt_problem(resp, TT_E_FORBIDDEN, "", "only a platform admin bootstraps tenants");
    const char *id = tt_req_param(req, "id");
    if (!tt__api_id_ok(id, "ten_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such tenant");
    struct tt_tenant t;
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_ops_of(c)->tenant_get(c, id, &t);
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such tenant");
    return create_key(req, resp, t.id);
}

struct revoke_ctx {
    const char *tenant_id;
    const char *key_id;
    const char *actor;
    tt_time at;
    int found;
};

static enum tt_qs revoke_txn(struct tt_store_conn *c, void *cls)
{
    struct revoke_ctx *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_api_key k;
    x->found = 0;
    enum tt_qs qs = ops->api_key_get(c, x->key_id, &k);
    if (qs < 0)
        return qs;
    /* a key of another tenant is as absent as one that never existed */
    if (qs == TT_QS_NONE || strcmp(k.tenant_id, x->tenant_id) != 0 || k.revoked_at != 0)
        return TT_QS_NONE;
    qs = ops->api_key_revoke(c, x->tenant_id, x->key_id, x->at);
    if (qs <= 0)
        return qs;
    qs = tt_audit_emit(c, x->tenant_id, x->at, x->actor, "key.revoke", x->key_id, NULL);
    if (qs < 0)
        return qs;
    x->found = 1;
    return TT_QS_ONE;
}

int tt_api_key_revoke(struct tt_req *req, struct tt_resp *resp)
{
    const char *id = tt_req_param(req, "id");
    if (!tt__api_id_ok(id, "key_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such key");
    struct revoke_ctx x = {.tenant_id = req->auth.tenant_id,
                           .key_id = id,
                           .actor = req->auth.key_id,
                           .at = tt_now(&req->app->clock)};
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_txn(c, revoke_txn, &x);
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (!x.found)
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such active key in this tenant");
    tt_server_auth_forget(req->app->server, id);
    json_t *body = json_pack("{s:s, s:o}", "id", id, "revoked_at", tt__api_time(x.at));
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 200, body);
}
