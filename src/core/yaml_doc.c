/* SPDX-License-Identifier: Apache-2.0 */
/* yaml_doc.c — reading, parsing and looking up the small YAML documents beside the policy
 * (adequacy.yaml, notices.yaml): see yaml_doc.h. */
#include "yaml_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "file_read.h"

const struct tt__ynode *tt__ydoc_get(const struct tt__ynode *m, const char *key)
{
    if (!m || m->type != TT_Y_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i]->type == TT_Y_SCALAR && strcmp(m->kids[i]->str, key) == 0)
            return m->kids[i + 1];
    return NULL;
}

const char *tt__ydoc_scalar(const struct tt__ynode *n)
{
    return n && n->type == TT_Y_SCALAR && n->len == strlen(n->str) ? n->str : NULL;
}

int tt__ydoc_parse(const char *name, const char *yaml, size_t len, size_t obj_size,
                   size_t arena_off, tt__ydoc_build_fn build, void **obj, char *err,
                   size_t err_size)
{
    char dummy[256];
    if (!err || !err_size) {
        err = dummy;
        err_size = sizeof dummy;
    }
    err[0] = '\0';
    struct tt__perr e = {name, err, err_size, 0, 1, 0};
    struct tt__arena *ar = tt__arena_new();
    if (!ar)
        return -TT_E_NOMEM;
    struct tt__ynode *root = NULL;
    int rc = tt__yaml_parse(ar, yaml, len, &root, &e);
    void *o = rc == 0 ? tt__arena_alloc(ar, obj_size) : NULL;
    if (rc == 0 && !o)
        rc = -TT_E_NOMEM;
    if (rc == 0) {
        *(void **)((char *)o + arena_off) = ar;
        rc = build(ar, root, o, &e);
    }
    if (rc != 0) {
        if (!err[0])
            snprintf(err, err_size, "%s: cannot load (code %d)", name, rc);
        tt__arena_free(ar);
        return rc < 0 ? rc : -TT_E_BAD_FIELD;
    }
    *obj = o;
    return 0;
}

int tt__ydoc_read(const char *path, unsigned max_mib, char **buf, size_t *len, char *err,
                  size_t err_size)
{
    int rc = tt_file_read(path, (size_t)max_mib << 20, buf, len);
    if (rc == -TT_E_BODY_TOO_LARGE) {
        if (err && err_size)
            snprintf(err, err_size, "%s: larger than %u MiB", path, max_mib);
        return -TT_E_BAD_FIELD;
    }
    if ((rc == -TT_E_NOT_FOUND || rc == -TT_E_INTERNAL) && err && err_size)
        snprintf(err, err_size, "%s: cannot %s", path, rc == -TT_E_NOT_FOUND ? "open" : "read");
    return rc;
}
