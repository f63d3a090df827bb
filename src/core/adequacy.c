/* SPDX-License-Identifier: Apache-2.0 */
/* adequacy.c — reads policy/adequacy.yaml (through the policy loader's YAML tree) into a table
 * of EEA countries and dated adequacy decisions, and answers "is a decision in force for this
 * country at this time" (S5.1, S5.2). */
#include "adequacy.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "yaml_doc.h"

#define ADEQUACY_MAX_MIB 1

static int country_ok(const char *c)
{
    return c && strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

static int build(struct tt__arena *ar, const struct tt__ynode *root, void *obj, struct tt__perr *e)
{
    struct tt_adequacy *a = obj;
    static const char *const known[] = {"key", "country", "name", "from", "until", "instrument"};
    for (size_t i = 0; i + 1 < root->n; i += 2) {
        const char *k = root->kids[i]->str;
        if (strcmp(k, "eea") != 0 && strcmp(k, "decisions") != 0)
            tt__perr_add(e, root->kids[i]->line, "unknown key '%s'", k);
    }
    const struct tt__ynode *eea = tt__ydoc_get(root, "eea");
    const struct tt__ynode *dec = tt__ydoc_get(root, "decisions");
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
        const char *c = tt__ydoc_scalar(eea->kids[i]);
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
        x->key = tt__ydoc_scalar(tt__ydoc_get(d, "key"));
        x->country = tt__ydoc_scalar(tt__ydoc_get(d, "country"));
        x->name = tt__ydoc_scalar(tt__ydoc_get(d, "name"));
        x->instrument = tt__ydoc_scalar(tt__ydoc_get(d, "instrument"));
        const char *from = tt__ydoc_scalar(tt__ydoc_get(d, "from"));
        const char *until = tt__ydoc_scalar(tt__ydoc_get(d, "until"));
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
    void *obj = NULL;
    int rc =
        tt__ydoc_parse(name ? name : "adequacy", yaml, len, sizeof(struct tt_adequacy),
                       offsetof(struct tt_adequacy, arena), build, &obj, err, TT_ADEQUACY_ERR_MAX);
    if (rc == 0)
        *out = obj;
    return rc;
}

int tt_adequacy_load(const char *path, struct tt_adequacy **out, char err[TT_ADEQUACY_ERR_MAX])
{
    char *buf = NULL;
    size_t len = 0;
    int rc = tt__ydoc_read(path, ADEQUACY_MAX_MIB, &buf, &len, err, TT_ADEQUACY_ERR_MAX);
    if (rc != 0)
        return rc;
    rc = tt_adequacy_load_buffer(path, buf, len, out, err);
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
