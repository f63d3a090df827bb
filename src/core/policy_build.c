/* SPDX-License-Identifier: Apache-2.0 */
/* policy_build.c — turns the YAML tree of a policy file (policy_yaml.c) into a struct tt_policy.
 * Each section is described by a schema (fields, types, required, references); one generic
 * walker applies it, so unknown keys, duplicates, missing fields and bad values are reported
 * the same way everywhere, as FILE:LINE: reason. Cross-references are resolved once every
 * section is read, through the sorted indexes that later serve the lookups. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "policy_int.h"
#include "policy_schema.h"
#include "retention.h"
#include "types.h"

static const char *const idx_what[TT_PIDX__COUNT] = {
    [TT_PIDX_CATEGORY] = "data category",    [TT_PIDX_PURPOSE] = "purpose",
    [TT_PIDX_SERVICE] = "service",           [TT_PIDX_SOURCE] = "source",
    [TT_PIDX_RETENTION] = "retention rule",  [TT_PIDX_RECIPIENT_CATEGORY] = "recipient category",
    [TT_PIDX_RECIPIENT] = "recipient",       [TT_PIDX_COOKIE_CATEGORY] = "cookie category",
    [TT_PIDX_JURISDICTION] = "jurisdiction", [TT_PIDX_DEADLINE] = "deadline rule",
    [TT_PIDX_SUBJECT_KIND] = "subject kind", [TT_PIDX_EEA] = "EEA country",
};

static const char *const empty_list[1] = {NULL};

/* ---- small helpers ---- */

static void put(void *base, size_t off, const void *v, size_t n)
{
    memcpy((char *)base + off, v, n);
}

const struct tt__ynode *tt__ymap_get(const struct tt__ynode *map, const char *key)
{
    if (!map || map->type != TT_Y_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        if (strcmp(map->kids[i]->str, key) == 0)
            return map->kids[i + 1];
    }
    return NULL;
}

static int is_null(const struct tt__ynode *n)
{
    return n->type == TT_Y_SCALAR &&
           (n->len == 0 ||
            (n->plain && (strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
                          strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0)));
}

static int fmt_ok(enum fmt f, const char *s)
{
    size_t n = strlen(s);
    switch (f) {
    case FMT_NONE:
        return 1;
    case FMT_KEY:
        /* fideslang-style keys; records store them in TT_KEY_MAX bytes */
        if (n == 0 || n >= TT_KEY_MAX || s[0] == '.' || s[n - 1] == '.')
            return 0;
        for (size_t i = 0; i < n; i++) {
            char ch = s[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
                  (ch == '.' && s[i + 1] != '.')))
                return 0;
        }
        return 1;
    case FMT_COUNTRY:
        return n == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
    case FMT_JURIS_OR_EEA:
        if (strcmp(s, "EEA") == 0)
            return 1;
        /* fall through */
    case FMT_JURIS:
        /* ISO 3166-1 alpha-2, optionally "-" and a 1–3 character subdivision ("US-CA") */
        if (n < 2 || n >= TT_JURIS_MAX || !fmt_ok(FMT_COUNTRY, (char[]){s[0], s[1], 0}))
            return 0;
        if (n == 2)
            return 1;
        if (s[2] != '-' || n < 4 || n > 6)
            return 0;
        for (size_t i = 3; i < n; i++) {
            if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
                return 0;
        }
        return 1;
    }
    return 0;
}

static const char *fmt_hint(enum fmt f)
{
    switch (f) {
    case FMT_KEY:
        return "a key of lowercase letters, digits, '_', '-' and '.', under 96 characters";
    case FMT_COUNTRY:
        return "an ISO 3166-1 alpha-2 country code such as NL";
    case FMT_JURIS:
        return "a jurisdiction code such as NL or US-CA";
    case FMT_JURIS_OR_EEA:
        return "a jurisdiction code such as NL or US-CA, or EEA";
    default:
        return "";
    }
}

static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *r = realloc(arr, ncap * elem);
    if (r)
        *cap = ncap;
    return r;
}

static void add_ref(struct tt__pctx *c, int idx, const char *key, unsigned line)
{
    struct ref_rec *r = grow(c->refs, &c->cap_refs, c->n_refs, sizeof(*r));
    if (!r) {
        c->nomem = 1;
        return;
    }
    c->refs = r;
    c->refs[c->n_refs++] = (struct ref_rec){idx, key, line};
}

static void reg(struct tt__pctx *c, int idx, const char *key, const void *item,
                const struct tt__ynode *node)
{
    struct sect_tmp *s = &c->sec[idx];
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 16;
        struct tt__pent *e = realloc(s->e, ncap * sizeof(*e));
        if (!e) {
            c->nomem = 1;
            return;
        }
        s->e = e;
        const struct tt__ynode **nodes = realloc(s->nodes, ncap * sizeof(*nodes));
        if (!nodes) {
            c->nomem = 1;
            return;
        }
        s->nodes = nodes;
        s->cap = ncap;
    }
    s->e[s->n] = (struct tt__pent){key, item, node->line};
    s->nodes[s->n] = node;
    s->n++;
}

/* ---- scalar readers: 1 = value, 0 = null/absent, -1 = problem reported ---- */

static int read_str(struct tt__pctx *c, const struct tt__ynode *n, const char *what,
                    const char *name, const char **out)
{
    if (n->type != TT_Y_SCALAR) {
        tt__perr_add(c->e, n->line, "'%s' in %s must be a string", name, what);
        return -1;
    }
    if (is_null(n))
        return 0;
    if (strlen(n->str) != n->len || n->len > STR_MAX) {
        tt__perr_add(c->e, n->line, "'%s' in %s contains a NUL byte or is too long", name, what);
        return -1;
    }
    *out = n->str;
    return 1;
}

static void enum_list(const struct tt__pfield *f, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < f->n_enums && len < size; i++) {
        if (!f->enums[i])
            continue;
        int k = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", f->enums[i]);
        if (k < 0)
            break;
        len += (size_t)k;
    }
}

static void bad_enum(struct tt__pctx *c, const struct tt__pfield *f, const char *what,
                     unsigned line, const char *s)
{
    char q[64], list[160];
    enum_list(f, list, sizeof list);
    tt__perr_add(c->e, line, "bad value '%s' for '%s' in %s (expected one of: %s)",
                 tt__perr_quote(s, q, sizeof q), f->name, what, list);
}

static void check_fmt_ref(struct tt__pctx *c, const struct tt__pfield *f, const char *what,
                          unsigned line, const char *s)
{
    if (f->fmt != FMT_NONE && !fmt_ok(f->fmt, s)) {
        char q[64];
        tt__perr_add(c->e, line, "bad value '%s' for '%s' in %s (expected %s)",
                     tt__perr_quote(s, q, sizeof q), f->name, what, fmt_hint(f->fmt));
        return;
    }
    if (f->ref)
        add_ref(c, f->ref - 1, s, line);
}

static void parse_object(struct tt__pctx *c, const struct tt__pschema *sc, void *item,
                         const struct tt__ynode *node);

/* Parses one field value; returns 1 when a value was stored, 0 when null, -1 on a problem. */
static int parse_value(struct tt__pctx *c, const struct tt__pschema *sc, const struct tt__pfield *f,
                       void *item, const struct tt__ynode *v)
{
    const char *s = NULL;
    int rc;
    switch (f->type) {
    case F_STR:
        if ((rc = read_str(c, v, sc->what, f->name, &s)) <= 0)
            return rc;
        if (f->enums) {
            size_t i = 0;
            while (i < f->n_enums && !(f->enums[i] && strcmp(f->enums[i], s) == 0))
                i++;
            if (i == f->n_enums) {
                bad_enum(c, f, sc->what, v->line, s);
                return -1;
            }
        }
        check_fmt_ref(c, f, sc->what, v->line, s);
        put(item, f->off, &s, sizeof s);
        return 1;
    case F_BOOL: {
        if (v->type == TT_Y_SCALAR && is_null(v))
            return 0;
        int b = -1;
        if (v->type == TT_Y_SCALAR && v->plain) {
            if (strcmp(v->str, "true") == 0 || strcmp(v->str, "True") == 0)
                b = 1;
            else if (strcmp(v->str, "false") == 0 || strcmp(v->str, "False") == 0)
                b = 0;
        }
        if (b < 0) {
            tt__perr_add(c->e, v->line, "'%s' in %s must be true or false", f->name, sc->what);
            return -1;
        }
        put(item, f->off, &b, sizeof b);
        return 1;
    }
    case F_INT: {
        if (v->type == TT_Y_SCALAR && is_null(v))
            return 0;
        long x = 0;
        char *end = NULL;
        int ok = v->type == TT_Y_SCALAR && v->plain && v->len > 0 && strlen(v->str) == v->len;
        if (ok) {
            errno = 0;
            x = strtol(v->str, &end, 10);
            ok = errno == 0 && end && *end == '\0' && x >= f->min && x <= f->max;
        }
        if (!ok) {
            tt__perr_add(c->e, v->line, "'%s' in %s must be a whole number from %ld to %ld",
                         f->name, sc->what, f->min, f->max);
            return -1;
        }
        int i = (int)x;
        put(item, f->off, &i, sizeof i);
        return 1;
    }
    case F_ENUM: {
        if ((rc = read_str(c, v, sc->what, f->name, &s)) <= 0)
            return rc;
        for (size_t i = 0; i < f->n_enums; i++) {
            if (f->enums[i] && strcmp(f->enums[i], s) == 0) {
                int e = (int)i;
                put(item, f->off, &e, sizeof e);
                return 1;
            }
        }
        bad_enum(c, f, sc->what, v->line, s);
        return -1;
    }
    case F_STRLIST: {
        if (v->type == TT_Y_SCALAR && is_null(v))
            return 0;
        if (v->type != TT_Y_SEQ) {
            tt__perr_add(c->e, v->line, "'%s' in %s must be a list", f->name, sc->what);
            return -1;
        }
        if (v->n > LIST_MAX) {
            tt__perr_add(c->e, v->line, "'%s' in %s has too many entries (max %d)", f->name,
                         sc->what, LIST_MAX);
            return -1;
        }
        const char **arr = tt__arena_alloc(c->a, (v->n + 1) * sizeof(*arr));
        if (!arr) {
            c->nomem = 1;
            return -1;
        }
        size_t k = 0;
        int bad = 0;
        for (size_t i = 0; i < v->n; i++) {
            const struct tt__ynode *it = v->kids[i];
            const char *x = NULL;
            rc = read_str(c, it, sc->what, f->name, &x);
            if (rc == 0) {
                tt__perr_add(c->e, it->line, "empty entry in '%s' of %s", f->name, sc->what);
                bad = 1;
            }
            if (rc <= 0) {
                bad = 1;
                continue;
            }
            check_fmt_ref(c, f, sc->what, it->line, x);
            if (f->sect)
                reg(c, f->sect - 1, x, x, it);
            arr[k++] = x;
        }
        arr[k] = NULL;
        put(item, f->off, &arr, sizeof arr);
        if (f->off_n != NOCOUNT)
            put(item, f->off_n, &k, sizeof k);
        return bad ? -1 : 1;
    }
    case F_LIST: {
        if (v->type == TT_Y_SCALAR && is_null(v))
            return 0;
        if (v->type != TT_Y_SEQ) {
            tt__perr_add(c->e, v->line, "'%s' in %s must be a list", f->name, sc->what);
            return -1;
        }
        if (v->n > LIST_MAX) {
            tt__perr_add(c->e, v->line, "'%s' in %s has too many entries (max %d)", f->name,
                         sc->what, LIST_MAX);
            return -1;
        }
        char *arr = tt__arena_alloc(c->a, (v->n ? v->n : 1) * f->sub->size);
        if (!arr) {
            c->nomem = 1;
            return -1;
        }
        for (size_t i = 0; i < v->n && !c->nomem; i++)
            parse_object(c, f->sub, arr + i * f->sub->size, v->kids[i]);
        size_t n = v->n;
        put(item, f->off, &arr, sizeof arr);
        put(item, f->off_n, &n, sizeof n);
        return 1;
    }
    case F_OBJ:
        if (v->type == TT_Y_SCALAR && is_null(v))
            return 0;
        parse_object(c, f->sub, item, v);
        return 1;
    }
    return -1;
}

static void parse_object(struct tt__pctx *c, const struct tt__pschema *sc, void *item,
                         const struct tt__ynode *node)
{
    unsigned lines[32] = {0};   /* line of each field's key, 0 = absent */
    unsigned present[32] = {0}; /* line of each field with a non-null value */
    if (node->type != TT_Y_MAP) {
        tt__perr_add(c->e, node->line, "%s must be a mapping of keys to values", sc->what);
        return;
    }
    for (size_t i = 0; i + 1 < node->n; i += 2) {
        const struct tt__ynode *k = node->kids[i], *v = node->kids[i + 1];
        size_t fi = 0;
        while (fi < sc->n_fields && strcmp(sc->fields[fi].name, k->str) != 0)
            fi++;
        char q[64];
        if (fi == sc->n_fields) {
            tt__perr_add(c->e, k->line, "unknown key '%s' in %s",
                         tt__perr_quote(k->str, q, sizeof q), sc->what);
            continue;
        }
        if (lines[fi]) {
            tt__perr_add(c->e, k->line, "duplicate key '%s' in %s (first at line %u)",
                         sc->fields[fi].name, sc->what, lines[fi]);
            continue;
        }
        lines[fi] = k->line;
        int rc = parse_value(c, sc, &sc->fields[fi], item, v);
        if (rc > 0)
            present[fi] = k->line;
        else if (rc == 0 && sc->fields[fi].required)
            tt__perr_add(c->e, k->line, "'%s' in %s has no value", sc->fields[fi].name, sc->what);
    }
    for (size_t fi = 0; fi < sc->n_fields; fi++) {
        const struct tt__pfield *f = &sc->fields[fi];
        if (f->required && !lines[fi])
            tt__perr_add(c->e, node->line, "missing required field '%s' in %s", f->name, sc->what);
        if (f->type == F_STRLIST && !present[fi]) {
            const char **none = (const char **)empty_list;
            size_t zero = 0;
            put(item, f->off, &none, sizeof none);
            if (f->off_n != NOCOUNT)
                put(item, f->off_n, &zero, sizeof zero);
        }
    }
    if (sc->check)
        sc->check(c, item, node, present);
    if (sc->sect) {
        const char *key;
        memcpy(&key, (const char *)item + sc->key_off, sizeof key);
        if (key)
            reg(c, sc->sect - 1, key, item, node);
    }
}

int tt__purpose_uses_li(const struct tt_purpose *pu)
{
    return pu->basis_eea == TT_BASIS_LEGITIMATE_INTEREST ||
           pu->basis_other == TT_BASIS_LEGITIMATE_INTEREST;
}

/* ---- whole-policy checks, once every section is read ---- */

static int ent_cmp(const void *a, const void *b)
{
    const struct tt__pent *x = a, *y = b;
    int r = strcmp(x->key, y->key);
    if (r)
        return r;
    return (x->line > y->line) - (x->line < y->line);
}

static void build_indexes(struct tt__pctx *c)
{
    for (int k = 0; k < TT_PIDX__COUNT && !c->nomem; k++) {
        struct sect_tmp *s = &c->sec[k];
        struct tt__pidx_table *t = &c->priv->idx[k];
        t->e = tt__arena_alloc(c->a, (s->n ? s->n : 1) * sizeof(*t->e));
        if (!t->e) {
            c->nomem = 1;
            return;
        }
        if (s->n)
            memcpy(t->e, s->e, s->n * sizeof(*t->e));
        t->n = s->n;
        qsort(t->e, t->n, sizeof(*t->e), ent_cmp);
        for (size_t i = 1; i < t->n; i++) {
            if (strcmp(t->e[i - 1].key, t->e[i].key) == 0) {
                char q[64];
                tt__perr_add(c->e, t->e[i].line, "duplicate %s '%s' (first at line %u)",
                             idx_what[k], tt__perr_quote(t->e[i].key, q, sizeof q),
                             t->e[i - 1].line);
            }
        }
    }
}

static void resolve_refs(struct tt__pctx *c)
{
    for (size_t i = 0; i < c->n_refs; i++) {
        const struct ref_rec *r = &c->refs[i];
        if (!tt__pidx_find(&c->priv->idx[r->idx], r->key)) {
            char q[64];
            tt__perr_add(c->e, r->line, "unknown %s '%s'", idx_what[r->idx],
                         tt__perr_quote(r->key, q, sizeof q));
        }
    }
}

static void check_purposes(struct tt__pctx *c)
{
    struct tt_policy *p = c->p;
    const struct sect_tmp *s = &c->sec[TT_PIDX_PURPOSE];
    if (p->n_purposes > TT_POLICY_MAX_PURPOSES) {
        /* the first purpose past the limit; purposes appear in s in file order */
        unsigned line = s->n > TT_POLICY_MAX_PURPOSES ? s->nodes[TT_POLICY_MAX_PURPOSES]->line : 1;
        tt__perr_add(c->e, line, "too many purposes: %zu (max %d, each purpose is a bit)",
                     p->n_purposes, TT_POLICY_MAX_PURPOSES);
    }
    struct tt_purpose *pus = (struct tt_purpose *)p->purposes;
    for (size_t i = 0; i < p->n_purposes; i++)
        pus[i].bit = i < TT_POLICY_MAX_PURPOSES ? (unsigned)i : 0;
    /* S2.2: legitimate interest on special-category data is refused */
    for (size_t i = 0; i < s->n; i++) {
        const struct tt_purpose *pu = s->e[i].item;
        if (!tt__purpose_uses_li(pu))
            continue;
        const struct tt__ynode *cats = tt__ymap_get(s->nodes[i], "categories");
        for (size_t j = 0; pu->categories && pu->categories[j]; j++) {
            const struct tt__pent *ce =
                tt__pidx_find(&c->priv->idx[TT_PIDX_CATEGORY], pu->categories[j]);
            const struct tt_category *cat = ce ? ce->item : NULL;
            if (!cat || !cat->special)
                continue;
            char q1[64], q2[64];
            unsigned line = s->nodes[i]->line;
            for (size_t k = 0; cats && cats->type == TT_Y_SEQ && k < cats->n; k++) {
                if (cats->kids[k]->type == TT_Y_SCALAR &&
                    strcmp(cats->kids[k]->str, pu->categories[j]) == 0) {
                    line = cats->kids[k]->line;
                    break;
                }
            }
            tt__perr_add(c->e, line,
                         "purpose '%s': legitimate interest on special-category data '%s' "
                         "is not allowed (S2.2)",
                         tt__perr_quote(pu->key, q1, sizeof q1),
                         tt__perr_quote(cat->key, q2, sizeof q2));
        }
    }
}

static int listed(const char **list, const char *s)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], s) == 0)
            return 1;
    }
    return 0;
}

static void check_others(struct tt__pctx *c)
{
    char q[64], q2[64];
    const struct sect_tmp *s = &c->sec[TT_PIDX_SERVICE];
    for (size_t i = 0; i < s->n; i++) {
        const struct tt_service *sv = s->e[i].item;
        for (size_t j = 0; sv->optional_categories && sv->optional_categories[j]; j++) {
            if (!listed(sv->categories, sv->optional_categories[j]))
                tt__perr_add(c->e, s->nodes[i]->line,
                             "service '%s': optional category '%s' is not in its categories",
                             tt__perr_quote(sv->key, q, sizeof q),
                             tt__perr_quote(sv->optional_categories[j], q2, sizeof q2));
        }
    }
    s = &c->sec[TT_PIDX_RECIPIENT];
    for (size_t i = 0; i < s->n; i++) {
        const struct tt_recipient *r = s->e[i].item;
        if (r->approved && r->country && r->transfer_mechanism &&
            strcmp(r->transfer_mechanism, "none") == 0 &&
            !tt__pidx_find(&c->priv->idx[TT_PIDX_EEA], r->country))
            tt__perr_add(c->e, s->nodes[i]->line,
                         "recipient '%s' is approved but has no transfer mechanism for %s, "
                         "outside the EEA (S5.1)",
                         tt__perr_quote(r->key, q, sizeof q), r->country);
    }
    s = &c->sec[TT_PIDX_SUBJECT_KIND];
    for (size_t i = 0; i < s->n; i++) {
        enum tt_subject_kind k;
        if (tt_subject_kind_parse(s->e[i].key, &k) != 0)
            tt__perr_add(c->e, s->e[i].line,
                         "bad value '%s' for subject kind (expected one of: customer, prospect, "
                         "end_user, visitor)",
                         tt__perr_quote(s->e[i].key, q, sizeof q));
    }
}

int tt__policy_build(struct tt__arena *a, const struct tt__ynode *root, struct tt_policy **out,
                     struct tt__perr *e)
{
    struct tt__pctx c = {.a = a, .e = e};
    size_t before = e->count;
    c.p = tt__arena_alloc(a, sizeof(*c.p));
    c.priv = tt__arena_alloc(a, sizeof(*c.priv));
    if (!c.p || !c.priv)
        return -TT_E_NOMEM;
    c.priv->arena = a;
    c.p->arena = c.priv;
    parse_object(&c, &tt__policy_schema, c.p, root);
    if (!c.nomem)
        build_indexes(&c);
    if (!c.nomem) {
        resolve_refs(&c);
        check_purposes(&c);
        check_others(&c);
        tt__policy_retention_check(c.p, root, e);
    }
    for (int k = 0; k < TT_PIDX__COUNT; k++) {
        free(c.sec[k].e);
        free(c.sec[k].nodes);
    }
    free(c.refs);
    if (c.nomem)
        return -TT_E_NOMEM;
    if (e->count != before)
        return -TT_E_BAD_FIELD;
    *out = c.p;
    return 0;
}
