/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_demo.c — `tutela demo seed`: synthetic data for trying tutela and for benchmarks. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/clock.h"
#include "context.h"
#include "demo.h"

static int usage(FILE *to)
{
    fprintf(to, "usage: tutela demo seed [--customers N] [--end-users M] [--messages K] "
                "[--seed S] [--db URL] [--master-key PATH] [--policy PATH]\n"
                "  N customer tenants (default 3), M end users in each (default 20), K message\n"
                "  records in all (default 200), spread over the policy's services (S3.5).\n");
    return to == stdout ? TT_EXIT_OK : TT_EXIT_USAGE;
}

static int parse_count(const char *flag, const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 0 || v > 1000000000LL) {
        fprintf(stderr, "tutela demo seed: %s needs a count from 0 to 1000000000\n", flag);
        return -1;
    }
    *out = v;
    return 0;
}

int tt_cmd_demo(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "seed") != 0)
        return usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
    argc--;
    argv++;
    struct tt_demo_opts opts = {
        .customers = 3, .end_users = 20, .messages = 200, .progress = isatty(STDERR_FILENO)};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0)
            return usage(stdout);
    }
    struct tt_cli_ctx ctx;
    int rc = tt_cli_open(&ctx, "demo seed", TT_NEED_STORE | TT_NEED_POLICY | TT_CREATE_MASTER,
                         &argc, argv);
    if (rc != 0)
        return rc;
    for (int i = 1; i < argc; i += 2) {
        int64_t *dst = NULL;
        if (strcmp(argv[i], "--customers") == 0)
            dst = &opts.customers;
        else if (strcmp(argv[i], "--end-users") == 0)
            dst = &opts.end_users;
        else if (strcmp(argv[i], "--messages") == 0)
            dst = &opts.messages;
        else if (strcmp(argv[i], "--seed") == 0)
            dst = (int64_t *)&opts.seed;
        if (!dst || i + 1 >= argc) {
            fprintf(stderr, "tutela demo seed: unexpected argument '%s'\n", argv[i]);
            tt_cli_close(&ctx);
            return usage(stderr);
        }
        if (parse_count(argv[i], argv[i + 1], dst) != 0) {
            tt_cli_close(&ctx);
            return TT_EXIT_USAGE;
        }
    }
    struct tt_clock clock = {.now = tt_clock_system_now, .offset = ctx.cfg.clock_offset};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct tt_demo_stats st = {0};
    int created = 0;
    rc = tt_cli_ensure_platform(ctx.store, tt_now(&clock), &created);
    if (rc == 0)
        rc = tt__demo_seed(ctx.store, ctx.policy, ctx.master, tt_now(&clock), &opts, &st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    tt_cli_close(&ctx);
    if (rc != 0) {
        fprintf(stderr, "tutela demo seed: the store failed; completed batches are kept\n");
        return TT_EXIT_FAIL;
    }
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("seeded %" PRId64 " tenants, %" PRId64 " subjects, %" PRId64 " identities, %" PRId64
           " records in %.2f s (%.0f records/s)\n",
           st.tenants, st.subjects, st.identities, st.records, secs,
           secs > 0 ? (double)st.records / secs : 0.0);
    return TT_EXIT_OK;
}
