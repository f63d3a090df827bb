/* SPDX-License-Identifier: Apache-2.0 */
/* txn_group.c — group commit of whole transactions (store.h, tt_store_txn_grouped). Callers
 * queue their transaction function and wait; one of them at a time becomes the leader, takes
 * everything queued (up to GROUP_MAX), runs the functions one after the other in one transaction
 * on one connection and commits once — one fsync for the lot — then wakes the others. Whatever
 * arrives meanwhile is the next batch, so a lone caller commits at once (no timer). A hard
 * failure of one function re-runs the batch's functions each in a transaction of its own, so
 * that one fails alone and nothing of it is written. */
#include <pthread.h>
#include <stdlib.h>

#include "store_impl.h"

#define GROUP_MAX 64 /* functions per shared transaction */

struct group_item {
    tt_txn_fn fn;
    void *cls;
    enum tt_qs qs;
    int done;
    struct group_item *next;
};

struct tt__txn_group {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct group_item *head, *tail; /* waiting, in arrival order */
    int leading;                    /* a leader is running a batch */
};

struct tt__txn_group *tt__txn_group_new(void)
{
    struct tt__txn_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (pthread_mutex_init(&g->mu, NULL) != 0) {
        free(g);
        return NULL;
    }
    if (pthread_cond_init(&g->cv, NULL) != 0) {
        pthread_mutex_destroy(&g->mu);
        free(g);
        return NULL;
    }
    return g;
}

void tt__txn_group_free(struct tt__txn_group *g)
{
    if (!g)
        return;
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

struct batch {
    struct group_item **items;
    size_t n;
};

/* Every function of the batch in the one transaction; the first failure ends it. */
static enum tt_qs batch_txn(struct tt_store_conn *c, void *cls)
{
    struct batch *b = cls;
    for (size_t i = 0; i < b->n; i++) {
        enum tt_qs qs = b->items[i]->fn(c, b->items[i]->cls);
        b->items[i]->qs = qs;
        if (qs < 0)
            return qs;
    }
    return TT_QS_ONE;
}

/* The batch in one transaction, its writes pipelined where the backend can (a write assumed
 * to succeed is checked before COMMIT; a false assumption fails the run, nothing is written).
 * On a hard failure, each function again, alone and without speculation, so only the one that
 * fails fails. */
static void run_batch(struct tt_store *s, struct group_item **items, size_t n)
{
    struct tt_store_conn *c = tt_store_acquire(s);
    struct batch b = {items, n};
    if (s->speculate)
        s->speculate(c, 1);
    enum tt_qs qs = tt_store_txn(c, batch_txn, &b);
    if (s->speculate)
        s->speculate(c, 0);
    if (qs == TT_QS_SOFT) {
        for (size_t i = 0; i < n; i++)
            items[i]->qs = TT_QS_SOFT; /* retried and still failing: none was written */
    } else if (qs == TT_QS_HARD && (n > 1 || s->speculate)) {
        for (size_t i = 0; i < n; i++)
            items[i]->qs = tt_store_txn(c, items[i]->fn, items[i]->cls);
    }
    tt_store_release(c);
}

enum tt_qs tt_store_txn_grouped(struct tt_store *s, tt_txn_fn fn, void *cls)
{
    struct tt__txn_group *g = s->group;
    if (!g) { /* a store opened without a group (never by tt_store_open) */
        struct tt_store_conn *c = tt_store_acquire(s);
        enum tt_qs qs = tt_store_txn(c, fn, cls);
        tt_store_release(c);
        return qs;
    }
    struct group_item me = {fn, cls, TT_QS_HARD, 0, NULL};
    pthread_mutex_lock(&g->mu);
    if (g->tail)
        g->tail->next = &me;
    else
        g->head = &me;
    g->tail = &me;
    while (!me.done) {
        if (g->leading) {
            pthread_cond_wait(&g->cv, &g->mu);
            continue;
        }
        /* lead: take what is queued (ours among it unless more than GROUP_MAX wait before) */
        g->leading = 1;
        struct group_item *items[GROUP_MAX];
        size_t n = 0;
        while (g->head && n < GROUP_MAX) {
            items[n++] = g->head;
            g->head = g->head->next;
        }
        if (!g->head)
            g->tail = NULL;
        pthread_mutex_unlock(&g->mu);
        run_batch(s, items, n);
        pthread_mutex_lock(&g->mu);
        for (size_t i = 0; i < n; i++)
            items[i]->done = 1; /* only after the COMMIT returned */
        g->leading = 0;
        pthread_cond_broadcast(&g->cv);
    }
    pthread_mutex_unlock(&g->mu);
    return me.qs;
}
