/* SPDX-License-Identifier: Apache-2.0 */
/* password.h — account passwords (S6.1): the rules a new password must meet, and Argon2id
 * hashing through libsodium's crypto_pwhash_str with configurable cost (never below the
 * "interactive" level), verification and the rehash check on sign-in. Pure: no I/O, no globals.
 * Thread safe. The password is never copied or logged; callers wipe their own buffers. */
#ifndef TT_CORE_PASSWORD_H
#define TT_CORE_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#define TT_PASSWORD_MIN 12       /* characters (bytes of UTF-8) */
#define TT_PASSWORD_MAX 1024     /* bytes: a longer body is refused before any hashing */
#define TT_PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES, NUL included */

/* Argon2id cost. tt_password_params_clamp raises anything below libsodium's interactive level
 * (opslimit 2, memlimit 64 MiB) to it. */
struct tt_pwhash_params {
    unsigned long long opslimit;
    size_t memlimit;
};

/* The interactive level (the default). */
struct tt_pwhash_params tt_password_params_default(void);
/* Raises p to at least the interactive level; returns the result. */
struct tt_pwhash_params tt_password_params_clamp(struct tt_pwhash_params p);

/* Why a password was refused, for the problem detail (never echoes the password). */
enum tt_password_rule {
    TT_PW_OK = 0,
    TT_PW_TOO_SHORT, /* fewer than TT_PASSWORD_MIN bytes */
    TT_PW_TOO_LONG,  /* more than TT_PASSWORD_MAX bytes */
    TT_PW_HAS_EMAIL, /* contains the email's local part (case-insensitive, parts of >= 3) */
    TT_PW_ONE_CLASS, /* all one character class (only digits, only lower, only upper, …)
                        or one character repeated */
    TT_PW_NUL,       /* contains a NUL byte */
};

/* Checks pw (pw_len bytes) against the rules for an account with email (may be NULL).
 * Returns TT_PW_OK or the first rule broken. */
enum tt_password_rule tt_password_check(const char *pw, size_t pw_len, const char *email);
/* Human text of a rule (English, for problem details and logs; no password in it). */
const char *tt_password_rule_text(enum tt_password_rule r);

/* Hashes pw into out (TT_PASSWORD_HASH_MAX bytes, "$argon2id$…"). Returns 0, or -TT_E_NOMEM
 * when the memory limit cannot be allocated. */
int tt_password_hash(const char *pw, size_t pw_len, struct tt_pwhash_params p,
                     char out[TT_PASSWORD_HASH_MAX]);
/* 1 when pw matches hash, 0 otherwise (also for a malformed hash). Constant time in pw. */
int tt_password_verify(const char *hash, const char *pw, size_t pw_len);
/* 1 when hash was made with other parameters than p (rehash on the next sign-in), 0 if not,
 * -1 when hash is malformed. */
int tt_password_needs_rehash(const char *hash, struct tt_pwhash_params p);
/* Spends the time of one verification against a hash of p without any account: the answer for
 * an unknown email takes as long as for a known one. */
void tt_password_dummy_verify(const char *pw, size_t pw_len, struct tt_pwhash_params p);

#endif
