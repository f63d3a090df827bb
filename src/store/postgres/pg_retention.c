/* SPDX-License-Identifier: Apache-2.0 */
/* pg_retention.c — the retention area's queries on PostgreSQL (issue 6): holds, the sweep's
 * set-based take of due rows (locked FOR UPDATE SKIP LOCKED, so a second node passes them by,
 * deleted and returned grouped in one statement), horizons, statistics cells, due per day,
 * recomputation and claims. Statement slots 256..319 (store/areas.h). Same behaviour as
 * src/store/sqlite/retention.c. */
#include "pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../retention_store.h"
#include "pg_consent_rows.h"
#include "pg_retention_ends.h"

enum {
    S_HOLD_PUT = TT_STORE_SLOT_BASE(TT_AREA_RETENTION),
    S_HOLD_RELEASE,
    S_HOLD_GET,
    S_HOLD_LIST_ALL,
    S_HOLD_LIST_ACTIVE,
    S_HOLD_COUNT,
    S_EXP_CHILD,
    S_EXP_CHILD_HOLDS,
    S_EXP_DUE,
    S_EXP_DUE_HOLDS,
    S_EXP_DELETE,
    S_HORIZON,
    S_PREVIEW,
    S_STAT_ADD,
    S_STAT_LIST,
    S_DUE_DAY,
    S_RC_PAGE,
    S_RC_SUBJECT,
    S_CLAIM,
    S_CLAIM_RELEASE,
    S_CLAIM_CURSOR_SET,
    S_CLAIM_CURSOR,
    S_SWEEP_SUBJECTS,
    S__END
};
_Static_assert(S__END <= TT_PG_ST_WITHDRAWALS, "retention statements overflow their range");

#define HOLD_COLS                                                                                  \
    "tenant_id, hold_id, subject_id, service, data_category, reason, created_by, until_at,"        \
    " created_at, released_at"
#define NOT_HELD                                                                                   \
    " AND NOT EXISTS (SELECT 1 FROM retention_holds h WHERE h.tenant_id = r.tenant_id"             \
    " AND h.released_at = 0 AND (h.until_at = 0 OR h.until_at > $2)"                               \
    " AND h.subject_id IN ('', r.subject_id) AND h.service IN ('', r.service)"                     \
    " AND h.data_category IN ('', r.data_category))"
/* The sweep's set-based take (issue 6): rows chosen and locked once by a MATERIALIZED CTE (SKIP
 * LOCKED, so a second node passes them by; a subquery in IN could be rescanned and pick more
 * than LIMIT as rows vanish), deleted in one statement, and handed back grouped per subject,
 * service, category, purpose and day — one statement and one result per batch. */
#define TAKE(pick)                                                                                 \
    "WITH p AS MATERIALIZED (" pick "), d AS (DELETE FROM records x USING p"                       \
    " WHERE x.tenant_id = $1 AND x.record_id = p.record_id"                                        \
    " RETURNING x.subject_id, x.service, x.data_category, x.purpose, x.collected_at)"              \
    " SELECT subject_id, service, data_category, purpose, min(collected_at), count(*) FROM d"      \
    " GROUP BY 1, 2, 3, 4, floor(collected_at / 86400.0)"
#define PICK_CHILD(held)                                                                           \
    "SELECT r.record_id FROM subjects s JOIN records r ON r.tenant_id = s.tenant_id"               \
    " AND r.subject_id = s.subject_id WHERE s.tenant_id = $1 AND s.is_child = 1"                   \
    " AND $2::bigint = $2::bigint" held " LIMIT $3 FOR UPDATE OF r SKIP LOCKED"
#define PICK_DUE(held)                                                                             \
    "SELECT r.record_id FROM records r WHERE r.tenant_id = $1 AND r.retention_until > 0"           \
    " AND r.retention_until <= $2" held " LIMIT $3 FOR UPDATE OF r SKIP LOCKED"
#define RC_COLS                                                                                    \
    "SELECT r.record_id, r.subject_id, r.service, s.jurisdiction, r.collected_at,"                 \
    " r.retention_until, s.contract_ended_at, r.data_category, r.purpose,"                         \
    " COALESCE((SELECT sp.updated_at FROM subject_purposes sp WHERE sp.tenant_id = r.tenant_id"    \
    " AND sp.subject_id = r.subject_id AND sp.purpose = r.purpose AND (sp.consent = 2"             \
    " OR sp.objection <> 0)), 0) FROM records r JOIN subjects s"                                   \
    " ON s.tenant_id = r.tenant_id AND s.subject_id = r.subject_id"

static const struct pg_stmt ST[] = {
    {S_HOLD_PUT, "tt_ret_hold_put", "tttttttiii",
     "INSERT INTO retention_holds (" HOLD_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
     " ON CONFLICT DO NOTHING",
     NULL},
    {S_HOLD_RELEASE, "tt_ret_hold_release", "tti",
     "UPDATE retention_holds SET released_at = $3 WHERE tenant_id = $1 AND hold_id = $2"
     " AND released_at = 0",
     NULL},
    {S_HOLD_GET, "tt_ret_hold_get", "tt",
     "SELECT " HOLD_COLS " FROM retention_holds WHERE tenant_id = $1 AND hold_id = $2", NULL},
    {S_HOLD_LIST_ALL, "tt_ret_hold_list_all", "t",
     "SELECT " HOLD_COLS " FROM retention_holds WHERE tenant_id = $1 ORDER BY hold_id", NULL},
    {S_HOLD_LIST_ACTIVE, "tt_ret_hold_list_active", "ti",
     "SELECT " HOLD_COLS " FROM retention_holds WHERE tenant_id = $1 AND released_at = 0"
     " AND (until_at = 0 OR until_at > $2) ORDER BY hold_id",
     NULL},
    {S_HOLD_COUNT, "tt_ret_hold_count", "ti",
     "SELECT count(*) FROM retention_holds WHERE tenant_id = $1 AND released_at = 0"
     " AND (until_at = 0 OR until_at > $2)",
     NULL},
    {S_EXP_CHILD, "tt_ret_take_child", "tii", TAKE(PICK_CHILD("")), NULL},
    {S_EXP_CHILD_HOLDS, "tt_ret_take_child_holds", "tii", TAKE(PICK_CHILD(NOT_HELD)), NULL},
    {S_EXP_DUE, "tt_ret_take_due", "tii", TAKE(PICK_DUE("")), NULL},
    {S_EXP_DUE_HOLDS, "tt_ret_take_due_holds", "tii", TAKE(PICK_DUE(NOT_HELD)), NULL},
    /* one statement per batch: the ids travel as one text[] literal */
    {S_EXP_DELETE, "tt_ret_exp_delete", "tt",
     "DELETE FROM records WHERE tenant_id = $1 AND record_id = ANY ($2::text[])", NULL},
    {S_HORIZON, "tt_ret_horizon", "tti",
     "UPDATE subjects SET updated_at = $3, retention_until = COALESCE((SELECT"
     " max(retention_until) FROM records WHERE tenant_id = $1 AND subject_id = $2), 0)"
     " WHERE tenant_id = $1 AND subject_id = $2",
     NULL},
    {S_PREVIEW, "tt_ret_preview", "ti",
     "SELECT r.service, s.is_child, (EXISTS (SELECT 1 FROM retention_holds h"
     "  WHERE h.tenant_id = r.tenant_id AND h.released_at = 0"
     "  AND (h.until_at = 0 OR h.until_at > $2) AND h.subject_id IN ('', r.subject_id)"
     "  AND h.service IN ('', r.service) AND h.data_category IN ('', r.data_category)))::int"
     "::bigint AS held, count(*), r.data_category, r.purpose FROM records r JOIN subjects s"
     " ON s.tenant_id = r.tenant_id AND s.subject_id = r.subject_id WHERE r.tenant_id = $1"
     " AND (s.is_child = 1 OR (r.retention_until > 0 AND r.retention_until <= $2))"
     " GROUP BY 1, 2, 3, 5, 6 ORDER BY 1, 5, 6, 2, 3",
     NULL},
    {S_STAT_ADD, "tt_ret_stat_add", "tittii",
     "INSERT INTO retention_stats (tenant_id, day, service, country, messages, subjects)"
     " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, day, service, country)"
     " DO UPDATE SET messages = retention_stats.messages + EXCLUDED.messages,"
     " subjects = GREATEST(retention_stats.subjects, EXCLUDED.subjects)",
     NULL},
    {S_STAT_LIST, "tt_ret_stat_list", "tiiti",
     "SELECT tenant_id, day, service, country, messages, subjects FROM retention_stats"
     " WHERE tenant_id = $1 AND day >= $2 AND day <= $3 AND ($4 = '' OR service = $4)"
     " AND subjects >= $5 ORDER BY day, service, country",
     NULL},
    {S_DUE_DAY, "tt_ret_due_day", "tii",
     "SELECT retention_until / 86400 AS d, service, count(*) FROM records"
     " WHERE tenant_id = $1 AND retention_until > 0 AND retention_until >= $2"
     " AND retention_until < $3 GROUP BY 1, 2 ORDER BY 1, 2",
     NULL},
    {S_RC_PAGE, "tt_ret_rc_page", "ttti",
     RC_COLS " WHERE r.tenant_id = $1 AND r.record_id > $2 AND ($3 = '' OR r.service = $3)"
             " ORDER BY r.record_id LIMIT $4",
     NULL},
    {S_RC_SUBJECT, "tt_ret_rc_subject", "tt",
     RC_COLS " WHERE r.tenant_id = $1 AND r.subject_id = $2 ORDER BY r.record_id", NULL},
    {S_CLAIM, "tt_ret_claim", "tttii",
     "INSERT INTO retention_claims (tenant_id, name, holder, expires_at, cursor)"
     " VALUES ($1, $2, $3, $5, '') ON CONFLICT (tenant_id, name) DO UPDATE SET"
     " holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at"
     " WHERE retention_claims.holder = EXCLUDED.holder OR retention_claims.expires_at <= $4",
     NULL},
    {S_CLAIM_RELEASE, "tt_ret_claim_release", "tttt",
     "UPDATE retention_claims SET expires_at = 0, cursor = COALESCE($4, cursor)"
     " WHERE tenant_id = $1 AND name = $2 AND holder = $3",
     NULL},
    {S_CLAIM_CURSOR_SET, "tt_ret_claim_cursor_set", "tttt",
     "UPDATE retention_claims SET cursor = $4 WHERE tenant_id = $1 AND name = $2"
     " AND holder = $3",
     NULL},
    {S_CLAIM_CURSOR, "tt_ret_claim_cursor", "tt",
     "SELECT cursor FROM retention_claims WHERE tenant_id = $1 AND name = $2", NULL},
    {S_SWEEP_SUBJECTS, "tt_ret_sweep_subjects", "tt",
     "SELECT subject_id, jurisdiction, retention_until, is_child FROM subjects"
     " WHERE tenant_id = $1 AND subject_id = ANY ($2::text[])",
     NULL},
};

static const struct pg_stmt *st_of(int id)
{
    return &ST[id - TT_STORE_SLOT_BASE(TT_AREA_RETENTION)];
}

static struct pg_conn *P(struct tt_store_conn *c)
{
    return pg_conn_of(c);
}

/* ---- holds ---- */

static int fill_hold(const PGresult *r, int row, struct tt_hold *h)
{
    memset(h, 0, sizeof *h);
    if (tt__pg_text(r, row, 0, h->tenant_id, sizeof h->tenant_id) < 0 ||
        tt__pg_text(r, row, 1, h->id, sizeof h->id) < 0 ||
        tt__pg_text(r, row, 2, h->subject_id, sizeof h->subject_id) < 0 ||
        tt__pg_text(r, row, 3, h->service, sizeof h->service) < 0 ||
        tt__pg_text(r, row, 4, h->data_category, sizeof h->data_category) < 0 ||
        tt__pg_text(r, row, 5, h->reason, sizeof h->reason) < 0 ||
        tt__pg_text(r, row, 6, h->created_by, sizeof h->created_by) < 0)
        return -1;
    h->until = tt__pg_int(r, row, 7);
    h->created_at = tt__pg_int(r, row, 8);
    h->released_at = tt__pg_int(r, row, 9);
    return 0;
}

struct hold_each {
    tt_hold_cb cb;
    void *cls;
    struct tt_hold *one;
};

static int hold_row(void *cls, const PGresult *r, int row)
{
    struct hold_each *e = cls;
    struct tt_hold h;
    if (fill_hold(r, row, &h) < 0)
        return -1;
    if (e->one) {
        *e->one = h;
        return 1;
    }
    return e->cb && e->cb(e->cls, &h) ? 1 : 0;
}

static enum tt_qs hold_put(struct tt_store_conn *c, const struct tt_hold *h)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, h->tenant_id);
    tt__pg_arg_text(&a, h->id);
    tt__pg_arg_text(&a, h->subject_id);
    tt__pg_arg_text(&a, h->service);
    tt__pg_arg_text(&a, h->data_category);
    tt__pg_arg_text(&a, h->reason);
    tt__pg_arg_text(&a, h->created_by);
    tt__pg_arg_int(&a, h->until);
    tt__pg_arg_int(&a, h->created_at);
    tt__pg_arg_int(&a, h->released_at);
    return tt__pg_exec_one(P(c), st_of(S_HOLD_PUT), &a);
}

static enum tt_qs hold_release(struct tt_store_conn *c, const char *tenant_id, const char *id,
                               tt_time at)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id);
    tt__pg_arg_int(&a, at);
    return tt__pg_exec_one(P(c), st_of(S_HOLD_RELEASE), &a);
}

static enum tt_qs hold_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           struct tt_hold *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id);
    struct tt_hold h;
    struct hold_each e = {NULL, NULL, &h};
    enum tt_qs qs = tt__pg_each(P(c), st_of(S_HOLD_GET), &a, hold_row, &e);
    if (qs < 0)
        return qs;
    if (qs == TT_QS_NONE)
        return TT_QS_NONE;
    *out = h;
    return TT_QS_ONE;
}

static enum tt_qs hold_list(struct tt_store_conn *c, const char *tenant_id, tt_time active_at,
                            tt_hold_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    if (active_at)
        tt__pg_arg_int(&a, active_at);
    struct hold_each e = {cb, cls, NULL};
    return tt__pg_each(P(c), st_of(active_at ? S_HOLD_LIST_ACTIVE : S_HOLD_LIST_ALL), &a, hold_row,
                       &e);
}

static enum tt_qs count_of(struct tt_store_conn *c, int id, const struct pg_args *a, int64_t *out)
{
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(P(c), st_of(id), a, &r);
    if (qs < 0)
        return qs;
    qs = TT_QS_HARD;
    if (PQntuples(r) == 1) {
        *out = tt__pg_int(r, 0, 0);
        qs = TT_QS_ONE;
    }
    PQclear(r);
    return qs;
}

static enum tt_qs hold_active_count(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                                    int64_t *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_int(&a, at);
    return count_of(c, S_HOLD_COUNT, &a, out);
}

/* Runs a statement and returns the number of rows it changed (PQcmdTuples) as a status. */
static enum tt_qs exec_count(struct tt_store_conn *c, int id, const struct pg_args *a)
{
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(P(c), st_of(id), a, &r);
    if (qs < 0)
        return qs;
    const char *t = PQcmdTuples(r);
    char *end = NULL;
    long long n = t && *t ? strtoll(t, &end, 10) : 0;
    PQclear(r);
    if (n < 0 || n > 0x7fffffffLL)
        return TT_QS_HARD;
    return (enum tt_qs)n;
}

/* ---- the sweep ---- */

struct take_each {
    tt_swept_cb cb;
    void *cls;
    int child;
};

static int take_row(void *cls, const PGresult *r, int row)
{
    struct take_each *e = cls;
    struct tt_swept_rows g = {
        .subject_id = PQgetvalue(r, row, 0),
        .service = PQgetvalue(r, row, 1),
        .data_category = PQgetvalue(r, row, 2),
        .purpose = PQgetvalue(r, row, 3),
        .collected_at = tt__pg_int(r, row, 4),
        .rows = tt__pg_int(r, row, 5),
        .child = e->child,
    };
    return e->cb(e->cls, &g) ? -1 : 0;
}

/* Runs one take and returns the rows it deleted (the groups' sum). */
static enum tt_qs run_take(struct tt_store_conn *c, int id, const char *tenant_id, tt_time at,
                           int limit, struct take_each *e)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_int(&a, at);
    tt__pg_arg_int(&a, limit);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(P(c), st_of(id), &a, &r);
    if (qs < 0)
        return qs;
    int64_t rows = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        if (take_row(e, r, i) < 0) {
            PQclear(r);
            return TT_QS_HARD;
        }
        rows += tt__pg_int(r, i, 5);
    }
    PQclear(r);
    return rows > limit ? TT_QS_HARD : (enum tt_qs)rows;
}

/* S10.1 first: a child's records go ahead of any rule; then what has expired. */
static enum tt_qs expired_take(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                               int with_holds, int limit, tt_swept_cb cb, void *cls)
{
    if (limit < 1 || !cb)
        return TT_QS_NONE;
    struct take_each e = {cb, cls, 1};
    enum tt_qs n1 =
        run_take(c, with_holds ? S_EXP_CHILD_HOLDS : S_EXP_CHILD, tenant_id, at, limit, &e);
    if (n1 < 0 || (int)n1 >= limit)
        return n1;
    e.child = 0;
    enum tt_qs n2 =
        run_take(c, with_holds ? S_EXP_DUE_HOLDS : S_EXP_DUE, tenant_id, at, limit - (int)n1, &e);
    if (n2 < 0)
        return n2;
    return (enum tt_qs)((int)n1 + (int)n2);
}

/* the batch's distinct subjects in one statement (ANY over a text[]) */
static enum tt_qs sweep_subjects(struct tt_store_conn *c, const char *tenant_id,
                                 const char *const *ids, size_t n, tt_sweep_subject_cb cb,
                                 void *cls)
{
    if (n == 0)
        return TT_QS_NONE;
    struct pg_array l = {0};
    const char *lit = pg_array_of_texts(&l, ids, n);
    if (!lit) {
        pg_array_free(&l);
        return TT_QS_HARD;
    }
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, lit);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(P(c), st_of(S_SWEEP_SUBJECTS), &a, &r);
    pg_array_free(&l);
    if (qs < 0)
        return qs;
    int n_rows = PQntuples(r);
    for (int i = 0; i < n_rows; i++) {
        struct tt_sweep_subject x = {
            .subject_id = PQgetvalue(r, i, 0),
            .jurisdiction = PQgetvalue(r, i, 1),
            .horizon = tt__pg_int(r, i, 2),
            .child = tt__pg_int(r, i, 3) != 0,
        };
        if (cb && cb(cls, &x))
            break;
    }
    PQclear(r);
    return (enum tt_qs)n_rows;
}

/* erasure's delete of rows it has read (jobs/erasure.c) */
static enum tt_qs expired_delete(struct tt_store_conn *c, const char *tenant_id,
                                 const struct tt_row_ref *rows, size_t n)
{
    if (n == 0)
        return TT_QS_NONE;
    struct pg_array ids = {0};
    for (size_t i = 0; i < n; i++)
        pg_array_text(&ids, rows[i].record_id);
    const char *lit = pg_array_text_of(&ids);
    enum tt_qs qs = TT_QS_HARD;
    if (lit) {
        struct pg_args a = {0};
        tt__pg_arg_text(&a, tenant_id);
        tt__pg_arg_text(&a, lit);
        qs = exec_count(c, S_EXP_DELETE, &a);
    }
    pg_array_free(&ids);
    return qs;
}

static enum tt_qs subject_horizon(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, tt_time now)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    tt__pg_arg_int(&a, now);
    return tt__pg_exec_one(P(c), st_of(S_HORIZON), &a);
}

struct preview_each {
    tt_preview_cb cb;
    void *cls;
};

static int preview_row(void *cls, const PGresult *r, int row)
{
    struct preview_each *e = cls;
    struct tt_sweep_preview_row x = {
        .service = PQgetvalue(r, row, 0),
        .child = tt__pg_int(r, row, 1) != 0,
        .held = tt__pg_int(r, row, 2) != 0,
        .rows = tt__pg_int(r, row, 3),
        .data_category = PQgetvalue(r, row, 4),
        .purpose = PQgetvalue(r, row, 5),
    };
    return e->cb && e->cb(e->cls, &x) ? 1 : 0;
}

static enum tt_qs sweep_preview(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                                tt_preview_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_int(&a, at);
    struct preview_each e = {cb, cls};
    return tt__pg_each(P(c), st_of(S_PREVIEW), &a, preview_row, &e);
}

/* ---- statistics ---- */

static enum tt_qs stat_add(struct tt_store_conn *c, const struct tt_stat_cell *x)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, x->tenant_id);
    tt__pg_arg_int(&a, x->day);
    tt__pg_arg_text(&a, x->service);
    tt__pg_arg_text(&a, x->country);
    tt__pg_arg_int(&a, x->messages);
    tt__pg_arg_int(&a, x->subjects);
    return tt__pg_exec_one(P(c), st_of(S_STAT_ADD), &a);
}

struct stat_each {
    tt_stat_cb cb;
    void *cls;
};

static int stat_row(void *cls, const PGresult *r, int row)
{
    struct stat_each *e = cls;
    struct tt_stat_cell x;
    memset(&x, 0, sizeof x);
    if (tt__pg_text(r, row, 0, x.tenant_id, sizeof x.tenant_id) < 0 ||
        tt__pg_text(r, row, 2, x.service, sizeof x.service) < 0 ||
        tt__pg_text(r, row, 3, x.country, sizeof x.country) < 0)
        return -1;
    x.day = tt__pg_int(r, row, 1);
    x.messages = tt__pg_int(r, row, 4);
    x.subjects = tt__pg_int(r, row, 5);
    return e->cb && e->cb(e->cls, &x) ? 1 : 0;
}

static enum tt_qs stat_list(struct tt_store_conn *c, const char *tenant_id, int64_t from_day,
                            int64_t to_day, const char *service, int64_t k, tt_stat_cb cb,
                            void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_int(&a, from_day);
    tt__pg_arg_int(&a, to_day);
    tt__pg_arg_text(&a, service ? service : "");
    tt__pg_arg_int(&a, k);
    struct stat_each e = {cb, cls};
    return tt__pg_each(P(c), st_of(S_STAT_LIST), &a, stat_row, &e);
}

struct due_each {
    tt_due_cb cb;
    void *cls;
};

static int due_row(void *cls, const PGresult *r, int row)
{
    struct due_each *e = cls;
    return e->cb && e->cb(e->cls, tt__pg_int(r, row, 0), PQgetvalue(r, row, 1),
                          tt__pg_int(r, row, 2))
               ? 1
               : 0;
}

static enum tt_qs due_per_day(struct tt_store_conn *c, const char *tenant_id, tt_time from,
                              tt_time to, tt_due_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_int(&a, from);
    tt__pg_arg_int(&a, to);
    struct due_each e = {cb, cls};
    return tt__pg_each(P(c), st_of(S_DUE_DAY), &a, due_row, &e);
}

/* ---- recomputation ---- */

struct rc_each {
    tt_recompute_cb cb;
    void *cls;
};

static int rc_row(void *cls, const PGresult *r, int row)
{
    struct rc_each *e = cls;
    struct tt_recompute_row x = {
        .record_id = PQgetvalue(r, row, 0),
        .subject_id = PQgetvalue(r, row, 1),
        .service = PQgetvalue(r, row, 2),
        .jurisdiction = PQgetvalue(r, row, 3),
        .collected_at = tt__pg_int(r, row, 4),
        .retention_until = tt__pg_int(r, row, 5),
        .contract_ended_at = tt__pg_int(r, row, 6),
        .data_category = PQgetvalue(r, row, 7),
        .purpose = PQgetvalue(r, row, 8),
        .withdrawn_at = tt__pg_int(r, row, 9),
        .rowid = 0,
    };
    return e->cb && e->cb(e->cls, &x) ? 1 : 0;
}

static enum tt_qs recompute_page(struct tt_store_conn *c, const char *tenant_id,
                                 const char *service, const char *after_id, int limit,
                                 tt_recompute_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, after_id ? after_id : "");
    tt__pg_arg_text(&a, service ? service : "");
    tt__pg_arg_int(&a, limit < 1 ? 1 : limit);
    struct rc_each e = {cb, cls};
    return tt__pg_each(P(c), st_of(S_RC_PAGE), &a, rc_row, &e);
}

static enum tt_qs recompute_subject(struct tt_store_conn *c, const char *tenant_id,
                                    const char *subject_id, tt_recompute_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    struct rc_each e = {cb, cls};
    return tt__pg_each(P(c), st_of(S_RC_SUBJECT), &a, rc_row, &e);
}

/* ---- claims ---- */

static enum tt_qs claim(struct tt_store_conn *c, const char *tenant_id, const char *name,
                        const char *holder, tt_time now, tt_time expires_at)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, name);
    tt__pg_arg_text(&a, holder);
    tt__pg_arg_int(&a, now);
    tt__pg_arg_int(&a, expires_at);
    return tt__pg_exec_one(P(c), st_of(S_CLAIM), &a);
}

static enum tt_qs claim_release(struct tt_store_conn *c, const char *tenant_id, const char *name,
                                const char *holder, const char *cursor)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, name);
    tt__pg_arg_text(&a, holder);
    tt__pg_arg_text(&a, cursor);
    return tt__pg_exec_one(P(c), st_of(S_CLAIM_RELEASE), &a);
}

static enum tt_qs claim_cursor_set(struct tt_store_conn *c, const char *tenant_id, const char *name,
                                   const char *holder, const char *cursor)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, name);
    tt__pg_arg_text(&a, holder);
    tt__pg_arg_text(&a, cursor ? cursor : "");
    return tt__pg_exec_one(P(c), st_of(S_CLAIM_CURSOR_SET), &a);
}

static enum tt_qs claim_cursor(struct tt_store_conn *c, const char *tenant_id, const char *name,
                               char *out, size_t out_size)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, name);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(P(c), st_of(S_CLAIM_CURSOR), &a, &r);
    if (qs < 0)
        return qs;
    qs = TT_QS_NONE;
    if (PQntuples(r) == 1) {
        snprintf(out, out_size, "%s", PQgetvalue(r, 0, 0));
        qs = TT_QS_ONE;
    }
    PQclear(r);
    return qs;
}

const struct tt_retention_store_ops tt__pg_retention_ops = {
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
    .recompute_ends = tt__pg_recompute_ends,
    .withdrawals_since = tt__pg_withdrawals_since,
    .claim = claim,
    .claim_release = claim_release,
    .claim_cursor_set = claim_cursor_set,
    .claim_cursor = claim_cursor,
};
