/* SPDX-License-Identifier: Apache-2.0 */
/* test_policy.c — the default policy pack (the statement as data) and its loader: S2.3
 * purposes, S3.5 services, S7 retention, S1.6 terms, S8.4 deadlines, lookups, and every broken
 * file of tests/data/policy/bad/ failing with the FILE:LINE message its first line expects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sodium.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/policy.h"
#include "core/retention.h"
#include "../support/tt_tmp.h"

static char root[2048];

static const char *src_path(const char *rel, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", root, rel);
    return buf;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 20;
    char *b = malloc(cap);
    assert_non_null(b);
    *len = fread(b, 1, cap - 1, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

static int setup_default(void **state)
{
    char path[4096], err[TT_POLICY_ERR_MAX];
    struct tt_policy *p = NULL;
    int rc = tt_policy_load(src_path("policy/default.yaml", path, sizeof path), &p, err);
    if (rc != 0)
        fprintf(stderr, "default policy: %s\n", err);
    *state = p;
    return rc == 0 ? 0 : -1;
}

static int teardown_default(void **state)
{
    tt_policy_free(*state);
    return 0;
}

static void default_policy_has_the_s23_purposes(void **state)
{
    const struct tt_policy *p = *state;
    assert_string_equal(p->version, "2022.1");
    assert_string_equal(p->id, "default");
    assert_non_null(p->notice_version);
    assert_non_null(p->notice_language);
    const char *keys[] = {"marketing.communications",
                          "marketing.communications.email",
                          "marketing.product_information",
                          "essential.service.account_creation",
                          "essential.service.identity_verification",
                          "essential.service",
                          "finance.billing",
                          "essential.support",
                          "analytics.reporting",
                          "essential.service.operations",
                          "essential.compliance",
                          "essential.service.security",
                          "essential.fraud_detection",
                          "legal.rights_protection",
                          "essential.legal_obligation",
                          "improve.training",
                          "improve.surveys",
                          "storage",
                          "legal.claims",
                          "sales.personal_data",
                          NULL};
    for (int i = 0; keys[i]; i++) {
        const struct tt_purpose *pu = tt_policy_purpose(p, keys[i]);
        assert_non_null(pu);
        assert_string_equal(pu->key, keys[i]);
    }
    assert_true(p->n_purposes <= TT_POLICY_MAX_PURPOSES);
    for (size_t i = 0; i < p->n_purposes; i++) {
        const struct tt_purpose *pu = &p->purposes[i];
        assert_int_equal(pu->bit, i);
        if (!pu->sale)
            assert_int_not_equal(pu->basis_eea, TT_BASIS_NONE);
        /* S2.2: every legitimate-interest purpose records its assessment */
        if (pu->basis_eea == TT_BASIS_LEGITIMATE_INTEREST ||
            pu->basis_other == TT_BASIS_LEGITIMATE_INTEREST) {
            assert_non_null(pu->li_assessment);
            assert_non_null(pu->categories[0]);
        }
    }
    assert_true(tt_policy_purpose(p, "sales.personal_data")->sale);        /* S4.4 */
    assert_true(tt_policy_purpose(p, "storage")->restriction_exempt);      /* S8.3 */
    assert_true(tt_policy_purpose(p, "legal.claims")->restriction_exempt); /* S8.3 */
    assert_false(tt_policy_purpose(p, "essential.service")->restriction_exempt);
    assert_true(tt_policy_purpose(p, "improve.surveys")->voluntary); /* S2.3 */
    assert_true(tt_policy_purpose(p, "marketing.communications.email")->marketing);
    assert_int_equal(tt_policy_purpose(p, "finance.saved_payment_methods")->basis_eea,
                     TT_BASIS_CONSENT); /* S4.6 */
    assert_null(tt_policy_purpose(p, "marketing"));
    assert_null(tt_policy_purpose(p, NULL));
    assert_null(tt_policy_purpose(NULL, "storage"));
}

static void default_policy_has_the_s35_data_map(void **state)
{
    const struct tt_policy *p = *state;
    const char *keys[] = {"sms",       "voice",
                          "email",     "numbers",
                          "inbox",     "flow_builder",
                          "video",     "omnichannel_widget",
                          "whatsapp",  "google_business_messages",
                          "messenger", "instagram",
                          "line",      "twitter",
                          "viber",     "wechat",
                          "push",      "cdp",
                          NULL};
    for (int i = 0; keys[i]; i++) {
        const struct tt_service *s = tt_policy_service(p, keys[i]);
        assert_non_null(s);
        assert_non_null(tt_policy_retention(p, s->retention));
        for (size_t j = 0; s->categories[j]; j++)
            assert_non_null(tt_policy_category(p, s->categories[j]));
        for (size_t j = 0; s->purposes[j]; j++)
            assert_non_null(tt_policy_purpose(p, s->purposes[j]));
    }
    const struct tt_service *sms = tt_policy_service(p, "sms");
    assert_true(tt_policy_service_has_category(sms, "user.contact.phone_number"));
    assert_true(tt_policy_service_has_category(sms, "user.comms.traffic_data"));
    assert_true(tt_policy_service_has_category(sms, "user.comms.location_data"));
    assert_true(tt_policy_service_has_category(sms, "user.comms.content"));
    assert_false(tt_policy_service_has_category(sms, "user.contact.email"));
    assert_true(tt_policy_service_has_purpose(sms, "essential.service"));
    assert_false(tt_policy_service_has_purpose(sms, "sales.personal_data"));
    assert_false(tt_policy_service_has_category(NULL, "user.contact.email"));
    assert_null(tt_policy_service(p, "fax"));
    /* Numbers processes nothing by itself */
    assert_null(tt_policy_service(p, "numbers")->categories[0]);
    const struct tt_service *voice = tt_policy_service(p, "voice");
    assert_string_equal(voice->optional_categories[0], "user.comms.call_recording");
    assert_true(tt_policy_service_has_category(tt_policy_service(p, "cdp"),
                                               "user.professional_information"));
    assert_true(tt_policy_category(p, "user.health_and_medical")->special);
    assert_false(tt_policy_category(p, "user.contact.email")->special);
    assert_true(tt_policy_subject_kind_known(p, "visitor"));
    assert_false(tt_policy_subject_kind_known(p, "employee"));
    assert_true(tt_policy_source(p, "customer_upload")->third_party); /* S1.5 */
    assert_false(tt_policy_source(p, "direct")->third_party);
}

static void default_policy_has_the_s7_retention_rules(void **state)
{
    const struct tt_policy *p = *state;
    const struct tt_retention *r = tt_policy_retention(p, "sms_voice"); /* S7.1 */
    assert_int_equal(r->months, 6);
    assert_int_equal(r->max_months, 24);
    assert_int_equal(r->anchor, TT_ANCHOR_COLLECTED);
    assert_true(r->n_overrides > 0);
    for (size_t i = 0; i < r->n_overrides; i++)
        assert_true(r->overrides[i].months <= r->max_months);
    assert_string_equal(tt_policy_service(p, "voice")->retention, "sms_voice");
    r = tt_policy_retention(p, "contract"); /* S7.2 */
    assert_int_equal(r->anchor, TT_ANCHOR_CONTRACT_END);
    r = tt_policy_retention(p, "marketing"); /* S7.3 */
    assert_int_equal(r->months, 12);
    assert_true(r->ends_on_withdrawal);
    r = tt_policy_retention(p, "financial"); /* S7.4 */
    assert_int_equal(r->months, 120);
    assert_int_equal(r->anchor, TT_ANCHOR_FINANCIAL_YEAR_END);
    assert_int_equal(tt_policy_retention(p, "consent_proof")->months, 60);        /* S7.5 */
    assert_int_equal(tt_policy_retention(p, "request_confirmation")->months, 60); /* S7.7 */
    assert_string_equal(tt_policy_retention(p, "consent_proof")->requirement, "S7.5");
}

/* issue 6, S7.0: rules by data category and/or purpose; the most specific selector wins, in
 * the documented order, whatever the order of the file; the service's rule is the fallback. */
static void retention_rule_by_category_and_purpose(void **state)
{
    (void)state;
    char path[4096], err[TT_POLICY_ERR_MAX];
    struct tt_policy *p = NULL;
    assert_int_equal(tt_policy_load(src_path("tests/data/policy/good/retention_selectors.yaml",
                                             path, sizeof path),
                                    &p, err),
                     0);
    static const struct {
        const char *service, *category, *purpose, *rule;
    } cases[] = {
        {"sms", "user.contact.phone_number", "essential.service", "sms_voice"}, /* service */
        {"sms", "user.contact.phone_number", "analytics.reporting", "by_all"},  /* 3 fields */
        {"sms", "user.contact.email", "analytics.reporting", "by_category_purpose"},
        {"sms", "user.contact.email", "essential.service", "by_service_category"},
        {"mail", "user.contact.email", "essential.service", "by_service_purpose"},
        {"mail", "user.contact.email", "analytics.reporting", "by_category_purpose"},
        {"other", "user.contact.email", "other", "by_category"}, /* category over purpose */
        {"other", "other", "analytics.reporting", "by_purpose"},
        {"mail", "user.contact.phone_number", "other", "contract"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct tt_retention *r =
            tt_retention_rule_for(p, cases[i].service, cases[i].category, cases[i].purpose);
        if (!r || strcmp(r->key, cases[i].rule) != 0)
            fail_msg("case %zu: expected %s, got %s", i, cases[i].rule, r ? r->key : "none");
    }
    assert_null(tt_retention_rule_for(p, "other", "other", "other"));
    assert_null(tt_retention_rule_for(NULL, "sms", NULL, NULL));
    /* the chosen rule sets the end: by_all keeps 5 months from collection */
    const struct tt_retention *r =
        tt_retention_rule_for(p, "sms", "user.contact.phone_number", "analytics.reporting");
    assert_int_equal(tt_retention_end(r, "NL", 1700000000), tt_time_add_months(1700000000, 5));
    tt_policy_free(p);
}

static void terms_follow_the_subjects_jurisdiction(void **state)
{
    const struct tt_policy *p = *state;
    const struct tt_jurisdiction *sg = tt_policy_jurisdiction(p, "SG"); /* S1.6 */
    assert_string_equal(sg->term_subject, "individual");
    assert_string_equal(sg->term_controller, "organisation");
    assert_string_equal(sg->term_processor, "data intermediary");
    assert_string_equal(sg->law, "PDPA 2012");
    assert_string_equal(tt_policy_terms_for(p, "NL")->term_subject, "data subject");
    assert_string_equal(tt_policy_terms_for(p, "US-CA")->term_subject, "consumer");
    assert_string_equal(tt_policy_terms_for(p, "BR")->code, "EU");
    assert_string_equal(tt_policy_terms_for(p, NULL)->code, "EU");
    assert_null(tt_policy_jurisdiction(p, "NL"));
}

static void eea_membership_and_basis_per_jurisdiction(void **state)
{
    const struct tt_policy *p = *state;
    assert_int_equal(p->n_eea_countries, 30);
    const char *in[] = {"NL", "nl", "DE", "FR", "IE", "NO", "IS", "LI", "ES-CT", "EU", NULL};
    const char *out[] = {"GB", "US", "US-CA", "CH", "SG", "", "N", "NLD", "N1", NULL};
    for (int i = 0; in[i]; i++)
        assert_true(tt_policy_in_eea(p, in[i]));
    for (int i = 0; out[i]; i++)
        assert_false(tt_policy_in_eea(p, out[i]));
    assert_false(tt_policy_in_eea(p, NULL));
    /* S2.1: the basis may differ outside the EEA */
    const struct tt_purpose *fraud = tt_policy_purpose(p, "essential.fraud_detection");
    assert_int_equal(tt_policy_basis_for(p, fraud, "NL"), TT_BASIS_LEGAL_OBLIGATION);
    assert_int_equal(tt_policy_basis_for(p, fraud, "US-CA"), TT_BASIS_LEGITIMATE_INTEREST);
    assert_int_equal(tt_policy_basis_for(p, fraud, NULL), TT_BASIS_LEGAL_OBLIGATION);
    assert_int_equal(tt_policy_basis_for(p, NULL, "NL"), TT_BASIS_NONE);
    const struct tt_purpose *email = tt_policy_purpose(p, "marketing.communications.email");
    assert_int_equal(tt_policy_basis_for(p, email, "SG"), TT_BASIS_CONSENT);
}

static void deadlines_per_regime(void **state)
{
    const struct tt_policy *p = *state;
    const struct tt_deadline *d = tt_policy_deadline_for(p, "NL"); /* S8.4 */
    assert_string_equal(d->key, "statement");
    assert_int_equal(d->months, 1);
    assert_int_equal(d->max_months, 2);
    assert_string_equal(tt_policy_deadline_for(p, "BR")->key, "statement");
    d = tt_policy_deadline_for(p, "US-CA");
    assert_string_equal(d->key, "ccpa");
    assert_int_equal(d->days, 45);
    assert_int_equal(d->max_days, 90);
    assert_int_equal(d->confirm_business_days, 10);
    d = tt_policy_deadline_for(p, "SG");
    assert_int_equal(d->days, 30);
    assert_int_equal(d->max_days, 30);
    d = tt_policy_deadline(p, "gdpr_max");
    assert_int_equal(d->months, 1);
    assert_int_equal(d->max_months, 3);
    assert_null(tt_policy_deadline(p, "none"));
}

static void recipients_and_cookies(void **state)
{
    const struct tt_policy *p = *state;
    const char *psp[] = {"stripe", "mollie", "adyen", NULL}; /* S4.1 (3) */
    for (int i = 0; psp[i]; i++) {
        const struct tt_recipient *r = tt_policy_recipient(p, psp[i]);
        assert_non_null(r);
        assert_int_equal(r->role, TT_RROLE_CONTROLLER);
        assert_string_equal(r->category, "payment_provider");
        assert_true(r->approved);
    }
    assert_int_equal(p->n_recipient_categories, 5);
    int unapproved = 0, conduits = 0;
    for (size_t i = 0; i < p->n_recipients; i++) {
        unapproved += !p->recipients[i].approved;
        conduits += p->recipients[i].role == TT_RROLE_CONDUIT; /* S4.2 */
    }
    assert_true(unapproved >= 1);
    assert_true(conduits >= 1);
    int always_on = 0;
    for (size_t i = 0; i < p->n_cookie_categories; i++)
        always_on += p->cookie_categories[i].always_on;
    assert_int_equal(always_on, 1); /* S9.2: only strictly necessary */
    assert_true(p->n_cookies >= 5);
    for (size_t i = 0; i < p->n_cookies; i++) {
        const struct tt_cookie *c = &p->cookies[i];
        assert_non_null(c->purpose);
        assert_true(c->session ? c->lifetime_days == 0 : c->lifetime_days > 0); /* S9.3 */
    }
}

static void digest_is_blake2b_of_the_file_bytes(void **state)
{
    const struct tt_policy *p = *state;
    char path[4096];
    size_t len;
    char *bytes = slurp(src_path("policy/default.yaml", path, sizeof path), &len);
    uint8_t d[32];
    assert_int_equal(crypto_generichash(d, sizeof d, (unsigned char *)bytes, len, NULL, 0), 0);
    assert_memory_equal(d, p->digest, 32);
    struct tt_policy *q = NULL;
    char err[TT_POLICY_ERR_MAX];
    assert_int_equal(tt_policy_load_buffer("mem", bytes, len, &q, err), 0);
    assert_memory_equal(q->digest, p->digest, 32);
    assert_string_equal(q->source_path, "mem");
    tt_policy_free(q);
    /* one more comment line: same policy, different digest */
    char *more = malloc(len + 3);
    memcpy(more, bytes, len);
    memcpy(more + len, "#\n", 2);
    assert_int_equal(tt_policy_load_buffer("mem", more, len + 2, &q, err), 0);
    assert_memory_not_equal(q->digest, p->digest, 32);
    tt_policy_free(q);
    free(more);
    free(bytes);
}

static void minimal_policy_loads(void **state)
{
    (void)state;
    char path[4096], err[TT_POLICY_ERR_MAX];
    struct tt_policy *p = NULL;
    assert_int_equal(
        tt_policy_load(src_path("tests/data/policy/good/minimal.yaml", path, sizeof path), &p, err),
        0);
    assert_int_equal(p->n_purposes, 2);
    const struct tt_purpose *svc = tt_policy_purpose(p, "essential.service");
    assert_true(tt_policy_purpose_allows_category(svc, "user.contact.phone_number")); /* any */
    const struct tt_purpose *an = tt_policy_purpose(p, "analytics.reporting");
    assert_true(tt_policy_purpose_allows_category(an, "user.contact.email"));
    assert_false(tt_policy_purpose_allows_category(an, "user.contact.phone_number"));
    assert_true(p->cookies[0].session);
    tt_policy_free(p);
    tt_policy_free(NULL);
}

/* Each bad file's first line: "# expect: <substring of the error>". */
static void broken_files_fail_with_their_line_and_reason(void **state)
{
    (void)state;
    char dir[4096];
    DIR *d = opendir(src_path("tests/data/policy/bad", dir, sizeof dir));
    assert_non_null(d);
    struct dirent *de;
    int cases = 0;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".yaml") != 0)
            continue;
        char path[4096 + 256];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len;
        char *text = slurp(path, &len);
        assert_true(strncmp(text, "# expect: ", 10) == 0);
        char expect[512];
        size_t e = strcspn(text + 10, "\n");
        assert_true(e > 0 && e < sizeof expect);
        memcpy(expect, text + 10, e);
        while (e > 0 && expect[e - 1] == ' ')
            e--;
        expect[e] = '\0';
        free(text);

        struct tt_policy *sentinel = (struct tt_policy *)&cases, *p = sentinel;
        char err[TT_POLICY_ERR_MAX];
        int rc = tt_policy_load(path, &p, err);
        if (rc == 0 || !strstr(err, expect) || strncmp(err, path, strlen(path)) != 0)
            fail_msg("%s: expected '%s', got rc=%d '%s'", de->d_name, expect, rc, err);
        assert_ptr_equal(p, sentinel); /* untouched on failure */

        char errs[8192];
        int count = tt_policy_check(path, errs, sizeof errs, 20);
        if (count < 1 || !strstr(errs, expect))
            fail_msg("%s: check found %d: %s", de->d_name, count, errs);
        cases++;
    }
    closedir(d);
    assert_true(cases >= 12);
}

static void check_collects_several_problems(void **state)
{
    (void)state;
    char path[4096];
    size_t len;
    char *text = slurp(src_path("tests/data/policy/good/minimal.yaml", path, sizeof path), &len);
    /* three independent problems */
    const char *subs[][2] = {{"name: SMS", "nme: SMS"},
                             {"anchor: collected", "anchor: whenever"},
                             {"language: en}", "language: en, colour: red}"}};
    for (size_t i = 0; i < 3; i++) {
        char *at = strstr(text, subs[i][0]);
        assert_non_null(at);
        size_t a = strlen(subs[i][0]), b = strlen(subs[i][1]);
        char *nt = malloc(len + b + 1);
        size_t pre = (size_t)(at - text);
        memcpy(nt, text, pre);
        memcpy(nt + pre, subs[i][1], b);
        memcpy(nt + pre + b, at + a, len - pre - a + 1);
        len = len - a + b;
        free(text);
        text = nt;
    }
    char tmp[64];
    int fd = tt_tmpfile("/tmp/tt_policy_", tmp, sizeof tmp);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    free(text);
    char errs[4096];
    assert_int_equal(tt_policy_check(tmp, errs, sizeof errs, 10), 4); /* nme + missing name */
    assert_non_null(strstr(errs, "unknown key 'nme' in service"));
    assert_non_null(strstr(errs, "missing required field 'name' in service"));
    assert_non_null(strstr(errs, "bad value 'whenever' for 'anchor'"));
    assert_non_null(strstr(errs, "unknown key 'colour' in policy notice"));
    assert_int_equal(tt_policy_check(tmp, errs, sizeof errs, 2), 2);
    assert_null(strchr(strchr(errs, '\n') + 1, '\n')); /* exactly two lines */
    unlink(tmp);
    assert_true(tt_policy_check("/nonexistent/policy.yaml", errs, sizeof errs, 10) < 0);
    assert_non_null(strstr(errs, "/nonexistent/policy.yaml: cannot open"));
}

static void odd_buffers_are_refused_cleanly(void **state)
{
    (void)state;
    struct tt_policy *p = NULL;
    char err[TT_POLICY_ERR_MAX];
    assert_true(tt_policy_load_buffer("b", "", 0, &p, err) < 0);
    assert_string_equal(err, "b:1: the policy file is empty");
    assert_true(tt_policy_load_buffer("b", "- a\n- b\n", 8, &p, err) < 0);
    assert_non_null(strstr(err, "b:1: the top level must be a mapping"));
    assert_true(tt_policy_load_buffer("b", "a: 1\n---\nb: 2\n", 14, &p, err) < 0);
    assert_non_null(strstr(err, "only one YAML document"));
    char deep[200];
    memset(deep, '[', sizeof deep);
    assert_true(tt_policy_load_buffer("b", deep, sizeof deep, &p, err) < 0);
    assert_non_null(strstr(err, "nested too deeply"));
    assert_true(tt_policy_load_buffer("b", "policy: \"a\0b\"\n", 14, &p, err) < 0);
    assert_true(tt_policy_load_buffer("b", "x: *a\n", 6, &p, err) < 0);
    assert_non_null(strstr(err, "aliases"));
    assert_true(tt_policy_load_buffer("b", "{[a]: 1}\n", 9, &p, err) < 0);
    assert_null(p);
    /* a long key is quoted shortened in the message */
    char longkey[400];
    memset(longkey, 'k', 300);
    memcpy(longkey + 300, ": 1\n", 5);
    assert_true(tt_policy_load_buffer("b", longkey, strlen(longkey), &p, err) < 0);
    assert_true(strlen(err) < 120);
}

int main(void)
{
    const char *r = getenv("TUTELA_SOURCE_ROOT");
    snprintf(root, sizeof root, "%s", r && *r ? r : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(default_policy_has_the_s23_purposes, setup_default,
                                        teardown_default),
        cmocka_unit_test_setup_teardown(default_policy_has_the_s35_data_map, setup_default,
                                        teardown_default),
        cmocka_unit_test(retention_rule_by_category_and_purpose),
        cmocka_unit_test_setup_teardown(default_policy_has_the_s7_retention_rules, setup_default,
                                        teardown_default),
        cmocka_unit_test_setup_teardown(terms_follow_the_subjects_jurisdiction, setup_default,
                                        teardown_default),
        cmocka_unit_test_setup_teardown(eea_membership_and_basis_per_jurisdiction, setup_default,
                                        teardown_default),
        cmocka_unit_test_setup_teardown(deadlines_per_regime, setup_default, teardown_default),
        cmocka_unit_test_setup_teardown(recipients_and_cookies, setup_default, teardown_default),
        cmocka_unit_test_setup_teardown(digest_is_blake2b_of_the_file_bytes, setup_default,
                                        teardown_default),
        cmocka_unit_test(minimal_policy_loads),
        cmocka_unit_test(broken_files_fail_with_their_line_and_reason),
        cmocka_unit_test(check_collects_several_problems),
        cmocka_unit_test(odd_buffers_are_refused_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
