/* SPDX-License-Identifier: Apache-2.0 */
/* test_notice.c — notice versions and contacts (core/notice.h), the policy diff that proposes
 * "substantially affects rights" (api/notices_diff.h, S12.1) and the rendered statement with the
 * jurisdiction's terms (S1.6) in Markdown and HTML, escaped, with texts from a catalogue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/notices_diff.h"
#include "core/clock.h"
#include "core/notice.h"

static struct tt_policy *load(const char *rel)
{
    char p[512], err[TT_POLICY_ERR_MAX];
    const char *root = getenv("TUTELA_SOURCE_ROOT");
    snprintf(p, sizeof p, "%s/%s", root ? root : ".", rel);
    struct tt_policy *pol = NULL;
    if (tt_policy_load(p, &pol, err) != 0)
        fail_msg("%s", err);
    return pol;
}

static int has_change(const json_t *d, const char *kind, const char *key)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(d, "changes"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "kind")), kind) == 0 &&
            strcmp(json_string_value(json_object_get(c, "key")), key) == 0)
            return json_is_true(json_object_get(c, "substantial")) ? 2 : 1;
    }
    return 0;
}

static void diff_flags_new_purpose_longer_retention_new_transfer(void **state)
{
    (void)state;
    struct tt_policy *a = load("policy/default.yaml");
    struct tt_policy *b = load("tests/data/recipients/policy_2024.yaml");
    json_t *d = tt_notice_diff(a, b);
    assert_non_null(d);
    assert_true(json_is_true(json_object_get(d, "substantial")));
    assert_int_equal(has_change(d, "new_purpose", "improve.product_research"), 2);
    assert_int_equal(has_change(d, "longer_retention", "sms_voice"), 2);
    assert_int_equal(has_change(d, "new_transfer", "example_crm_us"), 2);
    json_decref(d);
    /* the reverse: a removed purpose and a shorter retention are not substantial */
    d = tt_notice_diff(b, a);
    assert_int_equal(has_change(d, "removed_purpose", "improve.product_research"), 1);
    assert_int_equal(has_change(d, "shorter_retention", "sms_voice"), 1);
    assert_int_equal(has_change(d, "removed_recipient", "example_crm_us"), 1);
    assert_false(json_is_true(json_object_get(d, "substantial")));
    json_decref(d);
    tt_policy_free(a);
    tt_policy_free(b);
}

static void diff_of_a_wording_change_is_not_substantial(void **state)
{
    (void)state;
    struct tt_policy *a = load("policy/default.yaml");
    struct tt_policy *b = load("tests/data/recipients/policy_cosmetic.yaml");
    json_t *d = tt_notice_diff(a, b);
    assert_int_equal(json_array_size(json_object_get(d, "changes")), 0);
    assert_false(json_is_true(json_object_get(d, "substantial")));
    json_decref(d);
    tt_policy_free(a);
    tt_policy_free(b);
}

static const char *cat(void *cls, const char *key)
{
    (void)cls;
    if (strcmp(key, "notice.intro") == 0)
        return "You, the {subject}; we, the {controller}; or the {processor}.";
    if (strcmp(key, "notice.title") == 0)
        return "Statement <&>";
    return NULL; /* the key itself */
}

static void render_uses_jurisdiction_terms_and_escapes(void **state)
{
    (void)state;
    struct tt_policy *p = load("policy/default.yaml");
    size_t len = 0;
    char *md = tt_notice_render(p, NULL, NULL, 0, "SG", "en", TT_NOTICE_MD, cat, NULL, &len);
    assert_non_null(md);
    assert_int_equal(strlen(md), len);
    assert_non_null(
        strstr(md, "You, the individual; we, the organisation; or the data intermediary."));
    assert_non_null(strstr(md, "PDPA 2012"));
    /* every service of the data map has its row */
    for (size_t i = 0; i < p->n_services; i++)
        assert_non_null(strstr(md, p->services[i].name));
    assert_non_null(strstr(md, "Stripe"));
    assert_null(strstr(md, "NOT approved")); /* the unvetted recipient is not listed */
    free(md);
    char *html = tt_notice_render(p, NULL, NULL, 0, "NL", "fr", TT_NOTICE_HTML, cat, NULL, NULL);
    assert_non_null(strstr(html, "<html lang=\"fr\">"));
    assert_non_null(strstr(html, "Statement &lt;&amp;&gt;"));
    assert_non_null(strstr(html, "You, the data subject; we, the controller; or the processor."));
    free(html);
    tt_policy_free(p);
}

static void notices_file_versions_and_errors(void **state)
{
    (void)state;
    static const char ok[] = "versions:\n"
                             "  - {version: \"1\", effective_date: \"2022-01-01\", summary: a}\n"
                             "  - {version: \"2\", effective_date: \"2024-01-01\", summary: b,"
                             " substantial: true}\n"
                             "contacts: {dpo_email: dpo@example.com}\n";
    struct tt_notices *n = NULL;
    char err[TT_NOTICE_ERR_MAX];
    assert_int_equal(tt_notices_load_buffer("n.yaml", ok, strlen(ok), &n, err), 0);
    assert_int_equal(n->n_versions, 2);
    assert_int_equal(n->versions[0].substantial, -1);
    assert_int_equal(n->versions[1].substantial, 1);
    tt_time t;
    assert_int_equal(tt_time_parse("2023-06-01", &t), 0);
    assert_string_equal(tt_notices_current(n, t)->version, "1");
    assert_int_equal(tt_time_parse("2024-01-01", &t), 0);
    assert_string_equal(tt_notices_current(n, t)->version, "2");
    tt_notices_free(n);
    static const char *const bad[] = {
        "versions: []\n",
        "versions:\n  - {version: \"1\", effective_date: \"2024-01-01\", summary: a}\n"
        "  - {version: \"2\", effective_date: \"2023-01-01\", summary: b}\n",
        "versions:\n  - {version: \"1\", effective_date: \"x\", summary: a}\n",
        "versions:\n  - {version: \"1\", effective_date: \"2024-01-01\", summary: a,"
        " substantial: maybe}\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        n = NULL;
        assert_true(tt_notices_load_buffer("n.yaml", bad[i], strlen(bad[i]), &n, err) < 0);
        assert_null(n);
        assert_non_null(strstr(err, "n.yaml:"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(diff_flags_new_purpose_longer_retention_new_transfer),
        cmocka_unit_test(diff_of_a_wording_change_is_not_substantial),
        cmocka_unit_test(render_uses_jurisdiction_terms_and_escapes),
        cmocka_unit_test(notices_file_versions_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
