/* SPDX-License-Identifier: Apache-2.0 */
/* demo.h — synthetic, realistic data across the services of S3.5, for `make run` (small) and
 * for benchmarks (millions of records). Writes through the store interface in batches, one
 * transaction per batch; every value sealed under its subject's key like real data. */
#ifndef TT_CLI_DEMO_H
#define TT_CLI_DEMO_H

#include <stdint.h>

#include "../core/policy.h"
#include "../core/vault.h"
#include "../store/store.h"

struct tt_demo_opts {
    int64_t customers; /* customer tenants, each with an account holder subject */
    int64_t end_users; /* end users per customer tenant */
    int64_t messages;  /* message records in all, spread over the end users */
    uint64_t seed;     /* same seed, same data */
    int progress;      /* print a progress line on stderr */
};

struct tt_demo_stats {
    int64_t tenants, subjects, identities, records;
};

/* Seeds the demo data. Returns 0 or a negative tt_err code; on failure the batch in flight is
 * rolled back and earlier batches stay (each is complete on its own). */
int tt__demo_seed(struct tt_store *store, const struct tt_policy *policy,
                  const struct tt_master *master, tt_time now, const struct tt_demo_opts *opts,
                  struct tt_demo_stats *stats);

#endif
