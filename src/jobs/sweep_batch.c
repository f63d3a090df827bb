/* SPDX-License-Identifier: Apache-2.0 */
/* sweep_batch.c — a sweep batch's deleted rows, interned (issue 6): one open-addressing table of
 * strings (FNV-1a), one pool of their bytes, the rows as index tuples, the distinct subjects. */
#include "sweep_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"

#define NONE UINT32_MAX

struct entry {
    size_t off; /* into pool */
    uint32_t hash;
    char juris[TT_JURIS_MAX]; /* subjects: as the store has it, "" until known */
    tt_time horizon;
    int child;   /* the store marks the subject a child (S10.1) */
    int subject; /* interned as a subject */
};

struct tt__sweep_batch {
    char *pool;
    size_t pool_n, pool_cap;
    struct entry *e;
    size_t n, cap;
    uint32_t *slots; /* entry index + 1; 0 = empty */
    size_t n_slots;
    struct tt__sb_row *rows;
    size_t n_rows, cap_rows;
    int64_t total;
    uint32_t *subj; /* entries that are subjects, in first-seen order */
    size_t n_subj, cap_subj;
    const char **ids; /* tt__sb_subjects' view */
    size_t cap_ids;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * size);
    if (!np)
        return -TT_E_NOMEM;
    *p = np;
    *cap = ncap;
    return 0;
}

struct tt__sweep_batch *tt__sb_new(void)
{
    struct tt__sweep_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->n_slots = 1024;
    b->slots = calloc(b->n_slots, sizeof *b->slots);
    if (!b->slots) {
        free(b);
        return NULL;
    }
    return b;
}

void tt__sb_free(struct tt__sweep_batch *b)
{
    if (!b)
        return;
    free(b->pool);
    free(b->e);
    free(b->slots);
    free(b->rows);
    free(b->subj);
    free(b->ids);
    free(b);
}

void tt__sb_reset(struct tt__sweep_batch *b)
{
    memset(b->slots, 0, b->n_slots * sizeof *b->slots);
    b->pool_n = b->n = b->n_rows = b->n_subj = 0;
    b->total = 0;
}

static uint32_t fnv(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static int rehash(struct tt__sweep_batch *b)
{
    size_t n = b->n_slots * 2;
    uint32_t *ns = calloc(n, sizeof *ns);
    if (!ns)
        return -TT_E_NOMEM;
    for (size_t i = 0; i < b->n; i++) {
        size_t j = b->e[i].hash & (n - 1);
        while (ns[j])
            j = (j + 1) & (n - 1);
        ns[j] = (uint32_t)i + 1;
    }
    free(b->slots);
    b->slots = ns;
    b->n_slots = n;
    return 0;
}

/* The id of s, interned on first sight; NONE when out of memory. */
static uint32_t intern(struct tt__sweep_batch *b, const char *s)
{
    size_t len = strlen(s);
    uint32_t h = fnv(s, len);
    size_t j = h & (b->n_slots - 1);
    for (; b->slots[j]; j = (j + 1) & (b->n_slots - 1)) {
        const struct entry *e = &b->e[b->slots[j] - 1];
        if (e->hash == h && strcmp(b->pool + e->off, s) == 0)
            return b->slots[j] - 1;
    }
    if (b->n >= NONE - 1 ||
        grow((void **)&b->pool, &b->pool_cap, b->pool_n + len + 1, sizeof *b->pool) < 0 ||
        grow((void **)&b->e, &b->cap, b->n + 1, sizeof *b->e) < 0)
        return NONE;
    memcpy(b->pool + b->pool_n, s, len + 1);
    b->e[b->n] = (struct entry){.off = b->pool_n, .hash = h};
    b->pool_n += len + 1;
    b->slots[j] = (uint32_t)b->n + 1;
    uint32_t id = (uint32_t)b->n++;
    if (b->n * 2 > b->n_slots && rehash(b) < 0)
        return NONE;
    return id;
}

int tt__sb_add(struct tt__sweep_batch *b, const struct tt_swept_rows *g)
{
    struct tt__sb_row r = {.collected_at = g->collected_at, .rows = g->rows, .child = g->child};
    r.subject = intern(b, g->subject_id);
    r.service = intern(b, g->service);
    r.category = intern(b, g->data_category);
    r.purpose = intern(b, g->purpose);
    if (r.subject == NONE || r.service == NONE || r.category == NONE || r.purpose == NONE ||
        grow((void **)&b->rows, &b->cap_rows, b->n_rows + 1, sizeof *b->rows) < 0)
        return -TT_E_NOMEM;
    struct entry *s = &b->e[r.subject];
    if (!s->subject) {
        if (grow((void **)&b->subj, &b->cap_subj, b->n_subj + 1, sizeof *b->subj) < 0)
            return -TT_E_NOMEM;
        s->subject = 1;
        b->subj[b->n_subj++] = r.subject;
    }
    b->rows[b->n_rows++] = r;
    b->total += g->rows;
    return 0;
}

size_t tt__sb_count(const struct tt__sweep_batch *b)
{
    return b->n_rows;
}

const struct tt__sb_row *tt__sb_row(const struct tt__sweep_batch *b, size_t i)
{
    return i < b->n_rows ? &b->rows[i] : NULL;
}

const char *tt__sb_str(const struct tt__sweep_batch *b, uint32_t id)
{
    return id < b->n ? b->pool + b->e[id].off : "";
}

int64_t tt__sb_rows(const struct tt__sweep_batch *b)
{
    return b->total;
}

const char *const *tt__sb_subjects(struct tt__sweep_batch *b, size_t *n)
{
    *n = 0;
    if (grow((void **)&b->ids, &b->cap_ids, b->n_subj ? b->n_subj : 1, sizeof *b->ids) < 0)
        return NULL;
    for (size_t i = 0; i < b->n_subj; i++)
        b->ids[i] = b->pool + b->e[b->subj[i]].off;
    *n = b->n_subj;
    return b->ids;
}

int tt__sb_subject_info(void *cls, const struct tt_sweep_subject *s)
{
    struct tt__sweep_batch *b = cls;
    size_t len = strlen(s->subject_id);
    uint32_t h = fnv(s->subject_id, len);
    for (size_t j = h & (b->n_slots - 1); b->slots[j]; j = (j + 1) & (b->n_slots - 1)) {
        uint32_t id = b->slots[j] - 1;
        if (b->e[id].hash != h || strcmp(b->pool + b->e[id].off, s->subject_id) != 0)
            continue;
        snprintf(b->e[id].juris, sizeof b->e[id].juris, "%s", s->jurisdiction);
        b->e[id].horizon = s->horizon;
        b->e[id].child = s->child;
        return 0;
    }
    return 0; /* not a subject of this batch */
}

const char *tt__sb_jurisdiction(const struct tt__sweep_batch *b, uint32_t subject)
{
    return subject < b->n ? b->e[subject].juris : "";
}

tt_time tt__sb_horizon(const struct tt__sweep_batch *b, uint32_t subject)
{
    return subject < b->n ? b->e[subject].horizon : 0;
}

int tt__sb_child(const struct tt__sweep_batch *b, uint32_t subject)
{
    return subject < b->n ? b->e[subject].child : 0;
}

uint32_t tt__sb_subject_at(const struct tt__sweep_batch *b, size_t i)
{
    return i < b->n_subj ? b->subj[i] : NONE;
}
