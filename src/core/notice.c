/* SPDX-License-Identifier: Apache-2.0 */
/* notice.c — notice versions and contacts (policy/notices.yaml) (S12.1, S15.1). */
#include "notice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "policy_int.h"

#define NOTICES_MAX_BYTES (1u << 20)

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

static int build(struct tt__arena *ar, const struct tt__ynode *root, struct tt_notices *out,
                 struct tt__perr *e)
{
    const struct tt__ynode *vs = map_get(root, "versions");
    const struct tt__ynode *ct = map_get(root, "contacts");
    for (size_t i = 0; i + 1 < root->n; i += 2)
        if (strcmp(root->kids[i]->str, "versions") && strcmp(root->kids[i]->str, "contacts"))
            tt__perr_add(e, root->kids[i]->line, "unknown key '%s'", root->kids[i]->str);
    if (!vs || vs->type != TT_Y_SEQ || !vs->n) {
        tt__perr_add(e, root->line, "'versions' must be a non-empty list");
        return -TT_E_BAD_FIELD;
    }
    struct tt_notice_version *v = tt__arena_alloc(ar, vs->n * sizeof *v);
    if (!v)
        return -TT_E_NOMEM;
    for (size_t i = 0; i < vs->n; i++) {
        const struct tt__ynode *d = vs->kids[i];
        const char *eff = scalar(map_get(d, "effective_date"));
        const char *sub = scalar(map_get(d, "substantial"));
        v[i].version = scalar(map_get(d, "version"));
        v[i].summary = scalar(map_get(d, "summary"));
        if (!v[i].version || !v[i].summary)
            tt__perr_add(e, d->line, "a version needs 'version' and 'summary'");
        if (!eff || tt_time_parse(eff, &v[i].effective) != 0)
            tt__perr_add(e, d->line, "'effective_date' must be a date (YYYY-MM-DD)");
        else if (i && v[i].effective <= v[i - 1].effective)
            tt__perr_add(e, d->line, "versions must be in order of effective date");
        if (!sub || strcmp(sub, "auto") == 0)
            v[i].substantial = -1;
        else if (strcmp(sub, "true") == 0 || strcmp(sub, "false") == 0)
            v[i].substantial = strcmp(sub, "true") == 0;
        else
            tt__perr_add(e, d->line, "'substantial' must be true, false or auto");
    }
    out->versions = v;
    out->n_versions = vs->n;
    out->dpo_email = scalar(map_get(ct, "dpo_email"));
    out->head_office = scalar(map_get(ct, "head_office"));
    out->authority = scalar(map_get(ct, "authority"));
    const struct tt__ynode *lo = map_get(ct, "local_offices");
    size_t nlo = lo && lo->type == TT_Y_SEQ ? lo->n : 0;
    const char **l = tt__arena_alloc(ar, (nlo + 1) * sizeof *l);
    if (!l)
        return -TT_E_NOMEM;
    for (size_t i = 0, k = 0; i < nlo; i++)
        if (scalar(lo->kids[i]))
            l[k++] = scalar(lo->kids[i]);
    out->local_offices = l;
    return e->count ? -TT_E_BAD_FIELD : 0;
}

int tt_notices_load_buffer(const char *name, const char *yaml, size_t len, struct tt_notices **out,
                           char err[TT_NOTICE_ERR_MAX])
{
    char dummy[TT_NOTICE_ERR_MAX];
    if (!err)
        err = dummy;
    err[0] = '\0';
    struct tt__perr e = {name ? name : "notices", err, TT_NOTICE_ERR_MAX, 0, 1, 0};
    struct tt__arena *ar = tt__arena_new();
    if (!ar)
        return -TT_E_NOMEM;
    struct tt__ynode *root = NULL;
    int rc = tt__yaml_parse(ar, yaml, len, &root, &e);
    struct tt_notices *n = rc == 0 ? tt__arena_alloc(ar, sizeof *n) : NULL;
    if (rc == 0 && !n)
        rc = -TT_E_NOMEM;
    if (rc == 0)
        rc = build(ar, root, n, &e);
    if (rc != 0) {
        if (!err[0])
            snprintf(err, TT_NOTICE_ERR_MAX, "%s: cannot load (code %d)", e.name, rc);
        tt__arena_free(ar);
        return rc;
    }
    n->arena = ar;
    *out = n;
    return 0;
}

int tt_notices_load(const char *path, struct tt_notices **out, char err[TT_NOTICE_ERR_MAX])
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err)
            snprintf(err, TT_NOTICE_ERR_MAX, "%s: cannot open", path);
        return -TT_E_NOT_FOUND;
    }
    char *buf = malloc(NOTICES_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, NOTICES_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!buf)
        return -TT_E_NOMEM;
    if (n > NOTICES_MAX_BYTES) {
        free(buf);
        if (err)
            snprintf(err, TT_NOTICE_ERR_MAX, "%s: larger than 1 MiB", path);
        return -TT_E_BAD_FIELD;
    }
    buf[n] = '\0';
    int rc = tt_notices_load_buffer(path, buf, n, out, err);
    free(buf);
    return rc;
}

void tt_notices_free(struct tt_notices *n)
{
    if (n)
        tt__arena_free(n->arena);
}

const struct tt_notice_version *tt_notices_current(const struct tt_notices *n, tt_time at)
{
    const struct tt_notice_version *cur = NULL;
    for (size_t i = 0; n && i < n->n_versions; i++)
        if (n->versions[i].effective <= at)
            cur = &n->versions[i];
    return cur;
}
