/* SPDX-License-Identifier: Apache-2.0 */
/* sweep.h — the retention sweep (issue 6; S7.0–S7.8, S10.1): deletes what has expired, tenant by
 * tenant, in batches, each batch one transaction (rows deleted, statistics folded first, subject
 * horizons updated, one audit event with counts per rule — never values). A tenant is swept
 * under a claim in the store (retention_claims), renewed inside every batch, so two nodes never
 * sweep the same tenant at once; a crash loses at most the batch in flight (rolled back), and a
 * rerun continues where it stopped. Also the dry-run preview and retention-end recomputation.
 * Thread safety: one call per thread; the store is thread safe. */
#ifndef TT_JOBS_SWEEP_H
#define TT_JOBS_SWEEP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/policy.h"
#include "../store/store.h"

#define TT_SWEEP_BATCH_DEFAULT 50000 /* rows per transaction: each commit costs a sync */
#define TT_SWEEP_BATCH_MAX 250000
#define TT_SWEEP_LEASE_DEFAULT 300

struct tt_sweep_opts {
    const struct tt_policy *policy; /* rules: which rule each service's rows fall under */
    tt_time at;                     /* rows whose retention ended by then go */
    tt_time now;                    /* wall time: claims, audit events, horizons */
    int batch;                      /* rows per transaction; 0 = TT_SWEEP_BATCH_DEFAULT */
    int max_batches;                /* stop after this many batches in all; 0 = until done */
    int k;                          /* statistics threshold (only checked when published) */
    const char *tenant_id;          /* NULL = every tenant */
    const char *holder;             /* claim holder: unique per process */
    const char *actor;              /* audit actor ("system", a key id) */
    unsigned lease_s;               /* claim lifetime; 0 = TT_SWEEP_LEASE_DEFAULT */
    void (*progress)(void *cls, int64_t done); /* after each batch; may be NULL */
    void *progress_cls;
};

/* Counts of one (tenant, rule, service). rule is the policy's rule key, "S10.1" for a child's
 * data, or "none" for a service without a rule. */
struct tt_sweep_count {
    char tenant_id[TT_ID_MAX];
    char rule[TT_KEY_MAX];
    char service[TT_KEY_MAX];
    int64_t rows; /* deleted (run) or due (preview) */
    int64_t held; /* due but under a legal hold: kept */
};

struct tt_sweep_report {
    int64_t deleted;    /* rows deleted */
    int64_t anonymised; /* rows folded into statistics before they went */
    int64_t held;       /* due rows kept by a hold */
    int64_t batches;
    int64_t tenants; /* tenants swept */
    int64_t skipped; /* tenants another node was sweeping */
    int64_t holds;   /* active holds seen (listed in every report) */
    struct tt_sweep_count *counts;
    size_t n_counts, cap_counts;
    int more; /* stopped at max_batches with rows left */
};

/* Sweeps. Fills *out (free with tt_sweep_report_free) even on failure, with what was committed.
 * Returns 0, or -TT_E_STORE / -TT_E_UNAVAILABLE (retries exhausted) / -TT_E_NOMEM /
 * -TT_E_BAD_PARAM. Publishes metrics tutela_retention_rows_total{action,rule}. */
int tt_sweep_run(struct tt_store *s, const struct tt_sweep_opts *o, struct tt_sweep_report *out);

/* What tt_sweep_run at o->at would delete and what holds would keep, per tenant, rule and
 * service; changes nothing. Same returns. */
int tt_sweep_preview(struct tt_store *s, const struct tt_sweep_opts *o,
                     struct tt_sweep_report *out);

/* The report as JSON: {"at", "deleted", "anonymised", "held", "holds", "batches", "tenants",
 * "skipped", "counts": [{"tenant", "rule", "service", "rows", "held"}]}. New reference or NULL. */
json_t *tt_sweep_report_json(const struct tt_sweep_report *r, tt_time at);

void tt_sweep_report_free(struct tt_sweep_report *r); /* NULL is a no-op; r itself not freed */

/* Recomputes the retention ends of a tenant's records (service "" or NULL = all) from the
 * policy, set-based (each batch is one UPDATE of a range of o->batch records that computes the
 * ends in SQL, core/retention_plan.h), each batch one transaction with an audit event (counts);
 * resumable: the cursor is kept with the tenant's "recompute" claim. *changed (may be NULL)
 * gets the number of ends that moved. Returns 0 when done, 1 when o->max_batches (0 = no bound)
 * ran out with records left (a later call resumes), -TT_E_CONFLICT when another holder has the
 * claim, else as tt_sweep_run. */
int tt_retention_recompute(struct tt_store *s, const struct tt_sweep_opts *o, const char *tenant_id,
                           const char *service, int64_t *changed);

/* Recomputes, tenant by tenant, the ends computed under another policy than o->policy: a
 * tenant is done once its ends follow the policy's digest, which the store keeps (setting
 * "retention.ends_digest.<tenant>"), so a policy reload or a restart with a changed file
 * recomputes exactly once, resumably. o->max_batches bounds the batches of each tenant's run.
 * *more = 1 when some tenant is still to do (budget out, or another node holds its claim);
 * *changed (may be NULL) gets the ends moved. Returns 0 or as tt_sweep_run. */
int tt_retention_recompute_pending(struct tt_store *s, const struct tt_sweep_opts *o,
                                   int64_t *changed, int *more);

struct tt_app;
/* After a policy reload (SIGHUP): queues the recomputation of every tenant's ends as one pass
 * of the retention.sweep job now (under its lease); the job's later passes finish it before they
 * sweep. Logs the outcome; never fails the reload. */
void tt_retention_policy_reloaded(struct tt_app *app, tt_time now);

/* Recomputes one subject's ends after an event (contract end S7.2, withdrawal S7.3), inside
 * the caller's transaction c, in one set-based statement; adds the ends that moved to *changed.
 * Returns a store status. */
enum tt_qs tt_retention_recompute_subject(struct tt_store_conn *c, const struct tt_policy *p,
                                          const char *tenant_id, const char *subject_id,
                                          int64_t *changed);

/* S7.3: the subject has withdrawn consent to a purpose or unsubscribed (its purpose state was
 * committed): in one transaction its ends are recomputed (a rule that ends on withdrawal now
 * ends at the withdrawal, so the next sweep deletes that data), its horizon follows, and an
 * audit event "retention.withdrawal" (counts only, actor as given) is appended when an end moved.
 * *changed (may be NULL) gets the ends that moved. Returns 0 or -TT_E_*. */
int tt_retention_withdrawn(struct tt_store *s, const struct tt_policy *p, const char *tenant_id,
                           const char *subject_id, tt_time now, const char *actor,
                           int64_t *changed);

/* S7.3, for the retention.sweep job: the subjects that withdrew a purpose or objected since the
 * tenant's last pass (o->tenant_id, or every tenant) get their ends recomputed
 * (tt_retention_withdrawn); the time cursor is kept in the settings
 * ("retention.withdrawals_at.<tenant>"). *changed (may be NULL) gets the ends that moved.
 * Returns 0 or -TT_E_*. */
int tt_retention_withdrawals(struct tt_store *s, const struct tt_sweep_opts *o, int64_t *changed);

/* internal to the jobs: tenant ids collected by a tenant_list callback (the caller frees ids) */
struct tt_sweep_tenants {
    char (*ids)[TT_ID_MAX];
    size_t n, cap;
};
int tt__sweep_tenant_collect(void *cls, const struct tt_tenant *t);

#endif
