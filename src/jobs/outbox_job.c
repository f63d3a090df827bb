/* SPDX-License-Identifier: Apache-2.0 */
/* outbox_job.c — the outbox jobs (jobs_jobs.inc). outbox.deliver claims a batch of due messages
 * for this node (a claim per row, FOR UPDATE SKIP LOCKED on PostgreSQL), sends each outside any
 * transaction, then records the outcome in a transaction of its own: delivered (payload wiped),
 * or a retry after exponential backoff with jitter, or failed after the last attempt.
 * outbox.prune wipes the payloads of messages given up long ago and drops old delivery rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/error.h"
#include "../core/mono.h"
#include "../http/http.h"
#include "../http/log.h"
#include "jobs.h"
#include "outbox_int.h"

#define BATCH 50
#define CLAIM_S 300
#define PRUNE_BATCH 5000
#define KEEP_DEFAULT_S (7 * 86400)
#define PASS_S 3.0 /* seconds of full batches per pass (the lease is 10 s) */

struct claimed {
    struct tt_outbox_row rows[BATCH];
    uint8_t *payloads[BATCH];
    int n;
    int nomem;
};

static int take_row(void *cls, const struct tt_outbox_row *r)
{
    struct claimed *b = cls;
    if (b->n >= BATCH)
        return 0; /* never more than the limit asked for */
    struct tt_outbox_row *dst = &b->rows[b->n];
    *dst = *r;
    dst->payload_enc = NULL;
    if (r->payload_enc && r->payload_enc_len) {
        uint8_t *p = malloc(r->payload_enc_len);
        if (!p) {
            b->nomem = 1;
            dst->payload_enc_len = 0;
        } else {
            memcpy(p, r->payload_enc, r->payload_enc_len);
            b->payloads[b->n] = p;
            dst->payload_enc = p;
        }
    }
    b->n++;
    return 0;
}

struct claim_ctx {
    struct claimed *b;
    tt_time now;
};

static enum tt_qs claim_txn(struct tt_store_conn *c, void *cls)
{
    struct claim_ctx *x = cls;
    for (int i = 0; i < x->b->n; i++)
        free(x->b->payloads[i]);
    memset(x->b, 0, sizeof *x->b); /* a retried transaction starts over */
    enum tt_qs qs = tt_store_ops_of(c)->jobs->outbox_claim(c, tt_jobs_node_id(), x->now,
                                                           x->now + CLAIM_S, BATCH, take_row, x->b);
    return qs < 0 ? qs : TT_QS_ONE;
}

struct finish_ctx {
    const struct tt_outbox_row *row;
    struct tt_outbox_result res;
    int lost;
};

static enum tt_qs finish_txn(struct tt_store_conn *c, void *cls)
{
    struct finish_ctx *x = cls;
    enum tt_qs qs = tt_store_ops_of(c)->jobs->outbox_finish(c, x->row->tenant_id, x->row->id,
                                                            tt_jobs_node_id(), &x->res);
    x->lost = qs == TT_QS_NONE;
    return qs < 0 ? qs : TT_QS_ONE;
}

static const char *channel_name(int ch)
{
    return ch == TT_OUTBOX_EMAIL ? "email" : ch == TT_OUTBOX_WEBHOOK ? "webhook" : "sms";
}

/* One claimed batch: claims, sends and records. *claimed gets the batch size. */
static int deliver_batch(struct tt_app *app, tt_time now, int *claimed);

int tt_job_outbox_deliver(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    /* full batches go on within the pass, for a bounded time well inside the lease */
    double started = tt_mono_s();
    int claimed = 0, rc = 0;
    do
        rc = deliver_batch(app, tt_now(&app->clock), &claimed);
    while (rc == 0 && claimed == BATCH && tt_mono_s() - started < PASS_S);
    (void)now;
    return rc;
}

static int deliver_batch(struct tt_app *app, tt_time now, int *claimed)
{
    struct tt__outbox_cfg cfg;
    tt__outbox_cfg_load(&cfg);
    struct claimed *b = calloc(1, sizeof *b);
    struct tt__outbox_sender *s = tt__outbox_sender_new(&cfg);
    if (!b || !s) {
        free(b);
        tt__outbox_sender_free(s);
        return -TT_E_NOMEM;
    }
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct claim_ctx cx = {b, now};
    enum tt_qs qs = tt_store_txn(c, claim_txn, &cx);
    tt_store_release(c);
    int rc = qs < 0 ? -TT_E_STORE : 0;
    *claimed = b->n;
    double started = tt_mono_s();
    int delivered = 0, retried = 0, failed = 0;
    for (int i = 0; rc == 0 && i < b->n; i++) {
        /* a claim must outlive the send: stop well before it lapses (the rest is re-claimed) */
        if (tt_mono_s() - started > CLAIM_S - 2 * cfg.timeout_s - 5)
            break;
        const struct tt_outbox_row *row = &b->rows[i];
        struct tt__outbox_plain p = {0};
        char why[160] = "";
        int sent = -1, permanent = 0;
        tt_time at = tt_now(&app->clock);
        int orc = tt__outbox_open(app->master, row, &p);
        if (orc == 0) {
            sent = tt__outbox_send(s, row, &p, at, why, sizeof why);
        } else {
            snprintf(why, sizeof why, "%s", orc == -TT_E_NOMEM ? "out of memory" : "unreadable");
            permanent = orc != -TT_E_NOMEM; /* another master key: no retry can open it */
        }
        tt__outbox_plain_free(&p);
        struct finish_ctx fx = {.row = row};
        fx.res.attempts = row->attempts + 1;
        fx.res.at = tt_now(&app->clock);
        fx.res.last_error = why;
        if (sent == 0) {
            fx.res.status = TT_OUTBOX_DELIVERED;
            fx.res.next_at = fx.res.at;
        } else if (permanent || fx.res.attempts >= cfg.max_attempts) {
            fx.res.status = TT_OUTBOX_FAILED;
            fx.res.next_at = 0;
        } else {
            fx.res.status = TT_OUTBOX_PENDING;
            fx.res.next_at = fx.res.at + tt__outbox_backoff(&cfg, fx.res.attempts);
        }
        c = tt_store_acquire(app->store);
        qs = tt_store_txn(c, finish_txn, &fx);
        tt_store_release(c);
        if (qs < 0) {
            rc = -TT_E_STORE;
            break;
        }
        char labels[96];
        const char *result = sent == 0                           ? "delivered"
                             : fx.res.status == TT_OUTBOX_FAILED ? "failed"
                                                                 : "retry";
        snprintf(labels, sizeof labels, "channel=\"%s\",result=\"%s\"", channel_name(row->channel),
                 result);
        tt_metrics_counter_add("tutela_outbox_attempts_total", labels, 1);
        if (sent == 0)
            delivered++;
        else if (fx.res.status == TT_OUTBOX_FAILED)
            failed++;
        else
            retried++;
        if (sent != 0)
            tt_log(fx.res.status == TT_OUTBOX_FAILED ? TT_LOG_WARN : TT_LOG_INFO,
                   "outbox attempt failed", TT_LOG_S("message", row->id),
                   TT_LOG_S("tenant", row->tenant_id), TT_LOG_S("kind", row->kind),
                   TT_LOG_S("channel", channel_name(row->channel)),
                   TT_LOG_I("attempts", fx.res.attempts), TT_LOG_S("reason", why),
                   TT_LOG_B("gave_up", fx.res.status == TT_OUTBOX_FAILED),
                   TT_LOG_B("claim_lost", fx.lost));
    }
    if (b->n > 0)
        tt_log(TT_LOG_INFO, "outbox pass", TT_LOG_I("claimed", b->n),
               TT_LOG_I("delivered", delivered), TT_LOG_I("retry", retried),
               TT_LOG_I("failed", failed), TT_LOG_S("node", tt_jobs_node_id()));
    tt_jobs_note(delivered + retried + failed);
    for (int i = 0; i < BATCH; i++)
        free(b->payloads[i]);
    free(b);
    tt__outbox_sender_free(s);
    return rc;
}

struct prune_ctx {
    tt_time before;
    int64_t n;
};

static enum tt_qs prune_txn(struct tt_store_conn *c, void *cls)
{
    struct prune_ctx *p = cls;
    p->n = 0;
    enum tt_qs qs = tt_store_ops_of(c)->jobs->outbox_prune(c, p->before, PRUNE_BATCH, &p->n);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_job_outbox_prune(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    long keep = KEEP_DEFAULT_S;
    const char *v = getenv("TUTELA_OUTBOX_KEEP_S");
    if (v && *v) {
        char *end = NULL;
        long n = strtol(v, &end, 10);
        if (*end == '\0' && n >= 0)
            keep = n;
    }
    struct prune_ctx p = {.before = now - keep};
    struct tt_store_conn *c = tt_store_acquire(app->store);
    enum tt_qs qs = TT_QS_ONE;
    for (int round = 0; round < 20 && qs >= 0; round++) {
        qs = tt_store_txn(c, prune_txn, &p);
        tt_jobs_note(p.n);
        if (p.n < PRUNE_BATCH)
            break;
    }
    tt_store_release(c);
    return qs < 0 ? -TT_E_STORE : 0;
}
