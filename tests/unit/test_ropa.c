/* SPDX-License-Identifier: Apache-2.0 */
/* test_ropa.c — records of processing (GDPR art. 30) checked against the policy they come
 * from: every service x purpose and every purpose of the platform's own processing appears, with
 * the policy's bases, role (S1.4), retention rule and the recipients that receive it; a sale
 * never does (S4.4); transfers outside the EEA carry their mechanism (S5.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/recipients_ropa.h"
#include "core/clock.h"

static const json_t *find(const json_t *doc, const char *id)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(doc, "activities"), i, a)
    {
        if (strcmp(json_string_value(json_object_get(a, "id")), id) == 0)
            return a;
    }
    return NULL;
}

static const char *s(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void every_activity_of_the_policy_with_basis_and_retention(void **state)
{
    (void)state;
    char path[512], err[512];
    const char *root = getenv("TUTELA_SOURCE_ROOT");
    struct tt_policy *p = NULL;
    struct tt_adequacy *ad = NULL;
    snprintf(path, sizeof path, "%s/policy/default.yaml", root ? root : ".");
    assert_int_equal(tt_policy_load(path, &p, err), 0);
    snprintf(path, sizeof path, "%s/policy/adequacy.yaml", root ? root : ".");
    assert_int_equal(tt_adequacy_load(path, &ad, err), 0);
    tt_time now;
    assert_int_equal(tt_time_parse("2024-03-01", &now), 0);
    struct tt_rcpt *rs = calloc(p->n_recipients, sizeof *rs);
    for (size_t i = 0; i < p->n_recipients; i++)
        tt_rcpt_from_policy(p, &p->recipients[i], "ten_platform", now, &rs[i]);
    json_t *doc = tt_ropa_build(p, rs, p->n_recipients, ad, now);
    assert_non_null(doc);
    size_t expected = 0;
    for (size_t i = 0; i < p->n_services; i++) {
        const struct tt_service *sv = &p->services[i];
        for (size_t j = 0; sv->purposes[j]; j++) {
            char id[256];
            snprintf(id, sizeof id, "%s/%s", sv->key, sv->purposes[j]);
            const json_t *a = find(doc, id);
            if (!a)
                fail_msg("activity %s missing", id);
            const struct tt_purpose *pu = tt_policy_purpose(p, sv->purposes[j]);
            const json_t *b = json_object_get(a, "legal_basis");
            assert_string_equal(s(b, "eea"), tt_basis_name(pu->basis_eea));
            assert_string_equal(s(b, "other"), tt_basis_name(pu->basis_other));
            assert_string_equal(s(a, "role"), "processor"); /* S1.4: end-user data */
            assert_string_equal(s(json_object_get(a, "retention"), "rule"), sv->retention);
            expected++;
        }
    }
    for (size_t i = 0; i < p->n_purposes; i++) {
        char id[256];
        snprintf(id, sizeof id, "platform/%s", p->purposes[i].key);
        const json_t *a = find(doc, id);
        if (p->purposes[i].sale) {
            assert_null(a); /* S4.4 */
            continue;
        }
        if (!a)
            fail_msg("activity %s missing", id);
        assert_string_equal(s(a, "role"), "controller");
        expected++;
    }
    assert_int_equal(json_array_size(json_object_get(doc, "activities")), expected);
    const json_t *mk = find(doc, "platform/marketing.communications");
    assert_string_equal(s(json_object_get(mk, "retention"), "rule"), "marketing");
    const json_t *bill = find(doc, "platform/finance.billing");
    assert_string_equal(s(json_object_get(bill, "retention"), "rule"), "financial");
    /* Stripe receives billing data in the US under SCC; the unvetted vendor receives nothing */
    int stripe = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(bill, "transfers"), i, t)
    {
        if (strcmp(s(t, "recipient"), "stripe") == 0) {
            stripe = 1;
            assert_string_equal(s(t, "mechanism"), "scc");
        }
    }
    assert_true(stripe);
    const json_t *an = find(doc, "email/analytics.reporting");
    json_array_foreach(json_object_get(an, "recipients"), i, t)
        assert_string_not_equal(s(t, "key"), "example_analytics_unvetted");
    json_decref(doc);
    free(rs);
    tt_adequacy_free(ad);
    tt_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_activity_of_the_policy_with_basis_and_retention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
