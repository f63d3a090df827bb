/* SPDX-License-Identifier: Apache-2.0 */
/* test_export.c — CSV cells of the export format (issue 5, S8.1 portability): quoting,
 * doubled quotes, formula injection guard, buffer limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_text_is_unchanged),
        cmocka_unit_test(separators_and_quotes_are_quoted),
        cmocka_unit_test(formulas_are_neutralised),
        cmocka_unit_test(small_buffer_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
