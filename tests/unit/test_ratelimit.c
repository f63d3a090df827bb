/* SPDX-License-Identifier: Apache-2.0 */
/* test_ratelimit.c — sign-in limits (issue 8): the attempt cap per window, lockout from the
 * threshold with exponential backoff up to the cap, success clearing it, keys kept apart, and a
 * flood of new keys not evicting a lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "core/ratelimit.h"

static const uint8_t key[32] = {1, 2, 3};

static void attempts_are_capped_per_window(void **state)
{
    (void)state;
    struct tt_rl_slot slots[64];
    struct tt_ratelimit rl;
    struct tt_rl_rules r = {60, 3, 5, 2, 900};
    tt_rl_init_keyed(&rl, slots, 64, r, key);
    uint8_t t[TT_RL_TAG_BYTES];
    tt_rl_tag(&rl, "ip", "203.0.113.9", t);
    int retry = 0;
    for (int i = 0; i < 3; i++)
        assert_int_equal(tt_rl_attempt(&rl, t, 1000, &retry), 0);
    assert_int_equal(tt_rl_attempt(&rl, t, 1010, &retry), -TT_E_RATE_LIMITED);
    assert_int_equal(retry, 50);
    assert_int_equal(tt_rl_attempt(&rl, t, 1060, &retry), 0); /* a new window */
}

static void failures_lock_with_doubling_backoff(void **state)
{
    (void)state;
    struct tt_rl_slot slots[64];
    struct tt_ratelimit rl;
    tt_rl_init_keyed(&rl, slots, 64, tt_rl_rules_default(), key);
    uint8_t t[TT_RL_TAG_BYTES];
    tt_rl_tag(&rl, "acct", "anna@example.com", t);
    tt_time now = 5000;
    for (int i = 0; i < 4; i++)
        assert_int_equal(tt_rl_fail(&rl, t, now), 0);
    assert_int_equal(tt_rl_fail(&rl, t, now), 2); /* 5th failure: 2 s */
    int retry = 0;
    assert_int_equal(tt_rl_attempt(&rl, t, now + 1, &retry), -TT_E_RATE_LIMITED);
    assert_int_equal(retry, 1);
    assert_int_equal(tt_rl_fail(&rl, t, now + 2), 4);
    assert_int_equal(tt_rl_fail(&rl, t, now + 6), 8);
    int lock = 0;
    for (int i = 0; i < 20; i++)
        lock = tt_rl_fail(&rl, t, now + 100);
    assert_int_equal(lock, 900); /* capped */
    tt_rl_success(&rl, t);
    assert_int_equal(tt_rl_attempt(&rl, t, now + 101, &retry), 0);
    assert_int_equal(tt_rl_fail(&rl, t, now + 101), 0); /* counting starts again */
}

static void keys_are_apart_and_locks_survive_a_flood(void **state)
{
    (void)state;
    struct tt_rl_slot slots[64];
    struct tt_ratelimit rl;
    tt_rl_init_keyed(&rl, slots, 64, tt_rl_rules_default(), key);
    uint8_t a[TT_RL_TAG_BYTES], b[TT_RL_TAG_BYTES];
    tt_rl_tag(&rl, "acct", "victim@example.com", a);
    tt_rl_tag(&rl, "ip", "victim@example.com", b);
    assert_memory_not_equal(a, b, TT_RL_TAG_BYTES);
    for (int i = 0; i < 6; i++)
        tt_rl_fail(&rl, a, 100);
    int retry = 0;
    assert_int_equal(tt_rl_attempt(&rl, b, 100, &retry), 0);
    char v[32];
    for (int i = 0; i < 5000; i++) {
        uint8_t t[TT_RL_TAG_BYTES];
        snprintf(v, sizeof v, "10.0.%d.%d", i / 256, i % 256);
        tt_rl_tag(&rl, "ip", v, t);
        tt_rl_attempt(&rl, t, 101, &retry);
    }
    assert_int_equal(tt_rl_attempt(&rl, a, 102, &retry), -TT_E_RATE_LIMITED);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(attempts_are_capped_per_window),
        cmocka_unit_test(failures_lock_with_doubling_backoff),
        cmocka_unit_test(keys_are_apart_and_locks_survive_a_flood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
