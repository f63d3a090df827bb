/* SPDX-License-Identifier: Apache-2.0 */
/* test_txn_group.c — group commit (store.h, tt_store_txn_grouped; issue 9, S6.3): many threads'
 * audited writes share transactions and every one is committed before its caller returns, the
 * tenant's audit chain stays linear, a function that fails alone leaves nothing behind while the
 * others of its batch commit, and (PostgreSQL) a speculative write whose assumption was false —
 * a duplicate, alone or among others of its batch — is found at COMMIT and answered as it
 * really ended, the others committed; a batch commits relaxed only when all its functions are
 * relaxed, and relaxed COMMITs are flushed within the bound (issue 3). Runs against TUTELA_TEST_DB
 * when set (a PostgreSQL URL), else a fresh SQLite file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/audit.h"
#include "store/store.h"
#include "../support/tt_tmp.h"

#define THREADS 8
#define PER_THREAD 25

struct fx {
    struct tt_store *s;
    char dir[256];
    char url[320];
    char tenant[TT_ID_MAX];
};

static unsigned counter;

static void uniq(char *buf, size_t size, const char *prefix)
{
    snprintf(buf, size, "%s%ld_%lx_%u", prefix, (long)getpid(), (unsigned long)time(NULL),
             ++counter);
}

static enum tt_qs put_tenant(struct tt_store_conn *c, void *cls)
{
    struct tt_tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.id, sizeof t.id, "%s", (const char *)cls);
    snprintf(t.name, sizeof t.name, "group commit test");
    t.kind = TT_TENANT_CUSTOMER;
    t.created_at = 1764000000;
    return tt_store_ops_of(c)->tenant_put(c, &t);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tt_test_store_url("tt_group_", f->dir, sizeof f->dir, f->url, sizeof f->url),
                     0);
    char err[256] = "";
    assert_int_equal(tt_store_open(f->url, THREADS, 1, &f->s, err, sizeof err), 0);
    uniq(f->tenant, sizeof f->tenant, "ten_g");
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_true(tt_store_txn(c, put_tenant, f->tenant) >= 0);
    tt_store_release(c);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tt_store_close(f->s);
    if (f->dir[0])
        assert_int_equal(tt_tmp_rmtree(f->dir), 0);
    free(f);
    return 0;
}

/* One audited write: a subject, its key and an audit event naming it (what POST /v1/subjects
 * writes). fail_hard makes it fail after its rows went in: they must not stay. */
struct write {
    const char *tenant;
    char subject[TT_ID_MAX];
    int fail_hard;
    int runs;
};

static enum tt_qs write_txn(struct tt_store_conn *c, void *cls)
{
    struct write *w = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    w->runs++;
    struct tt_subject s;
    memset(&s, 0, sizeof s);
    snprintf(s.tenant_id, sizeof s.tenant_id, "%s", w->tenant);
    snprintf(s.id, sizeof s.id, "%s", w->subject);
    s.kind = TT_SUBJECT_END_USER;
    snprintf(s.jurisdiction, sizeof s.jurisdiction, "NL");
    s.created_at = s.updated_at = 1764000100;
    enum tt_qs qs = ops->subject_put(c, &s);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    struct tt_subject_key k;
    memset(&k, 0, sizeof k);
    snprintf(k.tenant_id, sizeof k.tenant_id, "%s", w->tenant);
    snprintf(k.subject_id, sizeof k.subject_id, "%s", w->subject);
    k.key_class = TT_KEYCLASS_MAIN;
    snprintf(k.master_key_id, sizeof k.master_key_id, "mk_test");
    memset(k.wrapped, 7, sizeof k.wrapped);
    k.wrapped_len = TT_WRAPPED_BYTES;
    k.created_at = 1764000100;
    qs = ops->subject_key_put(c, &k);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    qs = tt_audit_emit(c, w->tenant, 1764000100, "key_test", "subject.create", w->subject, NULL);
    if (qs < 0)
        return qs;
    return w->fail_hard ? TT_QS_HARD : TT_QS_ONE;
}

struct worker {
    struct tt_store *s;
    struct write w[PER_THREAD];
    int ok;
};

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    for (int i = 0; i < PER_THREAD; i++)
        wk->ok += tt_store_txn_grouped(wk->s, write_txn, &wk->w[i]) >= 0;
    return NULL;
}

static int subject_exists(struct tt_store *s, const char *tenant, const char *id)
{
    struct tt_store_conn *c = tt_store_acquire(s);
    struct tt_subject got;
    enum tt_qs qs = tt_store_ops_of(c)->subject_get(c, tenant, id, &got);
    tt_store_release(c);
    return qs == TT_QS_ONE;
}

struct verdict {
    int64_t events;
    int broken;
};

static int verdict_cb(void *cls, const struct tt_audit_chain *r)
{
    struct verdict *v = cls;
    v->events = r->events;
    v->broken = r->broken;
    return 0;
}

static void concurrent_writes_commit_with_a_linear_chain(void **state)
{
    struct fx *f = *state;
    static struct worker wk[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        memset(&wk[t], 0, sizeof wk[t]);
        wk[t].s = f->s;
        for (int i = 0; i < PER_THREAD; i++) {
            wk[t].w[i].tenant = f->tenant;
            snprintf(wk[t].w[i].subject, sizeof wk[t].w[i].subject, "sub_g%d_%d", t, i);
            /* a few fail on purpose, spread over the batches */
            wk[t].w[i].fail_hard = (i % 7 == 3 && t % 3 == 0);
        }
        assert_int_equal(pthread_create(&th[t], NULL, worker_main, &wk[t]), 0);
    }
    int ok = 0, failed = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        ok += wk[t].ok;
        for (int i = 0; i < PER_THREAD; i++) {
            const struct write *w = &wk[t].w[i];
            /* each committed write is there once it returned; a failed one left nothing */
            assert_int_equal(subject_exists(f->s, f->tenant, w->subject), !w->fail_hard);
            failed += w->fail_hard;
        }
    }
    assert_int_equal(ok, THREADS * PER_THREAD - failed);
    assert_true(failed > 0);
    struct verdict v = {0, 1};
    assert_int_equal(tt_audit_verify(f->s, f->tenant, verdict_cb, &v), 0);
    assert_int_equal(v.broken, 0);
    assert_int_equal(v.events, ok); /* one event per committed write, none of a failed one */
}

/* A duplicate subject id: a speculative insert assumed to succeed did not. The caller gets
 * HARD as with tt_store_txn, the first row stays as it was, and the batch's others commit. */
static void a_false_assumption_is_found_before_commit(void **state)
{
    struct fx *f = *state;
    struct write first = {.tenant = f->tenant};
    snprintf(first.subject, sizeof first.subject, "sub_dup");
    assert_true(tt_store_txn_grouped(f->s, write_txn, &first) >= 0);
    assert_int_equal(first.runs, 1); /* alone, its assumptions held: run once */
    struct write again = first;
    again.runs = 0;
    assert_int_equal(tt_store_txn_grouped(f->s, write_txn, &again), TT_QS_HARD);
    struct write other = {.tenant = f->tenant};
    snprintf(other.subject, sizeof other.subject, "sub_after");
    assert_true(tt_store_txn_grouped(f->s, write_txn, &other) >= 0);
    struct verdict v = {0, 1};
    assert_int_equal(tt_audit_verify(f->s, f->tenant, verdict_cb, &v), 0);
    assert_int_equal(v.broken, 0);
    assert_int_equal(v.events, 2);
}

/* The committer's first batch: it says it has started, then holds the committer until the test
 * has queued all its writes, so those are one batch whatever the machine's load. */
static atomic_int slow_started, slow_gate;

static enum tt_qs slow_txn(struct tt_store_conn *c, void *cls)
{
    (void)c;
    (void)cls;
    atomic_store(&slow_started, 1);
    struct timespec ts = {0, 1000 * 1000};
    while (!atomic_load(&slow_gate))
        nanosleep(&ts, NULL);
    return TT_QS_ONE;
}

static void record_qs(void *cls, enum tt_qs qs)
{
    *(enum tt_qs *)cls = qs;
}

/* A duplicate among others in one batch: on PostgreSQL its guarded insert raises and aborts the
 * batch's transaction, COMMIT included (sent in the same round trip); every function then runs
 * alone — the duplicate fails with nothing written, the others commit, the chain stays linear. */
static void a_false_assumption_in_a_batch_fails_alone(void **state)
{
    struct fx *f = *state;
    struct write first = {.tenant = f->tenant};
    snprintf(first.subject, sizeof first.subject, "sub_taken");
    assert_true(tt_store_txn_grouped(f->s, write_txn, &first) >= 0);
    enum tt_qs slow_qs = TT_QS_HARD, qs[6];
    static struct write w[6];
    atomic_store(&slow_started, 0);
    atomic_store(&slow_gate, 0);
    assert_int_equal(tt_store_txn_grouped_async(f->s, slow_txn, NULL, record_qs, &slow_qs), 0);
    struct timespec ms = {0, 1000 * 1000};
    while (!atomic_load(&slow_started))
        nanosleep(&ms, NULL); /* the committer is busy with slow_txn alone */
    for (int i = 0; i < 6; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].tenant = f->tenant;
        snprintf(w[i].subject, sizeof w[i].subject, i == 3 ? "sub_taken" : "sub_b%d", i);
        qs[i] = TT_QS_ONE;
        assert_int_equal(tt_store_txn_grouped_async(f->s, write_txn, &w[i], record_qs, &qs[i]), 0);
    }
    atomic_store(&slow_gate, 1); /* all six queued: they go as the next batch */
    tt_store_group_drain(f->s);
    assert_int_equal(slow_qs, TT_QS_ONE);
    for (int i = 0; i < 6; i++) {
        /* in the batch, then alone; those after the duplicate ran in the batch only where its
         * failure showed at COMMIT (PostgreSQL), not at once (SQLite) */
        if (i <= 3)
            assert_int_equal(w[i].runs, 2);
        else
            assert_in_range(w[i].runs, 1, 2);
        if (i == 3)
            assert_int_equal(qs[i], TT_QS_HARD);
        else
            assert_true(qs[i] >= 0 && subject_exists(f->s, f->tenant, w[i].subject));
    }
    struct verdict v = {0, 1};
    assert_int_equal(tt_audit_verify(f->s, f->tenant, verdict_cb, &v), 0);
    assert_int_equal(v.broken, 0);
    assert_int_equal(v.events, 6); /* the first and the five others, none of the duplicate */
}

struct counts {
    unsigned long relaxed, strict, flushes;
};

static struct counts counts_of(struct tt_store *s)
{
    struct counts c;
    tt_store_group_sync_counts(s, &c.relaxed, &c.strict, &c.flushes);
    return c;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Callbacks of batch_behind_slow: the status, and one more called. */
static atomic_int done_calls;

static void count_done(void *cls, enum tt_qs qs)
{
    *(enum tt_qs *)cls = qs;
    atomic_fetch_add(&done_calls, 1);
}

/* The committer runs slow_txn (relaxed or not) alone, then the four writes queued meanwhile as
 * one batch: w[i] relaxed where relaxed[i]. Returns once all five were told. */
static void batch_behind_slow(struct fx *f, int slow_relaxed, struct write *w, const int *relaxed,
                              struct timespec *released)
{
    enum tt_qs slow_qs = TT_QS_HARD, qs[4];
    atomic_store(&slow_started, 0);
    atomic_store(&slow_gate, 0);
    atomic_store(&done_calls, 0);
    assert_int_equal((slow_relaxed ? tt_store_txn_grouped_async_os : tt_store_txn_grouped_async)(
                         f->s, slow_txn, NULL, count_done, &slow_qs),
                     0);
    struct timespec ms = {0, 1000 * 1000};
    while (!atomic_load(&slow_started))
        nanosleep(&ms, NULL);
    for (int i = 0; i < 4; i++) {
        w[i].tenant = f->tenant;
        qs[i] = TT_QS_HARD;
        assert_int_equal((relaxed[i] ? tt_store_txn_grouped_async_os : tt_store_txn_grouped_async)(
                             f->s, write_txn, &w[i], count_done, &qs[i]),
                         0);
    }
    clock_gettime(CLOCK_MONOTONIC, released);
    atomic_store(&slow_gate, 1);
    while (atomic_load(&done_calls) < 5)
        nanosleep(&ms, NULL);
    assert_int_equal(slow_qs, TT_QS_ONE);
    for (int i = 0; i < 4; i++)
        assert_true(qs[i] >= 0 && subject_exists(f->s, f->tenant, w[i].subject));
}

/* Relaxed group commits (issue 3, S6.3): a shared transaction commits relaxed only when every
 * function in it asked for that — one ordinary function makes the whole COMMIT wait for the
 * disk — and on SQLite the flusher syncs the WAL once the bound after the first relaxed COMMIT
 * has passed, not before (PostgreSQL's WAL writer flushes by itself: no flush of ours). */
static void a_mixed_batch_commits_strict_and_relaxed_ones_are_flushed(void **state)
{
    struct fx *f = *state;
    const unsigned bound_ms = 400;
    int sqlite = strcmp(tt_store_backend(f->s), "sqlite") == 0;
    tt_store_group_set_flush_ms(f->s, bound_ms);
    static struct write w[8];
    memset(w, 0, sizeof w);
    for (int i = 0; i < 8; i++)
        snprintf(w[i].subject, sizeof w[i].subject, "sub_r%d", i);
    struct counts c0 = counts_of(f->s);
    struct timespec released;

    /* slow_txn relaxed, alone: relaxed; three relaxed and one ordinary: strict */
    const int mixed[4] = {1, 1, 0, 1};
    batch_behind_slow(f, 1, w, mixed, &released);
    struct counts c1 = counts_of(f->s);
    assert_int_equal(c1.relaxed - c0.relaxed, 1);
    assert_int_equal(c1.strict - c0.strict, 1);
    assert_int_equal(c1.flushes, c0.flushes); /* the bound has not passed yet */
    if (sqlite) {
        while (counts_of(f->s).flushes == c0.flushes && ms_since(&released) < 10000) {
            struct timespec ms = {0, 2 * 1000 * 1000};
            nanosleep(&ms, NULL);
        }
        double waited = ms_since(&released);
        printf("relaxed COMMIT flushed after %.0f ms (bound %u ms)\n", waited, bound_ms);
        assert_int_equal(counts_of(f->s).flushes, c0.flushes + 1);
        assert_true(waited >= bound_ms * 0.9 && waited < 10000);
    }

    /* slow_txn ordinary: strict; four relaxed: relaxed */
    const int all[4] = {1, 1, 1, 1};
    batch_behind_slow(f, 0, w + 4, all, &released);
    struct counts c2 = counts_of(f->s);
    assert_int_equal(c2.relaxed - c1.relaxed, 1);
    assert_int_equal(c2.strict - c1.strict, 1);
    if (!sqlite)
        assert_int_equal(c2.flushes, 0);
    struct verdict v = {0, 1};
    assert_int_equal(tt_audit_verify(f->s, f->tenant, verdict_cb, &v), 0);
    assert_int_equal(v.broken, 0);
    assert_int_equal(v.events, 8);
}

/* The committer keeps its relaxed connection between relaxed batches, but only while it has
 * work or briefly idle (issue 3): after a run of relaxed writes every connection of the pool
 * can be taken again, and the writes are all there, chained. */
static void a_kept_relaxed_connection_goes_back_to_the_pool(void **state)
{
    struct fx *f = *state;
    static struct write w[16];
    memset(w, 0, sizeof w);
    enum tt_qs qs[16];
    atomic_store(&done_calls, 0);
    for (int i = 0; i < 16; i++) {
        snprintf(w[i].subject, sizeof w[i].subject, "sub_k%d", i);
        w[i].tenant = f->tenant;
        qs[i] = TT_QS_HARD;
        assert_int_equal(tt_store_txn_grouped_async_os(f->s, write_txn, &w[i], count_done, &qs[i]),
                         0);
    }
    struct timespec t0, ms = {0, 1000 * 1000};
    while (atomic_load(&done_calls) < 16)
        nanosleep(&ms, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct tt_store_conn *c[THREADS];
    for (int i = 0; i < THREADS; i++) /* blocks until the committer gave its connection back */
        assert_non_null(c[i] = tt_store_acquire(f->s));
    double waited = ms_since(&t0);
    printf("all %d connections taken %.1f ms after the last relaxed COMMIT\n", THREADS, waited);
    assert_true(waited < 5000);
    for (int i = 0; i < THREADS; i++)
        tt_store_release(c[i]);
    for (int i = 0; i < 16; i++)
        assert_true(qs[i] >= 0 && subject_exists(f->s, f->tenant, w[i].subject));
    /* a strict write after them commits on a connection given back (strict, counted so) */
    struct counts c0 = counts_of(f->s);
    static struct write last;
    memset(&last, 0, sizeof last);
    snprintf(last.subject, sizeof last.subject, "sub_k_strict");
    last.tenant = f->tenant;
    assert_true(tt_store_txn_grouped(f->s, write_txn, &last) >= 0);
    assert_int_equal(counts_of(f->s).strict, c0.strict + 1);
    struct verdict v = {0, 1};
    assert_int_equal(tt_audit_verify(f->s, f->tenant, verdict_cb, &v), 0);
    assert_int_equal(v.broken, 0);
    assert_int_equal(v.events, 17);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(concurrent_writes_commit_with_a_linear_chain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_false_assumption_is_found_before_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(a_false_assumption_in_a_batch_fails_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(a_mixed_batch_commits_strict_and_relaxed_ones_are_flushed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_kept_relaxed_connection_goes_back_to_the_pool, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
