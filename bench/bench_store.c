/* SPDX-License-Identifier: Apache-2.0 */
/* bench_store.c — records written per second through the store interface (sealed values,
 * transactions of 1,000) beside raw SQLite inserts of the same rows into the same schema, in the
 * same run on the same disk. Usage: bench_store [N records] [DIR]. Prints figure, baseline, ratio.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/vault.h"
#include "store/store.h"

#define TXN 1000
#define SUBJECTS 1000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct fill {
    int64_t from, n;
    const uint8_t *key;
    char (*subjects)[TT_ID_MAX];
};

static enum tt_qs put_subjects(struct tt_store_conn *c, void *cls)
{
    struct fill *f = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_tenant t = {.id = "ten_bench", .name = "bench", .kind = TT_TENANT_CUSTOMER};
    if (ops->tenant_put(c, &t) < 0)
        return TT_QS_HARD;
    for (int i = 0; i < SUBJECTS; i++) {
        struct tt_subject s = {.kind = TT_SUBJECT_END_USER, .jurisdiction = "NL"};
        snprintf(s.id, sizeof s.id, "%s", f->subjects[i]);
        snprintf(s.tenant_id, sizeof s.tenant_id, "ten_bench");
        if (ops->subject_put(c, &s) != TT_QS_ONE)
            return TT_QS_HARD;
    }
    return TT_QS_ONE;
}

static enum tt_qs put_records(struct tt_store_conn *c, void *cls)
{
    struct fill *f = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    uint8_t sealed[64 + TT_SEAL_OVERHEAD];
    const char *value = "{\"to\":\"+31612345678\",\"carrier\":\"KPN\",\"segments\":1}";
    size_t len = strlen(value);
    for (int64_t i = f->from; i < f->from + f->n; i++) {
        struct tt_record r = {.legal_basis = TT_BASIS_CONTRACT,
                              .collected_at = 1780000000,
                              .retention_until = 1795000000,
                              .created_at = 1780000000};
        snprintf(r.id, sizeof r.id, "rec_%020" PRId64, i);
        snprintf(r.tenant_id, sizeof r.tenant_id, "ten_bench");
        snprintf(r.subject_id, sizeof r.subject_id, "%s", f->subjects[i % SUBJECTS]);
        snprintf(r.service, sizeof r.service, "sms");
        snprintf(r.data_category, sizeof r.data_category, "user.contact.phone_number");
        snprintf(r.purpose, sizeof r.purpose, "essential.service");
        snprintf(r.source, sizeof r.source, "customer_upload");
        tt_vault_seal(f->key, (const uint8_t *)value, len, r.id, sealed);
        r.value_enc = sealed;
        r.value_enc_len = len + TT_SEAL_OVERHEAD;
        if (ops->record_put(c, &r) != TT_QS_ONE)
            return TT_QS_HARD;
    }
    return TT_QS_ONE;
}

static int raw_sqlite(const char *path, int64_t n, char (*subjects)[TT_ID_MAX], const uint8_t *key)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
                 NULL, NULL, NULL);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO records (tenant_id, record_id, subject_id, service, "
                           "data_category, purpose, legal_basis, source, collected_at, "
                           "retention_until, value_enc, created_at) VALUES "
                           "(?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "raw prepare: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    uint8_t sealed[64 + TT_SEAL_OVERHEAD];
    const char *value = "{\"to\":\"+31612345678\",\"carrier\":\"KPN\",\"segments\":1}";
    size_t len = strlen(value);
    for (int64_t i = 0; i < n; i++) {
        if (i % TXN == 0)
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        char id[TT_ID_MAX];
        snprintf(id, sizeof id, "raw_%020" PRId64, i);
        tt_vault_seal(key, (const uint8_t *)value, len, id, sealed);
        sqlite3_bind_text(st, 1, "ten_bench", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, subjects[i % SUBJECTS], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, "sms", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, "user.contact.phone_number", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, "essential.service", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, TT_BASIS_CONTRACT);
        sqlite3_bind_text(st, 8, "customer_upload", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 9, 1780000000);
        sqlite3_bind_int64(st, 10, 1795000000);
        sqlite3_bind_blob(st, 11, sealed, (int)(len + TT_SEAL_OVERHEAD), SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 12, 1780000000);
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "raw insert: %s\n", sqlite3_errmsg(db));
            break;
        }
        sqlite3_reset(st);
        if (i % TXN == TXN - 1 || i == n - 1)
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    int64_t n = argc > 1 ? strtoll(argv[1], NULL, 10) : 200000;
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    const char *url = getenv("TUTELA_BENCH_DB"); /* e.g. a postgres:// URL; default sqlite */
    if (n <= 0 || tt_vault_init() != 0)
        return 2;
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/bench_store_%d.db", dir, (int)getpid());
    char sqlite_url[600];
    snprintf(sqlite_url, sizeof sqlite_url, "sqlite:%s", path);
    struct tt_store *store;
    if (tt_store_open(url ? url : sqlite_url, 1, 1, &store, err, sizeof err) != 0) {
        fprintf(stderr, "bench_store: %s\n", err);
        return 1;
    }
    char(*subjects)[TT_ID_MAX] = calloc(SUBJECTS, TT_ID_MAX);
    for (int i = 0; i < SUBJECTS; i++)
        tt_id_new("sub_", subjects[i]);
    uint8_t key[TT_KEY_BYTES];
    tt_vault_key_new(key);
    struct fill f = {.key = key, .subjects = subjects};
    struct tt_store_conn *c = tt_store_acquire(store);
    if (tt_store_txn(c, put_subjects, &f) < 0) {
        fprintf(stderr, "bench_store: subjects failed\n");
        return 1;
    }
    double t0 = now_s();
    for (int64_t i = 0; i < n; i += TXN) {
        f.from = i;
        f.n = n - i < TXN ? n - i : TXN;
        if (tt_store_txn(c, put_records, &f) < 0) {
            fprintf(stderr, "bench_store: records failed at %" PRId64 "\n", i);
            return 1;
        }
    }
    double store_s = now_s() - t0;
    tt_store_release(c);
    tt_store_close(store);

    /* the baseline starts from the same state: a fresh file with the same schema and subjects */
    double raw_s = -1;
    char raw_path[600];
    snprintf(raw_path, sizeof raw_path, "%s.raw", path);
    if (!url) {
        char raw_url[700];
        snprintf(raw_url, sizeof raw_url, "sqlite:%s", raw_path);
        if (tt_store_open(raw_url, 1, 1, &store, err, sizeof err) == 0) {
            c = tt_store_acquire(store);
            enum tt_qs qs = tt_store_txn(c, put_subjects, &f);
            tt_store_release(c);
            tt_store_close(store);
            t0 = now_s();
            if (qs >= 0 && raw_sqlite(raw_path, n, subjects, key) == 0)
                raw_s = now_s() - t0;
        }
    }
    double store_rate = (double)n / store_s;
    printf("store record_put (%s, txn %d, sealed): %.0f records/s\n", url ? "given db" : "sqlite",
           TXN, store_rate);
    if (raw_s > 0)
        printf("  baseline raw sqlite3 inserts, same rows: %.0f records/s (ratio %.2f)\n",
               (double)n / raw_s, store_rate / ((double)n / raw_s));
    free(subjects);
    char wal[700];
    const char *files[] = {path, raw_path};
    for (int i = 0; i < 2; i++) {
        unlink(files[i]);
        snprintf(wal, sizeof wal, "%s-wal", files[i]);
        unlink(wal);
        snprintf(wal, sizeof wal, "%s-shm", files[i]);
        unlink(wal);
    }
    return 0;
}
