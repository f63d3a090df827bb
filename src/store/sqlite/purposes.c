/* SPDX-License-Identifier: Apache-2.0 */
/* purposes.c — current consent and objection state per subject and purpose (table
 * subject_purposes; S1.3, S8.2, S8.3): an upsert by (tenant, subject, purpose), a list per
 * subject, and the full scan the decision index is rebuilt from. */
#include "sq.h"

#include <string.h>

#define PURPOSE_COLS "tenant_id, subject_id, purpose, consent, objection, updated_at"

static void fill_purpose(sqlite3_stmt *st, struct tt_purpose_state *ps)
{
    memset(ps, 0, sizeof *ps);
    tt__sq_col_text(st, 0, ps->tenant_id, sizeof ps->tenant_id);
    tt__sq_col_text(st, 1, ps->subject_id, sizeof ps->subject_id);
    tt__sq_col_text(st, 2, ps->purpose, sizeof ps->purpose);
    ps->consent = (enum tt_consent_state)sqlite3_column_int64(st, 3);
    ps->objection = sqlite3_column_int64(st, 4) != 0;
    ps->updated_at = sqlite3_column_int64(st, 5);
}

struct purpose_each {
    tt_purpose_state_cb cb;
    void *cls;
};

static int purpose_each_row(sqlite3_stmt *st, void *ctx)
{
    struct purpose_each *e = ctx;
    struct tt_purpose_state ps;
    fill_purpose(st, &ps);
    return e->cb && e->cb(e->cls, &ps) ? 1 : 0;
}

/* ONE when written (inserted or replaced); NONE when the subject does not exist. */
enum tt_qs tt__sq_purpose_state_put(struct tt_store_conn *c, const struct tt_purpose_state *ps)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SQ_PURPOSE_PUT,
                    "INSERT INTO subject_purposes (" PURPOSE_COLS ")"
                    " SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM subjects"
                    " WHERE tenant_id = ?1 AND subject_id = ?2 AND (?7 = 0 OR erased_at = 0))"
                    " ON CONFLICT (tenant_id, subject_id, purpose) DO UPDATE SET"
                    " consent = CASE WHEN ?7 = 2 THEN consent ELSE excluded.consent END,"
                    " objection = CASE WHEN ?7 = 1 THEN objection ELSE excluded.objection END,"
                    " updated_at = excluded.updated_at", /* ?7: changes (types.h) */
                    &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, ps->tenant_id) || tt__sq_bind_text(st, 2, ps->subject_id) ||
        tt__sq_bind_text(st, 3, ps->purpose) || tt__sq_bind_int(st, 4, ps->consent) ||
        tt__sq_bind_int(st, 5, ps->objection != 0) || tt__sq_bind_int(st, 6, ps->updated_at) ||
        tt__sq_bind_int(st, 7, ps->changes))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

enum tt_qs tt__sq_purpose_state_list(struct tt_store_conn *c, const char *tenant_id,
                                     const char *subject_id, tt_purpose_state_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SQ_PURPOSE_LIST,
                                   "SELECT " PURPOSE_COLS " FROM subject_purposes"
                                   " WHERE tenant_id = ? AND subject_id = ? ORDER BY purpose",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id))
        return tt__sq_bind_failed(q, st);
    struct purpose_each e = {cb, cls};
    return tt__sq_each(q, st, purpose_each_row, &e);
}

/* One read per subject: SQLite is in the process, a statement costs no round trip. */
enum tt_qs tt__sq_purpose_state_list_many(struct tt_store_conn *c, const char *tenant_id,
                                          const char *const *subject_ids, size_t n,
                                          tt_purpose_state_cb cb, void *cls)
{
    enum tt_qs all = TT_QS_NONE;
    for (size_t i = 0; i < n; i++) {
        enum tt_qs qs = tt__sq_purpose_state_list(c, tenant_id, subject_ids[i], cb, cls);
        if (qs < 0)
            return qs;
        if (qs > 0) /* the number of rows */
            all = TT_QS_ONE;
    }
    return all;
}

/* Every row in (tenant_id, subject_id, purpose) order, streamed row by row. */
enum tt_qs tt__sq_purpose_state_scan(struct tt_store_conn *c, tt_purpose_state_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SQ_PURPOSE_SCAN,
                                   "SELECT " PURPOSE_COLS " FROM subject_purposes"
                                   " ORDER BY tenant_id, subject_id, purpose",
                                   &qs);
    if (!st)
        return qs;
    struct purpose_each e = {cb, cls};
    return tt__sq_each(q, st, purpose_each_row, &e);
}
