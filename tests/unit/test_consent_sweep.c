/* SPDX-License-Identifier: Apache-2.0 */
/* test_consent_sweep.c — the S7.5 consent sweep job (src/jobs/consent_sweep.c) on SQLite, and on
 * PostgreSQL when TUTELA_TEST_PG_URL is set (a database of its own, dropped at the end):
 * expired proofs leave and the floor moves, an erased subject's CONSENT key is destroyed with its
 * last proof, kept while one proof remains, a live subject's key is kept, and a rerun changes
 * nothing; and the ledger's batched append (one call per chain run: 32-row INSERTs on SQLite, one
 * unnest() statement on PostgreSQL) keeps the chain linear and verifiable, refusing a run that does
 * not follow the tail (nothing written) or is not linked (issue 4, issue 9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/app.h"
#include "core/consent.h"
#include "jobs/jobs.h"
#include "store/consent_store.h"

int tt_job_consent_sweep(struct tt_app *app, tt_time now, void *cls);

#define T "ten_sweep"
#define OLD 100        /* expires_at of the old proofs */
#define NOW 1000       /* the sweep's clock */
#define KEPT 999999999 /* expires_at of a proof still kept */

struct fx {
    struct tt_store *store;
    char path[256]; /* SQLite file, or "" */
    char pg_db[64]; /* PostgreSQL database, or "" */
};

static enum tt_qs seed_txn(struct tt_store_conn *c, void *cls)
{
    (void)cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_tenant t = {.id = T, .name = "Sweep BV", .kind = TT_TENANT_CUSTOMER};
    if (ops->tenant_put(c, &t) < 0)
        return TT_QS_HARD;
    /* A erased, last proof old; B live, last proof old; C erased, one old and one kept proof */
    static const char *const ids[] = {"sub_a", "sub_b", "sub_c"};
    for (int i = 0; i < 3; i++) {
        struct tt_subject s = {.kind = TT_SUBJECT_END_USER, .jurisdiction = "NL"};
        snprintf(s.id, sizeof s.id, "%s", ids[i]);
        snprintf(s.tenant_id, sizeof s.tenant_id, T);
        s.erased_at = i == 1 ? 0 : 50;
        if (ops->subject_put(c, &s) != TT_QS_ONE)
            return TT_QS_HARD;
        struct tt_subject_key k = {.key_class = TT_KEYCLASS_CONSENT, .master_key_id = "mk_test"};
        snprintf(k.tenant_id, sizeof k.tenant_id, T);
        snprintf(k.subject_id, sizeof k.subject_id, "%s", ids[i]);
        randombytes_buf(k.wrapped, sizeof k.wrapped);
        k.wrapped_len = sizeof k.wrapped;
        k.created_at = 10;
        if (ops->subject_key_put(c, &k) != TT_QS_ONE)
            return TT_QS_HARD;
    }
    static const char *const ev_subject[] = {"sub_a", "", "sub_b", "sub_c", "sub_c"};
    struct tt_consent_head h;
    enum tt_qs qs = ops->consent->head(c, T, &h);
    if (qs != TT_QS_NONE)
        return TT_QS_HARD;
    uint8_t prev[TT_LEDGER_HASH_BYTES];
    for (int i = 0; i < 5; i++) {
        struct tt_consent_event e;
        memset(&e, 0, sizeof e);
        snprintf(e.tenant_id, sizeof e.tenant_id, T);
        snprintf(e.id, sizeof e.id, "cev_%d", i);
        snprintf(e.subject_id, sizeof e.subject_id, "%s", ev_subject[i]);
        if (!ev_subject[i][0])
            snprintf(e.cookie_id, sizeof e.cookie_id, "cookie0123456789ab");
        snprintf(e.target_kind, sizeof e.target_kind, "purpose");
        snprintf(e.target, sizeof e.target, "marketing.communications.email");
        e.action = TT_CONSENT_GRANT;
        snprintf(e.method, sizeof e.method, "api");
        snprintf(e.notice_version, sizeof e.notice_version, "1");
        snprintf(e.language, sizeof e.language, "en");
        e.at = 20 + i;
        e.expires_at = i == 4 ? KEPT : OLD;
        if (tt_consent_link(i, i ? prev : NULL, &e) < 0 ||
            ops->consent->append(c, (const struct tt_consent_event *[]){&e}, 1) != TT_QS_ONE)
            return TT_QS_HARD;
        memcpy(prev, e.hash, sizeof prev);
    }
    return TT_QS_ONE;
}

static char *pg_url_with_db(const char *base, const char *db)
{
    const char *host = strstr(base, "://");
    const char *slash = host ? strchr(host + 3, '/') : NULL;
    const char *query = slash ? strchr(slash, '?') : NULL;
    size_t head = slash ? (size_t)(slash - base) : strlen(base);
    char *out = malloc(512);
    snprintf(out, 512, "%.*s/%s%s", (int)head, base, db, query ? query : "");
    return out;
}

static void pg_admin(const char *sql)
{
    PGconn *c = PQconnectdb(getenv("TUTELA_TEST_PG_URL"));
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int open_fx(void **state, int pg)
{
    struct fx *f = calloc(1, sizeof *f);
    char url[512], err[256] = "";
    if (pg) {
        const char *base = getenv("TUTELA_TEST_PG_URL");
        if (!base || !*base) {
            free(f);
            *state = NULL;
            return 0;
        }
        snprintf(f->pg_db, sizeof f->pg_db, "tt_consent_sweep_%ld", (long)getpid());
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->pg_db);
        pg_admin(sql);
        char *u = pg_url_with_db(base, f->pg_db);
        snprintf(url, sizeof url, "%s", u);
        free(u);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(f->path, sizeof f->path, "%s/tt_consent_sweep_%ld.db", tmp && *tmp ? tmp : "/tmp",
                 (long)getpid());
        unlink(f->path);
        snprintf(url, sizeof url, "sqlite:%s", f->path);
    }
    if (tt_store_open(url, 2, 1, &f->store, err, sizeof err) != 0)
        fail_msg("open: %s", err);
    struct tt_store_conn *c = tt_store_acquire(f->store);
    assert_int_equal(tt_store_txn(c, seed_txn, NULL), TT_QS_ONE);
    tt_store_release(c);
    *state = f;
    return 0;
}

static int setup_sqlite(void **state)
{
    return open_fx(state, 0);
}

static int setup_pg(void **state)
{
    return open_fx(state, 1);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (!f)
        return 0;
    tt_store_close(f->store);
    if (f->path[0]) {
        char side[300];
        unlink(f->path);
        snprintf(side, sizeof side, "%s-wal", f->path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", f->path);
        unlink(side);
    }
    if (f->pg_db[0]) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->pg_db);
        pg_admin(sql);
    }
    free(f);
    return 0;
}

static tt_time destroyed_at(struct tt_store *s, const char *subject)
{
    struct tt_store_conn *c = tt_store_acquire(s);
    struct tt_subject_key k;
    assert_int_equal(tt_store_ops_of(c)->subject_key_get(c, T, subject, TT_KEYCLASS_CONSENT, &k),
                     TT_QS_ONE);
    tt_store_release(c);
    return k.destroyed_at;
}

static int count_cb(void *cls, const struct tt_consent_event *e)
{
    (void)e;
    (*(int *)cls)++;
    return 0;
}

static int head_cb(void *cls, const struct tt_consent_head *h)
{
    *(struct tt_consent_head *)cls = *h;
    return 0;
}

static void erased_subjects_consent_key_ends_with_its_last_proof(void **state)
{
    struct fx *f = *state;
    if (!f)
        skip();
    struct tt_app app;
    memset(&app, 0, sizeof app);
    app.store = f->store;
    assert_int_equal(tt_job_consent_sweep(&app, NOW, NULL), 0);

    assert_int_equal(destroyed_at(f->store, "sub_a"), NOW); /* erased, no proof left */
    assert_int_equal(destroyed_at(f->store, "sub_b"), 0);   /* live: keeps its key */
    assert_int_equal(destroyed_at(f->store, "sub_c"), 0);   /* erased, one proof still kept */
    struct tt_store_conn *c = tt_store_acquire(f->store);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_subject_key k;
    assert_int_equal(ops->subject_key_get(c, T, "sub_a", TT_KEYCLASS_CONSENT, &k), TT_QS_ONE);
    static const uint8_t zero[sizeof k.wrapped];
    assert_memory_equal(k.wrapped, zero, sizeof zero); /* nothing left to unwrap */
    int left = 0;
    assert_true(ops->consent->scan(c, T, count_cb, &left) >= 0);
    assert_int_equal(left, 1);
    struct tt_consent_head h;
    memset(&h, 0, sizeof h);
    assert_true(ops->consent->head_list(c, head_cb, &h) >= 0);
    assert_int_equal(h.seq, 5);
    assert_int_equal(h.floor_seq, 4);
    tt_store_release(c);

    /* a rerun finds nothing due and changes nothing */
    assert_int_equal(tt_job_consent_sweep(&app, NOW + 10, NULL), 0);
    assert_int_equal(destroyed_at(f->store, "sub_a"), NOW);
    assert_int_equal(destroyed_at(f->store, "sub_c"), 0);

    /* once C's last proof expires, its key goes too */
    assert_int_equal(tt_job_consent_sweep(&app, KEPT, NULL), 0);
    assert_int_equal(destroyed_at(f->store, "sub_c"), KEPT);
    assert_int_equal(destroyed_at(f->store, "sub_b"), 0);
}

#define RUN 70 /* two 32-row statements and 6 single rows on SQLite */

struct run {
    struct tt_consent_event ev[RUN];
    const struct tt_consent_event *p[RUN];
    size_t n;
};

/* Links n events after (seq, hash). */
static void make_run(struct run *r, size_t n, int64_t seq, const uint8_t *hash)
{
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        struct tt_consent_event *e = &r->ev[i];
        memset(e, 0, sizeof *e);
        snprintf(e->tenant_id, sizeof e->tenant_id, T);
        snprintf(e->id, sizeof e->id, "cev_run_%lld_%zu", (long long)seq, i);
        snprintf(e->cookie_id, sizeof e->cookie_id, "cookie0123456789%04zu", i);
        snprintf(e->target_kind, sizeof e->target_kind, "cookies");
        snprintf(e->target, sizeof e->target, "banner");
        e->action = i % 3 ? TT_CONSENT_GRANT : TT_CONSENT_WITHDRAW;
        snprintf(e->method, sizeof e->method, "banner");
        snprintf(e->notice_version, sizeof e->notice_version, "2022.1");
        snprintf(e->choices, sizeof e->choices, "marketing=%zu;quote=\"\\", i % 2);
        e->at = 50 + (tt_time)i;
        e->expires_at = KEPT;
        static const uint8_t sealed[] = {0, 1, 2, '"', '\\', 0xff};
        e->evidence = i % 2 ? sealed : NULL;
        e->evidence_len = i % 2 ? sizeof sealed : 0;
        assert_int_equal(
            tt_consent_link(i ? r->ev[i - 1].seq : seq, i ? r->ev[i - 1].hash : hash, e), 0);
        r->p[i] = e;
    }
}

static enum tt_qs append_txn(struct tt_store_conn *c, void *cls)
{
    struct run *r = cls;
    struct tt_consent_head h;
    enum tt_qs qs = tt_store_ops_of(c)->consent->head(c, T, &h);
    if (qs < 0)
        return qs;
    qs = tt_store_ops_of(c)->consent->append(c, r->p, r->n);
    return qs == TT_QS_ONE ? qs : qs == TT_QS_NONE ? TT_QS_NONE : TT_QS_HARD;
}

static int verify_cb(void *cls, const struct tt_consent_event *e)
{
    return tt_consent_verifier_feed(cls, e) != TT_LEDGER_OK;
}

/* The seeded chain's head (5 proofs), and a run of RUN events linked after it (the caller frees
 * it). */
static struct run *run_after_seed(struct tt_store_conn *c, struct tt_consent_head *h)
{
    memset(h, 0, sizeof *h);
    assert_true(tt_store_ops_of(c)->consent->head_list(c, head_cb, h) >= 0);
    assert_int_equal(h->seq, 5);
    struct run *r = calloc(1, sizeof *r);
    assert_non_null(r);
    make_run(r, RUN, h->seq, h->hash);
    return r;
}

static void batched_append_keeps_one_verifiable_chain(void **state)
{
    struct fx *f = *state;
    if (!f)
        skip();
    struct tt_store_conn *c = tt_store_acquire(f->store);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_consent_head h;
    struct run *r = run_after_seed(c, &h);
    assert_int_equal(tt_store_txn(c, append_txn, r), TT_QS_ONE);

    /* a run that does not follow the tail (linked after seq 3), and one whose links break */
    struct run *stale = calloc(1, sizeof *stale);
    make_run(stale, 4, 3, h.hash);
    struct run *broken = calloc(1, sizeof *broken);
    make_run(broken, 4, RUN + 5, r->ev[RUN - 1].hash);
    broken->ev[2].prev_hash[0] ^= 1;
    assert_int_equal(tt_store_txn(c, append_txn, stale), TT_QS_NONE);
    assert_true(tt_store_txn(c, append_txn, broken) < 0);

    int n = 0;
    assert_true(ops->consent->scan(c, T, count_cb, &n) >= 0);
    assert_int_equal(n, 5 + RUN);
    assert_true(ops->consent->head_list(c, head_cb, &h) >= 0);
    assert_int_equal(h.seq, 5 + RUN);
    assert_memory_equal(h.hash, r->ev[RUN - 1].hash, sizeof h.hash);
    struct tt_ledger_verifier v;
    tt_ledger_verifier_init(&v, T);
    assert_true(ops->consent->scan(c, T, verify_cb, &v) >= 0);
    struct tt_audit_event tail = {.seq = h.seq};
    memcpy(tail.hash, h.hash, sizeof tail.hash);
    assert_int_equal(tt_ledger_verifier_end(&v, &tail), TT_LEDGER_OK);
    assert_int_equal(v.count, 5 + RUN);
    tt_store_release(c);
    free(r);
    free(stale);
    free(broken);
}

static void raw_exec(sqlite3 *db, const char *sql, int want)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != want)
        fail_msg("%s: %d (%s), wanted %d", sql, rc, sqlite3_errmsg(db), want);
}

#define RAW_EVENT(tenant, seq)                                                                     \
    "INSERT INTO consent_events VALUES ('" tenant "', " #seq ", 'cev_x', '', 'c', 'cookies',"      \
    " 'banner', 1, 'banner', '1', '', '', '', 1, 2, NULL, zeroblob(32), zeroblob(32))"

/* SQLite (schema 201, the 32-row INSERTs OR ROLLBACK): a row already at a seq the run takes — in
 * its second 32-row statement, after the first one and the tail's move were written — ends the
 * whole transaction, nothing of the run stays, and the connection goes on; the tenant's deferred
 * foreign key still refuses an event of an unknown tenant, at COMMIT. */
static void a_taken_seq_rolls_the_whole_append_back(void **state)
{
    struct fx *f = *state;
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    raw_exec(raw, "PRAGMA foreign_keys = ON", SQLITE_OK);
    raw_exec(raw, RAW_EVENT(T, 45), SQLITE_OK); /* the tail is at 5: 45 is in the run's way */
    raw_exec(raw, "BEGIN", SQLITE_OK);
    raw_exec(raw, RAW_EVENT("ten_nobody", 1), SQLITE_OK);
    raw_exec(raw, "COMMIT", SQLITE_CONSTRAINT); /* FOREIGN KEY constraint failed */
    raw_exec(raw, "ROLLBACK", SQLITE_OK);

    struct tt_store_conn *c = tt_store_acquire(f->store);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_consent_head h;
    struct run *r = run_after_seed(c, &h);
    assert_true(tt_store_txn(c, append_txn, r) < 0);
    int n = 0;
    assert_true(ops->consent->scan(c, T, count_cb, &n) >= 0);
    assert_int_equal(n, 5 + 1); /* the seeded proofs and the row in the way */
    struct tt_consent_head after;
    assert_true(ops->consent->head_list(c, head_cb, &after) >= 0);
    assert_int_equal(after.seq, 5);
    assert_memory_equal(after.hash, h.hash, sizeof h.hash);
    tt_store_release(c);
    raw_exec(raw, "DELETE FROM consent_events WHERE event_id = 'cev_x'", SQLITE_OK);
    sqlite3_close(raw);
    /* the way cleared, the same run goes in */
    c = tt_store_acquire(f->store);
    assert_int_equal(tt_store_txn(c, append_txn, r), TT_QS_ONE);
    tt_store_release(c);
    free(r);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(
            erased_subjects_consent_key_ends_with_its_last_proof, setup_sqlite, teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(
            erased_subjects_consent_key_ends_with_its_last_proof, setup_pg, teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(batched_append_keeps_one_verifiable_chain,
                                                 setup_sqlite, teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(batched_append_keeps_one_verifiable_chain,
                                                 setup_pg, teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(a_taken_seq_rolls_the_whole_append_back,
                                                 setup_sqlite, teardown, NULL),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
