/* SPDX-License-Identifier: Apache-2.0 */
/* test_request_state.c — the rights-request state machine (issue 5): every allowed transition,
 * every refused one, terminal states, names round-trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/request_state.h"

static void happy_path_reaches_completed(void **state)
{
    (void)state;
    enum tt_rq_state s = TT_RQS_RECEIVED;
    assert_int_equal(tt_rq_next(s, TT_RQE_CODE_SENT, &s), 0);
    assert_int_equal(s, TT_RQS_IDENTITY_VERIFICATION);
    assert_int_equal(tt_rq_next(s, TT_RQE_CODE_SENT, &s), 0); /* a code sent again */
    assert_int_equal(tt_rq_next(s, TT_RQE_VERIFY, &s), 0);
    assert_int_equal(s, TT_RQS_VERIFIED);
    assert_int_equal(tt_rq_next(s, TT_RQE_START, &s), 0);
    assert_int_equal(s, TT_RQS_IN_PROGRESS);
    assert_int_equal(tt_rq_next(s, TT_RQE_EXTEND, &s), 0);
    assert_int_equal(s, TT_RQS_EXTENDED);
    assert_int_equal(tt_rq_next(s, TT_RQE_PARTIAL, &s), 0);
    assert_int_equal(s, TT_RQS_PARTIALLY_COMPLETED);
    assert_true(tt_rq_state_terminal(s));
}

static void extension_happens_once(void **state)
{
    (void)state;
    enum tt_rq_state s = TT_RQS_EXTENDED, keep = TT_RQS_EXTENDED;
    assert_int_equal(tt_rq_next(s, TT_RQE_EXTEND, &keep), -TT_E_CONFLICT);
    assert_int_equal(keep, TT_RQS_EXTENDED);
}

static void unverified_request_cannot_be_worked_on(void **state)
{
    (void)state;
    enum tt_rq_state out = TT_RQS__COUNT;
    const enum tt_rq_state open[] = {TT_RQS_RECEIVED, TT_RQS_IDENTITY_VERIFICATION};
    const enum tt_rq_event work[] = {TT_RQE_START, TT_RQE_EXTEND, TT_RQE_COMPLETE, TT_RQE_PARTIAL};
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 4; j++)
            assert_int_equal(tt_rq_next(open[i], work[j], &out), -TT_E_CONFLICT);
    assert_int_equal(out, TT_RQS__COUNT);
}

static void terminal_states_accept_nothing(void **state)
{
    (void)state;
    const enum tt_rq_state done[] = {TT_RQS_COMPLETED, TT_RQS_PARTIALLY_COMPLETED, TT_RQS_REJECTED};
    for (size_t i = 0; i < 3; i++) {
        assert_true(tt_rq_state_terminal(done[i]));
        for (int e = 0; e < TT_RQE__COUNT; e++) {
            enum tt_rq_state out;
            assert_int_equal(tt_rq_next(done[i], (enum tt_rq_event)e, &out), -TT_E_CONFLICT);
        }
    }
    assert_false(tt_rq_state_terminal(TT_RQS_EXTENDED));
}

static void every_open_state_can_be_rejected(void **state)
{
    (void)state;
    for (int s = 0; s < TT_RQS__COUNT; s++) {
        enum tt_rq_state out;
        int rc = tt_rq_next((enum tt_rq_state)s, TT_RQE_REJECT, &out);
        if (tt_rq_state_terminal((enum tt_rq_state)s)) {
            assert_int_equal(rc, -TT_E_CONFLICT);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(out, TT_RQS_REJECTED);
        }
    }
}

static void out_of_range_is_refused(void **state)
{
    (void)state;
    enum tt_rq_state out;
    assert_int_equal(tt_rq_next(TT_RQS__COUNT, TT_RQE_VERIFY, &out), -TT_E_CONFLICT);
    assert_int_equal(tt_rq_next(TT_RQS_RECEIVED, TT_RQE__COUNT, &out), -TT_E_CONFLICT);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int t = 0; t < TT_RQ__TYPE_COUNT; t++) {
        enum tt_rq_type back;
        assert_int_equal(tt_rq_type_parse(tt_rq_type_name((enum tt_rq_type)t), &back), 0);
        assert_int_equal(back, t);
    }
    for (int s = 0; s < TT_RQS__COUNT; s++) {
        enum tt_rq_state back;
        assert_int_equal(tt_rq_state_parse(tt_rq_state_name((enum tt_rq_state)s), &back), 0);
        assert_int_equal(back, s);
    }
    for (int c = 0; c < TT_RQ__CHANNEL_COUNT; c++) {
        enum tt_rq_channel back;
        assert_int_equal(tt_rq_channel_parse(tt_rq_channel_name((enum tt_rq_channel)c), &back), 0);
        assert_int_equal(back, c);
    }
    enum tt_rq_type t = TT_RQ_ACCESS;
    assert_int_equal(tt_rq_type_parse("delete_everything", &t), -TT_E_BAD_FIELD);
    assert_int_equal(tt_rq_type_parse(NULL, &t), -TT_E_BAD_FIELD);
    assert_int_equal(t, TT_RQ_ACCESS);
    assert_string_equal(tt_rq_type_name(TT_RQ_CONSENT_WITHDRAWAL), "consent_withdrawal");
    assert_string_equal(tt_rq_state_name(TT_RQS_IDENTITY_VERIFICATION), "identity_verification");
    assert_string_equal(tt_rq_state_name((enum tt_rq_state)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(happy_path_reaches_completed),
        cmocka_unit_test(extension_happens_once),
        cmocka_unit_test(unverified_request_cannot_be_worked_on),
        cmocka_unit_test(terminal_states_accept_nothing),
        cmocka_unit_test(every_open_state_can_be_rejected),
        cmocka_unit_test(out_of_range_is_refused),
        cmocka_unit_test(names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
