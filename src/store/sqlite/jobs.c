/* SPDX-License-Identifier: Apache-2.0 */
/* jobs.c — the jobs area on SQLite (jobs_store.h): job leases as one conditional UPDATE (the
 * write lock of BEGIN IMMEDIATE, or of the statement itself, makes it atomic), outbox claims by
 * UPDATE … RETURNING, and the change feed, whose single writer makes seq the commit order.
 * Statement slots 64..127. */
#include "sq.h"

#include <stdint.h>
#include <string.h>

#include "../jobs_store.h"

#define SLOT(n) (TT_STORE_SLOT_BASE(TT_AREA_JOBS) + (n))

enum {
    JB_LEASE_TAKE,
    JB_LEASE_INSERT,
    JB_LEASE_RENEW,
    JB_LEASE_RELEASE,
    JB_LEASE_GET,
    JB_OUTBOX_PUT,
    JB_OUTBOX_CLAIM,
    JB_OUTBOX_FINISH,
    JB_OUTBOX_GET,
    JB_OUTBOX_LIST,
    JB_OUTBOX_LIST_STATUS,
    JB_OUTBOX_RETRY,
    JB_OUTBOX_PRUNE_WIPE,
    JB_OUTBOX_PRUNE_DELETE,
    JB_FEED_APPEND,
    JB_FEED_READ,
    JB_FEED_HEAD,
    JB_FEED_PRUNE,
    JB__COUNT
};
_Static_assert(JB__COUNT <= TT_STORE_SLOTS_PER_AREA, "jobs statements overflow their range");

#define OB_COLS                                                                                    \
    "tenant_id, message_id, kind, channel, ref, status, attempts, created_at, next_at,"            \
    " claimed_by, claimed_until, delivered_at, updated_at, master_key_id, last_error, payload_enc"

static sqlite3_stmt *stmt(struct sq_conn *q, int n, const char *sql, enum tt_qs *qs)
{
    return tt__sq_stmt(q, SLOT(n), sql, qs);
}

/* ---- leases ---- */

static enum tt_qs lease_take(struct tt_store_conn *c, const char *job, const char *node,
                             tt_time now, unsigned lease_s, unsigned interval_s)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        stmt(q, JB_LEASE_TAKE,
             "UPDATE job_leases SET holder = ?3, lease_until = ?4 + ?5, last_run_at = ?4,"
             " runs = runs + 1 WHERE tenant_id = ?1 AND job = ?2"
             " AND (holder = ?3 OR lease_until <= ?4) AND last_run_at + ?6 <= ?4",
             &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, TT_JOBS_GLOBAL_TENANT) || tt__sq_bind_text(st, 2, job) ||
        tt__sq_bind_text(st, 3, node) || tt__sq_bind_int(st, 4, now) ||
        tt__sq_bind_int(st, 5, lease_s) || tt__sq_bind_int(st, 6, interval_s))
        return tt__sq_bind_failed(q, st);
    qs = tt__sq_write(q, st);
    if (qs != TT_QS_NONE)
        return qs;
    /* never taken: the first node to insert the row holds it */
    st = stmt(q, JB_LEASE_INSERT,
              "INSERT INTO job_leases (tenant_id, job, holder, lease_until, last_run_at, runs)"
              " VALUES (?1, ?2, ?3, ?4 + ?5, ?4, 1) ON CONFLICT DO NOTHING",
              &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, TT_JOBS_GLOBAL_TENANT) || tt__sq_bind_text(st, 2, job) ||
        tt__sq_bind_text(st, 3, node) || tt__sq_bind_int(st, 4, now) ||
        tt__sq_bind_int(st, 5, lease_s))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs lease_renew(struct tt_store_conn *c, const char *job, const char *node,
                              tt_time now, unsigned lease_s)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = stmt(q, JB_LEASE_RENEW,
                            "UPDATE job_leases SET lease_until = ?4 + ?5"
                            " WHERE tenant_id = ?1 AND job = ?2 AND holder = ?3"
                            " AND lease_until > 0",
                            &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, TT_JOBS_GLOBAL_TENANT) || tt__sq_bind_text(st, 2, job) ||
        tt__sq_bind_text(st, 3, node) || tt__sq_bind_int(st, 4, now) ||
        tt__sq_bind_int(st, 5, lease_s))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs lease_release(struct tt_store_conn *c, const char *job, const char *node)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = stmt(q, JB_LEASE_RELEASE,
                            "UPDATE job_leases SET lease_until = 0"
                            " WHERE tenant_id = ?1 AND job = ?2 AND holder = ?3"
                            " AND lease_until > 0",
                            &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, TT_JOBS_GLOBAL_TENANT) || tt__sq_bind_text(st, 2, job) ||
        tt__sq_bind_text(st, 3, node))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

struct lease_out {
    char *holder;
    tt_time *until;
};

static int lease_row(sqlite3_stmt *st, void *ctx)
{
    struct lease_out *o = ctx;
    tt__sq_col_text(st, 0, o->holder, TT_ID_MAX);
    *o->until = sqlite3_column_int64(st, 1);
    return 0;
}

static enum tt_qs lease_get(struct tt_store_conn *c, const char *job, char holder[TT_ID_MAX],
                            tt_time *until)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = stmt(q, JB_LEASE_GET,
                            "SELECT holder, lease_until FROM job_leases"
                            " WHERE tenant_id = ?1 AND job = ?2",
                            &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, TT_JOBS_GLOBAL_TENANT) || tt__sq_bind_text(st, 2, job))
        return tt__sq_bind_failed(q, st);
    char h[TT_ID_MAX];
    tt_time u = 0;
    struct lease_out o = {h, &u};
    qs = tt__sq_one(q, st, lease_row, &o);
    if (qs == TT_QS_ONE) {
        memcpy(holder, h, TT_ID_MAX);
        *until = u;
    }
    return qs;
}

/* ---- outbox ---- */

static void fill_row(sqlite3_stmt *st, struct tt_outbox_row *r)
{
    memset(r, 0, sizeof *r);
    tt__sq_col_text(st, 0, r->tenant_id, sizeof r->tenant_id);
    tt__sq_col_text(st, 1, r->id, sizeof r->id);
    tt__sq_col_text(st, 2, r->kind, sizeof r->kind);
    r->channel = (int)sqlite3_column_int64(st, 3);
    tt__sq_col_text(st, 4, r->ref, sizeof r->ref);
    r->status = (int)sqlite3_column_int64(st, 5);
    r->attempts = (int)sqlite3_column_int64(st, 6);
    r->created_at = sqlite3_column_int64(st, 7);
    r->next_at = sqlite3_column_int64(st, 8);
    tt__sq_col_text(st, 9, r->claimed_by, sizeof r->claimed_by);
    r->claimed_until = sqlite3_column_int64(st, 10);
    r->delivered_at = sqlite3_column_int64(st, 11);
    r->updated_at = sqlite3_column_int64(st, 12);
    tt__sq_col_text(st, 13, r->master_key_id, sizeof r->master_key_id);
    tt__sq_col_text(st, 14, r->last_error, sizeof r->last_error);
    r->payload_enc = sqlite3_column_blob(st, 15);
    r->payload_enc_len = r->payload_enc ? (size_t)sqlite3_column_bytes(st, 15) : 0;
}

struct ob_each {
    tt_outbox_row_cb cb;
    void *cls;
};

static int ob_row(sqlite3_stmt *st, void *ctx)
{
    struct ob_each *e = ctx;
    struct tt_outbox_row r;
    fill_row(st, &r);
    return e->cb && e->cb(e->cls, &r) ? 1 : 0;
}

static enum tt_qs outbox_put(struct tt_store_conn *c, const struct tt_outbox_row *r)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = stmt(q, JB_OUTBOX_PUT,
                            "INSERT INTO outbox (" OB_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, 0, 0,"
                            " ?6, ?7, '', 0, 0, ?6, ?8, '', ?9)",
                            &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, r->tenant_id) || tt__sq_bind_text(st, 2, r->id) ||
        tt__sq_bind_text(st, 3, r->kind) || tt__sq_bind_int(st, 4, r->channel) ||
        tt__sq_bind_text(st, 5, r->ref) || tt__sq_bind_int(st, 6, r->created_at) ||
        tt__sq_bind_int(st, 7, r->next_at) || tt__sq_bind_text(st, 8, r->master_key_id) ||
        tt__sq_bind_blob(st, 9, r->payload_enc, r->payload_enc_len))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs outbox_claim(struct tt_store_conn *c, const char *node, tt_time now,
                               tt_time claim_until, int limit, tt_outbox_row_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        stmt(q, JB_OUTBOX_CLAIM,
             "UPDATE outbox SET claimed_by = ?1, claimed_until = ?2"
             " WHERE (tenant_id, message_id) IN (SELECT tenant_id, message_id FROM outbox"
             "  WHERE status = 0 AND next_at <= ?3 AND claimed_until <= ?3"
             "  ORDER BY next_at, message_id LIMIT ?4)"
             " RETURNING " OB_COLS,
             &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, node) || tt__sq_bind_int(st, 2, claim_until) ||
        tt__sq_bind_int(st, 3, now) || tt__sq_bind_int(st, 4, tt__sq_page_limit(limit)))
        return tt__sq_bind_failed(q, st);
    /* every row RETURNING yields is claimed: the callback must not stop early */
    struct ob_each e = {cb, cls};
    return tt__sq_each(q, st, ob_row, &e);
}

static enum tt_qs outbox_finish(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                const char *node, const struct tt_outbox_result *res)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        stmt(q, JB_OUTBOX_FINISH,
             "UPDATE outbox SET status = ?4, attempts = ?5, next_at = ?6, updated_at = ?7,"
             " delivered_at = CASE WHEN ?4 = 1 THEN ?7 ELSE delivered_at END,"
             " last_error = ?8, claimed_until = 0,"
             " payload_enc = CASE WHEN ?4 = 1 THEN NULL ELSE payload_enc END"
             " WHERE tenant_id = ?1 AND message_id = ?2 AND claimed_by = ?3 AND status = 0",
             &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id) ||
        tt__sq_bind_text(st, 3, node) || tt__sq_bind_int(st, 4, res->status) ||
        tt__sq_bind_int(st, 5, res->attempts) || tt__sq_bind_int(st, 6, res->next_at) ||
        tt__sq_bind_int(st, 7, res->at) ||
        tt__sq_bind_text(st, 8, res->last_error ? res->last_error : ""))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs outbox_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                             tt_outbox_row_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = stmt(q, JB_OUTBOX_GET,
                            "SELECT " OB_COLS " FROM outbox WHERE tenant_id = ?1"
                            " AND message_id = ?2",
                            &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id))
        return tt__sq_bind_failed(q, st);
    struct ob_each e = {cb, cls};
    return tt__sq_one(q, st, ob_row, &e);
}

static enum tt_qs outbox_list(struct tt_store_conn *c, const char *tenant_id, int status,
                              const struct tt_page *page, tt_outbox_row_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        status < 0 ? stmt(q, JB_OUTBOX_LIST,
                          "SELECT tenant_id, message_id, kind, channel, ref, status, attempts,"
                          " created_at, next_at, claimed_by, claimed_until, delivered_at,"
                          " updated_at, master_key_id, last_error,"
                          " CASE WHEN payload_enc IS NULL THEN NULL ELSE x'01' END FROM outbox"
                          " WHERE tenant_id = ?1 AND message_id > ?2 AND ?4 < 0"
                          " ORDER BY message_id LIMIT ?3",
                          &qs)
                   : stmt(q, JB_OUTBOX_LIST_STATUS,
                          "SELECT tenant_id, message_id, kind, channel, ref, status, attempts,"
                          " created_at, next_at, claimed_by, claimed_until, delivered_at,"
                          " updated_at, master_key_id, last_error,"
                          " CASE WHEN payload_enc IS NULL THEN NULL ELSE x'01' END FROM outbox"
                          " WHERE tenant_id = ?1 AND message_id > ?2 AND status = ?4"
                          " ORDER BY message_id LIMIT ?3",
                          &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, page->after_id) ||
        tt__sq_bind_int(st, 3, tt__sq_page_limit(page->limit)) || tt__sq_bind_int(st, 4, status))
        return tt__sq_bind_failed(q, st);
    struct ob_each e = {cb, cls};
    return tt__sq_each(q, st, ob_row, &e);
}

static enum tt_qs outbox_retry(struct tt_store_conn *c, const char *tenant_id, const char *id,
                               tt_time now)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = stmt(q, JB_OUTBOX_RETRY,
                            "UPDATE outbox SET status = 0, attempts = 0, next_at = ?3,"
                            " updated_at = ?3, claimed_until = 0, last_error = ''"
                            " WHERE tenant_id = ?1 AND message_id = ?2 AND status IN (0, 2)"
                            " AND payload_enc IS NOT NULL",
                            &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id) ||
        tt__sq_bind_int(st, 3, now))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs outbox_prune(struct tt_store_conn *c, tt_time before, int limit, int64_t *n)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = stmt(q, JB_OUTBOX_PRUNE_WIPE,
                            "UPDATE outbox SET payload_enc = NULL WHERE (tenant_id, message_id)"
                            " IN (SELECT tenant_id, message_id FROM outbox WHERE status = 2"
                            "  AND payload_enc IS NOT NULL AND updated_at < ?1 LIMIT ?2)",
                            &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_int(st, 1, before) || tt__sq_bind_int(st, 2, limit))
        return tt__sq_bind_failed(q, st);
    qs = tt__sq_write(q, st);
    if (qs < 0)
        return qs;
    int64_t changed = sqlite3_changes(q->db) * (qs == TT_QS_ONE);
    st = stmt(q, JB_OUTBOX_PRUNE_DELETE,
              "DELETE FROM outbox WHERE (tenant_id, message_id) IN (SELECT tenant_id, message_id"
              " FROM outbox WHERE status = 1 AND delivered_at < ?1 LIMIT ?2)",
              &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_int(st, 1, before) || tt__sq_bind_int(st, 2, limit))
        return tt__sq_bind_failed(q, st);
    qs = tt__sq_write(q, st);
    if (qs < 0)
        return qs;
    changed += sqlite3_changes(q->db) * (qs == TT_QS_ONE);
    *n = changed;
    return changed > 0 ? TT_QS_ONE : TT_QS_NONE;
}

/* ---- change feed ---- */

static enum tt_qs feed_append_detail(struct tt_store_conn *c, const char *tenant_id, int kind,
                                     const char *subject_id, const char *detail, const char *node,
                                     tt_time at)
{
    if (detail && strlen(detail) >= TT_FEED_DETAIL_MAX)
        return TT_QS_HARD; /* read back it would be cut short */
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    /* one writer at a time (BEGIN IMMEDIATE): the next number is the commit order */
    sqlite3_stmt *st =
        stmt(q, JB_FEED_APPEND,
             "INSERT INTO change_feed (tenant_id, seq, txid, kind, subject_id, node_id, at, detail)"
             " SELECT ?1, n, n, ?2, ?3, ?4, ?5, ?6 FROM"
             " (SELECT COALESCE(MAX(txid), 0) + 1 AS n FROM change_feed)",
             &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, kind) ||
        tt__sq_bind_text(st, 3, subject_id) || tt__sq_bind_text(st, 4, node) ||
        tt__sq_bind_int(st, 5, at) || tt__sq_bind_text(st, 6, detail))
        return tt__sq_bind_failed(q, st);
    qs = tt__sq_write(q, st);
    return qs == TT_QS_NONE ? TT_QS_HARD : qs;
}

static enum tt_qs feed_append(struct tt_store_conn *c, const char *tenant_id, int kind,
                              const char *subject_id, const char *node, tt_time at)
{
    return feed_append_detail(c, tenant_id, kind, subject_id, NULL, node, at);
}

struct feed_each {
    tt_feed_row_cb cb;
    void *cls;
};

static int feed_row(sqlite3_stmt *st, void *ctx)
{
    struct feed_each *e = ctx;
    struct tt_feed_row r;
    memset(&r, 0, sizeof r);
    tt__sq_col_text(st, 0, r.tenant_id, sizeof r.tenant_id);
    r.seq = sqlite3_column_int64(st, 1);
    r.txid = sqlite3_column_int64(st, 2);
    r.kind = (int)sqlite3_column_int64(st, 3);
    tt__sq_col_text(st, 4, r.subject_id, sizeof r.subject_id);
    tt__sq_col_text(st, 5, r.node_id, sizeof r.node_id);
    r.at = sqlite3_column_int64(st, 6);
    tt__sq_col_text(st, 7, r.detail, sizeof r.detail); /* NULL reads "" */
    return e->cb && e->cb(e->cls, &r) ? 1 : 0;
}

static enum tt_qs feed_read(struct tt_store_conn *c, int64_t after_txid, int64_t after_seq,
                            int limit, tt_feed_row_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = stmt(q, JB_FEED_READ,
                            "SELECT tenant_id, seq, txid, kind, subject_id, node_id, at,"
                            " detail FROM change_feed WHERE (txid, seq) > (?1, ?2)"
                            " ORDER BY txid, seq LIMIT ?3",
                            &qs);
    if (!st)
        return qs;
    if (limit < 1 || limit > 10000)
        limit = limit < 1 ? 1 : 10000;
    if (tt__sq_bind_int(st, 1, after_txid) || tt__sq_bind_int(st, 2, after_seq) ||
        tt__sq_bind_int(st, 3, limit))
        return tt__sq_bind_failed(q, st);
    struct feed_each e = {cb, cls};
    return tt__sq_each(q, st, feed_row, &e);
}

static int head_row(sqlite3_stmt *st, void *ctx)
{
    int64_t *v = ctx;
    v[0] = sqlite3_column_int64(st, 0);
    v[1] = sqlite3_column_int64(st, 1);
    return 0;
}

static enum tt_qs feed_head(struct tt_store_conn *c, int64_t *txid, int64_t *seq)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = stmt(q, JB_FEED_HEAD,
                            "SELECT COALESCE(MAX(txid), 0), COALESCE(MAX(seq), 0)"
                            " FROM change_feed",
                            &qs);
    if (!st)
        return qs;
    int64_t v[2] = {0, 0};
    qs = tt__sq_one(q, st, head_row, v);
    if (qs == TT_QS_ONE) {
        *txid = v[0];
        *seq = v[1];
    }
    return qs;
}

static enum tt_qs feed_prune(struct tt_store_conn *c, tt_time before, int limit, int64_t *n)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    /* the newest row stays: it carries the numbering on */
    sqlite3_stmt *st = stmt(q, JB_FEED_PRUNE,
                            "DELETE FROM change_feed WHERE (tenant_id, seq) IN"
                            " (SELECT tenant_id, seq FROM change_feed WHERE at < ?1"
                            "  AND txid < (SELECT MAX(txid) FROM change_feed) LIMIT ?2)",
                            &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_int(st, 1, before) || tt__sq_bind_int(st, 2, limit))
        return tt__sq_bind_failed(q, st);
    qs = tt__sq_write(q, st);
    if (qs < 0)
        return qs;
    *n = qs == TT_QS_ONE ? sqlite3_changes(q->db) : 0;
    return qs;
}

const struct tt_jobs_store_ops tt__sq_jobs_ops = {
    .lease_take = lease_take,
    .lease_renew = lease_renew,
    .lease_release = lease_release,
    .lease_get = lease_get,
    .outbox_put = outbox_put,
    .outbox_claim = outbox_claim,
    .outbox_finish = outbox_finish,
    .outbox_get = outbox_get,
    .outbox_list = outbox_list,
    .outbox_retry = outbox_retry,
    .outbox_prune = outbox_prune,
    .feed_append = feed_append,
    .feed_append_detail = feed_append_detail,
    .feed_read = feed_read,
    .feed_head = feed_head,
    .feed_prune = feed_prune,
};
