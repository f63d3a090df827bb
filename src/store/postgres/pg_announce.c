/* SPDX-License-Identifier: Apache-2.0 */
/* pg_announce.c — the change feed's notifications, sent after the commit (pg_listen.c listens;
 * issue 9). A transaction that runs NOTIFY takes a lock shared by the whole cluster from just
 * before its COMMIT until the COMMIT has ended, fsync included (PostgreSQL serialises the
 * notification queue in commit order), so writes that notified in their own transaction
 * committed one at a time on every node and every tenant: no two fsyncs overlapped. Instead, a
 * transaction that appended feed rows only notes it (tt__pg_feed_written) and, once its COMMIT
 * returned, wakes this store's announcer thread, which sends pg_notify('tutela_feed', node) in a
 * transaction of its own on its own connection, with synchronous_commit off (the notification is
 * a wake-up, not data: the feed rows it announces are durable already). Commits that end while
 * one is being sent share the next notification. A notification lost here (connection down) is
 * covered by the followers' poll, as one lost by the listener is. */
#include "../../core/mono.h"
#include "pg_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_MS 1000 /* after a failed connection, notifications wait this long for the next */

struct pg_announcer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char node[TT_ID_MAX]; /* the node the next notification names */
    int pending, stop;
    /* the announcer thread's own */
    PGconn *pq;
    int64_t retry_at_ms;
    const char *url; /* the store's (it outlives the announcer) */
};

/* Connected, with synchronous_commit off for this session and the notification prepared (it was
 * parsed and planned for every commit); 0, or -1 (retried after RETRY_MS). */
static int connect_once(struct pg_announcer *a)
{
    if (a->pq && PQstatus(a->pq) == CONNECTION_OK)
        return 0;
    PQfinish(a->pq);
    a->pq = NULL;
    if (tt_mono_ms() < a->retry_at_ms)
        return -1;
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {"5", "tutela-announce", a->url, NULL};
    a->pq = PQconnectdbParams(keys, vals, 1);
    PGresult *r = NULL;
    if (a->pq && PQstatus(a->pq) == CONNECTION_OK)
        r = PQexec(a->pq, "SET synchronous_commit = off");
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    r = ok ? PQprepare(a->pq, "tt_announce", "SELECT pg_notify('tutela_feed', $1)", 1, NULL) : NULL;
    ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        PQfinish(a->pq);
        a->pq = NULL;
        a->retry_at_ms = tt_mono_ms() + RETRY_MS;
        return -1;
    }
    return 0;
}

static void send_one(struct pg_announcer *a, const char *node)
{
    for (int attempt = 0; attempt < 2; attempt++) { /* a dropped connection: once more */
        if (connect_once(a) < 0)
            return;
        const char *params[] = {node};
        PGresult *r = PQexecPrepared(a->pq, "tt_announce", 1, params, NULL, NULL, 0);
        int ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        if (ok)
            return;
        PQfinish(a->pq);
        a->pq = NULL;
    }
}

static void *run(void *arg)
{
    struct pg_announcer *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->pending && !a->stop)
            pthread_cond_wait(&a->cv, &a->mu);
        if (!a->pending) /* stopping, nothing left to announce */
            break;
        char node[TT_ID_MAX];
        memcpy(node, a->node, sizeof node);
        a->pending = 0;
        pthread_mutex_unlock(&a->mu);
        send_one(a, node);
        pthread_mutex_lock(&a->mu);
    }
    pthread_mutex_unlock(&a->mu);
    PQfinish(a->pq);
    a->pq = NULL;
    return NULL;
}

/* The store's announcer, started on first use; NULL when it could not be. */
static struct pg_announcer *announcer(struct pg_store *s)
{
    pthread_mutex_lock(&s->mu);
    struct pg_announcer *a = s->announcer;
    if (!a && s->url && (a = calloc(1, sizeof *a)) != NULL) {
        a->url = s->url;
        pthread_mutex_init(&a->mu, NULL);
        pthread_cond_init(&a->cv, NULL);
        if (pthread_create(&a->thread, NULL, run, a) != 0) {
            pthread_cond_destroy(&a->cv);
            pthread_mutex_destroy(&a->mu);
            free(a);
            a = NULL;
        }
        s->announcer = a;
    }
    pthread_mutex_unlock(&s->mu);
    return a;
}

static void announce(struct pg_store *s, const char *node)
{
    struct pg_announcer *a = announcer(s);
    if (!a)
        return; /* the followers' poll still finds the rows */
    pthread_mutex_lock(&a->mu);
    size_t n = strnlen(node, sizeof a->node - 1);
    memcpy(a->node, node, n);
    a->node[n] = '\0';
    a->pending = 1;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

void tt__pg_feed_written(struct pg_conn *c, const char *node)
{
    if (!c->in_txn) { /* committed already (autocommit) */
        announce((struct pg_store *)c->base.store, node);
        return;
    }
    size_t n = strnlen(node, sizeof c->feed_node - 1);
    memcpy(c->feed_node, node, n);
    c->feed_node[n] = '\0';
    c->feed_written = 1;
}

void tt__pg_feed_txn_end(struct pg_conn *c, int committed)
{
    if (c->feed_written && committed)
        announce((struct pg_store *)c->base.store, c->feed_node);
    c->feed_written = 0;
}

void tt__pg_announce_stop(struct pg_store *s)
{
    struct pg_announcer *a = s->announcer;
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = 1; /* what is pending is still sent */
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
    s->announcer = NULL;
}
