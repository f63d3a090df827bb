/* SPDX-License-Identifier: Apache-2.0 */
/* requests.c — rights requests over HTTP (S8.0–S8.5, S8.1b, S1.4; issue 5): register one for a
 * subject found by id or by identifiers, list the queue by due date, read one with its timeline,
 * verify it (staff by documented means, or the controller tenant in processor mode), extend it
 * with a notice before the deadline, complete or reject it with grounds. What a verified request
 * does (export, erasure, restriction, objection) starts at verification. Nothing personal goes
 * into a reply, a log line or an audit detail; the staff's original letter is sealed. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/deadline.h"
#include "../core/error.h"
#include "../http/i18n.h"
#include "../jobs/erasure.h"
#include "../jobs/feed.h"
#include "app.h"
#include "audit.h"
#include "common.h"
#include "consent_int.h"
#include "handlers_requests.h"
#include "hooks.h"
#include "requests_int.h"
#include "spec.h"

#define ORIGINAL_MAX (256u * 1024u) /* the letter or email as text */
#define IDENTS_MAX 4
#define SOON_DAYS 7

static json_t *request_json(const struct tt_request *r, tt_time now)
{
    json_t *outcome = json_loads(r->outcome[0] ? r->outcome : "{}", 0, NULL);
    const char *flag = NULL;
    if (!tt_rq_state_terminal(r->state)) {
        enum tt_deadline_flag f = tt_deadline_flag(r->due_at, now, SOON_DAYS);
        flag = f == TT_DUE_OVERDUE ? "overdue" : f == TT_DUE_SOON ? "due_soon" : NULL;
    }
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s*, s:s, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:s*, s:o, "
        "s:o, s:b, s:s*}",
        "id", r->id, "subject", r->subject_id, "type", tt_rq_type_name(r->type), "channel",
        tt_rq_channel_name(r->channel), "state", tt_rq_state_name(r->state), "purpose",
        r->purpose[0] ? r->purpose : NULL, "deadline_rule", r->rule, "received_at",
        tt__api_time(r->received_at), "due_at", tt__api_time(r->due_at), "original_due_at",
        tt__api_time(r->original_due_at), "max_due_at", tt__api_time(r->max_due_at), "extended",
        r->due_at != r->original_due_at, "notice_at", tt__api_time(r->notice_at), "verified_at",
        tt__api_time(r->verified_at), "verify_method",
        r->verify_method[0] ? r->verify_method : NULL, "completed_at",
        tt__api_time(r->completed_at), "outcome", outcome ? outcome : json_object(), "has_original",
        r->attachment_enc != NULL, "flag", flag);
    return o;
}

/* Loads request id of the caller's tenant into *r (blobs dropped). 404 otherwise. */
struct got {
    struct tt_request r;
    int found;
};

static int got_cb(void *cls, const struct tt_request *r)
{
    struct got *g = cls;
    g->r = *r;
    g->r.attachment_enc = r->attachment_enc ? (const uint8_t *)"" : NULL; /* presence only */
    g->r.attachment_enc_len = 0;
    g->r.confirmation_enc = NULL;
    g->r.confirmation_enc_len = 0;
    g->found = 1;
    return 0;
}

static enum tt_qs load(struct tt_store_conn *c, const char *tenant_id, const char *id,
                       struct got *g)
{
    g->found = 0;
    if (!tt__api_id_ok(id, "req_"))
        return TT_QS_NONE;
    return tt_store_ops_of(c)->requests->get(c, tenant_id, id, got_cb, g);
}

/* Blobs are never rewritten by handlers: keep the stored ones on update. */
static void keep_blobs(struct tt_request *r)
{
    r->attachment_enc = NULL;
    r->attachment_enc_len = 0;
}

static int load_or_404(struct tt_store_conn *c, struct tt_req *req, struct got *g,
                       struct tt_resp *resp)
{
    enum tt_qs qs = load(c, req->auth.tenant_id, tt_req_param(req, "id"), g);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (!g->found)
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such request in this tenant");
    return 0;
}

/* ---- create ---- */

struct create_ctx {
    struct tt_request r;
    const char *original;
    uint8_t *sealed;
    struct tt_app *app;
};

static enum tt_qs create_txn(struct tt_store_conn *c, void *cls)
{
    struct create_ctx *x = cls;
    struct tt_request *r = &x->r;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    if (x->original) {
        uint8_t key[32];
        enum tt_qs qs = tt__rq_class_key(x->app, c, r->tenant_id, r->subject_id,
                                         TT_KEYCLASS_REQUEST, r->received_at, key);
        if (qs <= 0)
            return qs == TT_QS_NONE ? TT_QS_HARD : qs;
        size_t n = strlen(x->original);
        char ad[TT_VALUE_AD_MAX];
        tt__api_value_ad(r->tenant_id, r->subject_id, r->id, ad);
        free(x->sealed);
        x->sealed = malloc(n + TT_SEAL_OVERHEAD);
        int rc =
            x->sealed ? tt_vault_seal(key, (const uint8_t *)x->original, n, ad, x->sealed) : -1;
        sodium_memzero(key, sizeof key);
        if (rc < 0)
            return TT_QS_HARD;
        r->attachment_enc = x->sealed;
        r->attachment_enc_len = n + TT_SEAL_OVERHEAD;
    }
    enum tt_qs qs = ops->requests->put(c, r);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    return tt__rq_note(c, r, "created", r->created_by, NULL, r->updated_at);
}

/* Finds the one subject the identifiers name: 404 when none does, 409 when they name two. */
static int resolve_identities(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                              const json_t *idents, char subject_id[TT_ID_MAX],
                              struct tt_resp *resp)
{
    subject_id[0] = '\0';
    for (size_t i = 0; i < json_array_size(idents); i++) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "identities/%zu/", i);
        struct tt__api_identity id;
        int rc = tt__api_identity_parse(json_array_get(idents, i), prefix, &id, resp);
        if (rc < 0)
            return rc;
        char blind[TT_HASH_HEX];
        tt_vault_blind(app->master, tenant_id, id.i.type, id.norm, blind);
        sodium_memzero(id.norm, sizeof id.norm);
        struct tt_identity found;
        enum tt_qs qs = tt_store_ops_of(c)->identity_find(c, tenant_id, id.i.type, blind, &found);
        if (qs < 0)
            return tt__api_store_err(resp, qs);
        char field[48];
        snprintf(field, sizeof field, "identities/%zu/value", i);
        if (qs == TT_QS_NONE)
            return tt_problem(resp, TT_E_NOT_FOUND, field, "no subject of this tenant has it");
        if (subject_id[0] && strcmp(subject_id, found.subject_id) != 0)
            return tt_problem(resp, TT_E_AMBIGUOUS_SUBJECT, field,
                              "the identifiers belong to different subjects");
        tt__api_copy(subject_id, TT_ID_MAX, found.subject_id);
    }
    return 0;
}

int tt_api_request_create(struct tt_req *req, struct tt_resp *resp)
{
    if (tt__rq_backend_ok(req->app, resp) < 0)
        return -TT_E_UNAVAILABLE;
    struct tt_app *app = req->app;
    const char *type = NULL, *subject = NULL, *channel = NULL, *purpose = NULL;
    const char *original = NULL, *received = NULL;
    const json_t *idents = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("type", &type, 1),
        tt_spec_key("subject", &subject, 0),
        tt_spec_array("identities", &idents, IDENTS_MAX, 0),
        tt_spec_key("channel", &channel, 0),
        tt_spec_key("purpose", &purpose, 0),
        tt_spec_string_max("original", &original, ORIGINAL_MAX, 0),
        tt_spec_string_max("received_at", &received, 40, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    struct create_ctx *x = calloc(1, sizeof *x);
    if (!x)
        return tt__api_nomem(resp);
    struct tt_request *r = &x->r;
    x->app = app;
    tt_time now = tt_now(&app->clock);
    if (tt_rq_type_parse(type, &r->type) < 0)
        rc = tt_problem(resp, TT_E_BAD_FIELD, "type",
                        "'type' must be access, rectification, erasure, portability, "
                        "restriction, objection or consent_withdrawal");
    else if (!subject == !json_array_size(idents))
        rc = tt_problem(resp, TT_E_MISSING_FIELD, subject ? "identities" : "subject",
                        "give either 'subject' or 'identities', not both");
    r->channel = req->auth.tenant_kind == TT_TENANT_CUSTOMER ? TT_RQ_API : TT_RQ_DASHBOARD;
    if (rc == 0 && channel && tt_rq_channel_parse(channel, &r->channel) < 0)
        rc = tt_problem(resp, TT_E_BAD_FIELD, "channel",
                        "'channel' must be dashboard, api or staff");
    if (rc == 0 && r->channel == TT_RQ_STAFF && req->auth.role < TT_ROLE_SUPPORT)
        rc = tt_problem(resp, TT_E_FORBIDDEN, "channel",
                        "only staff (support role or above) register letters and emails");
    if (rc == 0 && (original || received) && r->channel != TT_RQ_STAFF)
        rc = tt_problem(resp, TT_E_BAD_FIELD, original ? "original" : "received_at",
                        "only a staff registration carries the original and its receipt date");
    if (rc == 0 && r->channel == TT_RQ_STAFF && !original)
        rc = tt_problem(resp, TT_E_MISSING_FIELD, "original",
                        "a staff registration attaches the original letter or email (S8.1b)");
    int needs_purpose = r->type == TT_RQ_OBJECTION || r->type == TT_RQ_CONSENT_WITHDRAWAL;
    struct tt_policy_ref *pref = tt_app_policy_acquire(app);
    if (rc == 0 && needs_purpose && !purpose)
        rc = tt_problem(resp, TT_E_MISSING_FIELD, "purpose",
                        "an objection or a withdrawal names its purpose");
    if (rc == 0 && purpose && !needs_purpose)
        rc = tt_problem(resp, TT_E_BAD_FIELD, "purpose",
                        "only objections and withdrawals name a purpose");
    if (rc == 0 && purpose && !tt_policy_purpose(pref->policy, purpose))
        rc = tt_problem(resp, TT_E_UNKNOWN_PURPOSE, "purpose", "not in the policy");
    r->received_at = now;
    if (rc == 0 && received &&
        (tt_time_parse(received, &r->received_at) < 0 || r->received_at <= 0 ||
         r->received_at > now + TT_CLOCK_SKEW_S))
        rc = tt_problem(resp, TT_E_BAD_FIELD, "received_at",
                        "'received_at' must be an RFC 3339 time, not in the future");
    struct tt_store_conn *c = rc == 0 ? tt_store_acquire(app->store) : NULL;
    char sid[TT_ID_MAX] = "";
    if (rc == 0 && subject)
        tt__api_copy(sid, sizeof sid, subject);
    else if (rc == 0)
        rc = resolve_identities(app, c, req->auth.tenant_id, idents, sid, resp);
    struct tt_subject s;
    if (rc == 0)
        rc = tt__api_subject_load(c, req->auth.tenant_id, sid, subject ? "subject" : "identities",
                                  &s, resp);
    if (rc == 0) {
        const struct tt_deadline *rule = tt_policy_deadline_for(pref->policy, s.jurisdiction);
        struct tt_rq_deadline d;
        if (!rule || tt_deadline_compute(rule, r->received_at, 0, &d) < 0)
            rc = tt_problem(resp, TT_E_INTERNAL, "", "the policy has no deadline rule");
        else {
            tt__api_copy(r->rule, sizeof r->rule, rule->key);
            r->due_at = r->original_due_at = d.due_at;
            r->max_due_at = d.max_due_at;
        }
    }
    tt_app_policy_release(pref);
    if (rc == 0) {
        tt_id_new("req_", r->id);
        tt__api_copy(r->tenant_id, sizeof r->tenant_id, s.tenant_id);
        tt__api_copy(r->subject_id, sizeof r->subject_id, s.id);
        tt__api_copy(r->purpose, sizeof r->purpose, purpose ? purpose : "");
        tt__api_copy(r->created_by, sizeof r->created_by, req->auth.key_id);
        tt__api_copy(r->outcome, sizeof r->outcome, "{}");
        r->state = TT_RQS_RECEIVED;
        r->updated_at = now;
        x->original = original;
        enum tt_qs qs = tt_store_txn(c, create_txn, x);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    tt_store_release(c);
    json_t *body = rc == 0 ? request_json(r, now) : NULL;
    free(x->sealed);
    free(x);
    if (rc < 0)
        return rc;
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->location, sizeof resp->location, "/v1/requests/%s",
             json_string_value(json_object_get(body, "id")));
    return tt_reply(resp, 201, body);
}

/* ---- read ---- */

struct list_ctx {
    json_t *items;
    tt_time now;
    struct tt_request last;
    int n, failed;
};

static int list_cb(void *cls, const struct tt_request *r)
{
    struct list_ctx *l = cls;
    json_t *o = request_json(r, l->now);
    if (!o || json_array_append_new(l->items, o) < 0) {
        l->failed = 1;
        return 1;
    }
    l->last = *r;
    l->n++;
    return 0;
}

int tt_api_request_list(struct tt_req *req, struct tt_resp *resp)
{
    if (tt__rq_backend_ok(req->app, resp) < 0)
        return -TT_E_UNAVAILABLE;
    struct tt_request_filter f = {.state = -1, .limit = TT_PAGE_DEFAULT};
    const char *status = tt_req_query(req, "status"), *due = tt_req_query(req, "due_before");
    const char *after = tt_req_query(req, "after"), *limit = tt_req_query(req, "limit");
    enum tt_rq_state st;
    if (status && *status) {
        if (tt_rq_state_parse(status, &st) < 0)
            return tt_problem(resp, TT_E_BAD_PARAM, "status", "'status' is not a request state");
        f.state = (int)st;
    }
    if (due && (tt_time_parse(due, &f.due_before) < 0 || f.due_before <= 0))
        return tt_problem(resp, TT_E_BAD_PARAM, "due_before",
                          "'due_before' must be an RFC 3339 time or a date");
    if (limit) {
        char *end = NULL;
        long v = strtol(limit, &end, 10);
        if (!*limit || *end || v < 1 || v > TT_PAGE_MAX)
            return tt_problem(resp, TT_E_BAD_PARAM, "limit", "'limit' must be 1..1000");
        f.limit = (int)v;
    }
    if (after) { /* "<due_at>.<request id>" as returned in next_after */
        char *end = NULL;
        long long v = strtoll(after, &end, 10);
        if (end == after || *end != '.' || !tt__api_id_ok(end + 1, "req_"))
            return tt_problem(resp, TT_E_BAD_PARAM, "after", "'after' is not a cursor");
        f.after_due = (tt_time)v;
        tt__api_copy(f.after_id, sizeof f.after_id, end + 1);
    } else {
        f.after_due = INT64_MIN;
    }
    struct list_ctx l = {.items = json_array(), .now = tt_now(&req->app->clock)};
    if (!l.items)
        return tt__api_nomem(resp);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_ops_of(c)->requests->list(c, req->auth.tenant_id, &f, list_cb, &l);
    tt_store_release(c);
    if (qs < 0 || l.failed) {
        json_decref(l.items);
        return qs < 0 ? tt__api_store_err(resp, qs) : tt__api_nomem(resp);
    }
    char cursor[TT_ID_MAX + 24];
    snprintf(cursor, sizeof cursor, "%lld.%s", (long long)l.last.due_at, l.last.id);
    json_t *body = json_pack("{s:o, s:o}", "items", l.items, "next_after",
                             l.n == f.limit ? json_string(cursor) : json_null());
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

static int timeline_cb(void *cls, const struct tt_request_event *e)
{
    json_t *o = json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:s*}", "seq", (json_int_t)e->seq, "at",
                          tt__api_time(e->at), "actor", e->actor, "event", e->event, "from",
                          tt_rq_state_name(e->from_state), "to", tt_rq_state_name(e->to_state),
                          "reason", e->reason[0] ? e->reason : NULL);
    return !o || json_array_append_new(cls, o) < 0;
}

static int reply_request(struct tt_store_conn *c, const struct tt_request *r, tt_time now,
                         json_t *extra, int status, struct tt_resp *resp)
{
    json_t *tl = json_array(), *body = request_json(r, now);
    enum tt_qs qs = tl && body ? tt_store_ops_of(c)->requests->event_list(c, r->tenant_id, r->id,
                                                                          timeline_cb, tl)
                               : TT_QS_HARD;
    if (qs < 0 || !body) {
        json_decref(tl);
        json_decref(body);
        json_decref(extra);
        return qs < 0 && body ? tt__api_store_err(resp, qs) : tt__api_nomem(resp);
    }
    json_object_set_new(body, "timeline", tl);
    if (extra)
        json_object_update(body, extra);
    json_decref(extra);
    return tt_reply(resp, status, body);
}

int tt_api_request_get(struct tt_req *req, struct tt_resp *resp)
{
    if (tt__rq_backend_ok(req->app, resp) < 0)
        return -TT_E_UNAVAILABLE;
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    struct got g;
    int rc = load_or_404(c, req, &g, resp);
    if (rc == 0)
        rc = reply_request(c, &g.r, tt_now(&req->app->clock), NULL, 200, resp);
    tt_store_release(c);
    return rc;
}

/* ---- changes ---- */

static int state_conflict(struct tt_resp *resp, const struct tt_request *r, const char *what)
{
    return tt_problem(resp, TT_E_INVALID_STATE, "state", "a %s request cannot be %s",
                      tt_rq_state_name(r->state), what);
}

struct act_ctx {
    struct tt_app *app;
    struct tt_request r;
    enum tt_rq_event ev;
    const char *actor, *reason;
    tt_time now;
    int conflict;        /* the event was not allowed in the state read inside the txn */
    const char *code;    /* verification by one-time code (requests_code.c) */
    int code_err;        /* the code was refused: its tt_err (the failed try is committed) */
    int verify;          /* verification then start */
    int restrict_set;    /* 1 set, -1 lift, 0 leave (S8.3) */
    int objection_set;   /* same, for r.purpose */
    struct tt_subject s; /* when the subject changed: for the hook */
    struct tt_purpose_state ps;
    int subject_changed, purpose_changed;
};

static int keep_consent(void *cls, const struct tt_purpose_state *cur)
{
    struct tt_purpose_state *ps = cls;
    if (strcmp(cur->purpose, ps->purpose) == 0)
        ps->consent = cur->consent;
    return 0;
}

static enum tt_qs apply_effects(struct tt_store_conn *c, struct act_ctx *x)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    x->subject_changed = x->purpose_changed = 0;
    if (x->restrict_set) {
        enum tt_qs qs = ops->subject_get(c, x->r.tenant_id, x->r.subject_id, &x->s);
        if (qs <= 0)
            return qs == TT_QS_NONE ? TT_QS_HARD : qs;
        int want = x->restrict_set > 0;
        if (x->s.restricted != want && x->s.erased_at == 0) {
            x->s.restricted = want; /* S8.3: applied to decisions at once while assessed */
            x->s.updated_at = x->now;
            qs = ops->subject_update(c, &x->s);
            if (qs <= 0)
                return qs == TT_QS_NONE ? TT_QS_HARD : qs;
            /* every other node's index follows through the change feed (issue 9) */
            qs = tt_feed_append(c, x->r.tenant_id, TT_FEED_SUBJECT, x->r.subject_id);
            if (qs < 0)
                return qs;
            x->subject_changed = 1;
        }
    }
    if (x->objection_set) {
        struct tt_purpose_state *ps = &x->ps;
        memset(ps, 0, sizeof *ps);
        tt__api_copy(ps->tenant_id, sizeof ps->tenant_id, x->r.tenant_id);
        tt__api_copy(ps->subject_id, sizeof ps->subject_id, x->r.subject_id);
        tt__api_copy(ps->purpose, sizeof ps->purpose, x->r.purpose);
        /* keep the consent state as it is: only the objection bit moves */
        enum tt_qs lq = ops->purpose_state_list(c, ps->tenant_id, ps->subject_id, keep_consent, ps);
        if (lq < 0)
            return lq;
        ps->objection = x->objection_set > 0;
        ps->updated_at = x->now;
        enum tt_qs qs = ops->purpose_state_put(c, ps);
        if (qs <= 0)
            return qs == TT_QS_NONE ? TT_QS_HARD : qs;
        qs = tt_feed_append(c, ps->tenant_id, TT_FEED_PURPOSE, ps->subject_id);
        if (qs < 0)
            return qs;
        x->purpose_changed = 1;
    }
    return TT_QS_ONE;
}

static enum tt_qs act_txn(struct tt_store_conn *c, void *cls)
{
    struct act_ctx *x = cls;
    struct got g;
    x->conflict = 0;
    x->code_err = 0;
    enum tt_qs qs = load(c, x->r.tenant_id, x->r.id, &g);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    struct tt_request want = x->r; /* fields the handler set (extension, method, outcome) */
    x->r = g.r;
    keep_blobs(&x->r);
    if (x->verify && x->code) {
        qs = tt__rq_code_check(x->app, c, &x->r, x->code, x->actor, x->now, &x->code_err);
        if (qs < 0 || x->code_err)
            return qs; /* a wrong try is recorded and committed; nothing else changes */
    }
    if (x->verify) {
        x->r.verified_at = x->now;
        tt__api_copy(x->r.verify_method, sizeof x->r.verify_method, want.verify_method);
        qs = tt__rq_transition(c, &x->r, TT_RQE_VERIFY, x->actor, x->reason, x->now);
        if (qs == TT_QS_ONE)
            qs = tt__rq_transition(c, &x->r, TT_RQE_START, x->actor, NULL, x->now);
    } else {
        if (x->ev == TT_RQE_EXTEND) {
            x->r.due_at = want.due_at;
            x->r.notice_at = want.notice_at;
        }
        if (want.outcome[0])
            tt__api_copy(x->r.outcome, sizeof x->r.outcome, want.outcome);
        qs = tt__rq_transition(c, &x->r, x->ev, x->actor, x->reason, x->now);
    }
    if (qs == TT_QS_NONE) {
        x->conflict = 1;
        return TT_QS_HARD;
    }
    if (qs < 0)
        return qs;
    return apply_effects(c, x);
}

static void run_hooks(struct act_ctx *x)
{
    if (x->subject_changed)
        tt_hook_subject_changed(x->app, &x->s);
    if (x->purpose_changed)
        tt_hook_purpose_state_changed(x->app, &x->ps);
}

static int run_act(struct tt_store_conn *c, struct act_ctx *x, const char *what,
                   struct tt_resp *resp)
{
    enum tt_qs qs = tt_store_txn(c, act_txn, x);
    if (x->conflict)
        return state_conflict(resp, &x->r, what);
    if (qs >= 0 && x->code_err)
        return tt_problem(resp, x->code_err, x->code_err == TT_E_INVALID_STATE ? "state" : "code",
                          x->code_err == TT_E_BAD_CODE ? "the code is wrong; %d tries left"
                                                       : "no code can verify this request now",
                          TT_RQ_CODE_ATTEMPTS - x->r.code_attempts);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    run_hooks(x);
    return 0;
}

int tt_api_request_verify(struct tt_req *req, struct tt_resp *resp)
{
    if (tt__rq_backend_ok(req->app, resp) < 0)
        return -TT_E_UNAVAILABLE;
    const char *method = NULL, *reason = NULL, *code = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("method", &method, 0),
        tt_spec_string_max("reason", &reason, TT_RQ_REASON_MAX - 1, 0),
        tt_spec_string_max("code", &code, 16, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    if (code && method && strcmp(method, "code") != 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "method", "a code verifies by method 'code'");
    if (code && !tt__rq_code_format_ok(code))
        return tt_problem(resp, TT_E_BAD_FIELD, "code", "'code' is the six digits sent");
    if (!code && !method)
        return tt_problem(resp, TT_E_MISSING_FIELD, "code", "give the code sent, or a 'method'");
    if (!code && !reason)
        return tt_problem(resp, TT_E_MISSING_FIELD, "reason", "say how the requester was verified");
    if (code)
        method = "code";
    struct tt_app *app = req->app;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct act_ctx *x = calloc(1, sizeof *x);
    struct got g;
    rc = x ? load_or_404(c, req, &g, resp) : tt__api_nomem(resp);
    if (rc == 0) {
        int staff = strcmp(method, "staff") == 0, ctl = strcmp(method, "controller") == 0;
        /* S1.4: in processor mode the customer verifies its end user; the platform never
         * contacts them. Staff verify by documented other means (S8.1b). */
        if (code)
            rc = 0; /* checked against the pending code inside the transaction */
        else if (!staff && !ctl)
            rc = tt_problem(resp, TT_E_BAD_FIELD, "method",
                            "'method' must be staff or controller (or send the code)");
        else if (ctl && g.r.channel != TT_RQ_API)
            rc = tt_problem(resp, TT_E_BAD_FIELD, "method",
                            "only the controller tenant verifies requests made over the API");
        else if (staff && req->auth.role < TT_ROLE_SUPPORT)
            rc = tt_problem(resp, TT_E_FORBIDDEN, "method", "staff verification needs staff");
    }
    if (rc == 0) {
        x->app = app;
        x->r = g.r;
        tt__api_copy(x->r.verify_method, sizeof x->r.verify_method, method);
        x->verify = 1;
        x->code = code;
        x->actor = req->auth.key_id;
        x->reason = reason;
        x->now = tt_now(&app->clock);
        if (g.r.type == TT_RQ_RESTRICTION)
            x->restrict_set = 1;
        if (g.r.type == TT_RQ_OBJECTION)
            x->objection_set = 1;
        rc = run_act(c, x, "verified", resp);
    }
    json_t *extra = NULL;
    if (rc == 0 && (x->r.type == TT_RQ_ACCESS || x->r.type == TT_RQ_PORTABILITY)) {
        char token[64], link[128];
        rc = tt__rq_export(app, c, &x->r, req->auth.key_id, x->now, token, sizeof token, resp);
        if (rc == 0) {
            snprintf(link, sizeof link, "/v1/exports/%s", token);
            sodium_memzero(token, sizeof token);
            extra = json_pack("{s:{s:s, s:o}}", "download", "url", link, "expires_at",
                              tt__api_time(x->now + TT_EXPORT_TTL_S));
            sodium_memzero(link, sizeof link);
        }
    } else if (rc == 0 && x->r.type == TT_RQ_ERASURE) {
        rc = tt_erasure_run(app, x->r.tenant_id, x->r.id, req->auth.key_id, x->now, &x->r);
        if (rc < 0)
            rc = tt_problem(resp, -rc, "", "the erasure did not finish; it resumes on its own");
    }
    if (rc == 0) {
        struct got fresh;
        enum tt_qs qs = load(c, req->auth.tenant_id, x->r.id, &fresh);
        rc = qs == TT_QS_ONE ? reply_request(c, &fresh.r, x->now, extra, 200, resp)
                             : tt__api_store_err(resp, qs < 0 ? qs : TT_QS_HARD);
        extra = NULL;
    }
    json_decref(extra);
    tt_store_release(c);
    free(x);
    return rc;
}

int tt_api_request_extend(struct tt_req *req, struct tt_resp *resp)
{
    if (tt__rq_backend_ok(req->app, resp) < 0)
        return -TT_E_UNAVAILABLE;
    const char *reason = NULL, *due = NULL, *notice = NULL;
    struct tt_spec spec[] = {
        tt_spec_string_max("reason", &reason, TT_RQ_REASON_MAX - 1, 1),
        tt_spec_string_max("notice_sent_at", &notice, 40, 1),
        tt_spec_string_max("due_at", &due, 40, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    struct tt_app *app = req->app;
    tt_time now = tt_now(&app->clock), notice_at = 0, new_due = 0;
    if (tt_time_parse(notice, &notice_at) < 0 || notice_at <= 0 ||
        notice_at > now + TT_CLOCK_SKEW_S)
        return tt_problem(resp, TT_E_BAD_FIELD, "notice_sent_at",
                          "'notice_sent_at' must be an RFC 3339 time, not in the future");
    if (due && (tt_time_parse(due, &new_due) < 0 || new_due <= 0))
        return tt_problem(resp, TT_E_BAD_FIELD, "due_at", "'due_at' must be an RFC 3339 time");
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct act_ctx *x = calloc(1, sizeof *x);
    struct got g;
    rc = x ? load_or_404(c, req, &g, resp) : tt__api_nomem(resp);
    if (rc == 0) {
        struct tt_rq_deadline d = {g.r.original_due_at, g.r.max_due_at};
        tt_time granted = 0;
        int e = tt_deadline_extend(&d, g.r.due_at != g.r.original_due_at, now, notice_at, new_due,
                                   &granted);
        if (e == -TT_E_CONFLICT)
            rc = tt_problem(resp, TT_E_INVALID_STATE, "state", "the request was already extended");
        else if (e == -TT_E_DEADLINE_PASSED)
            rc = tt_problem(resp, TT_E_DEADLINE_PASSED, now > d.due_at ? "state" : "notice_sent_at",
                            "an extension and its notice must come before the original deadline");
        else if (e < 0)
            rc = tt_problem(resp, TT_E_EXTENSION_TOO_LONG, due ? "due_at" : "deadline_rule",
                            "the rule '%s' allows no extension to that date", g.r.rule);
        else {
            x->app = app;
            x->r = g.r;
            x->r.due_at = granted;
            x->r.notice_at = notice_at;
            x->ev = TT_RQE_EXTEND;
            x->actor = req->auth.key_id;
            x->reason = reason;
            x->now = now;
            rc = run_act(c, x, "extended", resp);
        }
    }
    if (rc == 0)
        rc = reply_request(c, &x->r, now, NULL, 200, resp);
    tt_store_release(c);
    free(x);
    return rc;
}

/* Withdraws consent to r's purpose through the consent ledger: method by channel ("api" for a
 * customer acting for its end user, "dashboard" otherwise), the policy's notice version. */
static int withdraw(struct tt_app *app, struct tt_store_conn *c, const struct tt_request *r,
                    const char *actor, struct tt_resp *resp)
{
    struct tt_subject s;
    int rc = tt__api_subject_load(c, r->tenant_id, r->subject_id, "subject", &s, resp);
    if (rc < 0)
        return rc;
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    const struct tt_purpose *pu = tt_policy_purpose(ref->policy, r->purpose);
    if (!pu)
        rc = tt_problem(resp, TT_E_UNKNOWN_PURPOSE, "purpose", "no longer in the policy");
    else
        rc = tt_consent_record_subject(app, &s, pu, "purpose", r->purpose, TT_CONSENT_WITHDRAW,
                                       r->channel == TT_RQ_API ? "api" : "dashboard",
                                       ref->policy->notice_version ? ref->policy->notice_version
                                                                   : "unknown",
                                       actor, NULL, NULL, NULL, resp, NULL);
    tt_app_policy_release(ref);
    return rc;
}

static int finish(struct tt_req *req, struct tt_resp *resp, int reject)
{
    if (tt__rq_backend_ok(req->app, resp) < 0)
        return -TT_E_UNAVAILABLE;
    const char *reason = NULL, *grounds = NULL, *lang = NULL;
    int partial = 0;
    struct tt_spec spec[] = {
        tt_spec_string_max("reason", &reason, TT_RQ_REASON_MAX - 1, 1),
        reject ? tt_spec_key("grounds", &grounds, 1) : tt_spec_bool("partial", &partial, NULL, 0),
        tt_spec_key("lang", &lang, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    struct tt_app *app = req->app;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct act_ctx *x = calloc(1, sizeof *x);
    struct got g;
    rc = x ? load_or_404(c, req, &g, resp) : tt__api_nomem(resp);
    int li = g.r.type == TT_RQ_RESTRICTION || g.r.type == TT_RQ_OBJECTION;
    static const char *const all_grounds[] = {
        "compelling_grounds", "legal_claim", "manifestly_unfounded", "identity_not_verified", NULL};
    if (rc == 0 && reject) {
        int ok = 0;
        for (size_t i = 0; all_grounds[i]; i++)
            ok |= strcmp(all_grounds[i], grounds) == 0;
        /* S8.3: refusing an objection or restriction needs compelling grounds or a claim */
        if (!ok || (li && g.r.verified_at && strcmp(grounds, "compelling_grounds") != 0 &&
                    strcmp(grounds, "legal_claim") != 0))
            rc = tt_problem(resp, TT_E_BAD_FIELD, "grounds",
                            li ? "rejecting an objection or restriction needs compelling_grounds "
                                 "or legal_claim (S8.3)"
                               : "'grounds' must be compelling_grounds, legal_claim, "
                                 "manifestly_unfounded or identity_not_verified");
    }
    if (rc == 0 && !reject &&
        (g.r.type == TT_RQ_ERASURE || g.r.type == TT_RQ_ACCESS || g.r.type == TT_RQ_PORTABILITY))
        rc =
            tt_problem(resp, TT_E_INVALID_STATE, "type",
                       "a %s request completes by itself once verified", tt_rq_type_name(g.r.type));
    char lg[TT_I18N_LANG_MAX];
    tt_i18n_pick(lang, tt_req_header(req, "Accept-Language"), lg);
    if (rc == 0) {
        x->app = app;
        x->r = g.r;
        x->ev = reject ? TT_RQE_REJECT : partial ? TT_RQE_PARTIAL : TT_RQE_COMPLETE;
        x->actor = req->auth.key_id;
        x->reason = reason;
        x->now = tt_now(&app->clock);
        if (reject) {
            json_t *o = json_pack("{s:s, s:s}", "grounds", grounds, "complaint",
                                  li ? "requests.complaint" : "requests.complaint.general");
            char *txt = o ? json_dumps(o, JSON_COMPACT) : NULL;
            json_decref(o);
            if (!txt || strlen(txt) >= sizeof x->r.outcome) {
                free(txt);
                rc = tt__api_nomem(resp);
            } else {
                tt__api_copy(x->r.outcome, sizeof x->r.outcome, txt);
                free(txt);
            }
            if (g.r.type == TT_RQ_RESTRICTION && g.r.verified_at)
                x->restrict_set = -1; /* the restriction held while assessed is lifted */
            if (g.r.type == TT_RQ_OBJECTION && g.r.verified_at)
                x->objection_set = -1;
        }
        /* S8.2: a completed withdrawal goes through the consent ledger first (proof, state and
         * decision index), so the request is never completed without it; a withdrawal that
         * cannot complete in this state records nothing */
        if (rc == 0 && !reject && g.r.type == TT_RQ_CONSENT_WITHDRAWAL &&
            (g.r.state == TT_RQS_IN_PROGRESS || g.r.state == TT_RQS_EXTENDED))
            rc = withdraw(app, c, &g.r, req->auth.key_id, resp);
        if (rc == 0)
            rc = run_act(c, x, reject ? "rejected" : "completed", resp);
    }
    json_t *extra = NULL;
    if (rc == 0 && reject) /* S8.3: where to complain, in the requester's language */
        extra = json_pack("{s:s}", "complaint",
                          tt_i18n(lg, li ? "requests.complaint" : "requests.complaint.general"));
    if (rc == 0)
        rc = reply_request(c, &x->r, x->now, extra, 200, resp);
    tt_store_release(c);
    free(x);
    return rc;
}

int tt_api_request_complete(struct tt_req *req, struct tt_resp *resp)
{
    return finish(req, resp, 0);
}

int tt_api_request_reject(struct tt_req *req, struct tt_resp *resp)
{
    return finish(req, resp, 1);
}
