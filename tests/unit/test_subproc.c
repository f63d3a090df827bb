/* SPDX-License-Identifier: Apache-2.0 */
/* test_subproc.c — the public sub-processor list's difference (S14.1, issue 7): additions,
 * removals and changed fields reported once each in key order, "since" alone is no change,
 * unsorted lists refused; and the webhook URL check (http/https only, no credentials, no
 * fragment, sane host and port). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/subproc.h"

static struct tt_subproc entry(const char *key, const char *country)
{
    struct tt_subproc e;
    memset(&e, 0, sizeof e);
    snprintf(e.key, sizeof e.key, "%s", key);
    snprintf(e.name, sizeof e.name, "Name of %s", key);
    snprintf(e.role, sizeof e.role, "subprocessor");
    snprintf(e.category, sizeof e.category, "service_provider");
    snprintf(e.country, sizeof e.country, "%s", country);
    snprintf(e.mechanism, sizeof e.mechanism, "none");
    snprintf(e.purposes, sizeof e.purposes, "essential.service");
    e.since = 1000;
    return e;
}

struct seen {
    char log[512];
};

static int note(void *cls, enum tt_subproc_change kind, const struct tt_subproc *before,
                const struct tt_subproc *after, unsigned fields)
{
    struct seen *s = cls;
    char line[128];
    const char *k = kind == TT_SUBPROC_ADDED ? "+" : kind == TT_SUBPROC_REMOVED ? "-" : "~";
    snprintf(line, sizeof line, "%s%s", k, after ? after->key : before->key);
    strncat(s->log, line, sizeof s->log - strlen(s->log) - 1);
    for (unsigned b = 1; b <= TT_SUBPROC_F_PURPOSES; b <<= 1)
        if (fields & b) {
            strncat(s->log, ":", sizeof s->log - strlen(s->log) - 1);
            strncat(s->log, tt_subproc_field_name(b), sizeof s->log - strlen(s->log) - 1);
        }
    strncat(s->log, " ", sizeof s->log - strlen(s->log) - 1);
    return 0;
}

static void same_list_has_no_difference(void **state)
{
    (void)state;
    struct tt_subproc a[] = {entry("aws", "IE"), entry("mailer", "NL")};
    struct tt_subproc b[] = {entry("aws", "IE"), entry("mailer", "NL")};
    b[1].since = 99999; /* re-vetted: not a change people are told about */
    assert_int_equal(tt_subproc_diff(a, 2, b, 2, NULL, NULL), 0);
    assert_int_equal(tt_subproc_diff(NULL, 0, NULL, 0, NULL, NULL), 0);
}

static void additions_removals_and_changes_in_key_order(void **state)
{
    (void)state;
    struct tt_subproc old[] = {entry("aws", "IE"), entry("crm", "US"), entry("mailer", "NL")};
    struct tt_subproc new[] = {entry("aws", "US"), entry("backup", "DE"), entry("mailer", "NL"),
                               entry("zeta", "FR")};
    snprintf(new[0].mechanism, sizeof new[0].mechanism, "scc");
    snprintf(new[2].purposes, sizeof new[2].purposes, "essential.service,marketing.email");
    struct seen s = {{0}};
    assert_int_equal(tt_subproc_diff(old, 3, new, 4, note, &s), 5);
    assert_string_equal(s.log, "~aws:country:transfer_mechanism +backup -crm "
                               "~mailer:purposes +zeta ");
    memset(&s, 0, sizeof s);
    assert_int_equal(tt_subproc_diff(NULL, 0, old, 3, note, &s), 3);
    assert_string_equal(s.log, "+aws +crm +mailer ");
    memset(&s, 0, sizeof s);
    assert_int_equal(tt_subproc_diff(old, 3, NULL, 0, note, &s), 3);
    assert_string_equal(s.log, "-aws -crm -mailer ");
}

static void every_field_is_compared(void **state)
{
    (void)state;
    struct tt_subproc a = entry("x", "NL"), b = a;
    snprintf(b.name, sizeof b.name, "Other");
    snprintf(b.role, sizeof b.role, "processor");
    snprintf(b.category, sizeof b.category, "affiliate");
    assert_int_equal(tt_subproc_changed(&a, &b),
                     TT_SUBPROC_F_NAME | TT_SUBPROC_F_ROLE | TT_SUBPROC_F_CATEGORY);
    assert_null(tt_subproc_field_name(1u << 9));
}

static void unsorted_or_repeated_lists_are_refused(void **state)
{
    (void)state;
    struct tt_subproc bad[] = {entry("b", "NL"), entry("a", "NL")};
    struct tt_subproc twice[] = {entry("a", "NL"), entry("a", "DE")};
    struct tt_subproc ok[] = {entry("a", "NL")};
    assert_int_equal(tt_subproc_diff(bad, 2, ok, 1, NULL, NULL), -1);
    assert_int_equal(tt_subproc_diff(ok, 1, twice, 2, NULL, NULL), -1);
    assert_int_equal(tt_subproc_diff(NULL, 1, ok, 1, NULL, NULL), -1);
}

static int stop_first(void *cls, enum tt_subproc_change kind, const struct tt_subproc *before,
                      const struct tt_subproc *after, unsigned fields)
{
    (void)kind, (void)before, (void)after, (void)fields;
    ++*(int *)cls;
    return 1;
}

static void stop_early_when_the_callback_asks(void **state)
{
    (void)state;
    struct tt_subproc n[] = {entry("a", "NL"), entry("b", "NL"), entry("c", "NL")};
    int calls = 0;
    assert_int_equal(tt_subproc_diff(NULL, 0, n, 3, stop_first, &calls), 1);
    assert_int_equal(calls, 1);
}

static void webhook_urls(void **state)
{
    (void)state;
    const char *good[] = {"https://hooks.example.com/tutela", "http://127.0.0.1:8080/hook",
                          "https://[::1]:443/x?y=1&z=%20", "https://example.com",
                          "http://a-b.example:1/"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(tt_subproc_url_ok(good[i]));
    const char *bad[] = {NULL,
                         "",
                         "ftp://example.com/",
                         "javascript:alert(1)",
                         "mailto:a@example.com",
                         "https://",
                         "https://user:pw@example.com/",
                         "https://example.com/#frag",
                         "https://example.com:0/",
                         "https://example.com:65536/",
                         "https://example.com:80a/",
                         "https://exa mple.com/",
                         "https://example.com/a b",
                         "https://-example.com/",
                         "https://example.com/\"><script>",
                         "https://[]/",
                         "HTTPS://example.com/",
                         "https://example.com\\@evil/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(tt_subproc_url_ok(bad[i]));
    char longer[TT_SUBPROC_URL_MAX + 16];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memcpy(longer, "https://e.com/", 14);
    assert_false(tt_subproc_url_ok(longer));
    longer[TT_SUBPROC_URL_MAX] = '\0';
    assert_true(tt_subproc_url_ok(longer));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_list_has_no_difference),
        cmocka_unit_test(additions_removals_and_changes_in_key_order),
        cmocka_unit_test(every_field_is_compared),
        cmocka_unit_test(unsorted_or_repeated_lists_are_refused),
        cmocka_unit_test(stop_early_when_the_callback_asks),
        cmocka_unit_test(webhook_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
