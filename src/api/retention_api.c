/* SPDX-License-Identifier: Apache-2.0 */
/* retention_api.c — retention over HTTP (issue 6): GET /v1/retention/upcoming?days=30 (records
 * due per day and service, with the active holds, for the console chart), and
 * POST /v1/subjects/{id}/contract-end (S7.2, S7.3: the contract ended; the ends anchored on it
 * are recomputed in the same transaction, audited with counts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../jobs/feed.h"
#include "../core/error.h"
#include "../jobs/sweep.h"
#include "../store/retention_store.h"
#include "app.h"
#include "audit.h"
#include "common.h"
#include "handlers_retention.h"
#include "hooks.h"
#include "spec.h"

#define DAY 86400
#define UPCOMING_DAYS_MAX 366

struct due_ctx {
    json_t *days; /* array indexed by day offset */
    int64_t first_day;
    int failed;
};

static int due_cb(void *cls, int64_t day, const char *service, int64_t rows)
{
    struct due_ctx *x = cls;
    json_t *d = json_array_get(x->days, (size_t)(day - x->first_day));
    if (!d)
        return 0;
    json_t *svc = json_object_get(d, "services");
    json_t *total = json_object_get(d, "total");
    if (json_object_set_new(svc, service, json_integer(rows)) < 0 ||
        json_integer_set(total, json_integer_value(total) + rows) < 0) {
        x->failed = 1;
        return 1;
    }
    return 0;
}

static int hold_cb(void *cls, const struct tt_hold *h)
{
    json_t *o = tt__api_hold_json(h);
    return !o || json_array_append_new(cls, o) < 0;
}

int tt_api_retention_upcoming(struct tt_req *req, struct tt_resp *resp)
{
    long days = 30;
    const char *q = tt_req_query(req, "days");
    if (q) {
        char *end = NULL;
        days = strtol(q, &end, 10);
        if (!q[0] || *end || days < 1 || days > UPCOMING_DAYS_MAX)
            return tt_problem(resp, TT_E_BAD_PARAM, "days", "'days' must be 1 to %d",
                              UPCOMING_DAYS_MAX);
    }
    tt_time now = tt_now(&req->app->clock);
    int64_t first = now / DAY;
    struct due_ctx x = {.days = json_array(), .first_day = first};
    json_t *holds = json_array();
    for (long i = 0; x.days && i < days; i++) {
        char date[32];
        tt_time_format((first + i) * DAY, date, sizeof date);
        date[10] = '\0';
        json_t *d = json_pack("{s:s, s:I, s:{}}", "date", date, "total", (json_int_t)0, "services");
        if (!d || json_array_append_new(x.days, d) < 0)
            x.failed = 1;
    }
    if (!x.days || !holds || x.failed) {
        json_decref(x.days);
        json_decref(holds);
        return tt__api_nomem(resp);
    }
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    enum tt_qs qs =
        rs->due_per_day(c, req->auth.tenant_id, first * DAY, (first + days) * DAY, due_cb, &x);
    if (qs >= 0)
        qs = rs->hold_list(c, req->auth.tenant_id, now, hold_cb, holds);
    tt_store_release(c);
    if (qs < 0 || x.failed) {
        json_decref(x.days);
        json_decref(holds);
        return qs < 0 ? tt__api_store_err(resp, qs) : tt__api_nomem(resp);
    }
    json_t *body = json_pack("{s:o, s:I, s:o, s:o}", "from", tt__api_time(first * DAY),
                             "days_ahead", (json_int_t)days, "days", x.days, "holds", holds);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

struct end_txn {
    const struct tt_policy *p;
    struct tt_subject s; /* as re-read inside */
    const char *id;
    const char *tenant_id;
    tt_time ended_at, now;
    const char *actor;
    int64_t changed;
    int gone;
};

static enum tt_qs end_write(struct tt_store_conn *c, void *cls)
{
    struct end_txn *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    x->changed = 0;
    enum tt_qs qs = ops->subject_get(c, x->tenant_id, x->id, &x->s);
    if (qs <= 0 || x->s.erased_at) {
        x->gone = qs == TT_QS_NONE || x->s.erased_at;
        return qs < 0 ? qs : TT_QS_HARD;
    }
    x->s.contract_active = 0;
    x->s.contract_ended_at = x->ended_at;
    x->s.updated_at = x->now;
    qs = ops->subject_update(c, &x->s);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    qs = tt_feed_append(c, x->tenant_id, TT_FEED_SUBJECT, x->id); /* other nodes (issue 9) */
    if (qs < 0)
        return qs;
    qs = tt_retention_recompute_subject(c, x->p, x->tenant_id, x->id, &x->changed);
    if (qs < 0)
        return qs;
    qs = ops->retention->subject_horizon(c, x->tenant_id, x->id, x->now);
    if (qs < 0)
        return qs;
    qs = ops->subject_get(c, x->tenant_id, x->id, &x->s);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    char at[32];
    json_t *d = json_pack("{s:s, s:I}", "ended_at", tt_time_format(x->ended_at, at, sizeof at),
                          "records_recomputed", (json_int_t)x->changed);
    if (!d)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->tenant_id, x->now, x->actor, "subject.contract_end", x->id, d);
    json_decref(d);
    return qs;
}

int tt_api_contract_end(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    const char *ended = NULL;
    struct tt_spec spec[] = {tt_spec_string_max("ended_at", &ended, 40, 0), tt_spec_end()};
    int rc = req->json ? tt_spec_parse(req->json, spec, "", resp) : 0;
    if (rc < 0)
        return rc;
    tt_time now = tt_now(&app->clock);
    tt_time at = now;
    if (ended && (tt_time_parse(ended, &at) < 0 || at <= 0 || at > now + TT_CLOCK_SKEW_S))
        return tt_problem(resp, TT_E_BAD_FIELD, "ended_at",
                          "'ended_at' must be an RFC 3339 time, not in the future");
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_subject s;
    rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, resp);
    struct tt_policy_ref *pref = tt_app_policy_acquire(app);
    struct end_txn x = {.p = pref->policy,
                        .id = s.id,
                        .tenant_id = req->auth.tenant_id,
                        .ended_at = at,
                        .now = now,
                        .actor = req->auth.key_id};
    if (rc == 0) {
        enum tt_qs qs = tt_store_txn(c, end_write, &x);
        if (x.gone)
            rc = tt_problem(resp, TT_E_NOT_FOUND, "id", "no such subject in this tenant");
        else if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    tt_app_policy_release(pref);
    tt_store_release(c);
    if (rc < 0)
        return rc;
    tt_hook_subject_changed(app, &x.s);
    json_t *body =
        json_pack("{s:s, s:o, s:o, s:I}", "subject", x.s.id, "contract_ended_at",
                  tt__api_time(x.s.contract_ended_at), "retention_until",
                  tt__api_time(x.s.retention_until), "records_recomputed", (json_int_t)x.changed);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}
