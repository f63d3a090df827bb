/* SPDX-License-Identifier: Apache-2.0 */
/* consent_commit.c — group commit of consent writes (consent_int.h): one queue and one writer
 * thread per store. Callers push their writes on a lock-free stack and sleep on a semaphore of
 * their own; the writer takes everything queued, writes it in transactions of up to
 * TT_CONSENT_BATCH_MAX writes (one fsync each) and wakes each caller only after its batch's
 * COMMIT returned (from a notifier thread, while the writer commits the next batch), while the
 * next batch gathers in the queue. No request is answered before its
 * event is durable. A failed batch is retried write by write so one bad write fails alone. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../jobs/feed.h"
#include "../core/error.h"
#include "../core/mono.h"
#include "audit.h"
#include "consent_int.h"

#define MAX_COMMITTERS 8
#define TENANT_CACHE                                                                               \
    TT_CONSENT_SUBMIT_MAX /* chains per batch: one caller's always fit (a                          \
                           * caller of more writes names one tenant) */

/* The queue is a lock-free stack (callers push, the writer takes it whole and reverses it to
 * arrival order), so a caller never waits on a lock shared with the others. Committed batches go
 * the same way to the notifier thread, which wakes their callers while the writer already
 * commits the next batch (waking a thousand callers costs about as much as a commit). */
struct committer {
    struct tt_store *store;
    _Atomic(struct tt_consent_write *) inbox; /* newest first */
    sem_t work;         /* posted when a push finds the inbox empty, and by stop */
    atomic_int stop;    /* no new write is taken */
    atomic_int pushing; /* callers between their stop check and their push */
    pthread_t thread;
    _Atomic(struct tt_consent_write *) ended; /* committed or failed writes to wake */
    sem_t wake;                               /* posted when ended gets writes, and at exit */
    atomic_int writer_done;                   /* the writer pushes nothing more */
    pthread_t notifier;
};

/* One caller's wait: woken once all of its writes ended, by its own semaphore (sync) or by a
 * call of done from the notifier thread (async; the waiter is then on the heap). */
struct tt_consent_waiter {
    sem_t sem;
    atomic_size_t left;
    int rc; /* the first failure among its writes (set by the notifier thread) */
    tt_consent_done_cb done;
    void *cls;
};

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(struct committer *) registry[MAX_COMMITTERS];

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
    const struct tt_consent_event **run; /* scratch: one tenant's events, n slots */
    struct tt_consent_write **by_key;    /* scratch: the writes with a state, n slots */
};

/* Orders writes by subject, tenant and purpose, then arrival (their place in the batch): a
 * (tenant, subject)'s writes are adjacent, and the subject id, which differs most, is compared
 * first (the tenant id is mostly the same in a batch). */
static int by_state_key(const void *a, const void *b)
{
    const struct tt_consent_write *x = *(struct tt_consent_write *const *)a;
    const struct tt_consent_write *y = *(struct tt_consent_write *const *)b;
    int c = strcmp(x->ps.subject_id, y->ps.subject_id);
    if (!c)
        c = strcmp(x->ps.tenant_id, y->ps.tenant_id);
    if (!c)
        c = strcmp(x->ps.purpose, y->ps.purpose);
    return c ? c : (x->seq_in_batch > y->seq_in_batch) - (x->seq_in_batch < y->seq_in_batch);
}

/* Stores the state each (tenant, subject, purpose) of the batch ends in — only the last write's,
 * as a state row is replaced whole — and one change-feed row per subject (the other nodes'
 * indexes then read the subject's states, issue 9). */
static enum tt_qs put_states(struct tt_store_conn *c, struct batch *b)
{
    size_t m = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->w[i]->has_state) {
            b->w[i]->seq_in_batch = i;
            b->by_key[m++] = b->w[i];
        }
    qsort(b->by_key, m, sizeof *b->by_key, by_state_key);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    for (size_t k = 0; k < m; k++) {
        const struct tt_purpose_state *ps = &b->by_key[k]->ps;
        const struct tt_purpose_state *next = k + 1 < m ? &b->by_key[k + 1]->ps : NULL;
        int same_subject = next && strcmp(next->tenant_id, ps->tenant_id) == 0 &&
                           strcmp(next->subject_id, ps->subject_id) == 0;
        if (same_subject && strcmp(next->purpose, ps->purpose) == 0)
            continue; /* a later write of the batch leaves this one's state */
        enum tt_qs qs = ops->purpose_state_put(c, ps);
        if (qs <= 0)
            return qs == TT_QS_NONE ? TT_QS_HARD : qs;
        if (!same_subject &&
            (qs = tt_feed_append(c, ps->tenant_id, TT_FEED_PURPOSE, ps->subject_id)) < 0)
            return qs;
    }
    return TT_QS_ONE;
}

static enum tt_qs tail_of(struct tt_store_conn *c, struct tail *tails, size_t *n_tails,
                          const char *tenant_id, struct tail **out)
{
    for (size_t i = 0; i < *n_tails; i++)
        if (strcmp(tails[i].tenant_id, tenant_id) == 0) {
            *out = &tails[i];
            return TT_QS_ONE;
        }
    if (*n_tails == TENANT_CACHE)
        return TT_QS_NONE; /* the writer keeps batches within TENANT_CACHE chains */
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

/* Links every write of the batch after its chain's tail in one pass (the tails read once per
 * tenant), then appends each tenant's run of events with one append (multi-row INSERTs), moves
 * each tail once, writes the states, and one audit event per tenant. */
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
        if (tt_consent_link_proof(t->seq, t->known ? t->hash : NULL, w->proof, &w->ev) < 0)
            return TT_QS_HARD;
        if (t->count++ == 0)
            t->first_seq = w->ev.seq;
        t->seq = w->ev.seq;
        memcpy(t->hash, w->ev.hash, sizeof t->hash);
        t->known = 1;
    }
    for (size_t k = 0; k < n_tails; k++) {
        size_t m = 0;
        for (size_t i = 0; i < b->n; i++)
            if (n_tails == 1 || strcmp(b->w[i]->ev.tenant_id, tails[k].tenant_id) == 0)
                b->run[m++] = &b->w[i]->ev;
        enum tt_qs qs = ops->consent->append(c, b->run, m);
        if (qs < 0)
            return qs;
        if (qs == TT_QS_NONE) /* the chain moved under us: run again on the new tail */
            return TT_QS_SOFT;
    }
    enum tt_qs sqs = put_states(c, b);
    if (sqs < 0)
        return sqs;
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
    struct batch b = {w, n, 0, malloc(n * sizeof *b.run), malloc(n * sizeof *b.by_key)};
    if (!b.run || !b.by_key) {
        free(b.run);
        free(b.by_key);
        return TT_QS_HARD;
    }
    for (size_t i = 0; i < n; i++)
        if (w[i]->ev.at > b.now)
            b.now = w[i]->ev.at;
    struct tt_store_conn *c = tt_store_acquire(store);
    enum tt_qs qs = tt_store_txn_pipelined(c, batch_txn, &b);
    tt_store_release(c);
    free(b.run);
    free(b.by_key);
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
    /* a hard failure: find the caller whose writes caused it, each caller's writes alone (and
     * together: a caller's writes commit in one transaction or not at all) */
    for (size_t i = 0, k; i < n; i = k) {
        for (k = i + 1; k < n && w[k]->waiter == w[i]->waiter;)
            k++;
        enum tt_qs one = run_batch(store, &w[i], k - i);
        for (size_t j = i; j < k; j++)
            w[j]->qs = one >= 0 ? TT_QS_ONE : one;
    }
}

/* Takes the whole inbox, in arrival order. */
static struct tt_consent_write *take_all(struct committer *cm)
{
    struct tt_consent_write *w = atomic_exchange(&cm->inbox, NULL), *fifo = NULL;
    while (w) {
        struct tt_consent_write *next = w->next;
        w->next = fifo;
        fifo = w;
        w = next;
    }
    return fifo;
}

/* Hands the ended writes w[0..n-1] to the notifier as one chain. */
static void finish(struct committer *cm, struct tt_consent_write **w, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        w[i]->next = w[i + 1];
    struct tt_consent_write *old = atomic_load(&cm->ended);
    do
        w[n - 1]->next = old;
    while (!atomic_compare_exchange_weak(&cm->ended, &old, w[0]));
    if (!old)
        sem_post(&cm->wake);
}

/* Wakes the caller of every write in the chain w once all of its writes ended. */
static void wake_all(struct tt_consent_write *w)
{
    while (w) {
        /* w may be gone once its caller is woken: read next and the waiter first */
        struct tt_consent_write *next = w->next;
        struct tt_consent_waiter *wt = w->waiter;
        w->done = 1;
        if (w->qs < 0 && wt->rc == 0)
            wt->rc = w->qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
        if (atomic_fetch_sub(&wt->left, 1) == 1) {
            if (wt->done) {
                wt->done(wt->cls, wt->rc);
                free(wt);
            } else {
                sem_post(&wt->sem);
            }
        }
        w = next;
    }
}

static void *notifier(void *arg)
{
    struct committer *cm = arg;
    for (;;) {
        struct tt_consent_write *w = atomic_exchange(&cm->ended, NULL);
        if (w) {
            wake_all(w);
            continue;
        }
        if (atomic_load(&cm->writer_done)) {
            /* the writer's last push happened before it said so */
            wake_all(atomic_exchange(&cm->ended, NULL));
            break;
        }
        while (sem_wait(&cm->wake) != 0 && errno == EINTR)
            ;
    }
    return NULL;
}

static int seen(const char *const *tenants, size_t n, const char *tenant_id)
{
    for (size_t i = n; i-- > 0;) /* the last one seen is the likeliest */
        if (strcmp(tenants[i], tenant_id) == 0)
            return 1;
    return 0;
}

/* Moves the next batch from the queue *w into batch: whole callers (a caller's writes are
 * pushed together and never split between transactions), up to TT_CONSENT_BATCH_MAX writes
 * (or one caller's TT_CONSENT_ITEMS_MAX) and TENANT_CACHE chains. Returns its size. */
static size_t next_batch(struct tt_consent_write **w, struct tt_consent_write **batch)
{
    size_t n = 0, n_tenants = 0;
    const char *tenants[TENANT_CACHE];
    while (*w) {
        struct tt_consent_write *g = *w;
        size_t k = 0, t = n_tenants;
        for (struct tt_consent_write *x = g; x && x->waiter == g->waiter; x = x->next) {
            if (!seen(tenants, t, x->ev.tenant_id)) {
                if (t == TENANT_CACHE)
                    return n; /* (never for the first caller: its writes name <= TENANT_CACHE
                               * tenants) */
                tenants[t++] = x->ev.tenant_id;
            }
            k++;
        }
        if (n > 0 && n + k > TT_CONSENT_BATCH_MAX)
            return n;
        for (size_t i = 0; i < k; i++, *w = (*w)->next)
            batch[n++] = *w;
        n_tenants = t;
    }
    return n;
}

/* The gathering window (issue 9): under load — the last batch ended less than GATHER_RECENT_US
 * ago — the writer waits up to GATHER_US for the last batch's callers to come back before it
 * writes (closed-loop callers: each sends its next write once answered), so they share one
 * COMMIT instead of splitting into two halves that commit in turn; a wait that runs out turns
 * the window off for GATHER_PAUSE batches. A write arriving after a pause is committed at once.
 * Nothing is answered sooner or later than its COMMIT. */
#define GATHER_US 1000
#define GATHER_RECENT_US 2000
#define GATHER_PAUSE 16

struct gather {
    size_t last_n; /* writes of the last round of batches */
    double last_s; /* when it ended (tt_mono_s) */
    int pause;     /* batches left without the window */
};

/* Appends what is queued to the chain ending at *tail; returns the writes added. */
static size_t take_more(struct committer *cm, struct tt_consent_write **tail)
{
    size_t k = 0;
    for ((*tail)->next = take_all(cm); (*tail)->next; *tail = (*tail)->next)
        k++;
    return k;
}

/* Waits (see GATHER_US) until the chain w holds the writes expected: the last round's callers
 * back, beside those that came while it was written (busy: taken without sleeping). */
static void gather_more(struct committer *cm, struct gather *g, struct tt_consent_write *w,
                        int busy)
{
    if (g->last_n == 0 || tt_mono_s() - g->last_s > GATHER_RECENT_US / 1e6)
        return;
    if (g->pause > 0) {
        g->pause--;
        return;
    }
    size_t k = 1;
    struct tt_consent_write *tail = w;
    for (; tail->next; tail = tail->next)
        k++;
    size_t want = busy ? k + g->last_n : (k > g->last_n ? k : g->last_n);
    if (want > TT_CONSENT_BATCH_MAX)
        want = TT_CONSENT_BATCH_MAX;
    struct timespec until = tt_mono_after_us(GATHER_US);
    while (k < want && !atomic_load(&cm->stop)) {
        if (sem_clockwait(&cm->work, CLOCK_MONOTONIC, &until) != 0) {
            if (errno == EINTR)
                continue;
            g->pause = GATHER_PAUSE; /* they did not come back in time */
            break;
        }
        k += take_more(cm, &tail);
    }
    take_more(cm, &tail); /* (what came without a post of its own) */
}

/* Writes what is queued in transactions of up to TT_CONSENT_BATCH_MAX and wakes each caller
 * once its writes committed; what arrives meanwhile is the next batch (with the gathering window
 * above under load). A write that arrives alone on an idle writer is committed at once. */
static void *writer(void *arg)
{
    struct committer *cm = arg;
    struct tt_consent_write *batch[TT_CONSENT_BATCH_MAX + TT_CONSENT_ITEMS_MAX];
    struct gather g = {0, 0, 0};
    int busy = 0;
    for (;;) {
        struct tt_consent_write *w = take_all(cm);
        if (!w) {
            busy = 0;
            if (atomic_load(&cm->stop)) {
                /* a caller that saw stop unset is about to push: take its writes too */
                if (atomic_load(&cm->pushing) == 0 && !atomic_load(&cm->inbox))
                    break;
                sched_yield();
                continue;
            }
            while (sem_wait(&cm->work) != 0 && errno == EINTR)
                ;
            continue;
        }
        gather_more(cm, &g, w, busy);
        g.last_n = 0;
        while (w) {
            size_t n = next_batch(&w, batch);
            write_batch(cm->store, batch, n);
            finish(cm, batch, n); /* only after the batch's COMMIT returned */
            g.last_n += n;
        }
        g.last_s = tt_mono_s();
        busy = 1;
    }
    atomic_store(&cm->writer_done, 1);
    sem_post(&cm->wake);
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
    for (int i = 0; i < MAX_COMMITTERS; i++) {
        struct committer *x = atomic_load(&registry[i]);
        if (x && x->store == store) {
            cm = x;
            break;
        }
        if (!x && free_slot < 0)
            free_slot = i;
    }
    if (!cm && free_slot >= 0 && (cm = calloc(1, sizeof *cm)) != NULL) {
        cm->store = store;
        atomic_init(&cm->inbox, NULL);
        atomic_init(&cm->stop, 0);
        atomic_init(&cm->pushing, 0);
        atomic_init(&cm->ended, NULL);
        atomic_init(&cm->writer_done, 0);
        if (sem_init(&cm->work, 0, 0) != 0 || sem_init(&cm->wake, 0, 0) != 0) {
            free(cm); /* (an unused semaphore needs no destroy on Linux) */
            cm = NULL;
        } else if (pthread_create(&cm->notifier, NULL, notifier, cm) != 0) {
            sem_destroy(&cm->work);
            sem_destroy(&cm->wake);
            free(cm);
            cm = NULL;
        } else if (pthread_create(&cm->thread, NULL, writer, cm) != 0) {
            atomic_store(&cm->writer_done, 1);
            sem_post(&cm->wake);
            pthread_join(cm->notifier, NULL);
            sem_destroy(&cm->work);
            sem_destroy(&cm->wake);
            free(cm);
            cm = NULL;
        } else {
            /* named apart from the request thread that started them (profiles, top -H) */
            pthread_setname_np(cm->thread, "tt-consent-wr");
            pthread_setname_np(cm->notifier, "tt-consent-ntf");
            atomic_store(&registry[free_slot], cm);
        }
    }
    pthread_mutex_unlock(&registry_mu);
    return cm;
}

/* Queues the n writes for wt (see tt_consent_submit). Returns 0, or a negative code with nothing
 * queued. */
static int push(struct tt_store *store, struct tt_consent_write **w, size_t n,
                struct tt_consent_waiter *wt)
{
    if (n > TT_CONSENT_ITEMS_MAX)
        return -TT_E_BAD_FIELD;
    for (size_t i = 1; n > TT_CONSENT_SUBMIT_MAX && i < n; i++)
        if (strcmp(w[i]->ev.tenant_id, w[0]->ev.tenant_id) != 0)
            return -TT_E_BAD_FIELD; /* the writer's batches hold TENANT_CACHE chains at most */
    struct committer *cm = committer_of(store);
    if (!cm)
        return -TT_E_UNAVAILABLE;
    atomic_init(&wt->left, n);
    wt->rc = 0;
    atomic_fetch_add(&cm->pushing, 1);
    if (atomic_load(&cm->stop)) {
        atomic_fetch_sub(&cm->pushing, 1);
        return -TT_E_UNAVAILABLE;
    }
    /* the proof text is made here, in parallel in the callers, not under the writer's lock; an
     * event without one fails alone when linked */
    for (size_t i = 0; i < n; i++) {
        size_t len = tt_consent_proof(&w[i]->ev, w[i]->proof, sizeof w[i]->proof);
        if (len == 0 || len >= sizeof w[i]->proof)
            w[i]->proof[0] = '\0';
    }
    /* pushed newest first, as one chain: the writer's reversal restores w[0] … w[n-1] */
    for (size_t i = 0; i < n; i++) {
        w[i]->done = 0;
        w[i]->qs = TT_QS_HARD;
        w[i]->waiter = wt;
        w[i]->next = i ? w[i - 1] : NULL;
    }
    struct tt_consent_write *old = atomic_load(&cm->inbox);
    do
        w[0]->next = old;
    while (!atomic_compare_exchange_weak(&cm->inbox, &old, w[n - 1]));
    atomic_fetch_sub(&cm->pushing, 1);
    if (!old)
        sem_post(&cm->work); /* the writer may be asleep on an empty inbox */
    return 0;
}

int tt_consent_submit(struct tt_store *store, struct tt_consent_write **w, size_t n)
{
    if (n == 0)
        return 0;
    struct tt_consent_waiter wt = {0};
    if (sem_init(&wt.sem, 0, 0) != 0)
        return -TT_E_UNAVAILABLE;
    int rc = push(store, w, n, &wt);
    /* never answered before the batch's COMMIT returned */
    while (rc == 0 && sem_wait(&wt.sem) != 0 && errno == EINTR)
        ;
    sem_destroy(&wt.sem);
    return rc < 0 ? rc : wt.rc;
}

int tt_consent_submit_async(struct tt_store *store, struct tt_consent_write **w, size_t n,
                            tt_consent_done_cb done, void *cls)
{
    if (n == 0 || !done)
        return -TT_E_BAD_FIELD;
    struct tt_consent_waiter *wt = calloc(1, sizeof *wt);
    if (!wt)
        return -TT_E_NOMEM;
    wt->done = done;
    wt->cls = cls;
    int rc = push(store, w, n, wt);
    if (rc < 0)
        free(wt);
    return rc;
}

void tt_consent_committer_stop(struct tt_store *store)
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
    pthread_join(cm->notifier, NULL);
    sem_destroy(&cm->work);
    sem_destroy(&cm->wake);
    free(cm);
}
