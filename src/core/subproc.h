/* SPDX-License-Identifier: Apache-2.0 */
/* subproc.h — the public sub-processor list (S14.1) as plain data, the difference between two
 * lists (what the change notices say: added, removed, changed fields), and the check of a
 * webhook URL a subscriber gives (outside input: http or https only). Pure and thread safe. */
#ifndef TT_CORE_SUBPROC_H
#define TT_CORE_SUBPROC_H

#include <stddef.h>

#include "types.h"

#define TT_SUBPROC_ROLE_MAX 16
#define TT_SUBPROC_MECH_MAX 16
#define TT_SUBPROC_PURPOSES_MAX 1024 /* purpose keys, comma-separated, in the registry's order */
#define TT_SUBPROC_URL_MAX 2048

/* One entry of the public list: a processor or sub-processor the tenant approved. */
struct tt_subproc {
    char key[TT_KEY_MAX]; /* the registry key: what identifies an entry across lists */
    char name[TT_NAME_MAX];
    char role[TT_SUBPROC_ROLE_MAX];      /* processor | subprocessor */
    char category[TT_KEY_MAX];           /* recipient category (S4.1) */
    char country[TT_JURIS_MAX];          /* where the data goes */
    char mechanism[TT_SUBPROC_MECH_MAX]; /* transfer mechanism: adequacy, scc, bcr, … (S5.1) */
    char purposes[TT_SUBPROC_PURPOSES_MAX];
    tt_time since; /* approved (vetted) since; not a change by itself */
};

/* Fields that can change between two lists: bits of the changed mask. */
enum tt_subproc_field {
    TT_SUBPROC_F_NAME = 1u << 0,
    TT_SUBPROC_F_ROLE = 1u << 1,
    TT_SUBPROC_F_CATEGORY = 1u << 2,
    TT_SUBPROC_F_COUNTRY = 1u << 3,
    TT_SUBPROC_F_MECHANISM = 1u << 4,
    TT_SUBPROC_F_PURPOSES = 1u << 5,
};

enum tt_subproc_change { TT_SUBPROC_ADDED = 0, TT_SUBPROC_REMOVED = 1, TT_SUBPROC_CHANGED = 2 };

/* Called once per difference in key order: before is NULL for an addition, after NULL for a
 * removal; fields is the mask of changed fields (0 unless CHANGED). Return non-zero to stop. */
typedef int (*tt_subproc_diff_cb)(void *cls, enum tt_subproc_change kind,
                                  const struct tt_subproc *before, const struct tt_subproc *after,
                                  unsigned fields);

/* Compares two lists, each sorted by key with no key twice. Returns the number of differences
 * reported (0: the same list), or -1 when a list is not sorted or repeats a key. cb may be NULL
 * (count only). */
int tt_subproc_diff(const struct tt_subproc *old, size_t n_old, const struct tt_subproc *new,
                    size_t n_new, tt_subproc_diff_cb cb, void *cls);

/* The changed fields of two entries with the same key (the mask, 0 when equal). */
unsigned tt_subproc_changed(const struct tt_subproc *a, const struct tt_subproc *b);

/* The JSON name of one field bit ("name", "country", …), or NULL for an unknown bit. */
const char *tt_subproc_field_name(unsigned field);

/* 1 when url is an absolute http:// or https:// URL a webhook may be sent to: at most
 * TT_SUBPROC_URL_MAX bytes, a host of letters, digits, '.', '-' (or a bracketed IPv6 address),
 * an optional port 1-65535, then a path and query of printable ASCII without spaces, quotes or
 * angle brackets; no user:password@ part, no fragment. Else 0. */
int tt_subproc_url_ok(const char *url);

#endif
