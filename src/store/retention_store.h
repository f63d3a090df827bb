/* SPDX-License-Identifier: Apache-2.0 */
/* retention_store.h — the retention area of the store (issue 6; store/areas.h: migrations
 * 400..499, statement slots 256..319): legal holds, the sweep's expired-row scan and delete,
 * subject horizons, anonymised statistics cells, what is due per day, retention-end recomputation
 * and per-tenant claims (leases with a resumable cursor) so two nodes never sweep one tenant at
 * once. Status conventions as in store.h; text handed to callbacks is valid during the call. */
#ifndef TT_STORE_RETENTION_STORE_H
#define TT_STORE_RETENTION_STORE_H

#include "store.h"

#define TT_HOLD_REASON_MAX 256

/* A legal hold (S7.6): suspends deletion of what it covers until released or until "until".
 * Empty scope fields cover everything: a hold with all three empty holds the whole tenant. */
struct tt_hold {
    char id[TT_ID_MAX]; /* "hld_…" */
    char tenant_id[TT_ID_MAX];
    char subject_id[TT_ID_MAX];      /* "" = every subject */
    char service[TT_KEY_MAX];        /* "" = every service */
    char data_category[TT_KEY_MAX];  /* "" = every category */
    char reason[TT_HOLD_REASON_MAX]; /* a case reference, required; never personal data */
    char created_by[TT_ID_MAX];      /* key or account id */
    tt_time until;                   /* 0 = until released */
    tt_time created_at;
    tt_time released_at; /* 0 = active */
};

/* One expired record as the sweep sees it, with its subject's columns the fold needs. */
struct tt_expired_row {
    int64_t rowid; /* backend row handle, valid inside the transaction */
    const char *record_id;
    const char *subject_id;
    const char *service;
    const char *jurisdiction; /* the subject's */
    tt_time collected_at;
    tt_time retention_until;
    tt_time subject_horizon; /* the subject's retention_until */
    int child;               /* S10.1: the subject is a child */
};

/* One row of a sweep preview: what would go (held = 0) or stays held (held = 1). */
struct tt_sweep_preview_row {
    const char *service;
    int child;
    int held;
    int64_t rows;
};

/* A statistics cell (S7.8): no subject column, day granularity. */
struct tt_stat_cell {
    char tenant_id[TT_ID_MAX];
    char service[TT_KEY_MAX];
    char country[TT_JURIS_MAX]; /* ISO alpha-2 of the jurisdiction, "ZZ" unknown */
    int64_t day;                /* unix day (seconds / 86400) the data was collected */
    int64_t messages;
    int64_t subjects; /* distinct subjects, a lower bound (never overcounted) */
};

/* A row the sweep deletes: both handles, so each backend uses the cheaper one. */
struct tt_row_ref {
    int64_t rowid; /* SQLite rowid (0 on PostgreSQL) */
    const char *record_id;
};

/* A record whose retention end is being recomputed. */
struct tt_recompute_row {
    int64_t rowid; /* SQLite rowid (0 on PostgreSQL), valid inside the transaction */
    const char *record_id;
    const char *subject_id;
    const char *service;
    const char *jurisdiction;
    tt_time collected_at;
    tt_time retention_until;
    tt_time contract_ended_at; /* the subject's, 0 = running */
};

/* A new retention end for one record, as recompute_page or recompute_subject saw it. */
struct tt_end_change {
    int64_t rowid; /* from tt_recompute_row */
    const char *record_id;
    tt_time retention_until;
};

typedef int (*tt_hold_cb)(void *cls, const struct tt_hold *h);
typedef int (*tt_expired_cb)(void *cls, const struct tt_expired_row *r);
typedef int (*tt_preview_cb)(void *cls, const struct tt_sweep_preview_row *r);
typedef int (*tt_stat_cb)(void *cls, const struct tt_stat_cell *cell);
typedef int (*tt_due_cb)(void *cls, int64_t day, const char *service, int64_t rows);
typedef int (*tt_recompute_cb)(void *cls, const struct tt_recompute_row *r);

struct tt_retention_store_ops {
    /* holds: put (NONE if the id exists), release (NONE if unknown or released already), get,
     * list (active_at 0 = every hold, else only those active then), count of active ones */
    enum tt_qs (*hold_put)(struct tt_store_conn *c, const struct tt_hold *h);
    enum tt_qs (*hold_release)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                               tt_time at);
    enum tt_qs (*hold_get)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           struct tt_hold *out);
    enum tt_qs (*hold_list)(struct tt_store_conn *c, const char *tenant_id, tt_time active_at,
                            tt_hold_cb cb, void *cls);
    enum tt_qs (*hold_active_count)(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                                    int64_t *out);

    /* Up to limit records of tenant that are due at "at": expired (0 < retention_until <= at)
     * or of a child subject (S10.1), and not held (with_holds = 0 skips the hold test when the
     * caller knows the tenant has no active hold). Read inside the batch's transaction. */
    enum tt_qs (*expired_scan)(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                               int with_holds, int limit, tt_expired_cb cb, void *cls);
    /* Deletes n rows seen by expired_scan in the same transaction (by rowid on SQLite, one
     * statement over the record ids on PostgreSQL): the number deleted (>= 0) or an error. */
    enum tt_qs (*expired_delete)(struct tt_store_conn *c, const char *tenant_id,
                                 const struct tt_row_ref *rows, size_t n);
    /* Sets the subject's retention_until to the latest end of its remaining records (0 none). */
    enum tt_qs (*subject_horizon)(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, tt_time now);
    /* What a sweep at "at" would delete or find held, per service (dry run). */
    enum tt_qs (*sweep_preview)(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                                tt_preview_cb cb, void *cls);

    /* statistics: add to a cell (messages summed, subjects the larger of the two), and list a
     * tenant's cells with from_day <= day <= to_day, service "" = all, subjects >= k only */
    enum tt_qs (*stat_add)(struct tt_store_conn *c, const struct tt_stat_cell *cell);
    enum tt_qs (*stat_list)(struct tt_store_conn *c, const char *tenant_id, int64_t from_day,
                            int64_t to_day, const char *service, int64_t k, tt_stat_cb cb,
                            void *cls);

    /* records due per (day, service) with from <= retention_until < to */
    enum tt_qs (*due_per_day)(struct tt_store_conn *c, const char *tenant_id, tt_time from,
                              tt_time to, tt_due_cb cb, void *cls);

    /* recomputation: a page of the tenant's records after after_id in record_id order (a range
     * of the primary key; service "" = all), one subject's records, and the update of n ends seen
     * in the same transaction (by rowid on SQLite, one statement on PostgreSQL): the number
     * updated (>= 0) or an error */
    enum tt_qs (*recompute_page)(struct tt_store_conn *c, const char *tenant_id,
                                 const char *service, const char *after_id, int limit,
                                 tt_recompute_cb cb, void *cls);
    enum tt_qs (*recompute_subject)(struct tt_store_conn *c, const char *tenant_id,
                                    const char *subject_id, tt_recompute_cb cb, void *cls);
    enum tt_qs (*record_ends_set)(struct tt_store_conn *c, const char *tenant_id,
                                  const struct tt_end_change *v, size_t n);

    /* Claims (tenant, name) for holder until expires_at when free, expired, or already the
     * holder's: ONE when held by holder afterwards, NONE when someone else holds it. */
    enum tt_qs (*claim)(struct tt_store_conn *c, const char *tenant_id, const char *name,
                        const char *holder, tt_time now, tt_time expires_at);
    /* Lets go of a claim (only the holder's), keeping its cursor; cursor NULL leaves it. */
    enum tt_qs (*claim_release)(struct tt_store_conn *c, const char *tenant_id, const char *name,
                                const char *holder, const char *cursor);
    /* Stores cursor with the claim while holder holds it: ONE, or NONE when it does not. */
    enum tt_qs (*claim_cursor_set)(struct tt_store_conn *c, const char *tenant_id, const char *name,
                                   const char *holder, const char *cursor);
    /* The cursor stored with a claim ("" when none): ONE, or NONE when no claim row exists. */
    enum tt_qs (*claim_cursor)(struct tt_store_conn *c, const char *tenant_id, const char *name,
                               char *out, size_t out_size);
};

#endif
