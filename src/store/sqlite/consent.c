/* SPDX-License-Identifier: Apache-2.0 */
/* consent.c — the consent ledger on SQLite (consent_store.h): one hash chain per tenant in
 * consent_events with its tail and floor in consent_heads (an event and the new tail are written
 * together or not at all), the S7.5 sweep of expired proofs, and beacon opens. Chaining is
 * core/consent's; this file keeps the chain linear. */
#include "../consent_store.h"
#include "consent_cols.h"
#include "retention_ends.h"
#include "sq.h"

#include <string.h>

#define SLOT(n) (TT_STORE_SLOT_BASE(TT_AREA_CONSENT) + (n))
enum {
    CQ_HEAD = SLOT(0),
    CQ_APPEND = SLOT(1),
    CQ_HEAD_PUT = SLOT(2),
    CQ_HEAD_LIST = SLOT(3),
    CQ_SCAN = SLOT(4),
    CQ_LIST_SUBJECT = SLOT(5),
    CQ_SWEEP_PICK = SLOT(6),
    CQ_SWEEP_DELETE = SLOT(7),
    CQ_SWEEP_FLOOR = SLOT(8),
    CQ_OPEN_PUT = SLOT(12),
    CQ_OPEN_COUNT = SLOT(13),
    CQ_HEAD_ADVANCE = SLOT(14),
    CQ_APPEND_MANY = SLOT(15),
};

#define EV_COLS SQ_CONSENT_EV_COLS

static int head_row(sqlite3_stmt *st, void *ctx)
{
    struct tt_consent_head *h = ctx;
    memset(h, 0, sizeof *h);
    tt__sq_col_text(st, 0, h->tenant_id, sizeof h->tenant_id);
    h->seq = sqlite3_column_int64(st, 1);
    h->floor_seq = sqlite3_column_int64(st, 3);
    if (tt__sq_col_fixed(st, 2, h->hash, sizeof h->hash) < 0 ||
        tt__sq_col_fixed(st, 4, h->floor_hash, sizeof h->floor_hash) < 0)
        return -1;
    return 0;
}

static enum tt_qs head(struct tt_store_conn *c, const char *tenant_id, struct tt_consent_head *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, CQ_HEAD,
                                   "SELECT tenant_id, seq, hash, floor_seq, floor_hash"
                                   " FROM consent_heads WHERE tenant_id = ?",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id))
        return tt__sq_bind_failed(q, st);
    struct tt_consent_head h;
    qs = tt__sq_one(q, st, head_row, &h);
    if (qs == TT_QS_ONE)
        *out = h;
    return qs;
}

/* The tail moves only from the event before first to last: a chain never forks. NONE, nothing
 * written, when first does not follow the tail. */
static enum tt_qs move_tail(struct sq_conn *q, const struct tt_consent_event *first,
                            const struct tt_consent_event *last)
{
    static const uint8_t zero[TT_LEDGER_HASH_BYTES];
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st;
    if (first->seq == 1) {
        st = tt__sq_stmt(q, CQ_HEAD_PUT,
                         "INSERT INTO consent_heads (tenant_id, seq, hash, floor_seq, floor_hash)"
                         " VALUES (?, ?, ?, 0, ?) ON CONFLICT (tenant_id) DO NOTHING",
                         &qs);
        if (!st)
            return qs;
        if (tt__sq_bind_text(st, 1, last->tenant_id) || tt__sq_bind_int(st, 2, last->seq) ||
            tt__sq_bind_blob(st, 3, last->hash, sizeof last->hash) ||
            tt__sq_bind_blob(st, 4, zero, sizeof zero))
            return tt__sq_bind_failed(q, st);
        return tt__sq_write(q, st);
    }
    st = tt__sq_stmt(q, CQ_HEAD_ADVANCE,
                     "UPDATE consent_heads SET seq = ?2, hash = ?3"
                     " WHERE tenant_id = ?1 AND seq = ?4 AND hash = ?5",
                     &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, last->tenant_id) || tt__sq_bind_int(st, 2, last->seq) ||
        tt__sq_bind_blob(st, 3, last->hash, sizeof last->hash) ||
        tt__sq_bind_int(st, 4, first->seq - 1) ||
        tt__sq_bind_blob(st, 5, first->prev_hash, sizeof first->prev_hash))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

/* Binds e as the row starting at parameter base + 1. */
static int bind_event(sqlite3_stmt *st, int base, const struct tt_consent_event *e)
{
    return tt__sq_bind_text(st, base + 1, e->tenant_id) || tt__sq_bind_int(st, base + 2, e->seq) ||
           tt__sq_bind_text(st, base + 3, e->id) || tt__sq_bind_text(st, base + 4, e->subject_id) ||
           tt__sq_bind_text(st, base + 5, e->cookie_id) ||
           tt__sq_bind_text(st, base + 6, e->target_kind) ||
           tt__sq_bind_text(st, base + 7, e->target) || tt__sq_bind_int(st, base + 8, e->action) ||
           tt__sq_bind_text(st, base + 9, e->method) ||
           tt__sq_bind_text(st, base + 10, e->notice_version) ||
           tt__sq_bind_text(st, base + 11, e->banner_version) ||
           tt__sq_bind_text(st, base + 12, e->language) ||
           tt__sq_bind_text(st, base + 13, e->choices) || tt__sq_bind_int(st, base + 14, e->at) ||
           tt__sq_bind_int(st, base + 15, e->expires_at) ||
           (e->evidence_len ? tt__sq_bind_blob(st, base + 16, e->evidence, e->evidence_len)
                            : sqlite3_bind_null(st, base + 16)) ||
           tt__sq_bind_blob(st, base + 17, e->prev_hash, sizeof e->prev_hash) ||
           tt__sq_bind_blob(st, base + 18, e->hash, sizeof e->hash);
}

/* One INSERT statement of CHUNK rows (18 parameters each), and one of a single row. */
#define EV_NCOLS 18
#define ROW1 "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define ROW2 ROW1 ", " ROW1
#define ROW4 ROW2 ", " ROW2
#define ROW8 ROW4 ", " ROW4
#define ROW16 ROW8 ", " ROW8
#define ROW32 ROW16 ", " ROW16
#define CHUNK 32

/* Inserts the rows e[0..n-1] (n == CHUNK or 1) with one statement. OR ROLLBACK: a refused row
 * (its seq taken: a broken chain) ends the whole transaction at once, which the caller would roll
 * back anyway, so SQLite keeps no statement journal to undo the statement alone (with the
 * tenant's foreign key deferred, schema 201) — a copy of every page it touches. */
static enum tt_qs insert_rows(struct sq_conn *q, const struct tt_consent_event *const *e, size_t n)
{
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st =
        n == CHUNK
            ? tt__sq_stmt(q, CQ_APPEND_MANY,
                          "INSERT OR ROLLBACK INTO consent_events (" EV_COLS ") VALUES " ROW32, &qs)
            : tt__sq_stmt(q, CQ_APPEND,
                          "INSERT OR ROLLBACK INTO consent_events (" EV_COLS ") VALUES " ROW1, &qs);
    if (!st)
        return qs;
    for (size_t i = 0; i < n; i++)
        if (bind_event(st, (int)i * EV_NCOLS, e[i]))
            return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

/* The tail first, then the rows: a refusal happens before anything is written, so no
 * savepoint is needed (inside the caller's write transaction). */
static enum tt_qs append(struct tt_store_conn *c, const struct tt_consent_event *const *e, size_t n)
{
    if (!tt_consent_run_ok(e, n))
        return TT_QS_HARD;
    struct sq_conn *q = sq_of(c);
    /* a group commit's batch (up to 4096 rows and their index entries) outgrows the default 2 MiB
     * page cache: SQLite would spill dirty pages to the WAL mid-transaction and read them back */
    if (n > CHUNK && tt__sq_bulk_cache(q) < 0)
        return TT_QS_HARD;
    enum tt_qs qs = move_tail(q, e[0], e[n - 1]);
    if (qs != TT_QS_ONE)
        return qs;
    for (size_t i = 0; i < n;) {
        size_t k = n - i >= CHUNK ? CHUNK : 1;
        qs = insert_rows(q, e + i, k);
        /* the tail moved already: a row refused now (its seq taken) is a broken chain, and the
         * caller's transaction must be rolled back */
        if (qs != TT_QS_ONE)
            return qs == TT_QS_NONE ? TT_QS_HARD : qs;
        i += k;
    }
    return TT_QS_ONE;
}

struct each_head {
    tt_consent_head_cb cb;
    void *cls;
};

static int each_head_row(sqlite3_stmt *st, void *ctx)
{
    struct each_head *x = ctx;
    struct tt_consent_head h;
    if (head_row(st, &h) < 0)
        return -1;
    return x->cb && x->cb(x->cls, &h) ? 1 : 0;
}

static enum tt_qs head_list(struct tt_store_conn *c, tt_consent_head_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, CQ_HEAD_LIST,
                                   "SELECT tenant_id, seq, hash, floor_seq, floor_hash"
                                   " FROM consent_heads ORDER BY tenant_id",
                                   &qs);
    if (!st)
        return qs;
    struct each_head x = {cb, cls};
    return tt__sq_each(q, st, each_head_row, &x);
}

struct each_event {
    tt_consent_event_cb cb;
    void *cls;
};

static int each_event_row(sqlite3_stmt *st, void *ctx)
{
    struct each_event *x = ctx;
    struct tt_consent_event e;
    memset(&e, 0, sizeof e);
    tt__sq_col_text(st, 0, e.tenant_id, sizeof e.tenant_id);
    e.seq = sqlite3_column_int64(st, 1);
    tt__sq_col_text(st, 2, e.id, sizeof e.id);
    tt__sq_col_text(st, 3, e.subject_id, sizeof e.subject_id);
    tt__sq_col_text(st, 4, e.cookie_id, sizeof e.cookie_id);
    tt__sq_col_text(st, 5, e.target_kind, sizeof e.target_kind);
    tt__sq_col_text(st, 6, e.target, sizeof e.target);
    e.action = (enum tt_consent_action)sqlite3_column_int64(st, 7);
    tt__sq_col_text(st, 8, e.method, sizeof e.method);
    tt__sq_col_text(st, 9, e.notice_version, sizeof e.notice_version);
    tt__sq_col_text(st, 10, e.banner_version, sizeof e.banner_version);
    tt__sq_col_text(st, 11, e.language, sizeof e.language);
    tt__sq_col_text(st, 12, e.choices, sizeof e.choices);
    e.at = sqlite3_column_int64(st, 13);
    e.expires_at = sqlite3_column_int64(st, 14);
    e.evidence = sqlite3_column_blob(st, 15);
    e.evidence_len = (size_t)sqlite3_column_bytes(st, 15);
    if (tt__sq_col_fixed(st, 16, e.prev_hash, sizeof e.prev_hash) < 0 ||
        tt__sq_col_fixed(st, 17, e.hash, sizeof e.hash) < 0)
        return -1;
    return x->cb && x->cb(x->cls, &e) ? 1 : 0;
}

static enum tt_qs scan(struct tt_store_conn *c, const char *tenant_id, tt_consent_event_cb cb,
                       void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, CQ_SCAN,
                                   "SELECT " EV_COLS " FROM consent_events WHERE tenant_id = ?"
                                   " ORDER BY seq",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id))
        return tt__sq_bind_failed(q, st);
    struct each_event x = {cb, cls};
    return tt__sq_each(q, st, each_event_row, &x);
}

static enum tt_qs list_subject(struct tt_store_conn *c, const char *tenant_id,
                               const char *subject_id, tt_consent_event_cb cb, void *cls)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, CQ_LIST_SUBJECT,
                                   "SELECT " EV_COLS " FROM consent_events WHERE tenant_id = ?"
                                   " AND subject_id = ? ORDER BY seq",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id))
        return tt__sq_bind_failed(q, st);
    struct each_event x = {cb, cls};
    return tt__sq_each(q, st, each_event_row, &x);
}

struct sweep_pick {
    tt_time now;
    int64_t seq;
    uint8_t hash[TT_LEDGER_HASH_BYTES];
    int64_t n;
};

/* rows come oldest first: stop at the first proof still within its 5 years */
static int sweep_row(sqlite3_stmt *st, void *ctx)
{
    struct sweep_pick *p = ctx;
    if (sqlite3_column_int64(st, 1) > p->now)
        return 1;
    p->seq = sqlite3_column_int64(st, 0);
    if (tt__sq_col_fixed(st, 2, p->hash, sizeof p->hash) < 0)
        return -1;
    p->n++;
    return 0;
}

static enum tt_qs sweep(struct tt_store_conn *c, const char *tenant_id, tt_time now, int limit,
                        int64_t *removed)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, CQ_SWEEP_PICK,
                                   "SELECT seq, expires_at, hash FROM consent_events"
                                   " WHERE tenant_id = ? ORDER BY seq LIMIT ?",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, limit < 1 ? 1 : limit))
        return tt__sq_bind_failed(q, st);
    struct sweep_pick p = {.now = now};
    qs = tt__sq_each(q, st, sweep_row, &p);
    if (qs < 0)
        return qs;
    if (p.n == 0) {
        if (removed)
            *removed = 0;
        return TT_QS_NONE;
    }
    st = tt__sq_stmt(q, CQ_SWEEP_DELETE,
                     "DELETE FROM consent_events WHERE tenant_id = ? AND seq <= ?", &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_int(st, 2, p.seq))
        return tt__sq_bind_failed(q, st);
    qs = tt__sq_write(q, st);
    if (qs != TT_QS_ONE)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    st = tt__sq_stmt(q, CQ_SWEEP_FLOOR,
                     "UPDATE consent_heads SET floor_seq = ?, floor_hash = ? WHERE tenant_id = ?",
                     &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_int(st, 1, p.seq) || tt__sq_bind_blob(st, 2, p.hash, sizeof p.hash) ||
        tt__sq_bind_text(st, 3, tenant_id))
        return tt__sq_bind_failed(q, st);
    qs = tt__sq_write(q, st);
    if (qs != TT_QS_ONE)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    if (removed)
        *removed = p.n;
    return TT_QS_ONE;
}

static enum tt_qs open_put(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           const char *subject_id, const char *campaign, tt_time at)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, CQ_OPEN_PUT,
                                   "INSERT INTO consent_opens (tenant_id, open_id, subject_id,"
                                   " campaign, at) VALUES (?, ?, ?, ?, ?)",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, id) ||
        tt__sq_bind_text(st, 3, subject_id) || tt__sq_bind_text(st, 4, campaign) ||
        tt__sq_bind_int(st, 5, at))
        return tt__sq_bind_failed(q, st);
    return tt__sq_write(q, st);
}

static enum tt_qs open_count(struct tt_store_conn *c, const char *tenant_id, const char *subject_id,
                             int64_t *out)
{
    struct sq_conn *q = sq_of(c);
    enum tt_qs qs = TT_QS_HARD;
    sqlite3_stmt *st = tt__sq_stmt(q, CQ_OPEN_COUNT,
                                   "SELECT COUNT(*) FROM consent_opens WHERE tenant_id = ?"
                                   " AND subject_id = ?",
                                   &qs);
    if (!st)
        return qs;
    if (tt__sq_bind_text(st, 1, tenant_id) || tt__sq_bind_text(st, 2, subject_id))
        return tt__sq_bind_failed(q, st);
    int64_t n = 0;
    qs = tt__sq_one(q, st, tt__sq_int_row, &n);
    if (qs == TT_QS_ONE)
        *out = n;
    return qs;
}

const struct tt_consent_store_ops tt__sq_consent_ops = {
    .head = head,
    .append = append,
    .head_list = head_list,
    .scan = scan,
    .list_subject = list_subject,
    .sweep = sweep,
    .open_put = open_put,
    .open_count = open_count,
};
