/* SPDX-License-Identifier: Apache-2.0 */
/* pg_listen.c — change-feed notifications on PostgreSQL (jobs_store.h, feed_listen): every commit
 * that appended feed rows is announced just after it with pg_notify('tutela_feed', writing node)
 * by the writing store's announcer (pg_announce.c; commits close together share one). A
 * follower LISTENs on a connection of its own, outside the pool, and wakes as soon as another
 * node's commit is announced. A lost connection is opened again with backoff (0.1 s doubling to
 * 5 s); meanwhile the caller keeps polling, so nothing depends on a notification arriving. */
#include "../../core/mono.h"
#include "pg_internal.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../jobs_store.h"

#define CHANNEL "tutela_feed"
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct tt_feed_listener {
    char *url;
    char node[TT_ID_MAX];
    PGconn *pq;
    int64_t retry_at_ms; /* monotonic time of the next connection attempt */
    long backoff_ms;
};

static void sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

struct tt_feed_listener *tt__pg_feed_listen(struct tt_store *s, const char *node)
{
    const struct pg_store *ps = (const struct pg_store *)s;
    struct tt_feed_listener *l = calloc(1, sizeof *l);
    if (!l || !ps->url || !(l->url = strdup(ps->url))) {
        free(l);
        return NULL;
    }
    size_t n = strnlen(node, sizeof l->node - 1);
    memcpy(l->node, node, n);
    l->backoff_ms = BACKOFF_MIN_MS;
    return l;
}

static void drop(struct tt_feed_listener *l)
{
    PQfinish(l->pq);
    l->pq = NULL;
    l->retry_at_ms = tt_mono_ms() + l->backoff_ms;
    l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
}

/* One attempt: connect and LISTEN. 0 when listening. */
static int open_listener(struct tt_feed_listener *l)
{
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {"5", "tutela-feed", l->url, NULL};
    l->pq = PQconnectdbParams(keys, vals, 1);
    PGresult *r = NULL;
    if (l->pq && PQstatus(l->pq) == CONNECTION_OK)
        r = PQexec(l->pq, "LISTEN " CHANNEL);
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        drop(l);
        return -1;
    }
    l->backoff_ms = BACKOFF_MIN_MS;
    return 0;
}

/* Reads what arrived; the number of notifications from other nodes, or -1 when lost. */
static int consume(struct tt_feed_listener *l)
{
    if (!PQconsumeInput(l->pq))
        return -1;
    int n = 0;
    PGnotify *nf;
    while ((nf = PQnotifies(l->pq)) != NULL) {
        n += strcmp(nf->extra, l->node) != 0;
        PQfreemem(nf);
    }
    return n;
}

int tt__pg_feed_wait(struct tt_feed_listener *l, long ms)
{
    int64_t end = tt_mono_ms() + (ms > 0 ? ms : 0);
    if (!l->pq) {
        int64_t wait = l->retry_at_ms - tt_mono_ms();
        if (wait > 0) {
            sleep_ms((long)(wait < ms ? wait : ms));
            return -1;
        }
        /* back again: the caller polls at once for what was announced while it was away */
        return open_listener(l) == 0 ? 1 : (sleep_ms(ms), -1);
    }
    for (;;) {
        int n = consume(l);
        if (n < 0) {
            drop(l);
            return -1;
        }
        if (n > 0)
            return 1;
        int64_t left = end - tt_mono_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {.fd = PQsocket(l->pq), .events = POLLIN};
        if (pfd.fd < 0) {
            drop(l);
            return -1;
        }
        if (poll(&pfd, 1, (int)left) == 0)
            return 0;
    }
}

void tt__pg_feed_unlisten(struct tt_feed_listener *l)
{
    if (!l)
        return;
    PQfinish(l->pq);
    explicit_bzero(l->url, strlen(l->url)); /* may hold a password */
    free(l->url);
    free(l);
}
