/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_state_api.c — the registry's life cycle over HTTP (S4.3, S5.2; core/rcpt_state.h):
 * POST /v1/recipients/{id}/vet {vetted_at?, passed, notes?}, /approve, /suspend {reason}. DPO
 * role; each change audited with the old and new status. A refused approval names every unmet
 * requirement and changes nothing. */
#include <string.h>

#include "../core/error.h"
#include "common.h"
#include "handlers_recipients.h"
#include "recipients_int.h"
#include "spec.h"

/* Loads the entry of the path, applies the change (op), saves it with its audit event. */
struct change {
    int op; /* 0 vet, 1 approve, 2 suspend */
    int passed;
    const char *notes, *reason;
    tt_time at;
};

static int apply(struct tt_req *req, struct tt_resp *resp, const struct change *ch)
{
    struct tt_app *app = req->app;
    tt_time now = tt_now(&app->clock);
    static const char *const actions[] = {"recipient.vet", "recipient.approve",
                                          "recipient.suspend"};
    struct tt_rcpt r;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    int rc =
        tt__rcpt_find(app, c, req->auth.tenant_id, tt_req_param(req, "id"), "id", now, &r, resp);
    const char *old = rc == 0 ? tt_rcpt_status_name(r.status) : "";
    int was_flagged = rc == 0 && r.flagged_at;
    if (rc == 0 && ch->op == 0) {
        if (tt_rcpt_vet(&r, ch->passed, ch->notes, ch->at ? ch->at : now, now) < 0)
            rc = tt_problem(resp, TT_E_BAD_FIELD, "vetted_at", "'vetted_at' must not be future");
    } else if (rc == 0 && ch->op == 1) {
        struct tt_policy_ref *ref = tt_app_policy_acquire(app);
        struct tt__rcpt_check x = {
            .p = ref->policy, .r = &r, .op = TT__RCPT_OP_APPROVE, .now = now, .resp = resp};
        tt__rcpt_with_adequacy(app, tt__rcpt_check_cb, &x);
        tt_app_policy_release(ref);
        if (x.rc == -TT_E_INVALID_STATE)
            rc = tt_problem(resp, TT_E_INVALID_STATE, "id",
                            r.status == TT_RSTATUS_PROPOSED
                                ? "a recipient is vetted (and passes) before it is approved"
                                : "the recipient is approved already");
        else if (x.rc < 0)
            rc = tt__rcpt_refuse(resp, -x.rc, x.why, "id");
    } else if (rc == 0) {
        int e = tt_rcpt_suspend(&r, ch->reason, now);
        if (e == -TT_E_INVALID_STATE)
            rc = tt_problem(resp, TT_E_INVALID_STATE, "id", "the recipient is suspended already");
        else if (e < 0)
            rc = tt_problem(resp, TT_E_BAD_FIELD, "reason", "'reason' must not be blank");
    }
    if (rc == 0) {
        json_t *d = json_pack("{s:s, s:b}", "from", old, "unflagged", was_flagged && !r.flagged_at);
        if (d && ch->op == 0)
            json_object_set_new(d, "passed", json_boolean(r.vetting_passed));
        rc = d ? tt__rcpt_save(app, c, &r, 0, actions[ch->op], req->auth.key_id, d, resp)
               : tt__api_nomem(resp);
        json_decref(d);
    }
    tt_store_release(c);
    if (rc < 0)
        return rc;
    json_t *body = tt__rcpt_json(&r);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

int tt_api_recipient_vet(struct tt_req *req, struct tt_resp *resp)
{
    const char *at = NULL, *notes = NULL;
    int passed = 0, has_passed = 0;
    struct tt_spec spec[] = {
        tt_spec_bool("passed", &passed, &has_passed, 1),
        tt_spec_string_max("vetted_at", &at, 40, 0),
        tt_spec_string_max("notes", &notes, TT_RCPT_TEXT_MAX - 1, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    struct change ch = {.op = 0, .passed = passed, .notes = notes};
    if (at && (tt_time_parse(at, &ch.at) < 0 || ch.at <= 0))
        return tt_problem(resp, TT_E_BAD_FIELD, "vetted_at",
                          "'vetted_at' must be an RFC 3339 time or a date");
    return apply(req, resp, &ch);
}

int tt_api_recipient_approve(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_spec spec[] = {tt_spec_end()};
    if (req->json) {
        int rc = tt_spec_parse_body(req, spec, resp);
        if (rc < 0)
            return rc;
    }
    struct change ch = {.op = 1};
    return apply(req, resp, &ch);
}

int tt_api_recipient_suspend(struct tt_req *req, struct tt_resp *resp)
{
    const char *reason = NULL;
    struct tt_spec spec[] = {
        tt_spec_string_max("reason", &reason, TT_RCPT_TEXT_MAX - 1, 1),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    struct change ch = {.op = 2, .reason = reason};
    return apply(req, resp, &ch);
}
