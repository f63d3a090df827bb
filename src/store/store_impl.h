/* SPDX-License-Identifier: Apache-2.0 */
/* store_impl.h — what a backend fills in. Private to src/store/. A backend's store and
 * connection structs embed struct tt_store / struct tt_store_conn as their first member. */
#ifndef TT_STORE_IMPL_H
#define TT_STORE_IMPL_H

#include "store.h"

struct tt_store {
    const struct tt_store_ops *ops;
    const char *backend;
    void (*close)(struct tt_store *s);
    struct tt_store_conn *(*acquire)(struct tt_store *s);
    void (*release)(struct tt_store_conn *c);
    int (*migrate)(struct tt_store *s, char *err, size_t err_size);
    struct tt__txn_group *group; /* txn_group.c: set by tt_store_open, NULL from a backend */
    /* optional: pipeline a connection's writes until a result is needed (group commit) */
    void (*speculate)(struct tt_store_conn *c, int on);
    /* optional (txn_group.c, relaxed group commits): on 1, c's COMMITs return once written to
     * the OS (a killed process loses none) without waiting for the disk, until called with 0 */
    void (*relax)(struct tt_store_conn *c, int on);
    /* optional: puts every COMMIT made relaxed so far on disk; 0 or -1. A backend that has relax
     * but no flush syncs them itself within a bound of its own (PostgreSQL's WAL writer). */
    int (*flush)(struct tt_store_conn *c);
    /* optional: the database's file when it is a plain file of this machine (tt_store_local_path)
     */
    const char *local_path;
};

/* txn_group.c: the queue of tt_store_txn_grouped (NULL when out of memory); pool_size: the
 * store's connections (with one, the committer never keeps it between batches). */
struct tt__txn_group *tt__txn_group_new(struct tt_store *s, int pool_size);
void tt__txn_group_free(struct tt__txn_group *g); /* commits what is queued; NULL: no-op */

struct tt_store_conn {
    struct tt_store *store;
};

#endif
