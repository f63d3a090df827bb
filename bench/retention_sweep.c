/* SPDX-License-Identifier: Apache-2.0 */
/* retention_sweep.c — issue 6 benchmarks, each beside its baseline in the same run:
 * (1) the sweep of N expired message records out of 2N (statistics fold, per-batch audit,
 *     horizons included) in rows/s, beside a raw SQLite DELETE of the same rows with the same
 *     indexes on an identical copy of the database; goals >= 300,000 rows/s, within 1.5x;
 * (2) set-based retention-end recomputation after a policy change on the N records left
 *     (goal: < 60 s at 10M), beside one raw SQLite UPDATE of the same ends on the copy;
 * each with the process's CPU time beside its wall time. N = 1M by default;
 * BENCH_SCALE=full 10M, BENCH_SCALE=small 100k; argv[1] = N; BENCH_KEEP=1 keeps the databases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/policy.h"
#include "jobs/sweep.h"
#include "store/store.h"
#include "../tests/support/tt_tmp.h"

#define AT 1800000000LL
#define PER_SUBJECT 100
#define SWEEP_BUDGET_S 45.0
#define BATCH 250000 /* rows per sweep transaction and per recomputation page */

static double secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: the machine is shared, so wall time alone mixes in other work */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
    fprintf(stderr, "bench_retention: %s\n", what);
    return 1;
}

static int seed(struct tt_store *s, long n)
{
    struct tt_store_conn *c = tt_store_acquire(s);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_tenant t = {.kind = TT_TENANT_CUSTOMER, .created_at = 1};
    snprintf(t.id, sizeof t.id, "ten_bench");
    snprintf(t.name, sizeof t.name, "bench");
    int rc = ops->tenant_put(c, &t) == TT_QS_ONE ? 0 : -1;
    long subjects = 2 * n / PER_SUBJECT;
    uint8_t blob[40] = {0};
    long rec = 0;
    for (long i = 0; rc == 0 && i < subjects; i++) {
        if (i % 2000 == 0 && ops->begin(c) != TT_QS_ONE)
            rc = -1;
        struct tt_subject sub = {
            .kind = TT_SUBJECT_END_USER, .retention_until = AT + 86400, .created_at = 1};
        snprintf(sub.tenant_id, sizeof sub.tenant_id, "ten_bench");
        snprintf(sub.id, sizeof sub.id, "sub_%08ld", i);
        snprintf(sub.jurisdiction, sizeof sub.jurisdiction, "%s", i % 3 ? "NL" : "DE");
        if (ops->subject_put(c, &sub) != TT_QS_ONE)
            rc = -1;
        for (int k = 0; rc == 0 && k < PER_SUBJECT; k++, rec++) {
            struct tt_record r = {.legal_basis = TT_BASIS_CONTRACT,
                                  .collected_at = AT - 200 * 86400 + (rec % 86400),
                                  .retention_until = k % 2 ? AT - 3600 : AT + 86400,
                                  .created_at = 1,
                                  .value_enc = blob,
                                  .value_enc_len = sizeof blob};
            snprintf(r.tenant_id, sizeof r.tenant_id, "ten_bench");
            snprintf(r.id, sizeof r.id, "rec_%010ld", rec);
            snprintf(r.subject_id, sizeof r.subject_id, "%s", sub.id);
            snprintf(r.service, sizeof r.service, k % 4 < 2 ? "sms" : "voice");
            snprintf(r.data_category, sizeof r.data_category, "user.comms.traffic_data");
            snprintf(r.purpose, sizeof r.purpose, "essential.service");
            snprintf(r.source, sizeof r.source, "direct");
            if (ops->record_put(c, &r) != TT_QS_ONE)
                rc = -1;
        }
        if (rc == 0 && (i % 2000 == 1999 || i == subjects - 1) && ops->commit(c) != TT_QS_ONE)
            rc = -1;
    }
    tt_store_release(c);
    return rc;
}

int main(int argc, char **argv)
{
    const char *scale = getenv("BENCH_SCALE");
    long n = scale && strcmp(scale, "full") == 0    ? 10000000L
             : scale && strcmp(scale, "small") == 0 ? 100000L
                                                    : 1000000L;
    if (argc > 1)
        n = strtol(argv[1], NULL, 10);
    if (n < PER_SUBJECT)
        return die("N too small");
    char dir[64];
    if (!tt_tmpdir("/tmp/tt_bench_ret_", dir, sizeof dir))
        return die("mkdtemp");
    char url[128], path[96], raw[96];
    snprintf(path, sizeof path, "%s/s.db", dir);
    snprintf(raw, sizeof raw, "%s/raw.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    printf("## retention (issue 6): N = %ld expired of %ld message records (scale %s)\n", n, 2 * n,
           scale ? scale : "default");
    struct tt_store *s = NULL;
    struct tt_policy *p = NULL;
    char err[512];
    if (tt_store_open(url, 1, 1, &s, err, sizeof err) != 0 ||
        tt_policy_load("policy/default.yaml", &p, err) != 0)
        return die(err);
    double t0 = secs();
    if (seed(s, n) != 0)
        return die("seeding failed");
    tt_store_close(s);
    printf("seeded in %.1f s\n", secs() - t0);

    /* the baseline: an identical copy, one raw DELETE of the same rows, same indexes */
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return die("open");
    char sql[256];
    snprintf(sql, sizeof sql, "VACUUM INTO '%s'", raw);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return die(sqlite3_errmsg(db));
    sqlite3_close(db);
    if (sqlite3_open(raw, &db) != SQLITE_OK)
        return die("open raw");
    /* the store's settings, and the 32 MiB page cache its bulk passes use */
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;"
                 " PRAGMA cache_size=-32768;",
                 NULL, NULL, NULL);
    t0 = secs();
    double c0 = cpu();
    snprintf(sql, sizeof sql,
             "DELETE FROM records WHERE tenant_id = 'ten_bench' AND retention_until > 0"
             " AND retention_until <= %lld",
             AT);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return die(sqlite3_errmsg(db));
    double raw_s = secs() - t0, raw_cpu = cpu() - c0;
    long raw_rows = (long)sqlite3_changes(db);
    /* the recomputation's baseline: one raw UPDATE of every remaining end, same indexes */
    t0 = secs();
    c0 = cpu();
    if (sqlite3_exec(db,
                     "UPDATE records SET retention_until = collected_at + 15811200"
                     " WHERE tenant_id = 'ten_bench'",
                     NULL, NULL, NULL) != SQLITE_OK)
        return die(sqlite3_errmsg(db));
    double raw_upd_s = secs() - t0, raw_upd_cpu = cpu() - c0;
    long raw_upd_rows = (long)sqlite3_changes(db);
    sqlite3_close(db);

    if (tt_store_open(url, 1, 0, &s, err, sizeof err) != 0)
        return die(err);
    struct tt_sweep_opts o = {.policy = p,
                              .at = AT,
                              .now = AT,
                              .batch = BATCH,
                              .k = 5,
                              .holder = "bench",
                              .actor = "bench"};
    /* bounded: batches until done or SWEEP_BUDGET_S, the rate measured on what was swept */
    struct tt_sweep_report r;
    long swept = 0;
    int rc = 0, stopped = 0;
    o.max_batches = 1;
    t0 = secs();
    c0 = cpu();
    for (;;) {
        rc = tt_sweep_run(s, &o, &r);
        long d = (long)r.deleted;
        int more = r.more;
        tt_sweep_report_free(&r);
        if (rc != 0)
            return die("sweep failed");
        swept += d;
        if (!more && d == 0)
            break;
        if (secs() - t0 > SWEEP_BUDGET_S) {
            stopped = 1;
            break;
        }
    }
    double sweep_s = secs() - t0, sweep_cpu = cpu() - c0;
    if (!stopped && swept != raw_rows)
        return die("the sweep deleted a different number of rows than the raw DELETE");
    double rate = (double)swept / sweep_s, raw_rate = (double)raw_rows / raw_s;
    printf(
        "sweep (fold + delete + horizons + audit): %ld rows in %.2f s (cpu %.2f s) = %.0f rows/s%s"
        " | raw SQLite DELETE: %ld rows in %.2f s (cpu %.2f s) = %.0f rows/s | ratio %.2fx"
        " (cpu %.2fx; goals >= 300000 rows/s, <= 1.5x)\n",
        swept, sweep_s, sweep_cpu, rate, stopped ? " (time budget reached)" : "", raw_rows, raw_s,
        raw_cpu, raw_rate, raw_rate / rate,
        (sweep_cpu / (double)swept) / (raw_cpu / (double)raw_rows));

    /* recomputation after a policy change: every remaining record's end from the rules */
    struct tt_store_conn *c = tt_store_acquire(s);
    tt_store_ops_of(c)->setting_put(c, "bench", "x"); /* warm the connection */
    tt_store_release(c);
    t0 = secs();
    c0 = cpu();
    int64_t changed = 0;
    o.max_batches = 0;
    rc = tt_retention_recompute(s, &o, "ten_bench", NULL, &changed);
    double rc_s = secs() - t0, rc_cpu = cpu() - c0;
    if (rc != 0)
        return die("recompute failed");
    printf("recompute after a policy change (set-based): %ld records in %.2f s (cpu %.2f s) ="
           " %.0f records/s, %lld ends moved | raw SQLite UPDATE: %ld rows in %.2f s (cpu %.2f s)"
           " = %.0f rows/s | ratio %.2fx (cpu %.2fx) | projected at 10M: %.0f s (raw UPDATE %.0f s;"
           " goal < 60 s)\n",
           n, rc_s, rc_cpu, (double)n / rc_s, (long long)changed, raw_upd_rows, raw_upd_s,
           raw_upd_cpu, (double)raw_upd_rows / raw_upd_s, rc_s / raw_upd_s, rc_cpu / raw_upd_cpu,
           rc_s * 1e7 / (double)n, raw_upd_s * 1e7 / (double)raw_upd_rows);
    tt_store_close(s);
    tt_policy_free(p);
    if (getenv("BENCH_KEEP")) { /* the databases, for a look at the plans */
        fprintf(stderr, "bench_retention: kept %s\n", dir);
        return 0;
    }
    snprintf(sql, sizeof sql, "rm -rf '%s'", dir);
    return system(sql) == 0 ? 0 : 1;
}
