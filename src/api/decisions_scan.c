/* SPDX-License-Identifier: Apache-2.0 */
/* decisions_scan.c — the hand-checked scanner of the usual POST /v1/decisions body (see
 * decisions_scan.h). A recursive-descent reader over the fixed shape: any byte it does not
 * expect ends the scan with -1, never a guess. */
#include "decisions_scan.h"

#include <string.h>

#include "json_cursor.h"

/* A string of printable ASCII without '"' or '\\', at least one byte, copied into the arena. */
static const char *string(struct tt_json_cursor *s)
{
    if (!tt_json_take(s, '"'))
        return NULL;
    const char *b = s->p;
    while (s->p < s->end && *s->p != '"') {
        unsigned char c = (unsigned char)*s->p;
        if (c < 0x20 || c > 0x7e || c == '\\')
            return NULL;
        s->p++;
    }
    if (s->p == s->end || s->p == b)
        return NULL;
    size_t n = (size_t)(s->p - b);
    s->p++; /* the closing quote */
    char *o = s->out;
    memcpy(o, b, n);
    o[n] = '\0';
    s->out += n + 1;
    return o;
}

/* A member name: 1 when it is the expected literal (the name holds no quote or escape). */
static int name_is(const char *name, const char *lit)
{
    return strcmp(name, lit) == 0;
}

/* {"type": "...", "value": "..."} in either order, each once. */
static int identifier(struct tt_json_cursor *s, struct tt_dscan_item *it)
{
    if (!tt_json_take(s, '{'))
        return -1;
    do {
        const char *k = string(s), *v = NULL;
        if (!k || !tt_json_take(s, ':') || !(v = string(s)))
            return -1;
        const char **slot = name_is(k, "type")    ? &it->ident_type
                            : name_is(k, "value") ? &it->ident_value
                                                  : NULL;
        if (!slot || *slot)
            return -1;
        *slot = v;
    } while (tt_json_take(s, ','));
    if (!tt_json_take(s, '}') || !it->ident_type || !it->ident_value)
        return -1;
    return 0;
}

static int item(struct tt_json_cursor *s, struct tt_dscan_item *it)
{
    memset(it, 0, sizeof *it);
    if (!tt_json_take(s, '{'))
        return -1;
    int seen_ident = 0;
    do {
        const char *k = string(s);
        if (!k || !tt_json_take(s, ':'))
            return -1;
        if (name_is(k, "identifier")) {
            if (seen_ident || identifier(s, it) < 0)
                return -1;
            seen_ident = 1;
            continue;
        }
        const char **slot = name_is(k, "subject")         ? &it->subject
                            : name_is(k, "purpose")       ? &it->purpose
                            : name_is(k, "data_category") ? &it->data_category
                            : name_is(k, "service")       ? &it->service
                            : name_is(k, "recipient")     ? &it->recipient
                                                          : NULL;
        const char *v = slot && !*slot ? string(s) : NULL;
        if (!v)
            return -1;
        *slot = v;
    } while (tt_json_take(s, ','));
    return tt_json_take(s, '}') ? 0 : -1;
}

size_t tt_dscan_room(const char *body, size_t len)
{
    size_t n = 0;
    for (const char *p = body, *end = body + len; p < end;) {
        const char *q = memchr(p, '{', (size_t)(end - p));
        if (!q)
            break;
        n++;
        p = q + 1;
    }
    return n;
}

long tt_dscan(const char *body, size_t len, char *arena, struct tt_dscan_item *items, size_t room,
              size_t max_items, int *batch)
{
    if (!body || !arena || !items || !batch || room == 0)
        return -1;
    struct tt_json_cursor s = {body, body + len, arena};
    long n = 0;
    /* the top-level object: "items" first means a batch */
    const char *save = s.p;
    if (!tt_json_take(&s, '{'))
        return -1;
    const char *k = string(&s);
    if (k && name_is(k, "items")) {
        *batch = 1;
        if (!tt_json_take(&s, ':') || !tt_json_take(&s, '['))
            return -1;
        if (!tt_json_take(&s, ']')) {
            do {
                if ((size_t)n >= room || (size_t)n >= max_items || item(&s, &items[n]) < 0)
                    return -1;
                n++;
            } while (tt_json_take(&s, ','));
            if (!tt_json_take(&s, ']'))
                return -1;
        }
        if (!tt_json_take(&s, '}'))
            return -1;
    } else {
        *batch = 0;
        s.p = save;
        s.out = arena;
        if (item(&s, &items[0]) < 0)
            return -1;
        n = 1;
    }
    tt_json_ws(&s);
    return s.p == s.end ? n : -1;
}
