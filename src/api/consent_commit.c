/* SPDX-License-Identifier: Apache-2.0 */
/* consent_commit.c — group commit of consent writes (consent_int.h): one queue and one writer
 * thread per store. The writer wakes on the first queued write, gathers up to
 * TT_CONSENT_BATCH_MAX of them (or what came within 2 ms), writes them in one transaction (one
 * fsync) and only then wakes their callers: no request is answered before its event is durable.
 * A failed batch is retried write by write so one bad write fails alone. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/error.h"
#include "audit.h"
#include "consent_int.h"

#define GATHER_NS 2000000L /* 2 ms */
#define MAX_COMMITTERS 8
#define TENANT_CACHE 8

struct committer {
    struct tt_store *store;
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* a write was queued, or stop */
    pthread_cond_t done_cv; /* a batch ended */
    struct tt_consent_write *head, *tail;
    size_t queued;
    int stop;
    pthread_t thread;
};

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct committer *registry[MAX_COMMITTERS];

/* ---- one batch in one transaction ---- */

struct tail {
    const char *tenant_id;
    int64_t seq;
    uint8_t hash[TT_LEDGER_HASH_BYTES];
    int known; /* the chain has events (hash valid) */
    int64_t first_seq, count;
};

struct batch {
    struct tt_consent_write **w;
    size_t n;
    tt_time now;
};

static enum tt_qs tail_of(struct tt_store_conn *c, struct tail *tails, size_t *n_tails,
                          const char *tenant_id, struct tail **out)
{
    for (size_t i = 0; i < *n_tails; i++)
        if (strcmp(tails[i].tenant_id, tenant_id) == 0) {
            *out = &tails[i];
            return TT_QS_ONE;
        }
    if (*n_tails == TENANT_CACHE)
        return TT_QS_NONE; /* the caller splits the batch */
    struct tt_consent_head h;
    /* head() locks the chain's tail until the transaction ends (consent_store.h) */
    enum tt_qs qs = tt_store_ops_of(c)->consent->head(c, tenant_id, &h);
    if (qs < 0)
        return qs;
    struct tail *t = &tails[(*n_tails)++];
    memset(t, 0, sizeof *t);
    t->tenant_id = tenant_id;
    if (qs == TT_QS_ONE) {
        t->seq = h.seq;
        memcpy(t->hash, h.hash, sizeof t->hash);
        t->known = h.seq > 0;
    }
    *out = t;
    return TT_QS_ONE;
}

static enum tt_qs batch_txn(struct tt_store_conn *c, void *cls)
{
    struct batch *b = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tail tails[TENANT_CACHE];
    size_t n_tails = 0;
    for (size_t i = 0; i < b->n; i++) {
        struct tt_consent_write *w = b->w[i];
        struct tail *t = NULL;
        enum tt_qs qs = tail_of(c, tails, &n_tails, w->ev.tenant_id, &t);
        if (qs <= 0)
            return qs == TT_QS_NONE ? TT_QS_HARD : qs;
        if (tt_consent_link(t->seq, t->known ? t->hash : NULL, &w->ev) < 0)
            return TT_QS_HARD;
        qs = ops->consent->append(c, &w->ev);
        if (qs < 0)
            return qs;
        if (qs == TT_QS_NONE) /* the chain moved under us: run again on the new tail */
            return TT_QS_SOFT;
        if (t->count++ == 0)
            t->first_seq = w->ev.seq;
        t->seq = w->ev.seq;
        memcpy(t->hash, w->ev.hash, sizeof t->hash);
        t->known = 1;
        if (w->has_state) {
            qs = ops->purpose_state_put(c, &w->ps);
            if (qs <= 0)
                return qs == TT_QS_NONE ? TT_QS_HARD : qs;
        }
    }
    /* S6.3: one audit event per tenant and batch names the ledger span it wrote; the consent
     * chain itself holds each event */
    for (size_t i = 0; i < n_tails; i++) {
        json_t *d = json_pack("{s:I, s:I, s:I}", "events", (json_int_t)tails[i].count, "first_seq",
                              (json_int_t)tails[i].first_seq, "last_seq", (json_int_t)tails[i].seq);
        if (!d)
            return TT_QS_HARD;
        const char *actor = "system";
        for (size_t k = 0; k < b->n; k++)
            if (strcmp(b->w[k]->ev.tenant_id, tails[i].tenant_id) == 0 && b->w[k]->actor) {
                actor = b->w[k]->actor;
                break;
            }
        enum tt_qs qs =
            tt_audit_emit(c, tails[i].tenant_id, b->now, actor, "consent.record", "ledger", d);
        json_decref(d);
        if (qs < 0)
            return qs;
    }
    return TT_QS_ONE;
}

static enum tt_qs run_batch(struct tt_store *store, struct tt_consent_write **w, size_t n)
{
    struct tt_store_conn *c = tt_store_acquire(store);
    struct batch b = {w, n, 0};
    for (size_t i = 0; i < n; i++)
        if (w[i]->ev.at > b.now)
            b.now = w[i]->ev.at;
    enum tt_qs qs = tt_store_txn(c, batch_txn, &b);
    tt_store_release(c);
    return qs;
}

static void write_batch(struct tt_store *store, struct tt_consent_write **w, size_t n)
{
    enum tt_qs qs = run_batch(store, w, n);
    if (qs >= 0 || qs == TT_QS_SOFT || n == 1) {
        for (size_t i = 0; i < n; i++)
            w[i]->qs = qs >= 0 ? TT_QS_ONE : qs;
        return;
    }
    /* a hard failure: find the write that caused it, each alone */
    for (size_t i = 0; i < n; i++) {
        enum tt_qs one = run_batch(store, &w[i], 1);
        w[i]->qs = one >= 0 ? TT_QS_ONE : one;
    }
}

static void *writer(void *arg)
{
    struct committer *cm = arg;
    struct tt_consent_write *batch[TT_CONSENT_BATCH_MAX];
    pthread_mutex_lock(&cm->mu);
    for (;;) {
        while (!cm->queued && !cm->stop)
            pthread_cond_wait(&cm->work_cv, &cm->mu);
        if (!cm->queued && cm->stop)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += GATHER_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (cm->queued < TT_CONSENT_BATCH_MAX && !cm->stop)
            if (pthread_cond_timedwait(&cm->work_cv, &cm->mu, &until) == ETIMEDOUT)
                break;
        size_t n = 0;
        while (cm->head && n < TT_CONSENT_BATCH_MAX) {
            batch[n++] = cm->head;
            cm->head = cm->head->next;
        }
        if (!cm->head)
            cm->tail = NULL;
        cm->queued -= n;
        pthread_mutex_unlock(&cm->mu);
        write_batch(cm->store, batch, n);
        pthread_mutex_lock(&cm->mu);
        for (size_t i = 0; i < n; i++)
            batch[i]->done = 1;
        pthread_cond_broadcast(&cm->done_cv);
    }
    pthread_mutex_unlock(&cm->mu);
    return NULL;
}

/* The store's committer, started on first use; NULL when none can be started. */
static struct committer *committer_of(struct tt_store *store)
{
    pthread_mutex_lock(&registry_mu);
    struct committer *cm = NULL;
    int free_slot = -1;
    for (int i = 0; i < MAX_COMMITTERS; i++) {
        if (registry[i] && registry[i]->store == store) {
            cm = registry[i];
            break;
        }
        if (!registry[i] && free_slot < 0)
            free_slot = i;
    }
    if (!cm && free_slot >= 0 && (cm = calloc(1, sizeof *cm)) != NULL) {
        cm->store = store;
        pthread_mutex_init(&cm->mu, NULL);
        pthread_cond_init(&cm->work_cv, NULL);
        pthread_cond_init(&cm->done_cv, NULL);
        if (pthread_create(&cm->thread, NULL, writer, cm) != 0) {
            pthread_mutex_destroy(&cm->mu);
            pthread_cond_destroy(&cm->work_cv);
            pthread_cond_destroy(&cm->done_cv);
            free(cm);
            cm = NULL;
        } else {
            registry[free_slot] = cm;
        }
    }
    pthread_mutex_unlock(&registry_mu);
    return cm;
}

int tt_consent_submit(struct tt_store *store, struct tt_consent_write **w, size_t n)
{
    if (n == 0)
        return 0;
    struct committer *cm = committer_of(store);
    if (!cm)
        return -TT_E_UNAVAILABLE;
    pthread_mutex_lock(&cm->mu);
    if (cm->stop) {
        pthread_mutex_unlock(&cm->mu);
        return -TT_E_UNAVAILABLE;
    }
    for (size_t i = 0; i < n; i++) {
        w[i]->done = 0;
        w[i]->qs = TT_QS_HARD;
        w[i]->next = NULL;
        if (cm->tail)
            cm->tail->next = w[i];
        else
            cm->head = w[i];
        cm->tail = w[i];
        cm->queued++;
    }
    pthread_cond_signal(&cm->work_cv);
    for (size_t i = 0; i < n; i++)
        while (!w[i]->done)
            pthread_cond_wait(&cm->done_cv, &cm->mu);
    pthread_mutex_unlock(&cm->mu);
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (w[i]->qs < 0)
            rc = w[i]->qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    return rc;
}

void tt_consent_committer_stop(struct tt_store *store)
{
    struct committer *cm = NULL;
    pthread_mutex_lock(&registry_mu);
    for (int i = 0; i < MAX_COMMITTERS; i++)
        if (registry[i] && registry[i]->store == store) {
            cm = registry[i];
            registry[i] = NULL;
        }
    pthread_mutex_unlock(&registry_mu);
    if (!cm)
        return;
    pthread_mutex_lock(&cm->mu);
    cm->stop = 1;
    pthread_cond_signal(&cm->work_cv);
    pthread_mutex_unlock(&cm->mu);
    pthread_join(cm->thread, NULL);
    pthread_mutex_destroy(&cm->mu);
    pthread_cond_destroy(&cm->work_cv);
    pthread_cond_destroy(&cm->done_cv);
    free(cm);
}
