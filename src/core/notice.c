/* SPDX-License-Identifier: Apache-2.0 */
/* notice.c — notice versions and contacts (policy/notices.yaml) (S12.1, S15.1). */
#include "notice.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "yaml_doc.h"

#define NOTICES_MAX_MIB 1

static int build(struct tt__arena *ar, const struct tt__ynode *root, void *obj, struct tt__perr *e)
{
    struct tt_notices *out = obj;
    const struct tt__ynode *vs = tt__ydoc_get(root, "versions");
    const struct tt__ynode *ct = tt__ydoc_get(root, "contacts");
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
        const char *eff = tt__ydoc_scalar(tt__ydoc_get(d, "effective_date"));
        const char *sub = tt__ydoc_scalar(tt__ydoc_get(d, "substantial"));
        v[i].version = tt__ydoc_scalar(tt__ydoc_get(d, "version"));
        v[i].summary = tt__ydoc_scalar(tt__ydoc_get(d, "summary"));
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
    out->dpo_email = tt__ydoc_scalar(tt__ydoc_get(ct, "dpo_email"));
    out->head_office = tt__ydoc_scalar(tt__ydoc_get(ct, "head_office"));
    out->authority = tt__ydoc_scalar(tt__ydoc_get(ct, "authority"));
    const struct tt__ynode *lo = tt__ydoc_get(ct, "local_offices");
    size_t nlo = lo && lo->type == TT_Y_SEQ ? lo->n : 0;
    const char **l = tt__arena_alloc(ar, (nlo + 1) * sizeof *l);
    if (!l)
        return -TT_E_NOMEM;
    for (size_t i = 0, k = 0; i < nlo; i++)
        if (tt__ydoc_scalar(lo->kids[i]))
            l[k++] = tt__ydoc_scalar(lo->kids[i]);
    out->local_offices = l;
    return e->count ? -TT_E_BAD_FIELD : 0;
}

int tt_notices_load_buffer(const char *name, const char *yaml, size_t len, struct tt_notices **out,
                           char err[TT_NOTICE_ERR_MAX])
{
    void *obj = NULL;
    int rc =
        tt__ydoc_parse(name ? name : "notices", yaml, len, sizeof(struct tt_notices),
                       offsetof(struct tt_notices, arena), build, &obj, err, TT_NOTICE_ERR_MAX);
    if (rc == 0)
        *out = obj;
    return rc;
}

int tt_notices_load(const char *path, struct tt_notices **out, char err[TT_NOTICE_ERR_MAX])
{
    char *buf = NULL;
    size_t len = 0;
    int rc = tt__ydoc_read(path, NOTICES_MAX_MIB, &buf, &len, err, TT_NOTICE_ERR_MAX);
    if (rc != 0)
        return rc;
    rc = tt_notices_load_buffer(path, buf, len, out, err);
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
