/* SPDX-License-Identifier: Apache-2.0 */
/* consents.c — a subject's consents over the API (issue 4; S1.3, S3.3, S7.5, S8.2): record a
 * grant or withdrawal of a purpose or feature (proof appended to the ledger and the current state
 * changed in one transaction, visible to the next decision before the answer), read the current
 * state, and read the proof (every event with its hashes, its evidence opened under the CONSENT
 * key), as JSON or JSON lines. The proof stays readable after the subject's erasure. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "common.h"
#include "consent_int.h"
#include "handlers.h"
#include "spec.h"

#define EVIDENCE_FIELD_MAX 512

/* ---- POST /v1/subjects/{id}/consents ---- */

int tt_api_consent_record(struct tt_req *req, struct tt_resp *resp)
{
    const char *purpose = NULL, *feature = NULL, *action = NULL, *method = NULL, *notice = NULL;
    const json_t *evidence = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("purpose", &purpose, 0),
        tt_spec_key("feature", &feature, 0),
        tt_spec_key("action", &action, 1),
        tt_spec_key("method", &method, 1),
        tt_spec_string_max("notice_version", &notice, TT_CONSENT_SHORT_MAX - 1, 1),
        tt_spec_object("evidence", &evidence, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    const char *page = NULL, *ua = NULL, *ip = NULL;
    struct tt_spec ev_spec[] = {
        tt_spec_string_max("page", &page, EVIDENCE_FIELD_MAX, 0),
        tt_spec_string_max("user_agent", &ua, EVIDENCE_FIELD_MAX, 0),
        tt_spec_string_max("ip", &ip, 64, 0),
        tt_spec_end(),
    };
    if (evidence && (rc = tt_spec_parse(evidence, ev_spec, "evidence/", resp)) < 0)
        return rc;
    if (!purpose == !feature)
        return tt_problem(resp, TT_E_BAD_FIELD, purpose ? "feature" : "purpose",
                          "give exactly one of 'purpose' and 'feature'");
    enum tt_consent_action a;
    if (tt_consent_action_parse(action, &a) < 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "action", "'action' must be grant or withdraw");
    if (!tt_consent_method_ok(method))
        return tt_problem(resp, TT_E_BAD_FIELD, "method",
                          "'method' must be banner, dashboard, api, email_unsubscribe, import or "
                          "gpc");
    if (!tt_consent_short_ok(notice))
        return tt_problem(resp, TT_E_BAD_NOTICE_VERSION, "notice_version",
                          "'notice_version' must be 1-31 of [A-Za-z0-9._-]");

    struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
    const char *key = purpose;
    if (feature) {
        const struct tt_consent_feature *f = tt_consent_feature(feature);
        key = f ? f->purpose : NULL;
    }
    const struct tt_purpose *pu = key ? tt_policy_purpose(ref->policy, key) : NULL;
    if (!pu) {
        tt_app_policy_release(ref);
        return tt_problem(resp, feature ? TT_E_BAD_FIELD : TT_E_UNKNOWN_PURPOSE,
                          feature ? "feature" : "purpose",
                          feature ? "no such feature in the preference centre"
                                  : "the purpose is not in the policy");
    }
    struct tt_subject s;
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, resp);
    tt_store_release(c);
    struct tt_consent_event ev;
    if (rc == 0)
        rc = tt_consent_record_subject(req->app, &s, pu, feature ? "feature" : "purpose",
                                       feature ? feature : purpose, a, method, notice,
                                       req->auth.key_id, page, ua, ip, resp, &ev);
    tt_app_policy_release(ref);
    if (rc < 0)
        return rc;
    char hash[2 * TT_LEDGER_HASH_BYTES + 1];
    sodium_bin2hex(hash, sizeof hash, ev.hash, sizeof ev.hash);
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:s}", "id", ev.id,
                             "subject_id", ev.subject_id, "target_kind", ev.target_kind, "target",
                             ev.target, "action", tt_consent_action_name(ev.action), "method",
                             ev.method, "notice_version", ev.notice_version, "recorded_at",
                             tt__api_time(ev.at), "seq", (json_int_t)ev.seq, "hash", hash);
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 201, body);
}

/* ---- GET /v1/subjects/{id}/consents ---- */

struct state_list {
    json_t *arr;
    struct tt_purpose_state *rows;
    size_t n, cap;
};

static int state_cb(void *cls, const struct tt_purpose_state *ps)
{
    struct state_list *l = cls;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct tt_purpose_state *p = realloc(l->rows, cap * sizeof *p);
        if (!p)
            return 1;
        l->rows = p;
        l->cap = cap;
    }
    l->rows[l->n++] = *ps;
    return 0;
}

static const char *consent_name(enum tt_consent_state s)
{
    return s == TT_CONSENT_GIVEN ? "given" : s == TT_CONSENT_WITHDRAWN ? "withdrawn" : "none";
}

int tt_api_consent_state(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_subject s;
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    int rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, resp);
    struct state_list l = {0};
    enum tt_qs qs = TT_QS_ONE;
    if (rc == 0)
        qs = tt_store_ops_of(c)->purpose_state_list(c, s.tenant_id, s.id, state_cb, &l);
    tt_store_release(c);
    if (rc < 0 || qs < 0) {
        free(l.rows);
        return rc < 0 ? rc : tt__api_store_err(resp, qs);
    }
    json_t *purposes = json_array(), *features = json_array();
    for (size_t i = 0; purposes && i < l.n; i++)
        json_array_append_new(
            purposes, json_pack("{s:s, s:s, s:b, s:o}", "purpose", l.rows[i].purpose, "consent",
                                consent_name(l.rows[i].consent), "objection", l.rows[i].objection,
                                "updated_at", tt__api_time(l.rows[i].updated_at)));
    struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
    for (size_t i = 0; features && i < tt_consent_n_features; i++) {
        const struct tt_consent_feature *f = &tt_consent_features[i];
        const struct tt_purpose *pu = tt_policy_purpose(ref->policy, f->purpose);
        if (!pu)
            continue;
        const struct tt_purpose_state *ps = NULL;
        for (size_t k = 0; k < l.n; k++)
            if (strcmp(l.rows[k].purpose, f->purpose) == 0)
                ps = &l.rows[k];
        json_array_append_new(features,
                              json_pack("{s:s, s:s, s:b}", "feature", f->key, "purpose", f->purpose,
                                        "enabled", tt_consent_state_enabled(pu, ps)));
    }
    tt_app_policy_release(ref);
    free(l.rows);
    json_t *body = json_pack("{s:s, s:o, s:o}", "subject_id", s.id, "purposes", purposes,
                             "features", features);
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 200, body);
}

/* ---- GET /v1/subjects/{id}/consents/history ---- */

struct history {
    json_t *events;
    const uint8_t *key; /* the CONSENT key, NULL when gone */
    int oom;
};

static json_t *hex(const uint8_t *b, size_t n)
{
    char h[2 * TT_LEDGER_HASH_BYTES + 1];
    sodium_bin2hex(h, sizeof h, b, n);
    return json_string(h);
}

static int history_cb(void *cls, const struct tt_consent_event *e)
{
    struct history *h = cls;
    char proof[2048];
    size_t n = tt_consent_proof(e, proof, sizeof proof);
    json_t *ev =
        h->key ? tt_consent_open_evidence(h->key, e->tenant_id, e->id, e->evidence, e->evidence_len)
               : NULL;
    json_t *o = json_pack(
        "{s:s, s:I, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s%, s:o}", "id",
        e->id, "seq", (json_int_t)e->seq, "at", tt__api_time(e->at), "expires_at",
        tt__api_time(e->expires_at), "target_kind", e->target_kind, "target", e->target, "action",
        tt_consent_action_name(e->action), "method", e->method, "notice_version", e->notice_version,
        "banner_version", e->banner_version, "language", e->language, "choices", e->choices,
        "prev_hash", hex(e->prev_hash, sizeof e->prev_hash), "hash", hex(e->hash, sizeof e->hash),
        "proof", proof, n < sizeof proof ? n : 0, "evidence", ev ? ev : json_null());
    if (!o || json_array_append_new(h->events, o) < 0) {
        h->oom = 1;
        return 1;
    }
    return 0;
}

/* The CONSENT key when it still exists (never created here). 0 or -1. */
static int existing_key(struct tt_app *app, struct tt_store_conn *c, const struct tt_subject *s,
                        uint8_t key[TT_KEY_BYTES])
{
    struct tt_subject_key k;
    if (tt_store_ops_of(c)->subject_key_get(c, s->tenant_id, s->id, TT_KEYCLASS_CONSENT, &k) !=
            TT_QS_ONE ||
        k.destroyed_at)
        return -1;
    char ad[TT_KEY_AD_MAX];
    tt_vault_key_ad(s->tenant_id, s->id, TT_KEYCLASS_CONSENT, ad);
    int rc = tt_vault_unwrap(app->master, k.wrapped, ad, key);
    sodium_memzero(&k, sizeof k);
    return rc < 0 ? -1 : 0;
}

static int jsonl(json_t *events, struct tt_resp *resp)
{
    size_t len = 0, cap = 4096, i;
    char *buf = malloc(cap);
    json_t *e;
    json_array_foreach(events, i, e)
    {
        char *line = buf ? json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        if (!line) {
            free(buf);
            return tt__api_nomem(resp);
        }
        size_t n = strlen(line);
        if (len + n + 2 > cap) {
            while (len + n + 2 > cap)
                cap *= 2;
            char *p = realloc(buf, cap);
            if (!p) {
                free(line);
                free(buf);
                return tt__api_nomem(resp);
            }
            buf = p;
        }
        memcpy(buf + len, line, n);
        buf[len + n] = '\n';
        len += n + 1;
        free(line);
    }
    if (!buf)
        return tt__api_nomem(resp);
    resp->status = 200;
    resp->raw = buf;
    resp->raw_len = len;
    resp->content_type = "application/x-ndjson";
    return 0;
}

int tt_api_consent_history(struct tt_req *req, struct tt_resp *resp)
{
    const char *id = tt_req_param(req, "id"), *format = tt_req_query(req, "format");
    if (format && strcmp(format, "json") != 0 && strcmp(format, "jsonl") != 0)
        return tt_problem(resp, TT_E_BAD_PARAM, "format", "'format' must be json or jsonl");
    if (!tt__api_id_ok(id, "sub_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such subject");
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    /* S8.2: the proof outlives an erasure, so an erased subject's history is still served */
    struct tt_subject s;
    enum tt_qs qs = ops->subject_get(c, req->auth.tenant_id, id, &s);
    if (qs <= 0) {
        tt_store_release(c);
        return qs == TT_QS_NONE ? tt_problem(resp, TT_E_NOT_FOUND, "id", "no such subject")
                                : tt__api_store_err(resp, qs);
    }
    uint8_t key[TT_KEY_BYTES];
    int have_key = existing_key(req->app, c, &s, key) == 0;
    struct history h = {json_array(), have_key ? key : NULL, 0};
    qs = h.events ? ops->consent->list_subject(c, s.tenant_id, s.id, history_cb, &h) : TT_QS_HARD;
    tt_store_release(c);
    sodium_memzero(key, sizeof key);
    if (qs < 0 || h.oom) {
        json_decref(h.events);
        return h.oom ? tt__api_nomem(resp) : tt__api_store_err(resp, qs);
    }
    if (format && strcmp(format, "jsonl") == 0) {
        int rc = jsonl(h.events, resp);
        json_decref(h.events);
        return rc;
    }
    json_t *body = json_pack("{s:s, s:o}", "subject_id", s.id, "events", h.events);
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 200, body);
}
