/* SPDX-License-Identifier: Apache-2.0 */
/* records.c — personal data records (table records): each with its category, purpose, legal
 * basis, source and retention end; the value is stored sealed in value_enc. */
#include "sq.h"

#include <string.h>

#define RECORD_COLS                                                                                \
    "tenant_id, record_id, subject_id, service, data_category, purpose, legal_basis, source,"      \
    " collected_at, retention_until, created_at, value_enc"

/* value_enc points into the row: valid during the callback only */
static void fill_record(sqlite3_stmt *st, struct tt_record *r)
{
    memset(r, 0, sizeof *r);
    tt__sq_col_text(st, 0, r->tenant_id, sizeof r->tenant_id);
    tt__sq_col_text(st, 1, r->id, sizeof r->id);
    tt__sq_col_text(st, 2, r->subject_id, sizeof r->subject_id);
    tt__sq_col_text(st, 3, r->service, sizeof r->service);
    tt__sq_col_text(st, 4, r->data_category, sizeof r->data_category);
    tt__sq_col_text(st, 5, r->purpose, sizeof r->purpose);
    r->legal_basis = (enum tt_basis)sqlite3_column_int64(st, 6);
    tt__sq_col_text(st, 7, r->source, sizeof r->source);
    r->collected_at = sqlite3_column_int64(st, 8);
    r->retention_until = sqlite3_column_int64(st, 9);
    r->created_at = sqlite3_column_int64(st, 10);
    r->value_enc = sqlite3_column_blob(st, 11);
    r->value_enc_len = r->value_enc ? (size_t)sqlite3_column_bytes(st, 11) : 0;
}

struct record_each {
    tt_record_cb cb;
    void *cls;
};

static int record_each_row(sqlite3_stmt *st, void *ctx)
{
    struct record_each *e = ctx;
    struct tt_record r;
    fill_record(st, &r);
    return e->cb && e->cb(e->cls, &r) ? 1 : 0;
}

enum tt_qs tt__sq_record_put(struct tt_store_conn *c, const struct tt_record *r)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SQ_RECORD_PUT,
        "INSERT INTO records (" RECORD_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, r->tenant_id) || tt__sq_bind_text(st, 2, r->id) ||
        tt__sq_bind_text(st, 3, r->subject_id) || tt__sq_bind_text(st, 4, r->service) ||
        tt__sq_bind_text(st, 5, r->data_category) || tt__sq_bind_text(st, 6, r->purpose) ||
        tt__sq_bind_int(st, 7, r->legal_basis) || tt__sq_bind_text(st, 8, r->source) ||
        tt__sq_bind_int(st, 9, r->collected_at) || tt__sq_bind_int(st, 10, r->retention_until) ||
        tt__sq_bind_int(st, 11, r->created_at) ||
        tt__sq_bind_blob(st, 12, r->value_enc, r->value_enc_len))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

/* A page of one subject's records in record_id order (index records_subject_idx). */
enum tt_qs tt__sq_record_list(struct tt_store_conn *c, const char *tenant_id,
                              const char *subject_id, const struct tt_page *page, tt_record_cb cb,
                              void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SQ_RECORD_LIST,
                                   "SELECT " RECORD_COLS " FROM records"
                                   " WHERE tenant_id = ? AND subject_id = ? AND record_id > ?"
                                   " ORDER BY record_id LIMIT ?",
                                   &qs);
    if (!st)
        return qs;
    if (!page)
        return TT_QS_HARD;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id) ||
        tt__sq_bind_text(st, 3, page->after_id) ||
        tt__sq_bind_int(st, 4, tt__sq_page_limit(page->limit)))
        return tt__sq_bind_failed(q, st);
    struct record_each e = {cb, cls};
    return tt__sq_each(q, st, record_each_row, &e);
}

enum tt_qs tt__sq_record_count(struct tt_store_conn *c, const char *tenant_id, int64_t *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SQ_RECORD_COUNT, "SELECT COUNT(*) FROM records WHERE tenant_id = ?", &qs);
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
