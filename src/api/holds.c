/* SPDX-License-Identifier: Apache-2.0 */
/* holds.c — legal holds (issue 6, S7.6): a DPO suspends deletion for a tenant, a subject, a
 * service or a data category, with a reason (a case reference) and an optional end. Held rows
 * are never swept; holds are listed in every retention report. Create and release are audited
 * in the same transaction (the audit detail names the scope, never the reason's text). */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../core/vault.h"
#include "../store/retention_store.h"
#include "app.h"
#include "audit.h"
#include "common.h"
#include "handlers_retention.h"
#include "spec.h"

json_t *tt__api_hold_json(const struct tt_hold *h)
{
    return json_pack(
        "{s:s, s:s?, s:s?, s:s?, s:s, s:o, s:o, s:o, s:s, s:b}", "id", h->id, "subject",
        h->subject_id[0] ? h->subject_id : NULL, "service", h->service[0] ? h->service : NULL,
        "data_category", h->data_category[0] ? h->data_category : NULL, "reason", h->reason,
        "until", tt__api_time(h->until), "created_at", tt__api_time(h->created_at), "released_at",
        tt__api_time(h->released_at), "created_by", h->created_by, "active", h->released_at == 0);
}

struct hold_txn {
    const struct tt_hold *h;
    const char *action;
    tt_time at;
    const char *actor;
    int missing;
};

static enum tt_qs hold_write(struct tt_store_conn *c, void *cls)
{
    struct hold_txn *x = cls;
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    enum tt_qs qs = strcmp(x->action, "hold.create") == 0
                        ? rs->hold_put(c, x->h)
                        : rs->hold_release(c, x->h->tenant_id, x->h->id, x->at);
    if (qs <= 0) {
        x->missing = qs == TT_QS_NONE;
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "hold", x->h->id, "subject", x->h->subject_id,
                          "service", x->h->service, "data_category", x->h->data_category);
    if (!d)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->h->tenant_id, x->at, x->actor, x->action, x->h->id, d);
    json_decref(d);
    return qs;
}

int tt_api_hold_create(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    const char *subject = NULL, *service = NULL, *category = NULL, *reason = NULL, *until = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("subject", &subject, 0),
        tt_spec_key("service", &service, 0),
        tt_spec_key("data_category", &category, 0),
        tt_spec_string_max("reason", &reason, TT_HOLD_REASON_MAX - 1, 1),
        tt_spec_string_max("until", &until, 40, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    tt_time now = tt_now(&app->clock);
    struct tt_hold h;
    memset(&h, 0, sizeof h);
    size_t i = 0;
    while (reason[i] == ' ' || reason[i] == '\t')
        i++;
    if (!reason[i]) /* a hold without a reason is refused */
        return tt_problem(resp, TT_E_BAD_FIELD, "reason", "'reason' must not be blank");
    if (until && (tt_time_parse(until, &h.until) < 0 || h.until <= now))
        return tt_problem(resp, TT_E_BAD_FIELD, "until",
                          "'until' must be an RFC 3339 time in the future");
    struct tt_policy_ref *pref = tt_app_policy_acquire(app);
    if (service && !tt_policy_service(pref->policy, service))
        rc = tt_problem(resp, TT_E_UNKNOWN_SERVICE, "service", "'service': not in the policy");
    else if (category && !tt_policy_category(pref->policy, category))
        rc = tt_problem(resp, TT_E_UNKNOWN_CATEGORY, "data_category",
                        "'data_category': not in the policy's taxonomy");
    tt_app_policy_release(pref);
    if (rc < 0)
        return rc;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    if (subject) {
        struct tt_subject s;
        enum tt_qs qs = tt_store_ops_of(c)->subject_get(c, req->auth.tenant_id, subject, &s);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
        else if (qs == TT_QS_NONE || !tt__api_id_ok(subject, "sub_"))
            rc = tt_problem(resp, TT_E_NOT_FOUND, "subject", "no such subject in this tenant");
    }
    if (rc == 0) {
        tt_id_new("hld_", h.id);
        tt__api_copy(h.tenant_id, sizeof h.tenant_id, req->auth.tenant_id);
        tt__api_copy(h.subject_id, sizeof h.subject_id, subject ? subject : "");
        tt__api_copy(h.service, sizeof h.service, service ? service : "");
        tt__api_copy(h.data_category, sizeof h.data_category, category ? category : "");
        tt__api_copy(h.reason, sizeof h.reason, reason);
        tt__api_copy(h.created_by, sizeof h.created_by, req->auth.key_id);
        h.created_at = now;
        struct hold_txn x = {&h, "hold.create", now, req->auth.key_id, 0};
        enum tt_qs qs = tt_store_txn(c, hold_write, &x);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    tt_store_release(c);
    if (rc < 0)
        return rc;
    json_t *body = tt__api_hold_json(&h);
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->location, sizeof resp->location, "/v1/holds/%s", h.id);
    return tt_reply(resp, 201, body);
}

static int list_cb(void *cls, const struct tt_hold *h)
{
    json_t *o = tt__api_hold_json(h);
    return !o || json_array_append_new(cls, o) < 0;
}

int tt_api_hold_list(struct tt_req *req, struct tt_resp *resp)
{
    const char *all = tt_req_query(req, "all");
    if (all && strcmp(all, "true") != 0 && strcmp(all, "false") != 0)
        return tt_problem(resp, TT_E_BAD_PARAM, "all", "'all' must be true or false");
    json_t *items = json_array();
    if (!items)
        return tt__api_nomem(resp);
    tt_time now = tt_now(&req->app->clock);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_ops_of(c)->retention->hold_list(
        c, req->auth.tenant_id, all && strcmp(all, "true") == 0 ? 0 : now, list_cb, items);
    tt_store_release(c);
    if (qs < 0) {
        json_decref(items);
        return tt__api_store_err(resp, qs);
    }
    json_t *body = json_pack("{s:o}", "items", items);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

int tt_api_hold_release(struct tt_req *req, struct tt_resp *resp)
{
    const char *id = tt_req_param(req, "id");
    if (!tt__api_id_ok(id, "hld_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such hold in this tenant");
    tt_time now = tt_now(&req->app->clock);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    struct tt_hold h;
    int rc = 0;
    enum tt_qs qs = tt_store_ops_of(c)->retention->hold_get(c, req->auth.tenant_id, id, &h);
    if (qs < 0)
        rc = tt__api_store_err(resp, qs);
    else if (qs == TT_QS_NONE)
        rc = tt_problem(resp, TT_E_NOT_FOUND, "id", "no such hold in this tenant");
    else if (h.released_at)
        rc = tt_problem(resp, TT_E_CONFLICT, "id", "the hold was released already");
    if (rc == 0) {
        struct hold_txn x = {&h, "hold.release", now, req->auth.key_id, 0};
        qs = tt_store_txn(c, hold_write, &x);
        if (x.missing)
            rc = tt_problem(resp, TT_E_CONFLICT, "id", "the hold was released already");
        else if (qs < 0)
            rc = tt__api_store_err(resp, qs);
        h.released_at = now;
    }
    tt_store_release(c);
    if (rc < 0)
        return rc;
    json_t *body = tt__api_hold_json(&h);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}
