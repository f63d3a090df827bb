/* SPDX-License-Identifier: Apache-2.0 */
/* test_totp.c — RFC 6238 (S6.1): the Appendix B SHA1 vectors, codes from Debian's oathtool for a
 * fresh secret, the ±1 step window, replay refusal, base32 and otpauth URIs, recovery codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "core/totp.h"

static const uint8_t rfc_secret[] = "12345678901234567890";

static void rfc6238_appendix_b_sha1_vectors(void **state)
{
    (void)state;
    static const struct {
        tt_time t;
        const char *code;
    } v[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
             {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char c[9];
        assert_int_equal(tt_totp_code(rfc_secret, 20, v[i].t, 8, c), 0);
        assert_string_equal(c, v[i].code);
    }
}

static void codes_match_oathtool(void **state)
{
    (void)state;
    uint8_t secret[TT_TOTP_SECRET_BYTES];
    char b32[TT_TOTP_B32_MAX];
    tt_totp_secret_new(secret);
    assert_int_equal(tt_totp_base32(secret, sizeof secret, b32, sizeof b32), 0);
    tt_time now = (tt_time)time(NULL);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "oathtool --totp -b -N @%lld %s", (long long)now, b32);
    FILE *p = popen(cmd, "r");
    if (!p)
        skip();
    char line[32] = "";
    char *got = fgets(line, sizeof line, p);
    int rc = pclose(p);
    if (!got || rc != 0)
        skip(); /* oathtool not installed */
    line[strcspn(line, "\n")] = '\0';
    char mine[9];
    assert_int_equal(tt_totp_code(secret, sizeof secret, now, 6, mine), 0);
    assert_string_equal(mine, line);
    int64_t step = 0;
    assert_int_equal(tt_totp_verify(secret, sizeof secret, now, line, 0, &step), 0);
    assert_int_equal(step, now / 30);
    /* and the base32 round trip gives the same secret */
    uint8_t back[32];
    size_t n = 0;
    assert_int_equal(tt_totp_base32_decode(b32, back, sizeof back, &n), 0);
    assert_int_equal(n, sizeof secret);
    assert_memory_equal(back, secret, n);
}

static void window_is_one_step_each_side_and_replay_is_refused(void **state)
{
    (void)state;
    tt_time now = 1800000000;
    char prev[9], next[9], far[9];
    assert_int_equal(tt_totp_code(rfc_secret, 20, now - 30, 6, prev), 0);
    assert_int_equal(tt_totp_code(rfc_secret, 20, now + 30, 6, next), 0);
    assert_int_equal(tt_totp_code(rfc_secret, 20, now + 90, 6, far), 0);
    int64_t step = 0;
    assert_int_equal(tt_totp_verify(rfc_secret, 20, now, prev, 0, &step), 0);
    assert_int_equal(step, now / 30 - 1);
    assert_int_equal(tt_totp_verify(rfc_secret, 20, now, next, 0, &step), 0);
    assert_int_equal(step, now / 30 + 1);
    assert_int_equal(tt_totp_verify(rfc_secret, 20, now, far, 0, &step), -TT_E_BAD_CODE);
    /* the same code again, or an older one, once its step was used */
    assert_int_equal(tt_totp_verify(rfc_secret, 20, now, next, now / 30 + 1, &step),
                     -TT_E_CODE_EXPIRED);
    assert_int_equal(tt_totp_verify(rfc_secret, 20, now, prev, now / 30, &step),
                     -TT_E_CODE_EXPIRED);
    assert_int_equal(tt_totp_verify(rfc_secret, 20, now, "12a456", 0, &step), -TT_E_BAD_CODE);
    assert_int_equal(tt_totp_verify(rfc_secret, 20, now, "1234567", 0, &step), -TT_E_BAD_CODE);
    assert_int_equal(tt_totp_verify(rfc_secret, 20, now, NULL, 0, &step), -TT_E_BAD_CODE);
}

static void otpauth_uri_is_encoded(void **state)
{
    (void)state;
    char uri[TT_TOTP_URI_MAX];
    assert_int_equal(
        tt_totp_uri("tutela", "anna+x@example.com", "JBSWY3DPEHPK3PXP", uri, sizeof uri), 0);
    assert_string_equal(uri, "otpauth://totp/tutela:anna%2Bx%40example.com?secret="
                             "JBSWY3DPEHPK3PXP&issuer=tutela&algorithm=SHA1&digits=6&period=30");
    char tiny[20];
    assert_int_equal(tt_totp_uri("tutela", "a", "B", tiny, sizeof tiny), -TT_E_BAD_PARAM);
}

static void recovery_codes_are_random_and_normalised(void **state)
{
    (void)state;
    char a[TT_TOTP_RECOVERY_LEN + 1], b[TT_TOTP_RECOVERY_LEN + 1], n[TT_TOTP_RECOVERY_LEN + 1];
    tt_totp_recovery_new(a);
    tt_totp_recovery_new(b);
    assert_int_equal(strlen(a), 11);
    assert_int_equal(a[5], '-');
    assert_string_not_equal(a, b);
    /* base32 has no 0, 1, 8 or 9 */
    assert_int_equal(tt_totp_recovery_normalise("abcde-01890", n), -TT_E_BAD_CODE);
    assert_int_equal(tt_totp_recovery_normalise("ABCDE FGHIJ", n), 0);
    assert_string_equal(n, "abcde-fghij");
    assert_int_equal(tt_totp_recovery_normalise("ABCDE 23456", n), 0);
    assert_string_equal(n, "abcde-23456");
    assert_int_equal(tt_totp_recovery_normalise(a, n), 0);
    assert_string_equal(n, a);
    assert_int_equal(tt_totp_recovery_normalise("abc", n), -TT_E_BAD_CODE);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc6238_appendix_b_sha1_vectors),
        cmocka_unit_test(codes_match_oathtool),
        cmocka_unit_test(window_is_one_step_each_side_and_replay_is_refused),
        cmocka_unit_test(otpauth_uri_is_encoded),
        cmocka_unit_test(recovery_codes_are_random_and_normalised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
