/* SPDX-License-Identifier: Apache-2.0 */
/* test_password.c — password rules and Argon2id hashing (S6.1): short, one-class and
 * email-containing passwords refused; hashes verify; cost never below interactive; a cost change
 * asks for a rehash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/password.h"

static enum tt_password_rule check(const char *pw, const char *email)
{
    return tt_password_check(pw, strlen(pw), email);
}

static void rules_refuse_weak_passwords(void **state)
{
    (void)state;
    assert_int_equal(check("Sh0rt-pw", NULL), TT_PW_TOO_SHORT);
    assert_int_equal(check("123456789012345", NULL), TT_PW_ONE_CLASS);
    assert_int_equal(check("abcdefghijklmnop", NULL), TT_PW_ONE_CLASS);
    assert_int_equal(check("AAAAAAAAAAAAAAAA", NULL), TT_PW_ONE_CLASS);
    assert_int_equal(check("!!!!!!!!!!!!!!!!", NULL), TT_PW_ONE_CLASS);
    assert_int_equal(check("xx-AnnaSmith-2026", "anna.smith@example.com"), TT_PW_HAS_EMAIL);
    assert_int_equal(check("my-ANNA.SMITH-pw", "anna.smith@example.com"), TT_PW_HAS_EMAIL);
    assert_int_equal(tt_password_check("abc\0defghijklmn", 16, NULL), TT_PW_NUL);
    char big[TT_PASSWORD_MAX + 2];
    memset(big, 'a', sizeof big);
    big[0] = 'B';
    assert_int_equal(tt_password_check(big, sizeof big, NULL), TT_PW_TOO_LONG);
}

static void rules_accept_mixed_passwords(void **state)
{
    (void)state;
    assert_int_equal(check("Correct-Horse-9x", "anna@example.com"), TT_PW_OK);
    assert_int_equal(check("correct horse battery", NULL), TT_PW_OK);
    /* two-letter local parts are too short to judge */
    assert_int_equal(check("Jo-is-a-fine-name", "jo@example.com"), TT_PW_OK);
}

static void hash_verifies_and_refuses_other_password(void **state)
{
    (void)state;
    char h[TT_PASSWORD_HASH_MAX];
    struct tt_pwhash_params p = tt_password_params_default();
    assert_int_equal(tt_password_hash("Correct-Horse-9x", 16, p, h), 0);
    assert_true(strncmp(h, "$argon2id$", 10) == 0);
    assert_int_equal(tt_password_verify(h, "Correct-Horse-9x", 16), 1);
    assert_int_equal(tt_password_verify(h, "Correct-Horse-9y", 16), 0);
    assert_int_equal(tt_password_verify("$argon2id$garbage", "Correct-Horse-9x", 16), 0);
    assert_int_equal(tt_password_needs_rehash(h, p), 0);
    struct tt_pwhash_params q = p;
    q.opslimit = p.opslimit + 1;
    assert_int_equal(tt_password_needs_rehash(h, q), 1);
    assert_int_equal(tt_password_needs_rehash("nonsense", p), -1);
}

static void cost_never_below_interactive(void **state)
{
    (void)state;
    struct tt_pwhash_params low = {1, 8192};
    struct tt_pwhash_params c = tt_password_params_clamp(low);
    assert_true(c.opslimit >= crypto_pwhash_OPSLIMIT_INTERACTIVE);
    assert_true(c.memlimit >= crypto_pwhash_MEMLIMIT_INTERACTIVE);
    char h[TT_PASSWORD_HASH_MAX];
    assert_int_equal(tt_password_hash("Correct-Horse-9x", 16, low, h), 0);
    /* the hash carries the clamped cost, so asking for the low one means a rehash is not
     * wanted only when compared with the clamped parameters */
    assert_int_equal(tt_password_needs_rehash(h, tt_password_params_default()), 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_refuse_weak_passwords),
        cmocka_unit_test(rules_accept_mixed_passwords),
        cmocka_unit_test(hash_verifies_and_refuses_other_password),
        cmocka_unit_test(cost_never_below_interactive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
