/* SPDX-License-Identifier: Apache-2.0 */
/* requests_store.h — the requests area of the store (issue 5; store/areas.h: migrations
 * 300..399, statement slots 192..255): rights requests with their deadlines and verification
 * state, each request's timeline, one-time export downloads, and the deletes an erasure needs
 * (a subject's records in bounded batches, its identities, re-sealing kept records).
 * Status conventions as in store.h: HARD/SOFT/NONE/ONE; out-parameters written only on ONE;
 * pointers handed to callbacks are valid during the call only. Thread safety as store.h. */
#ifndef TT_STORE_REQUESTS_STORE_H
#define TT_STORE_REQUESTS_STORE_H

#include "../core/request_state.h"
#include "store.h"

#define TT_RQ_OUTCOME_MAX 2048 /* JSON without personal values: what was kept and why */
#define TT_RQ_REASON_MAX 512   /* staff's grounds / method text (no personal values) */

struct tt_request {
    char id[TT_ID_MAX]; /* "req_…" */
    char tenant_id[TT_ID_MAX];
    char subject_id[TT_ID_MAX];
    enum tt_rq_type type;
    enum tt_rq_channel channel;
    enum tt_rq_state state;
    char rule[TT_KEY_MAX];      /* deadline rule key (policy deadlines) */
    char purpose[TT_KEY_MAX];   /* objection / consent withdrawal: the purpose, else "" */
    char created_by[TT_ID_MAX]; /* key or account id */
    tt_time received_at;
    tt_time due_at;                 /* current deadline (extended one once extended) */
    tt_time max_due_at;             /* the latest an extension may reach */
    tt_time original_due_at;        /* the deadline before any extension */
    tt_time notice_at;              /* when the requester was told of the extension; 0 = none */
    tt_time verified_at;            /* 0 = not verified */
    char verify_method[TT_KEY_MAX]; /* "code", "controller", "staff" */
    char code_hash[TT_HASH_HEX];    /* keyed hash of the pending one-time code, "" = none */
    tt_time code_expires_at;
    int code_attempts;  /* wrong codes so far (locked at 5) */
    tt_time flagged_at; /* last time the deadline job flagged it (due soon/overdue) */
    tt_time completed_at;
    tt_time updated_at;
    char outcome[TT_RQ_OUTCOME_MAX]; /* JSON object text, "{}" when nothing to say */
    const uint8_t *attachment_enc;   /* S8.1b the original letter/email, sealed (REQUEST key) */
    size_t attachment_enc_len;
    const uint8_t *confirmation_enc; /* S7.7 the completion confirmation, sealed (REQUEST key) */
    size_t confirmation_enc_len;
};

/* One step of a request's timeline (who, when, from which state to which, and why). */
struct tt_request_event {
    char tenant_id[TT_ID_MAX];
    char request_id[TT_ID_MAX];
    int64_t seq; /* 1, 2, … per request */
    tt_time at;
    char actor[TT_ID_MAX];
    char event[TT_KEY_MAX]; /* "created", "code_sent", "verify", "extend", … */
    enum tt_rq_state from_state;
    enum tt_rq_state to_state;
    char reason[TT_RQ_REASON_MAX];
};

/* A one-time export download: the ZIP sealed under the subject's REQUEST key. */
struct tt_export {
    char tenant_id[TT_ID_MAX];
    char token_hash[TT_HASH_HEX]; /* BLAKE2b of the link token; the token is never stored */
    char request_id[TT_ID_MAX];
    char subject_id[TT_ID_MAX];
    tt_time created_at;
    tt_time expires_at;
    tt_time used_at;            /* 0 = not downloaded yet */
    const uint8_t *archive_enc; /* NULL once used */
    size_t archive_enc_len;
};

/* List filter of the console queue: state < 0 any open state, else that state; due_before 0 =
 * any; ordered by (due_at, id), paged after (after_due, after_id). */
struct tt_request_filter {
    int state;
    tt_time due_before;
    tt_time after_due;
    char after_id[TT_ID_MAX];
    int limit; /* 1..1000 */
};

/* A rectified value's former version (S1.5, issue 5): when a record's value is corrected, the value
 * it had is kept sealed under the subject's MAIN key (associated data "tenant/subject/rct-id"),
 * with who, when, why and the request it answers, so the subject's export and the DPO see the
 * history; erasure deletes these rows and shreds the key. */
struct tt_rectification {
    char tenant_id[TT_ID_MAX];
    char id[TT_ID_MAX]; /* "rct_…" */
    char subject_id[TT_ID_MAX];
    char target_id[TT_ID_MAX];  /* the record ("rec_…") corrected */
    char field[TT_KEY_MAX];     /* the record's data category */
    char request_id[TT_ID_MAX]; /* the rectification request it answers, "" = none */
    char actor[TT_ID_MAX];      /* key or account id */
    tt_time at;
    char reason[TT_RQ_REASON_MAX]; /* no personal values */
    const uint8_t *old_enc;        /* the former value, sealed; owner: the filler */
    size_t old_enc_len;
};

/* One row the purge of finished requests deleted (S7.7): ids only, never a value. */
struct tt_purged {
    enum { TT_PURGED_EVENT, TT_PURGED_EXPORT, TT_PURGED_REQUEST } what;
    char tenant_id[TT_ID_MAX];
    char request_id[TT_ID_MAX];
    enum tt_rq_type type; /* TT_PURGED_REQUEST only */
};

/* The current sealed value of a record to rectify, with its owner. */
struct tt_rct_target {
    char subject_id[TT_ID_MAX];
    char field[TT_KEY_MAX];   /* the record's data category */
    const uint8_t *value_enc; /* valid during the callback only */
    size_t value_enc_len;
};

typedef int (*tt_request_cb)(void *cls, const struct tt_request *r);
typedef int (*tt_request_event_cb)(void *cls, const struct tt_request_event *e);

struct tt_requests_store_ops {
    enum tt_qs (*put)(struct tt_store_conn *c, const struct tt_request *r);
    /* every mutable column (all but ids, type, channel, received_at); a NULL blob leaves the
     * stored one as it is; NONE when absent */
    enum tt_qs (*update)(struct tt_store_conn *c, const struct tt_request *r);
    enum tt_qs (*get)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                      tt_request_cb cb, void *cls);
    enum tt_qs (*list)(struct tt_store_conn *c, const char *tenant_id,
                       const struct tt_request_filter *f, tt_request_cb cb, void *cls);
    /* open requests of every tenant, with id > after_id within (tenant, id) order, limit rows */
    enum tt_qs (*scan_open)(struct tt_store_conn *c, const char *after_tenant, const char *after_id,
                            int limit, tt_request_cb cb, void *cls);
    /* the subject's requests (export), in id order */
    enum tt_qs (*list_subject)(struct tt_store_conn *c, const char *tenant_id,
                               const char *subject_id, tt_request_cb cb, void *cls);

    enum tt_qs (*event_put)(struct tt_store_conn *c, const struct tt_request_event *e);
    enum tt_qs (*event_list)(struct tt_store_conn *c, const char *tenant_id, const char *request_id,
                             tt_request_event_cb cb, void *cls);

    enum tt_qs (*export_put)(struct tt_store_conn *c, const struct tt_export *x);
    /* the export with that token hash (archive included while unused) */
    enum tt_qs (*export_get)(struct tt_store_conn *c, const char *tenant_id, const char *token_hash,
                             int (*cb)(void *, const struct tt_export *), void *cls);
    /* marks it used at `at` and drops the archive; NONE when already used */
    enum tt_qs (*export_use)(struct tt_store_conn *c, const char *tenant_id, const char *token_hash,
                             tt_time at);

    /* erasure: deletes up to limit records of the subject, except those with legal_basis
     * legal_obligation whose retention_until > keep_after (S7.4), and writes how many went into
     * *deleted; ONE when some went, NONE when none was left */
    enum tt_qs (*record_delete_batch)(struct tt_store_conn *c, const char *tenant_id,
                                      const char *subject_id, tt_time keep_after, int limit,
                                      int64_t *deleted);
    /* erasure with no hold in force: the subject's records under a legal obligation whose
     * retention_until > keep_after (S7.4), in record_id order (id, subject, service, category,
     * legal basis, retention_until and value_enc filled), and in *total how many records the
     * subject has in all; returns the number of kept rows passed to cb, or SOFT/HARD */
    enum tt_qs (*record_kept_list)(struct tt_store_conn *c, const char *tenant_id,
                                   const char *subject_id, tt_time keep_after, tt_record_cb cb,
                                   void *cls, int64_t *total);
    /* replaces a record's sealed value (re-sealed under another key class); NONE when absent */
    enum tt_qs (*record_reseal)(struct tt_store_conn *c, const char *tenant_id,
                                const char *record_id, const uint8_t *value_enc, size_t len);
    /* deletes every identity of the subject; ONE/NONE whether any went */
    enum tt_qs (*identity_delete_subject)(struct tt_store_conn *c, const char *tenant_id,
                                          const char *subject_id);

    /* S7.7: deletes up to limit requests finished (completed, partially completed, rejected)
     * before `before`, oldest first, with their timelines and export rows; cb (when not NULL)
     * gets every row deleted (timeline events, exports, then requests; it must not stop
     * early); *deleted gets how many requests went. ONE when some went, NONE when none was
     * due. */
    enum tt_qs (*purge_finished)(struct tt_store_conn *c, tt_time before, int limit,
                                 int (*cb)(void *, const struct tt_purged *), void *cls,
                                 int64_t *deleted);

    /* rectification (S1.5): record target_id of the tenant (its new value is written with
     * record_reseal); NONE when absent */
    enum tt_qs (*rct_target_get)(struct tt_store_conn *c, const char *tenant_id,
                                 const char *target_id,
                                 int (*cb)(void *, const struct tt_rct_target *), void *cls);
    enum tt_qs (*rct_put)(struct tt_store_conn *c, const struct tt_rectification *h);
    /* the subject's former values, oldest first (in the order they were written) */
    enum tt_qs (*rct_list)(struct tt_store_conn *c, const char *tenant_id, const char *subject_id,
                           int (*cb)(void *, const struct tt_rectification *), void *cls);
    /* identity rectification (S1.5): replaces identity_id's blind index and sealed value in
     * place when it belongs to subject_id; NONE when absent or when another identity of the
     * tenant holds that blind index (look it up first to tell which) */
    enum tt_qs (*rct_identity_set)(struct tt_store_conn *c, const char *tenant_id,
                                   const char *subject_id, const char *identity_id,
                                   const char *blind_hex, const uint8_t *value_enc, size_t len);
    /* erasure: deletes the subject's history; ONE/NONE whether any went */
    enum tt_qs (*rct_delete_subject)(struct tt_store_conn *c, const char *tenant_id,
                                     const char *subject_id);
};

#endif
