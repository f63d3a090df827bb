/* SPDX-License-Identifier: Apache-2.0 */
/* test_jobs.c — the jobs area (issue 9) on SQLite and, when TUTELA_TEST_PG_URL is set, on a
 * fresh PostgreSQL database: leases (one holder, expiry and takeover, due times), outbox claims
 * (disjoint, a rolled-back message never exists, payload sealed and wiped on delivery, lost
 * claims refused), the change feed (commit order, head cursor, an identifier-gone row with its
 * blind index before the identity row), the Standard Webhooks signature
 * and the retry schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vault.h"
#include "jobs/feed.h"
#include "jobs/jobs.h"
#include "jobs/outbox.h"
#include "jobs/outbox_int.h"
#include "store/jobs_store.h"
#include "store/store.h"
#include "../support/tt_tmp.h"

#define T0 1764000000

struct fx {
    struct tt_store *s;
    struct tt_store_conn *c;
    const struct tt_jobs_store_ops *jb;
    struct tt_master *m;
    char dir[256];
    char url[512];
    char pg_admin[512]; /* to drop the database afterwards */
    char pg_db[64];
};

static const char *backend = "sqlite";

static void psql_exec(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    if (strcmp(backend, "postgres") == 0) {
        const char *base = getenv("TUTELA_TEST_PG_URL");
        static unsigned n;
        snprintf(f->pg_db, sizeof f->pg_db, "tt_jobs_%ld_%u", (long)getpid(), ++n);
        snprintf(f->pg_admin, sizeof f->pg_admin, "%s", base);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->pg_db);
        psql_exec(base, sql);
        /* same URL, other database: replace the path after the last '/' */
        const char *slash = strrchr(base, '/');
        snprintf(f->url, sizeof f->url, "%.*s/%s", (int)(slash - base), base, f->pg_db);
    } else {
        assert_non_null(tt_tmpdir("/tmp/tt-jobs-", f->dir, sizeof f->dir));
        snprintf(f->url, sizeof f->url, "sqlite:%s/t.db", f->dir);
    }
    char err[256] = "";
    if (tt_store_open(f->url, 2, 1, &f->s, err, sizeof err) != 0)
        fail_msg("open: %s", err);
    f->c = tt_store_acquire(f->s);
    f->jb = tt_store_ops_of(f->c)->jobs;
    assert_non_null(f->jb);
    uint8_t k[TT_KEY_BYTES];
    memset(k, 7, sizeof k);
    assert_int_equal(tt_vault_master_from_bytes(k, &f->m), 0);
    const char *tenants[] = {"ten_a", "ten_b"};
    for (int i = 0; i < 2; i++) {
        struct tt_tenant t = {.kind = TT_TENANT_CUSTOMER, .created_at = T0};
        snprintf(t.id, sizeof t.id, "%s", tenants[i]);
        snprintf(t.name, sizeof t.name, "%s", tenants[i]);
        assert_int_equal(tt_store_ops_of(f->c)->tenant_put(f->c, &t), TT_QS_ONE);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tt_store_release(f->c);
    tt_store_close(f->s);
    tt_vault_master_free(f->m);
    if (f->pg_db[0]) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", f->pg_db);
        psql_exec(f->pg_admin, sql);
    } else {
        assert_int_equal(tt_tmp_rmtree(f->dir), 0);
    }
    free(f);
    return 0;
}

/* ---- leases ---- */

static void lease_has_one_holder_until_it_expires(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->jb->lease_take(f->c, "j", "node_a", T0, 10, 1), TT_QS_ONE);
    assert_int_equal(f->jb->lease_take(f->c, "j", "node_b", T0 + 2, 10, 1), TT_QS_NONE);
    assert_int_equal(f->jb->lease_take(f->c, "j", "node_a", T0 + 2, 10, 1), TT_QS_ONE);
    assert_int_equal(f->jb->lease_renew(f->c, "j", "node_b", T0 + 3, 10), TT_QS_NONE);
    assert_int_equal(f->jb->lease_renew(f->c, "j", "node_a", T0 + 3, 10), TT_QS_ONE);
    char holder[TT_ID_MAX];
    tt_time until = 0;
    assert_int_equal(f->jb->lease_get(f->c, "j", holder, &until), TT_QS_ONE);
    assert_string_equal(holder, "node_a");
    assert_int_equal(until, T0 + 13);
    /* node_a dies: at expiry node_b takes over, and node_a can no longer renew */
    assert_int_equal(f->jb->lease_take(f->c, "j", "node_b", T0 + 12, 10, 1), TT_QS_NONE);
    assert_int_equal(f->jb->lease_take(f->c, "j", "node_b", T0 + 13, 10, 1), TT_QS_ONE);
    assert_int_equal(f->jb->lease_renew(f->c, "j", "node_a", T0 + 14, 10), TT_QS_NONE);
    assert_int_equal(f->jb->lease_get(f->c, "j", holder, &until), TT_QS_ONE);
    assert_string_equal(holder, "node_b");
}

static void lease_released_goes_to_the_next_node_when_due(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->jb->lease_take(f->c, "daily", "node_a", T0, 600, 86400), TT_QS_ONE);
    assert_int_equal(f->jb->lease_release(f->c, "daily", "node_a"), TT_QS_ONE);
    assert_int_equal(f->jb->lease_release(f->c, "daily", "node_a"), TT_QS_NONE);
    /* free, but the day's pass ran already: nobody runs it again before the interval */
    assert_int_equal(f->jb->lease_take(f->c, "daily", "node_b", T0 + 60, 600, 86400), TT_QS_NONE);
    assert_int_equal(f->jb->lease_take(f->c, "daily", "node_b", T0 + 86400, 600, 86400), TT_QS_ONE);
    /* interval 0 (a one-shot run) only needs the lease free */
    assert_int_equal(f->jb->lease_take(f->c, "daily", "node_a", T0 + 86401, 600, 0), TT_QS_NONE);
    assert_int_equal(f->jb->lease_take(f->c, "daily", "node_b", T0 + 86401, 600, 0), TT_QS_ONE);
}

/* ---- outbox ---- */

struct enq {
    const struct tt_master *m;
    struct tt_outbox_msg msg;
    char id[TT_ID_MAX];
    int fail_after;
};

static enum tt_qs enq_txn(struct tt_store_conn *c, void *cls)
{
    struct enq *e = cls;
    enum tt_qs qs = tt_outbox_enqueue(c, e->m, T0, &e->msg, e->id);
    return qs < 0 ? qs : e->fail_after ? TT_QS_HARD : TT_QS_ONE;
}

static void enqueue(struct fx *f, const char *tenant, const char *to, char id[TT_ID_MAX],
                    int fail_after)
{
    struct enq e = {.m = f->m, .fail_after = fail_after};
    snprintf(e.msg.tenant_id, sizeof e.msg.tenant_id, "%s", tenant);
    snprintf(e.msg.kind, sizeof e.msg.kind, "test.kind");
    e.msg.channel = TT_OUTBOX_EMAIL;
    e.msg.to = to;
    e.msg.subject = "Hello";
    e.msg.body = "the body text";
    e.msg.headers = "List-Unsubscribe: <mailto:u@example.org>\r\n";
    enum tt_qs qs = tt_store_txn(f->c, enq_txn, &e);
    assert_int_equal(qs, fail_after ? TT_QS_HARD : TT_QS_ONE);
    if (id)
        memcpy(id, e.id, TT_ID_MAX);
}

struct seen {
    char ids[64][TT_ID_MAX];
    int n;
    int with_payload;
    const struct tt_master *m;
    int opened;
    int leaked; /* the address appeared in the stored bytes */
};

static int seen_cb(void *cls, const struct tt_outbox_row *r)
{
    struct seen *s = cls;
    if (s->n < 64)
        snprintf(s->ids[s->n++], TT_ID_MAX, "%s", r->id);
    if (r->payload_enc) {
        s->with_payload++;
        if (memmem(r->payload_enc, r->payload_enc_len, "person@example.org", 18))
            s->leaked = 1;
        struct tt__outbox_plain p = {0};
        if (s->m && tt__outbox_open(s->m, r, &p) == 0 && strcmp(p.to, "person@example.org") == 0 &&
            strcmp(p.subject, "Hello") == 0 && strstr(p.headers, "List-Unsubscribe"))
            s->opened++;
        tt__outbox_plain_free(&p);
    }
    return 0;
}

struct claim_args {
    const char *node;
    tt_time now;
    int limit;
    struct seen *seen;
};

static enum tt_qs claim_txn(struct tt_store_conn *c, void *cls)
{
    struct claim_args *a = cls;
    return tt_store_ops_of(c)->jobs->outbox_claim(c, a->node, a->now, a->now + 300, a->limit,
                                                  seen_cb, a->seen);
}

static int claim(struct fx *f, const char *node, tt_time now, int limit, struct seen *s)
{
    struct claim_args a = {node, now, limit, s};
    enum tt_qs qs = tt_store_txn(f->c, claim_txn, &a);
    assert_true(qs >= 0);
    return (int)qs;
}

static void outbox_rolled_back_message_never_exists(void **state)
{
    struct fx *f = *state;
    enqueue(f, "ten_a", "person@example.org", NULL, 1);
    struct seen s = {0};
    assert_int_equal(claim(f, "node_a", T0 + 1, 100, &s), 0);
    struct tt_page page = {.after_id = "", .limit = 100};
    assert_int_equal(f->jb->outbox_list(f->c, "ten_a", -1, &page, NULL, NULL), 0);
}

static void outbox_claims_are_disjoint_and_payload_sealed(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 20; i++)
        enqueue(f, i % 2 ? "ten_a" : "ten_b", "person@example.org", NULL, 0);
    struct seen a = {.m = f->m}, b = {.m = f->m}, c = {0};
    assert_int_equal(claim(f, "node_a", T0 + 1, 12, &a), 12);
    assert_int_equal(claim(f, "node_b", T0 + 100, 100, &b), 8);
    assert_int_equal(claim(f, "node_c", T0 + 101, 100, &c), 0); /* all claimed */
    for (int i = 0; i < a.n; i++)
        for (int j = 0; j < b.n; j++)
            assert_string_not_equal(a.ids[i], b.ids[j]);
    assert_int_equal(a.opened + b.opened, 20);
    assert_false(a.leaked || b.leaked);
    /* node_a dies: its claims lapse (node_b's still hold) and another node gets them */
    assert_int_equal(claim(f, "node_c", T0 + 302, 100, &c), 12);
}

static void outbox_finish_wipes_on_delivery_and_refuses_lost_claims(void **state)
{
    struct fx *f = *state;
    char id[TT_ID_MAX];
    enqueue(f, "ten_a", "person@example.org", id, 0);
    struct seen s = {0};
    assert_int_equal(claim(f, "node_a", T0 + 1, 10, &s), 1);
    struct tt_outbox_result res = {.status = TT_OUTBOX_PENDING,
                                   .attempts = 1,
                                   .next_at = T0 + 30,
                                   .at = T0 + 1,
                                   .last_error = "http 500"};
    assert_int_equal(f->jb->outbox_finish(f->c, "ten_a", id, "node_b", &res), TT_QS_NONE);
    assert_int_equal(f->jb->outbox_finish(f->c, "ten_a", id, "node_a", &res), TT_QS_ONE);
    /* not due before its backoff */
    struct seen s2 = {0};
    assert_int_equal(claim(f, "node_a", T0 + 29, 10, &s2), 0);
    assert_int_equal(claim(f, "node_a", T0 + 30, 10, &s2), 1);
    res.status = TT_OUTBOX_DELIVERED;
    res.attempts = 2;
    res.last_error = "";
    assert_int_equal(f->jb->outbox_finish(f->c, "ten_a", id, "node_a", &res), TT_QS_ONE);
    struct seen g = {0};
    assert_int_equal(f->jb->outbox_get(f->c, "ten_a", id, seen_cb, &g), TT_QS_ONE);
    assert_int_equal(g.with_payload, 0); /* wiped */
    assert_int_equal(f->jb->outbox_retry(f->c, "ten_a", id, T0 + 40), TT_QS_NONE);
    assert_int_equal(f->jb->outbox_get(f->c, "ten_b", id, seen_cb, &g), TT_QS_NONE);
    struct tt_page page = {.after_id = "", .limit = 10};
    struct seen l = {0};
    assert_int_equal(f->jb->outbox_list(f->c, "ten_a", TT_OUTBOX_DELIVERED, &page, seen_cb, &l), 1);
    assert_int_equal(f->jb->outbox_list(f->c, "ten_a", TT_OUTBOX_FAILED, &page, seen_cb, &l), 0);
}

static void outbox_failed_message_can_be_retried_until_pruned(void **state)
{
    struct fx *f = *state;
    char id[TT_ID_MAX];
    enqueue(f, "ten_a", "person@example.org", id, 0);
    struct seen s = {0};
    assert_int_equal(claim(f, "node_a", T0 + 1, 10, &s), 1);
    struct tt_outbox_result res = {
        .status = TT_OUTBOX_FAILED, .attempts = 10, .at = T0 + 2, .last_error = "curl 7"};
    assert_int_equal(f->jb->outbox_finish(f->c, "ten_a", id, "node_a", &res), TT_QS_ONE);
    assert_int_equal(claim(f, "node_a", T0 + 1000, 10, &s), 0); /* given up */
    assert_int_equal(f->jb->outbox_retry(f->c, "ten_a", id, T0 + 1000), TT_QS_ONE);
    assert_int_equal(claim(f, "node_b", T0 + 1000, 10, &s), 1);
    res.at = T0 + 1001;
    assert_int_equal(f->jb->outbox_finish(f->c, "ten_a", id, "node_b", &res), TT_QS_ONE);
    int64_t n = 0;
    assert_true(f->jb->outbox_prune(f->c, T0 + 2000, 100, &n) >= 0);
    assert_int_equal(n, 1);
    assert_int_equal(f->jb->outbox_retry(f->c, "ten_a", id, T0 + 3000), TT_QS_NONE);
}

/* ---- change feed ---- */

struct feed_seen {
    int64_t txid, seq;
    int n;
    char subjects[16][TT_ID_MAX];
};

static int feed_cb(void *cls, const struct tt_feed_row *r)
{
    struct feed_seen *s = cls;
    assert_true(r->txid > s->txid || (r->txid == s->txid && r->seq > s->seq));
    s->txid = r->txid;
    s->seq = r->seq;
    if (s->n < 16)
        snprintf(s->subjects[s->n], TT_ID_MAX, "%s", r->subject_id);
    s->n++;
    return 0;
}

struct app_txn {
    const char *subject;
};

static int count_cb(void *cls, const struct tt_feed_row *r)
{
    (void)r;
    (*(int *)cls)++;
    return 0;
}

/* On PostgreSQL a feed row is readable once every writer older than it has ended, and the oldest
 * writer is the cluster's: a test beside this one, in another database, holds rows back for as
 * long as its transaction runs. Wait (at most a minute) until `want` rows after the cursor are
 * readable; on SQLite they are at once. */
static void feed_wait(struct fx *f, int64_t txid, int64_t seq, int want)
{
    for (int i = 0; i < 3000; i++) {
        int n = 0;
        assert_true(f->jb->feed_read(f->c, txid, seq, 100, count_cb, &n) >= 0);
        if (n >= want)
            return;
        usleep(20000);
    }
    fail_msg("%d feed rows after (%lld, %lld) never became readable", want, (long long)txid,
             (long long)seq);
}

static enum tt_qs feed_txn(struct tt_store_conn *c, void *cls)
{
    struct app_txn *a = cls;
    return tt_feed_append(c, "ten_a", TT_FEED_SUBJECT, a->subject);
}

static void feed_is_read_in_commit_order_from_the_head(void **state)
{
    struct fx *f = *state;
    struct app_txn a = {"sub_1"};
    assert_int_equal(tt_store_txn(f->c, feed_txn, &a), TT_QS_ONE);
    feed_wait(f, 0, 0, 1); /* the head is then past sub_1 */
    int64_t txid = 0, seq = 0;
    assert_int_equal(tt_feed_head(f->s, &txid, &seq), 0);
    const char *later[] = {"sub_2", "sub_3", "sub_4"};
    for (int i = 0; i < 3; i++) {
        a.subject = later[i];
        assert_int_equal(tt_store_txn(f->c, feed_txn, &a), TT_QS_ONE);
    }
    feed_wait(f, txid, seq, 3);
    struct feed_seen s = {.txid = txid, .seq = seq};
    assert_int_equal(f->jb->feed_read(f->c, txid, seq, 100, feed_cb, &s), 3);
    assert_string_equal(s.subjects[0], "sub_2");
    assert_string_equal(s.subjects[2], "sub_4");
    /* read on from the last row: nothing new */
    struct feed_seen t = {.txid = s.txid, .seq = s.seq};
    assert_int_equal(f->jb->feed_read(f->c, s.txid, s.seq, 100, feed_cb, &t), 0);
    /* pruning old rows keeps numbering going */
    int64_t n = 0;
    assert_true(f->jb->feed_prune(f->c, (tt_time)time(NULL) + 10, 100, &n) >= 0);
    a.subject = "sub_5";
    assert_int_equal(tt_store_txn(f->c, feed_txn, &a), TT_QS_ONE);
    feed_wait(f, s.txid, s.seq, 1);
    struct feed_seen u = {.txid = s.txid, .seq = s.seq};
    assert_int_equal(f->jb->feed_read(f->c, s.txid, s.seq, 100, feed_cb, &u), 1);
    assert_string_equal(u.subjects[0], "sub_5");
}

/* an identifier rectified in place (S1.5): "gone" row, then the subject's identity row */
struct gone_rows {
    int n;
    struct tt_feed_row r[4];
};

static int gone_cb(void *cls, const struct tt_feed_row *r)
{
    struct gone_rows *g = cls;
    if (g->n < 4)
        g->r[g->n] = *r;
    g->n++;
    return 0;
}

static enum tt_qs gone_txn(struct tt_store_conn *c, void *cls)
{
    const struct tt_identity *old = cls;
    enum tt_qs qs = tt_feed_identity_gone(c, "ten_a", "sub_9", old);
    return qs < 0 ? qs : tt_feed_append(c, "ten_a", TT_FEED_IDENTITY, "sub_9");
}

static void feed_identifier_gone_row_carries_type_and_blind_index_first(void **state)
{
    struct fx *f = *state;
    int64_t txid = 0, seq = 0;
    assert_int_equal(tt_feed_head(f->s, &txid, &seq), 0);
    struct tt_identity old = {.type = TT_IDENT_PHONE};
    for (int i = 0; i < TT_HASH_HEX - 1; i++)
        old.blind_hex[i] = "0123456789abcdef"[(i * 7) % 16];
    assert_int_equal(tt_store_txn(f->c, gone_txn, &old), TT_QS_ONE);
    feed_wait(f, txid, seq, 2);
    struct gone_rows g = {0};
    assert_int_equal(f->jb->feed_read(f->c, txid, seq, 100, gone_cb, &g), 2);
    assert_int_equal(g.r[0].kind, TT_FEED_IDENTITY_GONE);
    char want[TT_FEED_DETAIL_MAX];
    snprintf(want, sizeof want, "1:%s", old.blind_hex);
    assert_string_equal(g.r[0].detail, want);
    assert_string_equal(g.r[0].subject_id, "sub_9");
    assert_int_equal(g.r[1].kind, TT_FEED_IDENTITY);
    assert_string_equal(g.r[1].detail, ""); /* rows without one read "" */
    /* a blind index that is not one (upper case, short) or an unknown type: nothing written */
    struct tt_identity bad = old;
    bad.blind_hex[3] = 'A';
    assert_int_equal(tt_store_txn(f->c, gone_txn, &bad), TT_QS_HARD);
    bad = old;
    bad.blind_hex[40] = '\0';
    assert_int_equal(tt_store_txn(f->c, gone_txn, &bad), TT_QS_HARD);
    bad = old;
    bad.type = TT_IDENT__COUNT;
    assert_int_equal(tt_store_txn(f->c, gone_txn, &bad), TT_QS_HARD);
    /* a detail longer than a reader takes is refused by the store itself */
    char longer[TT_FEED_DETAIL_MAX + 8];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(f->jb->feed_append_detail(f->c, "ten_a", TT_FEED_IDENTITY_GONE, "sub_9",
                                               longer, "node_a", T0),
                     TT_QS_HARD);
    struct gone_rows after = {0};
    assert_int_equal(f->jb->feed_read(f->c, g.r[1].txid, g.r[1].seq, 100, gone_cb, &after), 0);
}

/* ---- signature and schedule (no store) ---- */

static void webhook_signature_matches_the_standard_webhooks_vector(void **state)
{
    (void)state;
    /* the example of the Standard Webhooks specification */
    const char *body = "{\"test\": 2432232314}";
    char sig[128];
    assert_int_equal(tt__outbox_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                     "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body),
                                     sig, sizeof sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    assert_int_equal(
        tt__outbox_sign("whsec_not base64!", "msg_x", 1, body, strlen(body), sig, sizeof sig), -1);
}

static void backoff_grows_with_jitter_and_is_capped(void **state)
{
    (void)state;
    struct tt__outbox_cfg cfg = {.backoff_s = 30, .backoff_cap_s = 3600, .max_attempts = 10};
    for (int i = 0; i < 50; i++) {
        long d1 = tt__outbox_backoff(&cfg, 1), d3 = tt__outbox_backoff(&cfg, 3);
        long d20 = tt__outbox_backoff(&cfg, 20);
        assert_true(d1 >= 15 && d1 <= 30);
        assert_true(d3 >= 60 && d3 <= 120);
        assert_true(d20 >= 1800 && d20 <= 3600);
    }
}

static void headers_must_be_crlf_lines(void **state)
{
    (void)state;
    assert_true(tt_outbox_headers_ok(NULL));
    assert_true(tt_outbox_headers_ok("List-Unsubscribe: <https://x.example/u>\r\n"
                                     "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    assert_false(tt_outbox_headers_ok("X: a\nBcc: evil@example.org\r\n"));
    assert_false(tt_outbox_headers_ok("X: a"));
    assert_false(tt_outbox_headers_ok(": a\r\n"));
    assert_false(tt_outbox_headers_ok("Bad Name: a\r\n"));
}

int main(void)
{
    tt_vault_init();
    const struct CMUnitTest store_tests[] = {
        cmocka_unit_test_setup_teardown(lease_has_one_holder_until_it_expires, setup, teardown),
        cmocka_unit_test_setup_teardown(lease_released_goes_to_the_next_node_when_due, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(outbox_rolled_back_message_never_exists, setup, teardown),
        cmocka_unit_test_setup_teardown(outbox_claims_are_disjoint_and_payload_sealed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(outbox_finish_wipes_on_delivery_and_refuses_lost_claims,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(outbox_failed_message_can_be_retried_until_pruned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(feed_is_read_in_commit_order_from_the_head, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(feed_identifier_gone_row_carries_type_and_blind_index_first,
                                        setup, teardown),
    };
    const struct CMUnitTest pure_tests[] = {
        cmocka_unit_test(webhook_signature_matches_the_standard_webhooks_vector),
        cmocka_unit_test(backoff_grows_with_jitter_and_is_capped),
        cmocka_unit_test(headers_must_be_crlf_lines),
    };
    int failed = cmocka_run_group_tests_name("jobs-pure", pure_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("jobs-sqlite", store_tests, NULL, NULL);
    if (getenv("TUTELA_TEST_PG_URL") && *getenv("TUTELA_TEST_PG_URL")) {
        backend = "postgres";
        failed += cmocka_run_group_tests_name("jobs-postgres", store_tests, NULL, NULL);
    }
    return failed;
}
