/* SPDX-License-Identifier: Apache-2.0 */
/* decisions.c — POST /v1/decisions: one request or {"items": [...]} (up to 10,000), each
 * {subject | identifier {type, value}, purpose, data_category?, service?, recipient?}, answered
 * from the in-memory index by core/decide (S1.1, S2.1, S4.3, S4.4, S5.1, S7, S8.2, S8.3, S10.1).
 * The route takes its JSON raw: the usual shape is read by the scanner of decisions_scan.h
 * (no JSON tree, no allocation per item); any other body, and any item the fast path would
 * refuse, goes through jansson and the field specs, which name the item and field at fault.
 * Every item is checked before any is decided, then all are decided in one tt_decide_batch
 * (slots prefetched ahead); denied decisions are audited (one summarising event per batch,
 * counts per reason, never an identifier). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decide.h"
#include "../core/error.h"
#include "../core/ident.h"
#include "app.h"
#include "common.h"
#include "decisions_int.h"
#include "decisions_scan.h"
#include "handlers.h"
#include "spec.h"

#define DECISION_BATCH_MAX 10000u
#define IDENT_VALUE_MAX 512u /* a raw identifier value, as identities.c takes it */

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

/* The checks of one item after its shape (prefix "items/N/" or "" names it in problems):
 * exactly one of subject and identifier, a subject id's syntax, known category and service. */
static int check_item(const struct tt_policy *p, const char *prefix, const char *subject,
                      int has_ident, const char *category, const char *service,
                      struct tt_resp *resp)
{
    char field[96];
    if (!subject == !has_ident) {
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
    return 0;
}

/* The request of a checked item; an identifier's blind index is already in blind. */
static void fill(struct tt_decision_request *r, const char *tenant_id,
                 const struct tt_dscan_item *it, int ident_type, const char *blind)
{
    memset(r, 0, sizeof *r);
    if (blind) {
        r->ident_type = ident_type;
        r->ident_blind_hex = blind;
    }
    r->tenant_id = tenant_id;
    r->subject_id = it->subject;
    r->purpose = it->purpose;
    r->data_category = it->data_category;
    r->service = it->service;
    r->recipient = it->recipient;
}

/* Checks one parsed item (prefix "items/N/" or "") into r. Returns 0 or a problem. */
static int parse_item(struct tt_app *app, const struct tt_policy *p, const char *tenant_id,
                      const json_t *obj, const char *prefix, struct tt_decision_request *r,
                      char blind[TT_HASH_HEX], struct tt_resp *resp)
{
    struct tt_dscan_item it = {0};
    const json_t *ident = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("subject", &it.subject, 0),
        tt_spec_object("identifier", &ident, 0),
        tt_spec_key("purpose", &it.purpose, 1),
        tt_spec_key("data_category", &it.data_category, 0),
        tt_spec_key("service", &it.service, 0),
        tt_spec_key("recipient", &it.recipient, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse(obj, spec, prefix, resp);
    if (rc == 0)
        rc = check_item(p, prefix, it.subject, ident != NULL, it.data_category, it.service, resp);
    if (rc < 0)
        return rc;
    struct tt__api_identity id = {0};
    if (ident) {
        char iprefix[96];
        snprintf(iprefix, sizeof iprefix, "%sidentifier/", prefix);
        rc = tt__api_identity_parse(ident, iprefix, &id, resp);
        if (rc < 0)
            return rc;
        tt_vault_blind(app->master, tenant_id, id.i.type, id.norm, blind);
        sodium_memzero(id.norm, sizeof id.norm);
    }
    fill(r, tenant_id, &it, (int)id.i.type, ident ? blind : NULL);
    return 0;
}

/* The last category and service the fast path found in the policy: items of a batch mostly
 * repeat them, and one strcmp then replaces a walk of the policy's list. */
struct known {
    const char *category, *service;
};

static const char *unless_known(const char *s, const char *known)
{
    return s && known && strcmp(s, known) == 0 ? NULL : s;
}

/* The fast path's item: the checks of parse_item over the scanned strings. Returns 0, or -1
 * when parse_item would refuse it (the caller then takes the slow path, which says why). */
static int scanned_item(struct tt_app *app, const struct tt_policy *p, const char *tenant_id,
                        const struct tt_dscan_item *it, struct tt_decision_request *r,
                        char blind[TT_HASH_HEX], struct known *known)
{
    const char *keys[] = {it->subject, it->purpose,   it->data_category,
                          it->service, it->recipient, it->ident_type};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i] && strlen(keys[i]) > TT_KEY_MAX - 1)
            return -1;
    struct tt_resp scratch;
    if (!it->purpose || check_item(p, "", it->subject, it->ident_type != NULL,
                                   unless_known(it->data_category, known->category),
                                   unless_known(it->service, known->service), &scratch) < 0)
        return -1;
    if (it->data_category)
        known->category = it->data_category;
    if (it->service)
        known->service = it->service;
    enum tt_identity_type type = 0;
    if (it->ident_type) {
        char norm[TT_IDENT_MAX];
        if (strlen(it->ident_value) > IDENT_VALUE_MAX ||
            tt_identity_type_parse(it->ident_type, &type) < 0 ||
            tt_ident_normalise(type, it->ident_value, NULL, norm) < 0) {
            sodium_memzero(norm, sizeof norm);
            return -1;
        }
        tt_vault_blind(app->master, tenant_id, type, norm, blind);
        sodium_memzero(norm, sizeof norm);
    }
    fill(r, tenant_id, it, (int)type, it->ident_type ? blind : NULL);
    return 0;
}

/* The batch's four arrays in one block (each element size a multiple of the next one's
 * alignment); NULL when out of memory. */
static char *batch_alloc(size_t n, struct batch *b)
{
    size_t m = n ? n : 1;
    char *block = malloc(m * (sizeof(struct tt_decision_request) + sizeof(struct tt_decision) +
                              sizeof(int) + TT_HASH_HEX));
    if (!block)
        return NULL;
    b->r = (struct tt_decision_request *)block;
    b->d = (struct tt_decision *)(b->r + m);
    b->lookup = (int *)(b->d + m);
    b->blind = (char(*)[TT_HASH_HEX])(b->lookup + m);
    return block;
}

/* Decides the n checked requests of b, refuses a subject of another tenant (404 naming the
 * item), audits the denied ones and writes the answer. */
static int decide(struct tt_req *req, struct tt_resp *resp, const struct tt_policy_ref *ref,
                  struct batch *b, size_t n, int batch)
{
    const struct tt_policy *p = ref->policy;
    tt_time now = tt_now(&req->app->clock);
    if (tt_decide_batch_ex(p, ref->index, now, b->r, n, b->d, b->lookup) < 0)
        return tt_problem(resp, TT_E_INTERNAL, "", "the decision engine refused the batch");
    for (size_t i = 0; i < n; i++) {
        if (b->lookup[i] == TT_INDEX_OTHER_TENANT) {
            char field[96] = "subject";
            if (batch)
                snprintf(field, sizeof field, "items/%zu/subject", i);
            return tt_problem(resp, TT_E_NOT_FOUND, field, "no such subject in this tenant");
        }
    }
    int rc = tt__decisions_reply(b->d, n, batch, resp);
    if (rc == 0) /* a single decision names its subject id (an id, not a personal value) */
        rc = tt__decisions_audit(req, b->d, n, batch, batch ? NULL : b->r[0].subject_id,
                                 batch ? NULL : b->r[0].purpose, p->version, now, resp);
    return rc;
}

#define NOT_SCANNED 2 /* neither 0, a problem nor TT_HTTP_DEFERRED */
_Static_assert(NOT_SCANNED != TT_HTTP_DEFERRED, "the fast path's refusal is its own code");

/* The fast path: the body scanned without a JSON tree. Returns NOT_SCANNED when the body or an
 * item is outside what it takes (the slow path then answers), else as the handler. */
static int decide_scanned(struct tt_req *req, struct tt_resp *resp, const struct tt_policy_ref *ref)
{
    if (!req->body)
        return NOT_SCANNED;
    size_t room = tt_dscan_room(req->body, req->body_len);
    if (room == 0 || room > DECISION_BATCH_MAX + 1)
        room = DECISION_BATCH_MAX + 1;
    char *scan = malloc(req->body_len + 1 + room * sizeof(struct tt_dscan_item));
    if (!scan)
        return tt__api_nomem(resp);
    struct tt_dscan_item *items = (struct tt_dscan_item *)scan;
    char *arena = scan + room * sizeof *items;
    int batch = 0;
    long n = tt_dscan(req->body, req->body_len, arena, items, room, DECISION_BATCH_MAX, &batch);
    struct batch b = {0};
    char *block = n >= 0 ? batch_alloc((size_t)n, &b) : NULL;
    int rc = n < 0 ? NOT_SCANNED : block ? 0 : tt__api_nomem(resp);
    struct known known = {0};
    for (long i = 0; i < n && rc == 0; i++)
        if (scanned_item(req->app, ref->policy, req->auth.tenant_id, &items[i], &b.r[i], b.blind[i],
                         &known) < 0)
            rc = NOT_SCANNED;
    if (rc == 0)
        rc = decide(req, resp, ref, &b, (size_t)n, batch);
    free(block);
    free(scan);
    return rc;
}

/* The slow path: the body parsed by jansson, each item checked by its field specs. */
static int decide_parsed(struct tt_req *req, struct tt_resp *resp, const struct tt_policy_ref *ref)
{
    int rc = tt_req_parse_json(req, resp);
    if (rc < 0)
        return rc;
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
        rc = tt_spec_parse(body, spec, "", resp);
        if (rc < 0)
            return rc;
        if (json_array_size(items_json) > DECISION_BATCH_MAX) /* the spec's cap, restated */
            return tt_problem(resp, TT_E_BATCH_TOO_LARGE, "items", "at most %u items",
                              DECISION_BATCH_MAX);
    }
    size_t n = batch ? json_array_size(items_json) : 1;
    struct batch b;
    char *block = batch_alloc(n, &b);
    if (!block)
        return tt__api_nomem(resp);
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
        rc = parse_item(req->app, ref->policy, req->auth.tenant_id, obj, prefix, &b.r[i],
                        b.blind[i], resp);
    }
    if (rc == 0)
        rc = decide(req, resp, ref, &b, n, batch);
    free(block);
    return rc;
}

int tt_api_decide(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_policy_ref *ref = tt_app_policy_acquire(req->app);
    int rc = decide_scanned(req, resp, ref);
    if (rc == NOT_SCANNED)
        rc = decide_parsed(req, resp, ref);
    tt_app_policy_release(ref);
    return rc;
}
