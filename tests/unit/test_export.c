/* SPDX-License-Identifier: Apache-2.0 */
/* test_export.c — CSV cells of the export format (issue 5, S8.1 portability): quoting,
 * doubled quotes, formula injection guard, buffer limits; JSON strings checked against jansson's
 * own encoding and times against tt_time_format over a range of dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <jansson.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/export.h"

static const char *cell(const char *s, char *buf, size_t size)
{
    long n = tt_export_csv_cell(s, strlen(s), buf, size);
    return n < 0 ? NULL : buf;
}

static void plain_text_is_unchanged(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(cell("anna@example.com", b, sizeof b), "anna@example.com");
    assert_string_equal(cell("", b, sizeof b), "");
}

static void separators_and_quotes_are_quoted(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(cell("a,b", b, sizeof b), "\"a,b\"");
    assert_string_equal(cell("say \"hi\"", b, sizeof b), "\"say \"\"hi\"\"\"");
    assert_string_equal(cell("two\nlines", b, sizeof b), "\"two\nlines\"");
}

static void formulas_are_neutralised(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(cell("=SUM(A1)", b, sizeof b), "'=SUM(A1)");
    assert_string_equal(cell("+31612345678", b, sizeof b), "'+31612345678");
    assert_string_equal(cell("=1,2", b, sizeof b), "\"'=1,2\"");
}

static void small_buffer_fails_cleanly(void **state)
{
    (void)state;
    char b[4] = "xyz";
    assert_int_equal(tt_export_csv_cell("abcdef", 6, b, sizeof b), -1);
    assert_string_equal(b, "");
    char big[2 * 3 + 4];
    assert_true(tt_export_csv_cell("\"\"\"", 3, big, sizeof big) >= 0);
}

/* every byte class: the result parses back (jansson) to exactly the input */
static void json_strings_round_trip_through_jansson(void **state)
{
    (void)state;
    const char *cases[] = {"",
                           "plain",
                           "say \"hi\"",
                           "back\\slash",
                           "tab\tnl\ncr\r",
                           "\x01\x1f ctl",
                           "caf\xc3\xa9 \xe2\x82\xac",
                           "</script>"};
    char out[256];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        long n = tt_export_json_string(cases[i], strlen(cases[i]), out, sizeof out);
        assert_true(n >= 2);
        assert_int_equal((size_t)n, strlen(out));
        json_error_t err;
        json_t *v = json_loadb(out, (size_t)n, JSON_DECODE_ANY, &err);
        assert_non_null(v);
        assert_string_equal(json_string_value(v), cases[i]);
        json_decref(v);
    }
    assert_int_equal(tt_export_json_string("abc", 3, out, 5), -1);
    assert_string_equal(out, "");
    assert_int_equal(tt_export_json_string("abc", 3, out, 6), 5);
}

static void json_times_match_tt_time_format(void **state)
{
    (void)state;
    char mine[24], ref[32], quoted[40];
    assert_int_equal(tt_export_json_time(0, mine), 4);
    assert_string_equal(mine, "null");
    /* every ~13 hours over 1970..2100, leap days and year ends included */
    for (tt_time t = 1; t < 4102444800LL; t += 46801) {
        tt_time_format(t, ref, sizeof ref);
        snprintf(quoted, sizeof quoted, "\"%s\"", ref);
        assert_int_equal(tt_export_json_time(t, mine), 22);
        assert_string_equal(mine, quoted);
    }
    tt_export_json_time(951782400, mine); /* 2000-02-29 */
    assert_string_equal(mine, "\"2000-02-29T00:00:00Z\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_text_is_unchanged),
        cmocka_unit_test(separators_and_quotes_are_quoted),
        cmocka_unit_test(formulas_are_neutralised),
        cmocka_unit_test(small_buffer_fails_cleanly),
        cmocka_unit_test(json_strings_round_trip_through_jansson),
        cmocka_unit_test(json_times_match_tt_time_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
