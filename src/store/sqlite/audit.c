/* SPDX-License-Identifier: Apache-2.0 */
/* audit.c — the append-only audit ledger (S6.3): one hash chain per tenant in audit_events,
 * its tail in audit_heads. core/ledger computes the hashes; this file keeps the chain linear:
 * an event is appended only if it follows the tail (seq + 1, prev_hash = tail hash), and the
 * event and the new tail are written together or not at all. Within a transaction the tail
 * read or moved is kept on the connection (sq.h audit_tail): the write lock of BEGIN IMMEDIATE
 * keeps every other writer, of any process, out until it ends, so a group commit's events read
 * the tail once per transaction; txn.c forgets it when the transaction ends. */
#include "sq.h"

#include <stdio.h>
#include <string.h>

#define EVENT_COLS "tenant_id, seq, at, actor, action, target, detail, prev_hash, hash"

/* detail_json points into the row (valid during a callback); NULL when read for audit_last */
static int fill_event(sqlite3_stmt *st, struct tt_audit_event *e, int with_detail)
{
    memset(e, 0, sizeof *e);
    tt__sq_col_text(st, 0, e->tenant_id, sizeof e->tenant_id);
    e->seq = sqlite3_column_int64(st, 1);
    e->at = sqlite3_column_int64(st, 2);
    tt__sq_col_text(st, 3, e->actor, sizeof e->actor);
    tt__sq_col_text(st, 4, e->action, sizeof e->action);
    tt__sq_col_text(st, 5, e->target, sizeof e->target);
    if (with_detail)
        e->detail_json = (const char *)sqlite3_column_text(st, 6);
    if (tt__sq_col_fixed(st, 7, e->prev_hash, sizeof e->prev_hash) < 0 ||
        tt__sq_col_fixed(st, 8, e->hash, sizeof e->hash) < 0)
        return -1;
    return 0;
}

static int last_row(sqlite3_stmt *st, void *ctx)
{
    return fill_event(st, ctx, 0);
}

struct event_each {
    tt_audit_cb cb;
    void *cls;
};

static int event_each_row(sqlite3_stmt *st, void *ctx)
{
    struct event_each *x = ctx;
    struct tt_audit_event e;
    if (fill_event(st, &e, 1) < 0)
        return -1;
    return x->cb && x->cb(x->cls, &e) ? 1 : 0;
}

/* Whether the connection's copy of tenant_id's tail is this transaction's. */
static int tail_known(struct sq_conn *q, const char *tenant_id)
{
    return q->audit_tail_valid && !sqlite3_get_autocommit(q->db) &&
           strcmp(q->audit_tail.tenant_id, tenant_id) == 0;
}

static void tail_keep(struct sq_conn *q, const char *tenant_id, const struct tt_audit_event *e)
{
    if (e) {
        q->audit_tail = *e;
        q->audit_tail.detail_json = NULL;
    } else { /* an empty chain */
        memset(&q->audit_tail, 0, sizeof q->audit_tail);
        snprintf(q->audit_tail.tenant_id, sizeof q->audit_tail.tenant_id, "%s", tenant_id);
    }
    q->audit_tail_valid = 1;
}

/* In SQLite the enclosing BEGIN IMMEDIATE already holds the write lock, so the tail read here
 * cannot change before the append; it is read once per transaction (tail_known). detail_json is
 * not filled (NULL). */
enum tt_qs tt__sq_audit_last(struct tt_store_conn *c, const char *tenant_id,
                             struct tt_audit_event *out)
{
    struct sq_conn *q = sq_of(c);
    if (tail_known(q, tenant_id)) {
        if (q->audit_tail.seq == 0)
            return TT_QS_NONE;
        *out = q->audit_tail;
        return TT_QS_ONE;
    }
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SQ_AUDIT_LAST,
        "SELECT e.tenant_id, e.seq, e.at, e.actor, e.action, e.target, e.detail, e.prev_hash,"
        " e.hash FROM audit_heads h JOIN audit_events e"
        " ON e.tenant_id = h.tenant_id AND e.seq = h.seq WHERE h.tenant_id = ?",
        &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id))
        return tt__sq_bind_failed(q, st);
    struct tt_audit_event e;
    qs = tt__sq_one(q, st, last_row, &e);
    if (qs == TT_QS_ONE)
        *out = e;
    if (qs >= 0 && !sqlite3_get_autocommit(q->db))
        tail_keep(q, tenant_id, qs == TT_QS_ONE ? &e : NULL);
    return qs;
}

static enum tt_qs insert_event(struct sq_conn *q, const struct tt_audit_event *e)
{
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(
        q, SQ_AUDIT_APPEND,
        "INSERT INTO audit_events (" EVENT_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, e->tenant_id) || tt__sq_bind_int(st, 2, e->seq) ||
        tt__sq_bind_int(st, 3, e->at) || tt__sq_bind_text(st, 4, e->actor) ||
        tt__sq_bind_text(st, 5, e->action) || tt__sq_bind_text(st, 6, e->target) ||
        tt__sq_bind_text(st, 7, e->detail_json) ||
        tt__sq_bind_blob(st, 8, e->prev_hash, sizeof e->prev_hash) ||
        tt__sq_bind_blob(st, 9, e->hash, sizeof e->hash))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

/* NONE when the tail is not the one the event follows. */
static enum tt_qs move_head(struct sq_conn *q, const struct tt_audit_event *e)
{
    enum tt_qs qs = TT_QS_HARD;
    /* the tail moves only to the event that follows it: a chain never forks */
    sqlite3_stmt *st =
        tt__sq_stmt(q, SQ_AUDIT_HEAD_PUT,
                    "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq,"
                    " hash = excluded.hash"
                    " WHERE audit_heads.seq + 1 = excluded.seq AND audit_heads.hash = ?4",
                    &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, e->tenant_id) || tt__sq_bind_int(st, 2, e->seq) ||
        tt__sq_bind_blob(st, 3, e->hash, sizeof e->hash) ||
        tt__sq_bind_blob(st, 4, e->prev_hash, sizeof e->prev_hash))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs append_rows(struct sq_conn *q, const struct tt_audit_event *e)
{
    enum tt_qs qs = insert_event(q, e);
    return qs == TT_QS_ONE ? move_head(q, e) : qs;
}

/* ONE when appended; NONE when the event does not follow the tail (or its seq is taken), with
 * nothing written: a savepoint wraps the event row and the tail update — unless the event
 * follows the tail this transaction holds (tail_known), which no one else can move: then the
 * tail update cannot miss, a taken seq fails the event's own INSERT (nothing written), and
 * any other failure is one the transaction does not survive. */
enum tt_qs tt__sq_audit_append(struct tt_store_conn *c, const struct tt_audit_event *e)
{
    struct sq_conn *q = sq_of(c);
    int follows = tail_known(q, e->tenant_id) && e->seq == q->audit_tail.seq + 1 &&
                  (q->audit_tail.seq == 0 ||
                   memcmp(e->prev_hash, q->audit_tail.hash, sizeof e->prev_hash) == 0);
    q->audit_tail_valid = 0;
    if (follows) {
        enum tt_qs qs = insert_event(q, e);
        if (qs != TT_QS_ONE)
            return qs; /* nothing written */
        qs = move_head(q, e);
        if (qs != TT_QS_ONE) /* the event row is in: the transaction must not commit */
            return qs == TT_QS_NONE ? TT_QS_HARD : qs;
        tail_keep(q, e->tenant_id, e);
        return qs;
    }
    int rc = tt__sq_exec(q, SQ_SP_BEGIN, "SAVEPOINT tt_audit_append");
    if (rc != SQLITE_OK) {
        enum tt_qs qs = tt__sq_fail(q, rc);
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    enum tt_qs qs = append_rows(q, e);
    if (qs != TT_QS_ONE)
        (void)tt__sq_exec(q, SQ_SP_ROLLBACK, "ROLLBACK TO tt_audit_append");
    rc = tt__sq_exec(q, SQ_SP_RELEASE, "RELEASE tt_audit_append");
    if (rc != SQLITE_OK && qs == TT_QS_ONE) {
        qs = tt__sq_fail(q, rc);
        if (qs == TT_QS_NONE)
            qs = TT_QS_HARD;
    }
    return qs;
}

/* tenant_id NULL: every chain, in (tenant_id, seq) order; from/to bound "at" inclusively, 0 is
 * open. Streamed row by row. */
enum tt_qs tt__sq_audit_scan(struct tt_store_conn *c, const char *tenant_id, tt_time from,
                             tt_time to, tt_audit_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st;
    if (tenant_id)
        st = tt__sq_stmt(q, SQ_AUDIT_SCAN_TENANT,
                         "SELECT " EVENT_COLS " FROM audit_events WHERE tenant_id = ?3"
                         " AND (?1 = 0 OR at >= ?1) AND (?2 = 0 OR at <= ?2) ORDER BY seq",
                         &qs);
    else
        st = tt__sq_stmt(q, SQ_AUDIT_SCAN_ALL,
                         "SELECT " EVENT_COLS " FROM audit_events"
                         " WHERE (?1 = 0 OR at >= ?1) AND (?2 = 0 OR at <= ?2)"
                         " ORDER BY tenant_id, seq",
                         &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_int(st, 1, from) || tt__sq_bind_int(st, 2, to) ||
        (tenant_id && tt__sq_bind_text(st, 3, tenant_id)))
        return tt__sq_bind_failed(q, st);
    struct event_each x = {cb, cls};
    return tt__sq_each(q, st, event_each_row, &x);
}
