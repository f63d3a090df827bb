/* SPDX-License-Identifier: Apache-2.0 */
/* store.c — backend selection by URL, connection dispatch, and the one transaction runner. */
#include "store_impl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/error.h"

int tt_store_open(const char *url, int pool_size, int migrate, struct tt_store **out, char *err,
                  size_t err_size)
{
    if (!url || !*url) {
        snprintf(err, err_size, "empty database URL");
        return -TT_E_BAD_PARAM;
    }
    if (pool_size < 1)
        pool_size = 1;
    int rc;
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        rc = tt__store_postgres_open(url, pool_size, migrate, out, err, err_size);
    else if (strncmp(url, "sqlite:", 7) == 0 || !strstr(url, "://"))
        rc = tt__store_sqlite_open(url + (strncmp(url, "sqlite:", 7) == 0 ? 7 : 0), pool_size,
                                   migrate, out, err, err_size);
    else {
        snprintf(err, err_size, "unsupported database URL scheme (use sqlite:PATH or postgres://)");
        return -TT_E_BAD_PARAM;
    }
    if (rc != 0)
        return rc;
    if (!((*out)->group = tt__txn_group_new(*out, pool_size))) {
        (*out)->close(*out);
        *out = NULL;
        snprintf(err, err_size, "out of memory");
        return -TT_E_NOMEM;
    }
    return 0;
}

void tt_store_close(struct tt_store *s)
{
    if (!s)
        return;
    tt__txn_group_free(s->group);
    s->close(s);
}

int tt_store_migrate(struct tt_store *s, char *err, size_t err_size)
{
    return s->migrate(s, err, err_size);
}

struct tt_store_conn *tt_store_acquire(struct tt_store *s)
{
    return s->acquire(s);
}

void tt_store_release(struct tt_store_conn *c)
{
    if (c)
        c->store->release(c);
}

const struct tt_store_ops *tt_store_ops_of(struct tt_store_conn *c)
{
    return c->store->ops;
}

const char *tt_store_backend(const struct tt_store *s)
{
    return s->backend;
}

const char *tt_store_local_path(const struct tt_store *s)
{
    return s->local_path;
}

enum tt_qs tt_store_txn(struct tt_store_conn *c, tt_txn_fn fn, void *cls)
{
    const struct tt_store_ops *ops = c->store->ops;
    enum tt_qs qs = TT_QS_SOFT;
    for (int attempt = 0; attempt < 6; attempt++) {
        if (attempt > 0) {
            /* back off 1, 2, 4, 8, 16 ms: a busy writer or a serialization failure clears */
            struct timespec ts = {0, (long)(1000000L << (attempt - 1))};
            nanosleep(&ts, NULL);
        }
        qs = ops->begin(c);
        if (qs == TT_QS_SOFT)
            continue;
        if (qs < 0)
            return qs;
        qs = fn(c, cls);
        if (qs < 0) {
            ops->rollback(c);
            if (qs == TT_QS_SOFT)
                continue;
            return qs;
        }
        enum tt_qs cq = ops->commit(c);
        if (cq >= 0)
            return qs;
        ops->rollback(c);
        if (cq == TT_QS_HARD)
            return cq;
        qs = cq;
    }
    return qs;
}

enum tt_qs tt_store_txn_pipelined(struct tt_store_conn *c, tt_txn_fn fn, void *cls)
{
    struct tt_store *s = c->store;
    if (!s->speculate)
        return tt_store_txn(c, fn, cls);
    s->speculate(c, 1);
    enum tt_qs qs = tt_store_txn(c, fn, cls);
    s->speculate(c, 0);
    /* HARD may be an assumption found false: the run without pipelining tells */
    return qs == TT_QS_HARD ? tt_store_txn(c, fn, cls) : qs;
}
