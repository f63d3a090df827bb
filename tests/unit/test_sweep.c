/* SPDX-License-Identifier: Apache-2.0 */
/* test_sweep.c — the retention sweep (issue 6) on a real store (SQLite file, or TUTELA_TEST_DB):
 * expired rows go and others stay, children's rows go first (S10.1), held rows never go (S7.6),
 * statistics cells below k are never published and carry no subject column (S7.8), reruns are
 * idempotent, two holders never sweep one tenant at once, the dry run changes nothing, a contract
 * end moves the ends it touches, and a sweep killed with SIGKILL mid-run leaves no row
 * half-deleted: rerun, and deleted + remaining = inserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/policy.h"
#include "core/retention.h"
#include "core/stats.h"
#include "jobs/sweep.h"
#include "store/retention_store.h"
#include "store/store.h"
#include "../support/tt_records.h"
#include "../support/tt_tmp.h"

#define DAY 86400
#define AT 1800000000 /* the sweep's "now" */

struct fx {
    struct tt_store *s;
    struct tt_policy *p;
    char dir[256];
    char url[320];
    char tenant[TT_ID_MAX];
};

static unsigned counter;

static void uniq(char *buf, size_t size, const char *prefix)
{
    snprintf(buf, size, "%s%ld_%u", prefix, (long)getpid(), ++counter);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_int_equal(tt_test_store_url("tt_sweep_", f->dir, sizeof f->dir, f->url, sizeof f->url),
                     0);
    char err[512] = "";
    assert_int_equal(tt_store_open(f->url, 2, 1, &f->s, err, sizeof err), 0);
    assert_int_equal(tt_policy_load("policy/default.yaml", &f->p, err), 0);
    uniq(f->tenant, sizeof f->tenant, "ten_sw");
    struct tt_tenant t = {.kind = TT_TENANT_CUSTOMER, .created_at = 1};
    snprintf(t.id, sizeof t.id, "%s", f->tenant);
    snprintf(t.name, sizeof t.name, "sweep test");
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_ops_of(c)->tenant_put(c, &t), TT_QS_ONE);
    tt_store_release(c);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tt_store_close(f->s);
    tt_policy_free(f->p);
    if (f->dir[0])
        assert_int_equal(tt_tmp_rmtree(f->dir), 0);
    free(f);
    return 0;
}

static void subject(struct fx *f, const char *id, const char *juris, int child, tt_time horizon)
{
    struct tt_subject s = {.kind = TT_SUBJECT_END_USER,
                           .is_child = child,
                           .retention_until = horizon,
                           .created_at = 1};
    assert_int_equal(tt_test_subject_put(f->s, s, f->tenant, id, juris), TT_QS_ONE);
}

/* A record of a given service, data category and purpose (issue 6: rules keyed by them). */
static void record_of(struct tt_store_conn *c, struct fx *f, const char *subj, const char *service,
                      const char *category, const char *purpose, tt_time collected, tt_time until)
{
    assert_int_equal(
        tt_test_record_put(c, f->tenant, subj, service, category, purpose, collected, until),
        TT_QS_ONE);
}

static void record(struct tt_store_conn *c, struct fx *f, const char *subj, const char *service,
                   tt_time collected, tt_time until)
{
    record_of(c, f, subj, service, "user.comms.traffic_data", "essential.service", collected,
              until);
}

static int64_t count(struct fx *f)
{
    struct tt_store_conn *c = tt_store_acquire(f->s);
    int64_t n = -1;
    assert_int_equal(tt_store_ops_of(c)->record_count(c, f->tenant, &n), TT_QS_ONE);
    tt_store_release(c);
    return n;
}

static struct tt_sweep_opts opts(struct fx *f, const char *holder)
{
    struct tt_sweep_opts o = {.policy = f->p,
                              .at = AT,
                              .now = AT,
                              .batch = 7,
                              .k = 5,
                              .tenant_id = f->tenant,
                              .holder = holder,
                              .actor = "test"};
    return o;
}

/* rows and held of one rule, summed over services */
static struct tt_sweep_count rule_sum(const struct tt_sweep_report *r, const char *rule)
{
    struct tt_sweep_count s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < r->n_counts; i++) {
        if (strcmp(r->counts[i].rule, rule) == 0) {
            s.rows += r->counts[i].rows;
            s.held += r->counts[i].held;
        }
    }
    return s;
}

/* 6 adults x 3 expired sms rows, 1 live row each; 1 child with 2 live rows */
static void seed(struct fx *f)
{
    char id[TT_ID_MAX];
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "sub_a%d", i);
        subject(f, id, i < 5 ? "NL" : "US-CA", 0, AT + 100 * DAY);
    }
    subject(f, "sub_kid", "NL", 1, AT + 100 * DAY);
    struct tt_store_conn *c = tt_store_acquire(f->s);
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "sub_a%d", i);
        for (int k = 0; k < 3; k++)
            record(c, f, id, "sms", AT - 200 * DAY + k * 3600, AT - DAY);
        record(c, f, id, "sms", AT - DAY, AT + 100 * DAY);
    }
    record(c, f, "sub_kid", "sms", AT - DAY, AT + 100 * DAY);
    record(c, f, "sub_kid", "email", AT - DAY, 0);
    tt_store_release(c);
}

static int stat_collect(void *cls, const struct tt_stat_cell *x)
{
    int64_t *v = cls;
    v[0]++;
    v[1] += x->messages;
    v[2] = x->subjects < v[2] || v[2] == 0 ? x->subjects : v[2];
    return 0;
}

static void expired_and_child_rows_go_and_others_stay(void **state)
{
    struct fx *f = *state;
    seed(f);
    assert_int_equal(count(f), 26);
    struct tt_sweep_opts o = opts(f, "node-a");
    o.batch = 100; /* one batch: every cell's subjects are counted together */
    struct tt_sweep_report r;
    assert_int_equal(tt_sweep_run(f->s, &o, &r), 0);
    assert_int_equal(r.deleted, 18 + 2);
    assert_int_equal(r.anonymised, 20);
    assert_int_equal(r.batches, 1);
    assert_int_equal(rule_sum(&r, "sms_voice").rows, 18);
    assert_int_equal(rule_sum(&r, "S10.1").rows, 2);
    tt_sweep_report_free(&r);
    assert_int_equal(count(f), 6);
    /* idempotent: a rerun finds nothing */
    assert_int_equal(tt_sweep_run(f->s, &o, &r), 0);
    assert_int_equal(r.deleted, 0);
    tt_sweep_report_free(&r);
    /* the child's horizon is gone (no record left) */
    struct tt_store_conn *c = tt_store_acquire(f->s);
    struct tt_subject s;
    enum tt_qs qs = tt_store_ops_of(c)->subject_get(c, f->tenant, "sub_kid", &s);
    /* statistics: the NL cells (5 subjects) are published, the US cell (1 subject) never */
    int64_t v[3] = {0, 0, 0}, all[3] = {0, 0, 0};
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    enum tt_qs q1 = rs->stat_list(c, f->tenant, 0, INT64_MAX, "", 5, stat_collect, v);
    enum tt_qs q2 = rs->stat_list(c, f->tenant, 0, INT64_MAX, "", 1, stat_collect, all);
    tt_store_release(c);
    assert_int_equal(qs, TT_QS_ONE);
    assert_int_equal(s.retention_until, 0);
    assert_true(q1 >= 0 && q2 >= 0);
    assert_int_equal(v[0], 1);  /* one cell: sms, NL, that day */
    assert_int_equal(v[1], 15); /* 5 subjects x 3 rows */
    assert_true(v[2] >= 5);
    assert_true(all[0] >= 2); /* the small cells exist internally but are never served */
}

static void held_rows_never_go_and_are_reported(void **state)
{
    struct fx *f = *state;
    seed(f);
    struct tt_hold h = {.created_at = AT - 10};
    snprintf(h.id, sizeof h.id, "hld_1");
    snprintf(h.tenant_id, sizeof h.tenant_id, "%s", f->tenant);
    snprintf(h.subject_id, sizeof h.subject_id, "sub_a1");
    snprintf(h.reason, sizeof h.reason, "case 2027-14");
    snprintf(h.created_by, sizeof h.created_by, "key_test");
    struct tt_hold t = h; /* a whole-tenant hold that has already lapsed */
    snprintf(t.id, sizeof t.id, "hld_2");
    t.subject_id[0] = '\0';
    t.until = AT - 1;
    struct tt_store_conn *c = tt_store_acquire(f->s);
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    assert_int_equal(rs->hold_put(c, &h), TT_QS_ONE);
    assert_int_equal(rs->hold_put(c, &t), TT_QS_ONE);
    assert_int_equal(rs->hold_put(c, &h), TT_QS_NONE); /* same id */
    tt_store_release(c);
    struct tt_sweep_opts o = opts(f, "node-a");
    struct tt_sweep_report r;
    assert_int_equal(tt_sweep_run(f->s, &o, &r), 0);
    assert_int_equal(r.deleted, 15 + 2);
    assert_int_equal(r.held, 3);
    assert_true(r.batches >= 3); /* batches of 7 */
    assert_int_equal(r.holds, 1);
    assert_int_equal(rule_sum(&r, "sms_voice").held, 3);
    tt_sweep_report_free(&r);
    assert_int_equal(count(f), 9);
    /* released: the next sweep takes them */
    c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_ops_of(c)->retention->hold_release(c, f->tenant, "hld_1", AT),
                     TT_QS_ONE);
    assert_int_equal(tt_store_ops_of(c)->retention->hold_release(c, f->tenant, "hld_1", AT),
                     TT_QS_NONE);
    tt_store_release(c);
    assert_int_equal(tt_sweep_run(f->s, &o, &r), 0);
    assert_int_equal(r.deleted, 3);
    tt_sweep_report_free(&r);
}

static void dry_run_changes_nothing(void **state)
{
    struct fx *f = *state;
    seed(f);
    struct tt_sweep_opts o = opts(f, "node-a");
    struct tt_sweep_report r;
    assert_int_equal(tt_sweep_preview(f->s, &o, &r), 0);
    assert_int_equal(r.deleted, 20);
    assert_int_equal(rule_sum(&r, "S10.1").rows, 2);
    tt_sweep_report_free(&r);
    assert_int_equal(count(f), 26);
    /* earlier date: only the child's rows are due */
    o.at = AT - 2 * DAY;
    assert_int_equal(tt_sweep_preview(f->s, &o, &r), 0);
    assert_int_equal(r.deleted, 2);
    tt_sweep_report_free(&r);
}

static void another_holder_is_kept_out_until_its_claim_lapses(void **state)
{
    struct fx *f = *state;
    seed(f);
    struct tt_store_conn *c = tt_store_acquire(f->s);
    const struct tt_retention_store_ops *rs = tt_store_ops_of(c)->retention;
    assert_int_equal(rs->claim(c, f->tenant, "sweep", "node-b", AT, AT + 300), TT_QS_ONE);
    tt_store_release(c);
    struct tt_sweep_opts o = opts(f, "node-a");
    struct tt_sweep_report r;
    assert_int_equal(tt_sweep_run(f->s, &o, &r), 0);
    assert_int_equal(r.deleted, 0);
    assert_int_equal(r.skipped, 1);
    tt_sweep_report_free(&r);
    assert_int_equal(count(f), 26);
    o.now = AT + 301; /* node-b died: its claim lapsed */
    assert_int_equal(tt_sweep_run(f->s, &o, &r), 0);
    assert_int_equal(r.deleted, 20);
    tt_sweep_report_free(&r);
}

static void contract_end_recomputes_the_ends_it_touches(void **state)
{
    struct fx *f = *state;
    subject(f, "sub_c", "NL", 0, 0);
    struct tt_store_conn *c = tt_store_acquire(f->s);
    record(c, f, "sub_c", "email", AT - 400 * DAY, 0); /* contract rule: open */
    record(c, f, "sub_c", "sms", AT - 10 * DAY, 0);    /* wrong end: recomputed too */
    struct tt_subject s;
    assert_int_equal(tt_store_ops_of(c)->subject_get(c, f->tenant, "sub_c", &s), TT_QS_ONE);
    s.contract_ended_at = AT - 5 * DAY;
    s.contract_active = 0;
    assert_int_equal(tt_store_ops_of(c)->subject_update(c, &s), TT_QS_ONE);
    int64_t changed = 0;
    assert_int_equal(tt_retention_recompute_subject(c, f->p, f->tenant, "sub_c", &changed),
                     TT_QS_ONE);
    tt_store_release(c);
    assert_int_equal(changed, 2);
    struct tt_sweep_opts o = opts(f, "node-a");
    struct tt_sweep_report r;
    assert_int_equal(tt_sweep_preview(f->s, &o, &r), 0);
    /* contract: months 0 after the end, so the email row is due; the sms row is 6 months on */
    assert_int_equal(r.deleted, 1);
    assert_int_equal(rule_sum(&r, "contract").rows, 1);
    tt_sweep_report_free(&r);
    /* the tenant-wide recomputation is resumable and finds nothing more to move */
    o.batch = 1;
    assert_int_equal(tt_retention_recompute(f->s, &o, f->tenant, NULL, &changed), 0);
    assert_int_equal(changed, 0);
}

static int64_t due_rows(struct fx *f)
{
    struct tt_sweep_opts o = opts(f, "node-a");
    o.tenant_id = f->tenant;
    struct tt_sweep_report r;
    assert_int_equal(tt_sweep_preview(f->s, &o, &r), 0);
    int64_t n = r.deleted;
    tt_sweep_report_free(&r);
    return n;
}

/* After a policy change (reload), ends computed under another policy are recomputed once per
 * tenant, within the pass budget, resuming where a pass stopped. (On a shared PostgreSQL test
 * database other tenants are pending too, so the counts are checked on SQLite only.) */
static void policy_change_recomputes_pending_ends_once(void **state)
{
    struct fx *f = *state;
    int own_db = f->dir[0] != '\0';
    subject(f, "sub_p", "NL", 0, 0);
    struct tt_store_conn *c = tt_store_acquire(f->s);
    for (int i = 0; i < 7; i++)
        record(c, f, "sub_p", "sms", AT - 10 * DAY, AT - DAY); /* stale: due already */
    tt_store_release(c);
    assert_int_equal(due_rows(f), 7);
    struct tt_sweep_opts o = opts(f, "node-a");
    o.batch = 2;
    o.max_batches = 2; /* 4 of 7 rows per pass */
    int64_t changed = -1;
    int more = 0, passes = 0;
    do {
        assert_int_equal(tt_retention_recompute_pending(f->s, &o, &changed, &more), 0);
        if (own_db && passes == 0) {
            assert_int_equal(more, 1);
            assert_int_equal(changed, 4);
        }
        passes++;
    } while (more && passes < 1000);
    assert_int_equal(more, 0);
    if (own_db)
        assert_int_equal(passes, 2);
    assert_int_equal(due_rows(f), 0); /* the policy's 6 months keep them */
    /* the same policy again: nothing pending, even with a stale end written behind its back */
    c = tt_store_acquire(f->s);
    record(c, f, "sub_p", "sms", AT - 10 * DAY, AT - DAY);
    tt_store_release(c);
    assert_int_equal(tt_retention_recompute_pending(f->s, &o, &changed, &more), 0);
    assert_int_equal(due_rows(f), 1);
    /* a tenant whose claim another node holds stays pending for the next pass */
    char key[TT_ID_MAX + 32];
    snprintf(key, sizeof key, "retention.ends_digest.%s", f->tenant);
    c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_ops_of(c)->setting_put(c, key, "old"), TT_QS_ONE);
    assert_int_equal(
        tt_store_ops_of(c)->retention->claim(c, f->tenant, "recompute", "node-b", AT, AT + 600),
        TT_QS_ONE);
    tt_store_release(c);
    assert_int_equal(tt_retention_recompute_pending(f->s, &o, &changed, &more), 0);
    assert_int_equal(more, 1);
    assert_int_equal(due_rows(f), 1);
    /* let node-b go, so a later run on a shared PostgreSQL database is not kept waiting */
    c = tt_store_acquire(f->s);
    assert_int_equal(
        tt_store_ops_of(c)->retention->claim_release(c, f->tenant, "recompute", "node-b", NULL),
        TT_QS_ONE);
    tt_store_release(c);
}

/* issue 6, S7.0/S7.5/S7.4: policy/default.yaml keys consent proofs (5 years) and financial data
 * (10 years from the end of the financial year) by data category and billing by purpose, ahead
 * of the email service's contract rule: the recomputation sets those ends, the dry run and the
 * sweep count the rows under those rules, and what the service's rule governs stays open. */
static void rules_by_category_and_purpose_govern_ends_and_counts(void **state)
{
    struct fx *f = *state;
    subject(f, "sub_cat", "NL", 0, 0);
    struct tt_store_conn *c = tt_store_acquire(f->s);
    tt_time t0 = AT - 70 * 31 * DAY; /* over 5 years ago */
    for (int i = 0; i < 3; i++)
        record_of(c, f, "sub_cat", "email", "user.privacy.consent_record",
                  "legal.privacy_compliance", t0, 0);
    record_of(c, f, "sub_cat", "email", "user.contact.email", "finance.billing", t0, 0);
    record_of(c, f, "sub_cat", "email", "user.contact.email", "essential.service", t0, 0);
    tt_store_release(c);
    struct tt_sweep_opts o = opts(f, "node-a");
    int64_t changed = 0;
    assert_int_equal(tt_retention_recompute(f->s, &o, f->tenant, NULL, &changed), 0);
    assert_int_equal(changed, 4); /* the contract-anchored one stays open (0) */
    const struct tt_retention *proof =
        tt_retention_rule_for(f->p, "email", "user.privacy.consent_record", "storage");
    assert_non_null(proof);
    assert_string_equal(proof->key, "consent_proof");
    assert_string_equal(
        tt_retention_rule_for(f->p, "email", "user.contact.email", "finance.billing")->key,
        "financial");
    assert_string_equal(
        tt_retention_rule_for(f->p, "email", "user.contact.email", "essential.service")->key,
        "contract");
    struct tt_sweep_report r;
    assert_int_equal(tt_sweep_preview(f->s, &o, &r), 0);
    assert_int_equal(rule_sum(&r, "consent_proof").rows, 3); /* 60 months have passed */
    assert_int_equal(rule_sum(&r, "financial").rows, 0);     /* 10 years have not */
    assert_int_equal(r.deleted, 3);
    tt_sweep_report_free(&r);
    assert_int_equal(tt_sweep_run(f->s, &o, &r), 0);
    assert_int_equal(rule_sum(&r, "consent_proof").rows, 3);
    assert_int_equal(r.deleted, 3);
    tt_sweep_report_free(&r);
    assert_int_equal(count(f), 2);
}

/* A sweep killed with SIGKILL mid-run: every batch committed or not at all. */
static void killed_sweep_leaves_nothing_half_deleted(void **state)
{
    struct fx *f = *state;
    if (!f->dir[0])
        skip();
    enum { SUBJ = 200, PER = 100 };
    char id[TT_ID_MAX];
    for (int i = 0; i < SUBJ; i++) {
        snprintf(id, sizeof id, "sub_k%03d", i);
        subject(f, id, "NL", 0, AT + DAY);
    }
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_ops_of(c)->begin(c), TT_QS_ONE);
    for (int i = 0; i < SUBJ; i++) {
        snprintf(id, sizeof id, "sub_k%03d", i);
        for (int k = 0; k < PER; k++)
            record(c, f, id, "sms", AT - 200 * DAY, k % 2 ? AT - DAY : AT + DAY);
    }
    assert_int_equal(tt_store_ops_of(c)->commit(c), TT_QS_ONE);
    tt_store_release(c);
    int64_t total = count(f);
    assert_int_equal(total, SUBJ * PER);
    /* fork only with no other thread alive: the store's checkpointer could hold a lock (ASan's
     * allocator's, seen) that the child, which starts threads of its own, would wait on forever */
    tt_store_close(f->s);
    f->s = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct tt_store *s2 = NULL;
        char err[256];
        if (tt_store_open(f->url, 1, 0, &s2, err, sizeof err) != 0)
            _exit(2);
        struct tt_sweep_opts o = opts(f, "victim");
        o.batch = 50;
        struct tt_sweep_report r;
        tt_sweep_run(s2, &o, &r);
        _exit(0);
    }
    struct timespec ts = {0, 150L * 1000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    char err[256] = "";
    assert_int_equal(tt_store_open(f->url, 2, 1, &f->s, err, sizeof err), 0);
    int64_t mid = count(f);
    assert_true(mid <= total);
    assert_int_equal((total - mid) % 50 == 0 || mid == total / 2, 1); /* whole batches only */
    /* the victim's claim lapses; the rerun finishes */
    struct tt_sweep_opts o = opts(f, "rescuer");
    o.now = AT + TT_SWEEP_LEASE_DEFAULT + 1;
    o.batch = 500;
    struct tt_sweep_report r;
    assert_int_equal(tt_sweep_run(f->s, &o, &r), 0);
    assert_int_equal(mid - r.deleted, total / 2);
    tt_sweep_report_free(&r);
    assert_int_equal(count(f), total / 2);
    /* the statistics saw every deleted row exactly once */
    c = tt_store_acquire(f->s);
    int64_t v[3] = {0, 0, 0};
    assert_true(tt_store_ops_of(c)->retention->stat_list(c, f->tenant, 0, INT64_MAX, "", 1,
                                                         stat_collect, v) >= 0);
    tt_store_release(c);
    assert_int_equal(v[1], total / 2);
    assert_true(v[2] <= SUBJ); /* distinct subjects are a lower bound, never inflated */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(expired_and_child_rows_go_and_others_stay, setup, teardown),
        cmocka_unit_test_setup_teardown(held_rows_never_go_and_are_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(dry_run_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(another_holder_is_kept_out_until_its_claim_lapses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(policy_change_recomputes_pending_ends_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(contract_end_recomputes_the_ends_it_touches, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(rules_by_category_and_purpose_govern_ends_and_counts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(killed_sweep_leaves_nothing_half_deleted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
