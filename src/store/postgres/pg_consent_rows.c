/* SPDX-License-Identifier: Apache-2.0 */
/* pg_consent_rows.c — array literals for the consent ledger's batched INSERT (pg_consent_rows.h).
 * PostgreSQL's array input syntax: elements separated by ',', a quoted element escapes '"' and
 * '\' with '\'; a BYTEA element is its hex input form "\x…" (the backslash itself escaped). */
#include "pg_consent_rows.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct pg_array *a, size_t add)
{
    if (a->oom)
        return -1;
    if (a->len + add + 2 <= a->cap) /* room for the closing '}' and the NUL */
        return 0;
    size_t cap = a->cap ? a->cap : 1024;
    while (cap < a->len + add + 2)
        cap *= 2;
    char *p = realloc(a->p, cap);
    if (!p) {
        a->oom = 1;
        return -1;
    }
    a->p = p;
    a->cap = cap;
    return 0;
}

/* '{' before the first element, ',' before the others. */
static void sep(struct pg_array *a)
{
    a->p[a->len++] = a->n++ ? ',' : '{';
}

void pg_array_text(struct pg_array *a, const char *s)
{
    size_t n = strlen(s);
    if (reserve(a, 2 * n + 3) < 0)
        return;
    sep(a);
    a->p[a->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            a->p[a->len++] = '\\';
        a->p[a->len++] = s[i];
    }
    a->p[a->len++] = '"';
}

void pg_array_int(struct pg_array *a, int64_t v)
{
    if (reserve(a, 24) < 0)
        return;
    sep(a);
    a->len += (size_t)snprintf(a->p + a->len, 23, "%" PRId64, v);
}

void pg_array_bytes(struct pg_array *a, const uint8_t *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (reserve(a, 2 * len + 8) < 0)
        return;
    sep(a);
    if (!p || len == 0) {
        memcpy(a->p + a->len, "NULL", 4);
        a->len += 4;
        return;
    }
    memcpy(a->p + a->len, "\"\\\\x", 4);
    a->len += 4;
    for (size_t i = 0; i < len; i++) {
        a->p[a->len++] = hex[p[i] >> 4];
        a->p[a->len++] = hex[p[i] & 15];
    }
    a->p[a->len++] = '"';
}

const char *pg_array_text_of(struct pg_array *a)
{
    if (a->n == 0 && reserve(a, 1) == 0)
        a->p[a->len++] = '{';
    if (a->oom)
        return NULL;
    a->p[a->len] = '}';
    a->p[a->len + 1] = '\0';
    return a->p;
}

const char *pg_array_of_texts(struct pg_array *a, const char *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pg_array_text(a, s[i]);
    return pg_array_text_of(a);
}

void pg_array_free(struct pg_array *a)
{
    free(a->p);
    memset(a, 0, sizeof *a);
}
