/* SPDX-License-Identifier: Apache-2.0 */
/* policy_schema.h — private to policy_build.c and policy_schema.c: how a section of a policy
 * file is described (fields, types, references) and the state of one build. */
#ifndef TT_CORE_POLICY_SCHEMA_H
#define TT_CORE_POLICY_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "policy_int.h"

#define LIST_MAX 100000 /* entries in any one list */
#define STR_MAX 65536   /* bytes in any one string */
#define MONTHS_MAX 1200 /* 100 years */
#define NOCOUNT SIZE_MAX

struct tt__pctx;
enum ftype { F_STR, F_BOOL, F_INT, F_ENUM, F_STRLIST, F_LIST, F_OBJ };
enum fmt { FMT_NONE, FMT_KEY, FMT_JURIS, FMT_COUNTRY, FMT_JURIS_OR_EEA };

struct tt__pschema;
struct tt__pfield {
    const char *name;
    enum ftype type;
    size_t off;   /* where the value goes in the item */
    size_t off_n; /* F_LIST, F_STRLIST: where the count goes (NOCOUNT = nowhere) */
    int required;
    int ref;  /* 1 + index the value (each item) must name; 0 = none */
    int sect; /* F_STRLIST: 1 + index each item is registered in; 0 = none */
    enum fmt fmt;
    const char *const *enums; /* F_ENUM (value = position) and F_STR (allowed values) */
    size_t n_enums;
    long min, max;                 /* F_INT */
    const struct tt__pschema *sub; /* F_LIST item schema; F_OBJ: nested mapping, same item */
};

typedef void (*tt__pcheck_fn)(struct tt__pctx *c, void *item, const struct tt__ynode *node,
                              const unsigned *lines);

struct tt__pschema {
    const char *what; /* "purpose": used in messages */
    size_t size;      /* item size (F_LIST) */
    int sect;         /* 1 + index items are registered in; 0 = none */
    size_t key_off;   /* the item's key (when sect) */
    const struct tt__pfield *fields;
    size_t n_fields;
    tt__pcheck_fn check;
};

struct ref_rec {
    int idx;
    const char *key;
    unsigned line;
};

struct sect_tmp {
    struct tt__pent *e;
    const struct tt__ynode **nodes;
    size_t n, cap;
};

struct tt__pctx {
    struct tt__arena *a;
    struct tt__perr *e;
    struct tt_policy *p;
    struct tt__policy_priv *priv;
    struct ref_rec *refs;
    size_t n_refs, cap_refs;
    struct sect_tmp sec[TT_PIDX__COUNT];
    int nomem;
};

/* The schema of a whole policy file (policy_schema.c). */
extern const struct tt__pschema tt__policy_schema;

/* The value of key in a mapping node, or NULL. */
const struct tt__ynode *tt__ymap_get(const struct tt__ynode *map, const char *key);
/* 1 when the purpose relies on legitimate interest inside or outside the EEA. */
int tt__purpose_uses_li(const struct tt_purpose *pu);

#endif
