/* SPDX-License-Identifier: Apache-2.0 */
/* consents_scan.c — the scanner of the usual POST /v1/consents body (see consents_scan.h): the
 * members of each object are looked up in a fixed table (a member holds a string, or one level of
 * object of its own table), so the depth is fixed and any byte it does not expect ends the scan
 * with -1, never a guess. */
#include "consents_scan.h"

#include <stddef.h>
#include <string.h>

#include "json_cursor.h"

/* A member of an object: a string stored at offset off of the item, or (sub non-NULL) an object
 * whose members are sub's. */
struct member {
    const char *name;
    size_t off;
    const struct member *sub;
};

#define SLOT(f) offsetof(struct tt_cscan_item, f)

static const struct member identifier_members[] = {
    {"type", SLOT(ident_type), NULL},
    {"value", SLOT(ident_value), NULL},
    {NULL, 0, NULL},
};

static const struct member evidence_members[] = {
    {"page", SLOT(page), NULL},
    {"user_agent", SLOT(user_agent), NULL},
    {"ip", SLOT(ip), NULL},
    {NULL, 0, NULL},
};

static const struct member item_members[] = {
    {"subject", SLOT(subject), NULL},
    {"identifier", 0, identifier_members},
    {"purpose", SLOT(purpose), NULL},
    {"feature", SLOT(feature), NULL},
    {"action", SLOT(action), NULL},
    {"method", SLOT(method), NULL},
    {"notice_version", SLOT(notice_version), NULL},
    {"evidence", 0, evidence_members},
    {NULL, 0, NULL},
};

/* A quoted run of printable ASCII without '"' or '\\', at least one byte: its start and length
 * (left in the body). Returns 0 or -1. */
static int quoted(struct tt_json_cursor *s, const char **b, size_t *n)
{
    if (!tt_json_take(s, '"'))
        return -1;
    const char *q = s->p;
    while (q < s->end && *q != '"') {
        unsigned char c = (unsigned char)*q;
        if (c < 0x20 || c > 0x7e || c == '\\')
            return -1;
        q++;
    }
    if (q == s->end || q == s->p)
        return -1;
    *b = s->p;
    *n = (size_t)(q - s->p);
    s->p = q + 1;
    return 0;
}

/* The index of the member named b[0..n-1] in table, or -1. */
static int lookup(const struct member *table, const char *b, size_t n)
{
    for (int i = 0; table[i].name; i++)
        if (strlen(table[i].name) == n && memcmp(table[i].name, b, n) == 0)
            return i;
    return -1;
}

/* A non-empty object of table's members, each at most once, into it. */
static int object(struct tt_json_cursor *s, const struct member *table, struct tt_cscan_item *it)
{
    unsigned seen = 0;
    if (!tt_json_take(s, '{'))
        return -1;
    do {
        const char *b;
        size_t n;
        int k;
        if (quoted(s, &b, &n) < 0 || (k = lookup(table, b, n)) < 0 || (seen & (1u << k)) ||
            !tt_json_take(s, ':'))
            return -1;
        seen |= 1u << k;
        if (table[k].sub) {
            if (object(s, table[k].sub, it) < 0)
                return -1;
            continue;
        }
        if (quoted(s, &b, &n) < 0)
            return -1;
        memcpy(s->out, b, n);
        s->out[n] = '\0';
        *(const char **)((char *)it + table[k].off) = s->out;
        s->out += n + 1;
    } while (tt_json_take(s, ','));
    return tt_json_take(s, '}') ? 0 : -1;
}

size_t tt_cscan_room(const char *body, size_t len)
{
    size_t n = 0;
    for (const char *p = body, *end = body + len; p < end; n++) {
        const char *q = memchr(p, '{', (size_t)(end - p));
        if (!q)
            break;
        p = q + 1;
    }
    return n;
}

long tt_cscan(const char *body, size_t len, char *arena, struct tt_cscan_item *items, size_t room,
              size_t max_items)
{
    if (!body || !arena || !items)
        return -1;
    struct tt_json_cursor s = {body, body + len, arena};
    const char *b;
    size_t n = 0, klen;
    if (!tt_json_take(&s, '{') || quoted(&s, &b, &klen) < 0 || klen != 5 ||
        memcmp(b, "items", 5) != 0 || !tt_json_take(&s, ':') || !tt_json_take(&s, '['))
        return -1;
    do {
        if (n >= room || n >= max_items)
            return -1;
        memset(&items[n], 0, sizeof items[n]);
        if (object(&s, item_members, &items[n]) < 0)
            return -1;
        n++;
    } while (tt_json_take(&s, ','));
    if (!tt_json_take(&s, ']') || !tt_json_take(&s, '}'))
        return -1;
    tt_json_ws(&s);
    return s.p == s.end ? (long)n : -1;
}
