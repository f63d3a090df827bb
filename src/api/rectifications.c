/* SPDX-License-Identifier: Apache-2.0 */
/* rectifications.c — correcting a record's value with its history (S1.5, S8.0 "verify and
 * control"; issue 5): POST /v1/subjects/{id}/rectifications replaces the value and keeps the one
 * it had sealed under the subject's MAIN key with who, when, why and the rectification request
 * it answers; an identifier (idn_…) is corrected in place the same way — normalised for its
 * type, blind index and sealed value replaced together, the decision index told; GET lists that
 * history (values opened only for a stated purpose, S1.1, audited). Erasure deletes the history
 * with the key (jobs/erasure.c); the export carries it. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "audit.h"
#include "common.h"
#include "../core/ident.h"
#include "../jobs/feed.h"
#include "handlers_requests.h"
#include "hooks.h"
#include "requests_int.h"
#include "spec.h"

#define RCT_VALUE_MAX (64u * 1024u) /* as a record's value (records.c) */

struct rct_ctx {
    struct tt_app *app;
    const struct tt_subject *s;
    const uint8_t *key;
    const char *target, *value, *reason, *request, *actor;
    tt_time now;
    struct tt_rectification h;
    uint8_t *old_sealed, *new_sealed; /* malloc'd */
    size_t new_len;
    int err;            /* a tt_err to answer with (nothing was written) */
    const char *field;  /* the field that err names */
    const char *detail; /* its message */
};

static int target_cb(void *cls, const struct tt_rct_target *t)
{
    struct rct_ctx *x = cls;
    if (strcmp(t->subject_id, x->s->id) != 0 || t->value_enc_len < TT_SEAL_OVERHEAD) {
        x->err = TT_E_NOT_FOUND; /* another subject's record: as if absent */
        return 1;
    }
    tt__api_copy(x->h.field, sizeof x->h.field, t->field);
    /* the former value moves from the record's associated data to the history row's */
    size_t n = t->value_enc_len - TT_SEAL_OVERHEAD;
    uint8_t *plain = sodium_malloc(n ? n : 1);
    char ad_old[TT_VALUE_AD_MAX], ad_new[TT_VALUE_AD_MAX];
    tt__api_value_ad(x->s->tenant_id, x->s->id, x->target, ad_old);
    tt__api_value_ad(x->s->tenant_id, x->s->id, x->h.id, ad_new);
    free(x->old_sealed);
    x->old_sealed = malloc(t->value_enc_len);
    if (!plain || !x->old_sealed ||
        tt_vault_open(x->key, t->value_enc, t->value_enc_len, ad_old, plain) < 0 ||
        tt_vault_seal(x->key, plain, n, ad_new, x->old_sealed) < 0)
        x->err = TT_E_CRYPTO;
    sodium_free(plain);
    x->h.old_enc = x->old_sealed;
    x->h.old_enc_len = t->value_enc_len;
    return 0;
}

struct rq_got {
    struct tt_request r;
    int found;
};

static int rq_cb(void *cls, const struct tt_request *r)
{
    struct rq_got *g = cls;
    g->r = *r;
    g->r.attachment_enc = g->r.confirmation_enc = NULL;
    g->r.attachment_enc_len = g->r.confirmation_enc_len = 0;
    g->found = 1;
    return 0;
}

static enum tt_qs fail(struct rct_ctx *x, int err, const char *field, const char *detail)
{
    x->err = err;
    x->field = field;
    x->detail = detail;
    return TT_QS_ONE; /* nothing written; the caller answers with the problem */
}

/* The rectification request named in the body, when one is: it must be the subject's, verified
 * and open. ONE (g filled when named) or a failure set in x (x->err) or SOFT/HARD. */
static enum tt_qs request_check(struct tt_store_conn *c, struct rct_ctx *x, struct rq_got *g)
{
    if (!x->request)
        return TT_QS_ONE;
    enum tt_qs qs = tt_store_ops_of(c)->requests->get(c, x->s->tenant_id, x->request, rq_cb, g);
    if (qs < 0)
        return qs;
    if (!g->found || strcmp(g->r.subject_id, x->s->id) != 0)
        return fail(x, TT_E_NOT_FOUND, "request", "no such request of this subject");
    if (g->r.type != TT_RQ_RECTIFICATION ||
        (g->r.state != TT_RQS_VERIFIED && g->r.state != TT_RQS_IN_PROGRESS &&
         g->r.state != TT_RQS_EXTENDED))
        return fail(x, TT_E_INVALID_STATE, "request",
                    "'request' must be a verified, open rectification request");
    return TT_QS_ONE;
}

/* After the new value is written: the history row, the audit event (detail: ids only; taken),
 * and a `rectified` step on the request's timeline (no value) when one is answered. */
static enum tt_qs keep_history(struct tt_store_conn *c, struct rct_ctx *x, struct rq_got *g,
                               const char *action, json_t *detail)
{
    enum tt_qs qs = detail ? tt_store_ops_of(c)->requests->rct_put(c, &x->h) : TT_QS_HARD;
    if (qs == TT_QS_NONE)
        qs = TT_QS_HARD;
    if (qs == TT_QS_ONE)
        qs = tt_audit_emit(c, x->s->tenant_id, x->now, x->actor, action, x->s->id, detail);
    json_decref(detail);
    if (qs >= 0 && g->found)
        qs = tt__rq_note(c, &g->r, "rectified", x->actor, x->reason, x->now);
    return qs < 0 ? qs : TT_QS_ONE;
}

static enum tt_qs rct_txn(struct tt_store_conn *c, void *cls)
{
    struct rct_ctx *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    x->err = 0;
    struct rq_got g = {0};
    enum tt_qs qs = request_check(c, x, &g);
    if (qs < 0 || x->err)
        return qs;
    qs = ops->requests->rct_target_get(c, x->s->tenant_id, x->target, target_cb, x);
    if (qs < 0)
        return qs;
    if (qs == TT_QS_NONE || x->err == TT_E_NOT_FOUND)
        return fail(x, TT_E_NOT_FOUND, "record", "no such record of this subject");
    if (x->err)
        return fail(x, x->err, "", "the record could not be opened; nothing was changed");
    qs = ops->requests->record_reseal(c, x->s->tenant_id, x->target, x->new_sealed, x->new_len);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "record", x->target, "data_category", x->h.field,
                          "rectification", x->h.id, "request", x->h.request_id);
    return keep_history(c, x, &g, "record.rectify", d);
}

/* ---- an identifier (S1.5): corrected in place, blind index and sealed value together ---- */

struct idn_ctx {
    struct rct_ctx *x;
    struct tt_identity old, now; /* before and after; now.value_enc = x->new_sealed */
    int found;
};

/* finds the identity x->target among the subject's and moves its sealed value to the history */
static int idn_cb(void *cls, const struct tt_identity *i)
{
    struct idn_ctx *d = cls;
    if (strcmp(i->id, d->x->target) != 0)
        return 0;
    d->found = 1;
    d->old = *i;
    d->old.value_enc = NULL;
    struct tt_rct_target t = {.value_enc = i->value_enc, .value_enc_len = i->value_enc_len};
    tt__api_copy(t.subject_id, sizeof t.subject_id, i->subject_id);
    tt__api_copy(t.field, sizeof t.field, tt__api_identity_category(i->type));
    return target_cb(d->x, &t) || 1;
}

static enum tt_qs idn_txn(struct tt_store_conn *c, void *cls)
{
    struct idn_ctx *d = cls;
    struct rct_ctx *x = d->x;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    x->err = 0;
    struct rq_got g = {0};
    enum tt_qs qs = request_check(c, x, &g);
    if (qs < 0 || x->err)
        return qs;
    d->found = 0;
    qs = ops->identity_list(c, x->s->tenant_id, x->s->id, idn_cb, d);
    if (qs < 0)
        return qs;
    if (!d->found || x->err == TT_E_NOT_FOUND)
        return fail(x, TT_E_NOT_FOUND, "record", "no such identity of this subject");
    if (x->err)
        return fail(x, x->err, "", "the identity could not be opened; nothing was changed");
    if (d->old.type != d->now.type) /* the value was normalised for the type read before */
        return fail(x, TT_E_CONFLICT, "record", "the identity changed meanwhile");
    struct tt_identity other;
    qs = ops->identity_find(c, x->s->tenant_id, d->now.type, d->now.blind_hex, &other);
    if (qs < 0)
        return qs;
    if (qs == TT_QS_ONE && strcmp(other.id, d->now.id) != 0)
        return fail(x, TT_E_CONFLICT, "value",
                    "this identifier already belongs to a subject of the tenant");
    qs = ops->requests->rct_identity_set(c, x->s->tenant_id, x->s->id, d->now.id, d->now.blind_hex,
                                         x->new_sealed, x->new_len);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    /* other nodes' indexes forget the former identifier, then learn the new one (issue 9) */
    if (strcmp(d->old.blind_hex, d->now.blind_hex) != 0 &&
        (qs = tt_feed_identity_gone(c, x->s->tenant_id, x->s->id, &d->old)) < 0)
        return qs;
    qs = tt_feed_append(c, x->s->tenant_id, TT_FEED_IDENTITY, x->s->id);
    if (qs < 0)
        return qs;
    json_t *dt = json_pack("{s:s, s:s, s:s, s:s}", "identity", d->now.id, "type",
                           tt_identity_type_name(d->now.type), "rectification", x->h.id, "request",
                           x->h.request_id);
    return keep_history(c, x, &g, "identity.rectify", dt);
}

/* the identity's type, read before the transaction (to normalise the new value for it) */
static int idn_type_cb(void *cls, const struct tt_identity *i)
{
    struct idn_ctx *d = cls;
    if (strcmp(i->id, d->x->target) != 0)
        return 0;
    d->found = 1;
    d->now = *i;
    d->now.value_enc = NULL;
    return 1;
}

/* x->new_sealed and d->now (blind index, id) from the new value; 0 or a problem */
static int idn_prepare(struct tt_app *app, struct tt_store_conn *c, struct idn_ctx *d,
                       const uint8_t *key, struct tt_resp *resp)
{
    struct rct_ctx *x = d->x;
    enum tt_qs qs = tt_store_ops_of(c)->identity_list(c, x->s->tenant_id, x->s->id, idn_type_cb, d);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (!d->found)
        return tt_problem(resp, TT_E_NOT_FOUND, "record", "no such identity of this subject");
    char norm[TT_IDENT_MAX];
    int rc = tt_ident_normalise(d->now.type, x->value, NULL, norm);
    if (rc < 0)
        return tt_problem(resp, -rc, "value", "'value' is not a valid %s identifier",
                          tt_identity_type_name(d->now.type));
    tt_vault_blind(app->master, x->s->tenant_id, d->now.type, norm, d->now.blind_hex);
    size_t n = strlen(norm);
    char ad[TT_VALUE_AD_MAX];
    tt__api_value_ad(x->s->tenant_id, x->s->id, d->now.id, ad);
    x->new_sealed = malloc(n + TT_SEAL_OVERHEAD);
    x->new_len = n + TT_SEAL_OVERHEAD;
    rc = x->new_sealed ? tt_vault_seal(key, (const uint8_t *)norm, n, ad, x->new_sealed) : -1;
    sodium_memzero(norm, sizeof norm);
    if (rc < 0)
        return tt_problem(resp, TT_E_CRYPTO, "", "sealing failed; nothing was changed");
    d->now.value_enc = x->new_sealed;
    d->now.value_enc_len = x->new_len;
    return 0;
}

static json_t *history_json(const struct tt_rectification *h)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "id", h->id, "record", h->target_id,
                     "data_category", h->field, "request", h->request_id, "by", h->actor, "at",
                     tt__api_time(h->at), "reason", h->reason);
}

int tt_api_rectification_create(struct tt_req *req, struct tt_resp *resp)
{
    if (tt__rq_backend_ok(req->app, resp) < 0)
        return -TT_E_UNAVAILABLE;
    struct tt_app *app = req->app;
    struct rct_ctx x = {.app = app, .actor = req->auth.key_id};
    struct tt_spec spec[] = {
        tt_spec_string_max("record", &x.target, TT_ID_MAX - 1, 1),
        tt_spec_string_max("value", &x.value, RCT_VALUE_MAX, 1),
        tt_spec_string_max("reason", &x.reason, TT_RQ_REASON_MAX - 1, 1),
        tt_spec_string_max("request", &x.request, TT_ID_MAX - 1, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    int identity = tt__api_id_ok(x.target, "idn_");
    if (!identity && !tt__api_id_ok(x.target, "rec_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "record", "no such record of this subject");
    if (!*x.reason)
        return tt_problem(resp, TT_E_BAD_FIELD, "reason", "'reason' must say why it is corrected");
    if (x.request && !tt__api_id_ok(x.request, "req_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "request", "no such request of this subject");
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_subject s;
    uint8_t key[TT_KEY_BYTES];
    int have_key = 0;
    rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, resp);
    if (rc == 0) {
        rc = tt__api_subject_key(app, c, &s, key, resp);
        have_key = rc == 0;
    }
    if (rc == 0) {
        x.s = &s;
        x.key = key;
        x.now = tt_now(&app->clock);
        tt_id_new("rct_", x.h.id);
        tt__api_copy(x.h.tenant_id, sizeof x.h.tenant_id, s.tenant_id);
        tt__api_copy(x.h.subject_id, sizeof x.h.subject_id, s.id);
        tt__api_copy(x.h.target_id, sizeof x.h.target_id, x.target);
        tt__api_copy(x.h.request_id, sizeof x.h.request_id, x.request ? x.request : "");
        tt__api_copy(x.h.actor, sizeof x.h.actor, x.actor);
        tt__api_copy(x.h.reason, sizeof x.h.reason, x.reason);
        x.h.at = x.now;
    }
    struct idn_ctx d = {.x = &x};
    if (rc == 0 && identity) {
        rc = idn_prepare(app, c, &d, key, resp);
        if (rc == 0) {
            enum tt_qs qs = tt_store_txn(c, idn_txn, &d);
            if (qs < 0)
                rc = tt__api_store_err(resp, qs);
            else if (x.err)
                rc = tt_problem(resp, x.err, x.field, "%s", x.detail);
            else
                tt_hook_identity_replaced(app, &d.old, &d.now); /* the old one finds nobody */
        }
    } else if (rc == 0) {
        size_t n = strlen(x.value);
        char ad[TT_VALUE_AD_MAX];
        tt__api_value_ad(s.tenant_id, s.id, x.target, ad);
        x.new_sealed = malloc(n + TT_SEAL_OVERHEAD);
        x.new_len = n + TT_SEAL_OVERHEAD;
        if (!x.new_sealed || tt_vault_seal(key, (const uint8_t *)x.value, n, ad, x.new_sealed) < 0)
            rc = tt_problem(resp, TT_E_CRYPTO, "", "sealing failed; nothing was changed");
        if (rc == 0) {
            enum tt_qs qs = tt_store_txn(c, rct_txn, &x);
            if (qs < 0)
                rc = tt__api_store_err(resp, qs);
            else if (x.err)
                rc = tt_problem(resp, x.err, x.field, "%s", x.detail);
        }
    }
    if (have_key)
        sodium_memzero(key, sizeof key);
    tt_store_release(c);
    free(x.old_sealed);
    free(x.new_sealed);
    if (rc < 0)
        return rc;
    json_t *body = history_json(&x.h);
    return body ? tt_reply(resp, 201, body) : tt__api_nomem(resp);
}

/* ---- history ---- */

struct list_ctx {
    const uint8_t *key;  /* NULL: former values withheld */
    const char *request; /* only the corrections answering it, when not NULL */
    json_t *items;
    int failed;
};

static int list_cb(void *cls, const struct tt_rectification *h)
{
    struct list_ctx *x = cls;
    if (x->request && strcmp(h->request_id, x->request) != 0)
        return 0;
    json_t *o = history_json(h);
    if (!x->key) {
        if (!o || json_object_set_new(o, "old_value_withheld", json_true()) < 0 ||
            json_array_append(x->items, o) < 0)
            x->failed = 1;
        json_decref(o);
        return x->failed;
    }
    size_t n = h->old_enc_len >= TT_SEAL_OVERHEAD ? h->old_enc_len - TT_SEAL_OVERHEAD : 0;
    char *plain = malloc(n + 1);
    char ad[TT_VALUE_AD_MAX];
    tt__api_value_ad(h->tenant_id, h->subject_id, h->id, ad);
    if (!o || !plain || h->old_enc_len < TT_SEAL_OVERHEAD ||
        tt_vault_open(x->key, h->old_enc, h->old_enc_len, ad, (uint8_t *)plain) < 0 ||
        json_object_set_new(o, "old_value", json_stringn(plain, n)) < 0 ||
        json_array_append(x->items, o) < 0)
        x->failed = 1;
    if (plain)
        sodium_memzero(plain, n);
    free(plain);
    json_decref(o);
    return x->failed;
}

/* the history of s as JSON items: former values opened with key, or withheld when key is NULL;
 * only those answering request when it is not NULL */
static int history(struct tt_store_conn *c, const struct tt_subject *s, const uint8_t *key,
                   const char *request, json_t **out)
{
    struct list_ctx x = {.key = key, .request = request, .items = json_array()};
    if (!x.items)
        return -TT_E_NOMEM;
    enum tt_qs qs = tt_store_ops_of(c)->requests->rct_list(c, s->tenant_id, s->id, list_cb, &x);
    if (qs < 0 || x.failed) {
        json_decref(x.items);
        return qs < 0 ? (qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE) : -TT_E_CRYPTO;
    }
    *out = x.items;
    return 0;
}

int tt__rct_history(struct tt_store_conn *c, const struct tt_subject *s, const uint8_t *key,
                    json_t **out)
{
    return history(c, s, key, NULL, out);
}

struct audit_ctx {
    const struct tt_subject *s;
    const char *actor, *purpose, *request;
    size_t n;
    int values;
    tt_time at;
};

static enum tt_qs audit_txn(struct tt_store_conn *c, void *cls)
{
    const struct audit_ctx *a = cls;
    json_t *d = json_pack("{s:s, s:i, s:b, s:s}", "purpose", a->purpose, "rectifications",
                          (int)a->n, "values", a->values, "request", a->request ? a->request : "");
    if (!d)
        return TT_QS_HARD;
    enum tt_qs qs =
        tt_audit_emit(c, a->s->tenant_id, a->at, a->actor, "rectification.read", a->s->id, d);
    json_decref(d);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_api_rectification_list(struct tt_req *req, struct tt_resp *resp)
{
    if (tt__rq_backend_ok(req->app, resp) < 0)
        return -TT_E_UNAVAILABLE;
    struct tt_app *app = req->app;
    const char *purpose = tt_req_query(req, "purpose");
    if (!purpose || !*purpose)
        return tt_problem(resp, TT_E_BAD_PARAM, "purpose",
                          "'purpose' is required: every use states its purpose (S1.1)");
    struct tt_policy_ref *pref = tt_app_policy_acquire(app);
    int known = strlen(purpose) < TT_KEY_MAX && tt_policy_purpose(pref->policy, purpose);
    tt_app_policy_release(pref);
    if (!known)
        return tt_problem(resp, TT_E_UNKNOWN_PURPOSE, "purpose", "not in the policy");
    const char *request = tt_req_query(req, "request");
    if (request && !tt__api_id_ok(request, "req_"))
        return tt_problem(resp, TT_E_BAD_PARAM, "request",
                          "'request' must be a request id (req_…)");
    /* former values are personal data: only a role that may read record values sees them (the
     * records route's, S1.1); a read-only staff member sees who, when, why and which request */
    int values = req->auth.role >= TT_ROLE_SERVICE;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_subject s;
    uint8_t key[TT_KEY_BYTES];
    json_t *items = NULL;
    int rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, resp);
    if (rc == 0 && values)
        rc = tt__api_subject_key(app, c, &s, key, resp);
    if (rc == 0) {
        int e = history(c, &s, values ? key : NULL, request, &items);
        sodium_memzero(key, sizeof key);
        if (e < 0)
            rc = tt_problem(resp, -e, "", "the history cannot be read");
    }
    if (rc == 0) {
        /* no audit, no data: the read and its audit event go together */
        struct audit_ctx a = {&s,     req->auth.key_id,   purpose, request, json_array_size(items),
                              values, tt_now(&app->clock)};
        enum tt_qs qs = tt_store_txn(c, audit_txn, &a);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    tt_store_release(c);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    json_t *body = json_pack("{s:s, s:s, s:b, s:o}", "subject", s.id, "purpose", purpose, "values",
                             values, "items", items);
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->cache_control, sizeof resp->cache_control, "no-store");
    return tt_reply(resp, 200, body);
}
