/* SPDX-License-Identifier: Apache-2.0 */
/* retention.c — the retention area's queries on SQLite (issue 6): legal holds, the sweep's scan
 * of due records (expired or of a child subject, not held) and their deletion by rowid, subject
 * horizons, statistics cells, records due per day, recomputation pages and per-tenant claims.
 * Statement slots 256..319 (store/areas.h). */
#include "sq.h"

#include <stdio.h>
#include <string.h>

#include "../retention_store.h"
#include "retention_ends.h"

enum {
    ST_HOLD_PUT = TT_STORE_SLOT_BASE(TT_AREA_RETENTION),
    ST_HOLD_RELEASE,
    ST_HOLD_GET,
    ST_HOLD_LIST_ALL,
    ST_HOLD_LIST_ACTIVE,
    ST_HOLD_COUNT,
    ST_EXP_CHILD,
    ST_EXP_CHILD_HOLDS,
    ST_EXP_DUE_HOLDS,
    ST_EXP_DELETE,
    ST_HORIZON,
    ST_PREVIEW,
    ST_STAT_ADD,
    ST_STAT_LIST,
    ST_DUE_DAY,
    ST_RECOMPUTE_PAGE,
    ST_RECOMPUTE_SUBJECT,
    ST_CLAIM,
    ST_CLAIM_RELEASE,
    ST_CLAIM_CURSOR_SET,
    ST_CLAIM_CURSOR,
    ST_SWEEP_SUBJECT,
    ST_BULK_CACHE,
    ST_DUE_BOUND,
    ST_DUE_RANGE,
    ST__END
};
_Static_assert(ST__END <= TT_SQ_ST_WITHDRAWALS, "retention statements overflow their range");

#define HOLD_COLS                                                                                  \
    "tenant_id, hold_id, subject_id, service, data_category, reason, created_by, until_at,"        \
    " created_at, released_at"
/* r: the record, ?2: the time the holds are judged at */
#define NOT_HELD                                                                                   \
    " AND NOT EXISTS (SELECT 1 FROM retention_holds h WHERE h.tenant_id = r.tenant_id"             \
    " AND h.released_at = 0 AND (h.until_at = 0 OR h.until_at > ?2)"                               \
    " AND h.subject_id IN ('', r.subject_id) AND h.service IN ('', r.service)"                     \
    " AND h.data_category IN ('', r.data_category))"
/* The sweep's two set-based deletes (issue 6): the batch is chosen by a subquery, deleted in
 * one statement and handed back by RETURNING — no per-row statement, no subject lookup per row.
 * CROSS JOIN keeps SQLite's join order as written: children come from the partial index
 * retention_child_idx and their records from records_subject_idx; the due rows are a range of
 * records_retention_idx (a child's expired rows are simply due too). */
#define TAKE_RETURNING " RETURNING subject_id, service, data_category, purpose, collected_at"
#define TAKE_CHILD(held)                                                                           \
    "DELETE FROM records WHERE rowid IN (SELECT r.rowid FROM subjects s INDEXED BY"                \
    " retention_child_idx CROSS JOIN records r ON r.tenant_id = s.tenant_id"                       \
    " AND r.subject_id = s.subject_id WHERE s.tenant_id = ?1 AND s.is_child = 1" held              \
    " LIMIT ?3)" TAKE_RETURNING
#define TAKE_DUE(held)                                                                             \
    "DELETE FROM records WHERE rowid IN (SELECT r.rowid FROM records r INDEXED BY"                 \
    " records_retention_idx WHERE r.tenant_id = ?1 AND r.retention_until > 0"                      \
    " AND r.retention_until <= ?2" held " LIMIT ?3)" TAKE_RETURNING

/* ---- holds ---- */

static int hold_row(sqlite3_stmt *st, void *ctx)
{
    struct tt_hold *h = ctx;
    memset(h, 0, sizeof *h);
    tt__sq_col_text(st, 0, h->tenant_id, sizeof h->tenant_id);
    tt__sq_col_text(st, 1, h->id, sizeof h->id);
    tt__sq_col_text(st, 2, h->subject_id, sizeof h->subject_id);
    tt__sq_col_text(st, 3, h->service, sizeof h->service);
    tt__sq_col_text(st, 4, h->data_category, sizeof h->data_category);
    tt__sq_col_text(st, 5, h->reason, sizeof h->reason);
    tt__sq_col_text(st, 6, h->created_by, sizeof h->created_by);
    h->until = sqlite3_column_int64(st, 7);
    h->created_at = sqlite3_column_int64(st, 8);
    h->released_at = sqlite3_column_int64(st, 9);
    return 0;
}

struct hold_each {
    tt_hold_cb cb;
    void *cls;
};

static int hold_each_row(sqlite3_stmt *st, void *ctx)
{
    struct hold_each *e = ctx;
    struct tt_hold h;
    hold_row(st, &h);
    return e->cb && e->cb(e->cls, &h) ? 1 : 0;
}

static enum tt_qs hold_put(struct tt_store_conn *c, const struct tt_hold *h)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, ST_HOLD_PUT,
        "INSERT INTO retention_holds (" HOLD_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, h->tenant_id) || tt__sq_bind_text(st, 2, h->id) ||
        tt__sq_bind_text(st, 3, h->subject_id) || tt__sq_bind_text(st, 4, h->service) ||
        tt__sq_bind_text(st, 5, h->data_category) || tt__sq_bind_text(st, 6, h->reason) ||
        tt__sq_bind_text(st, 7, h->created_by) || tt__sq_bind_int(st, 8, h->until) ||
        tt__sq_bind_int(st, 9, h->created_at) || tt__sq_bind_int(st, 10, h->released_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs hold_release(struct tt_store_conn *c, const char *tenant_id, const char *id,
                               tt_time at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_HOLD_RELEASE,
                                   "UPDATE retention_holds SET released_at = ?3"
                                   " WHERE tenant_id = ?1 AND hold_id = ?2 AND released_at = 0",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id) ||
        tt__sq_bind_int(st, 3, at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs hold_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           struct tt_hold *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_HOLD_GET,
                                   "SELECT " HOLD_COLS " FROM retention_holds"
                                   " WHERE tenant_id = ? AND hold_id = ?",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id))
        return tt__sq_bind_failed(q, st);
    struct tt_hold h;
    qs = tt__sq_one(q, st, hold_row, &h);
    if (qs == TT_QS_ONE)
        *out = h;
    return qs;
}

static enum tt_qs hold_list(struct tt_store_conn *c, const char *tenant_id, tt_time active_at,
                            tt_hold_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        active_at ? tt__sq_stmt(q, ST_HOLD_LIST_ACTIVE,
                                "SELECT " HOLD_COLS " FROM retention_holds WHERE tenant_id = ?1"
                                " AND released_at = 0 AND (until_at = 0 OR until_at > ?2)"
                                " ORDER BY hold_id",
                                &qs)
                  : tt__sq_stmt(q, ST_HOLD_LIST_ALL,
                                "SELECT " HOLD_COLS " FROM retention_holds WHERE tenant_id = ?1"
                                " ORDER BY hold_id",
                                &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || (active_at && tt__sq_bind_int(st, 2, active_at)))
        return tt__sq_bind_failed(q, st);
    struct hold_each e = {cb, cls};
    return tt__sq_each(q, st, hold_each_row, &e);
}

static enum tt_qs hold_active_count(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                                    int64_t *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_HOLD_COUNT,
                                   "SELECT COUNT(*) FROM retention_holds WHERE tenant_id = ?1"
                                   " AND released_at = 0 AND (until_at = 0 OR until_at > ?2)",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, at))
        return tt__sq_bind_failed(q, st);
    int64_t n = 0;
    qs = tt__sq_one(q, st, tt__sq_int_row, &n);
    if (qs == TT_QS_ONE)
        *out = n;
    return qs;
}

/* ---- the sweep ---- */

/* The bulk passes (sweep, recomputation) read a batch and then write the same pages: a 32 MiB
 * page cache on the connection keeps them between the two instead of re-reading them (the default
 * is 2 MiB). A pragma is cheap to run again, so every bulk statement sets it. */
enum tt_qs tt__sq_bulk_cache(struct sq_conn *q)
{
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_BULK_CACHE, "PRAGMA cache_size = -32768", &qs);
    if (!st)
        return qs;
    qs = tt__sq_write(q, st);
    return qs < 0 ? qs : TT_QS_ONE;
}

struct take_each {
    tt_swept_cb cb;
    void *cls;
    int child;
};

static int take_row(sqlite3_stmt *st, void *ctx)
{
    struct take_each *e = ctx;
    struct tt_swept_rows g = {
        .subject_id = (const char *)sqlite3_column_text(st, 0),
        .service = (const char *)sqlite3_column_text(st, 1),
        .data_category = (const char *)sqlite3_column_text(st, 2),
        .purpose = (const char *)sqlite3_column_text(st, 3),
        .collected_at = sqlite3_column_int64(st, 4),
        .rows = 1,
        .child = e->child,
    };
    if (!g.subject_id || !g.service || !g.data_category || !g.purpose)
        return -1;
    return e->cb(e->cls, &g) ? -1 : 0;
}

static enum tt_qs run_take(struct sq_conn *q, int id, const char *sql, const char *tenant_id,
                           tt_time at, int limit, struct take_each *e)
{
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, id, sql, &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, at) ||
        tt__sq_bind_int(st, 3, limit))
        return tt__sq_bind_failed(q, st);
    return tt__sq_each(q, st, take_row, e);
}

/* Without holds, the due rows of a batch are a plain range of records_retention_idx: the batch's
 * last (retention_until, rowid) is found in the index alone, and the delete is the same range
 * statement as a raw DELETE (no list of rowids to build first). */
#define DUE_RANGE                                                                                  \
    "DELETE FROM records INDEXED BY records_retention_idx WHERE tenant_id = ?1"                    \
    " AND retention_until > 0 AND retention_until <= ?2"                                           \
    " AND (retention_until, rowid) <= (?3, ?4)" TAKE_RETURNING

struct bound {
    int64_t until, rowid;
};

static int bound_row(sqlite3_stmt *st, void *ctx)
{
    struct bound *b = ctx;
    b->until = sqlite3_column_int64(st, 0);
    b->rowid = sqlite3_column_int64(st, 1);
    return 0;
}

static enum tt_qs take_due_range(struct sq_conn *q, const char *tenant_id, tt_time at, int limit,
                                 struct take_each *e)
{
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_DUE_BOUND,
                                   "SELECT retention_until, rowid FROM records INDEXED BY"
                                   " records_retention_idx WHERE tenant_id = ?1"
                                   " AND retention_until > 0 AND retention_until <= ?2"
                                   " ORDER BY retention_until, rowid LIMIT 1 OFFSET ?3",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, at) ||
        tt__sq_bind_int(st, 3, limit - 1))
        return tt__sq_bind_failed(q, st);
    struct bound b = {at, INT64_MAX}; /* fewer than limit due: all of them */
    qs = tt__sq_one(q, st, bound_row, &b);
    if (qs < 0)
        return qs;
    st = tt__sq_stmt(q, ST_DUE_RANGE, DUE_RANGE, &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, at) ||
        tt__sq_bind_int(st, 3, b.until) || tt__sq_bind_int(st, 4, b.rowid))
        return tt__sq_bind_failed(q, st);
    return tt__sq_each(q, st, take_row, e);
}

/* S10.1 first: a child's records go ahead of any rule; then what has expired. */
static enum tt_qs expired_take(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                               int with_holds, int limit, tt_swept_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    if (limit < 1 || !cb)
        return TT_QS_NONE;
    enum tt_qs qs = tt__sq_bulk_cache(q);
    if (qs < 0)
        return qs;
    struct take_each e = {cb, cls, 1};
    enum tt_qs n1 =
        with_holds
            ? run_take(q, ST_EXP_CHILD_HOLDS, TAKE_CHILD(NOT_HELD), tenant_id, at, limit, &e)
            : run_take(q, ST_EXP_CHILD, TAKE_CHILD(" AND ?2 = ?2"), tenant_id, at, limit, &e);
    if (n1 < 0 || (int)n1 >= limit)
        return n1;
    e.child = 0;
    enum tt_qs n2 = with_holds ? run_take(q, ST_EXP_DUE_HOLDS, TAKE_DUE(NOT_HELD), tenant_id, at,
                                          limit - (int)n1, &e)
                               : take_due_range(q, tenant_id, at, limit - (int)n1, &e);
    if (n2 < 0)
        return n2;
    return (enum tt_qs)((int)n1 + (int)n2);
}

struct subj_each {
    tt_sweep_subject_cb cb;
    void *cls;
};

static int subj_row(sqlite3_stmt *st, void *ctx)
{
    struct subj_each *e = ctx;
    struct tt_sweep_subject x = {
        .subject_id = (const char *)sqlite3_column_text(st, 0),
        .jurisdiction = (const char *)sqlite3_column_text(st, 1),
        .horizon = sqlite3_column_int64(st, 2),
        .child = sqlite3_column_int64(st, 3) != 0,
    };
    if (!x.subject_id || !x.jurisdiction)
        return -1;
    return e->cb && e->cb(e->cls, &x) ? 1 : 0;
}

/* one primary-key lookup per distinct subject of the batch (never per row) */
static enum tt_qs sweep_subjects(struct tt_store_conn *c, const char *tenant_id,
                                 const char *const *ids, size_t n, tt_sweep_subject_cb cb,
                                 void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_SWEEP_SUBJECT,
                                   "SELECT subject_id, jurisdiction, retention_until, is_child"
                                   " FROM subjects WHERE tenant_id = ?1 AND subject_id = ?2",
                                   &qs);
    if (!st)
        return qs;
    struct subj_each e = {cb, cls};
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, ids[i]))
            return tt__sq_bind_failed(q, st);
        qs = tt__sq_each(q, st, subj_row, &e);
        if (qs < 0)
            return qs;
        found += (int)qs;
    }
    return (enum tt_qs)found;
}

/* erasure's delete of rows it has read (jobs/erasure.c) */
static enum tt_qs expired_delete(struct tt_store_conn *c, const char *tenant_id,
                                 const struct tt_row_ref *rows, size_t n)
{
    /* by rowid: the cheapest handle, one B-tree descent per row on a prepared statement */
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_EXP_DELETE,
                                   "DELETE FROM records WHERE rowid = ?1 AND tenant_id = ?2", &qs);
    if (!st)
        return qs;
    int deleted = 0;
    for (size_t i = 0; i < n; i++) {
        if (tt__sq_bind_int(st, 1, rows[i].rowid) || tt__sq_bind_text(st, 2, tenant_id))
            return tt__sq_bind_failed(q, st);
        qs = tt__sq_write(q, st);
        if (qs < 0)
            return qs;
        deleted += qs == TT_QS_ONE;
    }
    return (enum tt_qs)deleted;
}

static enum tt_qs subject_horizon(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, tt_time now)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, ST_HORIZON,
        "UPDATE subjects SET updated_at = ?3, retention_until = COALESCE((SELECT"
        " MAX(retention_until) FROM records WHERE tenant_id = ?1 AND subject_id = ?2), 0)"
        " WHERE tenant_id = ?1 AND subject_id = ?2",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id) ||
        tt__sq_bind_int(st, 3, now))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

struct preview_each {
    tt_preview_cb cb;
    void *cls;
};

static int preview_row(sqlite3_stmt *st, void *ctx)
{
    struct preview_each *e = ctx;
    struct tt_sweep_preview_row r = {
        .service = (const char *)sqlite3_column_text(st, 0),
        .child = sqlite3_column_int64(st, 1) != 0,
        .held = sqlite3_column_int64(st, 2) != 0,
        .rows = sqlite3_column_int64(st, 3),
        .data_category = (const char *)sqlite3_column_text(st, 4),
        .purpose = (const char *)sqlite3_column_text(st, 5),
    };
    if (!r.service || !r.data_category || !r.purpose)
        return -1;
    return e->cb && e->cb(e->cls, &r) ? 1 : 0;
}

static enum tt_qs sweep_preview(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                                tt_preview_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, ST_PREVIEW,
        "SELECT r.service, s.is_child, EXISTS (SELECT 1 FROM retention_holds h"
        "  WHERE h.tenant_id = r.tenant_id AND h.released_at = 0"
        "  AND (h.until_at = 0 OR h.until_at > ?2) AND h.subject_id IN ('', r.subject_id)"
        "  AND h.service IN ('', r.service) AND h.data_category IN ('', r.data_category)) AS held,"
        " COUNT(*), r.data_category, r.purpose FROM records r JOIN subjects s"
        " ON s.tenant_id = r.tenant_id AND s.subject_id = r.subject_id WHERE r.tenant_id = ?1"
        " AND (s.is_child = 1 OR (r.retention_until > 0 AND r.retention_until <= ?2))"
        " GROUP BY 1, 2, 3, 5, 6 ORDER BY 1, 5, 6, 2, 3",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, at))
        return tt__sq_bind_failed(q, st);
    struct preview_each e = {cb, cls};
    return tt__sq_each(q, st, preview_row, &e);
}

/* ---- statistics ---- */

static enum tt_qs stat_add(struct tt_store_conn *c, const struct tt_stat_cell *x)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, ST_STAT_ADD,
        "INSERT INTO retention_stats (tenant_id, day, service, country, messages, subjects)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant_id, day, service, country)"
        " DO UPDATE SET messages = messages + excluded.messages,"
        " subjects = MAX(subjects, excluded.subjects)",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, x->tenant_id) || tt__sq_bind_int(st, 2, x->day) ||
        tt__sq_bind_text(st, 3, x->service) || tt__sq_bind_text(st, 4, x->country) ||
        tt__sq_bind_int(st, 5, x->messages) || tt__sq_bind_int(st, 6, x->subjects))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

struct stat_each {
    tt_stat_cb cb;
    void *cls;
};

static int stat_row(sqlite3_stmt *st, void *ctx)
{
    struct stat_each *e = ctx;
    struct tt_stat_cell x;
    memset(&x, 0, sizeof x);
    tt__sq_col_text(st, 0, x.tenant_id, sizeof x.tenant_id);
    x.day = sqlite3_column_int64(st, 1);
    tt__sq_col_text(st, 2, x.service, sizeof x.service);
    tt__sq_col_text(st, 3, x.country, sizeof x.country);
    x.messages = sqlite3_column_int64(st, 4);
    x.subjects = sqlite3_column_int64(st, 5);
    return e->cb && e->cb(e->cls, &x) ? 1 : 0;
}

static enum tt_qs stat_list(struct tt_store_conn *c, const char *tenant_id, int64_t from_day,
                            int64_t to_day, const char *service, int64_t k, tt_stat_cb cb,
                            void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, ST_STAT_LIST,
        "SELECT tenant_id, day, service, country, messages, subjects FROM retention_stats"
        " WHERE tenant_id = ?1 AND day >= ?2 AND day <= ?3 AND (?4 = '' OR service = ?4)"
        " AND subjects >= ?5 ORDER BY day, service, country",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, from_day) ||
        tt__sq_bind_int(st, 3, to_day) || tt__sq_bind_text(st, 4, service ? service : "") ||
        tt__sq_bind_int(st, 5, k))
        return tt__sq_bind_failed(q, st);
    struct stat_each e = {cb, cls};
    return tt__sq_each(q, st, stat_row, &e);
}

/* ---- due per day ---- */

struct due_each {
    tt_due_cb cb;
    void *cls;
};

static int due_row(sqlite3_stmt *st, void *ctx)
{
    struct due_each *e = ctx;
    const char *service = (const char *)sqlite3_column_text(st, 1);
    if (!service)
        return -1;
    return e->cb && e->cb(e->cls, sqlite3_column_int64(st, 0), service, sqlite3_column_int64(st, 2))
               ? 1
               : 0;
}

static enum tt_qs due_per_day(struct tt_store_conn *c, const char *tenant_id, tt_time from,
                              tt_time to, tt_due_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_DUE_DAY,
                                   "SELECT retention_until / 86400 AS d, service, COUNT(*)"
                                   " FROM records WHERE tenant_id = ?1 AND retention_until > 0"
                                   " AND retention_until >= ?2 AND retention_until < ?3"
                                   " GROUP BY d, service ORDER BY d, service",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, from) ||
        tt__sq_bind_int(st, 3, to))
        return tt__sq_bind_failed(q, st);
    struct due_each e = {cb, cls};
    return tt__sq_each(q, st, due_row, &e);
}

/* ---- recomputation ---- */

struct rc_each {
    tt_recompute_cb cb;
    void *cls;
};

static int rc_row(sqlite3_stmt *st, void *ctx)
{
    struct rc_each *e = ctx;
    struct tt_recompute_row r = {
        .record_id = (const char *)sqlite3_column_text(st, 0),
        .subject_id = (const char *)sqlite3_column_text(st, 1),
        .service = (const char *)sqlite3_column_text(st, 2),
        .jurisdiction = (const char *)sqlite3_column_text(st, 3),
        .collected_at = sqlite3_column_int64(st, 4),
        .retention_until = sqlite3_column_int64(st, 5),
        .contract_ended_at = sqlite3_column_int64(st, 6),
        .rowid = sqlite3_column_int64(st, 7),
        .data_category = (const char *)sqlite3_column_text(st, 8),
        .purpose = (const char *)sqlite3_column_text(st, 9),
        .withdrawn_at = sqlite3_column_int64(st, 10),
    };
    if (!r.record_id || !r.subject_id || !r.service || !r.jurisdiction || !r.data_category ||
        !r.purpose)
        return -1;
    return e->cb && e->cb(e->cls, &r) ? 1 : 0;
}

/* records first (CROSS JOIN keeps the order): a page is a range of the primary key, never a
 * scan of every subject followed by a sort */
#define RC_COLS                                                                                    \
    "SELECT r.record_id, r.subject_id, r.service, s.jurisdiction, r.collected_at,"                 \
    " r.retention_until, s.contract_ended_at, r.rowid, r.data_category, r.purpose,"                \
    " COALESCE((SELECT sp.updated_at FROM subject_purposes sp WHERE sp.tenant_id = r.tenant_id"    \
    " AND sp.subject_id = r.subject_id AND sp.purpose = r.purpose AND (sp.consent = 2"             \
    " OR sp.objection <> 0)), 0) FROM records r CROSS JOIN subjects s"                             \
    " ON s.tenant_id = r.tenant_id AND s.subject_id = r.subject_id"

static enum tt_qs recompute_page(struct tt_store_conn *c, const char *tenant_id,
                                 const char *service, const char *after_id, int limit,
                                 tt_recompute_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    if (tt__sq_bulk_cache(q) < 0)
        return TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_RECOMPUTE_PAGE,
                                   RC_COLS " WHERE r.tenant_id = ?1 AND r.record_id > ?2"
                                           " AND (?3 = '' OR r.service = ?3)"
                                           " ORDER BY r.record_id LIMIT ?4",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, after_id ? after_id : "") ||
        tt__sq_bind_text(st, 3, service ? service : "") ||
        tt__sq_bind_int(st, 4, limit < 1 ? 1 : limit))
        return tt__sq_bind_failed(q, st);
    struct rc_each e = {cb, cls};
    return tt__sq_each(q, st, rc_row, &e);
}

static enum tt_qs recompute_subject(struct tt_store_conn *c, const char *tenant_id,
                                    const char *subject_id, tt_recompute_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, ST_RECOMPUTE_SUBJECT,
        RC_COLS " WHERE r.tenant_id = ?1 AND r.subject_id = ?2 ORDER BY r.record_id", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id))
        return tt__sq_bind_failed(q, st);
    struct rc_each e = {cb, cls};
    return tt__sq_each(q, st, rc_row, &e);
}

/* ---- claims ---- */

static enum tt_qs claim(struct tt_store_conn *c, const char *tenant_id, const char *name,
                        const char *holder, tt_time now, tt_time expires_at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, ST_CLAIM,
        "INSERT INTO retention_claims (tenant_id, name, holder, expires_at, cursor)"
        " VALUES (?1, ?2, ?3, ?5, '') ON CONFLICT (tenant_id, name) DO UPDATE SET"
        " holder = excluded.holder, expires_at = excluded.expires_at"
        " WHERE retention_claims.holder = excluded.holder OR retention_claims.expires_at <= ?4",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, name) ||
        tt__sq_bind_text(st, 3, holder) || tt__sq_bind_int(st, 4, now) ||
        tt__sq_bind_int(st, 5, expires_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs claim_release(struct tt_store_conn *c, const char *tenant_id, const char *name,
                                const char *holder, const char *cursor)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_CLAIM_RELEASE,
                                   "UPDATE retention_claims SET expires_at = 0,"
                                   " cursor = COALESCE(?4, cursor)"
                                   " WHERE tenant_id = ?1 AND name = ?2 AND holder = ?3",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, name) ||
        tt__sq_bind_text(st, 3, holder) ||
        (cursor ? tt__sq_bind_text(st, 4, cursor) : sqlite3_bind_null(st, 4)))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs claim_cursor_set(struct tt_store_conn *c, const char *tenant_id, const char *name,
                                   const char *holder, const char *cursor)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, ST_CLAIM_CURSOR_SET,
                                   "UPDATE retention_claims SET cursor = ?4"
                                   " WHERE tenant_id = ?1 AND name = ?2 AND holder = ?3",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, name) ||
        tt__sq_bind_text(st, 3, holder) || tt__sq_bind_text(st, 4, cursor ? cursor : ""))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

struct text_out {
    char *buf;
    size_t size;
};

static int text_row(sqlite3_stmt *st, void *ctx)
{
    struct text_out *t = ctx;
    tt__sq_col_text(st, 0, t->buf, t->size);
    return 0;
}

static enum tt_qs claim_cursor(struct tt_store_conn *c, const char *tenant_id, const char *name,
                               char *out, size_t out_size)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, ST_CLAIM_CURSOR,
                    "SELECT cursor FROM retention_claims WHERE tenant_id = ?1 AND name = ?2", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, name))
        return tt__sq_bind_failed(q, st);
    char buf[TT_ID_MAX * 2] = "";
    struct text_out t = {buf, sizeof buf};
    qs = tt__sq_one(q, st, text_row, &t);
    if (qs == TT_QS_ONE)
        snprintf(out, out_size, "%s", buf);
    return qs;
}

const struct tt_retention_store_ops tt__sq_retention_ops = {
    .hold_put = hold_put,
    .hold_release = hold_release,
    .hold_get = hold_get,
    .hold_list = hold_list,
    .hold_active_count = hold_active_count,
    .expired_take = expired_take,
    .sweep_subjects = sweep_subjects,
    .expired_delete = expired_delete,
    .subject_horizon = subject_horizon,
    .sweep_preview = sweep_preview,
    .stat_add = stat_add,
    .stat_list = stat_list,
    .due_per_day = due_per_day,
    .recompute_page = recompute_page,
    .recompute_subject = recompute_subject,
    .recompute_ends = tt__sq_recompute_ends,
    .withdrawals_since = tt__sq_withdrawals_since,
    .claim = claim,
    .claim_release = claim_release,
    .claim_cursor_set = claim_cursor_set,
    .claim_cursor = claim_cursor,
};
