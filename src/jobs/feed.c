/* SPDX-License-Identifier: Apache-2.0 */
/* feed.c — the change feed (feed.h): appended inside the writers' transactions, followed by a
 * thread on every node that reloads each changed subject from the store into the local decision
 * index through the same write-through hooks the handlers use — woken by another node's commit
 * where the store announces them (PostgreSQL LISTEN/NOTIFY), else by its poll interval, which
 * stays as the fallback; and the feed.prune job that drops rows older than TUTELA_FEED_RETAIN_S
 * (default one day). */
#include "feed.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../api/hooks.h"
#include "../core/error.h"
#include "../core/mono.h"
#include "../http/http.h"
#include "../http/log.h"
#include "jobs.h"

#define FEED_BATCH 1000
#define FEED_POLL_DEFAULT_MS 200
#define FEED_RETAIN_DEFAULT_S 86400
#define PRUNE_BATCH 5000
#define NOTIFY_SLICE_MS 100 /* a stop is seen within this while waiting for a notification */
#define NOTIFY_SETTLE_MS 20 /* the second look after a notification */

enum tt_qs tt_feed_append(struct tt_store_conn *c, const char *tenant_id, enum tt_feed_kind kind,
                          const char *subject_id)
{
    return tt_store_ops_of(c)->jobs->feed_append(c, tenant_id, (int)kind, subject_id,
                                                 tt_jobs_node_id(), (tt_time)time(NULL));
}

_Static_assert(TT_IDENT__COUNT <= 10, "an identifier type is one digit in a feed row's detail");

/* 1 when blind_hex is a blind index: 64 lowercase hex digits, as tt_vault_blind writes it */
static int blind_ok(const char *blind_hex, size_t n)
{
    if (n != TT_HASH_HEX - 1)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((blind_hex[i] >= '0' && blind_hex[i] <= '9') ||
              (blind_hex[i] >= 'a' && blind_hex[i] <= 'f')))
            return 0;
    return 1;
}

enum tt_qs tt_feed_identity_gone(struct tt_store_conn *c, const char *tenant_id,
                                 const char *subject_id, const struct tt_identity *old)
{
    char detail[TT_FEED_DETAIL_MAX];
    if ((unsigned)old->type >= TT_IDENT__COUNT ||
        !blind_ok(old->blind_hex, strnlen(old->blind_hex, sizeof old->blind_hex)))
        return TT_QS_HARD;
    snprintf(detail, sizeof detail, "%d:%s", (int)old->type, old->blind_hex);
    return tt_store_ops_of(c)->jobs->feed_append_detail(c, tenant_id, TT_FEED_IDENTITY_GONE,
                                                        subject_id, detail, tt_jobs_node_id(),
                                                        (tt_time)time(NULL));
}

/* The identifier of a TT_FEED_IDENTITY_GONE row's detail ("<type>:<blind hex>") into i;
 * 0, or -1 when malformed. */
static int gone_parse(const char *detail, struct tt_identity *i)
{
    const char *colon = strchr(detail, ':');
    if (!colon || colon - detail != 1 || detail[0] < '0' ||
        detail[0] >= '0' + (int)TT_IDENT__COUNT || !blind_ok(colon + 1, strlen(colon + 1)))
        return -1;
    memset(i, 0, sizeof *i);
    i->type = (enum tt_identity_type)(detail[0] - '0');
    memcpy(i->blind_hex, colon + 1, TT_HASH_HEX);
    return 0;
}

int tt_feed_head(struct tt_store *s, int64_t *txid, int64_t *seq)
{
    struct tt_store_conn *c = tt_store_acquire(s);
    int64_t t = 0, q = 0;
    enum tt_qs qs = tt_store_ops_of(c)->jobs->feed_head(c, &t, &q);
    tt_store_release(c);
    if (qs != TT_QS_ONE)
        return -TT_E_STORE;
    *txid = t;
    *seq = q;
    return 0;
}

/* ---- applying rows ---- */

#define ROWS_MAX FEED_BATCH

struct batch {
    struct tt_feed_row rows[ROWS_MAX];
    int n;
};

static int collect(void *cls, const struct tt_feed_row *r)
{
    struct batch *b = cls;
    if (b->n >= ROWS_MAX)
        return 1;
    b->rows[b->n++] = *r;
    return 0;
}

static int apply_identity(void *cls, const struct tt_identity *i)
{
    tt_hook_identity_added(cls, i);
    return 0;
}

static int apply_purpose(void *cls, const struct tt_purpose_state *ps)
{
    tt_hook_purpose_state_changed(cls, ps);
    return 0;
}

/* Reloads what row names from the store into the index. Returns a store status. */
static enum tt_qs apply(struct tt_app *app, struct tt_store_conn *c, const struct tt_feed_row *r)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    switch (r->kind) {
    case TT_FEED_SUBJECT: {
        struct tt_subject s;
        enum tt_qs qs = ops->subject_get(c, r->tenant_id, r->subject_id, &s);
        if (qs == TT_QS_ONE)
            tt_hook_subject_changed(app, &s);
        return qs;
    }
    case TT_FEED_IDENTITY:
        return ops->identity_list(c, r->tenant_id, r->subject_id, apply_identity, app);
    case TT_FEED_PURPOSE:
        return ops->purpose_state_list(c, r->tenant_id, r->subject_id, apply_purpose, app);
    case TT_FEED_IDENTITY_GONE: { /* the TT_FEED_IDENTITY row after it re-adds what stays */
        struct tt_identity old;
        if (gone_parse(r->detail, &old) < 0) {
            tt_log(TT_LOG_WARN, "change feed: an identifier-gone row without a valid detail",
                   TT_LOG_I("seq", r->seq));
            return TT_QS_NONE;
        }
        tt_hook_identity_dropped(app, &old);
        return TT_QS_ONE;
    }
    default:
        return TT_QS_NONE; /* a kind a newer node writes: nothing this one mirrors */
    }
}

/* Row indexes by (tenant, subject), for grouping a page's purpose rows. */
static int by_tenant_subject(const void *x, const void *y, void *batch)
{
    const struct batch *rows = batch;
    const struct tt_feed_row *a = &rows->rows[*(const int *)x];
    const struct tt_feed_row *b = &rows->rows[*(const int *)y];
    int t = strcmp(a->tenant_id, b->tenant_id);
    return t ? t : strcmp(a->subject_id, b->subject_id);
}

#define MANY_MAX 256 /* subjects a read */

/* Reloads the purpose states of the rows at idx[0..n) (another node's TT_FEED_PURPOSE rows of
 * one page): each subject once, one store read per tenant and MANY_MAX subjects, where a row
 * each cost one before. idx is sorted here. Returns a store status. */
static enum tt_qs apply_purposes(struct tt_app *app, struct tt_store_conn *c, struct batch *b,
                                 int *idx, int n)
{
    qsort_r(idx, (size_t)n, sizeof *idx, by_tenant_subject, b);
    const char *ids[MANY_MAX];
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        const struct tt_feed_row *r = &b->rows[idx[i]];
        if (i == 0 || by_tenant_subject(&idx[i - 1], &idx[i], b) != 0) /* read once */
            ids[k++] = r->subject_id;
        const struct tt_feed_row *next = i + 1 < n ? &b->rows[idx[i + 1]] : NULL;
        if (k == 0 || (k < MANY_MAX && next && strcmp(next->tenant_id, r->tenant_id) == 0))
            continue; /* the tenant's next subjects go in the same read */
        enum tt_qs qs = tt_store_ops_of(c)->purpose_state_list_many(c, r->tenant_id, ids, k,
                                                                    apply_purpose, app);
        if (qs < 0)
            return qs;
        k = 0;
    }
    return TT_QS_ONE;
}

int tt_feed_poll(struct tt_app *app, int64_t *txid, int64_t *seq, int limit, int64_t *applied)
{
    struct batch *b = malloc(sizeof *b);
    int *purposes = malloc(ROWS_MAX * sizeof *purposes);
    if (!b || !purposes) {
        free(b);
        free(purposes);
        return -TT_E_NOMEM;
    }
    b->n = 0;
    if (limit < 1 || limit > ROWS_MAX)
        limit = ROWS_MAX;
    const char *self = tt_jobs_node_id();
    struct tt_store_conn *c = tt_store_acquire(app->store);
    const struct tt_jobs_store_ops *jb = tt_store_ops_of(c)->jobs;
    enum tt_qs qs = jb->feed_read(c, *txid, *seq, limit, collect, b);
    int64_t done = 0;
    /* Purpose rows are reloaded together once the page's other rows are applied (a subject
     * created in the page is then in the index first); the cursor before the first of them is
     * where the next poll starts again if that fails. Every reload reads what the store holds
     * now, so applying rows again, or in another order within the page, ends the same. */
    int n_purposes = 0;
    int64_t back_txid = *txid, back_seq = *seq;
    for (int i = 0; qs >= 0 && i < b->n; i++) {
        const struct tt_feed_row *r = &b->rows[i];
        if (strcmp(r->node_id, self) != 0) {
            if (r->kind == TT_FEED_PURPOSE) {
                if (n_purposes == 0) {
                    back_txid = *txid;
                    back_seq = *seq;
                }
                purposes[n_purposes++] = i;
            } else {
                enum tt_qs aq = apply(app, c, r);
                if (aq < 0) {
                    qs = aq; /* retried from this row (or the first purpose row) next poll */
                    break;
                }
                done++;
            }
        }
        *txid = r->txid;
        *seq = r->seq;
    }
    if (qs >= 0 && n_purposes > 0) {
        enum tt_qs aq = apply_purposes(app, c, b, purposes, n_purposes);
        if (aq < 0)
            qs = aq;
        else
            done += n_purposes;
    }
    if (qs < 0 && n_purposes > 0) {
        *txid = back_txid;
        *seq = back_seq;
    }
    tt_store_release(c);
    int n = b->n;
    free(b);
    free(purposes);
    if (applied)
        *applied = done;
    if (done > 0)
        tt_metrics_counter_add("tutela_feed_applied_total", "", (double)done);
    return qs < 0 ? -TT_E_STORE : n;
}

/* ---- the follower thread ---- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int running, stopping;
    struct tt_app *app;
    int64_t txid, seq;
    long poll_ms;
} F = {.mu = PTHREAD_MUTEX_INITIALIZER};

static long poll_ms_from_env(void)
{
    const char *v = getenv("TUTELA_FEED_POLL_MS");
    if (!v || !*v)
        return FEED_POLL_DEFAULT_MS;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < 10 || n > 60000)
        return -1;
    return n;
}

static int stopping(void)
{
    pthread_mutex_lock(&F.mu);
    int s = F.stopping;
    pthread_mutex_unlock(&F.mu);
    return s;
}

/* Until the next poll is due: ms, cut short by another node's commit (1), the listener's
 * connection being down (-1) or stop. In slices, so a stop is prompt. */
static int wait_notified(const struct tt_jobs_store_ops *jb, struct tt_feed_listener *l, long ms)
{
    for (long left = ms; left > 0 && !stopping(); left -= NOTIFY_SLICE_MS) {
        int w = jb->feed_wait(l, left < NOTIFY_SLICE_MS ? left : NOTIFY_SLICE_MS);
        if (w != 0)
            return w;
    }
    return 0;
}

/* Sleeps ms on the condition variable (woken by stop). */
static void wait_timed(long ms)
{
    pthread_mutex_lock(&F.mu);
    struct timespec ts = tt_mono_after_us((long long)ms * 1000);
    int rc = 0;
    while (!F.stopping && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&F.cv, &F.mu, &ts);
    pthread_mutex_unlock(&F.mu);
}

/* Polls every poll_ms; where the store announces commits (PostgreSQL LISTEN/NOTIFY) it polls
 * as soon as another node commits, and once more NOTIFY_SETTLE_MS later (a row whose writer
 * committed after an older transaction still open is read once that one ends). */
static void *follow(void *arg)
{
    (void)arg;
    struct tt_store_conn *c = tt_store_acquire(F.app->store);
    const struct tt_jobs_store_ops *jb = tt_store_ops_of(c)->jobs;
    tt_store_release(c);
    struct tt_feed_listener *l =
        jb->feed_listen ? jb->feed_listen(F.app->store, tt_jobs_node_id()) : NULL;
    int failing = 0, deaf = 0, settle = 0;
    while (!stopping()) {
        int n;
        do /* drain a backlog before sleeping */
            n = tt_feed_poll(F.app, &F.txid, &F.seq, FEED_BATCH, NULL);
        while (n == FEED_BATCH);
        if (n < 0 && !failing)
            tt_log(TT_LOG_WARN, "change feed: the store failed; retrying at the next poll");
        else if (n >= 0 && failing)
            tt_log(TT_LOG_INFO, "change feed: following again");
        failing = n < 0;
        if (!l) {
            wait_timed(F.poll_ms);
            continue;
        }
        long ms = settle && F.poll_ms > NOTIFY_SETTLE_MS ? NOTIFY_SETTLE_MS : F.poll_ms;
        int w = wait_notified(jb, l, ms);
        settle = w == 1;
        if (w < 0 && !deaf)
            tt_log(TT_LOG_WARN, "change feed: notifications lost; polling until they are back",
                   TT_LOG_I("poll_ms", F.poll_ms));
        else if (w > 0 && deaf)
            tt_log(TT_LOG_INFO, "change feed: notifications back");
        if (w != 0)
            deaf = w < 0;
        if (w > 0)
            tt_metrics_counter_add("tutela_feed_notifications_total", "", 1);
    }
    if (l)
        jb->feed_unlisten(l);
    return NULL;
}

int tt_feed_follow_start(struct tt_app *app, int64_t txid, int64_t seq, char *err, size_t err_size)
{
    long ms = poll_ms_from_env();
    if (ms < 0) {
        snprintf(err, err_size, "TUTELA_FEED_POLL_MS must be whole milliseconds (10..60000)");
        return -TT_E_BAD_PARAM;
    }
    pthread_mutex_lock(&F.mu);
    if (F.running) {
        pthread_mutex_unlock(&F.mu);
        snprintf(err, err_size, "the change feed follower is already running");
        return -TT_E_CONFLICT;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&F.cv, &ca);
    pthread_condattr_destroy(&ca);
    F.app = app;
    F.txid = txid;
    F.seq = seq;
    F.poll_ms = ms;
    F.stopping = 0;
    int rc = pthread_create(&F.thread, NULL, follow, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&F.cv);
        pthread_mutex_unlock(&F.mu);
        snprintf(err, err_size, "cannot start the change feed thread: %s", strerror(rc));
        return -TT_E_INTERNAL;
    }
    F.running = 1;
    pthread_mutex_unlock(&F.mu);
    return 0;
}

void tt_feed_follow_stop(void)
{
    pthread_mutex_lock(&F.mu);
    if (!F.running) {
        pthread_mutex_unlock(&F.mu);
        return;
    }
    F.stopping = 1;
    pthread_cond_broadcast(&F.cv);
    pthread_mutex_unlock(&F.mu);
    pthread_join(F.thread, NULL);
    pthread_mutex_lock(&F.mu);
    pthread_cond_destroy(&F.cv);
    F.running = 0;
    F.app = NULL;
    pthread_mutex_unlock(&F.mu);
}

/* ---- feed.prune (jobs_jobs.inc) ---- */

struct prune_ctx {
    tt_time before;
    int64_t n;
};

static enum tt_qs prune_txn(struct tt_store_conn *c, void *cls)
{
    struct prune_ctx *p = cls;
    p->n = 0;
    enum tt_qs qs = tt_store_ops_of(c)->jobs->feed_prune(c, p->before, PRUNE_BATCH, &p->n);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_job_feed_prune(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    long retain = FEED_RETAIN_DEFAULT_S;
    const char *v = getenv("TUTELA_FEED_RETAIN_S");
    if (v && *v) {
        char *end = NULL;
        long n = strtol(v, &end, 10);
        if (*end == '\0' && n >= 60)
            retain = n;
    }
    /* rows are stamped with the wall clock when written; prune by the same clock */
    (void)now;
    struct prune_ctx p = {.before = (tt_time)time(NULL) - retain};
    struct tt_store_conn *c = tt_store_acquire(app->store);
    enum tt_qs qs = TT_QS_ONE;
    for (int round = 0; round < 20 && qs >= 0; round++) {
        qs = tt_store_txn(c, prune_txn, &p);
        tt_jobs_note(p.n);
        if (p.n < PRUNE_BATCH)
            break;
    }
    tt_store_release(c);
    return qs < 0 ? -TT_E_STORE : 0;
}
