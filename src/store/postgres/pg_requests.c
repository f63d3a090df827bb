/* SPDX-License-Identifier: Apache-2.0 */
/* pg_requests.c — the requests area on PostgreSQL (requests_store.h; issue 5): rights requests,
 * their timeline, one-time exports, and the bounded deletes of an erasure. Statement slots
 * 192..255 (store/areas.h). Same behaviour as src/store/sqlite/requests.c. */
#include "pg_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../requests_store.h"
#include "pg_rectifications.h"

enum {
    S_PUT = TT_STORE_SLOT_BASE(TT_AREA_REQUESTS),
    S_UPDATE,
    S_GET,
    S_LIST,
    S_SCAN_OPEN,
    S_LIST_SUBJECT,
    S_EVENT_PUT,
    S_EVENT_LIST,
    S_EXPORT_PUT,
    S_EXPORT_GET,
    S_EXPORT_USE,
    S_RECORD_DELETE,
    S_RECORD_RESEAL,
    S_IDENTITY_DELETE,
    S_PURGE_EVENTS,
    S_PURGE_EXPORTS,
    S_PURGE,
    S_RECORD_KEPT,
    S_RECORD_COUNT,
    S__END
};
_Static_assert(S__END <= TT_STORE_SLOT_BASE(TT_AREA_REQUESTS) + 32,
               "requests statements overflow their range (pg_rectifications.c: 32..)");

/* the same oldest-first page of finished requests in each of the three deletes */
#define FINISHED                                                                                   \
    "(tenant_id, request_id) IN (SELECT tenant_id, request_id FROM requests"                       \
    " WHERE state >= 5 AND completed_at > 0 AND completed_at < $1"                                 \
    " ORDER BY completed_at, tenant_id, request_id LIMIT $2)"

#define RQ_COLS                                                                                    \
    "tenant_id, request_id, subject_id, type, channel, state, rule, purpose, created_by,"          \
    " received_at, due_at, max_due_at, original_due_at, notice_at, verified_at, verify_method,"    \
    " code_hash, code_expires_at, code_attempts, flagged_at, completed_at, updated_at, outcome,"   \
    " attachment_enc, confirmation_enc"
#define EV_COLS "tenant_id, request_id, seq, at, actor, event, from_state, to_state, reason"
#define EX_COLS                                                                                    \
    "tenant_id, token_hash, request_id, subject_id, created_at, expires_at, used_at, archive_enc"

/* parameters of the mutable columns, in bind_mutable's order */
#define MUTABLE_TYPES "ittiiiiittiiiiitbb"
_Static_assert(sizeof "tttiiti" MUTABLE_TYPES - 1 <= PG_MAX_PARAMS,
               "a request row overflows pg_args");

static const struct pg_stmt ST[] = {
    {S_PUT, "tt_rq_put", "tttiiti" MUTABLE_TYPES,
     "INSERT INTO requests (tenant_id, request_id, subject_id, type, channel, created_by,"
     " received_at, state, rule, purpose, due_at, max_due_at, original_due_at, notice_at,"
     " verified_at, verify_method, code_hash, code_expires_at, code_attempts, flagged_at,"
     " completed_at, updated_at, outcome, attachment_enc, confirmation_enc)"
     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
     " $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)",
     NULL},
    {S_UPDATE, "tt_rq_update", MUTABLE_TYPES "tt",
     "UPDATE requests SET state = $1, rule = $2, purpose = $3, due_at = $4, max_due_at = $5,"
     " original_due_at = $6, notice_at = $7, verified_at = $8, verify_method = $9,"
     " code_hash = $10, code_expires_at = $11, code_attempts = $12, flagged_at = $13,"
     " completed_at = $14, updated_at = $15, outcome = $16,"
     " attachment_enc = COALESCE($17, attachment_enc),"
     " confirmation_enc = COALESCE($18, confirmation_enc)"
     " WHERE tenant_id = $19 AND request_id = $20",
     NULL},
    {S_GET, "tt_rq_get", "tt",
     "SELECT " RQ_COLS " FROM requests WHERE tenant_id = $1 AND request_id = $2", NULL},
    /* open states are 0..4 (request_state.h) */
    {S_LIST, "tt_rq_list", "tiiiti",
     "SELECT " RQ_COLS " FROM requests WHERE tenant_id = $1"
     " AND (CASE WHEN $2 < 0 THEN state <= 4 ELSE state = $2 END)"
     " AND ($3 = 0 OR due_at < $3)"
     " AND (due_at > $4 OR (due_at = $4 AND request_id > $5))"
     " ORDER BY due_at, request_id LIMIT $6",
     NULL},
    {S_SCAN_OPEN, "tt_rq_scan_open", "tti",
     "SELECT " RQ_COLS " FROM requests WHERE state <= 4"
     " AND (tenant_id > $1 OR (tenant_id = $1 AND request_id > $2))"
     " ORDER BY tenant_id, request_id LIMIT $3",
     NULL},
    {S_LIST_SUBJECT, "tt_rq_list_subject", "tt",
     "SELECT " RQ_COLS " FROM requests WHERE tenant_id = $1 AND subject_id = $2"
     " ORDER BY request_id",
     NULL},
    /* the request row is locked by the transition's UPDATE before its step is appended, so
     * two writers of one request's timeline serialise on it */
    {S_EVENT_PUT, "tt_rq_event_put", "ttittiit",
     "INSERT INTO request_events (" EV_COLS ")"
     " SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7, $8"
     " FROM request_events WHERE tenant_id = $1 AND request_id = $2",
     NULL},
    {S_EVENT_LIST, "tt_rq_event_list", "tt",
     "SELECT " EV_COLS " FROM request_events WHERE tenant_id = $1 AND request_id = $2"
     " ORDER BY seq",
     NULL},
    {S_EXPORT_PUT, "tt_rq_export_put", "ttttiiib",
     "INSERT INTO exports (" EX_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", NULL},
    {S_EXPORT_GET, "tt_rq_export_get", "tt",
     "SELECT " EX_COLS " FROM exports WHERE tenant_id = $1 AND token_hash = $2", NULL},
    {S_EXPORT_USE, "tt_rq_export_use", "itt",
     "UPDATE exports SET used_at = $1, archive_enc = NULL"
     " WHERE tenant_id = $2 AND token_hash = $3 AND used_at = 0",
     NULL},
    {S_RECORD_DELETE, "tt_rq_record_delete", "ttii",
     "DELETE FROM records WHERE tenant_id = $1 AND record_id IN ("
     " SELECT record_id FROM records WHERE tenant_id = $1 AND subject_id = $2"
     " AND NOT (legal_basis = 3 AND retention_until > $3) LIMIT $4)",
     NULL},
    {S_RECORD_RESEAL, "tt_rq_record_reseal", "btt",
     "UPDATE records SET value_enc = $1 WHERE tenant_id = $2 AND record_id = $3", NULL},
    {S_IDENTITY_DELETE, "tt_rq_identity_delete", "tt",
     "DELETE FROM identities WHERE tenant_id = $1 AND subject_id = $2", NULL},
    {S_PURGE_EVENTS, "tt_rq_purge_events", "ii",
     "DELETE FROM request_events WHERE " FINISHED " RETURNING tenant_id, request_id, 0", NULL},
    {S_PURGE_EXPORTS, "tt_rq_purge_exports", "ii",
     "DELETE FROM exports WHERE " FINISHED " RETURNING tenant_id, request_id, 0", NULL},
    {S_PURGE, "tt_rq_purge", "ii",
     "DELETE FROM requests WHERE " FINISHED " RETURNING tenant_id, request_id, type", NULL},
    {S_RECORD_KEPT, "tt_rq_record_kept", "tti",
     "SELECT tenant_id, record_id, subject_id, service, data_category, legal_basis,"
     " retention_until, value_enc FROM records WHERE tenant_id = $1 AND subject_id = $2"
     " AND legal_basis = 3 AND retention_until > $3 ORDER BY record_id",
     NULL},
    {S_RECORD_COUNT, "tt_rq_record_count", "tt",
     "SELECT count(*) FROM records WHERE tenant_id = $1 AND subject_id = $2", NULL},
};

static const struct pg_stmt *st_of(int id)
{
    return &ST[id - TT_STORE_SLOT_BASE(TT_AREA_REQUESTS)];
}

static struct pg_conn *P(struct tt_store_conn *c)
{
    return pg_conn_of(c);
}

static void arg_mutable(struct pg_args *a, const struct tt_request *r)
{
    tt__pg_arg_int(a, r->state);
    tt__pg_arg_text(a, r->rule);
    tt__pg_arg_text(a, r->purpose);
    tt__pg_arg_int(a, r->due_at);
    tt__pg_arg_int(a, r->max_due_at);
    tt__pg_arg_int(a, r->original_due_at);
    tt__pg_arg_int(a, r->notice_at);
    tt__pg_arg_int(a, r->verified_at);
    tt__pg_arg_text(a, r->verify_method);
    tt__pg_arg_text(a, r->code_hash);
    tt__pg_arg_int(a, r->code_expires_at);
    tt__pg_arg_int(a, r->code_attempts);
    tt__pg_arg_int(a, r->flagged_at);
    tt__pg_arg_int(a, r->completed_at);
    tt__pg_arg_int(a, r->updated_at);
    tt__pg_arg_text(a, r->outcome);
    tt__pg_arg_bytes(a, r->attachment_enc, r->attachment_enc_len);
    tt__pg_arg_bytes(a, r->confirmation_enc, r->confirmation_enc_len);
}

struct rq_each {
    tt_request_cb cb;
    void *cls;
};

static int rq_row(void *cls, const PGresult *res, int row)
{
    struct rq_each *e = cls;
    struct tt_request r;
    memset(&r, 0, sizeof r);
    if (tt__pg_text(res, row, 0, r.tenant_id, sizeof r.tenant_id) < 0 ||
        tt__pg_text(res, row, 1, r.id, sizeof r.id) < 0 ||
        tt__pg_text(res, row, 2, r.subject_id, sizeof r.subject_id) < 0 ||
        tt__pg_text(res, row, 6, r.rule, sizeof r.rule) < 0 ||
        tt__pg_text(res, row, 7, r.purpose, sizeof r.purpose) < 0 ||
        tt__pg_text(res, row, 8, r.created_by, sizeof r.created_by) < 0 ||
        tt__pg_text(res, row, 15, r.verify_method, sizeof r.verify_method) < 0 ||
        tt__pg_text(res, row, 16, r.code_hash, sizeof r.code_hash) < 0 ||
        tt__pg_text(res, row, 22, r.outcome, sizeof r.outcome) < 0)
        return -1;
    r.type = (enum tt_rq_type)tt__pg_int(res, row, 3);
    r.channel = (enum tt_rq_channel)tt__pg_int(res, row, 4);
    r.state = (enum tt_rq_state)tt__pg_int(res, row, 5);
    r.received_at = tt__pg_int(res, row, 9);
    r.due_at = tt__pg_int(res, row, 10);
    r.max_due_at = tt__pg_int(res, row, 11);
    r.original_due_at = tt__pg_int(res, row, 12);
    r.notice_at = tt__pg_int(res, row, 13);
    r.verified_at = tt__pg_int(res, row, 14);
    r.code_expires_at = tt__pg_int(res, row, 17);
    r.code_attempts = (int)tt__pg_int(res, row, 18);
    r.flagged_at = tt__pg_int(res, row, 19);
    r.completed_at = tt__pg_int(res, row, 20);
    r.updated_at = tt__pg_int(res, row, 21);
    r.attachment_enc = tt__pg_bytes(res, row, 23, &r.attachment_enc_len);
    r.confirmation_enc = tt__pg_bytes(res, row, 24, &r.confirmation_enc_len);
    return e->cb && e->cb(e->cls, &r) ? 1 : 0;
}

static enum tt_qs rq_put(struct tt_store_conn *c, const struct tt_request *r)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, r->tenant_id);
    tt__pg_arg_text(&a, r->id);
    tt__pg_arg_text(&a, r->subject_id);
    tt__pg_arg_int(&a, r->type);
    tt__pg_arg_int(&a, r->channel);
    tt__pg_arg_text(&a, r->created_by);
    tt__pg_arg_int(&a, r->received_at);
    arg_mutable(&a, r);
    return tt__pg_exec_one(P(c), st_of(S_PUT), &a);
}

static enum tt_qs rq_update(struct tt_store_conn *c, const struct tt_request *r)
{
    struct pg_args a = {0};
    arg_mutable(&a, r);
    tt__pg_arg_text(&a, r->tenant_id);
    tt__pg_arg_text(&a, r->id);
    return tt__pg_exec_one(P(c), st_of(S_UPDATE), &a);
}

static enum tt_qs one_of(enum tt_qs qs)
{
    return qs > TT_QS_ONE ? TT_QS_ONE : qs;
}

static enum tt_qs rq_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                         tt_request_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id);
    struct rq_each e = {cb, cls};
    return one_of(tt__pg_each(P(c), st_of(S_GET), &a, rq_row, &e));
}

static enum tt_qs rq_list(struct tt_store_conn *c, const char *tenant_id,
                          const struct tt_request_filter *f, tt_request_cb cb, void *cls)
{
    int limit = f->limit < 1 ? 1 : f->limit > 1000 ? 1000 : f->limit;
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_int(&a, f->state);
    tt__pg_arg_int(&a, f->due_before);
    tt__pg_arg_int(&a, f->after_due);
    tt__pg_arg_text(&a, f->after_id);
    tt__pg_arg_int(&a, limit);
    struct rq_each e = {cb, cls};
    return tt__pg_each(P(c), st_of(S_LIST), &a, rq_row, &e);
}

static enum tt_qs rq_scan_open(struct tt_store_conn *c, const char *after_tenant,
                               const char *after_id, int limit, tt_request_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, after_tenant ? after_tenant : "");
    tt__pg_arg_text(&a, after_id ? after_id : "");
    tt__pg_arg_int(&a, limit < 1 ? 1 : limit > 1000 ? 1000 : limit);
    struct rq_each e = {cb, cls};
    return tt__pg_each(P(c), st_of(S_SCAN_OPEN), &a, rq_row, &e);
}

static enum tt_qs rq_list_subject(struct tt_store_conn *c, const char *tenant_id,
                                  const char *subject_id, tt_request_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    struct rq_each e = {cb, cls};
    return tt__pg_each(P(c), st_of(S_LIST_SUBJECT), &a, rq_row, &e);
}

static enum tt_qs ev_put(struct tt_store_conn *c, const struct tt_request_event *e)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, e->tenant_id);
    tt__pg_arg_text(&a, e->request_id);
    tt__pg_arg_int(&a, e->at);
    tt__pg_arg_text(&a, e->actor);
    tt__pg_arg_text(&a, e->event);
    tt__pg_arg_int(&a, e->from_state);
    tt__pg_arg_int(&a, e->to_state);
    tt__pg_arg_text(&a, e->reason);
    return tt__pg_exec_one(P(c), st_of(S_EVENT_PUT), &a);
}

struct ev_each {
    tt_request_event_cb cb;
    void *cls;
};

static int ev_row(void *cls, const PGresult *res, int row)
{
    struct ev_each *x = cls;
    struct tt_request_event e;
    memset(&e, 0, sizeof e);
    if (tt__pg_text(res, row, 0, e.tenant_id, sizeof e.tenant_id) < 0 ||
        tt__pg_text(res, row, 1, e.request_id, sizeof e.request_id) < 0 ||
        tt__pg_text(res, row, 4, e.actor, sizeof e.actor) < 0 ||
        tt__pg_text(res, row, 5, e.event, sizeof e.event) < 0 ||
        tt__pg_text(res, row, 8, e.reason, sizeof e.reason) < 0)
        return -1;
    e.seq = tt__pg_int(res, row, 2);
    e.at = tt__pg_int(res, row, 3);
    e.from_state = (enum tt_rq_state)tt__pg_int(res, row, 6);
    e.to_state = (enum tt_rq_state)tt__pg_int(res, row, 7);
    return x->cb && x->cb(x->cls, &e) ? 1 : 0;
}

static enum tt_qs ev_list(struct tt_store_conn *c, const char *tenant_id, const char *request_id,
                          tt_request_event_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, request_id);
    struct ev_each x = {cb, cls};
    return tt__pg_each(P(c), st_of(S_EVENT_LIST), &a, ev_row, &x);
}

static enum tt_qs ex_put(struct tt_store_conn *c, const struct tt_export *x)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, x->tenant_id);
    tt__pg_arg_text(&a, x->token_hash);
    tt__pg_arg_text(&a, x->request_id);
    tt__pg_arg_text(&a, x->subject_id);
    tt__pg_arg_int(&a, x->created_at);
    tt__pg_arg_int(&a, x->expires_at);
    tt__pg_arg_int(&a, x->used_at);
    tt__pg_arg_bytes(&a, x->archive_enc, x->archive_enc_len);
    return tt__pg_exec_one(P(c), st_of(S_EXPORT_PUT), &a);
}

struct ex_each {
    int (*cb)(void *, const struct tt_export *);
    void *cls;
};

static int ex_row(void *cls, const PGresult *res, int row)
{
    struct ex_each *e = cls;
    struct tt_export x;
    memset(&x, 0, sizeof x);
    if (tt__pg_text(res, row, 0, x.tenant_id, sizeof x.tenant_id) < 0 ||
        tt__pg_text(res, row, 1, x.token_hash, sizeof x.token_hash) < 0 ||
        tt__pg_text(res, row, 2, x.request_id, sizeof x.request_id) < 0 ||
        tt__pg_text(res, row, 3, x.subject_id, sizeof x.subject_id) < 0)
        return -1;
    x.created_at = tt__pg_int(res, row, 4);
    x.expires_at = tt__pg_int(res, row, 5);
    x.used_at = tt__pg_int(res, row, 6);
    x.archive_enc = tt__pg_bytes(res, row, 7, &x.archive_enc_len);
    return e->cb && e->cb(e->cls, &x) ? 1 : 0;
}

static enum tt_qs ex_get(struct tt_store_conn *c, const char *tenant_id, const char *token_hash,
                         int (*cb)(void *, const struct tt_export *), void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, token_hash);
    struct ex_each e = {cb, cls};
    return one_of(tt__pg_each(P(c), st_of(S_EXPORT_GET), &a, ex_row, &e));
}

static enum tt_qs ex_use(struct tt_store_conn *c, const char *tenant_id, const char *token_hash,
                         tt_time at)
{
    struct pg_args a = {0};
    tt__pg_arg_int(&a, at);
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, token_hash);
    return tt__pg_exec_one(P(c), st_of(S_EXPORT_USE), &a);
}

static enum tt_qs rec_delete_batch(struct tt_store_conn *c, const char *tenant_id,
                                   const char *subject_id, tt_time keep_after, int limit,
                                   int64_t *deleted)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    tt__pg_arg_int(&a, keep_after);
    tt__pg_arg_int(&a, limit < 1 ? 1 : limit);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(P(c), st_of(S_RECORD_DELETE), &a, &r);
    if (qs < 0)
        return qs;
    long long n = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    if (n <= 0)
        return TT_QS_NONE;
    *deleted = n;
    return TT_QS_ONE;
}

struct kept_each {
    tt_record_cb cb;
    void *cls;
};

static int kept_row(void *cls, const PGresult *res, int row)
{
    struct kept_each *e = cls;
    struct tt_record r;
    memset(&r, 0, sizeof r);
    if (tt__pg_text(res, row, 0, r.tenant_id, sizeof r.tenant_id) < 0 ||
        tt__pg_text(res, row, 1, r.id, sizeof r.id) < 0 ||
        tt__pg_text(res, row, 2, r.subject_id, sizeof r.subject_id) < 0 ||
        tt__pg_text(res, row, 3, r.service, sizeof r.service) < 0 ||
        tt__pg_text(res, row, 4, r.data_category, sizeof r.data_category) < 0)
        return -1;
    r.legal_basis = (enum tt_basis)tt__pg_int(res, row, 5);
    r.retention_until = tt__pg_int(res, row, 6);
    r.value_enc = tt__pg_bytes(res, row, 7, &r.value_enc_len);
    return e->cb && e->cb(e->cls, &r) ? 1 : 0;
}

static enum tt_qs rec_kept_list(struct tt_store_conn *c, const char *tenant_id,
                                const char *subject_id, tt_time keep_after, tt_record_cb cb,
                                void *cls, int64_t *total)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(P(c), st_of(S_RECORD_COUNT), &a, &r);
    if (qs < 0)
        return qs;
    int64_t n = PQntuples(r) == 1 ? tt__pg_int(r, 0, 0) : -1;
    PQclear(r);
    if (n < 0)
        return TT_QS_HARD;
    tt__pg_arg_int(&a, keep_after);
    struct kept_each e = {cb, cls};
    qs = tt__pg_each(P(c), st_of(S_RECORD_KEPT), &a, kept_row, &e);
    if (qs >= 0)
        *total = n;
    return qs;
}

static enum tt_qs rec_reseal(struct tt_store_conn *c, const char *tenant_id, const char *record_id,
                             const uint8_t *value_enc, size_t len)
{
    struct pg_args a = {0};
    tt__pg_arg_bytes(&a, value_enc, len);
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, record_id);
    return tt__pg_exec_one(P(c), st_of(S_RECORD_RESEAL), &a);
}

static enum tt_qs ident_delete(struct tt_store_conn *c, const char *tenant_id,
                               const char *subject_id)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    return tt__pg_exec_one(P(c), st_of(S_IDENTITY_DELETE), &a);
}

struct purge_each {
    int what;
    int (*cb)(void *, const struct tt_purged *);
    void *cls;
};

static int purge_row(void *cls, const PGresult *res, int row)
{
    struct purge_each *e = cls;
    struct tt_purged p;
    memset(&p, 0, sizeof p);
    p.what = e->what;
    if (tt__pg_text(res, row, 0, p.tenant_id, sizeof p.tenant_id) < 0 ||
        tt__pg_text(res, row, 1, p.request_id, sizeof p.request_id) < 0)
        return -1;
    p.type = (enum tt_rq_type)tt__pg_int(res, row, 2);
    if (e->cb)
        e->cb(e->cls, &p); /* every row RETURNING yields is deleted: no early stop */
    return 0;
}

static enum tt_qs rq_purge(struct tt_store_conn *c, tt_time before, int limit,
                           int (*cb)(void *, const struct tt_purged *), void *cls, int64_t *deleted)
{
    static const int ids[] = {S_PURGE_EVENTS, S_PURGE_EXPORTS, S_PURGE};
    static const int what[] = {TT_PURGED_EVENT, TT_PURGED_EXPORT, TT_PURGED_REQUEST};
    enum tt_qs qs = TT_QS_NONE;
    for (size_t i = 0; i < 3 && qs >= 0; i++) {
        struct pg_args a = {0};
        tt__pg_arg_int(&a, before);
        tt__pg_arg_int(&a, limit < 1 ? 1 : limit);
        struct purge_each e = {what[i], cb, cls};
        qs = tt__pg_each(P(c), st_of(ids[i]), &a, purge_row, &e);
    }
    if (qs < 0)
        return qs;
    *deleted = (int64_t)qs;
    return qs > 0 ? TT_QS_ONE : TT_QS_NONE;
}

const struct tt_requests_store_ops tt__pg_requests_ops = {
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
    .rct_target_get = tt__pg_rct_target_get,
    .rct_put = tt__pg_rct_put,
    .rct_list = tt__pg_rct_list,
    .rct_identity_set = tt__pg_rct_identity_set,
    .rct_delete_subject = tt__pg_rct_delete_subject,
};
