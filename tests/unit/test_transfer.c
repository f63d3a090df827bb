/* SPDX-License-Identifier: Apache-2.0 */
/* test_transfer.c — the sharing gate (core/transfer.h) and the dated adequacy table
 * (core/adequacy.h): every case of tests/data/recipients/gate_cases.json, the S5.2 lapse
 * detection, and adequacy files that must be refused with FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/adequacy.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/transfer.h"
#include "../support/tt_tmp.h"

static struct tt_policy *policy;
static struct tt_adequacy *adequacy;

static void path_of(const char *rel, char *out, size_t size)
{
    const char *root = getenv("TUTELA_SOURCE_ROOT");
    snprintf(out, size, "%s/%s", root ? root : ".", rel);
}

static int setup(void **state)
{
    (void)state;
    char p[512], err[512];
    path_of("policy/default.yaml", p, sizeof p);
    if (tt_policy_load(p, &policy, err) != 0)
        fail_msg("%s", err);
    path_of("policy/adequacy.yaml", p, sizeof p);
    if (tt_adequacy_load(p, &adequacy, err) != 0)
        fail_msg("%s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tt_policy_free(policy);
    tt_adequacy_free(adequacy);
    return 0;
}

static const char *sget(const json_t *o, const json_t *base, const char *k)
{
    const json_t *v = json_object_get(o, k);
    if (!v)
        v = json_object_get(base, k);
    return json_string_value(v);
}

static int bget(const json_t *o, const json_t *base, const char *k)
{
    const json_t *v = json_object_get(o, k);
    if (!v)
        v = json_object_get(base, k);
    return json_is_true(v);
}

static void make(const json_t *o, const json_t *base, struct tt_rcpt *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->key, sizeof r->key, "%s", sget(o, base, "key"));
    snprintf(r->country, sizeof r->country, "%s", sget(o, base, "country"));
    snprintf(r->dpa_ref, sizeof r->dpa_ref, "%s", sget(o, base, "dpa_ref"));
    const char *ak = sget(o, base, "adequacy_key");
    snprintf(r->adequacy_key, sizeof r->adequacy_key, "%s", ak ? ak : "");
    assert_int_equal(tt_rrole_parse(sget(o, base, "role"), &r->role), 0);
    assert_int_equal(tt_rcpt_status_parse(sget(o, base, "status"), &r->status), 0);
    assert_int_equal(tt_mechanism_parse(sget(o, base, "mechanism"), &r->mechanism), 0);
    const char *basis = sget(o, base, "basis");
    if (basis)
        assert_int_equal(tt_basis_parse(basis, &r->basis), 0);
    r->vetted_at = bget(o, base, "vetted") ? 1 : 0;
    r->vetting_passed = bget(o, base, "vetted");
    r->tia_done = bget(o, base, "tia_done");
    r->flagged_at = bget(o, base, "flagged") ? 1 : 0;
    const json_t *ps = json_object_get(o, "purposes");
    if (!ps)
        ps = json_object_get(base, "purposes");
    size_t i;
    json_t *v;
    json_array_foreach(ps, i, v)
        snprintf(r->purposes[r->n_purposes++], TT_KEY_MAX, "%s", json_string_value(v));
}

static void gate_cases_from_data(void **state)
{
    (void)state;
    char p[512];
    path_of("tests/data/recipients/gate_cases.json", p, sizeof p);
    json_error_t e;
    json_t *doc = json_load_file(p, 0, &e);
    if (!doc)
        fail_msg("%s:%d: %s", p, e.line, e.text);
    const json_t *base = json_object_get(doc, "base");
    size_t i;
    json_t *c;
    int n = 0;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        struct tt_rcpt r;
        make(json_object_get(c, "recipient"), base, &r);
        tt_time at;
        assert_int_equal(tt_time_parse(json_string_value(json_object_get(c, "at")), &at), 0);
        uint32_t why = 0xffffffffu;
        assert_int_equal(tt_transfer_check(&r, policy, adequacy,
                                           json_string_value(json_object_get(c, "purpose")), NULL,
                                           at, &why),
                         0);
        uint32_t want = 0;
        size_t k;
        json_t *name;
        json_array_foreach(json_object_get(c, "reasons"), k, name)
        {
            int found = 0;
            for (int b = 0; b < TT_GATE__COUNT; b++)
                if (strcmp(tt_gate_reason_name((enum tt_gate_reason)b), json_string_value(name)) ==
                    0) {
                    want |= 1u << b;
                    found = 1;
                }
            if (!found)
                fail_msg("%s: unknown reason %s", json_string_value(json_object_get(c, "name")),
                         json_string_value(name));
        }
        if (why != want)
            fail_msg("%s: reasons 0x%x, expected 0x%x",
                     json_string_value(json_object_get(c, "name")), why, want);
        n++;
    }
    assert_true(n >= 20);
    json_decref(doc);
}

/* S5.2: a recipient relying on Privacy Shield is flagged once the decision is struck down. */
static void lapse_detected_after_strike_down(void **state)
{
    (void)state;
    struct tt_rcpt r = {
        .mechanism = TT_MECH_ADEQUACY, .country = "US", .adequacy_key = "us_privacy_shield"};
    tt_time before, after;
    assert_int_equal(tt_time_parse("2020-07-15", &before), 0);
    assert_int_equal(tt_time_parse("2020-07-16", &after), 0);
    char why[TT_KEY_MAX] = "";
    assert_int_equal(tt_transfer_lapsed(&r, adequacy, before, why, sizeof why), 0);
    assert_int_equal(tt_transfer_lapsed(&r, adequacy, after, why, sizeof why), 1);
    assert_string_equal(why, "adequacy_lapsed:us_privacy_shield");
    /* an EEA recipient never lapses */
    struct tt_rcpt eu = {.mechanism = TT_MECH_ADEQUACY, .country = "NL"};
    assert_int_equal(tt_transfer_lapsed(&eu, adequacy, after, NULL, 0), 0);
}

static void adequacy_dates_and_history(void **state)
{
    (void)state;
    tt_time t;
    assert_int_equal(tt_time_parse("2023-07-09", &t), 0);
    assert_null(tt_adequacy_in_force(adequacy, "US", t));
    assert_int_equal(tt_time_parse("2023-07-10", &t), 0);
    assert_string_equal(tt_adequacy_in_force(adequacy, "US", t)->key, "us_dpf");
    assert_int_equal(tt_time_parse("2010-01-01", &t), 0);
    assert_string_equal(tt_adequacy_in_force(adequacy, "US-CA", t)->key, "us_safe_harbor");
    assert_true(tt_adequacy_in_eea(adequacy, "NL"));
    assert_true(tt_adequacy_in_eea(adequacy, "NO"));
    assert_false(tt_adequacy_in_eea(adequacy, "GB"));
}

static void bad_adequacy_files_name_the_line(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "eea: [NL]\ndecisions:\n  - {key: x, country: US, from: \"nope\"}\n",
        "eea: [NL]\ndecisions:\n  - {key: x, country: USA, from: \"2020-01-01\"}\n",
        ("eea: [NL]\ndecisions:\n  - {key: x, country: US, from: \"2020-01-01\","
         " until: \"2019-01-01\"}\n"),
        "eea: [NL]\ndecisions: []\ncolour: blue\n",
        "eea: [NL]\ndecisions:\n  - {key: x, country: US, from: \"2020-01-01\", oops: 1}\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct tt_adequacy *a = NULL;
        char err[TT_ADEQUACY_ERR_MAX] = "";
        assert_true(tt_adequacy_load_buffer("t.yaml", bad[i], strlen(bad[i]), &a, err) < 0);
        assert_null(a);
        assert_non_null(strstr(err, "t.yaml:"));
    }
}

/* The file around the document: a missing file and one over 1 MiB are refused by name, and the
 * loaded file is the one read back (S5.1). */
static void adequacy_file_errors_name_the_file(void **state)
{
    (void)state;
    struct tt_adequacy *a = NULL;
    char err[TT_ADEQUACY_ERR_MAX] = "";
    assert_int_equal(tt_adequacy_load("/nonexistent/adequacy.yaml", &a, err), -TT_E_NOT_FOUND);
    assert_null(a);
    assert_string_equal(err, "/nonexistent/adequacy.yaml: cannot open");
    char path[64];
    int fd = tt_tmpfile("/tmp/tt_adequacy_", path, sizeof path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("eea: [NL]\ndecisions: []\n", f);
    for (size_t i = 0; i < (1u << 20) / 8; i++)
        fputs("#      \n", f);
    fclose(f);
    assert_int_equal(tt_adequacy_load(path, &a, err), -TT_E_BAD_FIELD);
    assert_null(a);
    char want[128];
    snprintf(want, sizeof want, "%s: larger than 1 MiB", path);
    assert_string_equal(err, want);
    assert_int_equal(truncate(path, 24), 0); /* the two lines alone */
    assert_int_equal(tt_adequacy_load(path, &a, err), 0);
    assert_true(tt_adequacy_in_eea(a, "NL"));
    tt_adequacy_free(a);
    unlink(path);
}

static void seed_from_policy_matches_s4_3(void **state)
{
    (void)state;
    const struct tt_recipient *stripe = tt_policy_recipient(policy, "stripe");
    assert_non_null(stripe);
    struct tt_rcpt r;
    tt_rcpt_from_policy(policy, stripe, "ten_platform", 1700000000, &r);
    assert_int_equal(r.role, TT_RROLE_CONTROLLER);
    assert_int_equal(r.status, TT_RSTATUS_APPROVED);
    assert_int_equal(r.basis, TT_BASIS_CONTRACT);
    uint32_t why = 1;
    assert_int_equal(
        tt_transfer_check(&r, policy, adequacy, "finance.billing", NULL, 1700000000, &why), 0);
    assert_int_equal(why, 0);
    const struct tt_recipient *unvetted = tt_policy_recipient(policy, "example_analytics_unvetted");
    tt_rcpt_from_policy(policy, unvetted, "ten_platform", 1700000000, &r);
    assert_int_equal(
        tt_transfer_check(&r, policy, adequacy, "analytics.reporting", NULL, 1700000000, &why), 0);
    assert_true(why & (1u << TT_GATE_NOT_APPROVED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gate_cases_from_data),
        cmocka_unit_test(lapse_detected_after_strike_down),
        cmocka_unit_test(adequacy_dates_and_history),
        cmocka_unit_test(bad_adequacy_files_name_the_line),
        cmocka_unit_test(adequacy_file_errors_name_the_file),
        cmocka_unit_test(seed_from_policy_matches_s4_3),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
