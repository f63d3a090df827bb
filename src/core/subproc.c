/* SPDX-License-Identifier: Apache-2.0 */
/* subproc.c — the public sub-processor list's difference and the webhook URL check
 * (subproc.h). */
#include "subproc.h"

#include <string.h>

unsigned tt_subproc_changed(const struct tt_subproc *a, const struct tt_subproc *b)
{
    unsigned f = 0;
    if (strcmp(a->name, b->name) != 0)
        f |= TT_SUBPROC_F_NAME;
    if (strcmp(a->role, b->role) != 0)
        f |= TT_SUBPROC_F_ROLE;
    if (strcmp(a->category, b->category) != 0)
        f |= TT_SUBPROC_F_CATEGORY;
    if (strcmp(a->country, b->country) != 0)
        f |= TT_SUBPROC_F_COUNTRY;
    if (strcmp(a->mechanism, b->mechanism) != 0)
        f |= TT_SUBPROC_F_MECHANISM;
    if (strcmp(a->purposes, b->purposes) != 0)
        f |= TT_SUBPROC_F_PURPOSES;
    return f;
}

const char *tt_subproc_field_name(unsigned field)
{
    switch (field) {
    case TT_SUBPROC_F_NAME:
        return "name";
    case TT_SUBPROC_F_ROLE:
        return "role";
    case TT_SUBPROC_F_CATEGORY:
        return "category";
    case TT_SUBPROC_F_COUNTRY:
        return "country";
    case TT_SUBPROC_F_MECHANISM:
        return "transfer_mechanism";
    case TT_SUBPROC_F_PURPOSES:
        return "purposes";
    default:
        return NULL;
    }
}

static int sorted(const struct tt_subproc *l, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (strcmp(l[i - 1].key, l[i].key) >= 0)
            return 0;
    return 1;
}

int tt_subproc_diff(const struct tt_subproc *old, size_t n_old, const struct tt_subproc *new,
                    size_t n_new, tt_subproc_diff_cb cb, void *cls)
{
    if ((n_old && !old) || (n_new && !new) || !sorted(old, n_old) || !sorted(new, n_new))
        return -1;
    size_t i = 0, j = 0;
    int n = 0;
    while (i < n_old || j < n_new) {
        int c = i >= n_old ? 1 : j >= n_new ? -1 : strcmp(old[i].key, new[j].key);
        enum tt_subproc_change kind;
        const struct tt_subproc *before = NULL, *after = NULL;
        unsigned fields = 0;
        if (c < 0) {
            kind = TT_SUBPROC_REMOVED;
            before = &old[i++];
        } else if (c > 0) {
            kind = TT_SUBPROC_ADDED;
            after = &new[j++];
        } else {
            kind = TT_SUBPROC_CHANGED;
            before = &old[i++];
            after = &new[j++];
            fields = tt_subproc_changed(before, after);
            if (!fields)
                continue;
        }
        n++;
        if (cb && cb(cls, kind, before, after, fields))
            break;
    }
    return n;
}

static int host_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '-';
}

static int ipv6_char(char ch)
{
    return (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') || (ch >= '0' && ch <= '9') ||
           ch == ':' || ch == '.';
}

/* The host at p (up to the port, path, query or end): its end, or NULL when malformed. */
static const char *host_end(const char *p)
{
    const char *q = p;
    if (*q == '[') {
        for (q++; ipv6_char(*q); q++)
            ;
        if (*q != ']' || q == p + 1)
            return NULL;
        return q + 1;
    }
    for (; host_char(*q); q++)
        ;
    if (q == p || *p == '.' || *p == '-' || q[-1] == '-')
        return NULL;
    return q;
}

int tt_subproc_url_ok(const char *url)
{
    if (!url)
        return 0;
    size_t len = strnlen(url, TT_SUBPROC_URL_MAX + 1);
    if (len > TT_SUBPROC_URL_MAX)
        return 0;
    const char *p;
    if (strncmp(url, "https://", 8) == 0)
        p = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        p = url + 7;
    else
        return 0;
    p = host_end(p);
    if (!p)
        return 0;
    if (*p == ':') {
        long port = 0;
        const char *d = ++p;
        for (; *p >= '0' && *p <= '9' && p - d < 6; p++)
            port = port * 10 + (*p - '0');
        if (p == d || port < 1 || port > 65535)
            return 0;
    }
    if (*p && *p != '/' && *p != '?')
        return 0;
    for (; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= ' ' || ch >= 0x7f || ch == '"' || ch == '<' || ch == '>' || ch == '#' ||
            ch == '\\' || ch == '`' || ch == '{' || ch == '}' || ch == '|' || ch == '^')
            return 0;
    }
    return 1;
}
