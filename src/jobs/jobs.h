/* SPDX-License-Identifier: Apache-2.0 */
/* jobs.h — background work inside `tutela serve` (and one-shot from the CLI): retention sweeps,
 * deadline watch, outbox delivery, index change feed. Each job runs on its schedule under a lease
 * in the store (jobs area), so with several nodes on one database no run happens twice and a dead
 * node's lease expires and is taken over. A job is idempotent and resumable: it works in batches,
 * each its own transaction, and keeps its cursor in the store. */
#ifndef TT_JOBS_JOBS_H
#define TT_JOBS_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "../api/app.h"

/* Runs one pass of a job at time now. Returns 0 (done for now) or a negative tt_err code (the
 * scheduler logs it once and retries at the next tick). Must not block for long: a pass that has
 * more to do returns 0 after a bounded batch and runs again at the next tick. */
typedef int (*tt_job_fn)(struct tt_app *app, tt_time now, void *cls);

struct tt_job {
    const char *name;    /* "retention.sweep", "outbox.deliver", … */
    unsigned interval_s; /* time between passes */
    unsigned lease_s;    /* how long a node holds the job's lease per pass */
    tt_job_fn fn;
    void *cls;
};

/* Every job, from the per-area lists src/jobs/jobs_<area>.inc (registry.c); NULL name ends it. */
extern const struct tt_job tt_jobs[];

/* Starts the scheduler thread. Returns 0 or a negative code with a reason in err. */
int tt_jobs_start(struct tt_app *app, char *err, size_t err_size);
/* Stops it after the pass in flight; NULL-safe and idempotent. */
void tt_jobs_stop(void);
/* One pass of the named job now, under its lease (CLI, tests). Returns the job's result,
 * -TT_E_NOT_FOUND for an unknown name, -TT_E_CONFLICT when another node holds the lease. */
int tt_jobs_run_once(struct tt_app *app, const char *name, tt_time now);

/* This process's node id ("node_…", random per process, fixed on first use): the holder of its
 * leases and claims, and the writer named in the change feed. Thread safe. */
const char *tt_jobs_node_id(void);
/* A job reports how many items its pass handled (added up; logged and counted by the
 * scheduler). Call from inside a tt_job_fn only. */
void tt_jobs_note(int64_t items);

#endif
