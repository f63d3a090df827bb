/* SPDX-License-Identifier: Apache-2.0 */
/* requests_deadlines.c — the job requests.deadlines (S8.4): once a day, every open request due
 * within 7 days or overdue is flagged (an audit event per request and day) and counted in the
 * gauges tutela_requests_due_soon / tutela_requests_overdue; requests.erasure, which resumes
 * erasures a crash interrupted; and requests.purge, which deletes requests (their confirmations,
 * timelines and export rows) 5 years after they were finished (S7.7) — each page with one audit
 * event per tenant it touched (request ids, types, counts: no personal value) in its
 * transaction, and each run with one requests.purge.run event on the platform's chain. */
#include <stdlib.h>
#include <string.h>

#include "../api/audit.h"
#include "../api/common.h"
#include "../api/requests_int.h"
#include "../core/deadline.h"
#include "../core/error.h"
#include "../http/http.h"
#include "../store/requests_store.h"
#include "erasure.h"
#include "jobs.h"

#define SOON_DAYS 7
#define PAGE 500
#define DAY_S 86400
#define PLATFORM "ten_platform" /* the run's own event goes on its chain */

struct watch {
    tt_time now;
    struct tt_request hits[PAGE];
    int n_hits;
    int64_t soon, overdue;
    char last_t[TT_ID_MAX], last_id[TT_ID_MAX];
};

static int watch_cb(void *cls, const struct tt_request *r)
{
    struct watch *w = cls;
    tt__api_copy(w->last_t, sizeof w->last_t, r->tenant_id);
    tt__api_copy(w->last_id, sizeof w->last_id, r->id);
    enum tt_deadline_flag f = tt_deadline_flag(r->due_at, w->now, SOON_DAYS);
    if (f == TT_DUE_LATER)
        return 0;
    if (f == TT_DUE_OVERDUE)
        w->overdue++;
    else
        w->soon++;
    if (r->flagged_at + DAY_S > w->now + 60 || w->n_hits == PAGE)
        return 0; /* flagged today already */
    w->hits[w->n_hits] = *r;
    w->hits[w->n_hits].attachment_enc = NULL;
    w->hits[w->n_hits].confirmation_enc = NULL;
    w->n_hits++;
    return 0;
}

struct flag_txn {
    struct tt_request *r;
    tt_time now;
};

static enum tt_qs flag_txn(struct tt_store_conn *c, void *cls)
{
    struct flag_txn *f = cls;
    f->r->flagged_at = f->now;
    enum tt_qs qs = tt_store_ops_of(c)->requests->update(c, f->r);
    if (qs <= 0)
        return qs;
    int overdue = tt_deadline_flag(f->r->due_at, f->now, SOON_DAYS) == TT_DUE_OVERDUE;
    json_t *d = json_pack("{s:s, s:s, s:o}", "request", f->r->id, "flag",
                          overdue ? "overdue" : "due_soon", "due_at", tt__api_time(f->r->due_at));
    if (!d)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, f->r->tenant_id, f->now, "system", "request.deadline.flag",
                       f->r->subject_id, d);
    json_decref(d);
    return qs;
}

int tt_job_requests_deadlines(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    struct watch *w = calloc(1, sizeof *w);
    if (!w)
        return -TT_E_NOMEM;
    w->now = now;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    int rc = tt_store_ops_of(c)->requests ? 0 : -TT_E_UNAVAILABLE;
    while (rc == 0) {
        w->n_hits = 0;
        char at[TT_ID_MAX], ai[TT_ID_MAX];
        tt__api_copy(at, sizeof at, w->last_t);
        tt__api_copy(ai, sizeof ai, w->last_id);
        enum tt_qs qs = tt_store_ops_of(c)->requests->scan_open(c, at, ai, PAGE, watch_cb, w);
        if (qs < 0) {
            rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
            break;
        }
        for (int i = 0; i < w->n_hits && rc == 0; i++) {
            struct flag_txn f = {&w->hits[i], now};
            if (tt_store_txn(c, flag_txn, &f) < 0)
                rc = -TT_E_STORE;
        }
        if (qs < PAGE || rc < 0)
            break;
    }
    tt_store_release(c);
    if (rc == 0) {
        tt_metrics_gauge_set("tutela_requests_due_soon", "", (double)w->soon);
        tt_metrics_gauge_set("tutela_requests_overdue", "", (double)w->overdue);
    }
    free(w);
    return rc;
}

int tt_job_requests_erasure(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    int n = tt_erasure_resume_all(app, now);
    return n < 0 ? n : 0;
}

/* What one page of the purge deleted, per tenant (ids and counts only: S7.7 audit). */
struct purge_txn {
    tt_time before, now;
    int64_t deleted;
    json_t *by_tenant; /* tenant id -> {requests, timeline_events, exports, request_ids, types} */
    int failed;
};

static int purged_cb(void *cls, const struct tt_purged *p)
{
    struct purge_txn *t = cls;
    static const char *const counter[] = {"timeline_events", "exports", "requests"};
    json_t *o = json_object_get(t->by_tenant, p->tenant_id);
    if (!o) {
        o = json_pack("{s:i, s:i, s:i, s:[], s:{}}", "requests", 0, "timeline_events", 0, "exports",
                      0, "request_ids", "types");
        if (!o || json_object_set_new(t->by_tenant, p->tenant_id, o) < 0) {
            t->failed = 1;
            return 0;
        }
    }
    const char *k = counter[p->what];
    json_object_set_new(o, k, json_integer(json_integer_value(json_object_get(o, k)) + 1));
    if (p->what == TT_PURGED_REQUEST) {
        json_t *types = json_object_get(o, "types");
        const char *name = tt_rq_type_name(p->type);
        json_object_set_new(types, name,
                            json_integer(json_integer_value(json_object_get(types, name)) + 1));
        if (json_array_append_new(json_object_get(o, "request_ids"), json_string(p->request_id)))
            t->failed = 1;
    }
    return 0;
}

/* One page: the deletes, then one audit event per tenant touched, in the same transaction. */
static enum tt_qs purge_txn(struct tt_store_conn *c, void *cls)
{
    struct purge_txn *p = cls;
    p->deleted = 0;
    p->failed = 0;
    json_object_clear(p->by_tenant);
    enum tt_qs qs =
        tt_store_ops_of(c)->requests->purge_finished(c, p->before, PAGE, purged_cb, p, &p->deleted);
    if (qs < 0 || p->failed)
        return qs < 0 ? qs : TT_QS_HARD;
    const char *tenant;
    json_t *d;
    json_object_foreach(p->by_tenant, tenant, d)
    {
        json_object_set_new(d, "finished_before", tt__api_time(p->before));
        json_object_set_new(d, "requirement", json_string("S7.7"));
        enum tt_qs a = tt_audit_emit(c, tenant, p->now, "system", "requests.purge", "requests", d);
        if (a < 0)
            return a;
    }
    return qs;
}

int tt_job_requests_purge(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    int rc = 0;
    if (!tt_store_ops_of(c)->requests) {
        tt_store_release(c);
        return 0;
    }
    /* S7.7: the confirmation of a rights request is kept 5 years from when it was sent */
    struct purge_txn p = {
        .before = now - TT_RQ_CONFIRMATION_KEEP_S, .now = now, .by_tenant = json_object()};
    int64_t total = 0, pages = 0;
    if (!p.by_tenant)
        rc = -TT_E_NOMEM;
    while (rc == 0) {
        enum tt_qs qs = tt_store_txn(c, purge_txn, &p);
        if (qs < 0) {
            rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
            break;
        }
        tt_jobs_note(p.deleted);
        total += p.deleted;
        pages += p.deleted > 0;
        if (qs == TT_QS_NONE || p.deleted < PAGE)
            break;
    }
    json_decref(p.by_tenant);
    tt_store_release(c);
    /* every run leaves one event on the platform's chain, a run that found nothing included */
    json_t *d = json_pack("{s:o, s:I, s:I, s:s, s:s}", "finished_before", tt__api_time(p.before),
                          "requests", (json_int_t)total, "pages", (json_int_t)pages, "outcome",
                          rc == 0 ? "done" : "failed", "requirement", "S7.7");
    int a = d ? tt_audit_emit_now(app->store, PLATFORM, now, "system", "requests.purge.run",
                                  "requests", d)
              : -TT_E_NOMEM;
    json_decref(d);
    return rc < 0 ? rc : a < 0 ? a : 0;
}
