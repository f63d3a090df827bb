/* SPDX-License-Identifier: Apache-2.0 */
/* sweep.c — the retention sweep and its dry-run preview (issue 6): tenant by tenant under a
 * claim, batch by batch, each batch one transaction that deletes the due rows set-based (one
 * statement per kind, handing back what went), folds them into anonymised statistics (S7.8),
 * updates the horizons of subjects left with nothing dated and writes one audit event with counts
 * per rule (S6.3). Children's data first (S10.1); held rows never go (S7.6). */
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/audit.h"
#include "../core/clock.h"
#include "../core/error.h"
#include "../core/retention.h"
#include "../core/stats.h"
#include "../http/http.h"
#include "../store/retention_store.h"
#include "sweep_batch.h"

#define CLAIM_NAME "sweep"

/* a batch of distinct (service, country, day) rows must always fit one fold */
_Static_assert(TT_SWEEP_BATCH_MAX <= TT_STATS_MAX_CELLS, "a sweep batch may overflow the fold");

struct batch {
    const struct tt_sweep_opts *o;
    const char *tenant_id;
    int cap;                     /* rows per batch */
    struct tt__sweep_batch *got; /* what the batch deleted, interned */
    struct tt_stats_fold *fold;
    struct tt_sweep_report part; /* this batch's counts, merged after commit */
    int64_t n;                   /* rows deleted by this batch */
    int lost;                    /* another node took the claim */
    int with_holds;
};

static const char *rule_of(const struct tt_policy *p, const char *service, const char *category,
                           const char *purpose, int child)
{
    if (child)
        return "S10.1";
    const struct tt_retention *r = tt_retention_rule_for(p, service, category, purpose);
    return r ? r->key : "none";
}

static int count_add(struct tt_sweep_report *r, const char *tenant, const char *rule,
                     const char *service, int64_t rows, int64_t held)
{
    for (size_t i = 0; i < r->n_counts; i++) {
        struct tt_sweep_count *c = &r->counts[i];
        if (strcmp(c->tenant_id, tenant) == 0 && strcmp(c->rule, rule) == 0 &&
            strcmp(c->service, service) == 0) {
            c->rows += rows;
            c->held += held;
            return 0;
        }
    }
    if (r->n_counts == r->cap_counts) {
        size_t ncap = r->cap_counts ? r->cap_counts * 2 : 16;
        struct tt_sweep_count *nc = realloc(r->counts, ncap * sizeof *nc);
        if (!nc)
            return -TT_E_NOMEM;
        r->counts = nc;
        r->cap_counts = ncap;
    }
    struct tt_sweep_count *c = &r->counts[r->n_counts++];
    memset(c, 0, sizeof *c);
    snprintf(c->tenant_id, sizeof c->tenant_id, "%s", tenant);
    snprintf(c->rule, sizeof c->rule, "%s", rule);
    snprintf(c->service, sizeof c->service, "%s", service);
    c->rows = rows;
    c->held = held;
    return 0;
}

void tt_sweep_report_free(struct tt_sweep_report *r)
{
    if (!r)
        return;
    free(r->counts);
    memset(r, 0, sizeof *r);
}

static int merge(struct tt_sweep_report *into, const struct tt_sweep_report *from)
{
    into->deleted += from->deleted;
    into->anonymised += from->anonymised;
    into->held += from->held;
    for (size_t i = 0; i < from->n_counts; i++) {
        const struct tt_sweep_count *c = &from->counts[i];
        int rc = count_add(into, c->tenant_id, c->rule, c->service, c->rows, c->held);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int collect(void *cls, const struct tt_swept_rows *g)
{
    struct batch *b = cls;
    return tt__sb_add(b->got, g) < 0;
}

struct cell_ctx {
    struct tt_store_conn *c;
    const char *tenant_id;
    enum tt_qs qs;
};

static int put_cell(void *cls, const struct tt_stats_out *o)
{
    struct cell_ctx *x = cls;
    struct tt_stat_cell cell;
    memset(&cell, 0, sizeof cell);
    snprintf(cell.tenant_id, sizeof cell.tenant_id, "%s", x->tenant_id);
    snprintf(cell.service, sizeof cell.service, "%s", o->service);
    snprintf(cell.country, sizeof cell.country, "%s", o->country);
    cell.day = o->day;
    cell.messages = o->messages;
    cell.subjects = o->subjects;
    enum tt_qs qs = tt_store_ops_of(x->c)->retention->stat_add(x->c, &cell);
    if (qs <= 0) {
        x->qs = qs == TT_QS_NONE ? TT_QS_HARD : qs;
        return 1;
    }
    return 0;
}

static enum tt_qs batch_txn(struct tt_store_conn *c, void *cls)
{
    struct batch *b = cls;
    const struct tt_sweep_opts *o = b->o;
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    unsigned lease = o->lease_s ? o->lease_s : TT_SWEEP_LEASE_DEFAULT;
    tt_sweep_report_free(&b->part);
    tt_stats_fold_reset(b->fold);
    tt__sb_reset(b->got);
    b->n = 0;
    enum tt_qs qs = rs->claim(c, b->tenant_id, CLAIM_NAME, o->holder, o->now, o->now + lease);
    if (qs <= 0) {
        b->lost = qs == TT_QS_NONE;
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    int64_t holds = 0;
    qs = rs->hold_active_count(c, b->tenant_id, o->at, &holds);
    if (qs < 0)
        return qs;
    b->with_holds = holds > 0;
    /* set-based: the store deletes the batch in one statement per kind and hands back what went
     * (grouped where it can), read and deleted in this transaction: all of it goes, or the
     * batch rolls back whole */
    qs = rs->expired_take(c, b->tenant_id, o->at, b->with_holds, b->cap, collect, b);
    if (qs < 0)
        return qs;
    b->n = tt__sb_rows(b->got);
    if ((int64_t)qs != b->n)
        return TT_QS_HARD;
    if (b->n == 0)
        return TT_QS_ONE;
    /* one lookup per distinct subject: the country of the statistics and the horizon */
    size_t n_subj = 0;
    const char *const *ids = tt__sb_subjects(b->got, &n_subj);
    if (!ids)
        return TT_QS_HARD;
    qs = rs->sweep_subjects(c, b->tenant_id, ids, n_subj, tt__sb_subject_info, b->got);
    if (qs < 0)
        return qs;
    /* S7.8: fold from non-personal columns only (service, country, day), in memory, written
     * below as one upsert per cell, never per row; counts per rule from the same groups */
    const char *last_rule = NULL;
    const struct tt__sb_row *last = NULL;
    for (size_t i = 0; i < tt__sb_count(b->got); i++) {
        const struct tt__sb_row *r = tt__sb_row(b->got, i);
        const char *service = tt__sb_str(b->got, r->service);
        if (tt_stats_fold_add_n(b->fold, service, tt__sb_jurisdiction(b->got, r->subject),
                                tt__sb_str(b->got, r->subject), r->collected_at, r->rows) < 0)
            return TT_QS_HARD;
        if (!last || last->service != r->service || last->category != r->category ||
            last->purpose != r->purpose || last->child != r->child)
            last_rule = rule_of(o->policy, service, tt__sb_str(b->got, r->category),
                                tt__sb_str(b->got, r->purpose), r->child);
        last = r;
        if (count_add(&b->part, b->tenant_id, last_rule, service, r->rows, 0) < 0)
            return TT_QS_HARD;
    }
    struct cell_ctx cx = {c, b->tenant_id, TT_QS_ONE};
    tt_stats_fold_each(b->fold, put_cell, &cx);
    if (cx.qs < 0)
        return cx.qs;
    /* horizons: only a subject whose horizon has passed (or a child) can have lost its latest
     * end; the others keep a later record, so their horizon stands */
    for (size_t i = 0; i < n_subj; i++) {
        uint32_t id = tt__sb_subject_at(b->got, i);
        tt_time h = tt__sb_horizon(b->got, id);
        if (!tt__sb_child(b->got, id) && !(h > 0 && h <= o->at))
            continue;
        qs = rs->subject_horizon(c, b->tenant_id, tt__sb_str(b->got, id), o->now);
        if (qs < 0)
            return qs;
    }
    int64_t subjects = (int64_t)n_subj;
    json_t *rules = json_object();
    for (size_t i = 0; rules && i < b->part.n_counts; i++) {
        const struct tt_sweep_count *k = &b->part.counts[i];
        json_t *prev = json_object_get(rules, k->rule);
        json_int_t v = (prev ? json_integer_value(prev) : 0) + k->rows;
        if (json_object_set_new(rules, k->rule, json_integer(v)) < 0) {
            json_decref(rules);
            rules = NULL;
        }
    }
    char at[32];
    json_t *detail =
        rules
            ? json_pack("{s:s, s:I, s:I, s:o}", "at", tt_time_format(o->at, at, sizeof at), "rows",
                        (json_int_t)b->n, "subjects", (json_int_t)subjects, "rules", rules)
            : NULL;
    if (!detail)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, b->tenant_id, o->now, o->actor ? o->actor : "system", "retention.sweep",
                       "records", detail);
    json_decref(detail);
    if (qs < 0)
        return qs;
    b->part.deleted = b->n;
    b->part.anonymised = tt_stats_fold_rows(b->fold);
    return TT_QS_ONE;
}

static int qs_err(enum tt_qs qs)
{
    return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
}

struct tenants {
    char (*ids)[TT_ID_MAX];
    size_t n, cap;
};

static int tenant_collect(void *cls, const struct tt_tenant *t)
{
    struct tenants *ts = cls;
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

static int list_tenants(struct tt_store_conn *c, const char *only, struct tenants *ts)
{
    memset(ts, 0, sizeof *ts);
    if (only) {
        struct tt_tenant t;
        enum tt_qs qs = tt_store_ops_of(c)->tenant_get(c, only, &t);
        if (qs < 0)
            return qs_err(qs);
        if (qs == TT_QS_NONE)
            return -TT_E_NOT_FOUND;
        return tenant_collect(ts, &t) ? -TT_E_NOMEM : 0;
    }
    enum tt_qs qs = tt_store_ops_of(c)->tenant_list(c, tenant_collect, ts);
    if (qs < 0) {
        free(ts->ids);
        return qs_err(qs);
    }
    return 0;
}

struct held_ctx {
    struct tt_sweep_report *r;
    const char *tenant_id;
    const struct tt_policy *p;
    int preview; /* count due rows too */
    int rc;
};

static int held_row(void *cls, const struct tt_sweep_preview_row *row)
{
    struct held_ctx *h = cls;
    if (!row->held && !h->preview)
        return 0;
    int rc = count_add(h->r, h->tenant_id,
                       rule_of(h->p, row->service, row->data_category, row->purpose, row->child),
                       row->service, row->held ? 0 : row->rows, row->held ? row->rows : 0);
    if (rc < 0) {
        h->rc = rc;
        return 1;
    }
    if (row->held)
        h->r->held += row->rows;
    else
        h->r->deleted += row->rows;
    return 0;
}

static void publish_metrics(const struct tt_sweep_report *r)
{
    tt_metrics_describe("tutela_retention_rows_total",
                        "Rows handled by retention sweeps, by action and rule");
    char labels[160];
    for (size_t i = 0; i < r->n_counts; i++) {
        const struct tt_sweep_count *c = &r->counts[i];
        if (c->rows) {
            snprintf(labels, sizeof labels, "action=\"deleted\",rule=\"%s\"", c->rule);
            tt_metrics_counter_add("tutela_retention_rows_total", labels, (double)c->rows);
            snprintf(labels, sizeof labels, "action=\"anonymised\",rule=\"%s\"", c->rule);
            tt_metrics_counter_add("tutela_retention_rows_total", labels, (double)c->rows);
        }
        if (c->held) {
            snprintf(labels, sizeof labels, "action=\"held\",rule=\"%s\"", c->rule);
            tt_metrics_counter_add("tutela_retention_rows_total", labels, (double)c->held);
        }
    }
}

/* Sweeps one tenant under its claim. */
static int sweep_tenant(struct tt_store_conn *c, const struct tt_sweep_opts *o, const char *tenant,
                        struct batch *b, struct tt_sweep_report *out, int64_t *budget)
{
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    b->tenant_id = tenant;
    b->lost = 0;
    int rc = 0;
    int swept = 0;
    for (;;) {
        if (o->max_batches && *budget <= 0) {
            out->more = 1;
            break;
        }
        enum tt_qs qs = tt_store_txn(c, batch_txn, b);
        if (b->lost) {
            if (!swept)
                out->skipped++;
            break;
        }
        if (qs < 0) {
            rc = qs_err(qs);
            break;
        }
        swept = 1;
        if (b->n == 0)
            break;
        out->batches++;
        (*budget)--;
        rc = merge(out, &b->part);
        if (rc < 0)
            break;
        if (o->progress)
            o->progress(o->progress_cls, out->deleted);
    }
    if (!swept)
        return rc;
    out->tenants++;
    /* held rows are reported per rule (S7.6), and the holds themselves */
    int64_t holds = 0;
    enum tt_qs qs = rs->hold_active_count(c, tenant, o->at, &holds);
    if (qs >= 0 && holds > 0) {
        out->holds += holds;
        struct held_ctx h = {out, tenant, o->policy, 0, 0};
        qs = rs->sweep_preview(c, tenant, o->at, held_row, &h);
        if (h.rc < 0 && rc == 0)
            rc = h.rc;
    }
    if (qs < 0 && rc == 0)
        rc = qs_err(qs);
    rs->claim_release(c, tenant, CLAIM_NAME, o->holder, NULL);
    return rc;
}

int tt_sweep_run(struct tt_store *s, const struct tt_sweep_opts *o, struct tt_sweep_report *out)
{
    memset(out, 0, sizeof *out);
    if (!o || !o->policy || !o->holder || o->batch < 0 || o->batch > TT_SWEEP_BATCH_MAX)
        return -TT_E_BAD_PARAM;
    struct batch b = {.o = o};
    b.cap = o->batch ? o->batch : TT_SWEEP_BATCH_DEFAULT;
    b.got = tt__sb_new();
    b.fold = tt_stats_fold_new();
    if (!b.got || !b.fold) {
        tt__sb_free(b.got);
        tt_stats_fold_free(b.fold);
        return -TT_E_NOMEM;
    }
    struct tt_store_conn *c = tt_store_acquire(s);
    struct tenants ts;
    int rc = list_tenants(c, o->tenant_id, &ts);
    int64_t budget = o->max_batches;
    for (size_t i = 0; rc == 0 && i < ts.n; i++)
        rc = sweep_tenant(c, o, ts.ids[i], &b, out, &budget);
    tt_store_release(c);
    free(ts.ids);
    tt__sb_free(b.got);
    tt_sweep_report_free(&b.part);
    tt_stats_fold_free(b.fold);
    publish_metrics(out);
    return rc;
}

int tt_sweep_preview(struct tt_store *s, const struct tt_sweep_opts *o, struct tt_sweep_report *out)
{
    memset(out, 0, sizeof *out);
    if (!o || !o->policy)
        return -TT_E_BAD_PARAM;
    struct tt_store_conn *c = tt_store_acquire(s);
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    struct tenants ts;
    int rc = list_tenants(c, o->tenant_id, &ts);
    for (size_t i = 0; rc == 0 && i < ts.n; i++) {
        struct held_ctx h = {out, ts.ids[i], o->policy, 1, 0};
        enum tt_qs qs = rs->sweep_preview(c, ts.ids[i], o->at, held_row, &h);
        int64_t holds = 0;
        if (qs >= 0)
            qs = rs->hold_active_count(c, ts.ids[i], o->at, &holds);
        out->holds += holds;
        rc = qs < 0 ? qs_err(qs) : h.rc;
        out->tenants++;
    }
    tt_store_release(c);
    free(ts.ids);
    return rc;
}

json_t *tt_sweep_report_json(const struct tt_sweep_report *r, tt_time at)
{
    char buf[32];
    json_t *counts = json_array();
    for (size_t i = 0; counts && i < r->n_counts; i++) {
        const struct tt_sweep_count *c = &r->counts[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I}", "tenant", c->tenant_id, "rule", c->rule,
                              "service", c->service, "rows", (json_int_t)c->rows, "held",
                              (json_int_t)c->held);
        if (!o || json_array_append_new(counts, o) < 0) {
            json_decref(counts);
            counts = NULL;
        }
    }
    if (!counts)
        return NULL;
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:o}", "at",
                     tt_time_format(at, buf, sizeof buf), "deleted", (json_int_t)r->deleted,
                     "anonymised", (json_int_t)r->anonymised, "held", (json_int_t)r->held, "holds",
                     (json_int_t)r->holds, "batches", (json_int_t)r->batches, "tenants",
                     (json_int_t)r->tenants, "skipped", (json_int_t)r->skipped, "more", r->more,
                     "counts", counts);
}
