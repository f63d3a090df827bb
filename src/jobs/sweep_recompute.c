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
    int64_t rowid;
    tt_time until;
};

struct page {
    const struct tt_policy *policy;
    struct change *ch;
    struct tt_end_change *set; /* the changes' view for record_ends_set */
    size_t n, cap;
    int64_t seen;
    char last[TT_ID_MAX];
    /* the rule of the previous row's (service, category, purpose): rows come in runs (a key
     * too long to keep never compares equal, so it is simply looked up again) */
    char m_service[TT_KEY_MAX], m_category[TT_KEY_MAX], m_purpose[TT_KEY_MAX];
    const struct tt_retention *m_rule;
};

static const struct tt_retention *rule_of(struct page *pg, const struct tt_recompute_row *r)
{
    if (strcmp(pg->m_service, r->service) != 0 || strcmp(pg->m_category, r->data_category) != 0 ||
        strcmp(pg->m_purpose, r->purpose) != 0) {
        snprintf(pg->m_service, sizeof pg->m_service, "%s", r->service);
        snprintf(pg->m_category, sizeof pg->m_category, "%s", r->data_category);
        snprintf(pg->m_purpose, sizeof pg->m_purpose, "%s", r->purpose);
        pg->m_rule = tt_retention_rule_for(pg->policy, r->service, r->data_category, r->purpose);
    }
    return pg->m_rule;
}

static int page_row(void *cls, const struct tt_recompute_row *r)
{
    struct page *pg = cls;
    pg->seen++;
    snprintf(pg->last, sizeof pg->last, "%s", r->record_id);
    const struct tt_retention *rule = rule_of(pg, r);
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
        struct tt_end_change *ns = realloc(pg->set, ncap * sizeof *ns);
        if (!ns)
            return -1;
        pg->set = ns;
        pg->cap = ncap;
    }
    snprintf(pg->ch[pg->n].record_id, TT_ID_MAX, "%s", r->record_id);
    pg->ch[pg->n].rowid = r->rowid;
    pg->ch[pg->n++].until = until;
    return 0;
}

/* One batched update of the page's moved ends (by rowid on SQLite, one statement on
 * PostgreSQL); every row was read in this transaction, so each must be found. */
static enum tt_qs apply(struct tt_store_conn *c, const char *tenant_id, struct page *pg)
{
    if (pg->n == 0)
        return TT_QS_ONE;
    for (size_t i = 0; i < pg->n; i++)
        pg->set[i] = (struct tt_end_change){pg->ch[i].rowid, pg->ch[i].record_id, pg->ch[i].until};
    enum tt_qs qs = tt_store_ops_of(c)->retention->record_ends_set(c, tenant_id, pg->set, pg->n);
    if (qs < 0)
        return qs;
    return (size_t)qs == pg->n ? TT_QS_ONE : TT_QS_HARD;
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
    free(pg.set);
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
    /* a short page is the last one: the run is complete, the next starts from the beginning */
    qs = rs->claim_cursor_set(c, x->tenant_id, CLAIM_NAME, x->o->holder,
                              x->pg.seen < limit ? "" : x->pg.last);
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
        if (x.pg.seen == 0)
            break;
        batches++;
        moved += (int64_t)x.pg.n;
        snprintf(x.cursor, sizeof x.cursor, "%s", x.pg.last);
        if (o->progress)
            o->progress(o->progress_cls, moved);
        if (x.pg.seen < (o->batch ? o->batch : TT_SWEEP_BATCH_DEFAULT))
            break;
    }
    if (!x.lost)
        tt_store_ops_of(c)->retention->claim_release(c, tenant_id, CLAIM_NAME, o->holder, NULL);
    tt_store_release(c);
    free(x.pg.ch);
    free(x.pg.set);
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

struct tenant_ids {
    char (*ids)[TT_ID_MAX];
    size_t n, cap;
};

static int tenant_id_collect(void *cls, const struct tt_tenant *t)
{
    struct tenant_ids *ts = cls;
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
    struct tenant_ids ts = {0};
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = tt_store_ops_of(c)->tenant_list(c, tenant_id_collect, &ts);
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
