/* SPDX-License-Identifier: Apache-2.0 */
/* pg_jobs.c — the jobs area on PostgreSQL (jobs_store.h): job leases as one conditional UPDATE
 * (row lock; a concurrent taker re-checks the condition after the winner commits), outbox claims
 * with FOR UPDATE SKIP LOCKED so nodes claim disjoint rows, and the change feed read in
 * transaction-id order below the oldest running writer, so no commit is ever skipped.
 * Statement slots 64..127 (store/areas.h). Same behaviour as src/store/sqlite/jobs.c. */
#include "pg_internal.h"
#include "pg_batched.h"

#include <stdlib.h>
#include <string.h>

#include "../jobs_store.h"

enum {
    S_LEASE_TAKE = TT_STORE_SLOT_BASE(TT_AREA_JOBS),
    S_LEASE_INSERT,
    S_LEASE_RENEW,
    S_LEASE_RELEASE,
    S_LEASE_GET,
    S_OB_PUT,
    S_OB_CLAIM,
    S_OB_FINISH,
    S_OB_GET,
    S_OB_LIST,
    S_OB_RETRY,
    S_OB_WIPE,
    S_OB_DELETE,
    S_FEED_APPEND,
    S_FEED_READ,
    S_FEED_HEAD,
    S_FEED_PRUNE,
    S_FEED_APPEND_DETAIL,
    S__END
};
_Static_assert(S__END <= TT_STORE_SLOT_BASE(TT_AREA_JOBS) + TT_STORE_SLOTS_PER_AREA,
               "jobs statements overflow their range");

#define OB_COLS                                                                                    \
    "tenant_id, message_id, kind, channel, ref, status, attempts, created_at, next_at,"            \
    " claimed_by, claimed_until, delivered_at, updated_at, master_key_id, last_error, payload_enc"
#define OB_COLS_O                                                                                  \
    "o.tenant_id, o.message_id, o.kind, o.channel, o.ref, o.status, o.attempts, o.created_at,"     \
    " o.next_at, o.claimed_by, o.claimed_until, o.delivered_at, o.updated_at, o.master_key_id,"    \
    " o.last_error, o.payload_enc"
#define FEED_COLS "tenant_id, seq, txid, kind, subject_id, node_id, at, detail"
/* every writer that started before this snapshot's oldest running one has finished */
#define XMIN "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"

static const struct pg_stmt ST[] = {
    {S_LEASE_TAKE, "tt_jobs_lease_take", "tttiii",
     "UPDATE job_leases SET holder = $3, lease_until = $4 + $5, last_run_at = $4,"
     " runs = runs + 1 WHERE tenant_id = $1 AND job = $2"
     " AND (holder = $3 OR lease_until <= $4) AND last_run_at + $6 <= $4",
     NULL},
    {S_LEASE_INSERT, "tt_jobs_lease_insert", "tttii",
     "INSERT INTO job_leases (tenant_id, job, holder, lease_until, last_run_at, runs)"
     " VALUES ($1, $2, $3, $4 + $5, $4, 1) ON CONFLICT DO NOTHING",
     NULL},
    {S_LEASE_RENEW, "tt_jobs_lease_renew", "tttii",
     "UPDATE job_leases SET lease_until = $4 + $5 WHERE tenant_id = $1 AND job = $2"
     " AND holder = $3 AND lease_until > 0",
     NULL},
    {S_LEASE_RELEASE, "tt_jobs_lease_release", "ttt",
     "UPDATE job_leases SET lease_until = 0 WHERE tenant_id = $1 AND job = $2"
     " AND holder = $3 AND lease_until > 0",
     NULL},
    {S_LEASE_GET, "tt_jobs_lease_get", "tt",
     "SELECT holder, lease_until FROM job_leases WHERE tenant_id = $1 AND job = $2", NULL},
    {S_OB_PUT, "tt_jobs_ob_put", "tttititb",
     "INSERT INTO outbox (" OB_COLS ") VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $6, '', 0, 0, $6,"
     " $7, '', $8)",
     NULL},
    {S_OB_CLAIM, "tt_jobs_ob_claim", "tiii",
     "UPDATE outbox o SET claimed_by = $1, claimed_until = $2 FROM"
     " (SELECT tenant_id, message_id FROM outbox WHERE status = 0 AND next_at <= $3"
     "  AND claimed_until <= $3 ORDER BY next_at, message_id LIMIT $4 FOR UPDATE SKIP LOCKED) d"
     " WHERE o.tenant_id = d.tenant_id AND o.message_id = d.message_id RETURNING " OB_COLS_O,
     NULL},
    {S_OB_FINISH, "tt_jobs_ob_finish", "tttiiiit",
     "UPDATE outbox SET status = $4, attempts = $5, next_at = $6, updated_at = $7,"
     " delivered_at = CASE WHEN $4 = 1 THEN $7 ELSE delivered_at END, last_error = $8,"
     " claimed_until = 0, payload_enc = CASE WHEN $4 = 1 THEN NULL ELSE payload_enc END"
     " WHERE tenant_id = $1 AND message_id = $2 AND claimed_by = $3 AND status = 0",
     NULL},
    {S_OB_GET, "tt_jobs_ob_get", "tt",
     "SELECT " OB_COLS " FROM outbox WHERE tenant_id = $1 AND message_id = $2", NULL},
    {S_OB_LIST, "tt_jobs_ob_list", "ttii",
     "SELECT tenant_id, message_id, kind, channel, ref, status, attempts, created_at, next_at,"
     " claimed_by, claimed_until, delivered_at, updated_at, master_key_id, last_error,"
     " CASE WHEN payload_enc IS NULL THEN NULL ELSE '\\x01'::bytea END FROM outbox WHERE tenant_id "
     "= $1 AND message_id > $2"
     " AND ($4 < 0 OR status = $4) ORDER BY message_id LIMIT $3",
     NULL},
    {S_OB_RETRY, "tt_jobs_ob_retry", "tti",
     "UPDATE outbox SET status = 0, attempts = 0, next_at = $3, updated_at = $3,"
     " claimed_until = 0, last_error = '' WHERE tenant_id = $1 AND message_id = $2"
     " AND status IN (0, 2) AND payload_enc IS NOT NULL",
     NULL},
    {S_OB_WIPE, "tt_jobs_ob_wipe", "ii",
     "UPDATE outbox SET payload_enc = NULL WHERE (tenant_id, message_id) IN"
     " (SELECT tenant_id, message_id FROM outbox WHERE status = 2 AND payload_enc IS NOT NULL"
     "  AND updated_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
     NULL},
    {S_OB_DELETE, "tt_jobs_ob_delete", "ii",
     "DELETE FROM outbox WHERE (tenant_id, message_id) IN"
     " (SELECT tenant_id, message_id FROM outbox WHERE status = 1 AND delivered_at < $1"
     "  LIMIT $2 FOR UPDATE SKIP LOCKED)",
     NULL},
    {S_FEED_APPEND, "tt_jobs_feed_append", "titti",
     /* the commit is announced to the other nodes' followers after it (pg_announce.c) */
     "WITH f AS (INSERT INTO change_feed (tenant_id, kind, subject_id, node_id, at)"
     " VALUES ($1, $2, $3, $4, $5) RETURNING 1)"
     " SELECT 1 FROM f",
     NULL},
    {S_FEED_READ, "tt_jobs_feed_read", "iii",
     "SELECT " FEED_COLS " FROM change_feed WHERE (txid, seq) > ($1, $2) AND txid < " XMIN
     " ORDER BY txid, seq LIMIT $3",
     NULL},
    {S_FEED_HEAD, "tt_jobs_feed_head", "", "SELECT " XMIN " - 1", NULL},
    {S_FEED_PRUNE, "tt_jobs_feed_prune", "ii",
     "DELETE FROM change_feed WHERE (tenant_id, seq) IN (SELECT tenant_id, seq FROM change_feed"
     " WHERE at < $1 LIMIT $2)",
     NULL},
    {S_FEED_APPEND_DETAIL, "tt_jobs_feed_append_detail", "tittit",
     "WITH f AS (INSERT INTO change_feed (tenant_id, kind, subject_id, node_id, at, detail)"
     " VALUES ($1, $2, $3, $4, $5, $6) RETURNING 1)"
     " SELECT 1 FROM f",
     NULL},
};

static const struct pg_stmt *st_of(int id)
{
    return &ST[id - S_LEASE_TAKE];
}

#define P(c) pg_conn_of(c)

/* ---- leases ---- */

static enum tt_qs lease_take(struct tt_store_conn *c, const char *job, const char *node,
                             tt_time now, unsigned lease_s, unsigned interval_s)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, TT_JOBS_GLOBAL_TENANT);
    tt__pg_arg_text(&a, job);
    tt__pg_arg_text(&a, node);
    tt__pg_arg_int(&a, now);
    tt__pg_arg_int(&a, lease_s);
    tt__pg_arg_int(&a, interval_s);
    enum tt_qs qs = tt__pg_exec_one(P(c), st_of(S_LEASE_TAKE), &a);
    if (qs != TT_QS_NONE)
        return qs;
    a.n = 5; /* the same first five parameters */
    return tt__pg_exec_one(P(c), st_of(S_LEASE_INSERT), &a);
}

static enum tt_qs lease_renew(struct tt_store_conn *c, const char *job, const char *node,
                              tt_time now, unsigned lease_s)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, TT_JOBS_GLOBAL_TENANT);
    tt__pg_arg_text(&a, job);
    tt__pg_arg_text(&a, node);
    tt__pg_arg_int(&a, now);
    tt__pg_arg_int(&a, lease_s);
    return tt__pg_exec_one(P(c), st_of(S_LEASE_RENEW), &a);
}

static enum tt_qs lease_release(struct tt_store_conn *c, const char *job, const char *node)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, TT_JOBS_GLOBAL_TENANT);
    tt__pg_arg_text(&a, job);
    tt__pg_arg_text(&a, node);
    return tt__pg_exec_one(P(c), st_of(S_LEASE_RELEASE), &a);
}

struct lease_out {
    char holder[TT_ID_MAX];
    tt_time until;
};

static int lease_row(void *cls, const PGresult *r, int row)
{
    struct lease_out *o = cls;
    if (tt__pg_text(r, row, 0, o->holder, sizeof o->holder) < 0)
        return -1;
    o->until = tt__pg_int(r, row, 1);
    return 1;
}

static enum tt_qs lease_get(struct tt_store_conn *c, const char *job, char holder[TT_ID_MAX],
                            tt_time *until)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, TT_JOBS_GLOBAL_TENANT);
    tt__pg_arg_text(&a, job);
    struct lease_out o;
    enum tt_qs qs = tt__pg_each(P(c), st_of(S_LEASE_GET), &a, lease_row, &o);
    if (qs < 0)
        return qs;
    if (qs == TT_QS_NONE)
        return TT_QS_NONE;
    memcpy(holder, o.holder, TT_ID_MAX);
    *until = o.until;
    return TT_QS_ONE;
}

/* ---- outbox ---- */

struct ob_each {
    tt_outbox_row_cb cb;
    void *cls;
};

static int ob_row(void *cls, const PGresult *r, int row)
{
    struct ob_each *e = cls;
    struct tt_outbox_row o;
    memset(&o, 0, sizeof o);
    if (tt__pg_text(r, row, 0, o.tenant_id, sizeof o.tenant_id) < 0 ||
        tt__pg_text(r, row, 1, o.id, sizeof o.id) < 0 ||
        tt__pg_text(r, row, 2, o.kind, sizeof o.kind) < 0 ||
        tt__pg_text(r, row, 4, o.ref, sizeof o.ref) < 0 ||
        tt__pg_text(r, row, 9, o.claimed_by, sizeof o.claimed_by) < 0 ||
        tt__pg_text(r, row, 13, o.master_key_id, sizeof o.master_key_id) < 0 ||
        tt__pg_text(r, row, 14, o.last_error, sizeof o.last_error) < 0)
        return -1;
    o.channel = (int)tt__pg_int(r, row, 3);
    o.status = (int)tt__pg_int(r, row, 5);
    o.attempts = (int)tt__pg_int(r, row, 6);
    o.created_at = tt__pg_int(r, row, 7);
    o.next_at = tt__pg_int(r, row, 8);
    o.claimed_until = tt__pg_int(r, row, 10);
    o.delivered_at = tt__pg_int(r, row, 11);
    o.updated_at = tt__pg_int(r, row, 12);
    o.payload_enc = tt__pg_bytes(r, row, 15, &o.payload_enc_len);
    return e->cb && e->cb(e->cls, &o) ? 1 : 0;
}

static enum tt_qs outbox_put(struct tt_store_conn *c, const struct tt_outbox_row *r)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, r->tenant_id);
    tt__pg_arg_text(&a, r->id);
    tt__pg_arg_text(&a, r->kind);
    tt__pg_arg_int(&a, r->channel);
    tt__pg_arg_text(&a, r->ref);
    tt__pg_arg_int(&a, r->created_at);
    tt__pg_arg_text(&a, r->master_key_id);
    tt__pg_arg_bytes(&a, r->payload_enc, r->payload_enc_len);
    return tt__pg_exec_one(P(c), st_of(S_OB_PUT), &a);
}

static enum tt_qs outbox_claim(struct tt_store_conn *c, const char *node, tt_time now,
                               tt_time claim_until, int limit, tt_outbox_row_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, node);
    tt__pg_arg_int(&a, claim_until);
    tt__pg_arg_int(&a, now);
    tt__pg_arg_int(&a, limit < 1 ? 1 : limit > 1000 ? 1000 : limit);
    struct ob_each e = {cb, cls};
    return tt__pg_each(P(c), st_of(S_OB_CLAIM), &a, ob_row, &e);
}

static enum tt_qs outbox_finish(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                const char *node, const struct tt_outbox_result *res)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id);
    tt__pg_arg_text(&a, node);
    tt__pg_arg_int(&a, res->status);
    tt__pg_arg_int(&a, res->attempts);
    tt__pg_arg_int(&a, res->next_at);
    tt__pg_arg_int(&a, res->at);
    tt__pg_arg_text(&a, res->last_error ? res->last_error : "");
    return tt__pg_exec_one(P(c), st_of(S_OB_FINISH), &a);
}

static enum tt_qs outbox_get(struct tt_store_conn *c, const char *tenant_id, const char *id,
                             tt_outbox_row_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id);
    struct ob_each e = {cb, cls};
    enum tt_qs qs = tt__pg_each(P(c), st_of(S_OB_GET), &a, ob_row, &e);
    return qs > 0 ? TT_QS_ONE : qs;
}

static enum tt_qs outbox_list(struct tt_store_conn *c, const char *tenant_id, int status,
                              const struct tt_page *page, tt_outbox_row_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, page->after_id);
    tt__pg_arg_int(&a, page->limit < 1 ? 1 : page->limit > 1000 ? 1000 : page->limit);
    tt__pg_arg_int(&a, status);
    struct ob_each e = {cb, cls};
    return tt__pg_each(P(c), st_of(S_OB_LIST), &a, ob_row, &e);
}

static enum tt_qs outbox_retry(struct tt_store_conn *c, const char *tenant_id, const char *id,
                               tt_time now)
{
    struct pg_args a = {0};
    tt__pg_arg_text(&a, tenant_id);
    tt__pg_arg_text(&a, id);
    tt__pg_arg_int(&a, now);
    return tt__pg_exec_one(P(c), st_of(S_OB_RETRY), &a);
}

/* Runs a bounded DELETE/UPDATE and adds the rows it changed to *n. */
static enum tt_qs exec_count(struct tt_store_conn *c, int id, tt_time before, int limit, int64_t *n)
{
    struct pg_args a = {0};
    tt__pg_arg_int(&a, before);
    tt__pg_arg_int(&a, limit);
    PGresult *r = NULL;
    enum tt_qs qs = tt__pg_exec(P(c), st_of(id), &a, &r);
    if (qs < 0)
        return qs;
    *n += strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return TT_QS_ONE;
}

static enum tt_qs outbox_prune(struct tt_store_conn *c, tt_time before, int limit, int64_t *n)
{
    int64_t changed = 0;
    enum tt_qs qs = exec_count(c, S_OB_WIPE, before, limit, &changed);
    if (qs >= 0)
        qs = exec_count(c, S_OB_DELETE, before, limit, &changed);
    if (qs < 0)
        return qs;
    *n = changed;
    return changed > 0 ? TT_QS_ONE : TT_QS_NONE;
}

/* ---- change feed ---- */

/* The parameters every feed append starts with: $1 tenant .. $5 at. */
static void feed_args(struct pg_args *a, const char *tenant_id, int kind, const char *subject_id,
                      const char *node, tt_time at)
{
    tt__pg_arg_text(a, tenant_id);
    tt__pg_arg_int(a, kind);
    tt__pg_arg_text(a, subject_id);
    tt__pg_arg_text(a, node);
    tt__pg_arg_int(a, at);
}

static enum tt_qs feed_append(struct tt_store_conn *c, const char *tenant_id, int kind,
                              const char *subject_id, const char *node, tt_time at)
{
    struct pg_args a = {0};
    feed_args(&a, tenant_id, kind, subject_id, node, at);
    const struct pg_stmt *st = st_of(S_FEED_APPEND);
    enum tt_qs qs;
    if (P(c)->speculative && P(c)->in_txn) /* one statement for the batch's rows */
        qs = tt__pg_batched_feed(P(c), tenant_id, kind, subject_id, node, at);
    else if ((qs = tt__pg_exec_one(P(c), st, &a)) == TT_QS_NONE)
        qs = TT_QS_HARD;
    if (qs >= 0) /* announced once committed */
        tt__pg_feed_written(P(c), node);
    return qs;
}

struct feed_each {
    tt_feed_row_cb cb;
    void *cls;
};

static int feed_row(void *cls, const PGresult *r, int row)
{
    struct feed_each *e = cls;
    struct tt_feed_row f;
    memset(&f, 0, sizeof f);
    if (tt__pg_text(r, row, 0, f.tenant_id, sizeof f.tenant_id) < 0 ||
        tt__pg_text(r, row, 4, f.subject_id, sizeof f.subject_id) < 0 ||
        tt__pg_text(r, row, 5, f.node_id, sizeof f.node_id) < 0)
        return -1;
    f.seq = tt__pg_int(r, row, 1);
    f.txid = tt__pg_int(r, row, 2);
    f.kind = (int)tt__pg_int(r, row, 3);
    f.at = tt__pg_int(r, row, 6);
    if (tt__pg_text(r, row, 7, f.detail, sizeof f.detail) < 0) /* NULL reads "" */
        return -1;
    return e->cb && e->cb(e->cls, &f) ? 1 : 0;
}

static enum tt_qs feed_read(struct tt_store_conn *c, int64_t after_txid, int64_t after_seq,
                            int limit, tt_feed_row_cb cb, void *cls)
{
    struct pg_args a = {0};
    tt__pg_arg_int(&a, after_txid);
    tt__pg_arg_int(&a, after_seq);
    tt__pg_arg_int(&a, limit < 1 ? 1 : limit > 10000 ? 10000 : limit);
    struct feed_each e = {cb, cls};
    return tt__pg_each(P(c), st_of(S_FEED_READ), &a, feed_row, &e);
}

static enum tt_qs feed_append_detail(struct tt_store_conn *c, const char *tenant_id, int kind,
                                     const char *subject_id, const char *detail, const char *node,
                                     tt_time at)
{
    if (detail && strlen(detail) >= TT_FEED_DETAIL_MAX)
        return TT_QS_HARD; /* a row no reader could take */
    struct pg_args a = {0};
    feed_args(&a, tenant_id, kind, subject_id, node, at);
    tt__pg_arg_text(&a, detail); /* $6 */
    const struct pg_stmt *st = st_of(S_FEED_APPEND_DETAIL);
    enum tt_qs qs;
    if (P(c)->speculative && P(c)->in_txn) /* it inserts its row or raises: guarded as it is */
        qs = tt__pg_defer_guarded(P(c), st, st->sql, &a, TT_QS_HARD);
    else if ((qs = tt__pg_exec_one(P(c), st, &a)) == TT_QS_NONE)
        qs = TT_QS_HARD;
    if (qs >= 0) /* announced once committed */
        tt__pg_feed_written(P(c), node);
    return qs;
}

static int head_row(void *cls, const PGresult *r, int row)
{
    *(int64_t *)cls = tt__pg_int(r, row, 0);
    return 1;
}

static enum tt_qs feed_head(struct tt_store_conn *c, int64_t *txid, int64_t *seq)
{
    int64_t v = 0;
    enum tt_qs qs = tt__pg_each(P(c), st_of(S_FEED_HEAD), NULL, head_row, &v);
    if (qs < 0)
        return qs;
    if (qs == TT_QS_NONE)
        return TT_QS_HARD;
    /* (xmin - 1, max): the next read starts at the oldest writer still running */
    *txid = v;
    *seq = INT64_MAX;
    return TT_QS_ONE;
}

static enum tt_qs feed_prune(struct tt_store_conn *c, tt_time before, int limit, int64_t *n)
{
    int64_t changed = 0;
    enum tt_qs qs = exec_count(c, S_FEED_PRUNE, before, limit, &changed);
    if (qs < 0)
        return qs;
    *n = changed;
    return changed > 0 ? TT_QS_ONE : TT_QS_NONE;
}

const struct tt_jobs_store_ops tt__pg_jobs_ops = {
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
    .feed_listen = tt__pg_feed_listen,
    .feed_wait = tt__pg_feed_wait,
    .feed_unlisten = tt__pg_feed_unlisten,
};
