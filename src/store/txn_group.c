/* SPDX-License-Identifier: Apache-2.0 */
/* txn_group.c — group commit of whole transactions (store.h, tt_store_txn_grouped and
 * tt_store_txn_grouped_async). Callers queue their transaction function; one committer thread
 * per store (started on first use) takes everything queued (up to GROUP_MAX), runs the
 * functions one after the other in one transaction on one connection and commits once — one
 * fsync for the lot — then tells each caller: a waiting caller is woken, an asynchronous one's
 * callback is called. Whatever arrives meanwhile is the next batch, so a lone function commits
 * at once (no timer). A hard failure of one function re-runs the batch's functions each in a
 * transaction of its own, so that one fails alone and nothing of it is written.
 *
 * Durability: a shared transaction whose functions were all queued "relaxed"
 * (tt_store_txn_grouped_async_os) commits with the backend's OS-level durability (store_impl.h
 * relax: written to the OS before the callbacks, not yet synced); one ordinary function makes
 * the whole COMMIT wait for the disk. Where the backend leaves that sync to us (store_impl.h
 * flush: SQLite), a flusher thread puts the relaxed COMMITs on disk within flush_ms of the
 * first one not yet synced, and once more when the store closes. The committer keeps its
 * relaxed connection for the next relaxed batch (until HOLD_US without work, or a batch that
 * must wait for the disk): switching the durability is a statement the backend parses (SQLite
 * PRAGMA synchronous), once per run of relaxed batches instead of twice per batch. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "../core/mono.h"
#include "store_impl.h"

#define GROUP_MAX 64 /* functions per shared transaction */
#define FLUSH_MS_DEFAULT 10
#define HOLD_US 2000 /* an idle committer keeps its relaxed connection this long */

struct group_item {
    tt_txn_fn fn;
    void *cls;
    enum tt_qs qs;
    tt_txn_done_fn done; /* asynchronous: called once committed (the item is ours to free) */
    void *done_cls;
    int finished; /* waiting caller: set under the lock once committed */
    int relaxed;  /* its COMMIT need not wait for the disk */
    struct group_item *next;
};

struct tt__txn_group {
    struct tt_store *store;
    pthread_mutex_t mu;
    pthread_cond_t work;     /* something queued, or stop */
    pthread_cond_t finished; /* a batch ended: waiting callers look at their item */
    struct group_item *head, *tail;
    pthread_t thread;
    int started, stopping;
    int hold; /* the committer may keep its relaxed connection between batches */
    /* the flusher (started with the committer when the backend has flush) */
    pthread_cond_t dirty; /* a relaxed COMMIT not yet on disk, or closing */
    pthread_t flush_thread;
    int flush_started, closing;
    int unsynced;                          /* relaxed COMMITs since the last flush began */
    struct timespec due;                   /* CLOCK_MONOTONIC: when they must be on disk */
    unsigned flush_ms;                     /* the bound (tt_store_group_set_flush_ms) */
    atomic_ulong batches, items;           /* committed so far (tt_store_group_counts) */
    atomic_ulong relaxed, strict, flushes; /* tt_store_group_sync_counts */
};

struct tt__txn_group *tt__txn_group_new(struct tt_store *s, int pool_size)
{
    struct tt__txn_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->store = s;
    g->hold = pool_size > 1; /* the only connection goes back to the pool after each batch */
    if (pthread_mutex_init(&g->mu, NULL) != 0)
        goto fail_mu;
    pthread_condattr_t ca; /* timed waits on CLOCK_MONOTONIC (work: HOLD_US; dirty: flush_ms) */
    if (pthread_condattr_init(&ca) != 0)
        goto fail_work;
    int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    rc = rc ? rc : pthread_cond_init(&g->work, &ca);
    if (rc != 0) {
        pthread_condattr_destroy(&ca);
        goto fail_work;
    }
    if (pthread_cond_init(&g->finished, NULL) != 0) {
        pthread_condattr_destroy(&ca);
        goto fail_finished;
    }
    rc = pthread_cond_init(&g->dirty, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        goto fail_dirty;
    g->flush_ms = FLUSH_MS_DEFAULT;
    return g;
fail_dirty:
    pthread_cond_destroy(&g->finished);
fail_finished:
    pthread_cond_destroy(&g->work);
fail_work:
    pthread_mutex_destroy(&g->mu);
fail_mu:
    free(g);
    return NULL;
}

void tt__txn_group_free(struct tt__txn_group *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stopping = 1; /* what is queued is still committed */
    pthread_cond_signal(&g->work);
    pthread_mutex_unlock(&g->mu);
    if (g->started)
        pthread_join(g->thread, NULL);
    /* everything is committed: the flusher syncs what is relaxed, at once, and ends */
    pthread_mutex_lock(&g->mu);
    g->closing = 1;
    pthread_cond_signal(&g->dirty);
    pthread_mutex_unlock(&g->mu);
    if (g->flush_started)
        pthread_join(g->flush_thread, NULL);
    pthread_cond_destroy(&g->dirty);
    pthread_cond_destroy(&g->finished);
    pthread_cond_destroy(&g->work);
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

/* The committer's connection kept between relaxed batches (NULL: none), still relaxed. */
static void put_back(struct tt_store *s, struct tt_store_conn **held)
{
    if (!*held)
        return;
    s->relax(*held, 0); /* as every other user of the pool expects it */
    tt_store_release(*held);
    *held = NULL;
}

/* The batch in one transaction, its writes pipelined where the backend can (a write assumed
 * to succeed is checked before COMMIT; a false assumption fails the run, nothing is written).
 * On a hard failure, each function again, alone and without speculation, so only the one that
 * fails fails. A relaxed batch runs on the held connection (or a new one, relaxed) and leaves
 * it in *held; another batch gives the held one back first. */
static void run_batch(struct tt_store *s, struct tt_store_conn **held, struct group_item **items,
                      size_t n, int relaxed)
{
    if (!relaxed)
        put_back(s, held);
    struct tt_store_conn *c = *held ? *held : tt_store_acquire(s);
    struct batch b = {items, n};
    if (relaxed && !*held)
        s->relax(c, 1);
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
    if (relaxed && s->group->hold) {
        *held = c;
        return;
    }
    if (relaxed)
        s->relax(c, 0);
    tt_store_release(c);
}

/* Waits (g->mu held) for work or stop; a held connection is given back after HOLD_US idle. */
static void wait_work(struct tt__txn_group *g, struct tt_store_conn **held)
{
    while (!g->head && !g->stopping) {
        if (!*held) {
            pthread_cond_wait(&g->work, &g->mu);
            continue;
        }
        struct timespec until = tt_mono_after_us(HOLD_US);
        int rc = 0;
        while (!g->head && !g->stopping && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&g->work, &g->mu, &until);
        if (!g->head) {
            pthread_mutex_unlock(&g->mu);
            put_back(g->store, held);
            pthread_mutex_lock(&g->mu);
        }
    }
}

/* Whether the batch may commit relaxed: every function asked for it and the backend can. */
static int all_relaxed(const struct tt__txn_group *g, struct group_item **items, size_t n)
{
    if (!g->store->relax || (g->store->flush && !g->flush_started))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!items[i]->relaxed)
            return 0;
    return 1;
}

/* A relaxed COMMIT returned (g->mu held): the flusher must sync it within flush_ms. */
static void mark_unsynced(struct tt__txn_group *g)
{
    if (!g->flush_started || g->unsynced)
        return;
    g->unsynced = 1;
    g->due = tt_mono_after_us((long long)g->flush_ms * 1000);
    pthread_cond_signal(&g->dirty);
}

/* Syncs the relaxed COMMITs flush_ms after the first one not yet synced, on a connection of
 * its own, while the committer goes on; at close, at once. A COMMIT returned before a flush
 * begins is on disk when it ends; one after sets unsynced again. */
static void *flusher(void *arg)
{
    struct tt__txn_group *g = arg;
    pthread_mutex_lock(&g->mu);
    for (;;) {
        while (!g->unsynced && !g->closing)
            pthread_cond_wait(&g->dirty, &g->mu);
        if (!g->unsynced)
            break;
        while (!g->closing && pthread_cond_timedwait(&g->dirty, &g->mu, &g->due) == 0)
            ; /* woken early: wait out the bound unless closing */
        g->unsynced = 0;
        pthread_mutex_unlock(&g->mu);
        struct tt_store_conn *c = tt_store_acquire(g->store);
        int rc = g->store->flush(c);
        tt_store_release(c);
        pthread_mutex_lock(&g->mu);
        if (rc == 0)
            atomic_fetch_add(&g->flushes, 1);
        else if (!g->closing)
            mark_unsynced(g); /* not on disk: tried again after another bound */
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

static void *committer(void *arg)
{
    struct tt__txn_group *g = arg;
    struct group_item *items[GROUP_MAX];
    struct tt_store_conn *held = NULL; /* relaxed, between relaxed batches */
    pthread_mutex_lock(&g->mu);
    for (;;) {
        wait_work(g, &held);
        if (!g->head)
            break;
        size_t n = 0;
        while (g->head && n < GROUP_MAX) {
            items[n++] = g->head;
            g->head = g->head->next;
        }
        if (!g->head)
            g->tail = NULL;
        pthread_mutex_unlock(&g->mu);
        atomic_fetch_add(&g->batches, 1);
        atomic_fetch_add(&g->items, n);
        int relaxed = all_relaxed(g, items, n);
        atomic_fetch_add(relaxed ? &g->relaxed : &g->strict, 1);
        run_batch(g->store, &held, items, n, relaxed);
        if (relaxed) {
            pthread_mutex_lock(&g->mu);
            mark_unsynced(g);
            pthread_mutex_unlock(&g->mu);
        }
        /* only after the COMMIT returned: callbacks first (they may free their item), then the
         * waiting callers */
        for (size_t i = 0; i < n; i++) {
            if (items[i]->done) {
                items[i]->done(items[i]->done_cls, items[i]->qs);
                free(items[i]);
                items[i] = NULL;
            }
        }
        pthread_mutex_lock(&g->mu);
        for (size_t i = 0; i < n; i++)
            if (items[i])
                items[i]->finished = 1;
        pthread_cond_broadcast(&g->finished);
    }
    pthread_mutex_unlock(&g->mu);
    put_back(g->store, &held);
    return NULL;
}

/* Queues it (g->mu held); 0, or -1 when no committer runs or can be started. */
static int enqueue(struct tt__txn_group *g, struct group_item *it)
{
    if (g->stopping)
        return -1;
    if (!g->started) {
        if (pthread_create(&g->thread, NULL, committer, g) != 0)
            return -1;
        pthread_setname_np(g->thread, "tt-group-commit"); /* not the starting thread's name */
        g->started = 1;
        /* without a flusher, relaxed functions commit like the others (all_relaxed) */
        if (g->store->relax && g->store->flush &&
            pthread_create(&g->flush_thread, NULL, flusher, g) == 0) {
            pthread_setname_np(g->flush_thread, "tt-group-flush");
            g->flush_started = 1;
        }
    }
    it->next = NULL;
    if (g->tail)
        g->tail->next = it;
    else
        g->head = it;
    g->tail = it;
    pthread_cond_signal(&g->work);
    return 0;
}

static enum tt_qs run_alone(struct tt_store *s, tt_txn_fn fn, void *cls)
{
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = tt_store_txn(c, fn, cls);
    tt_store_release(c);
    return qs;
}

enum tt_qs tt_store_txn_grouped(struct tt_store *s, tt_txn_fn fn, void *cls)
{
    struct tt__txn_group *g = s->group;
    if (!g) /* a store opened without a group (never by tt_store_open) */
        return run_alone(s, fn, cls);
    struct group_item me = {.fn = fn, .cls = cls, .qs = TT_QS_HARD};
    pthread_mutex_lock(&g->mu);
    if (enqueue(g, &me) != 0) {
        pthread_mutex_unlock(&g->mu);
        return run_alone(s, fn, cls);
    }
    while (!me.finished)
        pthread_cond_wait(&g->finished, &g->mu);
    pthread_mutex_unlock(&g->mu);
    return me.qs;
}

static int grouped_async(struct tt_store *s, tt_txn_fn fn, void *cls, int relaxed,
                         tt_txn_done_fn done, void *done_cls)
{
    struct tt__txn_group *g = s->group;
    struct group_item *it = g && done ? calloc(1, sizeof *it) : NULL;
    if (!it)
        return -1;
    *it = (struct group_item){.fn = fn,
                              .cls = cls,
                              .qs = TT_QS_HARD,
                              .done = done,
                              .done_cls = done_cls,
                              .relaxed = relaxed};
    pthread_mutex_lock(&g->mu);
    int rc = enqueue(g, it);
    pthread_mutex_unlock(&g->mu);
    if (rc != 0)
        free(it);
    return rc;
}

int tt_store_txn_grouped_async(struct tt_store *s, tt_txn_fn fn, void *cls, tt_txn_done_fn done,
                               void *done_cls)
{
    return grouped_async(s, fn, cls, 0, done, done_cls);
}

int tt_store_txn_grouped_async_os(struct tt_store *s, tt_txn_fn fn, void *cls, tt_txn_done_fn done,
                                  void *done_cls)
{
    return grouped_async(s, fn, cls, 1, done, done_cls);
}

static enum tt_qs nothing(struct tt_store_conn *c, void *cls)
{
    (void)c;
    (void)cls;
    return TT_QS_ONE;
}

void tt_store_group_drain(struct tt_store *s)
{
    if (s->group) /* FIFO: once this empty function is through, so is all queued before it */
        tt_store_txn_grouped(s, nothing, NULL);
}

void tt_store_group_counts(struct tt_store *s, unsigned long *batches, unsigned long *items)
{
    *batches = s->group ? atomic_load(&s->group->batches) : 0;
    *items = s->group ? atomic_load(&s->group->items) : 0;
}

void tt_store_group_sync_counts(struct tt_store *s, unsigned long *relaxed, unsigned long *strict,
                                unsigned long *flushes)
{
    *relaxed = s->group ? atomic_load(&s->group->relaxed) : 0;
    *strict = s->group ? atomic_load(&s->group->strict) : 0;
    *flushes = s->group ? atomic_load(&s->group->flushes) : 0;
}

void tt_store_group_set_flush_ms(struct tt_store *s, unsigned ms)
{
    if (!s->group)
        return;
    pthread_mutex_lock(&s->group->mu);
    s->group->flush_ms = ms;
    pthread_mutex_unlock(&s->group->mu);
}
