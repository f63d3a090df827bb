/* SPDX-License-Identifier: Apache-2.0 */
/* tenants.c — S1.4: the platform tenant (controller of its own customers) creates customer
 * tenants, each the controller of its end users. A key sees its own tenant; only a platform
 * admin sees others. Another tenant's id answers 404, never 403, so ids do not leak. */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "app.h"
#include "audit.h"
#include "common.h"
#include "handlers.h"
#include "spec.h"

static const char *kind_name(enum tt_tenant_kind k)
{
    return k == TT_TENANT_PLATFORM ? "platform" : "customer";
}

static json_t *tenant_json(const struct tt_tenant *t)
{
    return json_pack("{s:s, s:s, s:s, s:o}", "id", t->id, "name", t->name, "kind",
                     kind_name(t->kind), "created_at", tt__api_time(t->created_at));
}

static int platform_admin(const struct tt_req *req)
{
    return req->auth.tenant_kind == TT_TENANT_PLATFORM && req->auth.role >= TT_ROLE_ADMIN;
}

/* Display names are not personal data, but they are shown in consoles: printable text only. */
static int name_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    }
    return 1;
}

struct create_ctx {
    struct tt_tenant t;
    const char *actor;
    const char *platform_id;
};

static enum tt_qs create_txn(struct tt_store_conn *c, void *cls)
{
    struct create_ctx *x = cls;
    enum tt_qs qs = tt_store_ops_of(c)->tenant_put(c, &x->t);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    json_t *detail = json_pack("{s:s}", "kind", kind_name(x->t.kind));
    if (!detail)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->platform_id, x->t.created_at, x->actor, "tenant.create", x->t.id,
                       detail);
    if (qs > 0)
        qs =
            tt_audit_emit(c, x->t.id, x->t.created_at, x->actor, "tenant.created", x->t.id, detail);
    json_decref(detail);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_api_tenant_create(struct tt_req *req, struct tt_resp *resp)
{
    if (!platform_admin(req))
        return tt_problem(resp, TT_E_FORBIDDEN, "", "only a platform admin creates tenants");
    const char *name = NULL;
    struct tt_spec spec[] = {
        tt_spec_string_max("name", &name, TT_NAME_MAX - 1, 1),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    if (!name_ok(name))
        return tt_problem(resp, TT_E_BAD_FIELD, "name", "'name' must be printable text");

    struct create_ctx x = {.actor = req->auth.key_id, .platform_id = req->auth.tenant_id};
    tt_id_new("ten_", x.t.id);
    tt__api_copy(x.t.name, sizeof(x.t.name), name);
    x.t.kind = TT_TENANT_CUSTOMER;
    x.t.created_at = tt_now(&req->app->clock);

    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_txn(c, create_txn, &x);
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    json_t *body = tenant_json(&x.t);
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->location, sizeof(resp->location), "/v1/tenants/%s", x.t.id);
    return tt_reply(resp, 201, body);
}

static int reply_tenant(struct tt_req *req, struct tt_resp *resp, const char *id)
{
    struct tt_tenant t;
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_ops_of(c)->tenant_get(c, id, &t);
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such tenant");
    json_t *body = tenant_json(&t);
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 200, body);
}

int tt_api_tenant_get(struct tt_req *req, struct tt_resp *resp)
{
    const char *id = tt_req_param(req, "id");
    if (!tt__api_id_ok(id, "ten_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such tenant");
    if (strcmp(id, req->auth.tenant_id) != 0 && !platform_admin(req))
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such tenant");
    return reply_tenant(req, resp, id);
}

int tt_api_tenant_self(struct tt_req *req, struct tt_resp *resp)
{
    return reply_tenant(req, resp, req->auth.tenant_id);
}
