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

static char *read_file(const char *rel, size_t *len)
{
    char p[512];
    const char *root = getenv("TUTELA_SOURCE_ROOT");
    snprintf(p, sizeof p, "%s/%s", root ? root : ".", rel);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    char *buf = malloc(1u << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1u << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static struct tt_policy *load(const char *rel)
{
    size_t len;
    char *text = read_file(rel, &len);
    char err[TT_POLICY_ERR_MAX];
    struct tt_policy *pol = NULL;
    if (tt_policy_load_buffer(rel, text, len, &pol, err) != 0)
        fail_msg("%s", err);
    free(text);
    return pol;
}

/* default.yaml with the case's edits applied (each find must occur). */
static struct tt_policy *edited(const json_t *edits)
{
    size_t len;
    char *text = read_file("policy/default.yaml", &len);
    size_t i;
    json_t *e;
    json_array_foreach(edits, i, e)
    {
        const char *find = json_string_value(json_object_get(e, "find"));
        const char *rep = json_string_value(json_object_get(e, "replace"));
        char *at = strstr(text, find);
        if (!at)
            fail_msg("edit %zu: text not found in policy/default.yaml", i);
        size_t fl = strlen(find), rl = strlen(rep), off = (size_t)(at - text);
        char *out = malloc(len - fl + rl + 1);
        assert_non_null(out);
        memcpy(out, text, off);
        memcpy(out + off, rep, rl);
        memcpy(out + off + rl, at + fl, len - off - fl + 1);
        free(text);
        text = out;
        len = len - fl + rl;
    }
    char err[TT_POLICY_ERR_MAX];
    struct tt_policy *pol = NULL;
    if (tt_policy_load_buffer("edited.yaml", text, len, &pol, err) != 0)
        fail_msg("%s", err);
    free(text);
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

static void diff_cases_from_data(void **state)
{
    (void)state;
    char p[512];
    const char *root = getenv("TUTELA_SOURCE_ROOT");
    snprintf(p, sizeof p, "%s/tests/data/recipients/notice_diff_cases.json", root ? root : ".");
    json_error_t je;
    json_t *doc = json_load_file(p, 0, &je);
    if (!doc)
        fail_msg("%s:%d: %s", p, je.line, je.text);
    struct tt_policy *base = load("policy/default.yaml");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        struct tt_policy *np = edited(json_object_get(c, "edits"));
        json_t *d = tt_notice_diff(base, np);
        assert_non_null(d);
        const json_t *want = json_object_get(c, "changes");
        if (json_array_size(json_object_get(d, "changes")) != json_array_size(want))
            fail_msg("%s: %zu changes, expected %zu", name,
                     json_array_size(json_object_get(d, "changes")), json_array_size(want));
        size_t k;
        json_t *w;
        json_array_foreach(want, k, w)
        {
            int got = has_change(d, json_string_value(json_array_get(w, 0)),
                                 json_string_value(json_array_get(w, 1)));
            if (got != (json_is_true(json_array_get(w, 2)) ? 2 : 1))
                fail_msg("%s: change %zu missing or wrongly weighed", name, k);
        }
        if (json_is_true(json_object_get(d, "substantial")) !=
            json_is_true(json_object_get(c, "substantial")))
            fail_msg("%s: substantial flag wrong", name);
        json_decref(d);
        /* the reverse of an added purpose is a removal, never substantial */
        d = tt_notice_diff(np, base);
        json_array_foreach(json_object_get(d, "changes"), k, w)
        {
            if (strcmp(json_string_value(json_object_get(w, "kind")), "removed_purpose") == 0)
                assert_false(json_is_true(json_object_get(w, "substantial")));
        }
        json_decref(d);
        tt_policy_free(np);
    }
    tt_policy_free(base);
    json_decref(doc);
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
        ("versions:\n  - {version: \"1\", effective_date: \"2024-01-01\", summary: a}\n"
         "  - {version: \"2\", effective_date: \"2023-01-01\", summary: b}\n"),
        "versions:\n  - {version: \"1\", effective_date: \"x\", summary: a}\n",
        ("versions:\n  - {version: \"1\", effective_date: \"2024-01-01\", summary: a,"
         " substantial: maybe}\n"),
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
        cmocka_unit_test(diff_cases_from_data),
        cmocka_unit_test(render_uses_jurisdiction_terms_and_escapes),
        cmocka_unit_test(notices_file_versions_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
