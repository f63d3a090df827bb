/* SPDX-License-Identifier: Apache-2.0 */
/* audit_journal.h — a write-ahead journal for audit events that come with no other change
 * (S6.3; issue 3: denied decisions). tt_audit_journal_append writes the event's frame
 * (core/journal.h) to a file of the node's with one write(2) — once it returns the event is in
 * the OS, so a killed process loses none — and queues it. The journal's thread gathers what is
 * queued for about ten milliseconds (or until 64 are) and has the store's group commit chain it
 * into the audit trail in one transaction (relaxed: on disk within the store's flush bound,
 * store.h tt_store_txn_grouped_async_os), together with the journal's mark: the setting
 * "audit_journal_seq", the last seq the trail holds. The caller answers at once, without
 * waiting for that COMMIT or for another thread.
 *
 * On open, events the file holds beyond the mark — those a killed process had written to the
 * journal but not yet committed — are chained first, so the trail holds each event exactly
 * once. The file is taken with an exclusive lock: a second process on the same file gets 1 from
 * tt_audit_journal_open and does without (its events go through audit_commit.h). Used with the
 * SQLite store, whose database is a file of the same machine (cmd_serve.c); docs/audit.md. */
#ifndef TT_API_AUDIT_JOURNAL_H
#define TT_API_AUDIT_JOURNAL_H

#include <stddef.h>

#include "../store/store.h"
#include "audit_commit.h"

struct tt_audit_journal;

/* The journal's path for store: "<database file>-denials" when the database is a file of this
 * machine (store.h tt_store_local_path). 0, or -1 when the store has none or it does not fit. */
int tt_audit_journal_path(struct tt_store *store, char *out, size_t size);

/* Opens (creating, mode 0600) and locks the journal at path, then chains into store what it
 * holds beyond the mark, and cuts a frame torn by a crash from its end. Returns 0 with *out set;
 * 1 when another process holds the file (*out NULL); or a negative tt_err code with a reason
 * in err (no secret, no personal value), the store then as it was. */
int tt_audit_journal_open(struct tt_store *store, const char *path, struct tt_audit_journal **out,
                          char *err, size_t err_size);

/* Writes ev (its texts and detail_text; a jansson detail is written as its stored text) to the
 * journal and queues it for the trail. ev is only read: the caller keeps it and calls nothing
 * else on it. Returns 0 once the event is written to the OS, or a negative tt_err code
 * (-TT_E_BAD_FIELD: a text too long; -TT_E_UNAVAILABLE: the file could not be written, or too
 * many events wait for a store that fails) — nothing is then written and the caller uses
 * audit_commit.h instead. Thread safe. */
int tt_audit_journal_append(struct tt_audit_journal *j, const struct tt_audit_pending *ev);

/* How many events the file at path holds beyond the store's mark — answered denials a stopped
 * server left there, which the next open chains (tutela audit verify reports them). Reads
 * without taking the lock: a running server's file may be counted while it is being chained.
 * 0 with *count (0 when there is no file), or a negative tt_err code. */
int tt_audit_journal_waiting(struct tt_store *store, const char *path, size_t *count);

/* Events written and events the trail holds, since open (tests, metrics). */
void tt_audit_journal_counts(struct tt_audit_journal *j, unsigned long *written,
                             unsigned long *committed);

/* Chains what is still queued (one attempt), stops the thread, then closes and unlocks the
 * file; what could not be chained stays in it for the next open. Call after the last append and
 * before the store is drained and closed. NULL is a no-op. */
void tt_audit_journal_close(struct tt_audit_journal *j);

#endif
