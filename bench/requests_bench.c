/* SPDX-License-Identifier: Apache-2.0 */
/* requests_bench.c — issue 5 benchmarks, each beside its raw SQLite baseline in the same run, in
 * a store of N background records (default 10M, BENCH_SCALE=small 100k, argv[1] = N):
 * (1) the access export of one subject holding 100,000 records (read, open every sealed value,
 *     export.json + records.csv in a ZIP, sealed and stored) — goal < 1 s — beside a raw
 *     SELECT of the same rows;
 * (2) erasure: how soon a subject is unusable (key destroyed, identities gone, marked erased:
 *     tt_erasure_shred) — goal < 50 ms whatever the store's size — and until its last record
 *     is gone (tt_erasure_run), for a subject of 100 records and for the 100,000-record one,
 *     beside a raw DELETE of the same rows on an identical copy (VACUUM INTO). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "api/app.h"
#include "api/common.h"
#include "api/requests_int.h"
#include "core/vault.h"
#include "jobs/erasure.h"
#include "store/requests_store.h"
#include "store/store.h"
#include "../tests/support/tt_tmp.h"

#define TEN "ten_bench"
#define PER_SUBJECT 100
#define BIG 100000L
#define NOW 1800000000LL

static double secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: beside wall time, since the machine may be shared */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
    fprintf(stderr, "bench_requests: %s\n", what);
    return 1;
}

static tt_time fixed_now(const struct tt_clock *c)
{
    (void)c;
    return NOW;
}

static int put_subject(const struct tt_store_ops *ops, struct tt_store_conn *c,
                       const struct tt_master *m, const char *id, uint8_t key[32])
{
    struct tt_subject s = {.kind = TT_SUBJECT_END_USER, .contract_active = 1, .created_at = NOW};
    snprintf(s.tenant_id, sizeof s.tenant_id, TEN);
    snprintf(s.id, sizeof s.id, "%s", id);
    snprintf(s.jurisdiction, sizeof s.jurisdiction, "NL");
    if (ops->subject_put(c, &s) != TT_QS_ONE)
        return -1;
    if (!key)
        return 0;
    struct tt_subject_key k = {.key_class = TT_KEYCLASS_MAIN, .created_at = NOW};
    snprintf(k.tenant_id, sizeof k.tenant_id, TEN);
    snprintf(k.subject_id, sizeof k.subject_id, "%s", id);
    snprintf(k.master_key_id, sizeof k.master_key_id, "%s", m->id);
    char ad[TT_VALUE_AD_MAX];
    tt_vault_key_new(key);
    tt_vault_key_ad(TEN, id, TT_KEYCLASS_MAIN, ad);
    tt_vault_wrap(m, key, ad, k.wrapped);
    k.wrapped_len = TT_WRAPPED_BYTES;
    if (ops->subject_key_put(c, &k) != TT_QS_ONE)
        return -1;
    /* one email identity, found through the blind index, sealed like the API seals it */
    struct tt_identity i = {.type = TT_IDENT_EMAIL, .created_at = NOW};
    char norm[64];
    uint8_t sealed[64 + TT_SEAL_OVERHEAD];
    snprintf(i.tenant_id, sizeof i.tenant_id, TEN);
    snprintf(i.subject_id, sizeof i.subject_id, "%s", id);
    snprintf(i.id, sizeof i.id, "idn_%s", id + 4);
    snprintf(norm, sizeof norm, "%s@example.com", id + 4);
    tt_vault_blind(m, TEN, i.type, norm, i.blind_hex);
    tt__api_value_ad(TEN, id, i.id, ad);
    tt_vault_seal(key, (const uint8_t *)norm, strlen(norm), ad, sealed);
    i.value_enc = sealed;
    i.value_enc_len = strlen(norm) + TT_SEAL_OVERHEAD;
    return ops->identity_put(c, &i) == TT_QS_ONE ? 0 : -1;
}

/* n records of subject id; sealed under key when given (the subjects measured), else filler */
static int put_records(const struct tt_store_ops *ops, struct tt_store_conn *c, const char *id,
                       long n, long *seq, const uint8_t *key)
{
    uint8_t sealed[64];
    memset(sealed, 0, sizeof sealed);
    for (long k = 0; k < n; k++, (*seq)++) {
        struct tt_record r = {.legal_basis = TT_BASIS_CONTRACT,
                              .collected_at = NOW - 86400,
                              .retention_until = NOW + 180 * 86400,
                              .created_at = NOW};
        snprintf(r.tenant_id, sizeof r.tenant_id, TEN);
        snprintf(r.id, sizeof r.id, "rec_%010ld", *seq);
        snprintf(r.subject_id, sizeof r.subject_id, "%s", id);
        snprintf(r.service, sizeof r.service, k % 4 < 2 ? "sms" : "voice");
        snprintf(r.data_category, sizeof r.data_category, "user.contact.phone_number");
        snprintf(r.purpose, sizeof r.purpose, "essential.service");
        snprintf(r.source, sizeof r.source, "direct");
        char value[24];
        int len = snprintf(value, sizeof value, "+316%08ld", *seq % 100000000L);
        if (key) {
            char ad[TT_VALUE_AD_MAX];
            tt__api_value_ad(TEN, id, r.id, ad);
            tt_vault_seal(key, (const uint8_t *)value, (size_t)len, ad, sealed);
        }
        r.value_enc = sealed;
        r.value_enc_len = (size_t)len + TT_SEAL_OVERHEAD;
        if (ops->record_put(c, &r) != TT_QS_ONE)
            return -1;
        if (*seq % 20000 == 19999 && (ops->commit(c) != TT_QS_ONE || ops->begin(c) != TT_QS_ONE))
            return -1;
    }
    return 0;
}

/* The background store, built fast: n/PER_SUBJECT subjects of PER_SUBJECT records each (no
 * key: filler never read), in one INSERT ... SELECT per table in one transaction on a raw
 * connection — what record_put does row by row would take most of an hour for 10M rows. The
 * rows are those record_put writes (same columns, ids in the same order after the measured). */
static int bulk_fill(const char *path, long n, long first_seq)
{
    sqlite3 *db = NULL;
    char sql[1536];
    snprintf(sql, sizeof sql,
             "PRAGMA synchronous=OFF; PRAGMA cache_size=-400000; BEGIN;"
             " WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < %ld)"
             " INSERT INTO subjects (tenant_id, subject_id, kind, jurisdiction, has_birth_date,"
             " is_child, contract_active, contract_ended_at, restricted, retention_until,"
             " created_at, updated_at, erased_at)"
             " SELECT '%s', printf('sub_%%08d', i), %d, 'NL', 0, 0, 1, 0, 0, 0, %lld, %lld, 0"
             " FROM s;"
             " WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < %ld)"
             " INSERT INTO records (tenant_id, record_id, subject_id, service, data_category,"
             " purpose, legal_basis, source, collected_at, retention_until, value_enc, created_at)"
             " SELECT '%s', printf('rec_%%010d', %ld + i), printf('sub_%%08d', i / %d),"
             " CASE WHEN i %% 4 < 2 THEN 'sms' ELSE 'voice' END, 'user.contact.phone_number',"
             " 'essential.service', %d, 'direct', %lld, %lld, zeroblob(%d), %lld FROM r;"
             " COMMIT; PRAGMA synchronous=FULL;",
             n / PER_SUBJECT - 1, TEN, (int)TT_SUBJECT_END_USER, NOW, NOW, n - 1, TEN, first_seq,
             PER_SUBJECT, (int)TT_BASIS_CONTRACT, NOW - 86400, NOW + 180 * 86400,
             12 + TT_SEAL_OVERHEAD, NOW);
    int rc =
        sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK
            ? 0
            : -1;
    if (rc != 0)
        fprintf(stderr, "bench_requests: bulk fill: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc;
}

static int seed(struct tt_store *s, const struct tt_master *m, const char *path, long n)
{
    struct tt_store_conn *c = tt_store_acquire(s);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_tenant t = {.kind = TT_TENANT_CUSTOMER, .created_at = 1};
    snprintf(t.id, sizeof t.id, TEN);
    snprintf(t.name, sizeof t.name, "bench");
    int rc = ops->tenant_put(c, &t) == TT_QS_ONE && ops->begin(c) == TT_QS_ONE ? 0 : -1;
    long seq = 0;
    uint8_t key[32];
    /* the measured subjects first, through the store, so their rows sit before the others' */
    static const char *const measured[] = {"sub_big", "sub_small"};
    for (int i = 0; rc == 0 && i < 2; i++)
        rc = put_subject(ops, c, m, measured[i], key) ||
             put_records(ops, c, measured[i], i == 0 ? BIG : PER_SUBJECT, &seq, key);
    sodium_memzero(key, sizeof key);
    if (rc == 0 && ops->commit(c) != TT_QS_ONE)
        rc = -1;
    tt_store_release(c);
    return rc == 0 ? bulk_fill(path, n, seq) : rc;
}

/* a request of type for subject, already verified and in progress */
static int put_request(struct tt_store *s, const char *id, const char *subject,
                       enum tt_rq_type type, struct tt_request *out)
{
    struct tt_request r = {.type = type, .channel = TT_RQ_API, .state = TT_RQS_IN_PROGRESS};
    snprintf(r.tenant_id, sizeof r.tenant_id, TEN);
    snprintf(r.id, sizeof r.id, "%s", id);
    snprintf(r.subject_id, sizeof r.subject_id, "%s", subject);
    snprintf(r.rule, sizeof r.rule, "statement");
    snprintf(r.created_by, sizeof r.created_by, "bench");
    snprintf(r.verify_method, sizeof r.verify_method, "controller");
    snprintf(r.outcome, sizeof r.outcome, "{}");
    r.received_at = r.verified_at = r.updated_at = NOW;
    r.due_at = r.original_due_at = NOW + 30 * 86400;
    r.max_due_at = NOW + 90 * 86400;
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = tt_store_ops_of(c)->requests->put(c, &r);
    tt_store_release(c);
    *out = r;
    return qs == TT_QS_ONE ? 0 : -1;
}

/* raw baseline: the same rows read (SELECT) or deleted (DELETE) directly */
static int raw_select(sqlite3 *db, const char *subject, double *s_out, long *rows)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT record_id, service, data_category, purpose, legal_basis,"
                           " source, collected_at, retention_until, value_enc FROM records"
                           " WHERE tenant_id = ?1 AND subject_id = ?2 ORDER BY record_id",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, TEN, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
    double t0 = secs();
    long n = 0, bytes = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        bytes += sqlite3_column_bytes(st, 8);
        n++;
    }
    *s_out = secs() - t0;
    *rows = n;
    sqlite3_finalize(st);
    return bytes > 0 ? 0 : -1;
}

static int raw_delete(sqlite3 *db, const char *subject, double *s_out, long *rows)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "BEGIN; DELETE FROM identities WHERE tenant_id = '%s' AND subject_id = '%s';"
             " DELETE FROM records WHERE tenant_id = '%s' AND subject_id = '%s';",
             TEN, subject, TEN, subject);
    double t0 = secs();
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    *rows = (long)sqlite3_changes(db);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    *s_out = secs() - t0;
    return 0;
}

static long count_records(sqlite3 *db, const char *subject)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE subject_id = '%s'", subject);
    sqlite3_stmt *st = NULL;
    long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Erases subject through request id: ms until unusable, ms until every record is gone. */
static int erase(struct tt_app *app, const char *req_id, const char *subject, double *unusable_ms,
                 double *total_ms)
{
    struct tt_request r;
    if (put_request(app->store, req_id, subject, TT_RQ_ERASURE, &r) != 0)
        return -1;
    double t0 = secs();
    if (tt_erasure_shred(app, TEN, req_id, "bench", NOW) != 0)
        return -1;
    *unusable_ms = (secs() - t0) * 1e3;
    /* unusable indeed: reads refuse it (gone), and its data key is destroyed */
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_subject s;
    struct tt_resp resp;
    uint8_t key[32];
    memset(&resp, 0, sizeof resp);
    int readable = tt__api_subject_load(c, TEN, subject, "subject", &s, &resp) == 0;
    snprintf(s.tenant_id, sizeof s.tenant_id, TEN);
    snprintf(s.id, sizeof s.id, "%s", subject);
    readable |= tt__api_subject_key(app, c, &s, key, &resp) == 0;
    tt_store_release(c);
    if (readable)
        return -1;
    if (tt_erasure_run(app, TEN, req_id, "bench", NOW, &r) != 0 || r.state != TT_RQS_COMPLETED)
        return -1;
    *total_ms = (secs() - t0) * 1e3;
    return 0;
}

int main(int argc, char **argv)
{
    const char *scale = getenv("BENCH_SCALE");
    long n = scale && strcmp(scale, "small") == 0 ? 100000L : 10000000L;
    if (argc > 1)
        n = strtol(argv[1], NULL, 10);
    setvbuf(stdout, NULL, _IOLBF, 0); /* each figure as it comes, through a pipe too */
    if (n < PER_SUBJECT)
        return die("N too small");
    char dir[64];
    if (!tt_tmpdir("/tmp/tt_bench_rq_", dir, sizeof dir) || tt_vault_init() != 0)
        return die("set-up");
    char url[128], path[96], raw[96], err[512];
    snprintf(path, sizeof path, "%s/s.db", dir);
    snprintf(raw, sizeof raw, "%s/raw.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    printf("## requests (issue 5): export of %ld records, erasure, in a store of %ld records "
           "(scale %s)\n",
           BIG, n + BIG + PER_SUBJECT, scale ? scale : "default");
    uint8_t mk[32];
    randombytes_buf(mk, sizeof mk);
    struct tt_master *m = NULL;
    struct tt_store *s = NULL;
    if (tt_vault_master_from_bytes(mk, &m) != 0 || tt_store_open(url, 2, 1, &s, err, sizeof err))
        return die("open");
    double t0 = secs();
    if (seed(s, m, path, n) != 0)
        return die("seeding failed");
    printf("seeded in %.1f s (the %ld background records in one bulk INSERT ... SELECT)\n",
           secs() - t0, n);

    /* the baseline's copy: identical rows and indexes */
    sqlite3 *db = NULL;
    char sql[256];
    snprintf(sql, sizeof sql, "VACUUM INTO '%s'", raw);
    if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL))
        return die("copy");
    sqlite3_close(db);
    if (sqlite3_open(raw, &db) != SQLITE_OK)
        return die("open raw");
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL);

    struct tt_app app;
    memset(&app, 0, sizeof app);
    app.store = s;
    app.master = m;
    app.clock.now = fixed_now;
    tt_app_init(&app, NULL, NULL);

    /* (1) export */
    double raw_sel_s = 0;
    long raw_rows = 0;
    if (raw_select(db, "sub_big", &raw_sel_s, &raw_rows) != 0 || raw_rows != BIG)
        return die("raw select");
    struct tt_request r;
    if (put_request(s, "req_benchexport", "sub_big", TT_RQ_ACCESS, &r) != 0)
        return die("request");
    struct tt_store_conn *c = tt_store_acquire(s);
    struct tt_resp resp;
    memset(&resp, 0, sizeof resp);
    char token[64];
    t0 = secs();
    double c0 = cpu();
    int rc = tt__rq_export(&app, c, &r, "bench", NOW, token, sizeof token, &resp);
    double export_s = secs() - t0, export_cpu = cpu() - c0;
    tt_store_release(c);
    if (rc != 0)
        return die(resp.detail[0] ? resp.detail : "export failed");
    printf("export of one subject (%ld records: open each value, JSON + CSV, ZIP, seal, store): "
           "%.3f s (%.3f s CPU) | raw SQLite SELECT of the same rows: %.3f s | ratio %.1fx "
           "(goal < 1 s CPU)\n",
           BIG, export_s, export_cpu, raw_sel_s, export_s / raw_sel_s);

    /* (2) erasure: the typical subject, then the big one; raw DELETEs on the copy */
    static const struct {
        const char *subject, *req;
        long records;
    } cases[] = {{"sub_small", "req_benchsmall", PER_SUBJECT}, {"sub_big", "req_benchbig", BIG}};
    int ok = export_cpu < 1.0; /* CPU: the machine is shared; wall time printed beside it */
    for (int i = 0; i < 2; i++) {
        double unusable_ms = 0, total_ms = 0, raw_s = 0;
        long rows = 0;
        if (raw_delete(db, cases[i].subject, &raw_s, &rows) != 0 || rows != cases[i].records)
            return die("raw delete");
        if (erase(&app, cases[i].req, cases[i].subject, &unusable_ms, &total_ms) != 0)
            return die("erasure failed");
        sqlite3 *check = NULL;
        if (sqlite3_open(path, &check) != SQLITE_OK || count_records(check, cases[i].subject) != 0)
            return die("records left after the erasure");
        sqlite3_close(check);
        printf("erasure of a subject with %ld records: unusable after %.1f ms, every record gone "
               "after %.1f ms | raw SQLite DELETE of the same rows: %.1f ms (goal: unusable < 50 "
               "ms)\n",
               cases[i].records, unusable_ms, total_ms, raw_s * 1e3);
        ok &= unusable_ms < 50.0;
    }
    sqlite3_close(db);
    tt_app_fini(&app);
    tt_store_close(s);
    tt_vault_master_free(m);
    char rm[160];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    if (system(rm) != 0)
        fprintf(stderr, "bench_requests: could not remove %s\n", dir);
    printf("goals %s\n", ok ? "met" : "MISSED");
    return 0;
}
