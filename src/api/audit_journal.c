/* SPDX-License-Identifier: Apache-2.0 */
/* audit_journal.c — the write-ahead journal of audit events (audit_journal.h). Appenders write
 * under one mutex, so the file's order is the seq order, and queue the event. The journal's
 * thread takes the queue once GATHER_US has passed since the first event in it, or once
 * GATHER_MAX events are queued — so a busy journal commits many events at once, for one wake-up
 * and one COMMIT, each COMMIT bounded — and has it chained by
 * the store's group commit (relaxed, store.h tt_store_txn_grouped_async_os), waiting for the
 * outcome; a failed list goes back in front of the queue and is tried again after RETRY_US.
 * Once the trail holds everything written and the file has grown past TRUNCATE_AT, the file is
 * emptied. */
#include "audit_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/error.h"
#include "../core/journal.h"
#include "../core/mono.h"
#include "../http/log.h"
#include "audit.h"

#define MARK_KEY "audit_journal_seq"
#define TRUNCATE_AT (1u << 20) /* bytes */
#define QUEUED_MAX 200000u     /* events waiting for a store that fails: then appends refuse */
#define REPLAY_CHUNK 4096u     /* events a transaction when replaying at open */
#define GATHER_US 10000        /* the queue's first event waits this long for others */
/* ... or until GATHER_MAX are queued: one COMMIT's work stays short (about 1.5 ms), so under
 * many denials a second the committer's turns do not hold a core long enough to delay answers */
#define GATHER_MAX 64u
#define RETRY_US 100000 /* after the store refused a list */

/* One event: its frame, and its fields pointing into the frame. */
struct rec {
    struct rec *next;
    struct tt_journal_event ev;
    size_t len;
    uint8_t frame[];
};

struct tt_audit_journal {
    struct tt_store *store;
    int fd;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;    /* an event was queued, or stopping was set */
    pthread_cond_t settled; /* a list's outcome is known (the thread waits on it) */
    uint64_t next_seq;
    off_t size;
    struct rec *head, *tail; /* queued, not yet taken by the thread */
    size_t queued;
    int stopping;
    int broken;        /* a torn frame could not be cut: appends refuse (audit_commit.h instead) */
    int outcome_known; /* the thread's list: its commit returned, with status */
    enum tt_qs status;
    unsigned long written, committed;
};

static void free_list(struct rec *r)
{
    while (r) {
        struct rec *next = r->next;
        free(r);
        r = next;
    }
}

static size_t count_of(const struct rec *r)
{
    size_t n = 0;
    for (; r; r = r->next)
        n++;
    return n;
}

/* Chains the events of the list *cls points to and moves the mark to the last one's seq: the
 * transaction function of both the thread and the replay (safe to run again). */
static enum tt_qs chain(struct tt_store_conn *c, void *cls)
{
    struct rec *const *list = cls;
    const struct rec *last = NULL;
    for (const struct rec *r = *list; r; r = r->next) {
        enum tt_qs qs = tt_audit_emit_text(c, r->ev.tenant_id, r->ev.at, r->ev.actor, r->ev.action,
                                           r->ev.target, r->ev.detail);
        if (qs < 0)
            return qs;
        last = r;
    }
    if (!last)
        return TT_QS_ONE;
    char mark[24];
    snprintf(mark, sizeof mark, "%" PRIu64, last->ev.seq);
    enum tt_qs qs = tt_store_ops_of(c)->setting_put(c, MARK_KEY, mark);
    return qs < 0 ? qs : TT_QS_ONE;
}

/* On the committer's thread, once the list's transaction committed or failed. */
static void settle(void *cls, enum tt_qs qs)
{
    struct tt_audit_journal *j = cls;
    pthread_mutex_lock(&j->mu);
    j->status = qs;
    j->outcome_known = 1;
    pthread_cond_broadcast(&j->settled);
    pthread_mutex_unlock(&j->mu);
}

/* Has list chained through the group commit and waits for the outcome (mu held, released
 * meanwhile). */
static enum tt_qs commit_list(struct tt_audit_journal *j, struct rec **list)
{
    j->outcome_known = 0;
    pthread_mutex_unlock(&j->mu);
    int queued = tt_store_txn_grouped_async_os(j->store, chain, list, settle, j) == 0;
    pthread_mutex_lock(&j->mu);
    if (!queued)
        return TT_QS_SOFT; /* no committer (stopping): the list stays in the file */
    while (!j->outcome_known)
        pthread_cond_wait(&j->settled, &j->mu);
    return j->status;
}

/* Empties the file once the trail holds everything in it (mu held). */
static void maybe_truncate(struct tt_audit_journal *j, off_t at_least)
{
    if (!j->head && j->committed == j->written && j->size > 0 && j->size >= at_least &&
        ftruncate(j->fd, 0) == 0)
        j->size = 0;
}

/* Takes the first GATHER_MAX events of the queue (mu held); the rest stay queued. */
static struct rec *take(struct tt_audit_journal *j)
{
    struct rec *list = j->head, *end = list;
    size_t n = 1;
    while (n < GATHER_MAX && end->next) {
        end = end->next;
        n++;
    }
    j->head = end->next;
    end->next = NULL;
    if (!j->head)
        j->tail = NULL;
    j->queued -= n;
    return list;
}

static void *run(void *arg)
{
    struct tt_audit_journal *j = arg;
    int warned = 0;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        while (!j->head && !j->stopping)
            pthread_cond_wait(&j->work, &j->mu);
        if (!j->head)
            break;
        if (!j->stopping) { /* gather: the first event's wait lets others join its COMMIT */
            struct timespec until = tt_mono_after_us(GATHER_US);
            while (!j->stopping && j->queued < GATHER_MAX &&
                   pthread_cond_timedwait(&j->work, &j->mu, &until) != ETIMEDOUT)
                ;
        }
        struct rec *list = take(j);
        enum tt_qs qs = commit_list(j, &list);
        if (qs >= 0) {
            j->committed += count_of(list);
            maybe_truncate(j, TRUNCATE_AT);
            pthread_mutex_unlock(&j->mu);
            free_list(list);
            warned = 0;
            pthread_mutex_lock(&j->mu);
            continue;
        }
        /* back in front of the queue; the file keeps the events whatever happens */
        struct rec *last = list;
        while (last->next)
            last = last->next;
        last->next = j->head;
        if (!j->head)
            j->tail = last;
        j->head = list;
        j->queued += count_of(list);
        if (!warned)
            tt_log(TT_LOG_WARN, "audit journal: the store refused a commit; the events stay queued",
                   TT_LOG_S("error", qs == TT_QS_SOFT ? "unavailable" : "store"));
        warned = 1;
        if (j->stopping)
            break; /* the next open chains them */
        struct timespec until = tt_mono_after_us(RETRY_US);
        while (!j->stopping && pthread_cond_timedwait(&j->work, &j->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* Writes the whole frame at the end of the file (mu held); a short write is cut off again. */
static int write_frame(struct tt_audit_journal *j, const uint8_t *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(j->fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            /* a part written is cut; when that fails too, the file takes no more frames: a
             * reader stops at the torn one and would not see frames after it */
            if (done && ftruncate(j->fd, j->size) != 0)
                j->broken = 1;
            return -TT_E_UNAVAILABLE;
        }
        done += (size_t)w;
    }
    j->size += (off_t)n;
    return 0;
}

static size_t text_len(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

int tt_audit_journal_append(struct tt_audit_journal *j, const struct tt_audit_pending *ev)
{
    char *dumped = NULL;
    const char *detail = ev->detail_text;
    if (!detail && ev->detail) {
        dumped = json_dumps(ev->detail, JSON_COMPACT | JSON_SORT_KEYS);
        if (!dumped)
            return -TT_E_NOMEM;
        detail = dumped;
    }
    size_t cap = 8 + 16 + text_len(ev->tenant_id) + text_len(ev->actor) + text_len(ev->action) +
                 text_len(ev->target) + 1 + text_len(detail) + TT_JOURNAL_TAG_BYTES;
    struct rec *r = cap <= TT_JOURNAL_FRAME_MAX ? malloc(sizeof *r + cap) : NULL;
    if (!r) {
        free(dumped);
        return cap <= TT_JOURNAL_FRAME_MAX ? -TT_E_NOMEM : -TT_E_BAD_FIELD;
    }
    r->next = NULL;
    int rc = 0;
    pthread_mutex_lock(&j->mu);
    struct tt_journal_event e = {.seq = j->next_seq,
                                 .at = ev->at,
                                 .tenant_id = ev->tenant_id,
                                 .actor = ev->actor,
                                 .action = ev->action,
                                 .target = ev->target,
                                 .detail = detail};
    if (j->queued >= QUEUED_MAX || j->stopping || j->broken)
        rc = -TT_E_UNAVAILABLE;
    else if (!(r->len = tt_journal_encode(&e, r->frame, cap)))
        rc = -TT_E_BAD_FIELD;
    else if ((rc = write_frame(j, r->frame, r->len)) == 0) {
        tt_journal_decode(r->frame, r->len, &r->ev); /* the fields, pointing into the frame */
        j->next_seq++;
        j->written++;
        if (j->tail)
            j->tail->next = r;
        else
            j->head = r;
        j->tail = r;
        if (j->queued++ == 0 || j->queued == GATHER_MAX)
            pthread_cond_signal(&j->work);
    }
    pthread_mutex_unlock(&j->mu);
    free(dumped);
    if (rc < 0)
        free(r);
    return rc;
}

void tt_audit_journal_counts(struct tt_audit_journal *j, unsigned long *written,
                             unsigned long *committed)
{
    pthread_mutex_lock(&j->mu);
    *written = j->written;
    *committed = j->committed;
    pthread_mutex_unlock(&j->mu);
}

/* Chains list into the trail on the calling thread, REPLAY_CHUNK events a transaction (the list
 * is cut for each and mended after). The last status. */
static enum tt_qs chain_now(struct tt_store *s, struct rec *list)
{
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = TT_QS_ONE;
    while (list && qs >= 0) {
        struct rec *end = list;
        for (size_t i = 1; i < REPLAY_CHUNK && end->next; i++)
            end = end->next;
        struct rec *rest = end->next;
        end->next = NULL;
        qs = tt_store_txn(c, chain, &list);
        end->next = rest;
        list = rest;
    }
    tt_store_release(c);
    return qs;
}

static int read_all(int fd, uint8_t **out, size_t *n)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    size_t size = (size_t)st.st_size, got = 0;
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return -1;
    while (got < size) {
        ssize_t r = pread(fd, p + got, size - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    *out = p;
    *n = got;
    return 0;
}

static enum tt_qs read_mark(struct tt_store *s, uint64_t *mark)
{
    struct tt_store_conn *c = tt_store_acquire(s);
    char v[32] = "";
    enum tt_qs qs = tt_store_ops_of(c)->setting_get(c, MARK_KEY, v, sizeof v);
    tt_store_release(c);
    *mark = qs == TT_QS_ONE ? strtoull(v, NULL, 10) : 0;
    return qs;
}

/* The events of buf beyond mark, in a list of their own (*list), up to the first frame that is
 * not whole and good or whose seq does not increase; *last: the last good seq, *used: the bytes
 * of the good frames. 0 or -1 (out of memory). */
static int parse(const uint8_t *buf, size_t n, uint64_t mark, struct rec **list, size_t *count,
                 uint64_t *last, size_t *used)
{
    struct rec **tail = list;
    struct tt_journal_event e;
    size_t off = 0, len;
    *list = NULL;
    *count = 0;
    *last = 0;
    while ((len = tt_journal_decode(buf + off, n - off, &e)) != 0 && e.seq > *last) {
        *last = e.seq;
        if (e.seq > mark) {
            struct rec *r = malloc(sizeof *r + len);
            if (!r)
                return -1;
            memcpy(r->frame, buf + off, len);
            r->len = len;
            r->next = NULL;
            tt_journal_decode(r->frame, len, &r->ev);
            *tail = r;
            tail = &r->next;
            ++*count;
        }
        off += len;
    }
    *used = off;
    return 0;
}

/* Chains what the file holds beyond the store's mark, then empties the file: *next_seq is the
 * seq the next frame takes. 0, or a negative tt_err code with err written. */
static int replay(struct tt_store *store, int fd, const char *path, uint64_t *next_seq, char *err,
                  size_t err_size)
{
    uint8_t *buf = NULL;
    size_t n = 0, count = 0, used = 0;
    uint64_t mark = 0, last = 0;
    struct rec *list = NULL;
    if (read_all(fd, &buf, &n) != 0) {
        snprintf(err, err_size, "cannot read the audit journal %s: %s", path, strerror(errno));
        return -TT_E_UNAVAILABLE;
    }
    int rc = 0;
    if (read_mark(store, &mark) < 0) {
        snprintf(err, err_size, "cannot read the audit journal's mark from the store");
        rc = -TT_E_STORE;
    } else if (parse(buf, n, mark, &list, &count, &last, &used) != 0) {
        snprintf(err, err_size, "out of memory reading the audit journal %s", path);
        rc = -TT_E_NOMEM;
    } else if (chain_now(store, list) < 0) {
        snprintf(err, err_size, "the store refused the audit journal's %zu events", count);
        rc = -TT_E_STORE;
    } else if (n && ftruncate(fd, 0) != 0) { /* all of it is in the trail now */
        snprintf(err, err_size, "cannot empty the audit journal %s: %s", path, strerror(errno));
        rc = -TT_E_UNAVAILABLE;
    }
    free(buf);
    free_list(list);
    if (rc < 0)
        return rc;
    if (used < n)
        tt_log(TT_LOG_WARN, "audit journal: a torn or damaged frame was cut from its end",
               TT_LOG_S("path", path), TT_LOG_I("bytes", (long long)(n - used)));
    if (count)
        tt_log(TT_LOG_INFO, "audit journal: events a stopped process had not committed are chained",
               TT_LOG_I("events", (long long)count));
    *next_seq = (last > mark ? last : mark) + 1;
    return 0;
}

int tt_audit_journal_path(struct tt_store *store, char *out, size_t size)
{
    const char *db = tt_store_local_path(store);
    return db && (size_t)snprintf(out, size, "%s-denials", db) < size ? 0 : -1;
}

int tt_audit_journal_waiting(struct tt_store *store, const char *path, size_t *count)
{
    *count = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -TT_E_UNAVAILABLE;
    uint8_t *buf = NULL;
    size_t n = 0, used = 0;
    uint64_t mark = 0, last = 0;
    struct rec *list = NULL;
    int rc = read_all(fd, &buf, &n) != 0 ? -TT_E_UNAVAILABLE : 0;
    close(fd);
    if (rc == 0 && read_mark(store, &mark) < 0)
        rc = -TT_E_STORE;
    if (rc == 0 && parse(buf, n, mark, &list, count, &last, &used) != 0)
        rc = -TT_E_NOMEM;
    free(buf);
    free_list(list);
    return rc;
}

int tt_audit_journal_open(struct tt_store *store, const char *path, struct tt_audit_journal **out,
                          char *err, size_t err_size)
{
    *out = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, err_size, "cannot open the audit journal %s: %s", path, strerror(errno));
        return -TT_E_UNAVAILABLE;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int held = errno == EWOULDBLOCK;
        snprintf(err, err_size, "cannot lock the audit journal %s: %s", path, strerror(errno));
        close(fd);
        return held ? 1 : -TT_E_UNAVAILABLE;
    }
    uint64_t next_seq = 1;
    int rc = replay(store, fd, path, &next_seq, err, err_size);
    struct tt_audit_journal *j = rc == 0 ? calloc(1, sizeof *j) : NULL;
    if (rc == 0 && !j) {
        snprintf(err, err_size, "out of memory opening the audit journal");
        rc = -TT_E_NOMEM;
    }
    if (rc < 0) {
        close(fd); /* unlocks */
        return rc;
    }
    j->store = store;
    j->fd = fd;
    j->next_seq = next_seq;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->work, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&j->settled, NULL);
    pthread_mutex_init(&j->mu, NULL);
    if (pthread_create(&j->thread, NULL, run, j) != 0) {
        snprintf(err, err_size, "cannot start the audit journal's thread");
        pthread_cond_destroy(&j->work);
        pthread_cond_destroy(&j->settled);
        pthread_mutex_destroy(&j->mu);
        close(fd);
        free(j);
        return -TT_E_INTERNAL;
    }
    pthread_setname_np(j->thread, "tt-audit-jrnl");
    *out = j;
    return 0;
}

void tt_audit_journal_close(struct tt_audit_journal *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->stopping = 1;
    pthread_cond_signal(&j->work);
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->thread, NULL); /* it chains what is queued first */
    if (j->head)
        tt_log(TT_LOG_WARN,
               "audit journal: the store refused the last events; the journal keeps "
               "them for the next start",
               TT_LOG_I("events", (long long)count_of(j->head)));
    else
        maybe_truncate(j, 0);
    free_list(j->head);
    close(j->fd);
    pthread_cond_destroy(&j->work);
    pthread_cond_destroy(&j->settled);
    pthread_mutex_destroy(&j->mu);
    free(j);
}
