/* SPDX-License-Identifier: Apache-2.0 */
/* json_buf.c — answers written straight into one buffer (json_buf.h). */
#include "json_buf.h"

#include <stdlib.h>
#include <string.h>

void tt_jbuf_init(struct tt_jbuf *b, size_t cap)
{
    b->p = cap ? malloc(cap) : NULL;
    b->len = 0;
    b->cap = b->p ? cap : 0;
    b->ok = !cap || b->p != NULL;
}

/* Room for n more bytes, grown (at least doubled) when short; else the buffer fails. */
static int room(struct tt_jbuf *b, size_t n)
{
    if (!b->ok || b->cap - b->len >= n)
        return b->ok;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n)
        cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) {
        b->ok = 0;
        return 0;
    }
    b->p = np;
    b->cap = cap;
    return 1;
}

void tt_jbuf_reserve(struct tt_jbuf *b, size_t n)
{
    (void)room(b, n);
}

void tt_jbuf_put(struct tt_jbuf *b, const char *s, size_t n)
{
    if (room(b, n)) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

void tt_jbuf_lit(struct tt_jbuf *b, const char *s)
{
    tt_jbuf_put(b, s, strlen(s));
}

void tt_jbuf_str(struct tt_jbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (!room(b, n + 2))
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            b->ok = 0;
            return;
        }
    }
    b->p[b->len++] = '"';
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len++] = '"';
}

void tt_jbuf_int(struct tt_jbuf *b, int64_t v)
{
    char tmp[24];
    size_t k = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        tmp[k++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        tmp[k++] = '-';
    if (!room(b, k))
        return;
    while (k)
        b->p[b->len++] = tmp[--k];
}

int tt_jbuf_reply(struct tt_jbuf *b, struct tt_resp *resp, int status)
{
    if (!b->ok) {
        free(b->p);
        b->p = NULL;
        return 1;
    }
    char *body = b->p;
    b->p = NULL;
    return tt_resp_raw(resp, status, body, b->len, "application/json");
}
