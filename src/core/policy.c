/* SPDX-License-Identifier: Apache-2.0 */
/* policy.c — loading a policy pack (read, parse, build, digest), collecting its problems for
 * `tutela policy check`, freeing it, and the lookups every other module uses. The YAML reading
 * is in policy_yaml.c, the schema and validation in policy_build.c. */
#include "policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "file_read.h"
#include "policy_int.h"

/* ---- error collector ---- */

int tt__perr_full(const struct tt__perr *e)
{
    return e->count >= e->max;
}

void tt__perr_add(struct tt__perr *e, unsigned line, const char *fmt, ...)
{
    if (tt__perr_full(e))
        return;
    e->count++;
    if (!e->buf || e->size == 0 || e->len + 1 >= e->size)
        return;
    char *at = e->buf + e->len;
    size_t room = e->size - e->len;
    int k = line ? snprintf(at, room, "%s%s:%u: ", e->len ? "\n" : "", e->name, line)
                 : snprintf(at, room, "%s%s: ", e->len ? "\n" : "", e->name);
    if (k < 0 || (size_t)k >= room) {
        e->len = e->size - 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(at + k, room - (size_t)k, fmt, ap);
    va_end(ap);
    if (m < 0 || (size_t)m >= room - (size_t)k)
        e->len = e->size - 1;
    else
        e->len += (size_t)k + (size_t)m;
}

const char *tt__perr_quote(const char *s, char *out, size_t size)
{
    size_t i = 0, j = 0;
    if (size < 8) {
        if (size)
            out[0] = '\0';
        return out;
    }
    size_t limit = size - 4 < 48 ? size - 4 : 48;
    for (; s && s[i] && j < limit; i++)
        out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s && s[i]) {
        out[j++] = '.';
        out[j++] = '.';
        out[j++] = '.';
    }
    out[j] = '\0';
    return out;
}

/* ---- loading ---- */

static int load(const char *name, const char *yaml, size_t len, struct tt_policy **out,
                struct tt__perr *e)
{
    if (!yaml && len)
        return -TT_E_BAD_PARAM;
    if (len > TT__POLICY_MAX_BYTES) {
        tt__perr_add(e, 0, "file too large (max %u bytes)", TT__POLICY_MAX_BYTES);
        return -TT_E_BODY_TOO_LARGE;
    }
    if (sodium_init() < 0)
        return -TT_E_CRYPTO;
    struct tt__arena *a = tt__arena_new();
    if (!a)
        return -TT_E_NOMEM;
    struct tt__ynode *root = NULL;
    struct tt_policy *p = NULL;
    int rc = tt__yaml_parse(a, yaml ? yaml : "", len, &root, e);
    if (rc == 0)
        rc = tt__policy_build(a, root, &p, e);
    if (rc == 0 && !(p->source_path = tt__arena_strndup(a, name, strlen(name))))
        rc = -TT_E_NOMEM;
    if (rc == 0 && crypto_generichash(p->digest, sizeof p->digest, (const unsigned char *)yaml, len,
                                      NULL, 0) != 0)
        rc = -TT_E_CRYPTO;
    if (rc != 0) {
        if (rc == -TT_E_NOMEM && e->count == 0)
            tt__perr_add(e, 0, "out of memory");
        tt__arena_free(a);
        return rc;
    }
    *out = p;
    return 0;
}

/* Reads the policy file (at most TT__POLICY_MAX_BYTES) into a malloc'd buffer; a failure is
 * named in e. */
static int read_file(const char *path, char **buf, size_t *len, struct tt__perr *e)
{
    int rc = tt_file_read(path, TT__POLICY_MAX_BYTES, buf, len);
    if (rc == -TT_E_NOT_FOUND || rc == -TT_E_INTERNAL)
        tt__perr_add(e, 0, "cannot %s: %s", rc == -TT_E_NOT_FOUND ? "open" : "read",
                     strerror(errno));
    else if (rc == -TT_E_BODY_TOO_LARGE)
        tt__perr_add(e, 0, "file too large (max %u bytes)", TT__POLICY_MAX_BYTES);
    return rc;
}

int tt_policy_load_buffer(const char *name, const char *yaml, size_t len, struct tt_policy **out,
                          char err[TT_POLICY_ERR_MAX])
{
    struct tt__perr e = {.name = name ? name : "(buffer)",
                         .buf = err,
                         .size = err ? TT_POLICY_ERR_MAX : 0,
                         .max = 1};
    if (err)
        err[0] = '\0';
    if (!out)
        return -TT_E_BAD_PARAM;
    return load(e.name, yaml, len, out, &e);
}

int tt_policy_load(const char *path, struct tt_policy **out, char err[TT_POLICY_ERR_MAX])
{
    struct tt__perr e = {
        .name = path ? path : "(null)", .buf = err, .size = err ? TT_POLICY_ERR_MAX : 0, .max = 1};
    if (err)
        err[0] = '\0';
    if (!path || !out)
        return -TT_E_BAD_PARAM;
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, &e);
    if (rc == 0) {
        rc = load(path, buf, len, out, &e);
        free(buf);
    }
    return rc;
}

int tt_policy_check(const char *path, char *errs, size_t errs_size, size_t max_errs)
{
    struct tt__perr e = {.name = path ? path : "(null)",
                         .buf = errs,
                         .size = errs ? errs_size : 0,
                         .max = max_errs ? max_errs : 1};
    if (errs && errs_size)
        errs[0] = '\0';
    if (!path)
        return -TT_E_BAD_PARAM;
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, &e);
    if (rc != 0)
        return rc;
    struct tt_policy *p = NULL;
    rc = load(path, buf, len, &p, &e);
    free(buf);
    tt_policy_free(p);
    if (rc == -TT_E_NOMEM || (rc != 0 && e.count == 0))
        return rc; /* a failure that is not a problem of the file */
    return (int)(e.count > (size_t)INT32_MAX ? INT32_MAX : e.count);
}

void tt_policy_free(struct tt_policy *p)
{
    if (!p)
        return;
    struct tt__policy_priv *priv = p->arena;
    tt__arena_free(priv->arena); /* p itself lives in the arena */
}

/* ---- lookups ---- */

static int key_cmp(const void *key, const void *ent)
{
    return strcmp(key, ((const struct tt__pent *)ent)->key);
}

const struct tt__pent *tt__pidx_find(const struct tt__pidx_table *t, const char *key)
{
    if (!t->e || !t->n || !key)
        return NULL;
    return bsearch(key, t->e, t->n, sizeof(*t->e), key_cmp);
}

const void *tt__policy_find(const struct tt_policy *p, enum tt__pidx k, const char *key)
{
    if (!p || !p->arena)
        return NULL;
    const struct tt__policy_priv *priv = p->arena;
    const struct tt__pent *e = tt__pidx_find(&priv->idx[k], key);
    return e ? e->item : NULL;
}

const struct tt_category *tt_policy_category(const struct tt_policy *p, const char *key)
{
    return tt__policy_find(p, TT_PIDX_CATEGORY, key);
}

const struct tt_purpose *tt_policy_purpose(const struct tt_policy *p, const char *key)
{
    return tt__policy_find(p, TT_PIDX_PURPOSE, key);
}

const struct tt_service *tt_policy_service(const struct tt_policy *p, const char *key)
{
    return tt__policy_find(p, TT_PIDX_SERVICE, key);
}

const struct tt_source *tt_policy_source(const struct tt_policy *p, const char *key)
{
    return tt__policy_find(p, TT_PIDX_SOURCE, key);
}

const struct tt_retention *tt_policy_retention(const struct tt_policy *p, const char *key)
{
    return tt__policy_find(p, TT_PIDX_RETENTION, key);
}

const struct tt_recipient *tt_policy_recipient(const struct tt_policy *p, const char *key)
{
    return tt__policy_find(p, TT_PIDX_RECIPIENT, key);
}

const struct tt_jurisdiction *tt_policy_jurisdiction(const struct tt_policy *p, const char *code)
{
    return tt__policy_find(p, TT_PIDX_JURISDICTION, code);
}

const struct tt_deadline *tt_policy_deadline(const struct tt_policy *p, const char *key)
{
    return tt__policy_find(p, TT_PIDX_DEADLINE, key);
}

int tt_policy_subject_kind_known(const struct tt_policy *p, const char *kind)
{
    return tt__policy_find(p, TT_PIDX_SUBJECT_KIND, kind) != NULL;
}

static int in_list(const char **list, const char *s)
{
    for (size_t i = 0; list && s && list[i]; i++) {
        if (strcmp(list[i], s) == 0)
            return 1;
    }
    return 0;
}

int tt_policy_service_has_category(const struct tt_service *s, const char *category)
{
    return s ? in_list(s->categories, category) : 0;
}

int tt_policy_service_has_purpose(const struct tt_service *s, const char *purpose)
{
    return s ? in_list(s->purposes, purpose) : 0;
}

int tt_policy_purpose_allows_category(const struct tt_purpose *pu, const char *category)
{
    if (!pu || !category)
        return 0;
    if (!pu->categories || !pu->categories[0])
        return 1; /* an empty list means any category of the taxonomy */
    return in_list(pu->categories, category);
}

/* The country part of a jurisdiction code ("US-CA" → "US"), upper-cased; 0 when malformed. */
static int country_of(const char *j, char out[3])
{
    if (!j || !j[0] || !j[1] || (j[2] && j[2] != '-'))
        return 0;
    for (int i = 0; i < 2; i++) {
        char ch = j[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (ch < 'A' || ch > 'Z')
            return 0;
        out[i] = ch;
    }
    out[2] = '\0';
    return 1;
}

int tt_policy_in_eea(const struct tt_policy *p, const char *jurisdiction)
{
    char cc[3];
    if (!p || !jurisdiction)
        return 0;
    if (strcmp(jurisdiction, "EU") == 0 || strcmp(jurisdiction, "EEA") == 0)
        return 1;
    if (!country_of(jurisdiction, cc))
        return 0;
    return tt__policy_find(p, TT_PIDX_EEA, cc) != NULL;
}

enum tt_basis tt_policy_basis_for(const struct tt_policy *p, const struct tt_purpose *pu,
                                  const char *jurisdiction)
{
    if (!pu)
        return TT_BASIS_NONE;
    /* S2.1: an unknown jurisdiction gets the EEA basis, the regime of the head office */
    if (!jurisdiction || !jurisdiction[0])
        return pu->basis_eea;
    return tt_policy_in_eea(p, jurisdiction) ? pu->basis_eea : pu->basis_other;
}

static const struct tt_deadline *deadline_listing(const struct tt_policy *p, const char *code)
{
    for (size_t i = 0; i < p->n_deadlines; i++) {
        if (in_list(p->deadlines[i].jurisdictions, code))
            return &p->deadlines[i];
    }
    return NULL;
}

const struct tt_deadline *tt_policy_deadline_for(const struct tt_policy *p,
                                                 const char *jurisdiction)
{
    if (!p)
        return NULL;
    const struct tt_deadline *d = NULL;
    char cc[3];
    if (jurisdiction && jurisdiction[0])
        d = deadline_listing(p, jurisdiction);
    if (!d && country_of(jurisdiction, cc))
        d = deadline_listing(p, cc);
    if (!d && tt_policy_in_eea(p, jurisdiction))
        d = deadline_listing(p, "EEA");
    return d ? d : tt_policy_deadline(p, p->deadline_default);
}

const struct tt_jurisdiction *tt_policy_terms_for(const struct tt_policy *p,
                                                  const char *jurisdiction)
{
    if (!p)
        return NULL;
    const struct tt_jurisdiction *j = NULL;
    char cc[3];
    if (jurisdiction && jurisdiction[0])
        j = tt_policy_jurisdiction(p, jurisdiction);
    if (!j && country_of(jurisdiction, cc))
        j = tt_policy_jurisdiction(p, cc);
    if (!j && tt_policy_in_eea(p, jurisdiction))
        j = tt_policy_jurisdiction(p, "EU");
    return j ? j : tt_policy_jurisdiction(p, p->jurisdiction_default);
}
