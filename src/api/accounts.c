/* SPDX-License-Identifier: Apache-2.0 */
/* accounts.c — accounts of a tenant (S6.1, issue 8): an admin creates one with a role not above
 * its own, lists them, changes a role or disables/enables one (its sessions end at once); a
 * signed-in account reads itself. Every change audited in the same transaction. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "accounts_int.h"
#include "audit.h"
#include "common.h"
#include "handlers.h"
#include "spec.h"

int tt_api_account_create(struct tt_req *req, struct tt_resp *resp)
{
    const char *email = NULL, *password = NULL, *role_s = NULL, *tenant = NULL;
    struct tt_spec spec[] = {
        tt_spec_string_max("email", &email, TT_ACCOUNT_EMAIL_MAX, 1),
        tt_spec_string_max("password", &password, TT_PASSWORD_MAX, 1),
        tt_spec_key("role", &role_s, 1),
        tt_spec_key("tenant", &tenant, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    enum tt_role role;
    if (tt_role_parse(role_s, &role) < 0 || role == TT_ROLE_SERVICE)
        return tt_problem(resp, TT_E_BAD_FIELD, "role",
                          "'role' must be readonly, support, dpo, admin or owner");
    if (role > req->auth.role)
        return tt_problem(resp, TT_E_FORBIDDEN, "role",
                          "an account cannot be given a role above the caller's");
    const char *tenant_id = req->auth.tenant_id;
    if (tenant && strcmp(tenant, tenant_id) != 0) {
        if (req->auth.tenant_kind != TT_TENANT_PLATFORM)
            return tt_problem(resp, TT_E_NOT_FOUND, "tenant", "no such tenant");
        tenant_id = tenant;
    }
    struct tt_account a;
    const char *field = "", *detail = "";
    rc = tt__acc_create(req->app->store, req->app->master, tenant_id, email, password,
                        strlen(password), role, req->auth.key_id, tt_now(&req->app->clock), &a,
                        &field, &detail);
    if (rc < 0)
        return tt_problem(resp, -rc, field, "%s", detail);
    json_t *body = tt__acc_account_json(req->app->master, &a);
    if (body)
        json_object_set_new(body, "tenant", json_string(a.tenant_id));
    snprintf(resp->location, sizeof resp->location, "/v1/accounts/%s", a.id);
    sodium_memzero(&a, sizeof a);
    return body ? tt_reply(resp, 201, body) : tt__api_nomem(resp);
}

struct list_ctx {
    struct tt_app *app;
    json_t *items;
    char last[TT_ID_MAX];
};

static int list_row(void *cls, const struct tt_account *a)
{
    struct list_ctx *l = cls;
    json_t *j = tt__acc_account_json(l->app->master, a);
    snprintf(l->last, sizeof l->last, "%s", a->id);
    return j ? json_array_append_new(l->items, j) : 1;
}

int tt_api_account_list(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_page page;
    int rc = tt__api_page(req, &page, resp);
    if (rc < 0)
        return rc;
    struct list_ctx l = {req->app, json_array(), ""};
    if (!l.items)
        return tt__api_nomem(resp);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs = ao ? ao->account_list(c, req->auth.tenant_id, &page, list_row, &l) : TT_QS_SOFT;
    tt_store_release(c);
    if (qs < 0) {
        json_decref(l.items);
        return tt__api_store_err(resp, qs);
    }
    json_t *body = json_pack("{s:o, s:o}", "items", l.items, "next",
                             (int)qs == page.limit ? json_string(l.last) : json_null());
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

static int load(struct tt_req *req, struct tt_resp *resp, const char *id, struct tt_account *a)
{
    if (!tt__api_id_ok(id, "acc_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such account");
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs = ao ? ao->account_get(c, req->auth.tenant_id, id, a) : TT_QS_SOFT;
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such account in this tenant");
    return 0;
}

int tt_api_account_get(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_account a;
    int rc = load(req, resp, tt_req_param(req, "id"), &a);
    if (rc < 0)
        return rc;
    json_t *body = tt__acc_account_json(req->app->master, &a);
    sodium_memzero(&a, sizeof a);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

int tt_api_account_me(struct tt_req *req, struct tt_resp *resp)
{
    if (strncmp(req->auth.key_id, "acc_", 4) != 0)
        return tt_problem(resp, TT_E_NOT_FOUND, "tt_session",
                          "this request was not made by an account");
    struct tt_account a;
    int rc = load(req, resp, req->auth.key_id, &a);
    if (rc < 0)
        return rc;
    json_t *body = tt__acc_account_json(req->app->master, &a);
    sodium_memzero(&a, sizeof a);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

struct patch {
    struct tt_account a;
    const char *actor;
    json_t *detail;
    int revoked;
};

static enum tt_qs patch_txn(struct tt_store_conn *c, void *cls)
{
    struct patch *x = cls;
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs = ao->account_update(c, &x->a);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    x->revoked = 0;
    if (x->a.status != TT_ACCOUNT_ACTIVE) {
        qs = ao->session_revoke_account(c, x->a.tenant_id, x->a.id, x->a.updated_at);
        if (qs < 0)
            return qs;
        x->revoked = (int)qs;
    }
    json_object_set_new(x->detail, "sessions_revoked", json_integer(x->revoked));
    qs = tt_audit_emit(c, x->a.tenant_id, x->a.updated_at, x->actor, "account.update", x->a.id,
                       x->detail);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_api_account_update(struct tt_req *req, struct tt_resp *resp)
{
    const char *role_s = NULL, *status_s = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("role", &role_s, 0),
        tt_spec_key("status", &status_s, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    if (!role_s && !status_s)
        return tt_problem(resp, TT_E_MISSING_FIELD, "role", "give 'role' or 'status'");
    enum tt_role role = TT_ROLE_READONLY;
    if (role_s && (tt_role_parse(role_s, &role) < 0 || role == TT_ROLE_SERVICE))
        return tt_problem(resp, TT_E_BAD_FIELD, "role",
                          "'role' must be readonly, support, dpo, admin or owner");
    if (role_s && role > req->auth.role)
        return tt_problem(resp, TT_E_FORBIDDEN, "role",
                          "an account cannot be given a role above the caller's");
    enum tt_account_status status = TT_ACCOUNT_ACTIVE;
    if (status_s && strcmp(status_s, "disabled") == 0)
        status = TT_ACCOUNT_DISABLED;
    else if (status_s && strcmp(status_s, "active") != 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "status", "'status' must be active or disabled");
    const char *id = tt_req_param(req, "id");
    if (status_s && strcmp(id, req->auth.key_id) == 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "status", "an account cannot disable itself");
    struct patch x = {.actor = req->auth.key_id};
    rc = load(req, resp, id, &x.a);
    if (rc < 0)
        return rc;
    if (x.a.role > req->auth.role) {
        sodium_memzero(&x.a, sizeof x.a);
        return tt_problem(resp, TT_E_FORBIDDEN, "id",
                          "an account with a role above the caller's cannot be changed");
    }
    x.detail = json_object();
    if (!x.detail)
        return tt__api_nomem(resp);
    if (role_s) {
        json_object_set_new(x.detail, "role_from", json_string(tt_role_name(x.a.role)));
        json_object_set_new(x.detail, "role", json_string(role_s));
        x.a.role = role;
    }
    if (status_s) {
        json_object_set_new(x.detail, "status", json_string(status_s));
        x.a.status = status;
    }
    x.a.updated_at = tt_now(&req->app->clock);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_txn(c, patch_txn, &x);
    tt_store_release(c);
    json_decref(x.detail);
    if (qs < 0) {
        sodium_memzero(&x.a, sizeof x.a);
        return tt__api_store_err(resp, qs);
    }
    json_t *body = tt__acc_account_json(req->app->master, &x.a);
    sodium_memzero(&x.a, sizeof x.a);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}
