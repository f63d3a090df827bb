/* SPDX-License-Identifier: Apache-2.0 */
/* password.c — password rules and Argon2id hashing over libsodium (S6.1). The rules refuse what
 * breached-password lists are made of: short strings, the account's own name, one character
 * class; the hash cost comes from the configuration but never drops below interactive. */
#include "password.h"

#include <sodium.h>
#include <string.h>

#include "error.h"

_Static_assert(TT_PASSWORD_HASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer too small");

struct tt_pwhash_params tt_password_params_default(void)
{
    struct tt_pwhash_params p = {crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE};
    return p;
}

struct tt_pwhash_params tt_password_params_clamp(struct tt_pwhash_params p)
{
    if (p.opslimit < crypto_pwhash_OPSLIMIT_INTERACTIVE)
        p.opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    if (p.memlimit < crypto_pwhash_MEMLIMIT_INTERACTIVE)
        p.memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (p.opslimit > crypto_pwhash_OPSLIMIT_MAX)
        p.opslimit = crypto_pwhash_OPSLIMIT_MAX;
    if (p.memlimit > crypto_pwhash_MEMLIMIT_MAX)
        p.memlimit = crypto_pwhash_MEMLIMIT_MAX;
    return p;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* 1 when needle (n bytes) occurs in hay (h bytes), ASCII case-insensitively. */
static int contains_ci(const char *hay, size_t h, const char *needle, size_t n)
{
    for (size_t i = 0; n && i + n <= h; i++) {
        size_t k = 0;
        while (k < n && lower(hay[i + k]) == lower(needle[k]))
            k++;
        if (k == n)
            return 1;
    }
    return 0;
}

static int class_of(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return 1;
    if (c >= 'a' && c <= 'z')
        return 2;
    if (c >= 'A' && c <= 'Z')
        return 3;
    if (c >= 0x80)
        return 4;
    return 5; /* punctuation, space */
}

/* The email's local part split on . _ - +: each piece of 3+ bytes must not appear. */
static int has_email_part(const char *pw, size_t pw_len, const char *email)
{
    if (!email)
        return 0;
    const char *at = strchr(email, '@');
    size_t local = at ? (size_t)(at - email) : strlen(email);
    if (local >= 3 && contains_ci(pw, pw_len, email, local))
        return 1;
    size_t start = 0;
    for (size_t i = 0; i <= local; i++) {
        if (i == local || strchr("._-+", email[i])) {
            if (i - start >= 3 && contains_ci(pw, pw_len, email + start, i - start))
                return 1;
            start = i + 1;
        }
    }
    return 0;
}

enum tt_password_rule tt_password_check(const char *pw, size_t pw_len, const char *email)
{
    if (!pw || pw_len < TT_PASSWORD_MIN)
        return TT_PW_TOO_SHORT;
    if (pw_len > TT_PASSWORD_MAX)
        return TT_PW_TOO_LONG;
    if (memchr(pw, '\0', pw_len))
        return TT_PW_NUL;
    int first = class_of((unsigned char)pw[0]);
    int one_class = 1, one_char = 1;
    for (size_t i = 1; i < pw_len; i++) {
        if (class_of((unsigned char)pw[i]) != first)
            one_class = 0;
        if (pw[i] != pw[0])
            one_char = 0;
    }
    if (one_class || one_char)
        return TT_PW_ONE_CLASS;
    if (has_email_part(pw, pw_len, email))
        return TT_PW_HAS_EMAIL;
    return TT_PW_OK;
}

const char *tt_password_rule_text(enum tt_password_rule r)
{
    switch (r) {
    case TT_PW_OK:
        return "ok";
    case TT_PW_TOO_SHORT:
        return "the password must have at least 12 characters";
    case TT_PW_TOO_LONG:
        return "the password must have at most 1024 bytes";
    case TT_PW_HAS_EMAIL:
        return "the password must not contain the email address's name";
    case TT_PW_ONE_CLASS:
        return "the password must mix character classes (not only digits, only letters, or one "
               "character repeated)";
    case TT_PW_NUL:
        return "the password must not contain a NUL character";
    }
    return "invalid password";
}

int tt_password_hash(const char *pw, size_t pw_len, struct tt_pwhash_params p,
                     char out[TT_PASSWORD_HASH_MAX])
{
    p = tt_password_params_clamp(p);
    char tmp[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(tmp, pw, pw_len, p.opslimit, p.memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return -TT_E_NOMEM;
    memset(out, 0, TT_PASSWORD_HASH_MAX);
    memcpy(out, tmp, sizeof tmp);
    sodium_memzero(tmp, sizeof tmp);
    return 0;
}

int tt_password_verify(const char *hash, const char *pw, size_t pw_len)
{
    if (!hash || !pw || strnlen(hash, TT_PASSWORD_HASH_MAX) >= crypto_pwhash_STRBYTES)
        return 0;
    return crypto_pwhash_str_verify(hash, pw, pw_len) == 0;
}

int tt_password_needs_rehash(const char *hash, struct tt_pwhash_params p)
{
    if (!hash || strnlen(hash, TT_PASSWORD_HASH_MAX) >= crypto_pwhash_STRBYTES)
        return -1;
    p = tt_password_params_clamp(p);
    int r = crypto_pwhash_str_needs_rehash(hash, p.opslimit, p.memlimit);
    return r < 0 ? -1 : r;
}

void tt_password_dummy_verify(const char *pw, size_t pw_len, struct tt_pwhash_params p)
{
    /* A fresh hash of a random password under the same cost: one Argon2id run, like a verify. */
    p = tt_password_params_clamp(p);
    uint8_t salt[crypto_pwhash_SALTBYTES];
    uint8_t out[32];
    randombytes_buf(salt, sizeof salt);
    if (crypto_pwhash(out, sizeof out, pw ? pw : "", pw ? pw_len : 0, salt, p.opslimit, p.memlimit,
                      crypto_pwhash_ALG_ARGON2ID13) == 0)
        sodium_memzero(out, sizeof out);
}
