/* SPDX-License-Identifier: Apache-2.0 */
/* pg_consent.c — the consent ledger on PostgreSQL (consent_store.h; issue 4, issue 9): one hash
 * chain per tenant in consent_events with its tail and floor in consent_heads, the S7.5 sweep of
 * expired proofs, and beacon opens. Statement slots 128..191 (store/areas.h). head() takes a row
 * lock on the tenant's tail (created at seq 0 on first use) held until the transaction ends, so
 * writers on any number of nodes append one after the other; append writes a run of events (one
 * text-array parameter per column, pg_consent_rows.h) and moves the tail in one statement and one
 * round trip, and only if the run follows the tail. */
#include "pg_internal.h"

#include <string.h>

#include "../consent_store.h"
#include "pg_batched.h"
#include "pg_consent_rows.h"

enum {
    S_HEAD_INIT = TT_STORE_SLOT_BASE(TT_AREA_CONSENT),
    S_HEAD_LOCK,
    S_APPEND,
    S_HEAD_LIST,
    S_SCAN,
    S_LIST_SUBJECT,
    S_SWEEP_PICK,
    S_SWEEP_DELETE,
    S_SWEEP_FLOOR,
    S_OPEN_PUT,
    S_OPEN_COUNT,
    S_HEAD_CHECK,
    S__END
};
_Static_assert(S__END <= TT_PG_BATCHED_SLOT, "consent statements overflow their range");

#define EV_COLS                                                                                    \
    "tenant_id, seq, event_id, subject_id, cookie_id, target_kind, target, action, method,"        \
    " notice_version, banner_version, language, choices, at, expires_at, evidence, prev_hash,"     \
    " hash"
#define HEAD_COLS "tenant_id, seq, hash, floor_seq, floor_hash"
#define ZERO_HASH "'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea"

/* inserts a run of events (one array per column, unnest()) only if the first follows the
 * tail, then moves the tail to the last */
#define APPEND_ROWS                                                                                \
    "WITH ev AS ("                                                                                 \
    "  INSERT INTO consent_events (" EV_COLS ")"                                                   \
    "  SELECT $1, u.* FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[],"               \
    "    $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[],"              \
    "    $12::text[], $13::text[], $14::bigint[], $15::bigint[], $16::bytea[], $17::bytea[],"      \
    "    $18::bytea[]) AS u"                                                                       \
    "  WHERE EXISTS (SELECT 1 FROM consent_heads WHERE tenant_id = $1 AND seq = $19"               \
    "                AND (seq = 0 OR hash = $20))"
#define APPEND_HEAD                                                                                \
    " RETURNING seq),"                                                                             \
    " head AS ("                                                                                   \
    "  UPDATE consent_heads SET seq = $21, hash = $22"                                             \
    "  WHERE tenant_id = $1 AND seq = $19 AND (SELECT count(*) FROM ev) = $23 RETURNING seq)"

/* The guarded variant (pg_pipeline.c) for a pipelined batch, which holds the chain's lock: where
 * the run does not follow the tail it divides by zero (the batch runs again on the new tail);
 * a seq already taken (a broken chain) is a unique violation, a hard error. Either aborts the
 * transaction and the COMMIT sent behind it. */
static const char APPEND_GUARDED[] =
    APPEND_ROWS APPEND_HEAD " SELECT 1 / ((SELECT count(*) FROM ev) * (SELECT count(*) FROM head))";

static const struct pg_stmt ST[] = {
    /* an empty chain is a tail at seq 0: a row to lock before the first event exists */
    {S_HEAD_INIT, "tt_consent_head_init", "t",
     "INSERT INTO consent_heads (" HEAD_COLS ") VALUES ($1, 0, " ZERO_HASH ", 0, " ZERO_HASH ")"
     " ON CONFLICT DO NOTHING",
     NULL},
    {S_HEAD_LOCK, "tt_consent_head_lock", "t",
     "SELECT " HEAD_COLS " FROM consent_heads WHERE tenant_id = $1 FOR UPDATE", NULL},
    /* answers (events inserted, tails moved) */
    {S_APPEND, "tt_consent_append", "ttttttttttttttttttibibi",
     APPEND_ROWS "  ON CONFLICT DO NOTHING" APPEND_HEAD
                 " SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM head)",
     NULL},
    /* a tail at seq 0 is a lock row, not a chain (SQLite has no such row) */
    {S_HEAD_LIST, "tt_consent_head_list", "",
     "SELECT " HEAD_COLS " FROM consent_heads WHERE seq > 0 ORDER BY tenant_id", NULL},
    {S_SCAN, "tt_consent_scan", "t",
     "DECLARE tt_consent_scan NO SCROLL CURSOR FOR SELECT " EV_COLS
     " FROM consent_events WHERE tenant_id = $1 ORDER BY seq",
     "tt_consent_scan"},
    {S_LIST_SUBJECT, "tt_consent_list_subject", "tt",
     "DECLARE tt_consent_list_subject NO SCROLL CURSOR FOR SELECT " EV_COLS
     " FROM consent_events WHERE tenant_id = $1 AND subject_id = $2 ORDER BY seq",
     "tt_consent_list_subject"},
    {S_SWEEP_PICK, "tt_consent_sweep_pick", "ti",
     "SELECT seq, expires_at, hash FROM consent_events WHERE tenant_id = $1 ORDER BY seq"
     " LIMIT $2",
     NULL},
    {S_SWEEP_DELETE, "tt_consent_sweep_delete", "ti",
     "DELETE FROM consent_events WHERE tenant_id = $1 AND seq <= $2", NULL},
    {S_SWEEP_FLOOR, "tt_consent_sweep_floor", "tib",
     "UPDATE consent_heads SET floor_seq = $2, floor_hash = $3 WHERE tenant_id = $1", NULL},
    {S_OPEN_PUT, "tt_consent_open_put", "tttti",
     "INSERT INTO consent_opens (tenant_id, open_id, subject_id, campaign, at)"
     " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
     NULL},
    {S_OPEN_COUNT, "tt_consent_open_count", "tt",
     "SELECT count(*) FROM consent_opens WHERE tenant_id = $1 AND subject_id = $2", NULL},
    /* a pipelined batch that assumed the node's known tail (head()): locks the tail first, as
     * every writer does, and divides by zero where it is not the one assumed (another node
     * moved it; the batch runs again, locking and reading it). Sent only in this guarded form. */
    {S_HEAD_CHECK, "tt_consent_head_check", "tib",
     "SELECT 1 / count(*) FROM (SELECT 1 FROM consent_heads WHERE tenant_id = $1 AND seq = $2"
     " AND hash = $3 FOR UPDATE) h",
     NULL},
};
_Static_assert(sizeof ST / sizeof ST[0] == S__END - TT_STORE_SLOT_BASE(TT_AREA_CONSENT),
               "one statement per slot");

static const struct pg_stmt *st(int id)
{
    return &ST[id - TT_STORE_SLOT_BASE(TT_AREA_CONSENT)];
}

static int copy_hash(const PGresult *r, int row, int col, uint8_t out[TT_LEDGER_HASH_BYTES])
{
    size_t n = 0;
    const uint8_t *p = tt__pg_bytes(r, row, col, &n);
    if (!p || n != TT_LEDGER_HASH_BYTES)
        return -1;
    memcpy(out, p, TT_LEDGER_HASH_BYTES);
    return 0;
}

static int fill_head(const PGresult *r, int row, struct tt_consent_head *h)
{
    memset(h, 0, sizeof *h);
    if (tt__pg_text(r, row, 0, h->tenant_id, sizeof h->tenant_id) < 0 ||
        copy_hash(r, row, 2, h->hash) < 0 || copy_hash(r, row, 4, h->floor_hash) < 0)
        return -1;
    h->seq = tt__pg_int(r, row, 1);
    h->floor_seq = tt__pg_int(r, row, 3);
    return 0;
}

/* Locks the tenant's tail, creating it at seq 0 first when the chain is new. ONE with *out. */
static enum tt_qs lock_head(struct pg_conn *c, const char *tenant_id, int create,
                            struct tt_consent_head *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    for (int attempt = 0; attempt < 2; attempt++) {
        PGresult *r = NULL;
        enum tt_qs qs = tt__pg_exec(c, st(S_HEAD_LOCK), &a, &r);
        if (qs < 0)
            return qs;
        qs = TT_QS_NONE;
        if (PQntuples(r) == 1)
            qs = fill_head(r, 0, out) < 0 ? TT_QS_HARD : TT_QS_ONE;
        PQclear(r);
        if (qs != TT_QS_NONE || !create)
            return qs;
        /* a concurrent creator makes ours a no-op; the lock then waits for it (run at once,
         * never pipelined: no row is not a failure here) */
        qs = tt__pg_exec(c, st(S_HEAD_INIT), &a, &r);
        if (qs < 0)
            return qs;
        PQclear(r);
    }
    return TT_QS_HARD;
}

/* Batches that lock the tail first once another node was seen writing the chain. */
#define LOCK_AFTER_OTHERS 64

/* The node's cache slot of a tenant's chain (FNV-1a of the id); a slot keeps one chain, so two
 * chains on one slot only cost a lock and a read now and then. Called under the store's mu. */
static struct pg_consent_tail *known_slot(struct pg_store *s, const char *tenant_id)
{
    return &s->consent_known[pg_tenant_slot(tenant_id, PG_CONSENT_TAILS)];
}

/* A pipelined batch takes the tail this node last committed without reading it, unless another
 * node was seen writing that chain lately; head() then sends the lock with a check that the tail
 * is still that one (S_HEAD_CHECK) ahead of the writes, so nothing waits for its answer. Each
 * chain (tenant) of the batch is assumed or locked on its own. */
static int assume_known(struct pg_conn *c, const char *tenant_id, struct tt_consent_head *out)
{
    if (!c->speculative || !c->in_txn || c->n_consent_assumed == PG_CONSENT_TAILS)
        return 0;
    struct pg_store *s = pg_store_of(c);
    pthread_mutex_lock(&s->mu);
    const struct pg_consent_tail *k = known_slot(s, tenant_id);
    int ok = k->valid && k->lock_next == 0 && strcmp(k->tenant_id, tenant_id) == 0;
    if (ok) {
        memset(out, 0, sizeof *out); /* the floor is not known here (no batch reads it) */
        memcpy(out->tenant_id, k->tenant_id, sizeof out->tenant_id);
        out->seq = k->seq;
        memcpy(out->hash, k->hash, sizeof out->hash);
    }
    pthread_mutex_unlock(&s->mu);
    if (ok)
        memcpy(c->consent_assumed[c->n_consent_assumed++].tenant_id, out->tenant_id,
               sizeof out->tenant_id);
    return ok;
}

/* After locking: a tail other than the one this node committed last means another writer. */
static void saw_locked(struct pg_conn *c, const struct tt_consent_head *h)
{
    struct pg_store *s = pg_store_of(c);
    pthread_mutex_lock(&s->mu);
    struct pg_consent_tail *k = known_slot(s, h->tenant_id);
    if (k->valid && strcmp(k->tenant_id, h->tenant_id) == 0 &&
        (k->seq != h->seq || memcmp(k->hash, h->hash, sizeof k->hash) != 0))
        k->lock_next = LOCK_AFTER_OTHERS;
    pthread_mutex_unlock(&s->mu);
}

void tt__pg_consent_committed(struct pg_conn *c)
{
    struct pg_store *s = pg_store_of(c);
    if (c->n_consent_pending) {
        pthread_mutex_lock(&s->mu);
        for (int i = 0; i < c->n_consent_pending; i++) {
            const struct pg_consent_tail *p = &c->consent_pending[i];
            struct pg_consent_tail *k = known_slot(s, p->tenant_id);
            int lock_next = 0; /* a chain new to its slot starts assumed */
            if (strcmp(k->tenant_id, p->tenant_id) == 0 && k->lock_next > 0)
                lock_next = k->lock_next - 1;
            *k = *p;
            k->valid = 1;
            k->lock_next = lock_next;
        }
        pthread_mutex_unlock(&s->mu);
    }
    c->n_consent_pending = 0;
    c->n_consent_assumed = 0;
}

void tt__pg_consent_rolled_back(struct pg_conn *c)
{
    if (c->n_consent_assumed) { /* perhaps an assumption failed: lock those chains for a while */
        struct pg_store *s = pg_store_of(c);
        pthread_mutex_lock(&s->mu);
        for (int i = 0; i < c->n_consent_assumed; i++) {
            const char *tenant_id = c->consent_assumed[i].tenant_id;
            struct pg_consent_tail *k = known_slot(s, tenant_id);
            memcpy(k->tenant_id, tenant_id, sizeof k->tenant_id);
            k->valid = 0;
            k->lock_next = LOCK_AFTER_OTHERS;
        }
        pthread_mutex_unlock(&s->mu);
    }
    c->n_consent_pending = 0;
    c->n_consent_assumed = 0;
}

static enum tt_qs head(struct tt_store_conn *c, const char *tenant_id, struct tt_consent_head *out)
{
    struct pg_conn *pc = pg_conn_of(c);
    if (assume_known(pc, tenant_id, out)) { /* the lock and its check ride with the writes */
        struct pg_args a = {0};
        tt__pg_arg_text(&a, tenant_id);
        tt__pg_arg_int(&a, out->seq);
        tt__pg_arg_bytes(&a, out->hash, sizeof out->hash);
        const struct pg_stmt *check = st(S_HEAD_CHECK);
        return tt__pg_defer_guarded(pc, check, check->sql, &a, TT_QS_SOFT);
    }
    struct tt_consent_head h;
    enum tt_qs qs = lock_head(pg_conn_of(c), tenant_id, 1, &h);
    if (qs != TT_QS_ONE)
        return qs;
    saw_locked(pg_conn_of(c), &h);
    if (h.seq == 0)
        return TT_QS_NONE; /* locked, but no event yet */
    *out = h;
    return TT_QS_ONE;
}

static enum tt_qs append_once(struct pg_conn *c, const struct pg_args *a, size_t n)
{
    if (c->speculative && c->in_txn) /* pipelined: checked with the batch's COMMIT */
        return tt__pg_defer_guarded(c, st(S_APPEND), APPEND_GUARDED, a, TT_QS_SOFT);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(c, st(S_APPEND), a, &r);
    if (qs < 0)
        return qs;
    qs = TT_QS_HARD;
    if (PQntuples(r) == 1) {
        int64_t events = tt__pg_int(r, 0, 0), heads = tt__pg_int(r, 0, 1);
        if (events == 0)
            qs = TT_QS_NONE;
        else if (events == (int64_t)n && heads == 1)
            qs = TT_QS_ONE;
        else if (events == (int64_t)n)
            qs = TT_QS_SOFT; /* the tail moved under an unlocked writer: roll back and retry */
        /* some rows refused (their seq taken): a broken chain, roll back (HARD) */
    }
    PQclear(r);
    return qs;
}

/* Notes the chain's new tail, the node's known tail once the transaction commits (a chain
 * beyond PG_CONSENT_TAILS in one transaction is simply not kept). */
static void keep_pending(struct pg_conn *c, const struct tt_consent_event *last)
{
    struct pg_consent_tail *p = NULL;
    for (int i = 0; i < c->n_consent_pending && !p; i++)
        if (strcmp(c->consent_pending[i].tenant_id, last->tenant_id) == 0)
            p = &c->consent_pending[i];
    if (!p && c->n_consent_pending < PG_CONSENT_TAILS)
        p = &c->consent_pending[c->n_consent_pending++];
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    memcpy(p->tenant_id, last->tenant_id, sizeof p->tenant_id);
    p->seq = last->seq;
    memcpy(p->hash, last->hash, sizeof p->hash);
    p->valid = 1;
}

enum {
    COL_SEQ,
    COL_ID,
    COL_SUBJECT,
    COL_COOKIE,
    COL_KIND,
    COL_TARGET,
    COL_ACTION,
    COL_METHOD,
    COL_NOTICE,
    COL_BANNER,
    COL_LANG,
    COL_CHOICES,
    COL_AT,
    COL_EXPIRES,
    COL_EVIDENCE,
    COL_PREV,
    COL_HASH,
    N_COLS
};

/* ONE when appended; NONE when e[0] does not follow the tail (or its seq is taken), nothing
 * written. One statement and one round trip for the whole run. */
static enum tt_qs append(struct tt_store_conn *c, const struct tt_consent_event *const *e, size_t n)
{
    if (!tt_consent_run_ok(e, n))
        return TT_QS_HARD;
    struct pg_array col[N_COLS];
    memset(col, 0, sizeof col);
    for (size_t i = 0; i < n; i++) {
        const struct tt_consent_event *x = e[i];
        pg_array_int(&col[COL_SEQ], x->seq);
        pg_array_text(&col[COL_ID], x->id);
        pg_array_text(&col[COL_SUBJECT], x->subject_id);
        pg_array_text(&col[COL_COOKIE], x->cookie_id);
        pg_array_text(&col[COL_KIND], x->target_kind);
        pg_array_text(&col[COL_TARGET], x->target);
        pg_array_int(&col[COL_ACTION], x->action);
        pg_array_text(&col[COL_METHOD], x->method);
        pg_array_text(&col[COL_NOTICE], x->notice_version);
        pg_array_text(&col[COL_BANNER], x->banner_version);
        pg_array_text(&col[COL_LANG], x->language);
        pg_array_text(&col[COL_CHOICES], x->choices);
        pg_array_int(&col[COL_AT], x->at);
        pg_array_int(&col[COL_EXPIRES], x->expires_at);
        pg_array_bytes(&col[COL_EVIDENCE], x->evidence, x->evidence_len);
        pg_array_bytes(&col[COL_PREV], x->prev_hash, sizeof x->prev_hash);
        pg_array_bytes(&col[COL_HASH], x->hash, sizeof x->hash);
    }
    struct pg_args a = {0};
    tt__pg_arg_text(&a, e[0]->tenant_id);
    int oom = 0;
    for (int k = 0; k < N_COLS; k++) {
        const char *lit = pg_array_text_of(&col[k]);
        oom |= !lit;
        tt__pg_arg_text(&a, lit ? lit : "{}");
    }
    tt__pg_arg_int(&a, e[0]->seq - 1);
    tt__pg_arg_bytes(&a, e[0]->prev_hash, sizeof e[0]->prev_hash);
    tt__pg_arg_int(&a, e[n - 1]->seq);
    tt__pg_arg_bytes(&a, e[n - 1]->hash, sizeof e[n - 1]->hash);
    tt__pg_arg_int(&a, (int64_t)n);
    enum tt_qs qs = oom ? TT_QS_HARD : append_once(pg_conn_of(c), &a, n);
    if (qs == TT_QS_NONE && e[0]->seq == 1) {
        /* the first event of a chain appended without head(): create the empty tail, then try
         * again (if the tail existed already, the refusal stands) */
        struct pg_args t = {0};
        tt__pg_arg_text(&t, e[0]->tenant_id);
        qs = tt__pg_exec_one(pg_conn_of(c), st(S_HEAD_INIT), &t);
        if (qs == TT_QS_ONE)
            qs = append_once(pg_conn_of(c), &a, n);
    }
    for (int k = 0; k < N_COLS; k++)
        pg_array_free(&col[k]);
    if (qs == TT_QS_ONE) /* the node's known tail once this commits */
        keep_pending(pg_conn_of(c), e[n - 1]);
    return qs;
}

struct head_each {
    tt_consent_head_cb cb;
    void *cls;
};

static int head_each_row(void *cls, const PGresult *r, int row)
{
    struct head_each *x = cls;
    struct tt_consent_head h;
    if (fill_head(r, row, &h) < 0)
        return -1;
    return x->cb && x->cb(x->cls, &h) ? 1 : 0;
}

static enum tt_qs head_list(struct tt_store_conn *c, tt_consent_head_cb cb, void *cls)
{
    struct head_each x = {cb, cls};
    return tt__pg_each(pg_conn_of(c), st(S_HEAD_LIST), NULL, head_each_row, &x);
}

struct event_each {
    tt_consent_event_cb cb;
    void *cls;
};

/* evidence points into the result: valid during the callback only */
static int event_each_row(void *cls, const PGresult *r, int row)
{
    struct event_each *x = cls;
    struct tt_consent_event e;
    memset(&e, 0, sizeof e);
    if (tt__pg_text(r, row, 0, e.tenant_id, sizeof e.tenant_id) < 0 ||
        tt__pg_text(r, row, 2, e.id, sizeof e.id) < 0 ||
        tt__pg_text(r, row, 3, e.subject_id, sizeof e.subject_id) < 0 ||
        tt__pg_text(r, row, 4, e.cookie_id, sizeof e.cookie_id) < 0 ||
        tt__pg_text(r, row, 5, e.target_kind, sizeof e.target_kind) < 0 ||
        tt__pg_text(r, row, 6, e.target, sizeof e.target) < 0 ||
        tt__pg_text(r, row, 8, e.method, sizeof e.method) < 0 ||
        tt__pg_text(r, row, 9, e.notice_version, sizeof e.notice_version) < 0 ||
        tt__pg_text(r, row, 10, e.banner_version, sizeof e.banner_version) < 0 ||
        tt__pg_text(r, row, 11, e.language, sizeof e.language) < 0 ||
        tt__pg_text(r, row, 12, e.choices, sizeof e.choices) < 0 ||
        copy_hash(r, row, 16, e.prev_hash) < 0 || copy_hash(r, row, 17, e.hash) < 0)
        return -1;
    e.seq = tt__pg_int(r, row, 1);
    e.action = (enum tt_consent_action)tt__pg_int(r, row, 7);
    e.at = tt__pg_int(r, row, 13);
    e.expires_at = tt__pg_int(r, row, 14);
    e.evidence = tt__pg_bytes(r, row, 15, &e.evidence_len);
    return x->cb && x->cb(x->cls, &e) ? 1 : 0;
}

static enum tt_qs scan(struct tt_store_conn *c, const char *tenant_id, tt_consent_event_cb cb,
                       void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    struct event_each x = {cb, cls};
    return tt__pg_stream(pg_conn_of(c), st(S_SCAN), &a, event_each_row, &x);
}

static enum tt_qs list_subject(struct tt_store_conn *c, const char *tenant_id,
                               const char *subject_id, tt_consent_event_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    struct event_each x = {cb, cls};
    return tt__pg_stream(pg_conn_of(c), st(S_LIST_SUBJECT), &a, event_each_row, &x);
}

struct sweep_pick {
    tt_time now;
    int64_t seq;
    uint8_t hash[TT_LEDGER_HASH_BYTES];
    int64_t n;
};

/* rows come oldest first: stop at the first proof still within its 5 years */
static int sweep_row(void *cls, const PGresult *r, int row)
{
    struct sweep_pick *p = cls;
    if (tt__pg_int(r, row, 1) > p->now)
        return 1;
    p->seq = tt__pg_int(r, row, 0);
    if (copy_hash(r, row, 2, p->hash) < 0)
        return -1;
    p->n++;
    return 0;
}

static enum tt_qs sweep(struct tt_store_conn *c, const char *tenant_id, tt_time now, int limit,
                        int64_t *removed)
{
    struct pg_conn *pc = pg_conn_of(c);
    /* the tail's lock serialises sweepers (and appenders) of this chain across nodes; read
     * after it, the pick sees what a sweeper before us committed */
    struct tt_consent_head h;
    enum tt_qs qs = lock_head(pc, tenant_id, 0, &h);
    if (qs < 0)
        return qs;
    struct sweep_pick p = {.now = now};
    if (qs == TT_QS_ONE) {
        struct pg_args a = {0};
        tt__pg_arg_text(&a, tenant_id);
        tt__pg_arg_int(&a, limit < 1 ? 1 : limit);
        qs = tt__pg_each(pc, st(S_SWEEP_PICK), &a, sweep_row, &p);
        if (qs < 0)
            return qs;
    }
    if (p.n == 0) {
        if (removed)
            *removed = 0;
        return TT_QS_NONE;
    }
    struct pg_args d = {0};
    tt__pg_arg_text(&d, tenant_id);
    tt__pg_arg_int(&d, p.seq);
    qs = tt__pg_exec_one(pc, st(S_SWEEP_DELETE), &d);
    if (qs != TT_QS_ONE)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    struct pg_args f = {0};
    tt__pg_arg_text(&f, tenant_id);
    tt__pg_arg_int(&f, p.seq);
    tt__pg_arg_bytes(&f, p.hash, sizeof p.hash);
    qs = tt__pg_exec_one(pc, st(S_SWEEP_FLOOR), &f);
    if (qs != TT_QS_ONE)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    if (removed)
        *removed = p.n;
    return TT_QS_ONE;
}

static enum tt_qs open_put(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           const char *subject_id, const char *campaign, tt_time at)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id);
    tt__pg_arg_text(&a, subject_id);
    tt__pg_arg_text(&a, campaign);
    tt__pg_arg_int(&a, at);
    return tt__pg_exec_one(pg_conn_of(c), st(S_OPEN_PUT), &a);
}

static enum tt_qs open_count(struct tt_store_conn *c, const char *tenant_id, const char *subject_id,
                             int64_t *out)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, subject_id);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(pg_conn_of(c), st(S_OPEN_COUNT), &a, &r);
    if (qs < 0)
        return qs;
    qs = PQntuples(r) == 1 ? TT_QS_ONE : TT_QS_HARD;
    if (qs == TT_QS_ONE)
        *out = tt__pg_int(r, 0, 0);
    PQclear(r);
    return qs;
}

const struct tt_consent_store_ops tt__pg_consent_ops = {
    .head = head,
    .append = append,
    .head_list = head_list,
    .scan = scan,
    .list_subject = list_subject,
    .sweep = sweep,
    .open_put = open_put,
    .open_count = open_count,
};
