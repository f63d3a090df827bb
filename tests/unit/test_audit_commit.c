/* SPDX-License-Identifier: Apache-2.0 */
/* test_audit_commit.c — the audit group commit (S6.3; issue 3) on a real SQLite store file:
 * events submitted from many threads at once are all written, chained intact, in fewer
 * transactions than events; a bad event fails alone and leaves the others written; the chain
 * tail kept for a transaction's events is current (issue 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>

#include "api/audit.h"
#include "api/audit_commit.h"
#include "core/error.h"
#include "../support/tt_tmp.h"

#define THREADS 8
#define PER_THREAD 40
#define AT0 1800000000

static char dir[64];

static struct tt_store *open_store(const char *name)
{
    char url[160], err[256] = "";
    struct tt_store *s = NULL;
    snprintf(url, sizeof url, "sqlite:%s/%s.db", dir, name);
    assert_int_equal(tt_store_open(url, 2, 1, &s, err, sizeof err), 0);
    return s;
}

struct verdicts {
    struct tt_audit_chain r[4];
    int n;
};

static int collect(void *cls, const struct tt_audit_chain *r)
{
    struct verdicts *v = cls;
    if (v->n < 4)
        v->r[v->n++] = *r;
    return 0;
}

struct worker {
    struct tt_store *store;
    int id;
    int failed;
};

static void *submit_many(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        struct tt_audit_pending ev = {0};
        json_t *d = json_pack("{s:i, s:i}", "thread", w->id, "n", i);
        tt_audit_pending_set(&ev, w->id % 2 ? "ten_a" : "ten_b", AT0 + i, "key_1",
                             "decision.denied", "sub_x", d);
        json_decref(d);
        if (tt_audit_submit_wait(w->store, &ev) != 0)
            w->failed++;
    }
    return NULL;
}

static void concurrent_events_share_commits_and_chain_intact(void **state)
{
    (void)state;
    struct tt_store *s = open_store("many");
    pthread_t th[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){s, i, 0};
        pthread_create(&th[i], NULL, submit_many, &w[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failed, 0);
    }
    unsigned long batches = 0, events = 0;
    tt_store_group_counts(s, &batches, &events);
    printf("audit group commit: %lu events in %lu transactions\n", events, batches);
    assert_int_equal(events, THREADS * PER_THREAD);
    assert_true(batches < events); /* eight waiting threads: some commits carry several */
    struct verdicts v = {0};
    assert_int_equal(tt_audit_verify(s, NULL, collect, &v), 0);
    assert_int_equal(v.n, 2);
    for (int i = 0; i < v.n; i++) {
        assert_int_equal(v.r[i].broken, TT_LEDGER_OK);
        assert_int_equal(v.r[i].events, THREADS / 2 * PER_THREAD);
    }
    tt_store_close(s);
}

/* A batch with one bad event (an actor that is not UTF-8) is retried event by event. */
struct outcome {
    int rc, calls;
};

static void note(struct tt_audit_pending *ev, int rc)
{
    struct outcome *o = ev->cls;
    o->rc = rc;
    o->calls++;
}

static void a_bad_event_fails_alone(void **state)
{
    (void)state;
    struct tt_store *s = open_store("bad");
    struct tt_audit_pending ev[5];
    memset(ev, 0, sizeof ev);
    struct outcome out[5] = {{0}};
    for (int i = 0; i < 5; i++) {
        tt_audit_pending_set(&ev[i], "ten_a", AT0 + i, i == 2 ? "key_\xff" : "key_1",
                             "decision.denied", "", NULL);
        ev[i].done = note;
        ev[i].cls = &out[i];
        assert_int_equal(tt_audit_submit(s, &ev[i]), 0);
    }
    tt_store_group_drain(s); /* returns once everything queued was written */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(out[i].calls, 1);
        assert_int_equal(out[i].rc, i == 2 ? -TT_E_STORE : 0);
    }
    struct verdicts v = {0};
    assert_int_equal(tt_audit_verify(s, "ten_a", collect, &v), 0);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.r[0].broken, TT_LEDGER_OK);
    assert_int_equal(v.r[0].events, 4);
    tt_store_close(s);
}

/* Events of one transaction, for two tenants in turn; runs counts how often it ran (a retry
 * would mean a tail was read stale). fail_hard: fails after its events went in. */
struct emitter {
    int runs, fail_hard;
};

static enum tt_qs emit_three(struct tt_store_conn *c, void *cls)
{
    struct emitter *x = cls;
    x->runs++;
    static const char *const tenants[] = {"ten_t", "ten_u", "ten_t"};
    for (int i = 0; i < 3; i++) {
        enum tt_qs qs = tt_audit_emit(c, tenants[i], AT0 + i, "key_1", "decision.denied", "", NULL);
        if (qs < 0)
            return qs;
    }
    return x->fail_hard ? TT_QS_HARD : TT_QS_ONE;
}

static void emit_on(struct tt_store *s, struct emitter *x, enum tt_qs want)
{
    x->runs = 0;
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = tt_store_txn(c, emit_three, x);
    tt_store_release(c);
    if (want == TT_QS_ONE)
        assert_true(qs >= 0);
    else
        assert_int_equal(qs, want);
    assert_int_equal(x->runs, 1); /* no retry: every tail it appended to was the current one */
}

/* The tail a transaction reads is kept for its other events (SQLite: one read per transaction),
 * and forgotten when the transaction ends: a store on the same file (another process, in
 * effect) that moved the tail meanwhile is seen at once, and so is a rolled-back transaction's
 * tail not being there. */
static void a_tail_moved_elsewhere_or_rolled_back_is_seen(void **state)
{
    (void)state;
    struct tt_store *a = open_store("two"), *b = open_store("two");
    struct emitter x = {0};
    emit_on(a, &x, TT_QS_ONE);
    emit_on(b, &x, TT_QS_ONE);
    emit_on(a, &x, TT_QS_ONE);
    x.fail_hard = 1;
    emit_on(a, &x, TT_QS_HARD); /* its three events are rolled back */
    x.fail_hard = 0;
    emit_on(a, &x, TT_QS_ONE);
    emit_on(b, &x, TT_QS_ONE);
    struct verdicts v = {0};
    assert_int_equal(tt_audit_verify(a, NULL, collect, &v), 0);
    assert_int_equal(v.n, 2);
    for (int i = 0; i < v.n; i++) {
        assert_int_equal(v.r[i].broken, TT_LEDGER_OK);
        /* five committed transactions: two events of ten_t and one of ten_u each */
        assert_int_equal(v.r[i].events, strcmp(v.r[i].tenant_id, "ten_t") == 0 ? 10 : 5);
    }
    tt_store_close(b);
    tt_store_close(a);
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    return tt_tmpdir("/tmp/tt_audit_commit_", dir, sizeof dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return tt_tmp_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_events_share_commits_and_chain_intact),
        cmocka_unit_test(a_bad_event_fails_alone),
        cmocka_unit_test(a_tail_moved_elsewhere_or_rolled_back_is_seen),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
