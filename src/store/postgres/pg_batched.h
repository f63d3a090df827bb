/* SPDX-License-Identifier: Apache-2.0 */
/* pg_batched.h — multi-row writes of a pipelined transaction (issue 9). While a connection is
 * speculative (pg_pipeline.c: group commit, tt_store_txn_pipelined) and in a transaction, a
 * purpose state put and a change-feed row are not sent at once but kept on the connection, and
 * tt__pg_batched_flush sends what is kept as one guarded unnest() statement per table — called
 * by every sender before any other statement goes out (tt__pg_exec, tt__pg_command, the
 * pipeline's senders, COMMIT), so the server sees the writes in the caller's order except among
 * the kept rows themselves (no kept statement reads the other's table). A state put twice in one
 * transaction keeps the later one. Each statement raises (division by zero, see
 * tt__pg_defer_guarded) where it wrote fewer rows than kept — a subject missing — so the
 * transaction, and the COMMIT behind it, fail: HARD, as the put or append alone would have. */
#ifndef TT_STORE_PG_BATCHED_H
#define TT_STORE_PG_BATCHED_H

#include "pg_internal.h"

/* Statement slots of the two statements: at the end of the consent area's range (pg_consent.c
 * keeps below it). */
#define TT_PG_BATCHED_SLOT (TT_STORE_SLOT_BASE(TT_AREA_CONSENT) + TT_STORE_SLOTS_PER_AREA - 2)

/* Keeps the state (copied) for the next flush. ONE, or HARD when out of memory. */
enum tt_qs tt__pg_batched_purpose(struct pg_conn *c, const struct tt_purpose_state *ps);
/* Keeps a change-feed row (jobs_store.h feed_append) for the next flush. ONE, or HARD. */
enum tt_qs tt__pg_batched_feed(struct pg_conn *c, const char *tenant_id, int kind,
                               const char *subject_id, const char *node, tt_time at);
/* Sends what is kept (pipelined, guarded; nothing is read). ONE, or the failure — what was kept
 * is then dropped and the caller rolls back. */
enum tt_qs tt__pg_batched_flush(struct pg_conn *c);
/* Forgets what is kept (rollback). */
void tt__pg_batched_drop(struct pg_conn *c);
/* Frees the connection's buffers (close). */
void tt__pg_batched_free(struct pg_conn *c);

#endif
