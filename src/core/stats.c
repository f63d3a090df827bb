/* SPDX-License-Identifier: Apache-2.0 */
/* stats.c — the anonymised statistics fold (S7.8): cells per (service, country, day) with row
 * counts and distinct-subject counts, kept in two open-addressing hash tables (cells, and the
 * (cell, subject) pairs seen) keyed by a per-fold random BLAKE2b key, so nothing of a subject
 * outlives the batch and no table can be joined back to one. */
#include "stats.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct cell {
    char service[TT_KEY_MAX];
    char country[3];
    int64_t day;
    int64_t messages;
    int64_t subjects;
    uint64_t h; /* 0 = empty slot */
};

struct tt_stats_fold {
    uint8_t key[crypto_shorthash_KEYBYTES];
    struct cell *cells;
    size_t cap, n;
    uint64_t *pairs; /* hashes of (cell, subject); 0 = empty */
    size_t pcap, pn;
    int64_t rows;
};

static uint64_t hash(const struct tt_stats_fold *f, const void *p, size_t len)
{
    uint8_t out[crypto_shorthash_BYTES];
    crypto_shorthash(out, p, len, f->key);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h ? h : 1;
}

struct tt_stats_fold *tt_stats_fold_new(void)
{
    if (sodium_init() < 0)
        return NULL;
    struct tt_stats_fold *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->cap = 256;
    f->pcap = 4096;
    f->cells = calloc(f->cap, sizeof *f->cells);
    f->pairs = calloc(f->pcap, sizeof *f->pairs);
    if (!f->cells || !f->pairs) {
        tt_stats_fold_free(f);
        return NULL;
    }
    crypto_shorthash_keygen(f->key);
    return f;
}

void tt_stats_fold_free(struct tt_stats_fold *f)
{
    if (!f)
        return;
    free(f->cells);
    free(f->pairs);
    sodium_memzero(f->key, sizeof f->key);
    free(f);
}

void tt_stats_fold_reset(struct tt_stats_fold *f)
{
    if (!f)
        return;
    memset(f->cells, 0, f->cap * sizeof *f->cells);
    memset(f->pairs, 0, f->pcap * sizeof *f->pairs);
    f->n = f->pn = 0;
    f->rows = 0;
    crypto_shorthash_keygen(f->key); /* forget which subjects were seen */
}

void tt_stats_country(const char *j, char out[3])
{
    if (j && ((j[0] >= 'A' && j[0] <= 'Z') || (j[0] >= 'a' && j[0] <= 'z')) &&
        ((j[1] >= 'A' && j[1] <= 'Z') || (j[1] >= 'a' && j[1] <= 'z')) &&
        (j[2] == '\0' || j[2] == '-')) {
        out[0] = (char)(j[0] & ~0x20);
        out[1] = (char)(j[1] & ~0x20);
    } else {
        out[0] = 'Z';
        out[1] = 'Z';
    }
    out[2] = '\0';
}

int64_t tt_stats_day(tt_time t)
{
    return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

int tt_stats_publishable(int64_t subjects, int k)
{
    if (k < 2)
        k = 2; /* a cell of one is a person */
    return subjects >= k;
}

static int grow_cells(struct tt_stats_fold *f)
{
    size_t ncap = f->cap * 2;
    struct cell *nc = calloc(ncap, sizeof *nc);
    if (!nc)
        return -TT_E_NOMEM;
    for (size_t i = 0; i < f->cap; i++) {
        if (!f->cells[i].h)
            continue;
        size_t j = f->cells[i].h & (ncap - 1);
        while (nc[j].h)
            j = (j + 1) & (ncap - 1);
        nc[j] = f->cells[i];
    }
    free(f->cells);
    f->cells = nc;
    f->cap = ncap;
    return 0;
}

static int grow_pairs(struct tt_stats_fold *f)
{
    size_t ncap = f->pcap * 2;
    uint64_t *np = calloc(ncap, sizeof *np);
    if (!np)
        return -TT_E_NOMEM;
    for (size_t i = 0; i < f->pcap; i++) {
        if (!f->pairs[i])
            continue;
        size_t j = f->pairs[i] & (ncap - 1);
        while (np[j])
            j = (j + 1) & (ncap - 1);
        np[j] = f->pairs[i];
    }
    free(f->pairs);
    f->pairs = np;
    f->pcap = ncap;
    return 0;
}

int tt_stats_fold_add(struct tt_stats_fold *f, const char *service, const char *jurisdiction,
                      const char *subject_id, tt_time collected_at)
{
    return tt_stats_fold_add_n(f, service, jurisdiction, subject_id, collected_at, 1);
}

int tt_stats_fold_add_n(struct tt_stats_fold *f, const char *service, const char *jurisdiction,
                        const char *subject_id, tt_time collected_at, int64_t rows)
{
    if (rows < 1)
        return -TT_E_BAD_PARAM;
    struct {
        char service[TT_KEY_MAX];
        char country[3];
        int64_t day;
    } k;
    memset(&k, 0, sizeof k);
    size_t sl = strlen(service);
    if (sl >= sizeof k.service)
        return -TT_E_BAD_PARAM;
    memcpy(k.service, service, sl);
    tt_stats_country(jurisdiction, k.country);
    k.day = tt_stats_day(collected_at);
    uint64_t h = hash(f, &k, sizeof k);

    if ((f->n + 1) * 2 > f->cap) {
        if (f->n >= TT_STATS_MAX_CELLS)
            return -TT_E_BATCH_TOO_LARGE;
        int rc = grow_cells(f);
        if (rc < 0)
            return rc;
    }
    size_t i = h & (f->cap - 1);
    while (f->cells[i].h && !(f->cells[i].h == h && f->cells[i].day == k.day &&
                              strcmp(f->cells[i].service, k.service) == 0 &&
                              strcmp(f->cells[i].country, k.country) == 0))
        i = (i + 1) & (f->cap - 1);
    struct cell *c = &f->cells[i];
    if (!c->h) {
        memcpy(c->service, k.service, sizeof c->service);
        memcpy(c->country, k.country, sizeof c->country);
        c->day = k.day;
        c->h = h;
        f->n++;
    }
    c->messages += rows;
    f->rows += rows;

    /* distinct subjects: a keyed hash of (cell, subject); a collision can only undercount */
    if ((f->pn + 1) * 2 > f->pcap) {
        int rc = grow_pairs(f);
        if (rc < 0)
            return rc;
    }
    uint8_t buf[sizeof h + TT_ID_MAX];
    size_t idl = strnlen(subject_id, TT_ID_MAX);
    memcpy(buf, &h, sizeof h);
    memcpy(buf + sizeof h, subject_id, idl);
    uint64_t ph = hash(f, buf, sizeof h + idl);
    size_t j = ph & (f->pcap - 1);
    while (f->pairs[j] && f->pairs[j] != ph)
        j = (j + 1) & (f->pcap - 1);
    if (!f->pairs[j]) {
        f->pairs[j] = ph;
        f->pn++;
        c->subjects++;
    }
    return 0;
}

size_t tt_stats_fold_each(const struct tt_stats_fold *f,
                          int (*cb)(void *cls, const struct tt_stats_out *cell), void *cls)
{
    size_t n = 0;
    for (size_t i = 0; f && i < f->cap; i++) {
        const struct cell *c = &f->cells[i];
        if (!c->h)
            continue;
        n++;
        struct tt_stats_out o = {c->service, c->country, c->day, c->messages, c->subjects};
        if (cb && cb(cls, &o))
            break;
    }
    return n;
}

int64_t tt_stats_fold_rows(const struct tt_stats_fold *f)
{
    return f ? f->rows : 0;
}
