/* SPDX-License-Identifier: Apache-2.0 */
/* test_store_faults.c — the SQLite backend under faults: allocation failures injected into
 * SQLite, a full disk, a read-only file, a held write lock, and processes migrating at once.
 * Each proves a failed change leaves the store as it was, and that busy means "retry". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/sqlite/sq.h"
#include "store/store.h"
#include "../support/tt_tmp.h"

/* ---- allocation-failure injection (SQLite's own allocator hook) ---- */

static sqlite3_mem_methods real_mem;
static int fail_countdown; /* 0 = off; n = the n-th allocation from now fails */
static int fail_persist;   /* once failed, keep failing */
static int fail_hit;

static void *fault_malloc(int n)
{
    if (fail_countdown > 0 && (--fail_countdown == 0 || fail_hit)) {
        fail_hit = 1;
        fail_countdown = fail_persist ? 1 : 0;
        return NULL;
    }
    return real_mem.xMalloc(n);
}

static void *fault_realloc(void *p, int n)
{
    if (fail_countdown > 0 && (--fail_countdown == 0 || fail_hit)) {
        fail_hit = 1;
        fail_countdown = fail_persist ? 1 : 0;
        return NULL;
    }
    return real_mem.xRealloc(p, n);
}

static void arm(int n, int persist)
{
    fail_hit = 0;
    fail_persist = persist;
    fail_countdown = n;
}

static void disarm(void)
{
    fail_countdown = 0;
    fail_persist = 0;
}

struct fx {
    struct tt_store *s;
    char dir[256];
    char path[300];
    char url[320];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/tt_faults_", tt_tmp_root());
    assert_non_null(tt_tmpdir(prefix, f->dir, sizeof f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
    char err[256] = "";
    assert_int_equal(tt_store_open(f->url, 2, 1, &f->s, err, sizeof err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tt_store_close(f->s);
    assert_int_equal(tt_tmp_rmtree(f->dir), 0);
    free(f);
    return 0;
}

/* One change of several rows in three tables: a tenant, a subject, its consent, records. */
struct change {
    int n_records;
    int calls;
};

static enum tt_qs write_change(struct tt_store_conn *c, void *cls)
{
    struct change *ch = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    ch->calls++;
    struct tt_tenant t = {.id = "ten_f", .name = "Faults", .kind = TT_TENANT_CUSTOMER};
    enum tt_qs qs = ops->tenant_put(c, &t);
    if (qs != TT_QS_ONE)
        return qs < 0 ? qs : TT_QS_HARD;
    struct tt_subject s = {.id = "sub_f", .tenant_id = "ten_f", .jurisdiction = "NL"};
    qs = ops->subject_put(c, &s);
    if (qs != TT_QS_ONE)
        return qs < 0 ? qs : TT_QS_HARD;
    struct tt_purpose_state ps = {
        .tenant_id = "ten_f", .subject_id = "sub_f", .purpose = "analytics", .consent = 1};
    qs = ops->purpose_state_put(c, &ps);
    if (qs != TT_QS_ONE)
        return qs < 0 ? qs : TT_QS_HARD;
    static uint8_t blob[4096];
    for (int i = 0; i < ch->n_records; i++) {
        struct tt_record r = {.tenant_id = "ten_f", .subject_id = "sub_f", .service = "sms"};
        snprintf(r.id, sizeof r.id, "rec_%04d", i);
        r.value_enc = blob;
        r.value_enc_len = sizeof blob;
        qs = ops->record_put(c, &r);
        if (qs != TT_QS_ONE)
            return qs < 0 ? qs : TT_QS_HARD;
    }
    return TT_QS_ONE;
}

/* 1 if the whole change is there, 0 if none of it is; fails the test on anything between. */
static int change_state(struct tt_store *s, int n_records)
{
    struct tt_store_conn *c = tt_store_acquire(s);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_tenant t;
    enum tt_qs tq = ops->tenant_get(c, "ten_f", &t);
    assert_true(tq >= 0);
    struct tt_subject sub;
    enum tt_qs sq = ops->subject_get(c, "ten_f", "sub_f", &sub);
    int64_t n = -1;
    assert_int_equal(ops->record_count(c, "ten_f", &n), TT_QS_ONE);
    tt_store_release(c);
    if (tq == TT_QS_ONE) {
        assert_int_equal(sq, TT_QS_ONE);
        assert_int_equal(n, n_records);
        return 1;
    }
    assert_int_equal(sq, TT_QS_NONE);
    assert_int_equal(n, 0);
    return 0;
}

static void run_oom(struct fx *f, int persist)
{
    int injected = 0;
    for (int n = 1; n < 2000; n++) {
        struct tt_store_conn *c = tt_store_acquire(f->s);
        struct change ch = {.n_records = 3};
        arm(n, persist);
        enum tt_qs qs = tt_store_txn(c, write_change, &ch);
        int hit = fail_hit;
        disarm();
        tt_store_release(c);
        int present = change_state(f->s, 3);
        if (!hit) {
            /* no allocation failed: the change went through, and the walk is over */
            assert_int_equal(qs, TT_QS_ONE);
            assert_int_equal(present, 1);
            assert_true(injected > 10);
            return;
        }
        injected++;
        if (qs == TT_QS_ONE) {
            /* a failure SQLite recovered from internally is fine, if the change is whole */
            assert_int_equal(present, 1);
            /* start over from an empty store for the next step */
            tt_store_close(f->s);
            unlink(f->path);
            char p[320];
            snprintf(p, sizeof p, "%s-wal", f->path);
            unlink(p);
            snprintf(p, sizeof p, "%s-shm", f->path);
            unlink(p);
            char err[256];
            assert_int_equal(tt_store_open(f->url, 2, 1, &f->s, err, sizeof err), 0);
        } else {
            assert_true(qs < 0);
            assert_int_equal(present, 0);
        }
    }
    fail_msg("allocation failures never stopped");
}

static void failed_allocations_leave_the_store_as_it_was(void **state)
{
    run_oom(*state, 0);
}

static void persistent_allocation_failure_leaves_the_store_as_it_was(void **state)
{
    run_oom(*state, 1);
}

static void full_disk_mid_transaction_changes_nothing(void **state)
{
    struct fx *f = *state;
    struct tt_store_conn *c = tt_store_acquire(f->s);
    sqlite3 *db = sq_of(c)->db;
    /* room for the schema and a few pages, not for 64 records of 4 KiB */
    assert_int_equal(sqlite3_exec(db, "PRAGMA max_page_count = 40", NULL, NULL, NULL), SQLITE_OK);
    struct change ch = {.n_records = 64};
    assert_int_equal(tt_store_txn(c, write_change, &ch), TT_QS_HARD);
    assert_int_equal(ch.calls, 1);
    assert_non_null(strstr(sq_of(c)->last_err, "full"));
    assert_int_equal(sqlite3_exec(db, "PRAGMA max_page_count = 1073741823", NULL, NULL, NULL),
                     SQLITE_OK);
    tt_store_release(c);
    assert_int_equal(change_state(f->s, 64), 0);
    /* with room again, the same change goes through */
    c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_txn(c, write_change, &ch), TT_QS_ONE);
    tt_store_release(c);
    assert_int_equal(change_state(f->s, 64), 1);
}

static void read_only_file_refuses_writes_and_keeps_data(void **state)
{
    struct fx *f = *state;
    struct tt_store_conn *c = tt_store_acquire(f->s);
    struct change ch = {.n_records = 2};
    assert_int_equal(tt_store_txn(c, write_change, &ch), TT_QS_ONE);
    tt_store_release(c);

    char url[400], err[256] = "";
    snprintf(url, sizeof url, "sqlite:file:%s?mode=ro", f->path);
    struct tt_store *ro = NULL;
    assert_int_equal(tt_store_open(url, 1, 1, &ro, err, sizeof err), 0);
    c = tt_store_acquire(ro);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_subject s;
    assert_int_equal(ops->subject_get(c, "ten_f", "sub_f", &s), TT_QS_ONE);
    struct tt_subject up = s;
    up.restricted = 1;
    assert_int_equal(ops->subject_update(c, &up), TT_QS_HARD);
    assert_int_equal(ops->setting_put(c, "k", "v"), TT_QS_HARD);
    assert_true(tt_store_txn(c, write_change, &ch) < 0);
    tt_store_release(c);
    tt_store_close(ro);

    assert_int_equal(change_state(f->s, 2), 1);
    c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_ops_of(c)->subject_get(c, "ten_f", "sub_f", &s), TT_QS_ONE);
    assert_int_equal(s.restricted, 0);
    char v[8];
    assert_int_equal(tt_store_ops_of(c)->setting_get(c, "k", v, sizeof v), TT_QS_NONE);
    tt_store_release(c);
}

static void held_write_lock_is_a_soft_error(void **state)
{
    struct fx *f = *state;
    struct tt_store_conn *a = tt_store_acquire(f->s);
    struct tt_store_conn *b = tt_store_acquire(f->s);
    const struct tt_store_ops *ops = tt_store_ops_of(a);
    sqlite3_busy_timeout(sq_of(b)->db, 20);
    assert_true(ops->begin(a) >= 0);
    assert_int_equal(ops->begin(b), TT_QS_SOFT);
    struct change ch = {.n_records = 1};
    assert_int_equal(tt_store_txn(b, write_change, &ch), TT_QS_SOFT);
    assert_int_equal(ch.calls, 0);
    /* readers are not blocked by the writer (WAL) */
    struct tt_tenant t;
    assert_int_equal(ops->tenant_get(b, "ten_f", &t), TT_QS_NONE);
    ops->rollback(a);
    assert_int_equal(tt_store_txn(b, write_change, &ch), TT_QS_ONE);
    sqlite3_busy_timeout(sq_of(b)->db, 5000);
    tt_store_release(b);
    tt_store_release(a);
}

/* The number of migration steps recorded in a SQLite file. */
static int steps_recorded(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(DISTINCT version) FROM schema_migrations",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void processes_migrating_at_once_all_succeed(void **state)
{
    struct fx *f = *state;
    struct tt_store_conn *c = tt_store_acquire(f->s);
    int want = tt_store_ops_of(c)->schema_version(c);
    tt_store_release(c);
    assert_true(want >= 1);
    /* fork only with no other thread alive: the store's checkpointer could hold a lock (ASan's
     * allocator's, seen) that a child, which starts threads of its own, would wait on forever */
    tt_store_close(f->s);
    f->s = NULL;

    char url[400];
    snprintf(url, sizeof url, "sqlite:%s/fresh.db", f->dir);
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t kids[4];
    for (int i = 0; i < 4; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            char b;
            close(go[1]);
            if (read(go[0], &b, 1) != 0)
                _exit(3);
            struct tt_store *s = NULL;
            char err[256];
            if (tt_store_open(url, 2, 1, &s, err, sizeof err) != 0) {
                fprintf(stderr, "migrating process %d: %s\n", i, err);
                _exit(1);
            }
            struct tt_store_conn *k = tt_store_acquire(s);
            int v = tt_store_ops_of(k)->schema_version(k);
            tt_store_release(k);
            tt_store_close(s);
            _exit(v == want ? 0 : 2);
        }
    }
    close(go[0]);
    close(go[1]); /* every child starts now */
    for (int i = 0; i < 4; i++) {
        int st = 0;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    /* every step recorded once: the same steps as the fixture's store, which one process made
     * (versions are per area ranges, so the count is not the highest version) */
    char path[320];
    snprintf(path, sizeof path, "%s/fresh.db", f->dir);
    assert_int_equal(steps_recorded(path), steps_recorded(f->path));
    assert_true(steps_recorded(path) >= 1);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[340];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

int main(void)
{
    /* the hook must be in place before SQLite initialises */
    if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem) != SQLITE_OK)
        return 1;
    sqlite3_mem_methods mem = real_mem;
    mem.xMalloc = fault_malloc;
    mem.xRealloc = fault_realloc;
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mem) != SQLITE_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(failed_allocations_leave_the_store_as_it_was, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(persistent_allocation_failure_leaves_the_store_as_it_was,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(full_disk_mid_transaction_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(read_only_file_refuses_writes_and_keeps_data, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(held_write_lock_is_a_soft_error, setup, teardown),
        cmocka_unit_test_setup_teardown(processes_migrating_at_once_all_succeed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
