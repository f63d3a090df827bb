/* SPDX-License-Identifier: Apache-2.0 */
/* sweep_recompute.c — retention ends recomputed from the policy (issue 6, S7.0–S7.3), set-based:
 * the policy's rules become one plan (core/retention_plan.h) and each batch is ONE UPDATE of a
 * range of records that computes the new ends in SQL (store/retention_ends_sql.h). After a policy
 * change, a tenant's records range by range (each range one transaction with an audit event of
 * counts, the cursor kept with the tenant's "recompute" claim so a crash resumes); one subject's
 * records after its contract ended or it withdrew a purpose (inside the caller's transaction). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/audit.h"
#include "../core/error.h"
#include "../core/retention_plan.h"
#include "../store/retention_store.h"
#include "sweep.h"

#define CLAIM_NAME "recompute"

enum tt_qs tt_retention_recompute_subject(struct tt_store_conn *c, const struct tt_policy *p,
                                          const char *tenant_id, const char *subject_id,
                                          int64_t *changed)
{
    struct tt_end_plan plan;
    if (tt_end_plan_build(p, &plan) != 0)
        return TT_QS_HARD;
    struct tt_ends_result res;
    enum tt_qs qs = tt_store_ops_of(c)->retention->recompute_ends(c, tenant_id, &plan, "",
                                                                  subject_id, "", 0, &res);
    tt_end_plan_free(&plan);
    if (qs >= 0 && changed)
        *changed += res.changed;
    return qs;
}

struct rc_txn {
    const struct tt_sweep_opts *o;
    const char *tenant_id;
    const char *service;
    const struct tt_end_plan *plan;
    char cursor[TT_ID_MAX];
    struct tt_ends_result res;
    int lost;
};

/* One batch: a range of the tenant's records recomputed by one UPDATE (set-based), the cursor
 * kept with the claim and an audit event of counts, in one transaction. */
static enum tt_qs rc_batch(struct tt_store_conn *c, void *cls)
{
    struct rc_txn *x = cls;
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    unsigned lease = x->o->lease_s ? x->o->lease_s : TT_SWEEP_LEASE_DEFAULT;
    memset(&x->res, 0, sizeof x->res);
    enum tt_qs qs =
        rs->claim(c, x->tenant_id, CLAIM_NAME, x->o->holder, x->o->now, x->o->now + lease);
    if (qs <= 0) {
        x->lost = qs == TT_QS_NONE;
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    int limit = x->o->batch ? x->o->batch : TT_SWEEP_BATCH_DEFAULT;
    qs = rs->recompute_ends(c, x->tenant_id, x->plan, x->service, "", x->cursor, limit, &x->res);
    if (qs < 0)
        return qs;
    if (x->res.seen == 0)
        return rs->claim_cursor_set(c, x->tenant_id, CLAIM_NAME, x->o->holder, "");
    /* a short range is the last one: the run is complete, the next starts from the beginning */
    qs = rs->claim_cursor_set(c, x->tenant_id, CLAIM_NAME, x->o->holder,
                              x->res.seen < limit ? "" : x->res.last);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    if (x->res.changed == 0)
        return TT_QS_ONE;
    json_t *d = json_pack("{s:I, s:I, s:s}", "records", (json_int_t)x->res.seen, "changed",
                          (json_int_t)x->res.changed, "service", x->service ? x->service : "");
    if (!d)
        return TT_QS_HARD;
    qs =
        tt_audit_emit(c, x->tenant_id, x->o->now, x->o->actor ? x->o->actor : "system",
                      "retention.recompute", x->o->policy->version ? x->o->policy->version : "", d);
    json_decref(d);
    return qs;
}

int tt_retention_recompute(struct tt_store *s, const struct tt_sweep_opts *o, const char *tenant_id,
                           const char *service, int64_t *changed)
{
    if (!o || !o->policy || !o->holder || !tenant_id || o->batch < 0 ||
        o->batch > TT_SWEEP_BATCH_MAX)
        return -TT_E_BAD_PARAM;
    struct tt_end_plan plan;
    if (tt_end_plan_build(o->policy, &plan) != 0)
        return -TT_E_INTERNAL;
    struct tt_store_conn *c = tt_store_acquire(s);
    struct rc_txn x = {
        .o = o, .tenant_id = tenant_id, .service = service ? service : "", .plan = &plan};
    /* resume where a crashed run stopped */
    enum tt_qs qs = tt_store_ops_of(c)->retention->claim_cursor(c, tenant_id, CLAIM_NAME, x.cursor,
                                                                sizeof x.cursor);
    int rc = qs < 0 ? -TT_E_STORE : 0;
    int64_t moved = 0;
    int64_t batches = 0;
    while (rc == 0) {
        if (o->max_batches && batches >= o->max_batches) {
            rc = 1; /* more to do: the cursor stays with the claim */
            break;
        }
        qs = tt_store_txn(c, rc_batch, &x);
        if (x.lost) {
            rc = -TT_E_CONFLICT;
            break;
        }
        if (qs < 0) {
            rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
            break;
        }
        if (x.res.seen == 0)
            break;
        batches++;
        moved += x.res.changed;
        snprintf(x.cursor, sizeof x.cursor, "%s", x.res.last);
        if (o->progress)
            o->progress(o->progress_cls, moved);
        if (x.res.seen < (o->batch ? o->batch : TT_SWEEP_BATCH_DEFAULT))
            break;
    }
    if (!x.lost)
        tt_store_ops_of(c)->retention->claim_release(c, tenant_id, CLAIM_NAME, o->holder, NULL);
    tt_store_release(c);
    tt_end_plan_free(&plan);
    if (rc >= 0 && changed)
        *changed = moved;
    return rc;
}

/* The settings key that records under which policy a tenant's ends were last computed. */
static void digest_key(const char *tenant_id, char *out, size_t size)
{
    snprintf(out, size, "retention.ends_digest.%s", tenant_id);
}

static void digest_hex(const struct tt_policy *p, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof p->digest; i++) {
        out[2 * i] = hex[p->digest[i] >> 4];
        out[2 * i + 1] = hex[p->digest[i] & 15];
    }
    out[64] = '\0';
}

int tt__sweep_tenant_collect(void *cls, const struct tt_tenant *t)
{
    struct tt_sweep_tenants *ts = cls;
    if (ts->n == ts->cap) {
        size_t ncap = ts->cap ? ts->cap * 2 : 16;
        char(*ni)[TT_ID_MAX] = realloc(ts->ids, ncap * sizeof *ni);
        if (!ni)
            return 1;
        ts->ids = ni;
        ts->cap = ncap;
    }
    snprintf(ts->ids[ts->n++], TT_ID_MAX, "%s", t->id);
    return 0;
}

int tt_retention_recompute_pending(struct tt_store *s, const struct tt_sweep_opts *o,
                                   int64_t *changed, int *more)
{
    if (!o || !o->policy || !o->holder || !more)
        return -TT_E_BAD_PARAM;
    *more = 0;
    char want[65];
    digest_hex(o->policy, want);
    struct tt_sweep_tenants ts = {0};
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = tt_store_ops_of(c)->tenant_list(c, tt__sweep_tenant_collect, &ts);
    tt_store_release(c);
    int rc = qs < 0 ? (qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE) : 0;
    struct tt_sweep_opts left = *o;
    int64_t moved = 0;
    for (size_t i = 0; rc == 0 && i < ts.n; i++) {
        char key[TT_ID_MAX + 32], have[80] = "";
        digest_key(ts.ids[i], key, sizeof key);
        c = tt_store_acquire(s);
        qs = tt_store_ops_of(c)->setting_get(c, key, have, sizeof have);
        tt_store_release(c);
        if (qs < 0) {
            rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
            break;
        }
        if (qs == TT_QS_ONE && strcmp(have, want) == 0)
            continue;
        int64_t n = 0;
        int r = tt_retention_recompute(s, &left, ts.ids[i], NULL, &n);
        moved += n;
        if (r == -TT_E_CONFLICT || r == 1) {
            /* another node is on it, or the budget ran out: the next pass goes on */
            *more = 1;
            if (r == 1)
                break;
            continue;
        }
        if (r < 0) {
            rc = r;
            break;
        }
        c = tt_store_acquire(s);
        qs = tt_store_ops_of(c)->setting_put(c, key, want);
        tt_store_release(c);
        if (qs < 0)
            rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    }
    free(ts.ids);
    if (changed)
        *changed = moved;
    return rc;
}
