/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_job.h — the recipients.reevaluate job of `tutela serve` (jobs_recipients.inc): S5.2
 * re-evaluation of every tenant's registry against the adequacy list beside the current policy,
 * daily (a decision's end date passing) and at once after a policy reload. */
#ifndef TT_JOBS_RECIPIENTS_JOB_H
#define TT_JOBS_RECIPIENTS_JOB_H

#include "../api/app.h"

/* One pass at now (the job table's entry). 0 or a negative tt_err code. */
int tt_job_recipients_reevaluate(struct tt_app *app, tt_time now, void *cls);
/* After a policy reload (SIGHUP): runs one pass now; failures are logged, the daily pass
 * retries. */
void tt_recipients_policy_reloaded(struct tt_app *app, tt_time now);

#endif
