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
#include "../core/index.h"
#include "common.h"
#include "consent_int.h"
#include "json_buf.h"
#include "handlers.h"
#include "hooks.h"
#include "spec.h"

/* ---- POST /v1/subjects/{id}/consents ---- */

/* One parked request: its write, kept alive until the committer is done with it. */
struct record_ctx {
    struct tt_app *app;
    struct tt_req *req;
    struct tt_resp *resp;
    struct tt_consent_write w;
    struct tt_consent_write *list[1];
    int indexed; /* prepared from the decision index, not read from the store */
    uint8_t sealed[TT_CONSENT_EVIDENCE_MAX];
};

/* The subject and its state for the purpose as the node's decision index has them, instead of a
 * read of the store (issue 9): only for a subject the index holds in this tenant, not erased.
 * The index may be older than the store by the change feed's delay, so the write changes only
 * the field the event changes (tt_purpose_state.changes: the other is kept as stored) and the
 * batch refuses a subject erased or gone meanwhile — nothing is written, and record_finish reads
 * the store for the precise problem. Returns 1 when s and prev are filled, 0 to read the store. */
static int from_index(const struct tt_policy_ref *ref, const char *tenant_id, const char *id,
                      const struct tt_consent_change *ch, struct tt_subject *s,
                      struct tt_purpose_state *prev)
{
    struct tt_index_state st;
    if (!ref->index || !tt__api_id_ok(id, "sub_") ||
        tt_index_get(ref->index, tenant_id, id, &st) != TT_INDEX_FOUND ||
        (st.flags & TT_IXF_ERASED))
        return 0;
    memset(s, 0, sizeof *s);
    memset(prev, 0, sizeof *prev);
    if (tt__api_copy(s->tenant_id, sizeof s->tenant_id, tenant_id) < 0 ||
        tt__api_copy(s->id, sizeof s->id, id) < 0)
        return 0;
    int slot = tt_index_purpose_slot(ref->index, ch->purpose->key);
    if (slot >= 0) {
        uint64_t bit = UINT64_C(1) << slot;
        prev->consent = (st.given & bit)       ? TT_CONSENT_GIVEN
                        : (st.withdrawn & bit) ? TT_CONSENT_WITHDRAWN
                                               : TT_CONSENT_NONE;
        prev->objection = (st.objection & bit) != 0;
    }
    return 1;
}

/* The 201 event written into one buffer handed to resp. Returns 1 when a value would need
 * escaping (the caller builds it with jansson instead), or 0. */
static int reply_raw(const struct tt_consent_event *ev, const char *hash, struct tt_resp *resp)
{
    char at[32];
    struct tt_jbuf b;
    tt_jbuf_init(&b, 512);
    tt_jbuf_lit(&b, "{\"id\":");
    tt_jbuf_str(&b, ev->id);
    tt_jbuf_lit(&b, ",\"subject_id\":");
    tt_jbuf_str(&b, ev->subject_id);
    tt_jbuf_lit(&b, ",\"target_kind\":");
    tt_jbuf_str(&b, ev->target_kind);
    tt_jbuf_lit(&b, ",\"target\":");
    tt_jbuf_str(&b, ev->target);
    tt_jbuf_lit(&b, ",\"action\":");
    tt_jbuf_str(&b, tt_consent_action_name(ev->action));
    tt_jbuf_lit(&b, ",\"method\":");
    tt_jbuf_str(&b, ev->method);
    tt_jbuf_lit(&b, ",\"notice_version\":");
    tt_jbuf_str(&b, ev->notice_version);
    tt_jbuf_lit(&b, ",\"recorded_at\":");
    if (ev->at) /* as tt__api_time writes it */
        tt_jbuf_str(&b, tt_time_format(ev->at, at, sizeof at));
    else
        tt_jbuf_lit(&b, "null");
    tt_jbuf_lit(&b, ",\"seq\":");
    tt_jbuf_int(&b, ev->seq);
    tt_jbuf_lit(&b, ",\"hash\":");
    tt_jbuf_str(&b, hash);
    tt_jbuf_lit(&b, "}");
    return tt_jbuf_reply(&b, resp, 201);
}

/* After the commit: the problem, or the index updated and the 201 event. Frees x. */
static int record_finish(struct record_ctx *x, int rc)
{
    struct tt_resp *resp = x->resp;
    const struct tt_consent_event *ev = &x->w.ev;
    if (rc == -TT_E_STORE && x->indexed) {
        /* refused in the batch: the subject was erased or is gone (the index was behind) */
        struct tt_subject s;
        struct tt_store_conn *c = tt_store_acquire(x->app->store);
        int lr = tt__api_subject_load(c, ev->tenant_id, ev->subject_id, "id", &s, resp);
        tt_store_release(c);
        if (lr < 0) {
            free(x);
            return lr;
        }
    }
    if (rc < 0) {
        rc = tt_problem(resp, -rc, NULL, "the consent event was not recorded");
    } else {
        /* committed: the next decision sees it, before this request is answered (S8.2) */
        tt_hook_purpose_state_changed(x->app, &x->w.ps);
        char hash[2 * TT_LEDGER_HASH_BYTES + 1];
        sodium_bin2hex(hash, sizeof hash, ev->hash, sizeof ev->hash);
        rc = reply_raw(ev, hash, resp);
        if (rc == 1) { /* a value that needs escaping: the same answer built by jansson */
            json_t *body =
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:s}", "id", ev->id,
                          "subject_id", ev->subject_id, "target_kind", ev->target_kind, "target",
                          ev->target, "action", tt_consent_action_name(ev->action), "method",
                          ev->method, "notice_version", ev->notice_version, "recorded_at",
                          tt__api_time(ev->at), "seq", (json_int_t)ev->seq, "hash", hash);
            rc = body ? tt_reply(resp, 201, body) : tt__api_nomem(resp);
        }
    }
    sodium_memzero(x->sealed, sizeof x->sealed);
    free(x);
    return rc;
}

/* The notifier thread's callback for a parked request. */
static void recorded(void *cls, int rc)
{
    struct record_ctx *x = cls;
    struct tt_req *req = x->req;
    tt_req_resume(req, record_finish(x, rc), "the consent event was not recorded");
}

int tt_api_consent_record(struct tt_req *req, struct tt_resp *resp)
{
    if (!req->json)
        return tt_problem(resp, TT_E_BAD_JSON, "", "a JSON object body is required");
    struct tt_app *app = req->app;
    struct record_ctx *x = calloc(1, sizeof *x);
    if (!x)
        return tt__api_nomem(resp);
    x->app = app;
    x->req = req;
    x->resp = resp;
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    struct tt_consent_item it;
    int rc = tt_consent_item_parse(ref->policy, req->json, "", 0, &it, resp);
    int sealing = it.page || it.user_agent || it.ip;
    struct tt_subject s;
    struct tt_purpose_state prev;
    uint8_t key[TT_KEY_BYTES];
    if (rc == 0 && !sealing)
        x->indexed =
            from_index(ref, req->auth.tenant_id, tt_req_param(req, "id"), &it.change, &s, &prev);
    if (rc == 0 && !x->indexed) {
        /* one connection for the subject, its state and (with evidence) its CONSENT key */
        struct tt_store_conn *c = tt_store_acquire(app->store);
        rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, resp);
        if (rc == 0)
            rc = tt_consent_prepare(app, c, &s, &it.change, 1, &prev, sealing ? key : NULL, resp);
        tt_store_release(c);
    }
    if (rc == 0) {
        tt_consent_write_fill(&x->w, &s, &it.change, it.method, it.notice_version, req->auth.key_id,
                              &prev, tt_now(&app->clock));
        if (sealing) {
            x->w.ev.evidence_len =
                tt_consent_seal_evidence(app, key, s.tenant_id, x->w.ev.id, it.page, it.user_agent,
                                         it.ip, x->sealed, sizeof x->sealed);
            x->w.ev.evidence = x->w.ev.evidence_len ? x->sealed : NULL;
            sodium_memzero(key, sizeof key);
        }
    }
    tt_app_policy_release(ref); /* (the write holds copies of the keys it names) */
    if (rc < 0) {
        free(x);
        return rc;
    }
    x->list[0] = &x->w;
    /* group commit with the request parked: no server thread waits for the fsync, so a few
     * threads serve every connection waiting for its batch. Answered only after the COMMIT. */
    if (tt_req_defer(req) == 0 && tt_consent_submit_async(app->store, x->list, 1, recorded, x) == 0)
        return TT_HTTP_DEFERRED;
    return record_finish(x, tt_consent_submit(app->store, x->list, 1));
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
    return tt_resp_raw(resp, 200, buf, len, "application/x-ndjson");
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
