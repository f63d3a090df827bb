/* SPDX-License-Identifier: Apache-2.0 */
/* retention_store.h — the retention area of the store (issue 6; store/areas.h: migrations
 * 400..499, statement slots 256..319): legal holds, the sweep's expired-row scan and delete,
 * subject horizons, anonymised statistics cells, what is due per day, retention-end recomputation
 * and per-tenant claims (leases with a resumable cursor) so two nodes never sweep one tenant at
 * once. Status conventions as in store.h; text handed to callbacks is valid during the call. */
#ifndef TT_STORE_RETENTION_STORE_H
#define TT_STORE_RETENTION_STORE_H

#include "../core/retention_plan.h"
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

/* Rows a sweep batch deleted (issue 6): one group of the same subject, service, data category,
 * purpose and collection day, with how many rows it held (1 per row where the backend returns
 * rows, more where it groups them). No record id, no value: only what the fold and the counts
 * per rule need. */
struct tt_swept_rows {
    const char *subject_id;
    const char *service;
    const char *data_category;
    const char *purpose;
    tt_time collected_at; /* of a row of the group: only its day counts */
    int64_t rows;
    int child; /* S10.1: deleted as a child's data, ahead of any rule */
};

/* A subject of a sweep batch: its jurisdiction (the statistics' country) and its horizon. */
struct tt_sweep_subject {
    const char *subject_id;
    const char *jurisdiction;
    tt_time horizon; /* the subject's retention_until */
    int child;
};

/* One row of a sweep preview: what would go (held = 0) or stays held (held = 1). */
struct tt_sweep_preview_row {
    const char *service;
    const char *data_category;
    const char *purpose;
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
    const char *data_category;
    const char *purpose;
    const char *jurisdiction;
    tt_time collected_at;
    tt_time retention_until;
    tt_time contract_ended_at; /* the subject's, 0 = running */
    tt_time withdrawn_at; /* when the subject withdrew the record's purpose (or objected), 0 none */
};

/* What one set-based recomputation (recompute_ends) did. */
struct tt_ends_result {
    int64_t seen;         /* records in the range (by subject: 0) */
    int64_t changed;      /* ends moved */
    char last[TT_ID_MAX]; /* the range's last record id, "" when it was empty */
};

typedef int (*tt_hold_cb)(void *cls, const struct tt_hold *h);
typedef int (*tt_swept_cb)(void *cls, const struct tt_swept_rows *g);
typedef int (*tt_sweep_subject_cb)(void *cls, const struct tt_sweep_subject *s);
typedef int (*tt_preview_cb)(void *cls, const struct tt_sweep_preview_row *r);
typedef int (*tt_stat_cb)(void *cls, const struct tt_stat_cell *cell);
typedef int (*tt_due_cb)(void *cls, int64_t day, const char *service, int64_t rows);
typedef int (*tt_recompute_cb)(void *cls, const struct tt_recompute_row *r);
typedef int (*tt_withdrawal_cb)(void *cls, const char *subject_id, tt_time at);

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

    /* Deletes up to limit records of tenant that are due at "at" — of a child subject (S10.1)
     * first, then expired (0 < retention_until <= at) — and not held (with_holds = 0 skips the
     * hold test when the caller knows the tenant has no active hold), set-based (one DELETE …
     * RETURNING per kind; on PostgreSQL rows locked by another transaction are passed by), and
     * hands what went to cb in groups. Returns the number of rows deleted (>= 0) or an error;
     * cb returning non-zero is an error (the caller rolls the batch back). */
    enum tt_qs (*expired_take)(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                               int with_holds, int limit, tt_swept_cb cb, void *cls);
    /* The subjects of ids (n of them, of tenant) for the fold and the horizons; unknown ids are
     * skipped. Returns how many were found or an error. */
    enum tt_qs (*sweep_subjects)(struct tt_store_conn *c, const char *tenant_id,
                                 const char *const *ids, size_t n, tt_sweep_subject_cb cb,
                                 void *cls);
    /* Deletes n records by handle in the caller's transaction (by rowid on SQLite, one
     * statement over the record ids on PostgreSQL; used by erasure): the number deleted (>= 0)
     * or an error. */
    enum tt_qs (*expired_delete)(struct tt_store_conn *c, const char *tenant_id,
                                 const struct tt_row_ref *rows, size_t n);
    /* Sets the subject's retention_until to the latest end of its remaining records (0 none). */
    enum tt_qs (*subject_horizon)(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, tt_time now);
    /* What a sweep at "at" would delete or find held, per service, category and purpose (dry
     * run). */
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

    /* recomputation, read side (the per-row view of the ends: tests, erasure's held rows): a page
     * of the tenant's records after after_id in record_id order (a range of the primary key;
     * service "" = all), and one subject's records */
    enum tt_qs (*recompute_page)(struct tt_store_conn *c, const char *tenant_id,
                                 const char *service, const char *after_id, int limit,
                                 tt_recompute_cb cb, void *cls);
    enum tt_qs (*recompute_subject)(struct tt_store_conn *c, const char *tenant_id,
                                    const char *subject_id, tt_recompute_cb cb, void *cls);
    /* Set-based recomputation (store/retention_ends_sql.h): the ends of the next range of up to
     * limit of the tenant's records after after_id in record_id order — or, with subject_id
     * non-empty, of all that subject's records — computed from plan in ONE UPDATE that writes
     * only the ends that move (service "" = every service, else only that service's records).
     * Fills *out; returns TT_QS_ONE or an error. */
    enum tt_qs (*recompute_ends)(struct tt_store_conn *c, const char *tenant_id,
                                 const struct tt_end_plan *plan, const char *service,
                                 const char *subject_id, const char *after_id, int limit,
                                 struct tt_ends_result *out);

    /* S7.3: the subjects of tenant with a purpose withdrawn or objected to at or after "since",
     * each once with its latest such time, in time order, at most limit of them. Returns how
     * many were passed to cb or an error. */
    enum tt_qs (*withdrawals_since)(struct tt_store_conn *c, const char *tenant_id, tt_time since,
                                    int limit, tt_withdrawal_cb cb, void *cls);

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
