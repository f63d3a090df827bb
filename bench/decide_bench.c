/* SPDX-License-Identifier: Apache-2.0 */
/* decide_bench.c — in-process decisions per second on one core with 1M and 10M subjects in the
 * index, and the index's bytes per subject at 10M. The workload (bench/workload.h: purposes,
 * categories, services, subject states) is the one bench/cedar_bench.mjs runs through Cedar;
 * give Cedar's figure with --cedar RATE to print the ratio beside ours. Each size is measured
 * one request at a time (tt_decide) and in batches of 1,000 (tt_decide_batch), per second of
 * this thread's CPU time and per second of wall clock (the two differ on a loaded machine).
 * Usage: decide_bench [--subjects N[,N…]] [--seconds S] [--cedar RATE] [--only one|batch] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/decide.h"
#include "core/index.h"
#include "workload.h"

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Per core means per second of this thread's CPU time: other processes on the machine do not
 * count against us (the wall clock would). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Fills an index with n subjects of WL_TENANT, states as the workload describes. */
static struct tt_index *fill(const struct tt_policy *p, size_t n, double *build_s)
{
    double t0 = seconds_now();
    struct tt_index *ix = NULL;
    if (tt_index_new(n, &ix) != 0 || tt_index_attach_policy(ix, p) != 0) {
        fprintf(stderr, "decide_bench: out of memory\n");
        exit(1);
    }
    char id[TT_ID_MAX], blind[65];
    for (size_t i = 0; i < n; i++) {
        struct wl_subject s;
        wl_subject_of(i, &s);
        wl_subject_id(i, id);
        struct tt_index_subject st = {.tenant_id = WL_TENANT,
                                      .subject_id = id,
                                      .kind = TUTELA_SUBJECT_END_USER,
                                      .jurisdiction = s.jurisdiction,
                                      .is_child = s.child,
                                      .restricted = s.restricted,
                                      .contract_active = s.contract,
                                      .erased = s.erased,
                                      .retention_until = s.retention_until};
        tt_index_upsert(ix, &st);
        for (int k = 0; k < WL_N_PURPOSES; k++)
            if (s.consent[k] || s.objection[k])
                tt_index_set_purpose(ix, WL_TENANT, id, wl_purposes[k].key, s.consent[k],
                                     s.objection[k]);
        wl_blind(i, blind);
        tt_index_add_identity(ix, WL_TENANT, id, TUTELA_IDENT_PHONE, blind);
    }
    *build_s = seconds_now() - t0;
    return ix;
}

#define N_REQ (1u << 20)

#define BATCH 1000

struct rates {
    double cpu, wall; /* decisions per CPU-second of this thread, per wall-clock second */
    double allow_share;
};

/* Decisions per second on this thread over about `secs` seconds of random requests, one at a
 * time (batch 0) or through tt_decide_batch in batches of BATCH. */
static struct rates run(const struct tt_policy *p, const struct tt_index *ix, size_t n, double secs,
                        int batch)
{
    struct tt_decision_request *req = malloc(N_REQ * sizeof *req);
    struct tt_decision *out = malloc(BATCH * sizeof *out);
    char(*ids)[TT_ID_MAX] = malloc((size_t)N_REQ * TT_ID_MAX);
    if (!req || !ids || !out) {
        fprintf(stderr, "decide_bench: out of memory\n");
        exit(1);
    }
    for (unsigned i = 0; i < N_REQ; i++) {
        wl_subject_id(rnd() % n, ids[i]);
        const struct wl_request *w = &wl_requests[rnd() % WL_N_REQUESTS];
        req[i] = (struct tt_decision_request){.tenant_id = WL_TENANT,
                                              .subject_id = ids[i],
                                              .purpose = w->purpose,
                                              .data_category = w->category,
                                              .service = w->service,
                                              .recipient = w->recipient};
    }
    tt_time now = WL_NOW;
    unsigned long done = 0, allowed = 0;
    double t0 = cpu_now(), t = t0, w0 = seconds_now();
    while (t - t0 < secs) {
        if (batch) {
            for (unsigned i = 0; i + BATCH <= N_REQ; i += BATCH) {
                tt_decide_batch(p, ix, now, &req[i], BATCH, out);
                for (unsigned k = 0; k < BATCH; k++)
                    allowed += (unsigned)out[k].allow;
                done += BATCH;
            }
        } else {
            for (unsigned i = 0; i < N_REQ; i++) {
                tt_decide(p, ix, now, &req[i], &out[0]);
                allowed += (unsigned)out[0].allow;
            }
            done += N_REQ;
        }
        t = cpu_now();
    }
    double w = seconds_now() - w0;
    free(req);
    free(out);
    free(ids);
    return (struct rates){.cpu = (double)done / (t - t0),
                          .wall = (double)done / w,
                          .allow_share = (double)allowed / (double)done};
}

static void report(const char *what, const char *label, struct rates r, double cedar)
{
    if (cedar > 0)
        printf("in-process decisions (%s), %s subjects: %.0f decisions/s/core, wall clock %.0f/s "
               "(baseline: cedar-wasm %.0f decisions/s, ratio %.0fx)\n",
               what, label, r.cpu, r.wall, cedar, r.cpu / cedar);
    else
        printf("in-process decisions (%s), %s subjects: %.0f decisions/s/core, wall clock %.0f/s "
               "(baseline: goal 5000000 decisions/s/core, ratio %.2fx)\n",
               what, label, r.cpu, r.wall, r.cpu / 5e6);
}

int main(int argc, char **argv)
{
    const char *sizes = "1000000,10000000";
    const char *only = "";
    double secs = 3.0, cedar = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--subjects") == 0)
            sizes = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0)
            secs = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--only") == 0)
            only = argv[i + 1];
        else if (strcmp(argv[i], "--cedar") == 0)
            cedar = strtod(argv[i + 1], NULL);
    }
    struct tt_policy *p = wl_policy();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", sizes);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        size_t n = strtoul(tok, NULL, 10);
        if (n == 0)
            continue;
        double build_s;
        struct tt_index *ix = fill(p, n, &build_s);
        double bytes = (double)tt_index_memory(ix) / (double)n;
        int do_one = strcmp(only, "batch") != 0, do_batch = strcmp(only, "one") != 0;
        struct rates one = {0}, many = {0};
        if (do_one)
            one = run(p, ix, n, secs, 0);
        if (do_batch)
            many = run(p, ix, n, secs, 1);
        char label[32];
        if (n % 1000000 == 0)
            snprintf(label, sizeof label, "%zuM", n / 1000000);
        else
            snprintf(label, sizeof label, "%zu", n);
        fprintf(stderr, "(%s subjects: index built in %.1f s, %.0f%% of decisions allow)\n", label,
                build_s, (do_one ? one : many).allow_share * 100);
        if (do_one)
            report("one at a time", label, one, cedar);
        if (do_batch)
            report("batches of 1000", label, many, cedar);
        printf("index memory, %s subjects: %.1f bytes/subject (baseline: goal 64 bytes/subject, "
               "ratio %.2fx)\n",
               label, bytes, bytes / 64.0);
        fflush(stdout);
        tt_index_free(ix);
    }
    wl_policy_free(p);
    return 0;
}
