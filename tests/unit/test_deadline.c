/* SPDX-License-Identifier: Apache-2.0 */
/* test_deadline.c — S8.4 deadlines (issue 5): one calendar month as the EDPB counts, CCPA 45 +
 * 45 days, PDPA 30 days, weekend roll, extension rules, due-soon / overdue flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/deadline.h"
#include "core/error.h"

static tt_time at(const char *s)
{
    tt_time t = 0;
    assert_int_equal(tt_time_parse(s, &t), 0);
    return t;
}

static const struct tt_deadline statement = {.key = "statement", .months = 1, .max_months = 2};
static const struct tt_deadline ccpa = {.key = "ccpa", .days = 45, .max_days = 90};
static const struct tt_deadline pdpa = {.key = "pdpa", .days = 30, .max_days = 30};

static void received_31_january_is_due_end_of_february(void **state)
{
    (void)state;
    struct tt_rq_deadline d;
    assert_int_equal(tt_deadline_compute(&statement, at("2026-01-31T15:00:00Z"), 0, &d), 0);
    assert_int_equal(d.due_at, at("2026-02-28T23:59:59Z"));
    assert_int_equal(d.max_due_at, at("2026-03-31T23:59:59Z"));
    assert_int_equal(tt_deadline_compute(&statement, at("2028-01-31T00:00:00Z"), 0, &d), 0);
    assert_int_equal(d.due_at, at("2028-02-29T23:59:59Z")); /* leap year */
    assert_int_equal(tt_deadline_compute(&statement, at("2026-03-15T23:59:59Z"), 0, &d), 0);
    assert_int_equal(d.due_at, at("2026-04-15T23:59:59Z"));
    assert_int_equal(d.max_due_at, at("2026-05-15T23:59:59Z"));
}

static void ccpa_and_pdpa_count_days(void **state)
{
    (void)state;
    struct tt_rq_deadline d;
    assert_int_equal(tt_deadline_compute(&ccpa, at("2026-01-01T10:00:00Z"), 0, &d), 0);
    assert_int_equal(d.due_at, at("2026-02-15T23:59:59Z"));
    assert_int_equal(d.max_due_at, at("2026-04-01T23:59:59Z"));
    assert_int_equal(tt_deadline_compute(&pdpa, at("2026-01-01T10:00:00Z"), 0, &d), 0);
    assert_int_equal(d.due_at, at("2026-01-31T23:59:59Z"));
    assert_int_equal(d.max_due_at, d.due_at); /* no extension under PDPA */
}

static void weekend_roll_moves_to_monday(void **state)
{
    (void)state;
    struct tt_rq_deadline d;
    /* 2026-02-28 is a Saturday */
    assert_int_equal(tt_deadline_compute(&statement, at("2026-01-28T09:00:00Z"), 1, &d), 0);
    assert_int_equal(d.due_at, at("2026-03-02T23:59:59Z"));
    /* 2026-03-01 is a Sunday */
    assert_int_equal(tt_deadline_compute(&statement, at("2026-02-01T09:00:00Z"), 1, &d), 0);
    assert_int_equal(d.due_at, at("2026-03-02T23:59:59Z"));
    assert_int_equal(tt_deadline_compute(&statement, at("2026-02-01T09:00:00Z"), 0, &d), 0);
    assert_int_equal(d.due_at, at("2026-03-01T23:59:59Z"));
}

static void bad_input_is_refused(void **state)
{
    (void)state;
    struct tt_rq_deadline d = {7, 7};
    assert_int_equal(tt_deadline_compute(NULL, 100, 0, &d), -TT_E_BAD_PARAM);
    assert_int_equal(tt_deadline_compute(&statement, 0, 0, &d), -TT_E_BAD_PARAM);
    assert_int_equal(d.due_at, 7);
}

static void extension_rules(void **state)
{
    (void)state;
    struct tt_rq_deadline d;
    tt_time rx = at("2026-01-31T15:00:00Z");
    assert_int_equal(tt_deadline_compute(&statement, rx, 0, &d), 0);
    tt_time g = 0, now = at("2026-02-20T10:00:00Z");
    assert_int_equal(tt_deadline_extend(&d, 0, now, now, 0, &g), 0);
    assert_int_equal(g, d.max_due_at);
    assert_int_equal(tt_deadline_extend(&d, 0, now, now, at("2026-03-10T23:59:59Z"), &g), 0);
    assert_int_equal(g, at("2026-03-10T23:59:59Z"));
    g = 1;
    /* past two months from receipt */
    assert_int_equal(tt_deadline_extend(&d, 0, now, now, at("2026-04-01T00:00:00Z"), &g),
                     -TT_E_EXTENSION_TOO_LONG);
    /* not after the original */
    assert_int_equal(tt_deadline_extend(&d, 0, now, now, d.due_at, &g), -TT_E_EXTENSION_TOO_LONG);
    /* after the original deadline, or without a notice before it */
    tt_time late = at("2026-03-01T00:00:00Z");
    assert_int_equal(tt_deadline_extend(&d, 0, late, late, 0, &g), -TT_E_DEADLINE_PASSED);
    assert_int_equal(tt_deadline_extend(&d, 0, now, 0, 0, &g), -TT_E_DEADLINE_PASSED);
    assert_int_equal(tt_deadline_extend(&d, 1, now, now, 0, &g), -TT_E_CONFLICT);
    assert_int_equal(g, 1);
    /* PDPA has none */
    assert_int_equal(tt_deadline_compute(&pdpa, rx, 0, &d), 0);
    assert_int_equal(tt_deadline_extend(&d, 0, rx, rx, 0, &g), -TT_E_EXTENSION_TOO_LONG);
}

static void flags_due_soon_and_overdue(void **state)
{
    (void)state;
    tt_time due = at("2026-02-28T23:59:59Z");
    assert_int_equal(tt_deadline_flag(due, at("2026-02-01T00:00:00Z"), 7), TT_DUE_LATER);
    assert_int_equal(tt_deadline_flag(due, at("2026-02-22T00:00:00Z"), 7), TT_DUE_SOON);
    assert_int_equal(tt_deadline_flag(due, due, 7), TT_DUE_SOON);
    assert_int_equal(tt_deadline_flag(due, due + 1, 7), TT_DUE_OVERDUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(received_31_january_is_due_end_of_february),
        cmocka_unit_test(ccpa_and_pdpa_count_days),
        cmocka_unit_test(weekend_roll_moves_to_monday),
        cmocka_unit_test(bad_input_is_refused),
        cmocka_unit_test(extension_rules),
        cmocka_unit_test(flags_due_soon_and_overdue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
