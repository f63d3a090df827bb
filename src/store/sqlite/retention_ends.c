/* SPDX-License-Identifier: Apache-2.0 */
/* retention_ends.c — retention ends recomputed set-based on SQLite (issue 6): the range is found
 * in the primary key alone (count and last id of the next `limit` record ids), then one UPDATE
 * computes every end of the range in SQL (store/retention_ends_sql.h). The UPDATE depends on the
 * policy, so it is prepared per call (once per batch) rather than cached in a slot. */
#include "retention_ends.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../retention_ends_sql.h"
#include "sq.h"

static int range_row(sqlite3_stmt *st, void *ctx)
{
    struct tt_ends_result *o = ctx;
    o->seen = sqlite3_column_int64(st, 0);
    tt__sq_col_text(st, 1, o->last, sizeof o->last);
    return 0;
}

static enum tt_qs next_range(struct sq_conn *q, const char *tenant_id, const char *after_id,
                             int limit, struct tt_ends_result *out)
{
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, TT_SQ_ST_ENDS_RANGE,
                                   "SELECT count(*), coalesce(max(record_id), '') FROM"
                                   " (SELECT record_id FROM records WHERE tenant_id = ?1"
                                   " AND record_id > ?2 ORDER BY record_id LIMIT ?3)",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, after_id) ||
        tt__sq_bind_int(st, 3, limit < 1 ? 1 : limit))
        return tt__sq_bind_failed(q, st);
    qs = tt__sq_one(q, st, range_row, out);
    return qs < 0 ? qs : TT_QS_ONE;
}

enum tt_qs tt__sq_recompute_ends(struct tt_store_conn *c, const char *tenant_id,
                                 const struct tt_end_plan *plan, const char *service,
                                 const char *subject_id, const char *after_id, int limit,
                                 struct tt_ends_result *out)
{
    struct sq_conn *q = sq_of(c);
    int by_subject = subject_id && *subject_id;
    memset(out, 0, sizeof *out);
    if (!after_id)
        after_id = "";
    if (!by_subject) {
        if (tt__sq_bulk_cache(q) < 0)
            return TT_QS_HARD;
        enum tt_qs qs = next_range(q, tenant_id, after_id, limit, out);
        if (qs < 0 || out->seen == 0)
            return qs;
    }
    char *sql = tt__retention_ends_sql(plan, TT_ENDS_SQLITE, by_subject);
    if (!sql)
        return TT_QS_HARD;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
    free(sql);
    if (rc != SQLITE_OK) {
        enum tt_qs qs = tt__sq_fail(q, rc);
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, after_id) ||
        tt__sq_bind_text(st, 3, by_subject ? subject_id : out->last) ||
        tt__sq_bind_text(st, 4, service ? service : "")) {
        sqlite3_finalize(st);
        return TT_QS_HARD;
    }
    rc = sqlite3_step(st);
    enum tt_qs qs = TT_QS_ONE;
    if (rc == SQLITE_DONE)
        out->changed = sqlite3_changes64(q->db);
    else
        qs = tt__sq_fail(q, rc) == TT_QS_SOFT ? TT_QS_SOFT : TT_QS_HARD;
    sqlite3_finalize(st);
    return qs;
}

struct wd_each {
    tt_withdrawal_cb cb;
    void *cls;
};

static int wd_row(sqlite3_stmt *st, void *ctx)
{
    struct wd_each *e = ctx;
    const char *id = (const char *)sqlite3_column_text(st, 0);
    if (!id)
        return -1;
    return e->cb(e->cls, id, sqlite3_column_int64(st, 1)) ? 1 : 0;
}

enum tt_qs tt__sq_withdrawals_since(struct tt_store_conn *c, const char *tenant_id, tt_time since,
                                    int limit, tt_withdrawal_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, TT_SQ_ST_WITHDRAWALS,
                                   "SELECT subject_id, max(updated_at) AS at FROM subject_purposes"
                                   " WHERE tenant_id = ?1 AND updated_at >= ?2 AND (consent = 2"
                                   " OR objection <> 0) GROUP BY subject_id ORDER BY at, subject_id"
                                   " LIMIT ?3",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, since) ||
        tt__sq_bind_int(st, 3, limit < 1 ? 1 : limit))
        return tt__sq_bind_failed(q, st);
    struct wd_each e = {cb, cls};
    return tt__sq_each(q, st, wd_row, &e);
}
