/* SPDX-License-Identifier: Apache-2.0 */
/* test_audit_commit.c — the audit group commit (S6.3; issue 3) on a real SQLite store file:
 * events submitted from many threads at once are all written, chained intact, in fewer
 * transactions than events; a bad event fails alone and leaves the others written; the chain
 * tail kept for a transaction's events is current (issue 3); a denied decision's detail built as
 * text is byte for byte what jansson makes of the same object, and is stored as given. */
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
#include <sqlite3.h>

#include "api/audit.h"
#include "api/audit_commit.h"
#include "api/decisions_int.h"
#include "core/error.h"
#include "../support/tt_audit_chains.h"
#include "../support/tt_tmp.h"

#define THREADS 8
#define PER_THREAD 40
#define AT0 1800000000

static char dir[64];

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
    struct tt_store *s = tt_test_store_open(dir, "many");
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
    struct tt_verdicts v = {0};
    assert_int_equal(tt_audit_verify(s, NULL, tt_verdicts_collect, &v), 0);
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
    struct tt_store *s = tt_test_store_open(dir, "bad");
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
    tt_assert_chain_intact(s, "ten_a", 4);
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
    struct tt_store *a = tt_test_store_open(dir, "two"), *b = tt_test_store_open(dir, "two");
    struct emitter x = {0};
    emit_on(a, &x, TT_QS_ONE);
    emit_on(b, &x, TT_QS_ONE);
    emit_on(a, &x, TT_QS_ONE);
    x.fail_hard = 1;
    emit_on(a, &x, TT_QS_HARD); /* its three events are rolled back */
    x.fail_hard = 0;
    emit_on(a, &x, TT_QS_ONE);
    emit_on(b, &x, TT_QS_ONE);
    struct tt_verdicts v = {0};
    assert_int_equal(tt_audit_verify(a, NULL, tt_verdicts_collect, &v), 0);
    assert_int_equal(v.n, 2);
    for (int i = 0; i < v.n; i++) {
        assert_int_equal(v.r[i].broken, TT_LEDGER_OK);
        /* five committed transactions: two events of ten_t and one of ten_u each */
        assert_int_equal(v.r[i].events, strcmp(v.r[i].tenant_id, "ten_t") == 0 ? 10 : 5);
    }
    tt_store_close(b);
    tt_store_close(a);
}

/* What audit.c stores for the object: the reference the text must equal. */
static char *reference(const size_t per[TT_REASON__COUNT], size_t n, size_t denied, int batch,
                       const char *purpose, const char *version)
{
    json_t *reasons = json_object();
    for (int k = TT_REASON__COUNT - 1; k >= 0; k--) /* inserted backwards: sorting is tested */
        if (per[k])
            json_object_set_new(reasons, tt_reason_name((enum tt_reason)k),
                                json_integer((json_int_t)per[k]));
    json_t *o = json_pack("{s:o, s:I, s:s, s:I}", "reasons", reasons, "items", (json_int_t)n,
                          "policy_version", version, "denied", (json_int_t)denied);
    if (!batch)
        json_object_set_new(o, "purpose", json_string(purpose));
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return text;
}

static void detail_text_equals_jansson_for_every_reason_set(void **state)
{
    (void)state;
    char buf[1024];
    unsigned seed = 7;
    for (uint32_t mask = 0; mask < (1u << TT_REASON__COUNT); mask++) {
        size_t per[TT_REASON__COUNT] = {0}, denied = 0;
        for (int k = 0; k < TT_REASON__COUNT; k++)
            if (mask & (1u << k)) {
                seed = seed * 1103515245u + 12345u;
                per[k] = 1 + (seed >> 8) % 100000;
                denied += per[k];
            }
        int batch = (int)(mask & 1u);
        size_t n = denied + mask % 3;
        const char *version = mask % 5 ? "2026-11-29.3" : "v/1 a:b {x}";
        assert_int_equal(tt__decisions_detail_text(per, n, denied, batch,
                                                   "marketing.communications", version, buf,
                                                   sizeof buf),
                         0);
        char *want = reference(per, n, denied, batch, "marketing.communications", version);
        assert_non_null(want);
        assert_string_equal(buf, want);
        free(want);
    }
}

static void detail_text_refuses_what_it_cannot_write_plainly(void **state)
{
    (void)state;
    char buf[1024];
    size_t per[TT_REASON__COUNT] = {[0] = 2};
    /* escapes and non-ASCII go to jansson */
    assert_int_equal(tt__decisions_detail_text(per, 2, 2, 0, "a\"b", "v1", buf, sizeof buf), -1);
    assert_int_equal(tt__decisions_detail_text(per, 2, 2, 0, "a\\b", "v1", buf, sizeof buf), -1);
    assert_int_equal(tt__decisions_detail_text(per, 2, 2, 0, "p", "v\n", buf, sizeof buf), -1);
    assert_int_equal(tt__decisions_detail_text(per, 2, 2, 0, "caf\xc3\xa9", "v", buf, sizeof buf),
                     -1);
    /* the purpose is not written for a batch */
    assert_int_equal(tt__decisions_detail_text(per, 2, 2, 1, "a\"b", "v1", buf, sizeof buf), 0);
    /* too small a buffer, down to the last byte (the NUL) */
    assert_int_equal(tt__decisions_detail_text(per, 2, 2, 0, "p", "v1", buf, sizeof buf), 0);
    size_t len = strlen(buf);
    char small[160];
    assert_true(len < sizeof small);
    assert_int_equal(tt__decisions_detail_text(per, 2, 2, 0, "p", "v1", small, len), -1);
    assert_int_equal(tt__decisions_detail_text(per, 2, 2, 0, "p", "v1", small, len + 1), 0);
    assert_string_equal(small, buf);
}

static void a_text_detail_is_stored_as_given(void **state)
{
    (void)state;
    struct tt_store *s = tt_test_store_open(dir, "text");
    size_t per[TT_REASON__COUNT] = {[1] = 1};
    char text[256];
    assert_int_equal(tt__decisions_detail_text(per, 1, 1, 0, "storage", "v7", text, sizeof text),
                     0);
    json_t *obj = json_loads(text, 0, NULL);
    assert_non_null(obj);
    struct tt_audit_pending ev[2];
    memset(ev, 0, sizeof ev);
    struct outcome out[2] = {{0}};
    for (int i = 0; i < 2; i++) {
        /* the first as text, the second as the object it parses to */
        tt_audit_pending_set(&ev[i], "ten_a", AT0 + i, "key_1", "decision.denied", "",
                             i ? obj : NULL);
        if (!i)
            ev[i].detail_text = text;
        ev[i].done = note;
        ev[i].cls = &out[i];
        ev[i].os_durable = 1;
        assert_int_equal(tt_audit_submit(s, &ev[i]), 0);
    }
    json_decref(obj);
    tt_store_group_drain(s);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(out[i].calls, 1);
        assert_int_equal(out[i].rc, 0);
    }
    tt_assert_chain_intact(s, "ten_a", 2);
    tt_store_close(s);
    /* read back from the file: both rows carry the same bytes, the text's */
    char path[128];
    snprintf(path, sizeof path, "%s/text.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT detail FROM audit_events WHERE tenant_id = "
                                        "'ten_a' ORDER BY seq",
                                        -1, &st, NULL),
                     SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_string_equal((const char *)sqlite3_column_text(st, 0), text);
        rows++;
    }
    assert_int_equal(rows, 2);
    sqlite3_finalize(st);
    sqlite3_close(db);
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
        cmocka_unit_test(detail_text_equals_jansson_for_every_reason_set),
        cmocka_unit_test(detail_text_refuses_what_it_cannot_write_plainly),
        cmocka_unit_test(a_text_detail_is_stored_as_given),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
