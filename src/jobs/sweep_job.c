/* SPDX-License-Identifier: Apache-2.0 */
/* sweep_job.c — the retention.sweep job of `tutela serve` (jobs_retention.inc): one bounded pass
 * of the sweep at the scheduler's time, under the current policy, as this process. */
#include <stdio.h>
#include <unistd.h>

#include "../core/error.h"
#include "../core/stats.h"
#include "jobs.h"
#include "sweep.h"

#define JOB_MAX_BATCHES 50

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
                              .max_batches = JOB_MAX_BATCHES,
                              .k = TT_STATS_K_DEFAULT,
                              .holder = holder,
                              .actor = "system"};
    struct tt_sweep_report r;
    int rc = tt_sweep_run(app->store, &o, &r);
    tt_sweep_report_free(&r);
    tt_app_policy_release(ref);
    return rc;
}
