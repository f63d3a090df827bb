/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_api.c — the recipient registry over HTTP (issue 7; S4.1-S4.3, S5.1): add an entry
 * (always proposed), list (?status=, ?flagged=), read one, edit fields. Changes need the DPO role,
 * reads any; every change is audited in the transaction that makes it (field names and keys in
 * the detail, never a value of a person). The registry is seeded from the policy on first use
 * (recipients_save.c). */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "common.h"
#include "handlers_recipients.h"
#include "recipients_int.h"

static int reply_rcpt(struct tt_resp *resp, int status, const struct tt_rcpt *r)
{
    json_t *body = tt__rcpt_json(r);
    if (!body)
        return tt__api_nomem(resp);
    if (status == 201)
        snprintf(resp->location, sizeof resp->location, "/v1/recipients/%s", r->id);
    return tt_reply(resp, status, body);
}

/* The names of the members of the request body, as the audit detail's "fields". */
static json_t *field_names(const json_t *body)
{
    json_t *names = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v)
    {
        (void)v;
        json_array_append_new(names, json_string(k));
    }
    return names;
}

int tt_api_recipient_create(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    tt_time now = tt_now(&app->clock);
    if (!json_is_object(req->json))
        return tt_problem(resp, TT_E_BAD_JSON, "", "the body must be a JSON object");
    struct tt_rcpt r;
    memset(&r, 0, sizeof r);
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    struct tt__rcpt_check x = {.p = ref->policy,
                               .r = &r,
                               .body = req->json,
                               .creating = 1,
                               .op = TT__RCPT_OP_PARSE,
                               .now = now,
                               .resp = resp};
    int rc = tt__rcpt_with_adequacy(app, tt__rcpt_check_cb, &x);
    tt_app_policy_release(ref);
    if (rc < 0)
        return rc;
    tt_id_new("rcp_", r.id);
    tt__api_copy(r.tenant_id, sizeof r.tenant_id, req->auth.tenant_id);
    r.status = TT_RSTATUS_PROPOSED; /* a new recipient is vetted and approved after */
    r.created_at = r.updated_at = now;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    rc = tt__rcpt_ensure_seeded(app, c, req->auth.tenant_id, now, resp);
    json_t *d = json_pack("{s:o}", "fields", field_names(req->json));
    if (rc == 0)
        rc = d ? tt__rcpt_save(app, c, &r, 1, "recipient.create", req->auth.key_id, d, resp)
               : tt__api_nomem(resp);
    json_decref(d);
    tt_store_release(c);
    return rc < 0 ? rc : reply_rcpt(resp, 201, &r);
}

struct list_ctx {
    json_t *items;
    int status;  /* -1: any */
    int flagged; /* -1: any */
    int bad;
};

static int list_row(void *cls, const struct tt_rcpt_row *row)
{
    struct list_ctx *l = cls;
    struct tt_rcpt r;
    if (tt__rcpt_from_row(row, &r) != 0) {
        l->bad = 1;
        return 1;
    }
    if ((l->status >= 0 && (int)r.status != l->status) ||
        (l->flagged >= 0 && (r.flagged_at != 0) != l->flagged))
        return 0;
    json_t *o = tt__rcpt_json(&r);
    if (!o || json_array_append_new(l->items, o) < 0)
        l->bad = 1;
    return l->bad;
}

int tt_api_recipient_list(struct tt_req *req, struct tt_resp *resp)
{
    struct list_ctx l = {.status = -1, .flagged = -1};
    const char *status = tt_req_query(req, "status");
    const char *flagged = tt_req_query(req, "flagged");
    enum tt_rcpt_status st;
    if (status && tt_rcpt_status_parse(status, &st) != 0)
        return tt_problem(resp, TT_E_BAD_PARAM, "status",
                          "'status' must be proposed, vetted, approved or suspended");
    if (status)
        l.status = (int)st;
    if (flagged && strcmp(flagged, "true") != 0 && strcmp(flagged, "false") != 0)
        return tt_problem(resp, TT_E_BAD_PARAM, "flagged", "'flagged' must be true or false");
    if (flagged)
        l.flagged = strcmp(flagged, "true") == 0;
    l.items = json_array();
    if (!l.items)
        return tt__api_nomem(resp);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    int rc =
        tt__rcpt_ensure_seeded(req->app, c, req->auth.tenant_id, tt_now(&req->app->clock), resp);
    enum tt_qs qs = TT_QS_ONE;
    if (rc == 0)
        qs = tt_store_ops_of(c)->recipients->rcpt_list(c, req->auth.tenant_id, list_row, &l);
    tt_store_release(c);
    if (rc == 0 && (qs < 0 || l.bad))
        rc = qs < 0 ? tt__api_store_err(resp, qs)
                    : tt_problem(resp, TT_E_STORE, "", "a registry entry could not be read");
    if (rc < 0) {
        json_decref(l.items);
        return rc;
    }
    json_t *body = json_pack("{s:o}", "items", l.items);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

int tt_api_recipient_get(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_rcpt r;
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    int rc = tt__rcpt_find(req->app, c, req->auth.tenant_id, tt_req_param(req, "id"), "id",
                           tt_now(&req->app->clock), &r, resp);
    tt_store_release(c);
    return rc < 0 ? rc : reply_rcpt(resp, 200, &r);
}

int tt_api_recipient_patch(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    tt_time now = tt_now(&app->clock);
    if (!json_is_object(req->json) || json_object_size(req->json) == 0)
        return tt_problem(resp, TT_E_BAD_JSON, "", "the body must be a JSON object of fields");
    struct tt_rcpt before, r;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    int rc = tt__rcpt_find(app, c, req->auth.tenant_id, tt_req_param(req, "id"), "id", now, &before,
                           resp);
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    struct tt__rcpt_check x = {.p = ref->policy,
                               .r = &r,
                               .before = &before,
                               .body = req->json,
                               .op = TT__RCPT_OP_PARSE,
                               .now = now,
                               .resp = resp};
    if (rc == 0) {
        r = before;
        rc = tt__rcpt_with_adequacy(app, tt__rcpt_check_cb, &x);
    }
    if (rc == 0) {
        x.op = TT__RCPT_OP_EDIT;
        if (tt__rcpt_with_adequacy(app, tt__rcpt_check_cb, &x) < 0)
            rc = tt__rcpt_refuse(resp, -x.rc, x.why, "id");
    }
    tt_app_policy_release(ref);
    json_t *d = rc == 0 ? json_pack("{s:o, s:b}", "fields", field_names(req->json), "unflagged",
                                    x.unflagged)
                        : NULL;
    if (rc == 0 && !d)
        rc = tt__api_nomem(resp);
    if (rc == 0) {
        r.updated_at = now;
        rc = tt__rcpt_save(app, c, &r, 0, "recipient.update", req->auth.key_id, d, resp);
    }
    json_decref(d);
    tt_store_release(c);
    return rc < 0 ? rc : reply_rcpt(resp, 200, &r);
}
