/* SPDX-License-Identifier: Apache-2.0 */
/* test_sq_checkpointer.c — WAL checkpoints off the committing threads (src/store/sqlite/
 * checkpointer.h; issue 4): under a long append by a writer that never pauses the WAL file stays
 * within its cap (RESTART rounds happen, the PASSIVE ones copy in the background), every
 * committed row is in the file after close and the file passes integrity_check; a reader that
 * holds an old snapshot makes a RESTART give up without losing or blocking anything for good;
 * an in-memory store has no checkpointer. SQLite only (the PostgreSQL backend has no WAL file
 * of its own to bound). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/sqlite/checkpointer.h"
#include "store/sqlite/sq.h"
#include "../support/tt_tmp.h"

#define PAGES 64 /* small thresholds, so a short test passes them many times */
#define CAP 512
#define ROWS_PER_TXN 40 /* ~ 20 pages a transaction */
#define TXNS 600

struct fx {
    char dir[256];
    char path[320];
    struct tt_store *s;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "%s/tt_ckpt_", tt_tmp_root());
    assert_non_null(tt_tmpdir(tmpl, f->dir, sizeof f->dir));
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    char err[256] = "";
    assert_int_equal(tt__store_sqlite_open(f->path, 2, 1, &f->s, err, sizeof err), 0);
    struct sq_store *q = (struct sq_store *)f->s;
    assert_non_null(q->ckpt);
    tt__sq_ckpt_set(q->ckpt, PAGES, CAP);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->s)
        tt_store_close(f->s);
    assert_int_equal(tt_tmp_rmtree(f->dir), 0);
    free(f);
    return 0;
}

static sqlite3 *db_of(struct tt_store_conn *c)
{
    return sq_of(c)->db;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* TXNS transactions back to back on one connection (the group commit's writer), each of
 * ROWS_PER_TXN rows of 400 random bytes; returns the largest WAL file seen after a COMMIT. */
static long long append(struct fx *f, sqlite3 *db, int first_txn)
{
    char wal[400];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    long long max = 0;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO bulk (k, v) VALUES (?, randomblob(400))",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (int t = first_txn; t < first_txn + TXNS; t++) {
        exec_ok(db, "BEGIN IMMEDIATE");
        for (int r = 0; r < ROWS_PER_TXN; r++) {
            sqlite3_bind_int64(st, 1, (sqlite3_int64)t * ROWS_PER_TXN + r);
            assert_int_equal(sqlite3_step(st), SQLITE_DONE);
            sqlite3_reset(st);
        }
        exec_ok(db, "COMMIT");
        long long n = file_size(wal);
        if (n > max)
            max = n;
    }
    sqlite3_finalize(st);
    return max;
}

static long long count_rows(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM bulk", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* The WAL's bytes for a number of frames (its header and each frame's). */
static long long wal_bytes(sqlite3 *db, int frames)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long page = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 32 + (long long)frames * (page + 24);
}

static void wal_stays_bounded_under_a_long_append(void **state)
{
    struct fx *f = *state;
    struct sq_store *q = (struct sq_store *)f->s;
    struct tt_store_conn *c = tt_store_acquire(f->s);
    exec_ok(db_of(c), "CREATE TABLE bulk (k INTEGER PRIMARY KEY, v BLOB NOT NULL)");
    long long max = append(f, db_of(c), 0);
    /* the cap, plus the transaction that passed it */
    long long bound = wal_bytes(db_of(c), CAP + 2 * ROWS_PER_TXN);
    tt_store_release(c);
    struct sq_ckpt_counts n;
    tt__sq_ckpt_counts(q->ckpt, &n);
    print_message("passive %lu, restart %lu, busy %lu, max WAL %lld bytes (bound %lld)\n",
                  n.passive, n.restart, n.busy, max, bound);
    assert_true(n.passive > 0);
    assert_true(n.restart > 0); /* TXNS * ~20 pages is many caps: without it the WAL grows */
    assert_true(max <= bound);
    assert_true(n.max_frames <= CAP + 2 * ROWS_PER_TXN);
    tt_store_close(f->s);
    f->s = NULL;
    assert_int_equal(count_rows(f->path), (long long)TXNS * ROWS_PER_TXN);
    char wal[400];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    assert_int_equal(file_size(wal), 0); /* the last connection checkpointed and removed it */
}

/* A reader holding a snapshot from before the append: RESTART cannot wait it out, gives up after
 * its busy timeout, and the writer goes on (the WAL grows past the cap meanwhile, as it must: the
 * reader still reads those frames); once the reader ends the WAL is bounded again. */
static void an_old_reader_makes_restart_give_up_not_lose(void **state)
{
    struct fx *f = *state;
    struct sq_store *q = (struct sq_store *)f->s;
    /* a cap of a few transactions' worth: each RESTART that gives up holds the writer for the
     * checkpointer's busy timeout */
    tt__sq_ckpt_set(q->ckpt, 0, 8 * CAP);
    struct tt_store_conn *w = tt_store_acquire(f->s);
    struct tt_store_conn *r = tt_store_acquire(f->s);
    exec_ok(db_of(w), "CREATE TABLE bulk (k INTEGER PRIMARY KEY, v BLOB NOT NULL)");
    exec_ok(db_of(r), "BEGIN");
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db_of(r), "SELECT count(*) FROM bulk", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 0);
    sqlite3_reset(st);
    (void)append(f, db_of(w), 0);
    struct sq_ckpt_counts n;
    tt__sq_ckpt_counts(q->ckpt, &n);
    assert_true(n.busy > 0);
    /* the reader's snapshot is intact */
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 0);
    sqlite3_finalize(st);
    exec_ok(db_of(r), "COMMIT");
    tt_store_release(r);
    unsigned long restarts = n.restart;
    (void)append(f, db_of(w), TXNS);
    tt__sq_ckpt_counts(q->ckpt, &n);
    assert_true(n.restart > restarts);
    tt_store_release(w);
    tt_store_close(f->s);
    f->s = NULL;
    assert_int_equal(count_rows(f->path), 2LL * TXNS * ROWS_PER_TXN);
}

static void an_in_memory_store_has_no_checkpointer(void **state)
{
    (void)state;
    struct tt_store *s = NULL;
    char err[256] = "";
    assert_int_equal(tt__store_sqlite_open(":memory:", 1, 1, &s, err, sizeof err), 0);
    assert_null(((struct sq_store *)s)->ckpt);
    tt_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(wal_stays_bounded_under_a_long_append, setup, teardown),
        cmocka_unit_test_setup_teardown(an_old_reader_makes_restart_give_up_not_lose, setup,
                                        teardown),
        cmocka_unit_test(an_in_memory_store_has_no_checkpointer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
