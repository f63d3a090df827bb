/* SPDX-License-Identifier: Apache-2.0 */
/* sweep_job.c — the retention.sweep job of `tutela serve` (jobs_retention.inc): one bounded pass
 * at the scheduler's time, under the current policy, as this process. Ends computed under an
 * older policy are recomputed first (issue 6: a policy change recomputes the ends it touches),
 * and a pass sweeps only once they follow the current policy, so nothing goes by a stale end;
 * the withdrawals committed since the last pass end what their rules keep first (S7.3). */
#include <stdio.h>
#include <unistd.h>

#include "../core/error.h"
#include "../core/stats.h"
#include "../http/log.h"
#include "jobs.h"
#include "sweep.h"

#define JOB_MAX_BATCHES 50
/* smaller than the CLI's default: inside `serve` a batch's write transaction should not keep the
 * API's writers waiting long */
#define JOB_BATCH 10000

int tt_job_retention_sweep(struct tt_app *app, tt_time now, void *cls);

int tt_job_retention_sweep(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    char holder[96];
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(holder, sizeof holder, "%s:%ld", host, (long)getpid());
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    struct tt_sweep_opts o = {.policy = ref->policy,
                              .at = now,
                              .now = now,
                              .batch = JOB_BATCH,
                              .max_batches = JOB_MAX_BATCHES,
                              .k = TT_STATS_K_DEFAULT,
                              .holder = holder,
                              .actor = "system"};
    int64_t moved = 0;
    int more = 0;
    int rc = tt_retention_recompute_pending(app->store, &o, &moved, &more);
    if (moved)
        tt_jobs_note(moved);
    /* S7.3: withdrawals since the last pass end what their rules keep, before the sweep */
    if (rc == 0) {
        moved = 0;
        rc = tt_retention_withdrawals(app->store, &o, &moved);
        if (moved)
            tt_jobs_note(moved);
    }
    if (rc == 0 && !more) {
        struct tt_sweep_report r;
        rc = tt_sweep_run(app->store, &o, &r);
        tt_jobs_note(r.deleted);
        tt_sweep_report_free(&r);
    }
    tt_app_policy_release(ref);
    return rc;
}

void tt_retention_policy_reloaded(struct tt_app *app, tt_time now)
{
    int rc = tt_jobs_run_once(app, "retention.sweep", now);
    if (rc < 0 && rc != -TT_E_CONFLICT && rc != -TT_E_UNAVAILABLE)
        tt_log(TT_LOG_WARN,
               "retention recomputation after the policy reload failed; the next"
               " sweep pass retries it",
               TT_LOG_S("error", tt_err_message(-rc)));
}
