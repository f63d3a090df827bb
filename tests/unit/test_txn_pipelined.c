/* SPDX-License-Identifier: Apache-2.0 */
/* test_txn_pipelined.c — tt_store_txn_pipelined (store.h; issue 9) ends as tt_store_txn would:
 * on PostgreSQL a consent batch's purpose states and change-feed rows go out as one multi-row
 * statement per table (src/store/postgres/pg_batched.h), a state put twice keeps the later one,
 * and a state of a missing subject fails the whole transaction with nothing written (found at
 * COMMIT, then the function run once more unpipelined); an audit chain's tail that a pipelined
 * transaction assumed (the one its store committed last) but another store moved is found and
 * the chain stays linear; a consent event's one-field puts keep the other field and fold per row,
 * and one for an erased subject fails the transaction. Runs against TUTELA_TEST_DB when set (a
 * PostgreSQL URL), else a fresh SQLite file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/jobs_store.h"
#include "store/store.h"
#include "../support/tt_tmp.h"

struct fx {
    struct tt_store *s;
    char dir[256];
    char url[320];
    char tenant[TT_ID_MAX];
    char subject[TT_ID_MAX];
};

/* the fixture's tenant and one subject of it */
static enum tt_qs put_tenant_and_subject(struct tt_store_conn *c, void *cls)
{
    struct fx *f = cls;
    struct tt_tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.id, sizeof t.id, "%s", f->tenant);
    snprintf(t.name, sizeof t.name, "pipelined test");
    t.kind = TT_TENANT_CUSTOMER;
    t.created_at = 1764000000;
    enum tt_qs qs = tt_store_ops_of(c)->tenant_put(c, &t);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    struct tt_subject s;
    memset(&s, 0, sizeof s);
    snprintf(s.tenant_id, sizeof s.tenant_id, "%s", f->tenant);
    snprintf(s.id, sizeof s.id, "%s", f->subject);
    s.kind = TT_SUBJECT_END_USER;
    snprintf(s.jurisdiction, sizeof s.jurisdiction, "NL");
    s.created_at = s.updated_at = 1764000100;
    qs = tt_store_ops_of(c)->subject_put(c, &s);
    return qs == TT_QS_NONE ? TT_QS_HARD : qs;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(
        tt_test_store_url("tt_pipelined_", f->dir, sizeof f->dir, f->url, sizeof f->url), 0);
    char err[256] = "";
    assert_int_equal(tt_store_open(f->url, 2, 1, &f->s, err, sizeof err), 0);
    static unsigned n;
    long tag = ((long)getpid() << 20) ^ ((long)time(NULL) * 64 + (long)++n);
    snprintf(f->tenant, sizeof f->tenant, "ten_pl%lx", tag);
    snprintf(f->subject, sizeof f->subject, "sub_pl%lx", tag);
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_true(tt_store_txn(c, put_tenant_and_subject, f) >= 0);
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

/* What a consent batch writes per event: a purpose state and a feed row. */
struct batch {
    struct fx *f;
    const char *missing; /* a subject id that does not exist, given a state too (NULL: none) */
    int runs;
};

static enum tt_qs put_state(struct tt_store_conn *c, const char *tenant, const char *subject,
                            const char *purpose, enum tt_consent_state consent, tt_time at)
{
    struct tt_purpose_state ps;
    memset(&ps, 0, sizeof ps);
    snprintf(ps.tenant_id, sizeof ps.tenant_id, "%s", tenant);
    snprintf(ps.subject_id, sizeof ps.subject_id, "%s", subject);
    snprintf(ps.purpose, sizeof ps.purpose, "%s", purpose);
    ps.consent = consent;
    ps.updated_at = at;
    enum tt_qs qs = tt_store_ops_of(c)->purpose_state_put(c, &ps);
    if (qs <= 0) /* NONE: no such subject */
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    qs = tt_store_ops_of(c)->jobs->feed_append(c, tenant, 3, subject, "node_test", at);
    return qs == TT_QS_NONE ? TT_QS_HARD : qs;
}

static enum tt_qs batch_txn(struct tt_store_conn *c, void *cls)
{
    struct batch *b = cls;
    b->runs++;
    const char *t = b->f->tenant, *s = b->f->subject;
    enum tt_qs qs;
    if ((qs = put_state(c, t, s, "marketing.email", TT_CONSENT_GIVEN, 1764000200)) < 0 ||
        (qs = put_state(c, t, s, "product.news", TT_CONSENT_GIVEN, 1764000200)) < 0 ||
        (qs = put_state(c, t, s, "marketing.email", TT_CONSENT_WITHDRAWN, 1764000201)) < 0)
        return qs;
    if (b->missing &&
        (qs = put_state(c, t, b->missing, "marketing.email", TT_CONSENT_GIVEN, 1764000202)) < 0)
        return qs;
    return TT_QS_ONE;
}

struct states {
    enum tt_consent_state email, news;
    int email_objection, news_objection;
    tt_time email_at;
    int n;
};

static int collect(void *cls, const struct tt_purpose_state *ps)
{
    struct states *st = cls;
    st->n++;
    if (strcmp(ps->purpose, "marketing.email") == 0) {
        st->email = ps->consent;
        st->email_objection = ps->objection;
        st->email_at = ps->updated_at;
    } else if (strcmp(ps->purpose, "product.news") == 0) {
        st->news = ps->consent;
        st->news_objection = ps->objection;
    }
    return 0;
}

static struct states read_states(struct fx *f)
{
    struct states st = {0};
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_true(tt_store_ops_of(c)->purpose_state_list(c, f->tenant, f->subject, collect, &st) >=
                0);
    tt_store_release(c);
    return st;
}

struct feed_count {
    const char *subject;
    int n;
};

static int count_feed(void *cls, const struct tt_feed_row *r)
{
    struct feed_count *fc = cls;
    fc->n += strcmp(r->subject_id, fc->subject) == 0;
    return 0;
}

/* Feed rows of the subject once at least `least` are visible to readers (a row shows once every
 * older transaction of the database ended: other suites may run beside this one, so wait up to
 * 5 s). */
static int feed_rows(struct fx *f, int least)
{
    struct feed_count fc = {f->subject, 0};
    for (int i = 0; i < 50 && fc.n < least; i++) {
        if (i)
            usleep(100000);
        fc.n = 0;
        struct tt_store_conn *c = tt_store_acquire(f->s);
        assert_true(tt_store_ops_of(c)->jobs->feed_read(c, 0, 0, 10000, count_feed, &fc) >= 0);
        tt_store_release(c);
    }
    return fc.n;
}

static void a_state_put_twice_keeps_the_later_one(void **state)
{
    struct fx *f = *state;
    struct batch b = {f, NULL, 0};
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_txn_pipelined(c, batch_txn, &b), TT_QS_ONE);
    tt_store_release(c);
    assert_int_equal(b.runs, 1); /* no assumption was false */
    struct states st = read_states(f);
    assert_int_equal(st.n, 2);
    assert_int_equal(st.email, TT_CONSENT_WITHDRAWN);
    assert_int_equal(st.email_at, 1764000201);
    assert_int_equal(st.news, TT_CONSENT_GIVEN);
    assert_int_equal(feed_rows(f, 3), 3);
}

static enum tt_qs marker_txn(struct tt_store_conn *c, void *cls)
{
    struct fx *f = cls;
    return tt_store_ops_of(c)->jobs->feed_append(c, f->tenant, 3, f->subject, "node_test",
                                                 1764000300);
}

static void a_state_of_a_missing_subject_fails_the_whole_transaction(void **state)
{
    struct fx *f = *state;
    struct batch b = {f, "sub_nobody_here", 0};
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_txn_pipelined(c, batch_txn, &b), TT_QS_HARD);
    tt_store_release(c);
    /* PostgreSQL: found at COMMIT, then run unpipelined to learn the true status */
    assert_int_equal(b.runs, strcmp(tt_store_backend(f->s), "postgres") == 0 ? 2 : 1);
    struct states st = read_states(f);
    assert_int_equal(st.n, 0); /* nothing of it stayed */
    /* a feed row committed after it: once that one shows, a row of the failed one would too */
    c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_txn(c, marker_txn, f), TT_QS_ONE);
    tt_store_release(c);
    assert_int_equal(feed_rows(f, 1), 1);
}

/* One put of the fixture subject's state: `changes` (types.h), the state the copy it was made
 * from had (consent, objection). */
struct put {
    const char *purpose;
    int changes;
    enum tt_consent_state consent;
    int objection;
};

struct puts {
    struct fx *f;
    const struct put *p;
    size_t n;
    int runs;
};

static enum tt_qs puts_txn(struct tt_store_conn *c, void *cls)
{
    struct puts *b = cls;
    b->runs++;
    for (size_t i = 0; i < b->n; i++) {
        struct tt_purpose_state ps;
        memset(&ps, 0, sizeof ps);
        snprintf(ps.tenant_id, sizeof ps.tenant_id, "%s", b->f->tenant);
        snprintf(ps.subject_id, sizeof ps.subject_id, "%s", b->f->subject);
        snprintf(ps.purpose, sizeof ps.purpose, "%s", b->p[i].purpose);
        ps.changes = b->p[i].changes;
        ps.consent = b->p[i].consent;
        ps.objection = b->p[i].objection;
        ps.updated_at = 1764000400 + (tt_time)i;
        enum tt_qs qs = tt_store_ops_of(c)->purpose_state_put(c, &ps);
        if (qs <= 0)
            return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    return TT_QS_ONE;
}

static enum tt_qs run_puts(struct fx *f, const struct put *p, size_t n, int pipelined, int *runs)
{
    struct puts b = {f, p, n, 0};
    struct tt_store_conn *c = tt_store_acquire(f->s);
    enum tt_qs qs =
        pipelined ? tt_store_txn_pipelined(c, puts_txn, &b) : tt_store_txn(c, puts_txn, &b);
    tt_store_release(c);
    if (runs)
        *runs = b.runs;
    return qs;
}

/* issue 9: a consent event's put changes one field (made from a copy that may be older than the
 * row); in one pipelined transaction (one multi-row statement per kind of put on PostgreSQL) each
 * keeps the other field as stored, and two puts of one row that change both fields write both */
static void one_field_puts_keep_the_other_field_and_fold(void **state)
{
    struct fx *f = *state;
    const struct put before[] = {{"marketing.email", TT_PS_WHOLE, TT_CONSENT_GIVEN, 1},
                                 {"product.news", TT_PS_WHOLE, TT_CONSENT_GIVEN, 0}};
    assert_int_equal(run_puts(f, before, 2, 0, NULL), TT_QS_ONE);
    const struct put batch[] = {{"marketing.email", TT_PS_CONSENT, TT_CONSENT_WITHDRAWN, 0},
                                {"product.news", TT_PS_CONSENT, TT_CONSENT_WITHDRAWN, 0},
                                {"product.news", TT_PS_OBJECTION, TT_CONSENT_GIVEN, 1}};
    int runs = 0;
    assert_int_equal(run_puts(f, batch, 3, 1, &runs), TT_QS_ONE);
    assert_int_equal(runs, 1); /* no assumption was false */
    struct states st = read_states(f);
    assert_int_equal(st.n, 2);
    assert_int_equal(st.email, TT_CONSENT_WITHDRAWN);
    assert_int_equal(st.email_objection, 1); /* kept */
    assert_int_equal(st.email_at, 1764000400);
    assert_int_equal(st.news, TT_CONSENT_WITHDRAWN);
    assert_int_equal(st.news_objection, 1); /* both changed */
}

static enum tt_qs erase_txn(struct tt_store_conn *c, void *cls)
{
    struct fx *f = cls;
    struct tt_subject s;
    enum tt_qs qs = tt_store_ops_of(c)->subject_get(c, f->tenant, f->subject, &s);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    s.erased_at = 1764000500;
    qs = tt_store_ops_of(c)->subject_update(c, &s);
    return qs == TT_QS_NONE ? TT_QS_HARD : qs;
}

/* issue 9: a one-field put for a subject erased meanwhile (the node's index was behind) fails the
 * whole pipelined transaction, and the states stay as they were */
static void a_one_field_put_for_an_erased_subject_fails_the_transaction(void **state)
{
    struct fx *f = *state;
    const struct put before[] = {{"marketing.email", TT_PS_WHOLE, TT_CONSENT_GIVEN, 0}};
    assert_int_equal(run_puts(f, before, 1, 0, NULL), TT_QS_ONE);
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_txn(c, erase_txn, f), TT_QS_ONE);
    tt_store_release(c);
    const struct put batch[] = {{"product.news", TT_PS_WHOLE, TT_CONSENT_GIVEN, 0},
                                {"marketing.email", TT_PS_CONSENT, TT_CONSENT_WITHDRAWN, 0}};
    int runs = 0;
    assert_int_equal(run_puts(f, batch, 2, 1, &runs), TT_QS_HARD);
    assert_int_equal(runs, strcmp(tt_store_backend(f->s), "postgres") == 0 ? 2 : 1);
    struct states st = read_states(f);
    assert_int_equal(st.n, 1); /* the whole-row put of the same transaction is gone too */
    assert_int_equal(st.email, TT_CONSENT_GIVEN);
}

/* One audit event chained on the tail audit_last answers (hash: the seq and a tag). */
struct audit_one {
    struct fx *f;
    int runs;
    int first, chains; /* the chains written: the fixture tenant's (0), then <tenant>_<i> */
};

static void chain_tenant(const struct fx *f, int i, char out[TT_ID_MAX])
{
    if (i == 0)
        snprintf(out, TT_ID_MAX, "%s", f->tenant);
    else
        snprintf(out, TT_ID_MAX, "%.30s_%d", f->tenant, i);
}

static enum tt_qs audit_event(struct tt_store_conn *c, const char *tenant)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_audit_event last, e;
    memset(&last, 0, sizeof last);
    enum tt_qs qs = ops->audit_last(c, tenant, &last);
    if (qs < 0)
        return qs;
    memset(&e, 0, sizeof e);
    snprintf(e.tenant_id, sizeof e.tenant_id, "%s", tenant);
    e.seq = (qs == TT_QS_ONE ? last.seq : 0) + 1;
    e.at = 1764000400 + e.seq;
    snprintf(e.actor, sizeof e.actor, "key_test");
    snprintf(e.action, sizeof e.action, "test.event");
    memcpy(e.prev_hash, last.hash, sizeof e.prev_hash);
    memset(e.hash, 0xa5, sizeof e.hash);
    memcpy(e.hash, &e.seq, sizeof e.seq);
    qs = ops->audit_append(c, &e);
    return qs == TT_QS_NONE ? TT_QS_SOFT : qs; /* NONE: the tail moved meanwhile */
}

static enum tt_qs audit_txn(struct tt_store_conn *c, void *cls)
{
    struct audit_one *x = cls;
    x->runs++;
    enum tt_qs qs = TT_QS_ONE;
    for (int i = x->first; qs >= 0 && i < x->first + (x->chains ? x->chains : 1); i++) {
        char tenant[TT_ID_MAX];
        chain_tenant(x->f, i, tenant);
        qs = audit_event(c, tenant);
    }
    return qs;
}

static int audit_runs_of(struct tt_store *s, struct fx *f, int pipelined, int first, int chains)
{
    struct audit_one x = {f, 0, first, chains};
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs =
        pipelined ? tt_store_txn_pipelined(c, audit_txn, &x) : tt_store_txn(c, audit_txn, &x);
    tt_store_release(c);
    assert_int_equal(qs, TT_QS_ONE);
    return x.runs;
}

static int audit_runs(struct tt_store *s, struct fx *f, int pipelined)
{
    return audit_runs_of(s, f, pipelined, 0, 1);
}

struct chain {
    int64_t n;
    uint8_t prev[32];
    int broken;
};

static int chain_cb(void *cls, const struct tt_audit_event *e)
{
    struct chain *ch = cls;
    ch->broken |= e->seq != ch->n + 1 || memcmp(e->prev_hash, ch->prev, sizeof ch->prev) != 0;
    ch->n = e->seq;
    memcpy(ch->prev, e->hash, sizeof ch->prev);
    return 0;
}

static void an_assumed_audit_tail_moved_elsewhere_is_found(void **state)
{
    struct fx *f = *state;
    int pg = strcmp(tt_store_backend(f->s), "postgres") == 0;
    char err[256] = "";
    struct tt_store *other = NULL; /* a second node on the same database */
    assert_int_equal(tt_store_open(f->url, 1, 1, &other, err, sizeof err), 0);
    assert_int_equal(audit_runs(f->s, f, 1), 1);  /* a new chain: locked and read */
    assert_int_equal(audit_runs(f->s, f, 1), 1);  /* the tail this store committed, assumed */
    assert_int_equal(audit_runs(other, f, 0), 1); /* another writer moves it */
    /* PostgreSQL: the assumed tail is not the chain's; found with the COMMIT, then run again
     * locking and reading it */
    assert_int_equal(audit_runs(f->s, f, 1), pg ? 2 : 1);
    assert_int_equal(audit_runs(f->s, f, 1), 1);           /* locks first for a while */
    assert_int_equal(audit_runs(other, f, 1), pg ? 2 : 1); /* it assumed the tail it wrote */
    assert_int_equal(audit_runs(f->s, f, 0), 1);           /* unpipelined: locks and reads */
    tt_store_close(other);
    struct chain ch = {0};
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_true(tt_store_ops_of(c)->audit_scan(c, f->tenant, 0, 0, chain_cb, &ch) >= 0);
    tt_store_release(c);
    assert_int_equal(ch.broken, 0);
    assert_int_equal(ch.n, 7);
}

/* A transaction that moves more chains than a connection notes (16) leaves no known tail
 * behind that it moved: a chain written alone before is not assumed stale after it. Eight
 * rounds of 17 chains each, so that some chain's slot is not shared (the node keeps one tail
 * per slot, and a shared slot would hide a stale one). */
static void more_chains_than_noted_leave_no_stale_tail(void **state)
{
    struct fx *f = *state;
    for (int r = 0; r < 8; r++) {
        int first = 1 + 17 * r;
        for (int i = first; i < first + 17; i++) { /* each chain's tail known (not its first) */
            assert_int_equal(audit_runs_of(f->s, f, 1, i, 1), 1);
            assert_int_equal(audit_runs_of(f->s, f, 1, i, 1), 1);
        }
        assert_int_equal(audit_runs_of(f->s, f, 1, first, 17), 1); /* all of them at once */
        for (int i = first; i < first + 17; i++)
            assert_int_equal(audit_runs_of(f->s, f, 1, i, 1), 1); /* none assumed stale */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_state_put_twice_keeps_the_later_one, setup, teardown),
        cmocka_unit_test_setup_teardown(one_field_puts_keep_the_other_field_and_fold, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_one_field_put_for_an_erased_subject_fails_the_transaction,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_state_of_a_missing_subject_fails_the_whole_transaction,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(an_assumed_audit_tail_moved_elsewhere_is_found, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(more_chains_than_noted_leave_no_stale_tail, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
