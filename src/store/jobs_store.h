/* SPDX-License-Identifier: Apache-2.0 */
/* jobs_store.h — the jobs area of the store (store/areas.h: migrations 100..199, statement slots
 * 64..127): job leases, the outbox, and the change feed that keeps every node's decision index
 * current (issue 9). Reached as tt_store_ops_of(c)->jobs. Statuses as in store.h; out-parameters
 * written only on success; text of rows handed to callbacks is valid during the callback only.
 * A connection is used by one thread at a time (store.h). */
#ifndef TT_STORE_JOBS_STORE_H
#define TT_STORE_JOBS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Cluster-wide rows (job leases) use this tenant id: the Citus rule puts tenant_id in every key. */
#define TT_JOBS_GLOBAL_TENANT ""

enum tt_outbox_status {
    TT_OUTBOX_PENDING = 0,   /* waiting for its next attempt */
    TT_OUTBOX_DELIVERED = 1, /* accepted by the receiver; payload wiped */
    TT_OUTBOX_FAILED = 2,    /* gave up after the last attempt; payload kept for a retry */
};

/* One outbox row. payload_enc is the sealed {to, subject, body, headers, secret} (NULL once
 * wiped); last_error holds a code such as "http 500" or "curl 7", never an address or body. */
struct tt_outbox_row {
    char tenant_id[TT_ID_MAX];
    char id[TT_ID_MAX]; /* "msg_…" */
    char kind[TT_KEY_MAX];
    int channel; /* enum tt_outbox_channel (jobs/outbox.h) */
    char ref[TT_ID_MAX];
    int status; /* enum tt_outbox_status */
    int attempts;
    tt_time created_at, next_at, delivered_at, updated_at;
    char claimed_by[TT_ID_MAX];
    tt_time claimed_until;
    char master_key_id[TT_ID_MAX];
    char last_error[64];
    const uint8_t *payload_enc;
    size_t payload_enc_len;
};
typedef int (*tt_outbox_row_cb)(void *cls, const struct tt_outbox_row *r);

/* The outcome of one delivery attempt (outbox_finish). */
struct tt_outbox_result {
    int status; /* enum tt_outbox_status */
    int attempts;
    tt_time next_at;        /* next attempt (pending) */
    tt_time at;             /* when the attempt ended */
    const char *last_error; /* "" on success */
};

/* What the feed records: the kind of change the decision index mirrors. */
enum tt_feed_kind {
    TT_FEED_SUBJECT = 0,  /* subject row changed (created, flags, erasure) */
    TT_FEED_IDENTITY = 1, /* an identity was added */
    TT_FEED_PURPOSE = 2,  /* a purpose state (consent, objection) changed */
    /* an identifier no longer names the subject (rectified, S1.5): detail is
     * "<enum tt_identity_type>:<blind index hex>" — a keyed hash, never the value */
    TT_FEED_IDENTITY_GONE = 3,
};

/* Room for a row's detail: "3:" + 64 hex digits + NUL, with some to spare. */
#define TT_FEED_DETAIL_MAX 80

struct tt_feed_row {
    char tenant_id[TT_ID_MAX];
    int64_t seq;  /* unique over the feed */
    int64_t txid; /* commit-order key: rows are read in (txid, seq) order */
    int kind;     /* enum tt_feed_kind */
    char subject_id[TT_ID_MAX];
    char node_id[TT_ID_MAX]; /* the node whose transaction wrote it */
    tt_time at;
    char detail[TT_FEED_DETAIL_MAX]; /* what the kind needs beyond the subject; "" = none */
};
typedef int (*tt_feed_row_cb)(void *cls, const struct tt_feed_row *r);
struct tt_feed_listener;

struct tt_jobs_store_ops {
    /* ---- leases (one row per job, tenant TT_JOBS_GLOBAL_TENANT) ----
     * Takes the lease of job for node when it is free (never taken, expired, or already node's)
     * and the job is due (last pass started at least interval_s before now; 0 = always): the
     * row then says holder = node, until = now + lease_s, last_run_at = now. ONE: taken; NONE:
     * another node holds it or the job is not due. Atomic on its own (one conditional UPDATE,
     * or an INSERT that loses to a concurrent one): no two nodes take it at once. */
    enum tt_qs (*lease_take)(struct tt_store_conn *c, const char *job, const char *node,
                             tt_time now, unsigned lease_s, unsigned interval_s);
    /* Extends node's lease to now + lease_s. NONE when node no longer holds it. */
    enum tt_qs (*lease_renew)(struct tt_store_conn *c, const char *job, const char *node,
                              tt_time now, unsigned lease_s);
    /* Lets go of node's lease (until = 0), keeping last_run_at. NONE when not held. */
    enum tt_qs (*lease_release)(struct tt_store_conn *c, const char *job, const char *node);
    /* The holder and expiry of job's lease: ONE, or NONE when never taken. */
    enum tt_qs (*lease_get)(struct tt_store_conn *c, const char *job, char holder[TT_ID_MAX],
                            tt_time *until);

    /* ---- outbox ---- */
    /* Inserts a new pending row (r->status, attempts, claims ignored). */
    enum tt_qs (*outbox_put)(struct tt_store_conn *c, const struct tt_outbox_row *r);
    /* Claims up to limit (1..1000) pending rows due at now whose claim has lapsed, for node until
     * claim_until, oldest due first, and hands each to cb (payload included). PostgreSQL: FOR
     * UPDATE SKIP LOCKED, so concurrent claimers get disjoint rows; SQLite: inside BEGIN
     * IMMEDIATE. Run it in a transaction (tt_store_txn). Returns the count claimed. */
    enum tt_qs (*outbox_claim)(struct tt_store_conn *c, const char *node, tt_time now,
                               tt_time claim_until, int limit, tt_outbox_row_cb cb, void *cls);
    /* Records an attempt's outcome for a row node still claims; wipes the payload when
     * delivered. NONE when the claim was lost (another node took the row). */
    enum tt_qs (*outbox_finish)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                const char *node, const struct tt_outbox_result *res);
    /* One row, payload included, handed to cb: ONE, or NONE when there is no such row. */
    enum tt_qs (*outbox_get)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                             tt_outbox_row_cb cb, void *cls);
    /* A tenant's rows in id order after page->after_id; status < 0 = any. The payload is not
     * read: payload_enc is a 1-byte marker when there is one (a retry is possible), else NULL. */
    enum tt_qs (*outbox_list)(struct tt_store_conn *c, const char *tenant_id, int status,
                              const struct tt_page *page, tt_outbox_row_cb cb, void *cls);
    /* Makes a failed (or pending) row with its payload due again at now, attempts reset.
     * NONE when it is delivered, has no payload left, or does not exist. */
    enum tt_qs (*outbox_retry)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                               tt_time now);
    /* Wipes the payload of failed rows last updated before before; deletes delivered rows
     * delivered before before. At most limit rows each; returns how many changed. */
    enum tt_qs (*outbox_prune)(struct tt_store_conn *c, tt_time before, int limit, int64_t *n);

    /* ---- change feed ---- */
    /* Appends one row inside the caller's transaction (seq and txid given by the store). */
    enum tt_qs (*feed_append)(struct tt_store_conn *c, const char *tenant_id, int kind,
                              const char *subject_id, const char *node, tt_time at);
    /* The same with a detail (at most TT_FEED_DETAIL_MAX - 1 bytes, never a personal value),
     * read back in tt_feed_row.detail (rows appended by feed_append read back ""). */
    enum tt_qs (*feed_append_detail)(struct tt_store_conn *c, const char *tenant_id, int kind,
                                     const char *subject_id, const char *detail, const char *node,
                                     tt_time at);
    /* Rows after (txid, seq) in (txid, seq) order whose writers have all finished, at most
     * limit (1..10000). Returns the count. */
    enum tt_qs (*feed_read)(struct tt_store_conn *c, int64_t after_txid, int64_t after_seq,
                            int limit, tt_feed_row_cb cb, void *cls);
    /* A cursor below which every row is committed and visible now: read from it after loading
     * the index from the store and nothing committed later is missed. */
    enum tt_qs (*feed_head)(struct tt_store_conn *c, int64_t *txid, int64_t *seq);
    /* Deletes up to limit rows older than before; *n gets the count. */
    enum tt_qs (*feed_prune)(struct tt_store_conn *c, tt_time before, int limit, int64_t *n);

    /* ---- change notifications (optional: NULL where the backend has none, as SQLite) ---- */
    /* A listener for commits of feed rows by nodes other than node, on a connection of its own
     * (not the pool's; opened at the first wait). NULL when out of memory. */
    struct tt_feed_listener *(*feed_listen)(struct tt_store *s, const char *node);
    /* Blocks up to ms. 1: another node committed feed rows (every notification so far is
     * consumed; also after the connection came back, as some may have been missed); 0: none
     * before ms; -1: the connection is down (it is opened again, with backoff, by a later
     * call). One thread at a time. */
    int (*feed_wait)(struct tt_feed_listener *l, long ms);
    void (*feed_unlisten)(struct tt_feed_listener *l); /* closes it; NULL is a no-op */
};

#endif
