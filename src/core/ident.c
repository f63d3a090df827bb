/* SPDX-License-Identifier: Apache-2.0 */
/* ident.c — normalisation of identifiers before blind indexing (see ident.h): emails (RFC 5321
 * length caps), phones to E.164, channel ids and cookie ids. Every result is a fixed point:
 * normalising a normalised value gives it back unchanged (the fuzzer checks this). */
#include "ident.h"

#include <string.h>

#include "error.h"

#define INPUT_CAP 1024     /* longest raw input looked at, whitespace included */
#define EMAIL_LOCAL_MAX 64 /* RFC 5321 4.5.3.1.1 */
#define EMAIL_MAX 254      /* RFC 5321 path limit less the angle brackets */
#define E164_MIN 8
#define E164_MAX 15
#define CHANNEL_MAX 200 /* characters (code points) */
#define COOKIE_MIN 8
#define COOKIE_MAX 128

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Trims ASCII whitespace; returns 0 and the trimmed span, or -1 if value is too long. */
static int trim(const char *value, const char **start, size_t *len)
{
    size_t n = strnlen(value, INPUT_CAP);
    if (n == INPUT_CAP)
        return -1;
    while (n > 0 && is_space(*value)) {
        value++;
        n--;
    }
    while (n > 0 && is_space(value[n - 1]))
        n--;
    *start = value;
    *len = n;
    return 0;
}

/* Counts code points of valid UTF-8 without controls (C0, DEL, C1); -1 if invalid. */
static long utf8_printable_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    long count = 0;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return -1;
            i++;
            count++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return -1;
        }
        if (len - i <= n)
            return -1;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF, C1 controls */
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
            return -1;
        i += n + 1;
        count++;
    }
    return count;
}

int tt_ident_email(const char *value, char out[TT_IDENT_MAX])
{
    const char *s;
    size_t len;
    if (!value || trim(value, &s, &len) != 0 || len == 0 || len > EMAIL_MAX)
        return -TT_E_BAD_EMAIL;
    /* no spaces or controls inside; UTF-8 (internationalised addresses) allowed */
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ' ')
            return -TT_E_BAD_EMAIL;
    }
    if (utf8_printable_count(s, len) < 0)
        return -TT_E_BAD_EMAIL;
    const char *at = memchr(s, '@', len);
    if (!at || memchr(at + 1, '@', len - (size_t)(at - s) - 1))
        return -TT_E_BAD_EMAIL;
    size_t local_len = (size_t)(at - s);
    size_t domain_len = len - local_len - 1;
    if (local_len == 0 || local_len > EMAIL_LOCAL_MAX || domain_len == 0)
        return -TT_E_BAD_EMAIL;
    /* the domain has a dot, and no empty label: "a@b.c", not "a@b", "a@.b", "a@b..c", "a@b." */
    const char *d = at + 1;
    if (!memchr(d, '.', domain_len) || d[0] == '.' || d[domain_len - 1] == '.')
        return -TT_E_BAD_EMAIL;
    for (size_t i = 1; i < domain_len; i++) {
        if (d[i] == '.' && d[i - 1] == '.')
            return -TT_E_BAD_EMAIL;
    }
    for (size_t i = 0; i < len; i++)
        out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    out[len] = '\0';
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int tt_ident_phone(const char *value, const char *default_cc, char out[TT_IDENT_MAX])
{
    const char *s;
    size_t len;
    if (!value || trim(value, &s, &len) != 0 || len == 0)
        return -TT_E_BAD_PHONE;
    /* keep digits and a leading '+'; drop separators; "(0)" is the national trunk prefix
     * written inside an international number ("+31 (0)6 …") and goes too */
    char digits[E164_MAX + 8];
    size_t nd = 0;
    int plus = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (is_digit(c)) {
            if (nd == sizeof digits)
                return -TT_E_BAD_PHONE;
            digits[nd++] = c;
        } else if (c == '+') {
            if (plus || nd > 0)
                return -TT_E_BAD_PHONE;
            plus = 1;
        } else if (c == '(' && i + 2 < len && s[i + 1] == '0' && s[i + 2] == ')' &&
                   (plus ? nd > 0 : (nd > 2 && digits[0] == '0' && digits[1] == '0'))) {
            i += 2;
        } else if (c != ' ' && c != '\t' && c != '.' && c != '-' && c != '(' && c != ')') {
            return -TT_E_BAD_PHONE;
        }
    }
    char e164[E164_MAX + 1];
    size_t n = 0;
    if (plus) {
        if (nd > E164_MAX)
            return -TT_E_BAD_PHONE;
        memcpy(e164, digits, nd);
        n = nd;
    } else if (nd >= 2 && digits[0] == '0' && digits[1] == '0') {
        /* "00" international call prefix */
        if (nd - 2 > E164_MAX)
            return -TT_E_BAD_PHONE;
        memcpy(e164, digits + 2, nd - 2);
        n = nd - 2;
    } else if (nd >= 1 && digits[0] == '0') {
        /* national format: needs the caller's country code */
        if (!default_cc)
            return -TT_E_BAD_PHONE;
        const char *cc = default_cc[0] == '+' ? default_cc + 1 : default_cc;
        size_t cl = strnlen(cc, 4);
        if (cl < 1 || cl > 3 || cc[0] == '0')
            return -TT_E_BAD_FIELD;
        for (size_t i = 0; i < cl; i++) {
            if (!is_digit(cc[i]))
                return -TT_E_BAD_FIELD;
        }
        if (cl + nd - 1 > E164_MAX)
            return -TT_E_BAD_PHONE;
        memcpy(e164, cc, cl);
        memcpy(e164 + cl, digits + 1, nd - 1);
        n = cl + nd - 1;
    } else {
        return -TT_E_BAD_PHONE; /* no country prefix */
    }
    if (n < E164_MIN || n > E164_MAX || e164[0] == '0')
        return -TT_E_BAD_PHONE;
    out[0] = '+';
    memcpy(out + 1, e164, n);
    out[n + 1] = '\0';
    return 0;
}

static int channel_id(const char *value, char out[TT_IDENT_MAX])
{
    const char *s;
    size_t len;
    if (!value || trim(value, &s, &len) != 0 || len == 0 || len >= TT_IDENT_MAX)
        return -TT_E_BAD_FIELD;
    long chars = utf8_printable_count(s, len);
    if (chars < 1 || chars > CHANNEL_MAX)
        return -TT_E_BAD_FIELD;
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

static int cookie_id(const char *value, char out[TT_IDENT_MAX])
{
    if (!value)
        return -TT_E_BAD_FIELD;
    size_t len = strnlen(value, COOKIE_MAX + 1);
    if (len < COOKIE_MIN || len > COOKIE_MAX)
        return -TT_E_BAD_FIELD;
    for (size_t i = 0; i < len; i++) {
        char c = value[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' ||
              c == '-'))
            return -TT_E_BAD_FIELD;
    }
    memcpy(out, value, len + 1);
    return 0;
}

int tt_ident_normalise(enum tt_identity_type type, const char *value, const char *default_cc,
                       char out[TT_IDENT_MAX])
{
    switch (type) {
    case TT_IDENT_EMAIL:
        return tt_ident_email(value, out);
    case TT_IDENT_PHONE:
        return tt_ident_phone(value, default_cc, out);
    case TT_IDENT_CHANNEL:
        return channel_id(value, out);
    case TT_IDENT_COOKIE:
        return cookie_id(value, out);
    case TT_IDENT__COUNT:
        break;
    }
    return -TT_E_BAD_FIELD;
}
