/* SPDX-License-Identifier: Apache-2.0 */
/* decisions.c — POST /v1/decisions: one request or {"items": [...]} (up to 10,000), each
 * {subject | identifier {type, value}, purpose, data_category?, service?, recipient?}, answered
 * from the in-memory index by core/decide (S1.1, S2.1, S4.3, S4.4, S5.1, S7, S8.2, S8.3, S10.1).
 * Every item is checked before any is decided, then all are decided in one tt_decide_batch
 * (slots prefetched ahead); denied decisions are audited (one summarising event per batch,
 * counts per reason, never an identifier). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decide.h"
#include "../core/error.h"
#include "app.h"
#include "audit.h"
#include "common.h"
#include "handlers.h"
#include "spec.h"

#define DECISION_BATCH_MAX 10000u

/* The parsed batch: requests and answers side by side in arrays, as tt_decide_batch takes them;
 * blind[i] holds item i's blind index when it names an identifier. */
struct batch {
    struct tt_decision_request *r;
    struct tt_decision *d;
    int *lookup;
    char (*blind)[TT_HASH_HEX];
};

static int in_list(const char *key, size_t n, const void *base, size_t stride)
{
    for (size_t i = 0; i < n; i++) {
        const char *k = *(const char *const *)((const char *)base + i * stride);
        if (strcmp(k, key) == 0)
            return 1;
    }
    return 0;
}

/* Checks one item (prefix "items/N/" or "") into it. Returns 0 or a problem. */
static int parse_item(struct tt_app *app, const struct tt_policy *p, const char *tenant_id,
                      const json_t *obj, const char *prefix, struct tt_decision_request *r,
                      char blind[TT_HASH_HEX], struct tt_resp *resp)
{
    const char *subject = NULL, *purpose = NULL, *category = NULL, *service = NULL,
               *recipient = NULL;
    const json_t *ident = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("subject", &subject, 0),
        tt_spec_object("identifier", &ident, 0),
        tt_spec_key("purpose", &purpose, 1),
        tt_spec_key("data_category", &category, 0),
        tt_spec_key("service", &service, 0),
        tt_spec_key("recipient", &recipient, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse(obj, spec, prefix, resp);
    if (rc < 0)
        return rc;
    char field[96];
    if (!subject == !ident) {
        snprintf(field, sizeof field, "%ssubject", prefix);
        return tt_problem(resp, subject ? TT_E_BAD_FIELD : TT_E_MISSING_FIELD, field,
                          "give exactly one of '%ssubject' and '%sidentifier'", prefix, prefix);
    }
    if (subject && !tt__api_id_ok(subject, "sub_")) {
        snprintf(field, sizeof field, "%ssubject", prefix);
        return tt_problem(resp, TT_E_BAD_FIELD, field, "'%s' must be a subject id (sub_…)", field);
    }
    if (category && !in_list(category, p->n_categories, p->categories, sizeof *p->categories)) {
        snprintf(field, sizeof field, "%sdata_category", prefix);
        return tt_problem(resp, TT_E_UNKNOWN_CATEGORY, field, "no data category '%s' in policy %s",
                          category, p->version);
    }
    if (service && !in_list(service, p->n_services, p->services, sizeof *p->services)) {
        snprintf(field, sizeof field, "%sservice", prefix);
        return tt_problem(resp, TT_E_UNKNOWN_SERVICE, field, "no service '%s' in policy %s",
                          service, p->version);
    }
    memset(r, 0, sizeof *r);
    if (ident) {
        char iprefix[96];
        snprintf(iprefix, sizeof iprefix, "%sidentifier/", prefix);
        struct tt__api_identity id;
        rc = tt__api_identity_parse(ident, iprefix, &id, resp);
        if (rc < 0)
            return rc;
        tt_vault_blind(app->master, tenant_id, id.i.type, id.norm, blind);
        sodium_memzero(id.norm, sizeof id.norm);
        r->ident_type = (int)id.i.type;
        r->ident_blind_hex = blind;
    }
    r->tenant_id = tenant_id;
    r->subject_id = subject;
    r->purpose = purpose;
    r->data_category = category;
    r->service = service;
    r->recipient = recipient;
    return 0;
}

static json_t *decision_json(const struct tt_decision *d)
{
    json_t *reasons = json_array();
    const char *names[TT_REASON__COUNT];
    unsigned n = tt_reason_names(d->reasons, names);
    for (unsigned i = 0; reasons && i < n; i++)
        json_array_append_new(reasons, json_string(names[i]));
    if (!reasons)
        return NULL;
    return json_pack("{s:b, s:s, s:o, s:s}", "allow", d->allow, "legal_basis",
                     tt_decision_basis_name(d->legal_basis), "reasons", reasons, "policy_version",
                     d->policy_version ? d->policy_version : "");
}

/* The batch reply written straight into one buffer: {"results":[{…},…]} with the fields and
 * order of decision_json, compact as the server's jansson dump. Reason and basis names are fixed
 * codes (copied as they are); policy_version is escaped once by jansson. */
struct out {
    char *p;
    size_t len, cap;
};

static int out_reserve(struct out *o, size_t cap)
{
    if (cap <= o->cap)
        return 0;
    char *np = realloc(o->p, cap);
    if (!np)
        return -1;
    o->p = np;
    o->cap = cap;
    return 0;
}

static int out_put(struct out *o, const char *s, size_t n)
{
    if (n > o->cap - o->len) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap - o->len < n)
            cap *= 2;
        if (out_reserve(o, cap) < 0)
            return -1;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    return 0;
}

#define OUT_LIT(o, lit) out_put((o), (lit), sizeof(lit) - 1)

/* pv as a JSON string literal (quotes included), escaped by jansson; malloc'd, NULL on failure. */
static char *quoted(const char *pv, size_t *len)
{
    json_t *j = json_string(pv ? pv : "");
    size_t n = j ? json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
    char *q = n ? malloc(n) : NULL;
    if (q && json_dumpb(j, q, n, JSON_COMPACT | JSON_ENCODE_ANY) != n) {
        free(q);
        q = NULL;
    }
    json_decref(j);
    *len = q ? n : 0;
    return q;
}

static int batch_reply(const struct tt_decision *d, size_t n, struct tt_resp *resp)
{
    const char *pv = NULL;
    char *pvq = NULL;
    size_t pvq_len = 0;
    struct out o = {0};
    int bad = OUT_LIT(&o, "{\"results\":[");
    for (size_t i = 0; i < n && !bad; i++) {
        const char *v = d[i].policy_version ? d[i].policy_version : "";
        if (!pvq || v != pv) {
            free(pvq);
            pv = v;
            if (!(pvq = quoted(pv, &pvq_len))) {
                bad = 1;
                break;
            }
        }
        if (i == 0) /* one allocation for the whole batch in the usual case */
            bad |= out_reserve(&o, n * (160 + pvq_len) + 16);
        if (i)
            bad |= OUT_LIT(&o, ",");
        if (d[i].allow)
            bad |= OUT_LIT(&o, "{\"allow\":true,\"legal_basis\":\"");
        else
            bad |= OUT_LIT(&o, "{\"allow\":false,\"legal_basis\":\"");
        const char *basis = tt_decision_basis_name(d[i].legal_basis);
        bad |= out_put(&o, basis, strlen(basis));
        bad |= OUT_LIT(&o, "\",\"reasons\":[");
        const char *names[TT_REASON__COUNT];
        unsigned k = tt_reason_names(d[i].reasons, names);
        for (unsigned j = 0; j < k; j++) {
            bad |= out_put(&o, j ? ",\"" : "\"", j ? 2 : 1);
            bad |= out_put(&o, names[j], strlen(names[j]));
            bad |= OUT_LIT(&o, "\"");
        }
        bad |= OUT_LIT(&o, "],\"policy_version\":");
        bad |= out_put(&o, pvq, pvq_len);
        bad |= OUT_LIT(&o, "}");
    }
    if (!bad)
        bad = OUT_LIT(&o, "]}");
    free(pvq);
    if (bad) {
        free(o.p);
        return tt__api_nomem(resp);
    }
    resp->status = 200;
    resp->raw = o.p;
    resp->raw_len = o.len;
    resp->content_type = "application/json";
    return 0;
}

/* Audits the denied decisions: one event, counts per reason, no identifier. */
static int audit_denied(struct tt_req *req, const struct batch *b, size_t n, int batch,
                        const struct tt_policy *p, tt_time now, struct tt_resp *resp)
{
    size_t denied = 0, per[TT_REASON__COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        if (b->d[i].allow)
            continue;
        denied++;
        for (int k = 0; k < TT_REASON__COUNT; k++)
            per[k] += (b->d[i].reasons >> k) & 1u;
    }
    if (!denied)
        return 0;
    json_t *reasons = json_object();
    for (int k = 0; reasons && k < TT_REASON__COUNT; k++)
        if (per[k])
            json_object_set_new(reasons, tt_reason_name((enum tt_reason)k),
                                json_integer((json_int_t)per[k]));
    json_t *detail =
        reasons ? json_pack("{s:I, s:I, s:o, s:s}", "items", (json_int_t)n, "denied",
                            (json_int_t)denied, "reasons", reasons, "policy_version", p->version)
                : NULL;
    if (!detail)
        return tt__api_nomem(resp);
    if (!batch)
        json_object_set_new(detail, "purpose", json_string(b->r[0].purpose));
    /* a single decision names its subject id (an id, not a personal value); an identifier
     * decision names nothing */
    const char *target = !batch && b->r[0].subject_id ? b->r[0].subject_id : "";
    int rc = tt_audit_emit_now(req->app->store, req->auth.tenant_id, now, req->auth.key_id,
                               batch ? "decision.batch.denied" : "decision.denied", target, detail);
    json_decref(detail);
    if (rc < 0)
        return tt_problem(resp, -rc, "", "the audit trail could not be written");
    return 0;
}

int tt_api_decide(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    const json_t *body = req->json;
    if (!json_is_object(body))
        return tt_problem(resp, TT_E_BAD_JSON, "", "the body must be a JSON object");
    const json_t *items_json = json_object_get(body, "items");
    int batch = items_json != NULL;
    if (batch) {
        struct tt_spec spec[] = {
            tt_spec_array("items", &items_json, DECISION_BATCH_MAX, 1),
            tt_spec_end(),
        };
        int rc = tt_spec_parse(body, spec, "", resp);
        if (rc < 0)
            return rc;
        if (json_array_size(items_json) > DECISION_BATCH_MAX) /* the spec's cap, restated */
            return tt_problem(resp, TT_E_BATCH_TOO_LARGE, "items", "at most %u items",
                              DECISION_BATCH_MAX);
    }
    size_t n = batch ? json_array_size(items_json) : 1;
    size_t m = n ? n : 1;
    /* one block for the four arrays (each element size a multiple of the next one's alignment) */
    char *block = calloc(m, sizeof(struct tt_decision_request) + sizeof(struct tt_decision) +
                                TT_HASH_HEX + sizeof(int));
    if (!block)
        return tt__api_nomem(resp);
    struct batch b = {.r = (struct tt_decision_request *)block};
    b.d = (struct tt_decision *)(b.r + m);
    b.lookup = (int *)(b.d + m);
    b.blind = (char(*)[TT_HASH_HEX])(b.lookup + m);
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    const struct tt_policy *p = ref->policy;
    const char *tenant_id = req->auth.tenant_id;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char prefix[32] = "";
        if (batch)
            snprintf(prefix, sizeof prefix, "items/%zu/", i);
        const json_t *obj = batch ? json_array_get(items_json, i) : body;
        if (!json_is_object(obj)) {
            prefix[strlen(prefix) - 1] = 0;
            rc = tt_problem(resp, TT_E_WRONG_TYPE, prefix, "'%s' must be an object", prefix);
            break;
        }
        rc = parse_item(app, p, tenant_id, obj, prefix, &b.r[i], b.blind[i], resp);
    }
    tt_time now = tt_now(&app->clock);
    if (rc == 0 && tt_decide_batch_ex(p, ref->index, now, b.r, n, b.d, b.lookup) < 0)
        rc = tt_problem(resp, TT_E_INTERNAL, "", "the decision engine refused the batch");
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (b.lookup[i] == TT_INDEX_OTHER_TENANT) {
            char field[96] = "subject";
            if (batch)
                snprintf(field, sizeof field, "items/%zu/subject", i);
            rc = tt_problem(resp, TT_E_NOT_FOUND, field, "no such subject in this tenant");
        }
    }
    if (rc == 0)
        rc = audit_denied(req, &b, n, batch, p, now, resp);
    json_t *out = NULL;
    if (rc == 0 && batch)
        rc = batch_reply(b.d, n, resp);
    else if (rc == 0 && !(out = decision_json(&b.d[0])))
        rc = tt__api_nomem(resp);
    tt_app_policy_release(ref);
    free(block);
    if (rc < 0 || batch)
        return rc;
    return tt_reply(resp, 200, out);
}
