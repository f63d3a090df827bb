/* SPDX-License-Identifier: Apache-2.0 */
/* checkpointer.h — private to src/store/sqlite/: WAL checkpoints off the committing threads
 * (issue 4). SQLite's automatic checkpoint runs inside the COMMIT that pushes the WAL past 1,000
 * pages, on the committing connection: the group-commit writer then copies pages into the
 * database file and waits for its fsync before it can take the next batch. Instead, every pool
 * connection reports its WAL size (sqlite3_wal_hook, which also turns the automatic checkpoint
 * off) to one checkpointer thread with a connection of its own, which runs a PASSIVE checkpoint
 * (never blocks a writer or a reader) once the un-checkpointed part passes a threshold, and a
 * RESTART checkpoint (waits for the writer in hand, then makes the next one write the WAL from
 * its start) when the WAL file grows past a cap — as it does when writers never pause long
 * enough for a PASSIVE one to catch up — so the WAL stays bounded. Durability is unchanged:
 * each COMMIT still syncs the WAL (synchronous=FULL) before it returns, and a checkpoint syncs
 * the WAL and then the database file (synchronous=FULL on its connection too). */
#ifndef TT_STORE_SQLITE_CHECKPOINTER_H
#define TT_STORE_SQLITE_CHECKPOINTER_H

#include <sqlite3.h>
#include <stddef.h>

/* Defaults, in WAL pages (frames): a PASSIVE checkpoint once this many are not yet copied
 * (SQLite's own automatic threshold), RESTART once the WAL holds more than the cap. */
#define TT_SQ_CKPT_PAGES 4000
#define TT_SQ_CKPT_CAP_PAGES 16384

struct sq_ckpt;

/* Counters since start (tests, diagnostics). */
struct sq_ckpt_counts {
    unsigned long passive; /* PASSIVE checkpoints run */
    unsigned long restart; /* RESTART checkpoints run (the WAL had passed the cap) */
    unsigned long busy;    /* RESTART checkpoints that found the database busy (retried later) */
    int max_frames;        /* the largest WAL size (frames) reported by a commit */
};

/* Starts the checkpointer of the database file at path (a second connection and a thread;
 * not for an in-memory database, which has no WAL). *out is NULL when the file cannot be opened
 * for writing (a read-only database: SQLite's own behaviour stays). Returns 0, or -1 with err
 * filled (nothing started). */
int tt__sq_ckpt_start(const char *path, struct sq_ckpt **out, char *err, size_t err_size);
/* Routes db's WAL reports to k (turns db's automatic checkpoint off). k may be NULL (no-op). */
void tt__sq_ckpt_attach(struct sq_ckpt *k, sqlite3 *db);
/* Thresholds in pages (tests use small ones); 0 keeps the current value. */
void tt__sq_ckpt_set(struct sq_ckpt *k, int pages, int cap_pages);
void tt__sq_ckpt_counts(struct sq_ckpt *k, struct sq_ckpt_counts *out);
/* Stops the thread (a checkpoint in progress ends first) and closes its connection (the last
 * one: SQLite then checkpoints the whole WAL and removes it). Call it after the attached
 * connections are closed (their hook points at k). NULL: no-op. */
void tt__sq_ckpt_stop(struct sq_ckpt *k);

#endif
