/* SPDX-License-Identifier: Apache-2.0 */
/* consents_batch.c — POST /v1/consents (issue 4; S1.3, S7.5, S8.2): many consent events in one
 * request, as a CDP or an import sends them: {"items": [...]}, up to TT_CONSENT_ITEMS_MAX, each
 * {subject | identifier {type, value}, purpose | feature, action, method, notice_version,
 * evidence?}. All or nothing: every item is checked and its subject found before anything is
 * written (a bad item is a problem naming "items/N/field", nothing recorded); then all events
 * and states go to the group committer as one caller, so they commit in one transaction, and
 * the 201 is sent only once that COMMIT returned, the decision index already updated. Audited
 * like single events (one consent.record event per committed batch). The request is parked
 * while it waits, holding no server thread. The route takes its JSON raw: the usual body is read
 * by the scanner of consents_scan.h (one pass, no JSON tree); any other body, and any item the
 * scanned checks refuse, goes through jansson and the field specs, which name the item and field
 * at fault. The 201 is written straight into one buffer. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "common.h"
#include "consent_int.h"
#include "json_buf.h"
#include "consents_scan.h"
#include "handlers.h"
#include "hooks.h"
#include "spec.h"

/* The request, kept alive until the committer is done with its writes. */
struct batch_ctx {
    struct tt_app *app;
    struct tt_req *req;
    struct tt_resp *resp;
    size_t n;
    struct tt_consent_write *w;                 /* n */
    struct tt_consent_write **list;             /* n */
    uint8_t (*sealed)[TT_CONSENT_EVIDENCE_MAX]; /* n, or NULL without evidence */
    char (*sid)[TT_ID_MAX];                     /* n: each item's subject id */
    struct tt_consent_item *it;                 /* n */
    size_t *order;                              /* n: items by subject, then index */
    char *scan; /* the scanner's items and arena the items borrow from, or NULL */
};

static void ctx_free(struct batch_ctx *x)
{
    if (!x)
        return;
    if (x->sealed)
        sodium_memzero(x->sealed, x->n * sizeof *x->sealed);
    free(x->w);
    free(x->list);
    free(x->sealed);
    free(x->sid);
    free(x->it);
    free(x->order);
    free(x->scan);
    free(x);
}

/* A context for n items (zeroed), or NULL. */
static struct batch_ctx *ctx_new(struct tt_req *req, struct tt_resp *resp, size_t n)
{
    struct batch_ctx *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->app = req->app;
    x->req = req;
    x->resp = resp;
    x->n = n;
    x->w = calloc(n, sizeof *x->w);
    x->list = calloc(n, sizeof *x->list);
    x->sid = calloc(n, sizeof *x->sid);
    x->it = calloc(n, sizeof *x->it);
    x->order = calloc(n, sizeof *x->order);
    if (!x->w || !x->list || !x->sid || !x->it || !x->order) {
        ctx_free(x);
        return NULL;
    }
    return x;
}

/* The 201 body {"recorded": n, "events": [{"id", "subject_id", "seq"}, …]} written into one
 * buffer handed to resp. Returns 1 when a value would need escaping (the caller builds it with
 * jansson instead), or 0. */
static int reply_raw(const struct batch_ctx *x, struct tt_resp *resp)
{
    struct tt_jbuf b;
    tt_jbuf_init(&b, 64 + x->n * (2 * TT_ID_MAX + 64));
    tt_jbuf_lit(&b, "{\"recorded\":");
    tt_jbuf_int(&b, (int64_t)x->n);
    tt_jbuf_lit(&b, ",\"events\":[");
    for (size_t i = 0; i < x->n && b.ok; i++) {
        const struct tt_consent_event *ev = &x->w[i].ev;
        tt_jbuf_lit(&b, i ? ",{\"id\":" : "{\"id\":");
        tt_jbuf_str(&b, ev->id);
        tt_jbuf_lit(&b, ",\"subject_id\":");
        tt_jbuf_str(&b, ev->subject_id);
        tt_jbuf_lit(&b, ",\"seq\":");
        tt_jbuf_int(&b, ev->seq);
        tt_jbuf_lit(&b, "}");
    }
    tt_jbuf_lit(&b, "]}");
    return tt_jbuf_reply(&b, resp, 201);
}

/* After the commit: the problem, or the index updated and the 201 list of events (id, subject
 * and place in the chain; the hashes are in the history). Frees x. */
static int batch_finish(struct batch_ctx *x, int rc)
{
    struct tt_resp *resp = x->resp;
    if (rc < 0) {
        rc = tt_problem(resp, -rc, NULL, "the consent events were not recorded");
        ctx_free(x);
        return rc;
    }
    /* committed: the next decision sees it, before this request is answered (S8.2) */
    for (size_t i = 0; i < x->n; i++)
        tt_hook_purpose_state_changed(x->app, &x->w[i].ps);
    rc = reply_raw(x, resp);
    if (rc != 1) {
        ctx_free(x);
        return rc;
    }
    json_t *events = json_array();
    for (size_t i = 0; events && i < x->n; i++) {
        const struct tt_consent_event *ev = &x->w[i].ev;
        json_array_append_new(events, json_pack("{s:s, s:s, s:I}", "id", ev->id, "subject_id",
                                                ev->subject_id, "seq", (json_int_t)ev->seq));
    }
    json_t *body = events && json_array_size(events) == x->n
                       ? json_pack("{s:I, s:o}", "recorded", (json_int_t)x->n, "events", events)
                       : NULL;
    if (!body)
        json_decref(events);
    ctx_free(x);
    return body ? tt_reply(resp, 201, body) : tt__api_nomem(resp);
}

static void batch_recorded(void *cls, int rc)
{
    struct batch_ctx *x = cls;
    struct tt_req *req = x->req;
    tt_req_resume(req, batch_finish(x, rc), "the consent events were not recorded");
}

/* Item i's subject id: as given, or found by its identifier's blind index. */
static int resolve(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                   const struct tt_consent_item *it, size_t i, char sid[TT_ID_MAX],
                   struct tt_resp *resp)
{
    char field[TT_CONSENT_FIELD_MAX];
    if (it->subject) {
        tt__api_copy(sid, TT_ID_MAX, it->subject);
        return 0;
    }
    snprintf(field, sizeof field, "items/%zu/identifier/", i);
    struct tt__api_identity id;
    /* a scanned identifier is checked as the parsed one would be, from the same object */
    json_t *scanned =
        it->identifier ? NULL
                       : json_pack("{s:s, s:s}", "type", it->ident_type, "value", it->ident_value);
    if (!it->identifier && !scanned)
        return tt__api_nomem(resp);
    int rc = tt__api_identity_parse(it->identifier ? it->identifier : scanned, field, &id, resp);
    json_decref(scanned);
    if (rc < 0)
        return rc;
    char blind[TT_HASH_HEX];
    tt_vault_blind(app->master, tenant_id, id.i.type, id.norm, blind);
    sodium_memzero(id.norm, sizeof id.norm);
    struct tt_identity found;
    enum tt_qs qs = tt_store_ops_of(c)->identity_find(c, tenant_id, id.i.type, blind, &found);
    snprintf(field, sizeof field, "items/%zu/identifier", i);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_NOT_FOUND, field, "no subject of this tenant has '%s'", field);
    tt__api_copy(sid, TT_ID_MAX, found.subject_id);
    return 0;
}

static int by_subject(const void *a, const void *b, void *cls)
{
    const struct batch_ctx *x = cls;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(x->sid[i], x->sid[j]);
    return c ? c : (i > j) - (i < j);
}

/* One subject's items order[0..g-1] (ascending index): the subject loaded, its states read
 * once, each write filled after the state the subject's earlier item of the same purpose left,
 * and the evidence sealed. */
static int fill_subject(struct batch_ctx *x, struct tt_store_conn *c, const size_t *order, size_t g,
                        tt_time now, struct tt_resp *resp)
{
    struct tt_app *app = x->app;
    const struct tt_consent_item *first = &x->it[order[0]];
    char field[TT_CONSENT_FIELD_MAX];
    snprintf(field, sizeof field, "items/%zu/%s", order[0],
             first->subject ? "subject" : "identifier");
    struct tt_subject s;
    int rc = tt__api_subject_load(c, x->req->auth.tenant_id, x->sid[order[0]], field, &s, resp);
    if (rc < 0)
        return rc;
    struct tt_consent_change *ch = malloc(g * sizeof *ch);
    struct tt_purpose_state *prev = malloc(g * sizeof *prev);
    int sealing = 0;
    for (size_t k = 0; ch && k < g; k++) {
        const struct tt_consent_item *it = &x->it[order[k]];
        ch[k] = it->change;
        sealing |= it->page || it->user_agent || it->ip;
    }
    uint8_t key[TT_KEY_BYTES];
    rc = ch && prev ? tt_consent_prepare(app, c, &s, ch, g, prev, sealing ? key : NULL, resp)
                    : tt__api_nomem(resp);
    for (size_t k = 0; rc == 0 && k < g; k++) {
        size_t i = order[k];
        const struct tt_consent_item *it = &x->it[i];
        const struct tt_purpose_state *before = &prev[k];
        for (size_t j = 0; j < k; j++)
            if (ch[j].purpose == ch[k].purpose)
                before = &x->w[order[j]].ps;
        tt_consent_write_fill(&x->w[i], &s, &it->change, it->method, it->notice_version,
                              x->req->auth.key_id, before, now);
        if (it->page || it->user_agent || it->ip) {
            x->w[i].ev.evidence_len =
                tt_consent_seal_evidence(app, key, s.tenant_id, x->w[i].ev.id, it->page,
                                         it->user_agent, it->ip, x->sealed[i], sizeof x->sealed[i]);
            x->w[i].ev.evidence = x->w[i].ev.evidence_len ? x->sealed[i] : NULL;
        }
    }
    if (sealing && rc == 0)
        sodium_memzero(key, sizeof key);
    free(ch);
    free(prev);
    return rc;
}

/* Finds every item's subject and fills every write, on one connection. */
static int fill_all(struct batch_ctx *x, struct tt_resp *resp)
{
    struct tt_app *app = x->app;
    const char *tenant_id = x->req->auth.tenant_id;
    struct tt_store_conn *c = tt_store_acquire(app->store);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < x->n; i++)
        rc = resolve(app, c, tenant_id, &x->it[i], i, x->sid[i], resp);
    if (rc == 0) {
        for (size_t i = 0; i < x->n; i++)
            x->order[i] = i;
        qsort_r(x->order, x->n, sizeof *x->order, by_subject, x);
    }
    tt_time now = tt_now(&app->clock);
    for (size_t a = 0, b; rc == 0 && a < x->n; a = b) {
        for (b = a + 1; b < x->n && strcmp(x->sid[x->order[b]], x->sid[x->order[a]]) == 0;)
            b++;
        rc = fill_subject(x, c, &x->order[a], b - a, now, resp);
    }
    tt_store_release(c);
    return rc;
}

/* Checks every item's shape, purpose and values; 0 or the first item's problem. */
static int parse_all(struct batch_ctx *x, const struct tt_policy *p, const json_t *items,
                     struct tt_resp *resp)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < x->n; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "items/%zu/", i);
        struct tt_consent_item *it = &x->it[i];
        rc = tt_consent_item_parse(p, json_array_get(items, i), prefix, 1, it, resp);
        if (rc == 0 && it->subject && !tt__api_id_ok(it->subject, "sub_")) {
            char field[TT_CONSENT_FIELD_MAX];
            snprintf(field, sizeof field, "items/%zu/subject", i);
            rc =
                tt_problem(resp, TT_E_BAD_FIELD, field, "'%s' must be a subject id (sub_…)", field);
        }
    }
    return rc;
}

#define NOT_SCANNED 2 /* neither 0, a problem nor TT_HTTP_DEFERRED */
_Static_assert(NOT_SCANNED != TT_HTTP_DEFERRED, "the fast path's refusal is its own code");

/* The fast path: the body scanned without a JSON tree and each item checked. Returns 0 with *out
 * filled, NOT_SCANNED when the body or an item is outside what it takes (the slow path then
 * answers), or a problem. */
static int scan_items(struct tt_req *req, struct tt_resp *resp, const struct tt_policy *p,
                      struct batch_ctx **out)
{
    if (!req->body || req->body_len == 0)
        return NOT_SCANNED;
    size_t room = tt_cscan_room(req->body, req->body_len);
    if (room > TT_CONSENT_ITEMS_MAX)
        room = TT_CONSENT_ITEMS_MAX; /* more items: the slow path names the limit */
    if (room == 0)
        return NOT_SCANNED;
    char *scan = malloc(room * sizeof(struct tt_cscan_item) + req->body_len + 1);
    if (!scan)
        return tt__api_nomem(resp);
    struct tt_cscan_item *items = (struct tt_cscan_item *)scan;
    char *arena = scan + room * sizeof *items;
    long n = tt_cscan(req->body, req->body_len, arena, items, room, TT_CONSENT_ITEMS_MAX);
    if (n <= 0) {
        free(scan);
        return NOT_SCANNED;
    }
    struct batch_ctx *x = ctx_new(req, resp, (size_t)n);
    if (!x) {
        free(scan);
        return tt__api_nomem(resp);
    }
    x->scan = scan;
    for (size_t i = 0; i < x->n; i++)
        if (tt_consent_item_scanned(p, &items[i], &x->it[i]) < 0) {
            ctx_free(x);
            return NOT_SCANNED;
        }
    *out = x;
    return 0;
}

/* The slow path: the body parsed by jansson, each item checked by its field specs. Returns 0
 * with *out filled, or the problem naming the field. */
static int parse_items(struct tt_req *req, struct tt_resp *resp, const struct tt_policy *p,
                       struct batch_ctx **out)
{
    int rc = tt_req_parse_json(req, resp);
    if (rc < 0)
        return rc;
    const json_t *items = NULL;
    struct tt_spec spec[] = {
        tt_spec_array("items", &items, TT_CONSENT_ITEMS_MAX, 1),
        tt_spec_end(),
    };
    if ((rc = tt_spec_parse_body(req, spec, resp)) < 0)
        return rc;
    size_t n = json_array_size(items);
    if (n == 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "items", "'items' must hold at least one item");
    struct batch_ctx *x = ctx_new(req, resp, n);
    if (!x)
        return tt__api_nomem(resp);
    if ((rc = parse_all(x, p, items, resp)) < 0) {
        ctx_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

int tt_api_consent_batch(struct tt_req *req, struct tt_resp *resp)
{
    /* the items point at the policy's purposes until tt_consent_write_fill has copied what the
     * writes need: the policy is held until then (a reload meanwhile keeps it alive) */
    struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
    struct batch_ctx *x = NULL;
    int rc = scan_items(req, resp, ref->policy, &x);
    if (rc == NOT_SCANNED)
        rc = parse_items(req, resp, ref->policy, &x);
    int any_evidence = 0;
    for (size_t i = 0; rc == 0 && i < x->n; i++)
        any_evidence |= x->it[i].page || x->it[i].user_agent || x->it[i].ip;
    if (rc == 0 && any_evidence && !(x->sealed = calloc(x->n, sizeof *x->sealed)))
        rc = tt__api_nomem(resp);
    if (rc == 0)
        rc = fill_all(x, resp);
    tt_app_policy_release(ref);
    if (rc < 0) {
        ctx_free(x);
        return rc;
    }
    size_t n = x->n;
    for (size_t i = 0; i < n; i++)
        x->list[i] = &x->w[i];
    /* one caller: every event of the request commits in one transaction, or none (S8.2) */
    if (tt_req_defer(req) == 0 &&
        tt_consent_submit_async(req->app->store, x->list, n, batch_recorded, x) == 0)
        return TT_HTTP_DEFERRED;
    return batch_finish(x, tt_consent_submit(req->app->store, x->list, n));
}
