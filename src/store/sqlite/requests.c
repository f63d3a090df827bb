/* SPDX-License-Identifier: Apache-2.0 */
/* requests.c — the requests area on SQLite (requests_store.h): rights requests, their timeline,
 * one-time exports, and the bounded deletes of an erasure. Statement slots 192..255. */
#include "sq.h"

#include <string.h>

#include "../requests_store.h"
#include "rectifications.h"

#define SLOT(n) (TT_STORE_SLOT_BASE(TT_AREA_REQUESTS) + (n))

enum {
    RQ_PUT,
    RQ_UPDATE,
    RQ_GET,
    RQ_LIST,
    RQ_SCAN_OPEN,
    RQ_LIST_SUBJECT,
    RQ_EVENT_PUT,
    RQ_EVENT_LIST,
    RQ_EXPORT_PUT,
    RQ_EXPORT_GET,
    RQ_EXPORT_USE,
    RQ_RECORD_DELETE,
    RQ_RECORD_RESEAL,
    RQ_IDENTITY_DELETE,
    RQ_PURGE_EVENTS,
    RQ_PURGE_EXPORTS,
    RQ_PURGE,
    RQ_RECORD_KEPT,
    RQ_RECORD_COUNT,
    RQ__COUNT
};
_Static_assert(RQ__COUNT <= 32,
               "requests statements overflow their range (rectifications.c: 32..)");

#define RQ_COLS                                                                                    \
    "tenant_id, request_id, subject_id, type, channel, state, rule, purpose, created_by,"          \
    " received_at, due_at, max_due_at, original_due_at, notice_at, verified_at, verify_method,"    \
    " code_hash, code_expires_at, code_attempts, flagged_at, completed_at, updated_at, outcome,"   \
    " attachment_enc, confirmation_enc"

static void fill_request(sqlite3_stmt *st, struct tt_request *r)
{
    memset(r, 0, sizeof *r);
    tt__sq_col_text(st, 0, r->tenant_id, sizeof r->tenant_id);
    tt__sq_col_text(st, 1, r->id, sizeof r->id);
    tt__sq_col_text(st, 2, r->subject_id, sizeof r->subject_id);
    r->type = (enum tt_rq_type)sqlite3_column_int64(st, 3);
    r->channel = (enum tt_rq_channel)sqlite3_column_int64(st, 4);
    r->state = (enum tt_rq_state)sqlite3_column_int64(st, 5);
    tt__sq_col_text(st, 6, r->rule, sizeof r->rule);
    tt__sq_col_text(st, 7, r->purpose, sizeof r->purpose);
    tt__sq_col_text(st, 8, r->created_by, sizeof r->created_by);
    r->received_at = sqlite3_column_int64(st, 9);
    r->due_at = sqlite3_column_int64(st, 10);
    r->max_due_at = sqlite3_column_int64(st, 11);
    r->original_due_at = sqlite3_column_int64(st, 12);
    r->notice_at = sqlite3_column_int64(st, 13);
    r->verified_at = sqlite3_column_int64(st, 14);
    tt__sq_col_text(st, 15, r->verify_method, sizeof r->verify_method);
    tt__sq_col_text(st, 16, r->code_hash, sizeof r->code_hash);
    r->code_expires_at = sqlite3_column_int64(st, 17);
    r->code_attempts = (int)sqlite3_column_int64(st, 18);
    r->flagged_at = sqlite3_column_int64(st, 19);
    r->completed_at = sqlite3_column_int64(st, 20);
    r->updated_at = sqlite3_column_int64(st, 21);
    tt__sq_col_text(st, 22, r->outcome, sizeof r->outcome);
    r->attachment_enc = sqlite3_column_blob(st, 23);
    r->attachment_enc_len = r->attachment_enc ? (size_t)sqlite3_column_bytes(st, 23) : 0;
    r->confirmation_enc = sqlite3_column_blob(st, 24);
    r->confirmation_enc_len = r->confirmation_enc ? (size_t)sqlite3_column_bytes(st, 24) : 0;
}

struct rq_each {
    tt_request_cb cb;
    void *cls;
};

static int rq_row(sqlite3_stmt *st, void *ctx)
{
    struct rq_each *e = ctx;
    struct tt_request r;
    fill_request(st, &r);
    return e->cb && e->cb(e->cls, &r) ? 1 : 0;
}

/* binds columns 4.. (everything after the three ids) starting at parameter `at` */
static int bind_mutable(sqlite3_stmt *st, int i, const struct tt_request *r)
{
    return tt__sq_bind_int(st, i, r->state) || tt__sq_bind_text(st, i + 1, r->rule) ||
           tt__sq_bind_text(st, i + 2, r->purpose) || tt__sq_bind_int(st, i + 3, r->due_at) ||
           tt__sq_bind_int(st, i + 4, r->max_due_at) ||
           tt__sq_bind_int(st, i + 5, r->original_due_at) ||
           tt__sq_bind_int(st, i + 6, r->notice_at) || tt__sq_bind_int(st, i + 7, r->verified_at) ||
           tt__sq_bind_text(st, i + 8, r->verify_method) ||
           tt__sq_bind_text(st, i + 9, r->code_hash) ||
           tt__sq_bind_int(st, i + 10, r->code_expires_at) ||
           tt__sq_bind_int(st, i + 11, r->code_attempts) ||
           tt__sq_bind_int(st, i + 12, r->flagged_at) ||
           tt__sq_bind_int(st, i + 13, r->completed_at) ||
           tt__sq_bind_int(st, i + 14, r->updated_at) || tt__sq_bind_text(st, i + 15, r->outcome) ||
           tt__sq_bind_blob(st, i + 16, r->attachment_enc, r->attachment_enc_len) ||
           tt__sq_bind_blob(st, i + 17, r->confirmation_enc, r->confirmation_enc_len);
}

static enum tt_qs rq_put(struct tt_store_conn *c, const struct tt_request *r)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SLOT(RQ_PUT),
        "INSERT INTO requests (tenant_id, request_id, subject_id, type, channel, created_by,"
        " received_at, state, rule, purpose, due_at, max_due_at, original_due_at, notice_at,"
        " verified_at, verify_method, code_hash, code_expires_at, code_attempts, flagged_at,"
        " completed_at, updated_at, outcome, attachment_enc, confirmation_enc)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, r->tenant_id) || tt__sq_bind_text(st, 2, r->id) ||
        tt__sq_bind_text(st, 3, r->subject_id) || tt__sq_bind_int(st, 4, r->type) ||
        tt__sq_bind_int(st, 5, r->channel) || tt__sq_bind_text(st, 6, r->created_by) ||
        tt__sq_bind_int(st, 7, r->received_at) || bind_mutable(st, 8, r))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs rq_update(struct tt_store_conn *c, const struct tt_request *r)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SLOT(RQ_UPDATE),
        "UPDATE requests SET state = ?, rule = ?, purpose = ?, due_at = ?, max_due_at = ?,"
        " original_due_at = ?, notice_at = ?, verified_at = ?, verify_method = ?, code_hash = ?,"
        " code_expires_at = ?, code_attempts = ?, flagged_at = ?, completed_at = ?,"
        " updated_at = ?, outcome = ?, attachment_enc = COALESCE(?, attachment_enc),"
        " confirmation_enc = COALESCE(?, confirmation_enc)"
        " WHERE tenant_id = ? AND request_id = ?",
        &qs);
    if (!st)
        return qs;
    if (bind_mutable(st, 1, r) || tt__sq_bind_text(st, 19, r->tenant_id) ||
        tt__sq_bind_text(st, 20, r->id))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs rq_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                         tt_request_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SLOT(RQ_GET),
                                   "SELECT " RQ_COLS " FROM requests"
                                   " WHERE tenant_id = ? AND request_id = ?",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id))
        return tt__sq_bind_failed(q, st);
    struct rq_each e = {cb, cls};
    return tt__sq_one(q, st, rq_row, &e);
}

/* open states are 0..4 (request_state.h) */
static enum tt_qs rq_list(struct tt_store_conn *c, const char *tenant_id,
                          const struct tt_request_filter *f, tt_request_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SLOT(RQ_LIST),
                                   "SELECT " RQ_COLS " FROM requests WHERE tenant_id = ?1"
                                   " AND (CASE WHEN ?2 < 0 THEN state <= 4 ELSE state = ?2 END)"
                                   " AND (?3 = 0 OR due_at < ?3)"
                                   " AND (due_at > ?4 OR (due_at = ?4 AND request_id > ?5))"
                                   " ORDER BY due_at, request_id LIMIT ?6",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, f->state) ||
        tt__sq_bind_int(st, 3, f->due_before) || tt__sq_bind_int(st, 4, f->after_due) ||
        tt__sq_bind_text(st, 5, f->after_id) || tt__sq_bind_int(st, 6, tt__sq_page_limit(f->limit)))
        return tt__sq_bind_failed(q, st);
    struct rq_each e = {cb, cls};
    return tt__sq_each(q, st, rq_row, &e);
}

static enum tt_qs rq_scan_open(struct tt_store_conn *c, const char *after_tenant,
                               const char *after_id, int limit, tt_request_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SLOT(RQ_SCAN_OPEN),
                                   "SELECT " RQ_COLS " FROM requests WHERE state <= 4"
                                   " AND (tenant_id > ?1 OR (tenant_id = ?1 AND request_id > ?2))"
                                   " ORDER BY tenant_id, request_id LIMIT ?3",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, after_tenant ? after_tenant : "") ||
        tt__sq_bind_text(st, 2, after_id ? after_id : "") ||
        tt__sq_bind_int(st, 3, tt__sq_page_limit(limit)))
        return tt__sq_bind_failed(q, st);
    struct rq_each e = {cb, cls};
    return tt__sq_each(q, st, rq_row, &e);
}

static enum tt_qs rq_list_subject(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, tt_request_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SLOT(RQ_LIST_SUBJECT),
                                   "SELECT " RQ_COLS " FROM requests"
                                   " WHERE tenant_id = ? AND subject_id = ? ORDER BY request_id",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id))
        return tt__sq_bind_failed(q, st);
    struct rq_each e = {cb, cls};
    return tt__sq_each(q, st, rq_row, &e);
}

static enum tt_qs ev_put(struct tt_store_conn *c, const struct tt_request_event *e)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SLOT(RQ_EVENT_PUT),
        "INSERT INTO request_events (tenant_id, request_id, seq, at, actor, event, from_state,"
        " to_state, reason) SELECT ?1, ?2, COALESCE(MAX(seq), 0) + 1, ?3, ?4, ?5, ?6, ?7, ?8"
        " FROM request_events WHERE tenant_id = ?1 AND request_id = ?2",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, e->tenant_id) || tt__sq_bind_text(st, 2, e->request_id) ||
        tt__sq_bind_int(st, 3, e->at) || tt__sq_bind_text(st, 4, e->actor) ||
        tt__sq_bind_text(st, 5, e->event) || tt__sq_bind_int(st, 6, e->from_state) ||
        tt__sq_bind_int(st, 7, e->to_state) || tt__sq_bind_text(st, 8, e->reason))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

struct ev_each {
    tt_request_event_cb cb;
    void *cls;
};

static int ev_row(sqlite3_stmt *st, void *ctx)
{
    struct ev_each *x = ctx;
    struct tt_request_event e;
    memset(&e, 0, sizeof e);
    tt__sq_col_text(st, 0, e.tenant_id, sizeof e.tenant_id);
    tt__sq_col_text(st, 1, e.request_id, sizeof e.request_id);
    e.seq = sqlite3_column_int64(st, 2);
    e.at = sqlite3_column_int64(st, 3);
    tt__sq_col_text(st, 4, e.actor, sizeof e.actor);
    tt__sq_col_text(st, 5, e.event, sizeof e.event);
    e.from_state = (enum tt_rq_state)sqlite3_column_int64(st, 6);
    e.to_state = (enum tt_rq_state)sqlite3_column_int64(st, 7);
    tt__sq_col_text(st, 8, e.reason, sizeof e.reason);
    return x->cb && x->cb(x->cls, &e) ? 1 : 0;
}

static enum tt_qs ev_list(struct tt_store_conn *c, const char *tenant_id, const char *request_id,
                          tt_request_event_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SLOT(RQ_EVENT_LIST),
        "SELECT tenant_id, request_id, seq, at, actor, event, from_state, to_state, reason"
        " FROM request_events WHERE tenant_id = ? AND request_id = ? ORDER BY seq",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, request_id))
        return tt__sq_bind_failed(q, st);
    struct ev_each x = {cb, cls};
    return tt__sq_each(q, st, ev_row, &x);
}

static enum tt_qs ex_put(struct tt_store_conn *c, const struct tt_export *x)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SLOT(RQ_EXPORT_PUT),
        "INSERT INTO exports (tenant_id, token_hash, request_id, subject_id, created_at,"
        " expires_at, used_at, archive_enc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, x->tenant_id) || tt__sq_bind_text(st, 2, x->token_hash) ||
        tt__sq_bind_text(st, 3, x->request_id) || tt__sq_bind_text(st, 4, x->subject_id) ||
        tt__sq_bind_int(st, 5, x->created_at) || tt__sq_bind_int(st, 6, x->expires_at) ||
        tt__sq_bind_int(st, 7, x->used_at) ||
        tt__sq_bind_blob(st, 8, x->archive_enc, x->archive_enc_len))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

struct ex_each {
    int (*cb)(void *, const struct tt_export *);
    void *cls;
};

static int ex_row(sqlite3_stmt *st, void *ctx)
{
    struct ex_each *e = ctx;
    struct tt_export x;
    memset(&x, 0, sizeof x);
    tt__sq_col_text(st, 0, x.tenant_id, sizeof x.tenant_id);
    tt__sq_col_text(st, 1, x.token_hash, sizeof x.token_hash);
    tt__sq_col_text(st, 2, x.request_id, sizeof x.request_id);
    tt__sq_col_text(st, 3, x.subject_id, sizeof x.subject_id);
    x.created_at = sqlite3_column_int64(st, 4);
    x.expires_at = sqlite3_column_int64(st, 5);
    x.used_at = sqlite3_column_int64(st, 6);
    x.archive_enc = sqlite3_column_blob(st, 7);
    x.archive_enc_len = x.archive_enc ? (size_t)sqlite3_column_bytes(st, 7) : 0;
    return e->cb && e->cb(e->cls, &x) ? 1 : 0;
}

static enum tt_qs ex_get(struct tt_store_conn *c, const char *tenant_id, const char *token_hash,
                         int (*cb)(void *, const struct tt_export *), void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SLOT(RQ_EXPORT_GET),
        "SELECT tenant_id, token_hash, request_id, subject_id, created_at, expires_at, used_at,"
        " archive_enc FROM exports WHERE tenant_id = ? AND token_hash = ?",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, token_hash))
        return tt__sq_bind_failed(q, st);
    struct ex_each e = {cb, cls};
    return tt__sq_one(q, st, ex_row, &e);
}

static enum tt_qs ex_use(struct tt_store_conn *c, const char *tenant_id, const char *token_hash,
                         tt_time at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SLOT(RQ_EXPORT_USE),
                                   "UPDATE exports SET used_at = ?, archive_enc = NULL"
                                   " WHERE tenant_id = ? AND token_hash = ? AND used_at = 0",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_int(st, 1, at) || tt__sq_bind_text(st, 2, tenant_id) ||
        tt__sq_bind_text(st, 3, token_hash))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs rec_delete_batch(struct tt_store_conn *c, const char *tenant_id,
                                   const char *subject_id, tt_time keep_after, int limit,
                                   int64_t *deleted)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SLOT(RQ_RECORD_DELETE),
                    "DELETE FROM records WHERE tenant_id = ?1 AND record_id IN ("
                    " SELECT record_id FROM records WHERE tenant_id = ?1 AND subject_id = ?2"
                    " AND NOT (legal_basis = 3 AND retention_until > ?3) LIMIT ?4)",
                    &qs);
    if (!st)
        return qs;
    if (limit < 1)
        limit = 1;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id) ||
        tt__sq_bind_int(st, 3, keep_after) || tt__sq_bind_int(st, 4, limit))
        return tt__sq_bind_failed(q, st);
    qs = tt__sq_write(q, st);
    if (qs == TT_QS_ONE)
        *deleted = sqlite3_changes64(q->db);
    return qs;
}

struct kept_each {
    tt_record_cb cb;
    void *cls;
};

static int kept_row(sqlite3_stmt *st, void *ctx)
{
    struct kept_each *e = ctx;
    struct tt_record r;
    memset(&r, 0, sizeof r);
    tt__sq_col_text(st, 0, r.tenant_id, sizeof r.tenant_id);
    tt__sq_col_text(st, 1, r.id, sizeof r.id);
    tt__sq_col_text(st, 2, r.subject_id, sizeof r.subject_id);
    tt__sq_col_text(st, 3, r.service, sizeof r.service);
    tt__sq_col_text(st, 4, r.data_category, sizeof r.data_category);
    r.legal_basis = (enum tt_basis)sqlite3_column_int64(st, 5);
    r.retention_until = sqlite3_column_int64(st, 6);
    r.value_enc = sqlite3_column_blob(st, 7);
    r.value_enc_len = r.value_enc ? (size_t)sqlite3_column_bytes(st, 7) : 0;
    return e->cb && e->cb(e->cls, &r) ? 1 : 0;
}

static enum tt_qs rec_kept_list(struct tt_store_conn *c, const char *tenant_id,
                                const char *subject_id, tt_time keep_after, tt_record_cb cb,
                                void *cls, int64_t *total)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SLOT(RQ_RECORD_COUNT),
                    "SELECT count(*) FROM records WHERE tenant_id = ? AND subject_id = ?", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id))
        return tt__sq_bind_failed(q, st);
    int64_t n = 0;
    qs = tt__sq_one(q, st, tt__sq_int_row, &n);
    if (qs < 0)
        return qs;
    st = tt__sq_stmt(q, SLOT(RQ_RECORD_KEPT),
                     "SELECT tenant_id, record_id, subject_id, service, data_category,"
                     " legal_basis, retention_until, value_enc FROM records"
                     " WHERE tenant_id = ? AND subject_id = ? AND legal_basis = 3"
                     /* '+': walk the subject's index, not every end of the tenant */
                     " AND +retention_until > ? ORDER BY record_id",
                     &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id) ||
        tt__sq_bind_int(st, 3, keep_after))
        return tt__sq_bind_failed(q, st);
    struct kept_each e = {cb, cls};
    qs = tt__sq_each(q, st, kept_row, &e);
    if (qs >= 0)
        *total = n;
    return qs;
}

static enum tt_qs rec_reseal(struct tt_store_conn *c, const char *tenant_id, const char *record_id,
                             const uint8_t *value_enc, size_t len)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SLOT(RQ_RECORD_RESEAL),
                                   "UPDATE records SET value_enc = ?"
                                   " WHERE tenant_id = ? AND record_id = ?",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_blob(st, 1, value_enc, len) || tt__sq_bind_text(st, 2, tenant_id) ||
        tt__sq_bind_text(st, 3, record_id))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs ident_delete(struct tt_store_conn *c, const char *tenant_id,
                               const char *subject_id)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        tt__sq_stmt(q, SLOT(RQ_IDENTITY_DELETE),
                    "DELETE FROM identities WHERE tenant_id = ? AND subject_id = ?", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

/* the same oldest-first page of finished requests in each of the three deletes */
#define FINISHED                                                                                   \
    "(tenant_id, request_id) IN (SELECT tenant_id, request_id FROM requests"                       \
    " WHERE state >= 5 AND completed_at > 0 AND completed_at < ?1"                                 \
    " ORDER BY completed_at, tenant_id, request_id LIMIT ?2)"

struct purge_each {
    int what;
    int (*cb)(void *, const struct tt_purged *);
    void *cls;
};

static int purge_row(sqlite3_stmt *st, void *ctx)
{
    struct purge_each *e = ctx;
    struct tt_purged p;
    memset(&p, 0, sizeof p);
    p.what = e->what;
    tt__sq_col_text(st, 0, p.tenant_id, sizeof p.tenant_id);
    tt__sq_col_text(st, 1, p.request_id, sizeof p.request_id);
    p.type = (enum tt_rq_type)sqlite3_column_int64(st, 2);
    if (e->cb)
        e->cb(e->cls, &p); /* every row RETURNING yields is deleted: no early stop */
    return 0;
}

/* one of the three deletes; each deleted row is passed on; the number of rows, or SOFT/HARD */
static enum tt_qs purge_one(struct sq_conn *q, int slot, const char *sql, tt_time before, int limit,
                            struct purge_each *e)
{
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, SLOT(slot), sql, &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_int(st, 1, before) || tt__sq_bind_int(st, 2, limit))
        return tt__sq_bind_failed(q, st);
    return tt__sq_each(q, st, purge_row, e);
}

static enum tt_qs rq_purge(struct tt_store_conn *c, tt_time before, int limit,
                           int (*cb)(void *, const struct tt_purged *), void *cls, int64_t *deleted)
{
    struct sq_conn *q = sq_of(c);
    if (limit < 1)
        limit = 1;
    struct purge_each e = {TT_PURGED_EVENT, cb, cls};
    enum tt_qs qs = purge_one(q, RQ_PURGE_EVENTS,
                              "DELETE FROM request_events WHERE " FINISHED
                              " RETURNING tenant_id, request_id, 0",
                              before, limit, &e);
    e.what = TT_PURGED_EXPORT;
    if (qs >= 0)
        qs = purge_one(q, RQ_PURGE_EXPORTS,
                       "DELETE FROM exports WHERE " FINISHED " RETURNING tenant_id, request_id, 0",
                       before, limit, &e);
    e.what = TT_PURGED_REQUEST;
    if (qs >= 0)
        qs = purge_one(q, RQ_PURGE,
                       "DELETE FROM requests WHERE " FINISHED
                       " RETURNING tenant_id, request_id, type",
                       before, limit, &e);
    if (qs < 0)
        return qs;
    *deleted = (int64_t)qs;
    return qs > 0 ? TT_QS_ONE : TT_QS_NONE;
}

const struct tt_requests_store_ops tt__sq_requests_ops = {
    .put = rq_put,
    .update = rq_update,
    .get = rq_get,
    .list = rq_list,
    .scan_open = rq_scan_open,
    .list_subject = rq_list_subject,
    .event_put = ev_put,
    .event_list = ev_list,
    .export_put = ex_put,
    .export_get = ex_get,
    .export_use = ex_use,
    .record_delete_batch = rec_delete_batch,
    .record_kept_list = rec_kept_list,
    .record_reseal = rec_reseal,
    .identity_delete_subject = ident_delete,
    .purge_finished = rq_purge,
    .rct_target_get = tt__sq_rct_target_get,
    .rct_put = tt__sq_rct_put,
    .rct_list = tt__sq_rct_list,
    .rct_identity_set = tt__sq_rct_identity_set,
    .rct_delete_subject = tt__sq_rct_delete_subject,
};
