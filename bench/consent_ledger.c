/* SPDX-License-Identifier: Apache-2.0 */
/* consent_ledger.c — durable consent events/s through the ledger's group commit (issue 4): many
 * callers each record one event at a time through tt_consent_submit (chained, sealed evidence,
 * audited, acknowledged only after commit), beside raw SQLite inserts of the same rows with the
 * same durability (WAL, synchronous=FULL) in the same run: one row per transaction, and batched.
 * A group commit can go no faster than (events in flight) / (commit latency) (Little's law): with
 * a commit of ~10-20 ms on this disk, 50,000 events/s needs ~1,000 requests in flight, as a site
 * that busy has; so 1,024 callers by default. A second figure has callers hand over 8 events each
 * (one wake-up per 8: a preference page saving several choices, an import), which shows what the
 * ledger itself sustains when waking a thousand threads per commit is not the cost.
 * Usage: bench_consent_ledger [--seconds S] [--threads N] [--per-call K] [--db URL] (default
 * SQLite in /tmp; TUTELA_BENCH_DB=postgres://… runs the ledger on PostgreSQL; the raw baseline
 * stays SQLite). */
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/consent_int.h"
#include "core/vault.h"
#include "../tests/support/tt_tmp.h"

#define RAW_BATCH 512

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t evidence[160];

static void fill_event(struct tt_consent_event *e, long n)
{
    memset(e, 0, sizeof *e);
    tt_id_new("cev_", e->id);
    snprintf(e->tenant_id, sizeof e->tenant_id, "ten_bench");
    snprintf(e->cookie_id, sizeof e->cookie_id, "cookie%016ld", n);
    snprintf(e->target_kind, sizeof e->target_kind, "cookies");
    snprintf(e->target, sizeof e->target, "banner");
    e->action = n % 3 ? TT_CONSENT_GRANT : TT_CONSENT_WITHDRAW;
    snprintf(e->method, sizeof e->method, "banner");
    snprintf(e->notice_version, sizeof e->notice_version, "2022.1");
    snprintf(e->banner_version, sizeof e->banner_version, "1");
    snprintf(e->language, sizeof e->language, "en");
    snprintf(e->choices, sizeof e->choices,
             "how=custom;functional=1;marketing=0;performance=1;unclassified=0;gpc=0");
    e->at = 1780000000 + n / 1000;
    e->expires_at = e->at + 5 * 366 * 86400;
    e->evidence = evidence;
    e->evidence_len = sizeof evidence;
}

#define PER_CALL_MAX TT_CONSENT_SUBMIT_MAX

struct worker {
    struct tt_store *store;
    double until;
    int per_call; /* events handed to one tt_consent_submit (one wait, one wake-up) */
    long id, done, failed;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    long n = w->id * 100000000L;
    struct tt_consent_write cw[PER_CALL_MAX], *list[PER_CALL_MAX];
    while (now_s() < w->until) {
        for (int i = 0; i < w->per_call; i++) {
            memset(&cw[i], 0, sizeof cw[i]);
            fill_event(&cw[i].ev, n++);
            cw[i].actor = "bench";
            list[i] = &cw[i];
        }
        if (tt_consent_submit(w->store, list, (size_t)w->per_call) == 0)
            w->done += w->per_call;
        else
            w->failed += w->per_call;
    }
    return NULL;
}

static enum tt_qs put_tenant(struct tt_store_conn *c, void *cls)
{
    (void)cls;
    struct tt_tenant t = {.id = "ten_bench", .name = "bench", .kind = TT_TENANT_CUSTOMER};
    return tt_store_ops_of(c)->tenant_put(c, &t) < 0 ? TT_QS_HARD : TT_QS_ONE;
}

static double ledger_rate(const char *url, int threads, int per_call, double seconds, long *failed)
{
    char err[256] = "";
    struct tt_store *store = NULL;
    if (tt_store_open(url, 4, 1, &store, err, sizeof err) != 0) {
        fprintf(stderr, "bench_consent_ledger: %s\n", err);
        exit(1);
    }
    struct tt_store_conn *c = tt_store_acquire(store);
    tt_store_txn(c, put_tenant, NULL);
    tt_store_release(c);
    struct worker *w = calloc((size_t)threads, sizeof *w);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){store, t0 + seconds, per_call, i, 0, 0};
        if (pthread_create(&th[i], &attr, work, &w[i]) != 0) {
            fprintf(stderr, "bench_consent_ledger: cannot start thread %d\n", i);
            exit(1);
        }
    }
    pthread_attr_destroy(&attr);
    long done = 0;
    *failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        done += w[i].done;
        *failed += w[i].failed;
    }
    double rate = (double)done / (now_s() - t0);
    tt_consent_committer_stop(store);
    tt_store_close(store);
    free(w);
    free(th);
    return rate;
}

/* The same rows straight into SQLite: same table shape, WAL, synchronous=FULL. */
static double raw_rate(const char *path, int batch, double seconds)
{
    sqlite3 *db;
    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        exit(1);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE consent_events (tenant_id TEXT NOT NULL, seq BIGINT NOT NULL,"
                 " event_id TEXT NOT NULL, subject_id TEXT NOT NULL, cookie_id TEXT NOT NULL,"
                 " target_kind TEXT NOT NULL, target TEXT NOT NULL, action BIGINT NOT NULL,"
                 " method TEXT NOT NULL, notice_version TEXT NOT NULL, banner_version TEXT NOT"
                 " NULL, language TEXT NOT NULL, choices TEXT NOT NULL, at BIGINT NOT NULL,"
                 " expires_at BIGINT NOT NULL, evidence BLOB, prev_hash BLOB NOT NULL, hash BLOB"
                 " NOT NULL, PRIMARY KEY (tenant_id, seq));",
                 NULL, NULL, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "INSERT INTO consent_events VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, "
                       "?, ?, ?, ?, ?, ?)",
                       -1, &st, NULL);
    uint8_t hash[32] = {1};
    long n = 0;
    double t0 = now_s(), end = t0 + seconds;
    while (now_s() < end) {
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        for (int i = 0; i < batch; i++, n++) {
            struct tt_consent_event e;
            fill_event(&e, n);
            sqlite3_bind_text(st, 1, e.tenant_id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, n + 1);
            sqlite3_bind_text(st, 3, e.id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 4, e.cookie_id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 5, e.target_kind, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 6, e.target, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 7, e.action);
            sqlite3_bind_text(st, 8, e.method, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 9, e.notice_version, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 10, e.banner_version, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 11, e.language, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 12, e.choices, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 13, e.at);
            sqlite3_bind_int64(st, 14, e.expires_at);
            sqlite3_bind_blob(st, 15, evidence, sizeof evidence, SQLITE_STATIC);
            sqlite3_bind_blob(st, 16, hash, sizeof hash, SQLITE_STATIC);
            sqlite3_bind_blob(st, 17, hash, sizeof hash, SQLITE_STATIC);
            sqlite3_step(st);
            sqlite3_reset(st);
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    double rate = (double)n / (now_s() - t0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rate;
}

int main(int argc, char **argv)
{
    double seconds = 5;
    int threads = 1024, per_call = 1;
    const char *url = getenv("TUTELA_BENCH_DB");
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--seconds") == 0)
            seconds = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--per-call") == 0)
            per_call = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--db") == 0)
            url = argv[i + 1];
    }
    if (seconds <= 0 || seconds > 30 || threads < 1 || threads > 4096 || per_call < 1 ||
        per_call > PER_CALL_MAX) {
        fprintf(stderr,
                "usage: bench_consent_ledger [--seconds 1-30] [--threads 1-4096]"
                " [--per-call 1-%d] [--db URL]\n",
                PER_CALL_MAX);
        return 2;
    }
    if (tt_vault_init() != 0)
        return 1;
    randombytes_buf(evidence, sizeof evidence);
    char dir[64];
    if (!tt_tmpdir("/tmp/tt-bench-consent-", dir, sizeof dir))
        return 1;
    char db[128], db8[128], raw[128], sq_url[160], sq_url8[160];
    snprintf(db, sizeof db, "%s/ledger.db", dir);
    snprintf(db8, sizeof db8, "%s/ledger8.db", dir);
    snprintf(raw, sizeof raw, "%s/raw.db", dir);
    snprintf(sq_url, sizeof sq_url, "sqlite:%s", db);
    snprintf(sq_url8, sizeof sq_url8, "sqlite:%s", db8);
    long failed = 0, failed8 = 0;
    double ledger = ledger_rate(url ? url : sq_url, threads, per_call, seconds, &failed);
    int callers8 = threads / 8 > 0 ? threads / 8 : 1;
    double ledger8 =
        per_call == 1 ? ledger_rate(url ? url : sq_url8, callers8, 8, seconds, &failed8) : 0;
    double one = raw_rate(raw, 1, seconds < 3 ? seconds : 3);
    double batched = raw_rate(raw, RAW_BATCH, seconds);
    printf("consent ledger (%s, group commit, %d callers x %d event%s): %.0f durable events/s (%ld "
           "failed)\n",
           url ? "postgres" : "sqlite", threads, per_call, per_call > 1 ? "s" : "", ledger, failed);
    if (per_call == 1)
        printf(
            "consent ledger (%s, group commit, %d callers x 8 events): %.0f durable events/s (%ld "
            "failed)\n",
            url ? "postgres" : "sqlite", callers8, ledger8, failed8);
    printf("raw SQLite, same rows, synchronous=FULL, 1 row/txn: %.0f rows/s  (ledger = %.1fx)\n",
           one, ledger / one);
    printf("raw SQLite, same rows, synchronous=FULL, %d rows/txn: %.0f rows/s  (ledger = %.2f of "
           "it; goal >= 0.5)\n",
           RAW_BATCH, batched, ledger / batched);
    printf("goal: >= 50000 events/s: %s\n", ledger >= 50000 ? "met" : "not met");
    const char *files[] = {db, db8, raw};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char side[160];
        unlink(files[i]);
        snprintf(side, sizeof side, "%s-wal", files[i]);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", files[i]);
        unlink(side);
    }
    rmdir(dir);
    return failed || failed8 ? 1 : 0;
}
