/* SPDX-License-Identifier: Apache-2.0 */
/* test_retention_ends.c — set-based recomputation of retention ends (issue 6, S7.0–S7.5) on a
 * real store (SQLite file, or TUTELA_TEST_DB for PostgreSQL): on a mixed sample (services,
 * categories, purposes, jurisdictions with their subdivisions, contract ends before and after
 * collection, withdrawals and objections, a legal hold, calendar edges) every end the one-UPDATE
 * recomputation writes equals the per-row computation (tt_retention_rule_for +
 * tt_retention_end_ev), under the default policy and under one with a consent-withdrawn anchor;
 * a second run moves nothing. S7.3 under the default policy: marketing data of a prospect lasts
 * 12 months, a withdrawal or unsubscribe ends it at once (the retention job's pass moves its end
 * to the withdrawal, the sweep deletes it), and a customer's marketing data lasts until the
 * service ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/tt_records.h"
#include "../support/tt_tmp.h"
#include "core/clock.h"
#include "core/policy.h"
#include "core/retention.h"
#include "jobs/sweep.h"
#include "store/retention_store.h"
#include "store/store.h"

#define DAY 86400

struct fx {
    struct tt_store *s;
    struct tt_policy *p;
    char dir[256];
    char url[320];
    char tenant[TT_ID_MAX];
};

static unsigned counter;

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    const char *db = getenv("TUTELA_TEST_DB");
    if (db && *db) {
        snprintf(f->url, sizeof f->url, "%s", db);
    } else {
        assert_non_null(tt_tmpdir("/tmp/tt_ends_", f->dir, sizeof f->dir));
        snprintf(f->url, sizeof f->url, "sqlite:%s/t.db", f->dir);
    }
    char err[512] = "";
    assert_int_equal(tt_store_open(f->url, 2, 1, &f->s, err, sizeof err), 0);
    assert_int_equal(tt_policy_load("policy/default.yaml", &f->p, err), 0);
    snprintf(f->tenant, sizeof f->tenant, "ten_ends%ld_%u", (long)getpid(), ++counter);
    struct tt_tenant t = {.kind = TT_TENANT_CUSTOMER, .created_at = 1};
    snprintf(t.id, sizeof t.id, "%s", f->tenant);
    snprintf(t.name, sizeof t.name, "ends test");
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_ops_of(c)->tenant_put(c, &t), TT_QS_ONE);
    /* the tenant's ends count as computed under this policy, so a pending-recomputation pass
     * of another suite sharing the database (tt_retention_recompute_pending) leaves them to us */
    char key[TT_ID_MAX + 32], hex[65];
    snprintf(key, sizeof key, "retention.ends_digest.%s", f->tenant);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", f->p->digest[i]);
    assert_int_equal(tt_store_ops_of(c)->setting_put(c, key, hex), TT_QS_ONE);
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

static void subject(struct fx *f, const char *id, const char *juris, tt_time contract_ended_at)
{
    struct tt_subject s = {.kind = TT_SUBJECT_END_USER,
                           .contract_active = contract_ended_at == 0,
                           .contract_ended_at = contract_ended_at,
                           .created_at = 1};
    assert_int_equal(tt_test_subject_put(f->s, s, f->tenant, id, juris), TT_QS_ONE);
}

static void record_in(struct tt_store_conn *c, struct fx *f, const char *subj, const char *service,
                      const char *category, const char *purpose, tt_time collected, tt_time until)
{
    assert_int_equal(
        tt_test_record_put(c, f->tenant, subj, service, category, purpose, collected, until),
        TT_QS_ONE);
}

static void record(struct fx *f, const char *subj, const char *service, const char *category,
                   const char *purpose, tt_time collected, tt_time until)
{
    struct tt_store_conn *c = tt_store_acquire(f->s);
    record_in(c, f, subj, service, category, purpose, collected, until);
    tt_store_release(c);
}

static void purpose_state(struct fx *f, const char *subj, const char *purpose,
                          enum tt_consent_state consent, int objection, tt_time at)
{
    struct tt_purpose_state ps = {.consent = consent, .objection = objection, .updated_at = at};
    snprintf(ps.tenant_id, sizeof ps.tenant_id, "%s", f->tenant);
    snprintf(ps.subject_id, sizeof ps.subject_id, "%s", subj);
    snprintf(ps.purpose, sizeof ps.purpose, "%s", purpose);
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_ops_of(c)->purpose_state_put(c, &ps), TT_QS_ONE);
    tt_store_release(c);
}

/* ---- the per-row reference ---- */

struct check {
    const struct tt_policy *p;
    int rows, mismatches;
    int anchors[6]; /* rows per anchor of the rule applied, with an end that is not open */
    int open_rows, no_rule;
    int quiet; /* mismatches are expected: count them without a message */
};

static int check_row(void *cls, const struct tt_recompute_row *r)
{
    struct check *k = cls;
    const struct tt_retention *rule =
        tt_retention_rule_for(k->p, r->service, r->data_category, r->purpose);
    struct tt_retention_events ev = {.contract_ended_at = r->contract_ended_at,
                                     .consent_withdrawn_at = r->withdrawn_at};
    tt_time want = rule ? tt_retention_end_ev(rule, r->jurisdiction, r->collected_at, &ev) : 0;
    k->rows++;
    if (!rule)
        k->no_rule++;
    else if (want == 0)
        k->open_rows++;
    else
        k->anchors[rule->anchor]++;
    if (want != r->retention_until && k->mismatches++ < 20 && !k->quiet) {
        print_message("%s (%s %s %s, %s): set-based %lld, per row %lld\n", r->record_id, r->service,
                      r->data_category, r->purpose, r->jurisdiction, (long long)r->retention_until,
                      (long long)want);
    }
    return 0;
}

static struct check check_all(struct fx *f, const struct tt_policy *p, int quiet)
{
    struct check k = {.p = p, .quiet = quiet};
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_true(tt_store_ops_of(c)->retention->recompute_page(c, f->tenant, "", "", 100000,
                                                              check_row, &k) >= 0);
    tt_store_release(c);
    return k;
}

/* ---- the sample ---- */

static const struct {
    const char *service, *category, *purpose;
} COMBOS[] = {
    {"sms", "user.comms.traffic_data", "essential.service"},                  /* S7.1, overrides */
    {"voice", "user.comms.call_recording", "essential.service"},              /* S7.1 */
    {"email", "user.contact.email", "essential.service"},                     /* S7.2 contract */
    {"inbox", "user.comms.agent_data", "essential.service"},                  /* S7.2 contract */
    {"email", "user.contact.email", "marketing.communications.email"},        /* S7.3 prospect */
    {"sms", "user.contact.phone_number", "marketing.communications"},         /* S7.3 prospect */
    {"whatsapp", "user.comms.content", "marketing.communications.customers"}, /* S7.3 customer */
    {"email", "user.financial", "finance.billing"},                           /* S7.4 by category */
    {"email", "user.contact.email", "finance.billing"},                       /* S7.4 by purpose */
    {"email", "user.privacy.consent_record", "essential.legal_obligation"},   /* S7.5 */
    {"no_such_service", "user.contact.email", "essential.service"},           /* no rule: open */
};

/* calendar edges: month ends (clamped), a leap day, the last second of a year */
static const tt_time COLLECTED[] = {
    1706695200, /* 2024-01-31 10:00:00 */
    1709164800, /* 2024-02-29 00:00:00 */
    1693526399, /* 2023-08-31 23:59:59 */
    1672531199, /* 2022-12-31 23:59:59 */
    1742040000, /* 2025-03-15 12:00:00 */
};

#define T_CONTRACT_END 1717200000 /* 2024-06-01: after some collections, before others */
#define T_WITHDRAWN 1711929600    /* 2024-04-01 */
#define T_OBJECTED 1735689600     /* 2025-01-01 */

static int seed(struct fx *f)
{
    static const struct {
        const char *id, *juris;
        tt_time ended;
    } SUBJ[] = {
        {"sub_it", "IT", 0},
        {"sub_itx", "IT-21", T_CONTRACT_END},
        {"sub_pl", "PL", T_CONTRACT_END},
        {"sub_de", "DE", 1600000000}, /* ended before every collection */
        {"sub_us", "US-CA", 0},
        {"sub_w", "NL", 0},
    };
    int n = 0;
    for (size_t i = 0; i < sizeof SUBJ / sizeof SUBJ[0]; i++) {
        subject(f, SUBJ[i].id, SUBJ[i].juris, SUBJ[i].ended);
        struct tt_store_conn *c = tt_store_acquire(f->s);
        assert_int_equal(tt_store_ops_of(c)->begin(c), TT_QS_ONE);
        for (size_t j = 0; j < sizeof COMBOS / sizeof COMBOS[0]; j++)
            for (size_t t = 0; t < sizeof COLLECTED / sizeof COLLECTED[0]; t++, n++)
                record_in(c, f, SUBJ[i].id, COMBOS[j].service, COMBOS[j].category,
                          COMBOS[j].purpose, COLLECTED[t], (tt_time)(n % 3 == 0 ? 0 : 12345 + n));
        assert_int_equal(tt_store_ops_of(c)->commit(c), TT_QS_ONE);
        tt_store_release(c);
    }
    /* sub_w withdrew marketing email, objected to customer marketing, consents to marketing */
    purpose_state(f, "sub_w", "marketing.communications.email", TT_CONSENT_WITHDRAWN, 0,
                  T_WITHDRAWN);
    purpose_state(f, "sub_w", "marketing.communications.customers", TT_CONSENT_NONE, 1, T_OBJECTED);
    purpose_state(f, "sub_w", "marketing.communications", TT_CONSENT_GIVEN, 0, T_WITHDRAWN);
    /* sub_it withdrew marketing after it ended: the rule's own end comes first */
    purpose_state(f, "sub_it", "marketing.communications", TT_CONSENT_WITHDRAWN, 0, 1900000000);
    /* a legal hold suspends deletion, never the computation of an end (S7.6) */
    struct tt_hold h = {.created_at = 1};
    snprintf(h.id, sizeof h.id, "hld_ends");
    snprintf(h.tenant_id, sizeof h.tenant_id, "%s", f->tenant);
    snprintf(h.subject_id, sizeof h.subject_id, "sub_de");
    snprintf(h.reason, sizeof h.reason, "case 42");
    snprintf(h.created_by, sizeof h.created_by, "test");
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_int_equal(tt_store_ops_of(c)->retention->hold_put(c, &h), TT_QS_ONE);
    tt_store_release(c);
    return n;
}

/* The subject's contract ends at "at" and its ends are recomputed (as POST
 * /v1/subjects/{id}/contract-end does): the number of ends that moved. */
static int64_t contract_end(struct fx *f, const struct tt_policy *p, const char *subj, tt_time at)
{
    struct tt_store_conn *c = tt_store_acquire(f->s);
    struct tt_subject s;
    assert_int_equal(tt_store_ops_of(c)->subject_get(c, f->tenant, subj, &s), TT_QS_ONE);
    s.contract_active = 0;
    s.contract_ended_at = at;
    assert_int_equal(tt_store_ops_of(c)->subject_update(c, &s), TT_QS_ONE);
    int64_t changed = 0;
    assert_int_equal(tt_retention_recompute_subject(c, p, f->tenant, subj, &changed), TT_QS_ONE);
    tt_store_release(c);
    return changed;
}

static struct tt_sweep_opts opts(struct fx *f, const struct tt_policy *p, int batch)
{
    struct tt_sweep_opts o = {.policy = p,
                              .at = COLLECTED[4],
                              .now = COLLECTED[4],
                              .batch = batch,
                              .k = 5,
                              .tenant_id = f->tenant,
                              .holder = "node-a",
                              .actor = "test"};
    return o;
}

static void equal_to_per_row(struct fx *f, const struct tt_policy *p)
{
    int n = seed(f);
    struct check before = check_all(f, p, 1);
    assert_int_equal(before.rows, n);
    assert_true(before.mismatches > n / 2); /* the seeded ends are wrong: the check can fail */
    /* ranges of 7 records cut across subjects and services */
    struct tt_sweep_opts o = opts(f, p, 7);
    int64_t changed = 0;
    assert_int_equal(tt_retention_recompute(f->s, &o, f->tenant, NULL, &changed), 0);
    struct check after = check_all(f, p, 0);
    assert_int_equal(after.rows, n);
    assert_int_equal(after.mismatches, 0);
    assert_int_equal(changed, before.mismatches);
    /* the sample reaches every anchor the policy uses, open ends and rule-less records */
    for (size_t i = 0; i < p->n_retention; i++)
        assert_true(after.anchors[p->retention[i].anchor] > 0);
    assert_true(after.open_rows > 0);
    assert_true(after.no_rule > 0);
    /* nothing moves a second time */
    assert_int_equal(tt_retention_recompute(f->s, &o, f->tenant, NULL, &changed), 0);
    assert_int_equal(changed, 0);
    /* one subject's recomputation, after its contract ended, is the same computation */
    assert_true(contract_end(f, p, "sub_us", T_CONTRACT_END) > 0);
    assert_int_equal(check_all(f, p, 0).mismatches, 0);
}

static void set_based_ends_equal_the_per_row_computation(void **state)
{
    struct fx *f = *state;
    equal_to_per_row(f, f->p);
}

/* The default policy has no consent-withdrawn anchor: the same sample under a copy whose
 * customer-marketing rule keeps data 3 months after the withdrawal. */
static void consent_withdrawn_anchor_equals_the_per_row_computation(void **state)
{
    struct fx *f = *state;
    FILE *in = fopen("policy/default.yaml", "r");
    assert_non_null(in);
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[len] = '\0';
    const char *from = "    anchor: contract_end\n    months: 0\n    max_months: 0\n"
                       "    ends_on_withdrawal: true\n";
    char *at = strstr(text, "  - key: marketing_customer\n");
    assert_non_null(at);
    at = strstr(at, from);
    assert_non_null(at);
    char path[320];
    snprintf(path, sizeof path, "%s/withdrawn.yaml", f->dir[0] ? f->dir : "/tmp");
    if (!f->dir[0])
        snprintf(path, sizeof path, "/tmp/tt_ends_withdrawn_%ld.yaml", (long)getpid());
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fwrite(text, 1, (size_t)(at - text), out);
    fputs("    anchor: consent_withdrawn\n    months: 3\n    max_months: 3\n", out);
    fputs(at + strlen(from), out);
    fclose(out);
    struct tt_policy *p = NULL;
    char err[512] = "";
    int rc = tt_policy_load(path, &p, err);
    unlink(path);
    assert_int_equal(rc, 0);
    const struct tt_retention *mc = tt_policy_retention(p, "marketing_customer");
    assert_non_null(mc);
    assert_int_equal(mc->anchor, TT_ANCHOR_CONSENT_WITHDRAWN);
    equal_to_per_row(f, p);
    tt_policy_free(p);
}

/* ---- S7.3 ---- */

struct end_find {
    const char *purpose;
    tt_time until; /* -1: no record of that purpose */
};

static int end_row(void *cls, const struct tt_record *r)
{
    struct end_find *e = cls;
    if (strcmp(r->purpose, e->purpose) == 0)
        e->until = r->retention_until;
    return 0;
}

/* the end of the subject's record of that purpose, -1 when there is none */
static tt_time end_of(struct fx *f, const char *subj, const char *purpose)
{
    struct end_find e = {purpose, -1};
    struct tt_page page = {.limit = 100};
    struct tt_store_conn *c = tt_store_acquire(f->s);
    assert_true(tt_store_ops_of(c)->record_list(c, f->tenant, subj, &page, end_row, &e) >= 0);
    tt_store_release(c);
    return e.until;
}

static void
withdrawal_ends_marketing_at_once_and_customers_keep_it_to_service_end_S7_3(void **state)
{
    struct fx *f = *state;
    const tt_time C = 1742040000; /* 2025-03-15 12:00:00 */
    subject(f, "sub_m", "NL", 0);
    record(f, "sub_m", "email", "user.contact.email", "marketing.communications.email", C, 0);
    record(f, "sub_m", "whatsapp", "user.comms.content", "marketing.communications.customers", C,
           0);
    record(f, "sub_m", "sms", "user.comms.traffic_data", "essential.service", C, 0);
    struct tt_sweep_opts o = opts(f, f->p, 100);
    int64_t changed = 0;
    assert_int_equal(tt_retention_recompute(f->s, &o, f->tenant, NULL, &changed), 0);
    /* a prospect's marketing data: 12 months (from the last interaction, here its collection) */
    assert_int_equal(end_of(f, "sub_m", "marketing.communications.email"),
                     tt_time_add_months(C, 12));
    /* a customer's: open while the service runs */
    assert_int_equal(end_of(f, "sub_m", "marketing.communications.customers"), 0);
    assert_int_equal(end_of(f, "sub_m", "essential.service"), tt_time_add_months(C, 6));

    /* the withdrawal ends the marketing email data at once; the rest stays as it was */
    const tt_time W = C + 40 * DAY;
    purpose_state(f, "sub_m", "marketing.communications.email", TT_CONSENT_WITHDRAWN, 0, W);
    /* the retention.sweep job's pass finds the withdrawal committed since its last pass */
    o.at = o.now = W;
    assert_int_equal(tt_retention_withdrawals(f->s, &o, &changed), 0);
    assert_int_equal(changed, 1);
    assert_int_equal(tt_retention_withdrawals(f->s, &o, &changed), 0);
    assert_int_equal(changed, 0); /* looked at again, nothing moves */
    assert_int_equal(end_of(f, "sub_m", "marketing.communications.email"), W);
    assert_int_equal(end_of(f, "sub_m", "marketing.communications.customers"), 0);
    assert_int_equal(end_of(f, "sub_m", "essential.service"), tt_time_add_months(C, 6));
    /* so the sweep at the withdrawal deletes it, and only it */
    struct tt_sweep_report r;
    assert_int_equal(tt_sweep_run(f->s, &o, &r), 0);
    assert_int_equal(r.deleted, 1);
    tt_sweep_report_free(&r);
    assert_int_equal(end_of(f, "sub_m", "marketing.communications.email"), -1);

    /* a year on, the customer's marketing data is still there: the service runs */
    o.at = o.now = tt_time_add_months(C, 14);
    assert_int_equal(tt_sweep_run(f->s, &o, &r), 0);
    assert_int_equal(r.deleted, 1); /* the SMS traffic data, 6 months */
    tt_sweep_report_free(&r);
    assert_int_equal(end_of(f, "sub_m", "marketing.communications.customers"), 0);
    /* the service ends: the customer's marketing data ends with it */
    const tt_time E = tt_time_add_months(C, 15);
    assert_int_equal(contract_end(f, f->p, "sub_m", E), 1);
    assert_int_equal(end_of(f, "sub_m", "marketing.communications.customers"), E);

    /* an unsubscribe (objection) ends a customer's marketing data at once too */
    subject(f, "sub_n", "NL", 0);
    record(f, "sub_n", "whatsapp", "user.comms.content", "marketing.communications.customers", C,
           0);
    purpose_state(f, "sub_n", "marketing.communications.customers", TT_CONSENT_NONE, 1, W);
    assert_int_equal(tt_retention_withdrawn(f->s, f->p, f->tenant, "sub_n", W, "test", &changed),
                     0);
    assert_int_equal(end_of(f, "sub_n", "marketing.communications.customers"), W);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(set_based_ends_equal_the_per_row_computation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(consent_withdrawn_anchor_equals_the_per_row_computation,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            withdrawal_ends_marketing_at_once_and_customers_keep_it_to_service_end_S7_3, setup,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
