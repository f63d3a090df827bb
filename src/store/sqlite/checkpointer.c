/* SPDX-License-Identifier: Apache-2.0 */
/* checkpointer.c — WAL checkpoints off the committing threads (checkpointer.h). The WAL hook runs
 * on the committing thread after each COMMIT: it only compares the WAL size with what the last
 * checkpoint left and, when work is due and the checkpointer sleeps, wakes it (a mutex and a
 * condition variable, taken only then). */
#include "checkpointer.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CKPT_BUSY_TIMEOUT_MS 1000 /* RESTART waits no longer for readers (writers wait) */

struct sq_ckpt {
    sqlite3 *db; /* the checkpointer's own connection */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* the thread waits for work */
    pthread_cond_t done;    /* committers wait for a RESTART round */
    int stop;               /* under mu */
    atomic_int frames;      /* the WAL size the last COMMIT reported */
    atomic_int log_at;      /* the WAL size when the last checkpoint ran */
    atomic_int copied;      /* frames of it that checkpoint copied into the database */
    atomic_int sleeping;    /* the thread waits for work (a report then wakes it) */
    atomic_int pages, cap;  /* thresholds */
    int want_restart;       /* under mu: a committer waits for a RESTART checkpoint */
    unsigned long restarts; /* under mu: RESTART rounds ended (those waiting look at it) */
    int busy_streak;        /* the checkpointer's: RESTARTs in a row that gave up */
    atomic_int gate_above;  /* a COMMIT leaving more frames than this waits for a RESTART */
    atomic_ulong n_passive, n_restart, n_busy;
    atomic_int max_frames;
};

/* Frames not yet copied into the database, as far as the reports tell: a WAL smaller than at
 * the last checkpoint was restarted by a writer, and all of it is new. */
static int backlog(struct sq_ckpt *k, int frames)
{
    int at = atomic_load(&k->log_at);
    return frames < at ? frames : frames - atomic_load(&k->copied);
}

static int due(struct sq_ckpt *k, int frames)
{
    return backlog(k, frames) >= atomic_load(&k->pages);
}

/* The committing thread, its COMMIT durable and its connection out of any transaction, waits
 * for one RESTART checkpoint: with a writer that never pauses, a PASSIVE checkpoint never
 * catches up (a writer starts the WAL over only when everything in it was copied), and polling
 * for the write lock from the checkpointer would miss the moment between two transactions. The
 * background PASSIVE checkpoints copied most of the WAL already: this one copies the rest. */
static void gate(struct sq_ckpt *k)
{
    pthread_mutex_lock(&k->mu);
    unsigned long seen = k->restarts;
    k->want_restart = 1;
    pthread_cond_signal(&k->cv);
    while (!k->stop && k->restarts == seen)
        pthread_cond_wait(&k->done, &k->mu);
    pthread_mutex_unlock(&k->mu);
}

/* sqlite3_wal_hook: after a COMMIT of db, with the WAL's size in frames. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    struct sq_ckpt *k = arg;
    atomic_store(&k->frames, frames);
    int max = atomic_load(&k->max_frames);
    while (frames > max && !atomic_compare_exchange_weak(&k->max_frames, &max, frames))
        ;
    if (frames > atomic_load(&k->gate_above)) {
        gate(k);
        return SQLITE_OK;
    }
    if (atomic_load(&k->sleeping) && due(k, frames)) {
        pthread_mutex_lock(&k->mu);
        pthread_cond_signal(&k->cv);
        pthread_mutex_unlock(&k->mu);
    }
    return SQLITE_OK;
}

/* One checkpoint of the given mode; records what it copied. Returns the SQLite code. */
static int checkpoint(struct sq_ckpt *k, int mode)
{
    int log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(k->db, "main", mode, &log, &copied);
    if (rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY) {
        if (log >= 0 && copied >= 0) {
            atomic_store(&k->log_at, log);
            atomic_store(&k->copied, copied);
        }
    }
    return rc;
}

/* RESTART (k->mu not held): waits (busy handler, CKPT_BUSY_TIMEOUT_MS) for a writer in hand and
 * for readers of older frames, copies the rest, and has the next writer start the WAL over. A
 * reader that stays longer (an export) makes it give up: committers are then not held again
 * until the WAL grew by another cap, and it grows meanwhile as it would under SQLite's own
 * PASSIVE checkpoints. */
static void restart(struct sq_ckpt *k, int frames)
{
    int rc = checkpoint(k, SQLITE_CHECKPOINT_RESTART);
    int cap = atomic_load(&k->cap);
    if (rc == SQLITE_OK) {
        atomic_fetch_add(&k->n_restart, 1);
        atomic_store(&k->frames, 0); /* until the next COMMIT reports */
        atomic_store(&k->gate_above, cap);
        k->busy_streak = 0;
    } else {
        /* each RESTART in a row that gave up doubles the growth before the next (a long
         * reader holds writers for a busy timeout each time) */
        atomic_fetch_add(&k->n_busy, 1);
        int shift = k->busy_streak < 8 ? k->busy_streak++ : 8;
        long next = (long)frames + ((long)cap << shift);
        atomic_store(&k->gate_above, next > INT_MAX ? INT_MAX : (int)next);
    }
}

static void *run(void *arg)
{
    struct sq_ckpt *k = arg;
    int last = -1; /* the WAL size the last PASSIVE checkpoint saw */
    pthread_mutex_lock(&k->mu);
    for (;;) {
        atomic_store(&k->sleeping, 1);
        /* a report that came before sleeping was set is seen here, under mu: none is lost; a
         * PASSIVE checkpoint that could not copy everything (readers) waits for a new COMMIT */
        for (;;) {
            int frames = atomic_load(&k->frames);
            if (k->stop || k->want_restart || (frames != last && due(k, frames)))
                break;
            pthread_cond_wait(&k->cv, &k->mu);
        }
        atomic_store(&k->sleeping, 0);
        if (k->stop)
            break;
        int want_restart = k->want_restart;
        k->want_restart = 0;
        pthread_mutex_unlock(&k->mu);
        int frames = atomic_load(&k->frames);
        if (want_restart) {
            restart(k, frames);
        } else {
            checkpoint(k, SQLITE_CHECKPOINT_PASSIVE);
            atomic_fetch_add(&k->n_passive, 1);
            last = frames;
        }
        pthread_mutex_lock(&k->mu);
        if (want_restart) {
            k->restarts++;
            pthread_cond_broadcast(&k->done);
        }
    }
    /* committers still waiting go on (the store is closing) */
    pthread_cond_broadcast(&k->done);
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

int tt__sq_ckpt_start(const char *path, struct sq_ckpt **out, char *err, size_t err_size)
{
    *out = NULL;
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        sqlite3_close(db); /* read-only or gone: leave SQLite's own checkpoints in place */
        return 0;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, CKPT_BUSY_TIMEOUT_MS);
    /* FULL: the checkpoint syncs the WAL before copying and the database file after */
    if (sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, err_size, "sqlite: cannot configure the checkpointer: %s",
                 sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    struct sq_ckpt *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, err_size, "sqlite: out of memory");
        sqlite3_close(db);
        return -1;
    }
    k->db = db;
    atomic_init(&k->pages, TT_SQ_CKPT_PAGES);
    atomic_init(&k->cap, TT_SQ_CKPT_CAP_PAGES);
    atomic_init(&k->gate_above, TT_SQ_CKPT_CAP_PAGES);
    if (pthread_mutex_init(&k->mu, NULL) != 0)
        goto fail_mu;
    if (pthread_cond_init(&k->cv, NULL) != 0)
        goto fail_cv;
    if (pthread_cond_init(&k->done, NULL) != 0)
        goto fail_done;
    if (pthread_create(&k->thread, NULL, run, k) != 0)
        goto fail_thread;
    pthread_setname_np(k->thread, "tt-sq-ckpt");
    *out = k;
    return 0;
fail_thread:
    pthread_cond_destroy(&k->done);
fail_done:
    pthread_cond_destroy(&k->cv);
fail_cv:
    pthread_mutex_destroy(&k->mu);
fail_mu:
    sqlite3_close(db);
    free(k);
    snprintf(err, err_size, "sqlite: cannot start the checkpointer");
    return -1;
}

void tt__sq_ckpt_attach(struct sq_ckpt *k, sqlite3 *db)
{
    if (k) /* replaces SQLite's automatic-checkpoint hook */
        sqlite3_wal_hook(db, on_commit, k);
}

void tt__sq_ckpt_set(struct sq_ckpt *k, int pages, int cap_pages)
{
    if (pages > 0)
        atomic_store(&k->pages, pages);
    if (cap_pages > 0) {
        atomic_store(&k->cap, cap_pages);
        atomic_store(&k->gate_above, cap_pages);
    }
}

void tt__sq_ckpt_counts(struct sq_ckpt *k, struct sq_ckpt_counts *out)
{
    out->passive = atomic_load(&k->n_passive);
    out->restart = atomic_load(&k->n_restart);
    out->busy = atomic_load(&k->n_busy);
    out->max_frames = atomic_load(&k->max_frames);
}

void tt__sq_ckpt_stop(struct sq_ckpt *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->mu);
    k->stop = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    pthread_cond_destroy(&k->done);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    /* the last connection to close checkpoints the WAL in full and removes it */
    sqlite3_close(k->db);
    free(k);
}
