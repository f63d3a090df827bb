/* SPDX-License-Identifier: Apache-2.0 */
/* registry.c — the job table, gathered from each area's jobs_<area>.inc. Each .inc is read twice:
 * with TT_JOB_DECLS defined it declares its job functions, without it yields table entries
 *   #ifdef TT_JOB_DECLS
 *   int tt_job_retention_sweep(struct tt_app *app, tt_time now, void *cls);
 *   #else
 *   {"retention.sweep", 3600, 600, tt_job_retention_sweep, NULL},
 *   #endif */
#include "jobs.h"

#define TT_JOB_DECLS
#include "jobs_accounts.inc"
#include "jobs_consent.inc"
#include "jobs_jobs.inc"
#include "jobs_recipients.inc"
#include "jobs_requests.inc"
#include "jobs_retention.inc"
#include "jobs_subscriptions.inc"
#undef TT_JOB_DECLS

const struct tt_job tt_jobs[] = {
#include "jobs_accounts.inc"
#include "jobs_consent.inc"
#include "jobs_jobs.inc"
#include "jobs_recipients.inc"
#include "jobs_requests.inc"
#include "jobs_retention.inc"
#include "jobs_subscriptions.inc"
    {0},
};
