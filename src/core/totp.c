/* SPDX-License-Identifier: Apache-2.0 */
/* totp.c — RFC 6238 TOTP over liboath (S6.1): codes for steps around now, compared in constant
 * time, the matched step returned so the caller refuses its reuse; base32 through liboath;
 * otpauth URIs for authenticator apps; recovery codes from libsodium's generator. */
#include "totp.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;

static void oath_start(void)
{
    (void)oath_init();
}

void tt_totp_secret_new(uint8_t secret[TT_TOTP_SECRET_BYTES])
{
    randombytes_buf(secret, TT_TOTP_SECRET_BYTES);
}

int tt_totp_base32(const uint8_t *secret, size_t len, char *out, size_t out_size)
{
    pthread_once(&oath_once, oath_start);
    char *b = NULL;
    size_t n = 0;
    if (oath_base32_encode((const char *)secret, len, &b, &n) != OATH_OK || !b)
        return -TT_E_BAD_PARAM;
    while (n > 0 && b[n - 1] == '=')
        n--;
    int rc = 0;
    if (n + 1 > out_size) {
        rc = -TT_E_BAD_PARAM;
    } else {
        memcpy(out, b, n);
        out[n] = '\0';
    }
    sodium_memzero(b, strlen(b));
    free(b);
    return rc;
}

int tt_totp_base32_decode(const char *b32, uint8_t *out, size_t out_size, size_t *len)
{
    pthread_once(&oath_once, oath_start);
    char buf[128];
    size_t n = 0;
    for (const char *p = b32; p && *p; p++) {
        char c = *p;
        if (c == ' ' || c == '=' || c == '-')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) || n + 9 >= sizeof buf)
            return -TT_E_BAD_PARAM;
        buf[n++] = c;
    }
    if (n == 0)
        return -TT_E_BAD_PARAM;
    while (n % 8)
        buf[n++] = '=';
    char *d = NULL;
    size_t dn = 0;
    int rc = oath_base32_decode(buf, n, &d, &dn) == OATH_OK && d ? 0 : -TT_E_BAD_PARAM;
    if (rc == 0 && dn > out_size)
        rc = -TT_E_BAD_PARAM;
    if (rc == 0) {
        memcpy(out, d, dn);
        *len = dn;
    }
    if (d) {
        sodium_memzero(d, dn);
        free(d);
    }
    sodium_memzero(buf, sizeof buf);
    return rc;
}

/* Percent-encodes s (RFC 3986 unreserved kept) into out at *pos. 0 or -1 when full. */
static int pct(const char *s, char *out, size_t size, size_t *pos)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        size_t need = keep ? 1 : 3;
        if (*pos + need >= size)
            return -1;
        if (keep) {
            out[(*pos)++] = (char)*p;
        } else {
            out[(*pos)++] = '%';
            out[(*pos)++] = hex[*p >> 4];
            out[(*pos)++] = hex[*p & 15];
        }
    }
    out[*pos] = '\0';
    return 0;
}

static int lit(const char *s, char *out, size_t size, size_t *pos)
{
    size_t n = strlen(s);
    if (*pos + n >= size)
        return -1;
    memcpy(out + *pos, s, n + 1);
    *pos += n;
    return 0;
}

int tt_totp_uri(const char *issuer, const char *label, const char *secret_b32, char *out,
                size_t out_size)
{
    size_t pos = 0;
    if (!issuer || !label || !secret_b32 || out_size == 0)
        return -TT_E_BAD_PARAM;
    int bad = lit("otpauth://totp/", out, out_size, &pos) || pct(issuer, out, out_size, &pos) ||
              lit(":", out, out_size, &pos) || pct(label, out, out_size, &pos) ||
              lit("?secret=", out, out_size, &pos) || pct(secret_b32, out, out_size, &pos) ||
              lit("&issuer=", out, out_size, &pos) || pct(issuer, out, out_size, &pos) ||
              lit("&algorithm=SHA1&digits=6&period=30", out, out_size, &pos);
    if (bad) {
        sodium_memzero(out, out_size);
        return -TT_E_BAD_PARAM;
    }
    return 0;
}

int tt_totp_code(const uint8_t *secret, size_t len, tt_time t, unsigned digits, char out[9])
{
    pthread_once(&oath_once, oath_start);
    if (digits < 6 || digits > 8 || t < 0)
        return -TT_E_BAD_PARAM;
    char buf[16];
    if (oath_totp_generate((const char *)secret, len, (time_t)t, TT_TOTP_STEP, 0, digits, buf) !=
        OATH_OK)
        return -TT_E_CRYPTO;
    memcpy(out, buf, digits);
    out[digits] = '\0';
    sodium_memzero(buf, sizeof buf);
    return 0;
}

int tt_totp_verify(const uint8_t *secret, size_t len, tt_time now, const char *code,
                   int64_t last_step, int64_t *step)
{
    if (!code || strlen(code) != TT_TOTP_DIGITS)
        return -TT_E_BAD_CODE;
    for (const char *p = code; *p; p++)
        if (*p < '0' || *p > '9')
            return -TT_E_BAD_CODE;
    int64_t cur = now / TT_TOTP_STEP;
    int64_t matched = -1;
    /* every candidate is computed and compared, so timing does not tell which step matched */
    for (int64_t d = -1; d <= 1; d++) {
        int64_t s = cur + d;
        if (s < 0)
            continue;
        char c[9];
        if (tt_totp_code(secret, len, (tt_time)(s * TT_TOTP_STEP), TT_TOTP_DIGITS, c) < 0)
            return -TT_E_CRYPTO;
        if (sodium_memcmp(c, code, TT_TOTP_DIGITS) == 0 && matched < 0)
            matched = s;
        sodium_memzero(c, sizeof c);
    }
    if (matched < 0)
        return -TT_E_BAD_CODE;
    if (matched <= last_step)
        return -TT_E_CODE_EXPIRED;
    *step = matched;
    return 0;
}

void tt_totp_recovery_new(char out[TT_TOTP_RECOVERY_LEN + 1])
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    for (int i = 0; i < TT_TOTP_RECOVERY_LEN; i++) {
        if (i == 5) {
            out[i] = '-';
            continue;
        }
        out[i] = b32[randombytes_uniform(32)];
    }
    out[TT_TOTP_RECOVERY_LEN] = '\0';
}

int tt_totp_recovery_normalise(const char *in, char out[TT_TOTP_RECOVERY_LEN + 1])
{
    char v[10];
    size_t n = 0;
    for (const char *p = in; p && *p; p++) {
        char c = *p;
        if (c == ' ' || c == '-')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) || n == sizeof v)
            return -TT_E_BAD_CODE;
        v[n++] = c;
    }
    if (n != sizeof v)
        return -TT_E_BAD_CODE;
    memcpy(out, v, 5);
    out[5] = '-';
    memcpy(out + 6, v + 5, 5);
    out[11] = '\0';
    return 0;
}
