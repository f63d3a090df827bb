/* SPDX-License-Identifier: Apache-2.0 */
/* policy_int.h — private to the policy loader (policy*.c): the arena that owns a loaded policy,
 * the YAML tree the loader reads (with line numbers), and the error collector.
 * Nothing here is thread-safe; a loader runs on one thread and then publishes an immutable
 * tt_policy. */
#ifndef TT_CORE_POLICY_INT_H
#define TT_CORE_POLICY_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "policy.h"

/* ---- arena: bump allocator over a list of chunks; one free releases everything ---- */
struct tt__arena;

/* Returns a new empty arena, or NULL when out of memory. */
struct tt__arena *tt__arena_new(void);
/* NULL is a no-op. */
void tt__arena_free(struct tt__arena *a);
/* Zeroed, 16-byte aligned memory that lives as long as the arena; NULL when out of memory. */
void *tt__arena_alloc(struct tt__arena *a, size_t size);
/* Copies len bytes of s and a NUL; NULL when out of memory. */
char *tt__arena_strndup(struct tt__arena *a, const char *s, size_t len);

/* ---- YAML tree: what policy_yaml.c builds from libyaml events ---- */
enum tt__ytype { TT_Y_SCALAR, TT_Y_SEQ, TT_Y_MAP };

struct tt__ynode {
    enum tt__ytype type;
    unsigned line;   /* 1-based line where the node starts */
    int plain;       /* scalar written without quotes (so `true`, `12`, `~` are typed) */
    const char *str; /* scalar text, NUL-terminated (may contain NULs: then len says) */
    size_t len;
    struct tt__ynode **kids; /* SEQ: items; MAP: key, value, key, value, … */
    size_t n;                /* number of entries in kids */
};

#define TT__YAML_MAX_DEPTH 32
#define TT__YAML_MAX_NODES 1000000
#define TT__POLICY_MAX_BYTES (16u << 20)

/* ---- error collector: "NAME:LINE: reason" lines ---- */
struct tt__perr {
    const char *name; /* file name used in messages */
    char *buf;        /* output: lines separated by '\n'; may be NULL */
    size_t size;
    size_t len;
    size_t max;   /* stop recording after this many problems */
    size_t count; /* problems recorded so far */
};

/* Records one problem (ignored once count == max). */
void tt__perr_add(struct tt__perr *e, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 1 once the collector is full. */
int tt__perr_full(const struct tt__perr *e);
/* Copies at most 48 printable characters of s into out (size >= 56) for use in a message;
 * anything else becomes '?', and a longer text ends with "…". */
const char *tt__perr_quote(const char *s, char *out, size_t size);

/* Parses yaml (len bytes) into a tree allocated in a; the root is a mapping. Returns 0 and sets
 * *root, or a negative code after recording the syntax problem in e. */
int tt__yaml_parse(struct tt__arena *a, const char *yaml, size_t len, struct tt__ynode **root,
                   struct tt__perr *e);

/* ---- lookup indexes: sorted (key, item) arrays searched with bsearch ---- */
enum tt__pidx {
    TT_PIDX_CATEGORY,
    TT_PIDX_PURPOSE,
    TT_PIDX_SERVICE,
    TT_PIDX_SOURCE,
    TT_PIDX_RETENTION,
    TT_PIDX_RECIPIENT_CATEGORY,
    TT_PIDX_RECIPIENT,
    TT_PIDX_COOKIE_CATEGORY,
    TT_PIDX_JURISDICTION,
    TT_PIDX_DEADLINE,
    TT_PIDX_SUBJECT_KIND,
    TT_PIDX_EEA,
    TT_PIDX__COUNT
};

struct tt__pent {
    const char *key;
    const void *item;
    unsigned line; /* where it was declared (for duplicate reports) */
};

struct tt__pidx_table {
    struct tt__pent *e; /* sorted by key */
    size_t n;
};

/* What tt_policy.arena points to. */
struct tt__policy_priv {
    struct tt__arena *arena; /* owns the policy, this struct, and every string and array */
    struct tt__pidx_table idx[TT_PIDX__COUNT];
};

/* The entry for key in index k of p, or NULL. */
const void *tt__policy_find(const struct tt_policy *p, enum tt__pidx k, const char *key);
/* Same over a bare table (used while building). */
const struct tt__pent *tt__pidx_find(const struct tt__pidx_table *t, const char *key);

/* Turns the tree into a validated policy allocated (with its indexes) in arena a. Records every
 * problem in e (up to e->max) and returns 0 only when none was found; *out is written on success
 * and then lives until tt__arena_free(a) (which tt_policy_free does). */
int tt__policy_build(struct tt__arena *a, const struct tt__ynode *root, struct tt_policy **out,
                     struct tt__perr *e);

#endif
