/* SPDX-License-Identifier: Apache-2.0 */
/* audit_commit.c — the audit group commit (audit_commit.h). Submitters push events on a
 * lock-free stack; the store's writer thread takes the whole stack, appends up to
 * TT_AUDIT_BATCH_MAX events in one transaction (each chained by tt_audit_emit) and calls each
 * event's done only after the COMMIT returned; what arrives meanwhile is the next batch (no
 * timer: a lone event commits at once). A batch that fails hard is run again event by event,
 * so one bad event fails alone. */
#include "audit_commit.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "audit.h"

#define MAX_COMMITTERS 8

struct committer {
    struct tt_store *store;
    _Atomic(struct tt_audit_pending *) inbox; /* newest first */
    sem_t work;                   /* posted when a push finds the inbox empty, and by stop */
    atomic_int stop;              /* no new event is taken */
    atomic_int pushing;           /* submitters between their stop check and their push */
    atomic_ulong batches, events; /* written so far (tt_audit_committer_counts) */
    pthread_t thread;
};

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(struct committer *) registry[MAX_COMMITTERS];

static void copy(char *dst, size_t size, const char *s)
{
    size_t n = s ? strnlen(s, size - 1) : 0;
    memcpy(dst, s ? s : "", n);
    dst[n] = '\0';
}

void tt_audit_pending_set(struct tt_audit_pending *ev, const char *tenant_id, tt_time at,
                          const char *actor, const char *action, const char *target, json_t *detail)
{
    copy(ev->tenant_id, sizeof ev->tenant_id, tenant_id);
    copy(ev->actor, sizeof ev->actor, actor);
    copy(ev->action, sizeof ev->action, action);
    copy(ev->target, sizeof ev->target, target);
    ev->at = at;
    ev->detail = json_incref(detail);
}

/* ---- one batch in one transaction ---- */

struct batch {
    struct tt_audit_pending **ev;
    size_t n;
};

static enum tt_qs batch_txn(struct tt_store_conn *c, void *cls)
{
    const struct batch *b = cls;
    for (size_t i = 0; i < b->n; i++) {
        const struct tt_audit_pending *e = b->ev[i];
        enum tt_qs qs =
            tt_audit_emit(c, e->tenant_id, e->at, e->actor, e->action, e->target, e->detail);
        if (qs < 0)
            return qs;
    }
    return TT_QS_ONE;
}

static enum tt_qs run_batch(struct tt_store *store, struct tt_audit_pending **ev, size_t n)
{
    struct tt_store_conn *c = tt_store_acquire(store);
    if (!c)
        return TT_QS_SOFT;
    struct batch b = {ev, n};
    enum tt_qs qs = tt_store_txn(c, batch_txn, &b);
    tt_store_release(c);
    return qs;
}

static void write_batch(struct committer *cm, struct tt_audit_pending **ev, size_t n)
{
    struct tt_store *store = cm->store;
    atomic_fetch_add(&cm->batches, 1);
    atomic_fetch_add(&cm->events, n);
    enum tt_qs qs = run_batch(store, ev, n);
    if (qs >= 0 || qs == TT_QS_SOFT || n == 1) {
        for (size_t i = 0; i < n; i++)
            ev[i]->qs = qs;
        return;
    }
    for (size_t i = 0; i < n; i++) /* a hard failure: find the event that caused it */
        ev[i]->qs = run_batch(store, &ev[i], 1);
}

static void finish(struct tt_audit_pending **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int qs = ev[i]->qs;
        json_decref(ev[i]->detail);
        ev[i]->detail = NULL;
        /* ev[i] may be freed by done */
        ev[i]->done(ev[i], qs >= 0 ? 0 : qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE);
    }
}

/* Takes the whole inbox, in arrival order. */
static struct tt_audit_pending *take_all(struct committer *cm)
{
    struct tt_audit_pending *e = atomic_exchange(&cm->inbox, NULL), *fifo = NULL;
    while (e) {
        struct tt_audit_pending *next = e->next;
        e->next = fifo;
        fifo = e;
        e = next;
    }
    return fifo;
}

static void *writer(void *arg)
{
    struct committer *cm = arg;
    struct tt_audit_pending *batch[TT_AUDIT_BATCH_MAX];
    for (;;) {
        struct tt_audit_pending *e = take_all(cm);
        if (!e) {
            if (atomic_load(&cm->stop)) {
                /* a submitter that saw stop unset is about to push: take its event too */
                if (atomic_load(&cm->pushing) == 0 && !atomic_load(&cm->inbox))
                    break;
                sched_yield();
                continue;
            }
            while (sem_wait(&cm->work) != 0 && errno == EINTR)
                ;
            continue;
        }
        while (e) {
            size_t n = 0;
            for (; e && n < TT_AUDIT_BATCH_MAX; e = e->next)
                batch[n++] = e;
            write_batch(cm, batch, n);
            finish(batch, n); /* only after the batch's COMMIT returned */
        }
    }
    return NULL;
}

/* The store's committer, started on first use; NULL when none can be started. */
static struct committer *committer_of(struct tt_store *store)
{
    for (int i = 0; i < MAX_COMMITTERS; i++) {
        struct committer *cm = atomic_load(&registry[i]);
        if (cm && cm->store == store)
            return cm;
    }
    pthread_mutex_lock(&registry_mu);
    struct committer *cm = NULL;
    int free_slot = -1;
    for (int i = 0; i < MAX_COMMITTERS && !cm; i++) {
        struct committer *x = atomic_load(&registry[i]);
        if (x && x->store == store)
            cm = x;
        else if (!x && free_slot < 0)
            free_slot = i;
    }
    if (!cm && free_slot >= 0 && (cm = calloc(1, sizeof *cm)) != NULL) {
        cm->store = store;
        if (sem_init(&cm->work, 0, 0) != 0) {
            free(cm);
            cm = NULL;
        } else if (pthread_create(&cm->thread, NULL, writer, cm) != 0) {
            sem_destroy(&cm->work);
            free(cm);
            cm = NULL;
        } else {
            pthread_setname_np(cm->thread, "tt-audit-commit"); /* for perf and top */
            atomic_store(&registry[free_slot], cm);
        }
    }
    pthread_mutex_unlock(&registry_mu);
    return cm;
}

int tt_audit_submit(struct tt_store *store, struct tt_audit_pending *ev)
{
    struct committer *cm = committer_of(store);
    if (!cm)
        return -TT_E_UNAVAILABLE;
    atomic_fetch_add(&cm->pushing, 1);
    if (atomic_load(&cm->stop)) {
        atomic_fetch_sub(&cm->pushing, 1);
        return -TT_E_UNAVAILABLE;
    }
    struct tt_audit_pending *old = atomic_load(&cm->inbox);
    do
        ev->next = old;
    while (!atomic_compare_exchange_weak(&cm->inbox, &old, ev));
    atomic_fetch_sub(&cm->pushing, 1);
    if (!old)
        sem_post(&cm->work); /* the writer may be asleep on an empty inbox */
    return 0;
}

struct waiter {
    sem_t sem;
    int rc;
};

static void wake(struct tt_audit_pending *ev, int rc)
{
    struct waiter *w = ev->cls;
    w->rc = rc;
    sem_post(&w->sem);
}

int tt_audit_submit_wait(struct tt_store *store, struct tt_audit_pending *ev)
{
    struct waiter w = {.rc = 0};
    if (sem_init(&w.sem, 0, 0) != 0)
        return -TT_E_UNAVAILABLE;
    ev->done = wake;
    ev->cls = &w;
    int rc = tt_audit_submit(store, ev);
    if (rc == 0) {
        while (sem_wait(&w.sem) != 0 && errno == EINTR)
            ;
        rc = w.rc;
    } else {
        json_decref(ev->detail);
        ev->detail = NULL;
    }
    sem_destroy(&w.sem);
    return rc;
}

void tt_audit_committer_counts(struct tt_store *store, unsigned long *batches,
                               unsigned long *events)
{
    *batches = *events = 0;
    for (int i = 0; i < MAX_COMMITTERS; i++) {
        struct committer *cm = atomic_load(&registry[i]);
        if (cm && cm->store == store) {
            *batches = atomic_load(&cm->batches);
            *events = atomic_load(&cm->events);
        }
    }
}

void tt_audit_committer_stop(struct tt_store *store)
{
    struct committer *cm = NULL;
    pthread_mutex_lock(&registry_mu);
    for (int i = 0; i < MAX_COMMITTERS; i++) {
        struct committer *x = atomic_load(&registry[i]);
        if (x && x->store == store) {
            cm = x;
            atomic_store(&registry[i], NULL);
        }
    }
    pthread_mutex_unlock(&registry_mu);
    if (!cm)
        return;
    atomic_store(&cm->stop, 1);
    sem_post(&cm->work);
    pthread_join(cm->thread, NULL);
    sem_destroy(&cm->work);
    free(cm);
}
