/* SPDX-License-Identifier: Apache-2.0 */
/* feed.h — the change feed that keeps every node's decision index current (issue 9). A handler
 * that commits a change the index mirrors (subject row, identity, purpose state) appends a feed
 * row in the SAME transaction (tt_feed_append); every node follows the feed (a thread woken by
 * another node's commit on PostgreSQL, LISTEN/NOTIFY, and polling every TUTELA_FEED_POLL_MS,
 * default 200 ms, as the fallback and on SQLite) and reloads the named subject's state from the
 * store into its own index. Rows written by this node are skipped: its hooks already applied them
 * before it answered. Consistency contract: docs/scaling.md. */
#ifndef TT_JOBS_FEED_H
#define TT_JOBS_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "../api/app.h"
#include "../store/jobs_store.h"

/* Appends one feed row for subject_id of tenant_id inside the caller's transaction on c.
 * Returns the store status (TT_QS_ONE on success; TT_QS_SOFT: retry the transaction). */
enum tt_qs tt_feed_append(struct tt_store_conn *c, const char *tenant_id, enum tt_feed_kind kind,
                          const char *subject_id);

/* Appends, inside the caller's transaction on c, that old (its type and blind index; the other
 * fields unread) no longer names subject_id of tenant_id — an identifier rectified in place
 * (S1.5). The other nodes drop it from their indexes (TT_FEED_IDENTITY_GONE); append it BEFORE
 * the subject's TT_FEED_IDENTITY row, which then re-adds the identities it has now. The row
 * holds the blind index (a keyed hash), never the value. Returns as tt_feed_append;
 * TT_QS_HARD when old's blind index is malformed. */
enum tt_qs tt_feed_identity_gone(struct tt_store_conn *c, const char *tenant_id,
                                 const char *subject_id, const struct tt_identity *old);

/* A cursor to follow from, taken BEFORE the index is loaded from the store: every change
 * committed after it is read again, so none is lost between the load and the follower's start.
 * Returns 0 or -TT_E_STORE. */
int tt_feed_head(struct tt_store *s, int64_t *txid, int64_t *seq);

/* Applies every row after the cursor (txid, seq) to app's current index and advances the
 * cursor; at most limit rows. *applied (may be NULL) gets how many rows of other nodes were
 * applied. Returns the number of rows read (>= 0) or -TT_E_STORE. Used by the follower, tests. */
int tt_feed_poll(struct tt_app *app, int64_t *txid, int64_t *seq, int limit, int64_t *applied);

/* Starts / stops the follower thread (one per process). start returns 0 or a negative code with
 * a reason in err; stop is NULL-safe, idempotent and prompt (condition variable). */
int tt_feed_follow_start(struct tt_app *app, int64_t txid, int64_t seq, char *err, size_t err_size);
void tt_feed_follow_stop(void);

#endif
