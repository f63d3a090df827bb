/* SPDX-License-Identifier: Apache-2.0 */
/* subjects.c — data subjects (table subjects): put, update, get, a page per tenant, the full
 * scan the decision index is rebuilt from at start, and a count per tenant. */
#include "sq.h"

#include <string.h>

#define SUBJECT_COLS                                                                               \
    "tenant_id, subject_id, kind, jurisdiction, has_birth_date, is_child, contract_active,"        \
    " contract_ended_at, restricted, retention_until, created_at, updated_at, erased_at"

static void fill_subject(sqlite3_stmt *st, struct tt_subject *s)
{
    memset(s, 0, sizeof *s);
    tt__sq_col_text(st, 0, s->tenant_id, sizeof s->tenant_id);
    tt__sq_col_text(st, 1, s->id, sizeof s->id);
    s->kind = (enum tt_subject_kind)sqlite3_column_int64(st, 2);
    tt__sq_col_text(st, 3, s->jurisdiction, sizeof s->jurisdiction);
    s->has_birth_date = sqlite3_column_int64(st, 4) != 0;
    s->is_child = sqlite3_column_int64(st, 5) != 0;
    s->contract_active = sqlite3_column_int64(st, 6) != 0;
    s->contract_ended_at = sqlite3_column_int64(st, 7);
    s->restricted = sqlite3_column_int64(st, 8) != 0;
    s->retention_until = sqlite3_column_int64(st, 9);
    s->created_at = sqlite3_column_int64(st, 10);
    s->updated_at = sqlite3_column_int64(st, 11);
    s->erased_at = sqlite3_column_int64(st, 12);
}

static int subject_row(sqlite3_stmt *st, void *ctx)
{
    fill_subject(st, ctx);
    return 0;
}

struct subject_each {
    tt_subject_cb cb;
    void *cls;
};

static int subject_each_row(sqlite3_stmt *st, void *ctx)
{
    struct subject_each *e = ctx;
    struct tt_subject s;
    fill_subject(st, &s);
    return e->cb && e->cb(e->cls, &s) ? 1 : 0;
}

enum tt_qs tt__sq_subject_put(struct tt_store_conn *c, const struct tt_subject *s)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SQ_SUBJECT_PUT,
                    "INSERT INTO subjects (" SUBJECT_COLS
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, s->tenant_id) || tt__sq_bind_text(st, 2, s->id) ||
        tt__sq_bind_int(st, 3, s->kind) || tt__sq_bind_text(st, 4, s->jurisdiction) ||
        tt__sq_bind_int(st, 5, s->has_birth_date != 0) ||
        tt__sq_bind_int(st, 6, s->is_child != 0) ||
        tt__sq_bind_int(st, 7, s->contract_active != 0) ||
        tt__sq_bind_int(st, 8, s->contract_ended_at) ||
        tt__sq_bind_int(st, 9, s->restricted != 0) || tt__sq_bind_int(st, 10, s->retention_until) ||
        tt__sq_bind_int(st, 11, s->created_at) || tt__sq_bind_int(st, 12, s->updated_at) ||
        tt__sq_bind_int(st, 13, s->erased_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

/* Every field but the keys and created_at; ONE if the subject exists in that tenant. */
enum tt_qs tt__sq_subject_update(struct tt_store_conn *c, const struct tt_subject *s)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SQ_SUBJECT_UPDATE,
        "UPDATE subjects SET kind = ?3, jurisdiction = ?4, has_birth_date = ?5, is_child = ?6,"
        " contract_active = ?7, contract_ended_at = ?8, restricted = ?9, retention_until = ?10,"
        " updated_at = ?11, erased_at = ?12"
        " WHERE tenant_id = ?1 AND subject_id = ?2",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, s->tenant_id) || tt__sq_bind_text(st, 2, s->id) ||
        tt__sq_bind_int(st, 3, s->kind) || tt__sq_bind_text(st, 4, s->jurisdiction) ||
        tt__sq_bind_int(st, 5, s->has_birth_date != 0) ||
        tt__sq_bind_int(st, 6, s->is_child != 0) ||
        tt__sq_bind_int(st, 7, s->contract_active != 0) ||
        tt__sq_bind_int(st, 8, s->contract_ended_at) ||
        tt__sq_bind_int(st, 9, s->restricted != 0) || tt__sq_bind_int(st, 10, s->retention_until) ||
        tt__sq_bind_int(st, 11, s->updated_at) || tt__sq_bind_int(st, 12, s->erased_at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

enum tt_qs tt__sq_subject_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                              struct tt_subject *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SQ_SUBJECT_GET,
        "SELECT " SUBJECT_COLS " FROM subjects WHERE tenant_id = ? AND subject_id = ?", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id))
        return tt__sq_bind_failed(q, st);
    struct tt_subject s;
    qs = tt__sq_one(q, st, subject_row, &s);
    if (qs == TT_QS_ONE)
        *out = s;
    return qs;
}

enum tt_qs tt__sq_subject_list(struct tt_store_conn *c, const char *tenant_id,
                               const struct tt_page *page, tt_subject_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SQ_SUBJECT_LIST,
                                   "SELECT " SUBJECT_COLS " FROM subjects"
                                   " WHERE tenant_id = ? AND subject_id > ?"
                                   " ORDER BY subject_id LIMIT ?",
                                   &qs);
    if (!st)
        return qs;
    if (!page)
        return TT_QS_HARD;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, page->after_id) ||
        tt__sq_bind_int(st, 3, tt__sq_page_limit(page->limit)))
        return tt__sq_bind_failed(q, st);
    struct subject_each e = {cb, cls};
    return tt__sq_each(q, st, subject_each_row, &e);
}

/* One statement stepped row by row: memory stays flat however many subjects there are. */
enum tt_qs tt__sq_subject_scan(struct tt_store_conn *c, tt_subject_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SQ_SUBJECT_SCAN,
                    "SELECT " SUBJECT_COLS " FROM subjects ORDER BY tenant_id, subject_id", &qs);
    if (!st)
        return qs;
    struct subject_each e = {cb, cls};
    return tt__sq_each(q, st, subject_each_row, &e);
}

enum tt_qs tt__sq_subject_count(struct tt_store_conn *c, const char *tenant_id, int64_t *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SQ_SUBJECT_COUNT, "SELECT COUNT(*) FROM subjects WHERE tenant_id = ?", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id))
        return tt__sq_bind_failed(q, st);
    int64_t n = 0;
    qs = tt__sq_one(q, st, tt__sq_int_row, &n);
    if (qs == TT_QS_ONE)
        *out = n;
    return qs;
}
