/* SPDX-License-Identifier: Apache-2.0 */
/* jobs_outbox.c — the outbox over the API (admin, tenant-scoped, issue 9): queue a message
 * (email, signed webhook, SMS), list deliveries by status (ids, kind, channel, status, attempts,
 * times — never an address or a body), and retry a message given up. Each change is audited in
 * the same transaction; the message is sent by the outbox.deliver job after the commit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../jobs/outbox.h"
#include "../store/jobs_store.h"
#include "app.h"
#include "audit.h"
#include "common.h"
#include "handlers_jobs.h"
#include "spec.h"

static const char *channel_name(int ch)
{
    return ch == TT_OUTBOX_EMAIL ? "email" : ch == TT_OUTBOX_WEBHOOK ? "webhook" : "sms";
}

static const char *status_name(int st)
{
    return st == TT_OUTBOX_DELIVERED ? "delivered" : st == TT_OUTBOX_FAILED ? "failed" : "pending";
}

static int status_parse(const char *s)
{
    if (strcmp(s, "pending") == 0)
        return TT_OUTBOX_PENDING;
    if (strcmp(s, "delivered") == 0)
        return TT_OUTBOX_DELIVERED;
    if (strcmp(s, "failed") == 0)
        return TT_OUTBOX_FAILED;
    return -1;
}

static json_t *row_json(const struct tt_outbox_row *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i}", "id", r->id, "kind", r->kind, "channel",
                          channel_name(r->channel), "status", status_name(r->status), "attempts",
                          r->attempts);
    if (!o)
        return NULL;
    json_object_set_new(o, "ref", r->ref[0] ? json_string(r->ref) : json_null());
    json_object_set_new(o, "created_at", tt__api_time(r->created_at));
    json_object_set_new(o, "next_attempt_at",
                        r->status == TT_OUTBOX_PENDING ? tt__api_time(r->next_at) : json_null());
    json_object_set_new(o, "delivered_at", tt__api_time(r->delivered_at));
    json_object_set_new(o, "updated_at", tt__api_time(r->updated_at));
    json_object_set_new(o, "last_error",
                        r->last_error[0] ? json_string(r->last_error) : json_null());
    json_object_set_new(o, "retryable",
                        json_boolean(r->status != TT_OUTBOX_DELIVERED && r->payload_enc));
    return o;
}

/* ---- POST /v1/outbox ---- */

static int channel_parse(const char *s)
{
    if (strcmp(s, "email") == 0)
        return TT_OUTBOX_EMAIL;
    if (strcmp(s, "webhook") == 0)
        return TT_OUTBOX_WEBHOOK;
    if (strcmp(s, "sms") == 0)
        return TT_OUTBOX_SMS;
    return -1;
}

static int email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || !at[1] || strchr(at + 1, '@'))
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == 0x7f)
            return 0;
    return 1;
}

static int url_ok(const char *s)
{
    if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return 0;
    return 1;
}

static int e164_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 16 || s[0] != '+' || s[1] == '0')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

struct queue_ctx {
    struct tt_outbox_msg msg;
    const struct tt_master *master;
    tt_time now;
    const char *actor;
    char id[TT_ID_MAX];
};

static enum tt_qs queue_txn(struct tt_store_conn *c, void *cls)
{
    struct queue_ctx *x = cls;
    enum tt_qs qs = tt_outbox_enqueue(c, x->master, x->now, &x->msg, x->id);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    json_t *detail =
        json_pack("{s:s, s:s}", "channel", channel_name((int)x->msg.channel), "kind", x->msg.kind);
    if (!detail)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->msg.tenant_id, x->now, x->actor, "outbox.queue", x->id, detail);
    json_decref(detail);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_api_outbox_queue(struct tt_req *req, struct tt_resp *resp)
{
    const char *channel = NULL, *to = NULL, *subject = NULL, *body = NULL, *headers = NULL,
               *secret = NULL, *kind = NULL, *ref = NULL;
    struct tt_spec spec[] = {
        tt_spec_string_max("channel", &channel, 16, 1),
        tt_spec_string_max("to", &to, TT_OUTBOX_TO_MAX, 1),
        tt_spec_string_max("subject", &subject, TT_OUTBOX_SUBJECT_MAX, 0),
        tt_spec_string_max("body", &body, TT_OUTBOX_BODY_MAX, 1),
        tt_spec_string_max("headers", &headers, TT_OUTBOX_HEADERS_MAX, 0),
        tt_spec_string_max("secret", &secret, TT_OUTBOX_SECRET_MAX, 0),
        tt_spec_key("kind", &kind, 0),
        tt_spec_string_max("ref", &ref, TT_ID_MAX - 1, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    int ch = channel_parse(channel);
    if (ch < 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "channel",
                          "'channel' must be \"email\", \"webhook\" or \"sms\"");
    if ((ch == TT_OUTBOX_EMAIL && !email_ok(to)) || (ch == TT_OUTBOX_WEBHOOK && !url_ok(to)) ||
        (ch == TT_OUTBOX_SMS && !e164_ok(to)))
        return tt_problem(resp, TT_E_BAD_FIELD, "to",
                          "'to' must be an email address, an http(s) URL or an E.164 number "
                          "matching the channel");
    if (subject && strpbrk(subject, "\r\n"))
        return tt_problem(resp, TT_E_BAD_FIELD, "subject", "'subject' must be one line");
    if (ch != TT_OUTBOX_EMAIL && (subject || headers))
        return tt_problem(resp, TT_E_BAD_FIELD, subject ? "subject" : "headers",
                          "'%s' applies to email only", subject ? "subject" : "headers");
    if (headers && !tt_outbox_headers_ok(headers))
        return tt_problem(resp, TT_E_BAD_FIELD, "headers",
                          "'headers' must be \"Name: value\\r\\n\" lines");
    if (secret &&
        (ch != TT_OUTBOX_WEBHOOK || strncmp(secret, "whsec_", 6) != 0 || strlen(secret) < 6 + 24))
        return tt_problem(resp, TT_E_BAD_FIELD, "secret",
                          "'secret' is a webhook signing secret: \"whsec_\" and base64");
    if (ch == TT_OUTBOX_WEBHOOK) {
        json_t *j = json_loads(body, 0, NULL);
        int ok = j != NULL;
        json_decref(j);
        if (!ok)
            return tt_problem(resp, TT_E_BAD_FIELD, "body", "a webhook 'body' must be JSON");
    }
    struct queue_ctx x = {
        .master = req->app->master, .now = tt_now(&req->app->clock), .actor = req->auth.key_id};
    tt__api_copy(x.msg.tenant_id, sizeof x.msg.tenant_id, req->auth.tenant_id);
    tt__api_copy(x.msg.kind, sizeof x.msg.kind, kind ? kind : "manual");
    tt__api_copy(x.msg.ref, sizeof x.msg.ref, ref ? ref : "");
    x.msg.channel = (enum tt_outbox_channel)ch;
    x.msg.to = to;
    x.msg.subject = subject;
    x.msg.body = body;
    x.msg.headers = headers;
    x.msg.secret = secret;
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_txn(c, queue_txn, &x);
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", x.id, "kind", x.msg.kind, "channel",
                          channel, "status", "pending");
    if (!o)
        return tt__api_nomem(resp);
    snprintf(resp->location, sizeof resp->location, "/v1/outbox?status=pending");
    return tt_reply(resp, 202, o);
}

/* ---- GET /v1/outbox ---- */

struct list_ctx {
    json_t *items;
    char last[TT_ID_MAX];
    int n, failed;
};

static int list_cb(void *cls, const struct tt_outbox_row *r)
{
    struct list_ctx *l = cls;
    json_t *o = row_json(r);
    if (!o || json_array_append_new(l->items, o) < 0) {
        l->failed = 1;
        return 1;
    }
    tt__api_copy(l->last, sizeof l->last, r->id);
    l->n++;
    return 0;
}

int tt_api_outbox_list(struct tt_req *req, struct tt_resp *resp)
{
    int status = -1;
    const char *s = tt_req_query(req, "status");
    if (s && (status = status_parse(s)) < 0)
        return tt_problem(resp, TT_E_BAD_PARAM, "status",
                          "'status' must be pending, delivered or failed");
    struct tt_page page;
    int rc = tt__api_page(req, &page, resp);
    if (rc < 0)
        return rc;
    struct list_ctx l = {.items = json_array()};
    if (!l.items)
        return tt__api_nomem(resp);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs =
        tt_store_ops_of(c)->jobs->outbox_list(c, req->auth.tenant_id, status, &page, list_cb, &l);
    tt_store_release(c);
    if (qs < 0 || l.failed) {
        json_decref(l.items);
        return qs < 0 ? tt__api_store_err(resp, qs) : tt__api_nomem(resp);
    }
    json_t *body = json_pack("{s:o}", "items", l.items);
    if (!body)
        return tt__api_nomem(resp);
    json_object_set_new(body, "next_after", l.n == page.limit ? json_string(l.last) : json_null());
    return tt_reply(resp, 200, body);
}

/* ---- POST /v1/outbox/{id}/retry ---- */

struct retry_ctx {
    const char *tenant_id, *id, *actor;
    tt_time now;
    int found, retried;
    struct tt_outbox_row row;
};

static int keep_row(void *cls, const struct tt_outbox_row *r)
{
    struct retry_ctx *x = cls;
    x->row = *r;
    x->row.payload_enc = NULL; /* only whether there is one matters here */
    x->row.payload_enc_len = r->payload_enc ? 1 : 0;
    return 0;
}

static enum tt_qs retry_txn(struct tt_store_conn *c, void *cls)
{
    struct retry_ctx *x = cls;
    const struct tt_jobs_store_ops *jb = tt_store_ops_of(c)->jobs;
    x->found = x->retried = 0;
    enum tt_qs qs = jb->outbox_get(c, x->tenant_id, x->id, keep_row, x);
    if (qs <= 0)
        return qs;
    x->found = 1;
    qs = jb->outbox_retry(c, x->tenant_id, x->id, x->now);
    if (qs <= 0)
        return qs;
    x->retried = 1;
    json_t *detail = json_pack("{s:s, s:i}", "previous_status", status_name(x->row.status),
                               "attempts", x->row.attempts);
    if (!detail)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->tenant_id, x->now, x->actor, "outbox.retry", x->id, detail);
    json_decref(detail);
    if (qs < 0)
        return qs;
    x->row.status = TT_OUTBOX_PENDING;
    x->row.attempts = 0;
    x->row.next_at = x->row.updated_at = x->now;
    x->row.last_error[0] = '\0';
    return TT_QS_ONE;
}

int tt_api_outbox_retry(struct tt_req *req, struct tt_resp *resp)
{
    const char *id = tt_req_param(req, "id");
    if (!id || !tt__api_id_ok(id, "msg_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such message in this tenant");
    struct retry_ctx x = {.tenant_id = req->auth.tenant_id,
                          .id = id,
                          .actor = req->auth.key_id,
                          .now = tt_now(&req->app->clock)};
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_txn(c, retry_txn, &x);
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (!x.found)
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such message in this tenant");
    if (!x.retried)
        return tt_problem(resp, TT_E_CONFLICT, "id",
                          x.row.status == TT_OUTBOX_DELIVERED
                              ? "the message was delivered already"
                              : "the message's content was wiped; it cannot be sent again");
    x.row.payload_enc = (const uint8_t *)"";
    json_t *o = row_json(&x.row);
    return o ? tt_reply(resp, 200, o) : tt__api_nomem(resp);
}
