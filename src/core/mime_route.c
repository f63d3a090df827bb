/* SPDX-License-Identifier: Apache-2.0 */
/* mime_route.c — subject folding and the routing table of mime_route.h. The table is data: the
 * statement's subject lines (EN and FR) and the words that ask for a right. */
#include "mime_route.h"

#include <string.h>

#define BODY_SCAN_MAX (64u << 10)

/* Two-byte UTF-8 Latin-1 letters (after 0xC3) folded to ASCII, lower case. */
static char fold_c3(unsigned char b)
{
    static const char map[64] = "aaaaaaaceeeeiiiidnooooo*ouuuuyts"
                                "aaaaaaaceeeeiiiidnooooo/ouuuuyty";
    return b >= 0x80 && b <= 0xBF ? map[b - 0x80] : '?';
}

/* Folds text into out: lower ASCII, accents folded, blanks collapsed, no space before ':'. */
static size_t fold(const char *in, size_t in_len, char *out, size_t size)
{
    size_t n = 0;
    int space = 1; /* drop leading blanks */
    for (size_t i = 0; i < in_len && in[i] && n + 1 < size; i++) {
        unsigned char c = (unsigned char)in[i];
        char o;
        if (c == 0xC3 && i + 1 < in_len) {
            o = fold_c3((unsigned char)in[++i]);
        } else if (c == 0xE2 && i + 2 < in_len && (unsigned char)in[i + 1] == 0x80 &&
                   ((unsigned char)in[i + 2] == 0x99 || (unsigned char)in[i + 2] == 0x98)) {
            o = '\''; /* typographic apostrophes */
            i += 2;
        } else if (c == 0xC2 && i + 1 < in_len && (unsigned char)in[i + 1] == 0xA0) {
            o = ' '; /* no-break space, common before ':' in French */
            i++;
        } else if (c >= 0x80) {
            o = '?';
        } else if (c >= 'A' && c <= 'Z') {
            o = (char)(c - 'A' + 'a');
        } else if (c == '\t' || c == '\r' || c == '\n' || c == ' ') {
            o = ' ';
        } else {
            o = (char)c;
        }
        if (o == ' ') {
            if (space)
                continue;
            space = 1;
        } else {
            if (o == ':' && n > 0 && out[n - 1] == ' ')
                n--;
            space = 0;
        }
        out[n++] = o;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    return n;
}

static const char *const prefixes[] = {"re:", "tr:", "fwd:", "fw:", "aw:", "wg:", "ref:", NULL};

char *tt_mime_fold_subject(const char *subject, char *out, size_t size)
{
    if (!out || size == 0)
        return out;
    out[0] = '\0';
    if (!subject)
        return out;
    char tmp[512];
    fold(subject, strlen(subject), tmp, sizeof tmp);
    const char *p = tmp;
    for (int again = 1; again;) {
        again = 0;
        while (*p == ' ')
            p++;
        if (*p == '[') { /* "[ext] Re: …" list tags */
            const char *e = strchr(p, ']');
            if (e && e - p < 32) {
                p = e + 1;
                again = 1;
                continue;
            }
        }
        for (int i = 0; prefixes[i]; i++) {
            size_t l = strlen(prefixes[i]);
            if (strncmp(p, prefixes[i], l) == 0) {
                p += l;
                again = 1;
                break;
            }
        }
    }
    while (*p == ' ')
        p++;
    size_t l = strlen(p);
    if (l >= size)
        l = size - 1;
    memcpy(out, p, l);
    out[l] = '\0';
    return out;
}

/* 1 when s starts with word w followed by the end, a blank or punctuation. */
static int starts_word(const char *s, const char *w)
{
    size_t l = strlen(w);
    if (strncmp(s, w, l) != 0)
        return 0;
    char c = s[l];
    return c == '\0' || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
}

/* 1 when word w occurs in s at word boundaries. */
static int has_word(const char *s, const char *w)
{
    size_t l = strlen(w);
    for (const char *p = strstr(s, w); p; p = strstr(p + 1, w)) {
        int before = p == s || !((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= '0' && p[-1] <= '9'));
        char c = p[l];
        int after = !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
        if (before && after)
            return 1;
    }
    return 0;
}

static const char *const security_subjects[] = {"urgent: account credentials",
                                                "urgent: identifiants du compte",
                                                "urgent: identifiants de compte", NULL};
static const char *const children_subjects[] = {"children", "enfants", "child", "enfant", NULL};
static const char *const legal_subjects[] = {"dispute", "litige", NULL};
static const char *const rights_words[] = {"access",
                                           "erasure",
                                           "erase",
                                           "delete",
                                           "deletion",
                                           "rectification",
                                           "rectify",
                                           "portability",
                                           "objection",
                                           "object to",
                                           "restriction",
                                           "restrict",
                                           "my data",
                                           "my personal data",
                                           "gdpr",
                                           "data subject",
                                           "right to",
                                           "droit d'acces",
                                           "acces a mes donnees",
                                           "suppression",
                                           "supprimer",
                                           "effacement",
                                           "effacer",
                                           "portabilite",
                                           "opposition",
                                           "m'opposer",
                                           "limitation",
                                           "mes donnees",
                                           "rgpd",
                                           "droit a l'oubli",
                                           "ccpa",
                                           "do not sell",
                                           NULL};

static int any_start(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (starts_word(s, list[i]))
            return 1;
    return 0;
}

static int any_word(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (has_word(s, list[i]))
            return 1;
    return 0;
}

enum tt_inbox_route tt_mime_route(const char *subject, const char *body)
{
    char s[512];
    tt_mime_fold_subject(subject, s, sizeof s);
    if (any_start(s, security_subjects))
        return TT_ROUTE_SECURITY;
    if (any_start(s, children_subjects))
        return TT_ROUTE_CHILDREN;
    if (any_start(s, legal_subjects))
        return TT_ROUTE_LEGAL;
    if (any_word(s, rights_words))
        return TT_ROUTE_RIGHTS;
    if (body) {
        char b[4096];
        size_t len = strnlen(body, BODY_SCAN_MAX);
        /* the body in windows that overlap by 64 bytes so no phrase is cut at a border */
        for (size_t off = 0; off < len; off += sizeof b - 64) {
            fold(body + off, len - off, b, sizeof b);
            if (any_word(b, rights_words))
                return TT_ROUTE_RIGHTS;
            if (len - off <= sizeof b - 1)
                break;
        }
    }
    return TT_ROUTE_OTHER;
}

const char *tt_inbox_route_name(enum tt_inbox_route r)
{
    switch (r) {
    case TT_ROUTE_SECURITY:
        return "security";
    case TT_ROUTE_CHILDREN:
        return "children";
    case TT_ROUTE_LEGAL:
        return "legal";
    case TT_ROUTE_RIGHTS:
        return "rights";
    case TT_ROUTE_OTHER:
        break;
    }
    return "other";
}

static int addr_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '+';
}

int tt_mime_addresses(const char *text, size_t len, int max, tt_addr_cb cb, void *cls)
{
    int found = 0;
    for (size_t i = 0; text && i < len && found < max; i++) {
        if (text[i] != '@')
            continue;
        size_t a = i, b = i + 1;
        while (a > 0 && addr_char(text[a - 1]) && i - a < 64)
            a--;
        int dot = 0;
        while (b < len && addr_char(text[b]) && b - i < 255) {
            if (text[b] == '.')
                dot = 1;
            b++;
        }
        while (b > i + 1 && text[b - 1] == '.')
            b--;
        if (a < i && b > i + 1 && dot && text[i + 1] != '.') {
            found++;
            if (cb(cls, text + a, b - a))
                break;
        }
        i = b > i ? b - 1 : i;
    }
    return found;
}
