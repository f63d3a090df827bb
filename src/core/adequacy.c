/* SPDX-License-Identifier: Apache-2.0 */
/* adequacy.c — reads policy/adequacy.yaml (through the policy loader's YAML tree) into a table
 * of EEA countries and dated adequacy decisions, and answers "is a decision in force for this
 * country at this time" (S5.1, S5.2). */
#include "adequacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "policy_int.h"

#define ADEQUACY_MAX_BYTES (1u << 20)

static const struct tt__ynode *map_get(const struct tt__ynode *m, const char *key)
{
    if (!m || m->type != TT_Y_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i]->type == TT_Y_SCALAR && strcmp(m->kids[i]->str, key) == 0)
            return m->kids[i + 1];
    return NULL;
}

static const char *scalar(const struct tt__ynode *n)
{
    return n && n->type == TT_Y_SCALAR && n->len == strlen(n->str) ? n->str : NULL;
}

static int country_ok(const char *c)
{
    return c && strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

static int build(struct tt__arena *ar, const struct tt__ynode *root, struct tt_adequacy *a,
                 struct tt__perr *e)
{
    static const char *const known[] = {"key", "country", "name", "from", "until", "instrument"};
    for (size_t i = 0; i + 1 < root->n; i += 2) {
        const char *k = root->kids[i]->str;
        if (strcmp(k, "eea") != 0 && strcmp(k, "decisions") != 0)
            tt__perr_add(e, root->kids[i]->line, "unknown key '%s'", k);
    }
    const struct tt__ynode *eea = map_get(root, "eea");
    const struct tt__ynode *dec = map_get(root, "decisions");
    if (!eea || eea->type != TT_Y_SEQ) {
        tt__perr_add(e, root->line, "'eea' must be a list of country codes");
        return -TT_E_BAD_FIELD;
    }
    if (!dec || dec->type != TT_Y_SEQ) {
        tt__perr_add(e, root->line, "'decisions' must be a list");
        return -TT_E_BAD_FIELD;
    }
    a->eea = tt__arena_alloc(ar, (eea->n + 1) * sizeof *a->eea);
    struct tt_adequacy_entry *en = tt__arena_alloc(ar, (dec->n + 1) * sizeof *en);
    if (!a->eea || !en)
        return -TT_E_NOMEM;
    for (size_t i = 0; i < eea->n; i++) {
        const char *c = scalar(eea->kids[i]);
        if (!country_ok(c))
            tt__perr_add(e, eea->kids[i]->line, "an EEA country must be an ISO alpha-2 code");
        a->eea[a->n_eea++] = c ? c : "";
    }
    for (size_t i = 0; i < dec->n; i++) {
        const struct tt__ynode *d = dec->kids[i];
        unsigned line = d->line;
        if (d->type != TT_Y_MAP) {
            tt__perr_add(e, line, "a decision must be a mapping");
            continue;
        }
        for (size_t j = 0; j + 1 < d->n; j += 2) {
            int ok = 0;
            for (size_t k = 0; k < sizeof known / sizeof *known; k++)
                ok |= strcmp(d->kids[j]->str, known[k]) == 0;
            if (!ok)
                tt__perr_add(e, d->kids[j]->line, "unknown key '%s'", d->kids[j]->str);
        }
        struct tt_adequacy_entry *x = &en[a->n_entries];
        x->key = scalar(map_get(d, "key"));
        x->country = scalar(map_get(d, "country"));
        x->name = scalar(map_get(d, "name"));
        x->instrument = scalar(map_get(d, "instrument"));
        const char *from = scalar(map_get(d, "from"));
        const char *until = scalar(map_get(d, "until"));
        if (!x->key || !*x->key)
            tt__perr_add(e, line, "a decision needs a 'key'");
        if (!country_ok(x->country))
            tt__perr_add(e, line, "'country' must be an ISO alpha-2 code");
        if (!x->name)
            x->name = x->key ? x->key : "";
        if (!x->instrument)
            x->instrument = "";
        if (!from || tt_time_parse(from, &x->from) != 0)
            tt__perr_add(e, line, "'from' must be a date (YYYY-MM-DD)");
        if (until && tt_time_parse(until, &x->until) != 0)
            tt__perr_add(e, line, "'until' must be a date (YYYY-MM-DD)");
        else if (until && x->until <= x->from)
            tt__perr_add(e, line, "'until' must come after 'from'");
        for (size_t j = 0; x->key && j < a->n_entries; j++)
            if (strcmp(en[j].key, x->key) == 0)
                tt__perr_add(e, line, "decision key '%s' appears twice", x->key);
        if (x->key && x->country)
            a->n_entries++;
    }
    a->entries = en;
    return e->count ? -TT_E_BAD_FIELD : 0;
}

int tt_adequacy_load_buffer(const char *name, const char *yaml, size_t len,
                            struct tt_adequacy **out, char err[TT_ADEQUACY_ERR_MAX])
{
    char dummy[TT_ADEQUACY_ERR_MAX];
    if (!err)
        err = dummy;
    err[0] = '\0';
    struct tt__perr e = {name ? name : "adequacy", err, TT_ADEQUACY_ERR_MAX, 0, 1, 0};
    struct tt__arena *ar = tt__arena_new();
    if (!ar)
        return -TT_E_NOMEM;
    struct tt__ynode *root = NULL;
    int rc = tt__yaml_parse(ar, yaml, len, &root, &e);
    struct tt_adequacy *a = rc == 0 ? tt__arena_alloc(ar, sizeof *a) : NULL;
    if (rc == 0 && !a)
        rc = -TT_E_NOMEM;
    if (rc == 0)
        rc = build(ar, root, a, &e);
    if (rc != 0) {
        if (!err[0])
            snprintf(err, TT_ADEQUACY_ERR_MAX, "%s: cannot load (code %d)", e.name, rc);
        tt__arena_free(ar);
        return rc < 0 ? rc : -TT_E_BAD_FIELD;
    }
    a->arena = ar;
    *out = a;
    return 0;
}

int tt_adequacy_load(const char *path, struct tt_adequacy **out, char err[TT_ADEQUACY_ERR_MAX])
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err)
            snprintf(err, TT_ADEQUACY_ERR_MAX, "%s: cannot open", path);
        return -TT_E_NOT_FOUND;
    }
    char *buf = malloc(ADEQUACY_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, ADEQUACY_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!buf)
        return -TT_E_NOMEM;
    if (n > ADEQUACY_MAX_BYTES) {
        free(buf);
        if (err)
            snprintf(err, TT_ADEQUACY_ERR_MAX, "%s: larger than 1 MiB", path);
        return -TT_E_BAD_FIELD;
    }
    buf[n] = '\0';
    int rc = tt_adequacy_load_buffer(path, buf, n, out, err);
    free(buf);
    return rc;
}

void tt_adequacy_free(struct tt_adequacy *a)
{
    if (a)
        tt__arena_free(a->arena);
}

static int same_country(const char *code, const char *country)
{
    return code && country && strncmp(code, country, 2) == 0 && (code[2] == '\0' || code[2] == '-');
}

int tt_adequacy_in_eea(const struct tt_adequacy *a, const char *country)
{
    for (size_t i = 0; a && country && i < a->n_eea; i++)
        if (same_country(country, a->eea[i]))
            return 1;
    return 0;
}

const struct tt_adequacy_entry *tt_adequacy_in_force(const struct tt_adequacy *a,
                                                     const char *country, tt_time at)
{
    for (size_t i = 0; a && country && i < a->n_entries; i++) {
        const struct tt_adequacy_entry *x = &a->entries[i];
        if (same_country(country, x->country) && x->from <= at && (!x->until || at < x->until))
            return x;
    }
    return NULL;
}

const struct tt_adequacy_entry *tt_adequacy_get(const struct tt_adequacy *a, const char *key)
{
    for (size_t i = 0; a && key && i < a->n_entries; i++)
        if (strcmp(a->entries[i].key, key) == 0)
            return &a->entries[i];
    return NULL;
}
