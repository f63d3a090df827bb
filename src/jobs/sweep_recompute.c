/* SPDX-License-Identifier: Apache-2.0 */
/* sweep_recompute.c — retention ends recomputed from the policy (issue 6, S7.0–S7.3): after a
 * policy change, a tenant's records page by page (each page one transaction with an audit event
 * of counts, the cursor kept with the tenant's "recompute" claim so a crash resumes), and one
 * subject's records after its contract ended (inside the caller's transaction). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/audit.h"
#include "../core/error.h"
#include "../core/retention.h"
#include "../store/retention_store.h"
#include "sweep.h"

#define CLAIM_NAME "recompute"

struct change {
    char record_id[TT_ID_MAX];
    tt_time until;
};

struct page {
    const struct tt_policy *policy;
    struct change *ch;
    size_t n, cap;
    int64_t seen;
    char last[TT_ID_MAX];
};

static int page_row(void *cls, const struct tt_recompute_row *r)
{
    struct page *pg = cls;
    pg->seen++;
    snprintf(pg->last, sizeof pg->last, "%s", r->record_id);
    const struct tt_retention *rule = tt_retention_rule_for(pg->policy, r->service);
    struct tt_retention_events ev = {.contract_ended_at = r->contract_ended_at};
    tt_time until = rule ? tt_retention_end_ev(rule, r->jurisdiction, r->collected_at, &ev) : 0;
    if (until == r->retention_until)
        return 0;
    if (pg->n == pg->cap) {
        size_t ncap = pg->cap ? pg->cap * 2 : 256;
        struct change *nc = realloc(pg->ch, ncap * sizeof *nc);
        if (!nc)
            return -1;
        pg->ch = nc;
        pg->cap = ncap;
    }
    snprintf(pg->ch[pg->n].record_id, TT_ID_MAX, "%s", r->record_id);
    pg->ch[pg->n++].until = until;
    return 0;
}

static enum tt_qs apply(struct tt_store_conn *c, const char *tenant_id, const struct page *pg)
{
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    for (size_t i = 0; i < pg->n; i++) {
        enum tt_qs qs = rs->record_end_set(c, tenant_id, pg->ch[i].record_id, pg->ch[i].until);
        if (qs < 0)
            return qs;
    }
    return TT_QS_ONE;
}

enum tt_qs tt_retention_recompute_subject(struct tt_store_conn *c, const struct tt_policy *p,
                                          const char *tenant_id, const char *subject_id,
                                          int64_t *changed)
{
    struct page pg = {.policy = p};
    enum tt_qs qs =
        tt_store_ops_of(c)->retention->recompute_subject(c, tenant_id, subject_id, page_row, &pg);
    if (qs >= 0)
        qs = apply(c, tenant_id, &pg);
    if (qs >= 0 && changed)
        *changed += (int64_t)pg.n;
    free(pg.ch);
    return qs;
}

struct rc_txn {
    const struct tt_sweep_opts *o;
    const char *tenant_id;
    const char *service;
    char cursor[TT_ID_MAX];
    struct page pg;
    int lost;
};

static enum tt_qs rc_batch(struct tt_store_conn *c, void *cls)
{
    struct rc_txn *x = cls;
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    unsigned lease = x->o->lease_s ? x->o->lease_s : TT_SWEEP_LEASE_DEFAULT;
    x->pg.n = 0;
    x->pg.seen = 0;
    x->pg.last[0] = '\0';
    enum tt_qs qs =
        rs->claim(c, x->tenant_id, CLAIM_NAME, x->o->holder, x->o->now, x->o->now + lease);
    if (qs <= 0) {
        x->lost = qs == TT_QS_NONE;
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    int limit = x->o->batch ? x->o->batch : TT_SWEEP_BATCH_DEFAULT;
    qs = rs->recompute_page(c, x->tenant_id, x->service, x->cursor, limit, page_row, &x->pg);
    if (qs < 0)
        return qs;
    if (x->pg.seen == 0)
        return rs->claim_cursor_set(c, x->tenant_id, CLAIM_NAME, x->o->holder, "");
    qs = apply(c, x->tenant_id, &x->pg);
    if (qs < 0)
        return qs;
    qs = rs->claim_cursor_set(c, x->tenant_id, CLAIM_NAME, x->o->holder, x->pg.last);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    if (x->pg.n == 0)
        return TT_QS_ONE;
    json_t *d = json_pack("{s:I, s:I, s:s}", "records", (json_int_t)x->pg.seen, "changed",
                          (json_int_t)x->pg.n, "service", x->service ? x->service : "");
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
    struct tt_store_conn *c = tt_store_acquire(s);
    struct rc_txn x = {.o = o, .tenant_id = tenant_id, .service = service ? service : ""};
    x.pg.policy = o->policy;
    /* resume where a crashed run stopped */
    enum tt_qs qs = tt_store_ops_of(c)->retention->claim_cursor(c, tenant_id, CLAIM_NAME, x.cursor,
                                                                sizeof x.cursor);
    int rc = qs < 0 ? -TT_E_STORE : 0;
    int64_t moved = 0;
    while (rc == 0) {
        qs = tt_store_txn(c, rc_batch, &x);
        if (x.lost) {
            rc = -TT_E_CONFLICT;
            break;
        }
        if (qs < 0) {
            rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
            break;
        }
        if (x.pg.seen == 0)
            break;
        moved += (int64_t)x.pg.n;
        snprintf(x.cursor, sizeof x.cursor, "%s", x.pg.last);
        if (o->progress)
            o->progress(o->progress_cls, moved);
    }
    if (!x.lost)
        tt_store_ops_of(c)->retention->claim_release(c, tenant_id, CLAIM_NAME, o->holder, NULL);
    tt_store_release(c);
    free(x.pg.ch);
    if (rc == 0 && changed)
        *changed = moved;
    return rc;
}
