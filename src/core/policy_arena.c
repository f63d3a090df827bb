/* SPDX-License-Identifier: Apache-2.0 */
/* policy_arena.c — the bump allocator that owns a loaded policy: every string and array of a
 * tt_policy lives in one arena, released at once by tt_policy_free. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

#define CHUNK_MIN ((size_t)32 * 1024)
#define ALIGN 16

struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    _Alignas(ALIGN) unsigned char data[];
};

struct tt__arena {
    struct chunk *head;
};

struct tt__arena *tt__arena_new(void)
{
    return calloc(1, sizeof(struct tt__arena));
}

void tt__arena_free(struct tt__arena *a)
{
    if (!a)
        return;
    struct chunk *c = a->head;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *tt__arena_alloc(struct tt__arena *a, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX / 2)
        return NULL;
    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    struct chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t want = size > CHUNK_MIN ? size : CHUNK_MIN;
        struct chunk *n = malloc(sizeof(*n) + want);
        if (!n)
            return NULL;
        n->size = want;
        n->used = 0;
        if (c && size > CHUNK_MIN) {
            /* a big block gets its own chunk behind the current one, which keeps its room */
            n->next = c->next;
            c->next = n;
        } else {
            n->next = c;
            a->head = n;
        }
        c = n;
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *tt__arena_strndup(struct tt__arena *a, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *d = tt__arena_alloc(a, len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}
