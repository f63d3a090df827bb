/* SPDX-License-Identifier: Apache-2.0 */
/* pg_audit.c — the append-only audit ledger (S6.3) on PostgreSQL: one hash chain per tenant in
 * audit_events, its tail in audit_heads. audit_last takes a row lock on the tenant's tail
 * (created on first use), held until the transaction ends, so writers on any number of nodes
 * append one after the other; audit_append writes the event and moves the tail in one
 * statement, and only if the event follows the tail (seq + 1, prev_hash = tail hash).
 * A pipelined transaction (group commit) assumes the tail this node last committed on that
 * chain, as the consent ledger does (pg_consent.c): its lock rides with the writes, checked to
 * be that tail, so a lone node's batch waits for no answer before its COMMIT (issue 9). */
#include "pg_internal.h"

#include <string.h>

#define EVENT_COLS "tenant_id, seq, at, actor, action, target, detail, prev_hash, hash"
#define ZERO_HASH "'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea"

/* An empty chain is a tail at seq 0: a row to lock before the first event exists. */
static const struct pg_stmt ST_HEAD_INIT = {
    PG_AUDIT_HEAD_INIT, "tt_audit_head_init", "t",
    "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, " ZERO_HASH ")"
    " ON CONFLICT DO NOTHING",
    NULL};
static const struct pg_stmt ST_HEAD_LOCK = {
    PG_AUDIT_HEAD_LOCK, "tt_audit_head_lock", "t",
    "SELECT seq FROM audit_heads WHERE tenant_id = $1 FOR UPDATE", NULL};
/* The lock of a pipelined transaction that assumed the node's known tail: divides by zero
 * where the tail is not that one (another writer moved it; the transaction runs again, locking
 * and reading it). Sent only in this guarded form. */
static const struct pg_stmt ST_HEAD_CHECK = {
    PG_AUDIT_HEAD_CHECK, "tt_audit_head_check", "tib",
    "SELECT 1 / count(*) FROM (SELECT 1 FROM audit_heads WHERE tenant_id = $1 AND seq = $2"
    " AND hash = $3 FOR UPDATE) h",
    NULL};
/* Read after the lock, in a statement of its own: under READ COMMITTED it then sees the event
 * a writer that held the lock before us committed. */
static const struct pg_stmt ST_GET = {
    PG_AUDIT_GET, "tt_audit_get", "ti",
    "SELECT " EVENT_COLS " FROM audit_events WHERE tenant_id = $1 AND seq = $2", NULL};
/* Inserts the event only if it follows the tail, then moves the tail to it; answers
 * (events inserted, tails moved). */
#define APPEND_CTE                                                                                 \
    "WITH ev AS ("                                                                                 \
    "  INSERT INTO audit_events (" EVENT_COLS ")"                                                  \
    "  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9"                                                  \
    "  WHERE EXISTS (SELECT 1 FROM audit_heads WHERE tenant_id = $1 AND seq + 1 = $2"              \
    "                AND (seq = 0 OR hash = $8))"                                                  \
    "  ON CONFLICT DO NOTHING RETURNING seq),"                                                     \
    " head AS ("                                                                                   \
    "  UPDATE audit_heads SET seq = $2, hash = $9"                                                 \
    "  WHERE tenant_id = $1 AND seq + 1 = $2 AND EXISTS (SELECT 1 FROM ev) RETURNING seq)"
static const struct pg_stmt ST_APPEND = {
    PG_AUDIT_APPEND, "tt_audit_append", "tiittttbb",
    APPEND_CTE " SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM head)", NULL};
/* The guarded variant (pg_pipeline.c) for group commit: where the event did not go in or did
 * not move the tail, it divides by zero, which aborts the transaction and the COMMIT sent
 * behind it. */
static const char APPEND_GUARDED[] =
    APPEND_CTE " SELECT 1 / ((SELECT count(*) FROM ev) * (SELECT count(*) FROM head))";
static const struct pg_stmt ST_SCAN_TENANT = {
    PG_AUDIT_SCAN_TENANT, "tt_audit_scan_tenant", "tii",
    "DECLARE tt_audit_scan_tenant NO SCROLL CURSOR FOR SELECT " EVENT_COLS
    " FROM audit_events WHERE tenant_id = $1 AND at >= $2 AND at <= $3 ORDER BY seq",
    "tt_audit_scan_tenant"};
static const struct pg_stmt ST_SCAN_ALL = {
    PG_AUDIT_SCAN_ALL, "tt_audit_scan_all", "ii",
    "DECLARE tt_audit_scan_all NO SCROLL CURSOR FOR SELECT " EVENT_COLS
    " FROM audit_events WHERE at >= $1 AND at <= $2 ORDER BY tenant_id, seq",
    "tt_audit_scan_all"};

static int copy_hash(const PGresult *r, int row, int col, uint8_t out[32])
{
    size_t n = 0;
    const uint8_t *p = tt__pg_bytes(r, row, col, &n);
    if (!p || n != 32)
        return -1;
    memcpy(out, p, 32);
    return 0;
}

/* detail_json points into the result (valid during a callback); NULL when read for audit_last */
static int fill_event(const PGresult *r, int row, struct tt_audit_event *e, int with_detail)
{
    memset(e, 0, sizeof *e);
    if (tt__pg_text(r, row, 0, e->tenant_id, sizeof e->tenant_id) < 0 ||
        tt__pg_text(r, row, 3, e->actor, sizeof e->actor) < 0 ||
        tt__pg_text(r, row, 4, e->action, sizeof e->action) < 0 ||
        tt__pg_text(r, row, 5, e->target, sizeof e->target) < 0 ||
        copy_hash(r, row, 7, e->prev_hash) < 0 || copy_hash(r, row, 8, e->hash) < 0)
        return -1;
    e->seq = tt__pg_int(r, row, 1);
    e->at = tt__pg_int(r, row, 2);
    if (with_detail && !PQgetisnull(r, row, 6))
        e->detail_json = PQgetvalue(r, row, 6);
    return 0;
}

/* Locks the tail; *seq gets its position (0: empty chain). */
static enum tt_qs lock_head(struct pg_conn *c, const char *tenant_id, int64_t *seq)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    for (int attempt = 0; attempt < 2; attempt++) {
        PGresult *r = NULL;
        enum tt_qs qs = tt__pg_exec(c, &ST_HEAD_LOCK, &a, &r);
        if (qs < 0)
            return qs;
        int found = PQntuples(r) == 1;
        if (found)
            *seq = tt__pg_int(r, 0, 0);
        PQclear(r);
        if (found)
            return TT_QS_ONE;
        /* first event of this tenant: create the tail row, then lock it (a concurrent creator
         * makes ours a no-op; the lock then waits for it) */
        qs = tt__pg_exec_one(c, &ST_HEAD_INIT, &a);
        if (qs < 0)
            return qs;
    }
    return TT_QS_HARD;
}

/* ---- the node's known tails (pg_store audit_known, under its mu) ---- */

/* Transactions that lock the tail first once another writer was seen on the chain. */
#define LOCK_AFTER_OTHERS 64

/* The store's slot of a tenant's chain (FNV-1a of the id); one chain per slot. */
static struct pg_audit_known *known_slot(struct pg_store *s, const char *tenant_id)
{
    return &s->audit_known[pg_tenant_slot(tenant_id, PG_AUDIT_TAILS)];
}

/* The index of tenant_id among the chains this transaction locked or assumed, else -1. */
static int locked_index(const struct pg_conn *c, const char *tenant_id)
{
    for (int i = 0; i < c->n_audit_locked; i++)
        if (strcmp(c->audit_locked[i], tenant_id) == 0)
            return i;
    return -1;
}

/* Notes a chain as locked (or assumed) by this transaction; 0 when there is no room. */
static int note_locked(struct pg_conn *c, const char *tenant_id, int assumed)
{
    if (c->n_audit_locked == PG_AUDIT_TAILS)
        return 0;
    snprintf(c->audit_locked[c->n_audit_locked], TT_ID_MAX, "%s", tenant_id);
    c->audit_assumed[c->n_audit_locked++] = assumed;
    return 1;
}

/* The tail this transaction moved a chain to, if it did (and knows it), else NULL. */
static const struct pg_audit_known *pending_of(const struct pg_conn *c, const char *tenant_id)
{
    for (int i = 0; i < c->n_audit_pending; i++)
        if (strcmp(c->audit_pending[i].ev.tenant_id, tenant_id) == 0)
            return &c->audit_pending[i];
    return NULL;
}

/* Notes the chain's new tail (valid 0: moved to a tail not known here), the node's known tail
 * once the transaction commits. */
static void keep_pending(struct pg_conn *c, const struct tt_audit_event *e, int valid)
{
    struct pg_audit_known *p = (struct pg_audit_known *)pending_of(c, e->tenant_id);
    if (!p && c->n_audit_pending < PG_AUDIT_TAILS)
        p = &c->audit_pending[c->n_audit_pending++];
    if (!p) { /* no room: every known tail is dropped at commit instead */
        c->audit_pending_lost = 1;
        return;
    }
    p->ev = *e;
    p->ev.detail_json = NULL;
    p->valid = valid;
}

/* A pipelined transaction takes the chain's tail this node last committed, unless another
 * writer was seen on it lately; ONE with *out, or 0 (not assumed: lock it). */
static int assume_known(struct pg_conn *c, const char *tenant_id, struct tt_audit_event *out)
{
    if (!c->speculative || !c->in_txn || c->n_audit_locked == PG_AUDIT_TAILS)
        return 0;
    struct pg_store *s = pg_store_of(c);
    pthread_mutex_lock(&s->mu);
    const struct pg_audit_known *k = known_slot(s, tenant_id);
    int ok = k->valid && k->lock_next == 0 && strcmp(k->ev.tenant_id, tenant_id) == 0;
    if (ok)
        *out = k->ev;
    pthread_mutex_unlock(&s->mu);
    return ok && note_locked(c, tenant_id, 1);
}

/* After locking the tail at seq: a tail other than the one this node committed last means
 * another writer; the same one is the node's copy of that committed event (1, in *out). */
static int saw_locked(struct pg_conn *c, const char *tenant_id, int64_t seq,
                      struct tt_audit_event *out)
{
    struct pg_store *s = pg_store_of(c);
    pthread_mutex_lock(&s->mu);
    struct pg_audit_known *k = known_slot(s, tenant_id);
    int same = k->valid && strcmp(k->ev.tenant_id, tenant_id) == 0;
    if (same && k->ev.seq == seq)
        *out = k->ev;
    else if (same)
        k->lock_next = LOCK_AFTER_OTHERS;
    pthread_mutex_unlock(&s->mu);
    return same && k->ev.seq == seq;
}

void tt__pg_audit_txn_begin(struct pg_conn *c)
{
    c->n_audit_locked = 0;
    c->n_audit_pending = 0;
    c->audit_pending_lost = 0;
}

void tt__pg_audit_committed(struct pg_conn *c)
{
    struct pg_store *s = pg_store_of(c);
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < c->n_audit_pending; i++) {
        const struct pg_audit_known *p = &c->audit_pending[i];
        struct pg_audit_known *k = known_slot(s, p->ev.tenant_id);
        int lock_next = 0; /* a chain new to its slot starts assumed */
        if (strcmp(k->ev.tenant_id, p->ev.tenant_id) == 0 && k->lock_next > 0)
            lock_next = k->lock_next - 1;
        k->ev = p->ev;
        k->valid = p->valid;
        k->lock_next = lock_next;
    }
    for (int i = 0; c->audit_pending_lost && i < PG_AUDIT_TAILS; i++)
        s->audit_known[i].valid = 0; /* a chain it moved is not among them */
    pthread_mutex_unlock(&s->mu);
    tt__pg_audit_txn_begin(c);
}

void tt__pg_audit_rolled_back(struct pg_conn *c)
{
    struct pg_store *s = pg_store_of(c);
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < c->n_audit_locked; i++) {
        if (!c->audit_assumed[i])
            continue;
        /* perhaps the assumption failed: lock that chain for a while */
        struct pg_audit_known *k = known_slot(s, c->audit_locked[i]);
        snprintf(k->ev.tenant_id, sizeof k->ev.tenant_id, "%s", c->audit_locked[i]);
        k->valid = 0;
        k->lock_next = LOCK_AFTER_OTHERS;
    }
    pthread_mutex_unlock(&s->mu);
    tt__pg_audit_txn_begin(c);
}

/* Sends the assumed tail's lock and check ahead of the transaction's writes. */
static enum tt_qs assume_check(struct pg_conn *c, const struct tt_audit_event *tail)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tail->tenant_id);
    tt__pg_arg_int(&a, tail->seq);
    tt__pg_arg_bytes(&a, tail->hash, sizeof tail->hash);
    return tt__pg_defer_guarded(c, &ST_HEAD_CHECK, ST_HEAD_CHECK.sql, &a, TT_QS_SOFT);
}

/* NONE when the chain is empty. detail_json is not filled (NULL). Within a transaction that
 * has locked this tenant's tail already, answers from the connection's copy of the tail (no
 * other writer can move it while the lock is held), so a batch of events for one tenant (group
 * commit) locks and reads the tail once. */
enum tt_qs tt__pg_audit_last(struct tt_store_conn *c, const char *tenant_id,
                             struct tt_audit_event *out)
{
    struct pg_conn *pc = pg_conn_of(c);
    if (pc->in_txn && pc->audit_tail_valid && strcmp(pc->audit_tail.tenant_id, tenant_id) == 0) {
        *out = pc->audit_tail;
        return TT_QS_ONE;
    }
    const struct pg_audit_known *moved = pc->in_txn ? pending_of(pc, tenant_id) : NULL;
    if (moved && moved->valid && locked_index(pc, tenant_id) >= 0) {
        *out = moved->ev; /* locked by this transaction and moved by it */
        pc->audit_tail = moved->ev;
        pc->audit_tail_valid = 1;
        return TT_QS_ONE;
    }
    if (locked_index(pc, tenant_id) < 0 && assume_known(pc, tenant_id, out)) {
        enum tt_qs qs = assume_check(pc, out); /* the lock and its check ride with the writes */
        if (qs < 0)
            return qs;
        pc->audit_tail = *out;
        pc->audit_tail_valid = 1;
        return TT_QS_ONE;
    }
    int64_t seq = 0;
    enum tt_qs qs = lock_head(pc, tenant_id, &seq);
    if (qs < 0)
        return qs;
    if (pc->in_txn && locked_index(pc, tenant_id) < 0)
        note_locked(pc, tenant_id, 0);
    if (seq == 0)
        return TT_QS_NONE;
    struct tt_audit_event known;
    if (saw_locked(pc, tenant_id, seq, &known)) {
        *out = known; /* the event this node committed at that seq: no read needed */
        pc->audit_tail = known;
        pc->audit_tail_valid = 1;
        return TT_QS_ONE;
    }
    if (pc->audit_known_valid && pc->audit_known.seq == seq &&
        strcmp(pc->audit_known.tenant_id, tenant_id) == 0) {
        *out = pc->audit_known; /* the committed event at that seq: no read needed */
        pc->audit_tail = pc->audit_known;
        pc->audit_tail_valid = 1;
        return TT_QS_ONE;
    }
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_int(&a, seq);
    PGresult *r = NULL;
    qs = tt__pg_exec(pc, &ST_GET, &a, &r);
    if (qs < 0)
        return qs;
    struct tt_audit_event e;
    /* a tail without its event is a broken chain, not an empty one */
    qs = (PQntuples(r) == 1 && fill_event(r, 0, &e, 0) == 0) ? TT_QS_ONE : TT_QS_HARD;
    PQclear(r);
    if (qs == TT_QS_ONE) {
        *out = e;
        pc->audit_tail = e;
        pc->audit_tail_valid = 1;
        pc->audit_known = e; /* read from committed rows */
        pc->audit_known_valid = 1;
    }
    return qs;
}

static enum tt_qs append_once(struct pg_conn *c, const struct pg_args *a)
{
    if (c->speculative && c->in_txn) /* the tail moved (a writer elsewhere): run the batch again */
        return tt__pg_defer_guarded(c, &ST_APPEND, APPEND_GUARDED, a, TT_QS_SOFT);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(c, &ST_APPEND, a, &r);
    if (qs < 0)
        return qs;
    qs = TT_QS_HARD;
    if (PQntuples(r) == 1) {
        int64_t events = tt__pg_int(r, 0, 0), heads = tt__pg_int(r, 0, 1);
        if (events == 0)
            qs = TT_QS_NONE;
        else if (heads == 1)
            qs = TT_QS_ONE;
        else
            qs = TT_QS_SOFT; /* the tail moved under an unlocked writer: roll back and retry */
    }
    PQclear(r);
    return qs;
}

/* ONE when appended; NONE when the event does not follow the tail (or its seq is taken), with
 * nothing written. */
enum tt_qs tt__pg_audit_append(struct tt_store_conn *c, const struct tt_audit_event *e)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, e->tenant_id);
    tt__pg_arg_int(&a, e->seq);
    tt__pg_arg_int(&a, e->at);
    tt__pg_arg_text(&a, e->actor);
    tt__pg_arg_text(&a, e->action);
    tt__pg_arg_text(&a, e->target);
    tt__pg_arg_text(&a, e->detail_json);
    tt__pg_arg_bytes(&a, e->prev_hash, sizeof e->prev_hash);
    tt__pg_arg_bytes(&a, e->hash, sizeof e->hash);
    struct pg_conn *pc = pg_conn_of(c);
    /* the copy of the tail follows our own append only while we hold the tenant's lock */
    int follows = pc->audit_tail_valid && strcmp(pc->audit_tail.tenant_id, e->tenant_id) == 0 &&
                  e->seq == pc->audit_tail.seq + 1;
    pc->audit_tail_valid = 0;
    enum tt_qs qs = append_once(pc, &a);
    if (qs == TT_QS_ONE && follows) {
        pc->audit_tail = *e;
        pc->audit_tail.detail_json = NULL;
        pc->audit_tail_valid = 1;
    }
    if (qs == TT_QS_ONE && pc->in_txn) /* the node's known tail once this commits */
        keep_pending(pc, e, follows);
    if (qs != TT_QS_NONE || e->seq != 1)
        return qs;
    /* the first event of a chain appended without audit_last: create the empty tail, then try
     * again (if the tail existed already, the refusal stands) */
    struct pg_args t = {0};
    tt__pg_arg_text(&t, e->tenant_id);
    qs = tt__pg_exec_one(pg_conn_of(c), &ST_HEAD_INIT, &t);
    if (qs != TT_QS_ONE)
        return qs;
    return append_once(pg_conn_of(c), &a);
}

struct event_each {
    tt_audit_cb cb;
    void *cls;
};

static int event_each_row(void *cls, const PGresult *r, int row)
{
    struct event_each *x = cls;
    struct tt_audit_event e;
    if (fill_event(r, row, &e, 1) < 0)
        return -1;
    return x->cb && x->cb(x->cls, &e) ? 1 : 0;
}

/* tenant_id NULL: every chain, in (tenant_id, seq) order; from/to bound "at" inclusively, 0 is
 * open. Streamed through a cursor. */
enum tt_qs tt__pg_audit_scan(struct tt_store_conn *c, const char *tenant_id, tt_time from,
                             tt_time to, tt_audit_cb cb, void *cls)
{
    struct pg_args a = {0};
    if (tenant_id)
        tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_int(&a, from ? from : INT64_MIN);
    tt__pg_arg_int(&a, to ? to : INT64_MAX);
    struct event_each x = {cb, cls};
    return tt__pg_stream(pg_conn_of(c), tenant_id ? &ST_SCAN_TENANT : &ST_SCAN_ALL, &a,
                         event_each_row, &x);
}
