/* SPDX-License-Identifier: Apache-2.0 */
/* consent_store.h — the consent area of the store (issue 4; store/areas.h: migrations 200..299,
 * statement slots 128..191): the append-only consent ledger (one hash chain per tenant in
 * consent_events, its tail and floor in consent_heads) and the email opens recorded by beacons.
 * Same status conventions as store.h (TT_QS_*); out-parameters written only on TT_QS_ONE; rows
 * handed to callbacks are valid only during the callback. Thread safety as store.h. */
#ifndef TT_STORE_CONSENT_STORE_H
#define TT_STORE_CONSENT_STORE_H

#include "../core/consent.h"
#include "store.h"

/* A chain's tail and floor: events with seq <= floor_seq were swept (S7.5: kept 5 years), and
 * floor_hash is the hash of the last of them, the anchor the remaining chain verifies from. */
struct tt_consent_head {
    char tenant_id[TT_ID_MAX];
    int64_t seq; /* last appended (0 = none yet) */
    uint8_t hash[TT_LEDGER_HASH_BYTES];
    int64_t floor_seq;
    uint8_t floor_hash[TT_LEDGER_HASH_BYTES];
};

typedef int (*tt_consent_event_cb)(void *cls, const struct tt_consent_event *e);
typedef int (*tt_consent_head_cb)(void *cls, const struct tt_consent_head *h);

struct tt_consent_store_ops {
    /* The chain's head of tenant_id; NONE when it has no event yet. Must run inside the
     * transaction that appends, before the append: it takes the chain's lock (SQLite: the
     * write lock of BEGIN IMMEDIATE; PostgreSQL: a row lock on consent_heads). */
    enum tt_qs (*head)(struct tt_store_conn *c, const char *tenant_id, struct tt_consent_head *out);
    /* Appends the n events e[0..n-1] of one chain (already linked by tt_consent_link, each
     * after the one before it) and moves the tail once, to e[n-1]: ONE, or NONE with nothing
     * written when e[0] does not follow the tail; HARD when the events are not one linked run
     * of a single chain, or when one's seq is taken (a broken chain: roll the transaction
     * back). The rows go in with few statements (multi-row INSERTs), not one per event. */
    enum tt_qs (*append)(struct tt_store_conn *c, const struct tt_consent_event *const *e,
                         size_t n);
    /* Every head, in tenant order. */
    enum tt_qs (*head_list)(struct tt_store_conn *c, tt_consent_head_cb cb, void *cls);
    /* One chain's events in seq order (verification, export). */
    enum tt_qs (*scan)(struct tt_store_conn *c, const char *tenant_id, tt_consent_event_cb cb,
                       void *cls);
    /* One subject's events in seq order (history). */
    enum tt_qs (*list_subject)(struct tt_store_conn *c, const char *tenant_id,
                               const char *subject_id, tt_consent_event_cb cb, void *cls);
    /* S7.5: removes at most limit of the chain's oldest events whose expires_at <= now, stopping
     * at the first one still kept, and moves the floor to the last removed. *removed (may be
     * NULL) gets the count. ONE when something was removed, NONE when nothing was due. */
    enum tt_qs (*sweep)(struct tt_store_conn *c, const char *tenant_id, tt_time now, int limit,
                        int64_t *removed);
    /* S9.6: an email open seen by a beacon of a subject who consented to email tracking. */
    enum tt_qs (*open_put)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           const char *subject_id, const char *campaign, tt_time at);
    /* Opens recorded for a subject (*out: the count). */
    enum tt_qs (*open_count)(struct tt_store_conn *c, const char *tenant_id, const char *subject_id,
                             int64_t *out);
};

#endif
