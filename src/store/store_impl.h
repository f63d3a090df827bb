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
};

struct tt_store_conn {
    struct tt_store *store;
};

#endif
