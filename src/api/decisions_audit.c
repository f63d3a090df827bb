/* SPDX-License-Identifier: Apache-2.0 */
/* decisions_audit.c — the audit event of a request with denied decisions (decisions_int.h),
 * written through the audit group commit while the answer waits, parked, for its COMMIT: by
 * default one written to the OS, on disk within the store's flush bound (audit_commit.h
 * os_durable); with audit_denials = sync, one on disk. */
#include <stdlib.h>

#include "../core/error.h"
#include "app.h"
#include "audit_commit.h"
#include "common.h"
#include "decisions_int.h"

/* The pending event of one parked request. */
struct parked {
    struct tt_audit_pending ev;
    struct tt_req *req;
};

static void durable(struct tt_audit_pending *ev, int rc)
{
    struct parked *pk = (struct parked *)ev; /* ev is the first member */
    tt_req_resume(pk->req, rc, "the audit trail could not be written");
    free(pk);
}

static json_t *detail_of(const struct tt_decision *d, size_t n, int batch, const char *purpose,
                         const char *policy_version, size_t *denied)
{
    size_t per[TT_REASON__COUNT] = {0};
    *denied = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i].allow)
            continue;
        ++*denied;
        for (int k = 0; k < TT_REASON__COUNT; k++)
            per[k] += (d[i].reasons >> k) & 1u;
    }
    if (!*denied)
        return NULL;
    json_t *reasons = json_object();
    for (int k = 0; reasons && k < TT_REASON__COUNT; k++)
        if (per[k])
            json_object_set_new(reasons, tt_reason_name((enum tt_reason)k),
                                json_integer((json_int_t)per[k]));
    json_t *detail = reasons ? json_pack("{s:I, s:I, s:o, s:s}", "items", (json_int_t)n, "denied",
                                         (json_int_t)*denied, "reasons", reasons, "policy_version",
                                         policy_version)
                             : NULL;
    if (detail && !batch && json_object_set_new(detail, "purpose", json_string(purpose)) < 0) {
        json_decref(detail);
        detail = NULL;
    }
    return detail;
}

int tt__decisions_audit(struct tt_req *req, const struct tt_decision *d, size_t n, int batch,
                        const char *subject_id, const char *purpose, const char *policy_version,
                        tt_time now, struct tt_resp *resp)
{
    size_t denied = 0;
    json_t *detail = detail_of(d, n, batch, purpose, policy_version, &denied);
    if (!denied)
        return 0;
    struct parked *pk = detail ? calloc(1, sizeof *pk) : NULL;
    if (!pk) {
        json_decref(detail);
        return tt__api_nomem(resp);
    }
    tt_audit_pending_set(&pk->ev, req->auth.tenant_id, now, req->auth.key_id,
                         batch ? "decision.batch.denied" : "decision.denied",
                         subject_id ? subject_id : "", detail);
    json_decref(detail);
    pk->req = req;
    pk->ev.done = durable;
    pk->ev.os_durable = !req->app->audit_denials_sync; /* config audit_denials (docs/audit.md) */
    struct tt_store *store = req->app->store;
    if (tt_req_defer(req) == 0 && tt_audit_submit(store, &pk->ev) == 0)
        return TT_HTTP_DEFERRED;                   /* resp is the commit's now */
    int rc = tt_audit_submit_wait(store, &pk->ev); /* no server to park the request in */
    free(pk);
    if (rc < 0)
        return tt_problem(resp, rc, "", "the audit trail could not be written");
    return 0;
}
