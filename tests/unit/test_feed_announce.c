/* SPDX-License-Identifier: Apache-2.0 */
/* test_feed_announce.c — on PostgreSQL, a transaction that appends change-feed rows does not
 * notify in itself (a NOTIFY serialises every notifying COMMIT of the cluster, fsync included);
 * its commit is announced after it by the store's announcer (src/store/postgres/pg_announce.c),
 * from a session of its own: a committed transaction (plain or pipelined) wakes another node's
 * listener, a rolled-back one does not, the notification names the writing node, and what was
 * committed just before the store closes is still announced (issue 9). Runs when TUTELA_TEST_DB is
 * a PostgreSQL URL (on a database of its own, so no other suite's notifications come in); SQLite
 * has no notifications (its followers poll) and skips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/jobs_store.h"
#include "store/store.h"
#include "../support/tt_pgdb.h"

#define T0 1764000000

struct fx {
    struct tt_store *s;
    const struct tt_jobs_store_ops *jb;
    char url[512];
    char admin[512]; /* TUTELA_TEST_DB, to drop the database afterwards */
    char db[64];
};

static int setup(void **state)
{
    const char *base = getenv("TUTELA_TEST_DB");
    if (!base || strncmp(base, "postgres", 8) != 0) {
        *state = NULL;
        return 0;
    }
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->admin, sizeof f->admin, "%s", base);
    assert_int_equal(
        tt_pgdb_create(base, "tt_announce", f->db, sizeof f->db, f->url, sizeof f->url), 0);
    char err[256] = "";
    if (tt_store_open(f->url, 2, 1, &f->s, err, sizeof err) != 0)
        fail_msg("open: %s", err);
    struct tt_store_conn *c = tt_store_acquire(f->s);
    f->jb = tt_store_ops_of(c)->jobs;
    struct tt_tenant t = {.kind = TT_TENANT_CUSTOMER, .created_at = T0};
    snprintf(t.id, sizeof t.id, "ten_a");
    snprintf(t.name, sizeof t.name, "A");
    assert_int_equal(tt_store_ops_of(c)->tenant_put(c, &t), TT_QS_ONE);
    tt_store_release(c);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (!f)
        return 0;
    tt_store_close(f->s);
    tt_pgdb_drop(f->admin, f->db);
    free(f);
    return 0;
}

/* A listener for commits of nodes other than `node`, connected and with nothing pending. */
static struct tt_feed_listener *listening(struct fx *f, const char *node)
{
    struct tt_feed_listener *l = f->jb->feed_listen(f->s, node);
    assert_non_null(l);
    assert_int_equal(f->jb->feed_wait(l, 1000), 1); /* connected: "poll at once" */
    while (f->jb->feed_wait(l, 50) != 0) {
    }
    return l;
}

struct append {
    const struct tt_jobs_store_ops *jb;
    const char *node;
    enum tt_qs end; /* what the transaction function returns after its append */
};

static enum tt_qs append_txn(struct tt_store_conn *c, void *cls)
{
    struct append *a = cls;
    enum tt_qs qs = a->jb->feed_append(c, "ten_a", 1, "sub_1", a->node, T0);
    return qs < 0 ? qs : a->end;
}

static void a_committed_append_wakes_another_node(void **state)
{
    struct fx *f = *state;
    if (!f)
        skip();
    struct tt_feed_listener *l = listening(f, "node_b");
    struct tt_store_conn *c = tt_store_acquire(f->s);
    struct append a = {f->jb, "node_a", TT_QS_ONE};
    assert_int_equal(tt_store_txn(c, append_txn, &a), TT_QS_ONE);
    assert_int_equal(f->jb->feed_wait(l, 5000), 1);
    /* a pipelined transaction (the group commits' way) is announced the same */
    assert_int_equal(tt_store_txn_pipelined(c, append_txn, &a), TT_QS_ONE);
    assert_int_equal(f->jb->feed_wait(l, 5000), 1);
    tt_store_release(c);
    f->jb->feed_unlisten(l);
}

/* The application name of the backend that sent the next notification on `channel` of the
 * LISTENing connection pq (waits up to 5 s), into out. */
static void notifier_of(struct fx *f, PGconn *pq, char *out, size_t size)
{
    PGnotify *nf = NULL;
    for (int i = 0; i < 500 && !nf; i++) {
        assert_int_equal(PQconsumeInput(pq), 1);
        if (!(nf = PQnotifies(pq)))
            usleep(10000);
    }
    if (!nf)
        fail_msg("no notification within 5 s");
    char pid[32];
    snprintf(pid, sizeof pid, "%d", nf->be_pid);
    PQfreemem(nf);
    PGconn *q = PQconnectdb(f->url);
    const char *params[] = {pid};
    PGresult *r = PQexecParams(q, "SELECT application_name FROM pg_stat_activity WHERE pid = $1", 1,
                               NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    snprintf(out, size, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(q);
}

/* The notification comes from the announcer's own session, not from the backend that ran the
 * writing transaction (whose COMMIT would then have held the cluster's notification lock). */
static void the_writing_transaction_does_not_notify(void **state)
{
    struct fx *f = *state;
    if (!f)
        skip();
    PGconn *pq = PQconnectdb(f->url);
    PGresult *r = PQexec(pq, "LISTEN tutela_feed");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    struct tt_store_conn *c = tt_store_acquire(f->s);
    struct append a = {f->jb, "node_a", TT_QS_ONE};
    char app[64];
    assert_int_equal(tt_store_txn(c, append_txn, &a), TT_QS_ONE);
    notifier_of(f, pq, app, sizeof app);
    assert_string_equal(app, "tutela-announce");
    assert_int_equal(tt_store_txn_pipelined(c, append_txn, &a), TT_QS_ONE);
    notifier_of(f, pq, app, sizeof app);
    assert_string_equal(app, "tutela-announce");
    tt_store_release(c);
    PQfinish(pq);
}

static void a_rolled_back_append_is_not_announced(void **state)
{
    struct fx *f = *state;
    if (!f)
        skip();
    struct tt_feed_listener *l = listening(f, "node_b");
    struct tt_store_conn *c = tt_store_acquire(f->s);
    struct append a = {f->jb, "node_a", TT_QS_HARD};
    assert_int_equal(tt_store_txn(c, append_txn, &a), TT_QS_HARD);
    assert_int_equal(tt_store_txn_pipelined(c, append_txn, &a), TT_QS_HARD);
    assert_int_equal(f->jb->feed_wait(l, 700), 0);
    /* and the next commit is announced again */
    a.end = TT_QS_ONE;
    assert_int_equal(tt_store_txn(c, append_txn, &a), TT_QS_ONE);
    assert_int_equal(f->jb->feed_wait(l, 5000), 1);
    tt_store_release(c);
    f->jb->feed_unlisten(l);
}

static void the_notification_names_the_writing_node(void **state)
{
    struct fx *f = *state;
    if (!f)
        skip();
    struct tt_feed_listener *self = listening(f, "node_a");
    struct tt_feed_listener *other = listening(f, "node_b");
    struct tt_store_conn *c = tt_store_acquire(f->s);
    struct append a = {f->jb, "node_a", TT_QS_ONE};
    assert_int_equal(tt_store_txn(c, append_txn, &a), TT_QS_ONE);
    tt_store_release(c);
    assert_int_equal(f->jb->feed_wait(other, 5000), 1);
    assert_int_equal(f->jb->feed_wait(self, 700), 0); /* its own commits wake no follower */
    f->jb->feed_unlisten(self);
    f->jb->feed_unlisten(other);
}

/* The announcer sends what is pending before the store closes. */
static void a_commit_just_before_close_is_announced(void **state)
{
    struct fx *f = *state;
    if (!f)
        skip();
    struct tt_feed_listener *l = listening(f, "node_b");
    struct tt_store *s2 = NULL;
    char err[256] = "";
    assert_int_equal(tt_store_open(f->url, 1, 1, &s2, err, sizeof err), 0);
    struct tt_store_conn *c = tt_store_acquire(s2);
    struct append a = {f->jb, "node_a", TT_QS_ONE};
    assert_int_equal(tt_store_txn(c, append_txn, &a), TT_QS_ONE);
    tt_store_release(c);
    tt_store_close(s2);
    assert_int_equal(f->jb->feed_wait(l, 5000), 1);
    f->jb->feed_unlisten(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_committed_append_wakes_another_node, setup, teardown),
        cmocka_unit_test_setup_teardown(the_writing_transaction_does_not_notify, setup, teardown),
        cmocka_unit_test_setup_teardown(a_rolled_back_append_is_not_announced, setup, teardown),
        cmocka_unit_test_setup_teardown(the_notification_names_the_writing_node, setup, teardown),
        cmocka_unit_test_setup_teardown(a_commit_just_before_close_is_announced, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
