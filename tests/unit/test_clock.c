/* SPDX-License-Identifier: Apache-2.0 */
/* test_clock.c — RFC 3339 parsing/formatting and calendar months (S8.4 counting). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"

static tt_time at(const char *s)
{
    tt_time t = 0;
    assert_int_equal(tt_time_parse(s, &t), 0);
    return t;
}

static void parse_and_format_round_trip(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(tt_time_format(at("2026-11-29T02:35:23Z"), buf, sizeof buf),
                        "2026-11-29T02:35:23Z");
    assert_string_equal(tt_time_format(at("2026-11-29T03:35:23+01:00"), buf, sizeof buf),
                        "2026-11-29T02:35:23Z");
    assert_string_equal(tt_time_format(at("2026-11-29"), buf, sizeof buf), "2026-11-29T00:00:00Z");
}

static void parse_refuses_garbage(void **state)
{
    (void)state;
    tt_time t = 42;
    const char *bad[] = {"",
                         "2026-13-01",
                         "2026-02-30",
                         "2026-11-29T25:00:00Z",
                         "2026-11-29T02:35:23",
                         "yesterday",
                         "2026-11-29T02:35:23+0100",
                         NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_not_equal(tt_time_parse(bad[i], &t), 0);
    assert_int_equal(t, 42);
}

static void month_end_clamps_like_the_edpb(void **state)
{
    (void)state;
    char buf[32];
    /* S8.4: received 31 January, due on the last day of February */
    assert_string_equal(
        tt_time_format(tt_time_add_months(at("2027-01-31T10:00:00Z"), 1), buf, sizeof buf),
        "2027-02-28T10:00:00Z");
    assert_string_equal(
        tt_time_format(tt_time_add_months(at("2028-01-31T10:00:00Z"), 1), buf, sizeof buf),
        "2028-02-29T10:00:00Z");
    assert_string_equal(
        tt_time_format(tt_time_add_months(at("2026-11-15T00:00:00Z"), 2), buf, sizeof buf),
        "2027-01-15T00:00:00Z");
    /* S7.1: six months; S7.4: ten years */
    assert_string_equal(
        tt_time_format(tt_time_add_months(at("2026-08-31T00:00:00Z"), 6), buf, sizeof buf),
        "2027-02-28T00:00:00Z");
    assert_string_equal(
        tt_time_format(tt_time_add_months(at("2026-03-01T00:00:00Z"), 120), buf, sizeof buf),
        "2036-03-01T00:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_and_format_round_trip),
        cmocka_unit_test(parse_refuses_garbage),
        cmocka_unit_test(month_end_clamps_like_the_edpb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
