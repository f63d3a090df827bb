/* SPDX-License-Identifier: Apache-2.0 */
/* log_ring.c — the background writer of log lines (log.h tt_log_background): while a server
 * runs, a line is copied into a buffer under a mutex instead of costing its thread a write(2)
 * (6 % of a worker's time for single decisions, and a write to a file could wait behind the
 * disk's writeback); one thread writes the buffer out, swapped for an empty one, in one
 * write(2) per pass, then pauses PASS_PAUSE_US so that the next pass carries more lines (one
 * wake-up per pause instead of one per millisecond under load: fewer preemptions of the request
 * threads); a buffer half full ends the pause at once. Lines keep their order. When the buffer
 * is full the line's thread waits for the writer (never drops a line). Without a holder, lines
 * are written directly, as before. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/mono.h"
#include "log.h"

#define RING_BYTES (64u * 1024u) /* per buffer; a line is at most 4 KiB */
#define PASS_PAUSE_US 10000      /* after a pass that wrote something */

static pthread_mutex_t life = PTHREAD_MUTEX_INITIALIZER; /* one tt_log_background at a time */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work; /* lines queued, or stop (CLOCK_MONOTONIC: init_work) */
static pthread_once_t work_once = PTHREAD_ONCE_INIT;
static pthread_cond_t space = PTHREAD_COND_INITIALIZER; /* a pass ended: room, or flushed */
static char bufs[2][RING_BYTES];
static int cur;              /* the buffer lines go into */
static size_t len;           /* bytes in bufs[cur] */
static int writing;          /* the writer is writing the other buffer, outside the lock */
static unsigned long passes; /* passes ended, for tt_log_flush */
static int holders;          /* tt_log_background(1) calls not yet undone */
static int active;           /* the writer runs: lines are queued */
static int stopping, sleeping;
static int pausing; /* the writer pauses between passes: wake it when half full */
static pthread_t writer;

void tt__log_write_all(int fd, const char *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, p + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

/* The writer's condition waits with CLOCK_MONOTONIC deadlines (its pause). */
static void init_work(void)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&work, &ca);
    pthread_condattr_destroy(&ca);
}

/* Takes the queued lines (under mu); the caller writes bufs[!cur][0..*n) outside it. */
static void take(size_t *n)
{
    *n = len;
    cur = !cur;
    len = 0;
    writing = 1;
}

static void *run(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (!len && !stopping) {
            sleeping = 1;
            pthread_cond_wait(&work, &mu);
            sleeping = 0;
        }
        if (!len && stopping)
            break;
        size_t n;
        take(&n);
        pthread_mutex_unlock(&mu);
        tt__log_write_all(tt__log_fd(), bufs[!cur], n);
        pthread_mutex_lock(&mu);
        writing = 0;
        passes++;
        pthread_cond_broadcast(&space);
        if (!stopping && len < RING_BYTES / 2) { /* the pause: ends early when signalled */
            struct timespec until = tt_mono_after_us(PASS_PAUSE_US);
            pausing = 1;
            pthread_cond_timedwait(&work, &mu, &until);
            pausing = 0;
        }
    }
    active = 0;
    pthread_mutex_unlock(&mu);
    return NULL;
}

int tt__log_ring_put(const char *line, size_t n)
{
    if (n > RING_BYTES)
        return -1;
    pthread_mutex_lock(&mu);
    while (active && len + n > RING_BYTES) {
        if (sleeping || pausing)
            pthread_cond_signal(&work);
        pthread_cond_wait(&space, &mu);
    }
    if (!active) {
        pthread_mutex_unlock(&mu);
        return -1;
    }
    memcpy(bufs[cur] + len, line, n);
    len += n;
    if (sleeping || (pausing && len >= RING_BYTES / 2))
        pthread_cond_signal(&work);
    pthread_mutex_unlock(&mu);
    return 0;
}

void tt_log_flush(void)
{
    pthread_mutex_lock(&mu);
    /* the lines queued now are written by the end of the next pass (or of the one running
     * when nothing is queued) */
    unsigned long target = passes + (len ? 1 + (unsigned long)writing : (unsigned long)writing);
    if (len && (sleeping || pausing))
        pthread_cond_signal(&work); /* a flush does not wait out the pause */
    while (active && passes < target)
        pthread_cond_wait(&space, &mu);
    pthread_mutex_unlock(&mu);
}

int tt_log_background(int on)
{
    static int exit_flush;
    pthread_mutex_lock(&life);
    pthread_mutex_lock(&mu);
    int rc = 0;
    pthread_once(&work_once, init_work);
    if (on) {
        if (!exit_flush)
            exit_flush = atexit(tt_log_flush) == 0; /* a process leaving without stopping */
        if (holders++ == 0) {
            stopping = 0;
            active = 1;
            if (pthread_create(&writer, NULL, run, NULL) != 0) {
                active = 0;
                holders = 0;
                rc = -1;
            } else {
                pthread_setname_np(writer, "tt-log");
            }
        }
        pthread_mutex_unlock(&mu);
        pthread_mutex_unlock(&life);
        return rc;
    }
    int last = holders > 0 && --holders == 0;
    if (last) {
        stopping = 1;
        pthread_cond_signal(&work);
    }
    pthread_mutex_unlock(&mu);
    if (last)
        pthread_join(writer, NULL); /* what was queued is written first */
    pthread_mutex_unlock(&life);
    return 0;
}
