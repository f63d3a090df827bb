/* SPDX-License-Identifier: Apache-2.0 */
/* pg_retention_ends.c — retention ends recomputed set-based on PostgreSQL (issue 6): the range is
 * found in the primary key (count and last id of the next `limit` record ids), then one UPDATE
 * computes every end of the range in SQL (store/retention_ends_sql.h). The UPDATE depends on the
 * policy, so it is sent unprepared, once per batch. Same behaviour as
 * src/store/sqlite/retention_ends.c. */
#include "pg_retention_ends.h"

#include <stdlib.h>
#include <string.h>

#include "../retention_ends_sql.h"
#include "pg_internal.h"

static const struct pg_stmt RANGE = {
    TT_PG_ST_ENDS_RANGE, "tt_ret_ends_range", "tti",
    "SELECT count(*)::bigint, coalesce(max(record_id), '') FROM (SELECT record_id FROM records"
    " WHERE tenant_id = $1 AND record_id > $2 ORDER BY record_id LIMIT $3) x",
    NULL};

static const struct pg_stmt WITHDRAWALS = {
    TT_PG_ST_WITHDRAWALS, "tt_ret_withdrawals", "tii",
    "SELECT subject_id, max(updated_at) AS at FROM subject_purposes WHERE tenant_id = $1"
    " AND updated_at >= $2 AND (consent = 2 OR objection <> 0) GROUP BY subject_id"
    " ORDER BY at, subject_id LIMIT $3",
    NULL};

static int range_row(void *cls, const PGresult *r, int row)
{
    struct tt_ends_result *o = cls;
    o->seen = tt__pg_int(r, row, 0);
    return tt__pg_text(r, row, 1, o->last, sizeof o->last) < 0 ? -1 : 0;
}

enum tt_qs tt__pg_recompute_ends(struct tt_store_conn *c, const char *tenant_id,
                                 const struct tt_end_plan *plan, const char *service,
                                 const char *subject_id, const char *after_id, int limit,
                                 struct tt_ends_result *out)
{
    struct pg_conn *pc = pg_conn_of(c);
    int by_subject = subject_id && *subject_id;
    memset(out, 0, sizeof *out);
    if (!after_id)
        after_id = "";
    if (!by_subject) {
        struct pg_args a = {0};
        tt__pg_arg_text(&a, tenant_id);
        tt__pg_arg_text(&a, after_id);
        tt__pg_arg_int(&a, limit < 1 ? 1 : limit);
        enum tt_qs qs = tt__pg_each(pc, &RANGE, &a, range_row, out);
        if (qs < 0 || out->seen == 0)
            return qs < 0 ? qs : TT_QS_ONE;
    }
    /* an unprepared statement cannot ride behind speculative writes: none may be pending */
    if (!tt__pg_usable(pc) || pc->n_pending)
        return TT_QS_HARD;
    char *sql = tt__retention_ends_sql(plan, TT_ENDS_POSTGRES, by_subject);
    if (!sql)
        return TT_QS_HARD;
    const char *v[4] = {tenant_id, after_id, by_subject ? subject_id : out->last,
                        service ? service : ""};
    PGresult *r = PQexecParams(pc->pq, sql, 4, NULL, v, NULL, NULL, 1);
    free(sql);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        enum tt_qs qs = tt__pg_classify(pc, r);
        PQclear(r);
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    const char *t = PQcmdTuples(r);
    out->changed = t && *t ? strtoll(t, NULL, 10) : 0;
    PQclear(r);
    return TT_QS_ONE;
}

struct wd_each {
    tt_withdrawal_cb cb;
    void *cls;
};

static int wd_row(void *cls, const PGresult *r, int row)
{
    struct wd_each *e = cls;
    return e->cb(e->cls, PQgetvalue(r, row, 0), tt__pg_int(r, row, 1)) ? 1 : 0;
}

enum tt_qs tt__pg_withdrawals_since(struct tt_store_conn *c, const char *tenant_id, tt_time since,
                                    int limit, tt_withdrawal_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_int(&a, since);
    tt__pg_arg_int(&a, limit < 1 ? 1 : limit);
    struct wd_each e = {cb, cls};
    return tt__pg_each(pg_conn_of(c), &WITHDRAWALS, &a, wd_row, &e);
}
