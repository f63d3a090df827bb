/* SPDX-License-Identifier: Apache-2.0 */
/* records.c — personal data as the policy lets it exist (S1.1, S2.1, S3.2, S3.5): each record
 * names its service, data category, purpose, legal basis and source, is checked against the
 * policy's data map, gets its retention end (S7), and is sealed under its subject's key. Written
 * one at a time or in batches of up to 1,000 (one transaction, all or nothing); read back only
 * for a stated purpose that may use it, and every read is audited. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../jobs/feed.h"
#include "../core/decide.h"
#include "../core/error.h"
#include "../core/retention.h"
#include "app.h"
#include "audit.h"
#include "common.h"
#include "handlers.h"
#include "hooks.h"
#include "spec.h"

#define RECORD_VALUE_MAX (64u * 1024u)
#define RECORD_BATCH_MAX 1000

/* One record on its way in. */
struct rec_in {
    struct tt_record r;
    const char *subject; /* batch: the subject id as sent */
    const char *basis;   /* as sent, or NULL */
    const char *value;   /* borrowed from the request JSON */
    size_t value_len;
    const struct tt_purpose *pu;
    const struct tt_category *cat;
    const struct tt_service *sv;
    int slot;        /* batch: index of its subject */
    uint8_t *sealed; /* malloc'd; backs r.value_enc */
};

static int problem_at(struct tt_resp *resp, int code, const char *prefix, const char *name,
                      const char *detail)
{
    char field[96];
    snprintf(field, sizeof(field), "%s%s", prefix, name);
    return tt_problem(resp, code, field, "'%s': %s", field, detail);
}

/* The body (or batch item) checks that need no store: shape, policy keys, data map (S3.5),
 * purpose limitation (S1.1), sale (S4.4), source (S3.2), times. */
static int parse_record(const struct tt_policy *p, const json_t *obj, const char *prefix, int batch,
                        tt_time now, struct rec_in *in, struct tt_resp *resp)
{
    const char *service = NULL, *category = NULL, *purpose = NULL, *source = NULL;
    const char *collected = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("service", &service, 1),
        tt_spec_key("data_category", &category, 1),
        tt_spec_key("purpose", &purpose, 1),
        tt_spec_key("legal_basis", &in->basis, 0),
        tt_spec_key("source", &source, 0),
        tt_spec_string_max("collected_at", &collected, 40, 0),
        tt_spec_string_max("value", &in->value, RECORD_VALUE_MAX, 1),
        batch ? tt_spec_key("subject", &in->subject, 1) : tt_spec_end(),
        tt_spec_end(),
    };
    int rc = tt_spec_parse(obj, spec, prefix, resp);
    if (rc < 0)
        return rc;
    in->value_len = strlen(in->value);
    in->sv = tt_policy_service(p, service);
    if (!in->sv)
        return problem_at(resp, TT_E_UNKNOWN_SERVICE, prefix, "service", "not in the policy");
    in->cat = tt_policy_category(p, category);
    if (!in->cat)
        return problem_at(resp, TT_E_UNKNOWN_CATEGORY, prefix, "data_category",
                          "not in the policy's taxonomy");
    in->pu = tt_policy_purpose(p, purpose);
    if (!in->pu)
        return problem_at(resp, TT_E_UNKNOWN_PURPOSE, prefix, "purpose", "not in the policy");
    if (!source)
        source = "direct";
    if (!tt_policy_source(p, source))
        return problem_at(resp, TT_E_UNKNOWN_SOURCE, prefix, "source", "not in the policy");
    if (!tt_policy_service_has_category(in->sv, category))
        return problem_at(resp, TT_E_NOT_ALLOWED_BY_POLICY, prefix, "data_category",
                          "the service's data map does not list this category");
    if (!tt_policy_service_has_purpose(in->sv, purpose))
        return problem_at(resp, TT_E_NOT_ALLOWED_BY_POLICY, prefix, "purpose",
                          "the service's data map does not list this purpose");
    if (!tt_policy_purpose_allows_category(in->pu, category))
        return problem_at(resp, TT_E_NOT_ALLOWED_BY_POLICY, prefix, "data_category",
                          "the purpose may not use this category");
    if (in->pu->sale) /* S4.4: personal data is never sold */
        return problem_at(resp, TT_E_NOT_ALLOWED_BY_POLICY, prefix, "purpose",
                          "selling personal data is refused");
    enum tt_basis b;
    if (in->basis && (tt_basis_parse(in->basis, &b) < 0 || b == TT_BASIS_NONE))
        return problem_at(resp, TT_E_BAD_FIELD, prefix, "legal_basis",
                          "must be consent, contract, legal_obligation or legitimate_interest");
    tt_time at = now;
    if (collected && (tt_time_parse(collected, &at) < 0 || at <= 0 || at > now + TT_CLOCK_SKEW_S))
        return problem_at(resp, TT_E_BAD_FIELD, prefix, "collected_at",
                          "must be an RFC 3339 time, not in the future");

    struct tt_record *r = &in->r;
    tt_id_new("rec_", r->id);
    tt__api_copy(r->service, sizeof(r->service), in->sv->key);
    tt__api_copy(r->data_category, sizeof(r->data_category), in->cat->key);
    tt__api_copy(r->purpose, sizeof(r->purpose), in->pu->key);
    tt__api_copy(r->source, sizeof(r->source), source);
    r->collected_at = at;
    r->created_at = now;
    return 0;
}

/* The checks that need the subject: the legal basis of its jurisdiction (S2.1, S2.2), the
 * retention end (S7); then the value is sealed under its key. */
static int bind_record(const struct tt_policy *p, const struct tt_subject *s,
                       const uint8_t key[TT_KEY_BYTES], const char *prefix, struct rec_in *in,
                       struct tt_resp *resp)
{
    struct tt_record *r = &in->r;
    enum tt_basis expected = tt_policy_basis_for(p, in->pu, s->jurisdiction);
    if (expected == TT_BASIS_NONE)
        return problem_at(resp, TT_E_NOT_ALLOWED_BY_POLICY, prefix, "purpose",
                          "the purpose has no legal basis in the subject's jurisdiction");
    if (in->basis && strcmp(in->basis, tt_basis_name(expected)) != 0)
        return problem_at(resp, TT_E_NOT_ALLOWED_BY_POLICY, prefix, "legal_basis",
                          "differs from the policy's basis for the subject's jurisdiction");
    if (expected == TT_BASIS_LEGITIMATE_INTEREST && in->cat->special) /* S2.2 */
        return problem_at(resp, TT_E_NOT_ALLOWED_BY_POLICY, prefix, "data_category",
                          "legitimate interest never covers special-category data");
    r->legal_basis = expected;
    tt__api_copy(r->tenant_id, sizeof(r->tenant_id), s->tenant_id);
    tt__api_copy(r->subject_id, sizeof(r->subject_id), s->id);
    const struct tt_retention *rule =
        tt_retention_rule_for(p, in->sv->key, in->cat->key, in->pu->key); /* issue 6, S7.0 */
    r->retention_until = rule ? tt_retention_end(rule, s->jurisdiction, r->collected_at) : 0;

    in->sealed = malloc(in->value_len + TT_SEAL_OVERHEAD);
    if (!in->sealed)
        return tt__api_nomem(resp);
    char ad[TT_VALUE_AD_MAX];
    tt__api_value_ad(s->tenant_id, s->id, r->id, ad);
    if (tt_vault_seal(key, (const uint8_t *)in->value, in->value_len, ad, in->sealed) < 0)
        return tt_problem(resp, TT_E_CRYPTO, "", "sealing failed; nothing was changed");
    r->value_enc = in->sealed;
    r->value_enc_len = in->value_len + TT_SEAL_OVERHEAD;
    return 0;
}

/* A subject the records of one request go to. */
struct slot {
    struct tt_subject s;     /* as loaded before the transaction */
    struct tt_subject fresh; /* as re-read inside it, with the new horizon */
    tt_time horizon;         /* latest retention end of the new records */
    int n_records;
    int changed;    /* the horizon moved: subject updated */
    int first_item; /* for problems */
};

struct write_ctx {
    struct rec_in *in;
    size_t n_in;
    struct slot *slots;
    size_t n_slots;
    const char *actor;
    tt_time now;
    int gone; /* slot index of a subject erased or deleted meanwhile, or -1 */
};

static enum tt_qs write_txn(struct tt_store_conn *c, void *cls)
{
    struct write_ctx *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    x->gone = -1;
    for (size_t k = 0; k < x->n_slots; k++) {
        struct slot *sl = &x->slots[k];
        enum tt_qs qs = ops->subject_get(c, sl->s.tenant_id, sl->s.id, &sl->fresh);
        if (qs < 0)
            return qs;
        if (qs == TT_QS_NONE || sl->fresh.erased_at != 0) {
            x->gone = (int)k;
            return TT_QS_HARD;
        }
        sl->changed = 0;
    }
    for (size_t i = 0; i < x->n_in; i++) {
        enum tt_qs qs = ops->record_put(c, &x->in[i].r);
        if (qs <= 0)
            return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    for (size_t k = 0; k < x->n_slots; k++) {
        struct slot *sl = &x->slots[k];
        if (sl->horizon > sl->fresh.retention_until) {
            sl->fresh.retention_until = sl->horizon;
            sl->fresh.updated_at = x->now;
            enum tt_qs qs = ops->subject_update(c, &sl->fresh);
            if (qs <= 0)
                return qs == TT_QS_NONE ? TT_QS_HARD : qs;
            /* the other nodes' indexes learn the new horizon too (issue 9) */
            qs = tt_feed_append(c, sl->fresh.tenant_id, TT_FEED_SUBJECT, sl->fresh.id);
            if (qs < 0)
                return qs;
            sl->changed = 1;
        }
        json_t *detail;
        if (x->n_in == 1) {
            const struct tt_record *r = &x->in[0].r;
            detail = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "record", r->id, "service",
                               r->service, "data_category", r->data_category, "purpose", r->purpose,
                               "legal_basis", tt_basis_name(r->legal_basis), "source", r->source);
        } else {
            detail = json_pack("{s:i, s:b}", "records", sl->n_records, "batch", 1);
        }
        if (!detail)
            return TT_QS_HARD;
        enum tt_qs qs =
            tt_audit_emit(c, sl->s.tenant_id, x->now, x->actor, "record.create", sl->s.id, detail);
        json_decref(detail);
        if (qs < 0)
            return qs;
    }
    return TT_QS_ONE;
}

static void free_inputs(struct rec_in *in, size_t n)
{
    for (size_t i = 0; in && i < n; i++)
        free(in[i].sealed);
}

/* Commits x; on success calls the hooks. Returns 0 or a problem. */
static int commit_records(struct tt_app *app, struct tt_store_conn *c, struct write_ctx *x,
                          int batch, struct tt_resp *resp)
{
    enum tt_qs qs = tt_store_txn(c, write_txn, x);
    if (x->gone >= 0) {
        char field[48];
        if (batch)
            snprintf(field, sizeof(field), "items/%d/subject", x->slots[x->gone].first_item);
        else
            snprintf(field, sizeof(field), "id");
        return tt_problem(resp, TT_E_NOT_FOUND, field, "no such subject in this tenant");
    }
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    for (size_t k = 0; k < x->n_slots; k++) {
        if (x->slots[k].changed)
            tt_hook_subject_changed(app, &x->slots[k].fresh);
    }
    return 0;
}

int tt_api_record_create(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    tt_time now = tt_now(&app->clock);
    struct tt_policy_ref *pref = tt_app_policy_acquire(app);
    struct rec_in in = {0};
    struct slot sl = {0};
    uint8_t key[TT_KEY_BYTES];
    int have_key = 0;
    struct tt_store_conn *c = NULL;
    int rc = req->json ? parse_record(pref->policy, req->json, "", 0, now, &in, resp)
                       : tt_problem(resp, TT_E_BAD_JSON, "", "a JSON object body is required");
    if (rc == 0) {
        c = tt_store_acquire(app->store);
        rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &sl.s,
                                  resp);
    }
    if (rc == 0) {
        rc = tt__api_subject_key(app, c, &sl.s, key, resp);
        have_key = rc == 0;
    }
    if (rc == 0)
        rc = bind_record(pref->policy, &sl.s, key, "", &in, resp);
    if (have_key)
        sodium_memzero(key, sizeof(key));
    tt_app_policy_release(pref);
    if (rc == 0) {
        sl.horizon = in.r.retention_until;
        sl.n_records = 1;
        struct write_ctx x = {.in = &in,
                              .n_in = 1,
                              .slots = &sl,
                              .n_slots = 1,
                              .actor = req->auth.key_id,
                              .now = now};
        rc = commit_records(app, c, &x, 0, resp);
    }
    tt_store_release(c);
    free(in.sealed);
    if (rc < 0)
        return rc;
    json_t *body = tt__api_record_json(&in.r);
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->location, sizeof(resp->location), "/v1/subjects/%s/records", in.r.subject_id);
    return tt_reply(resp, 201, body);
}

int tt_api_record_batch(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    const json_t *items = NULL;
    struct tt_spec spec[] = {
        tt_spec_array("items", &items, RECORD_BATCH_MAX, 1),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    size_t n = json_array_size(items);
    if (n == 0)
        return tt_problem(resp, TT_E_BAD_FIELD, "items", "'items' must not be empty");

    tt_time now = tt_now(&app->clock);
    struct rec_in *in = calloc(n, sizeof(*in));
    struct slot *slots = calloc(n, sizeof(*slots));
    uint8_t(*keys)[TT_KEY_BYTES] = sodium_malloc(n * TT_KEY_BYTES);
    if (!in || !slots || !keys) {
        free(in);
        free(slots);
        sodium_free(keys);
        return tt__api_nomem(resp);
    }
    struct tt_policy_ref *pref = tt_app_policy_acquire(app);
    char prefix[32];
    for (size_t i = 0; i < n && rc == 0; i++) {
        snprintf(prefix, sizeof(prefix), "items/%zu/", i);
        rc = parse_record(pref->policy, json_array_get(items, i), prefix, 1, now, &in[i], resp);
    }
    struct tt_store_conn *c = rc == 0 ? tt_store_acquire(app->store) : NULL;
    size_t n_slots = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t k = 0;
        while (k < n_slots && strcmp(slots[k].s.id, in[i].subject) != 0)
            k++;
        snprintf(prefix, sizeof(prefix), "items/%zu/", i);
        if (k == n_slots) {
            char field[48];
            snprintf(field, sizeof(field), "%ssubject", prefix);
            rc = tt__api_subject_load(c, req->auth.tenant_id, in[i].subject, field, &slots[k].s,
                                      resp);
            if (rc == 0)
                rc = tt__api_subject_key(app, c, &slots[k].s, keys[k], resp);
            if (rc < 0)
                break;
            slots[k].first_item = (int)i;
            n_slots++;
        }
        rc = bind_record(pref->policy, &slots[k].s, keys[k], prefix, &in[i], resp);
        if (rc == 0) {
            slots[k].n_records++;
            if (in[i].r.retention_until > slots[k].horizon)
                slots[k].horizon = in[i].r.retention_until;
        }
    }
    sodium_free(keys);
    tt_app_policy_release(pref);
    if (rc == 0) {
        struct write_ctx x = {.in = in,
                              .n_in = n,
                              .slots = slots,
                              .n_slots = n_slots,
                              .actor = req->auth.key_id,
                              .now = now};
        rc = commit_records(app, c, &x, 1, resp);
    }
    tt_store_release(c);
    json_t *out = NULL;
    if (rc == 0) {
        out = json_array();
        for (size_t i = 0; out && i < n; i++) {
            json_t *o =
                json_pack("{s:s, s:s, s:o}", "id", in[i].r.id, "subject", in[i].r.subject_id,
                          "retention_until", tt__api_time(in[i].r.retention_until));
            if (!o || json_array_append_new(out, o) < 0) {
                json_decref(out);
                out = NULL;
            }
        }
        if (!out)
            rc = tt__api_nomem(resp);
    }
    free_inputs(in, n);
    free(in);
    free(slots);
    if (rc < 0)
        return rc;
    json_t *body = json_pack("{s:i, s:o}", "count", (int)n, "items", out);
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 201, body);
}

struct read_ctx {
    json_t *items;
    const struct tt_policy *policy;
    const struct tt_index *index; /* NULL: no decision engine (tests) */
    const struct tt_purpose *pu;
    const struct tt_subject *s;
    const uint8_t *key;
    tt_time now;
    int seen, returned, denied, failed;
    char last[TT_ID_MAX];
};

/* S1.1: a record serves the purpose it was collected for, a purpose the subject agreed to
 * (consent, checked by the decision engine), or a restriction-exempt purpose the policy permits
 * on every record (storage, legal claims: S8.3); never past its own retention end (S7). The
 * decision engine adds the rest: basis, consent, objection, restriction, child (S10.1), sale. */
static int may_use(const struct read_ctx *x, const struct tt_record *r)
{
    if (r->retention_until && x->now >= r->retention_until)
        return 0;
    int own = strcmp(r->purpose, x->pu->key) == 0 || x->pu->restriction_exempt;
    if (!x->index) {
        if (x->pu->sale || (x->s->restricted && !x->pu->restriction_exempt))
            return 0;
        return own;
    }
    struct tt_decision_request q = {
        .tenant_id = r->tenant_id,
        .subject_id = r->subject_id,
        .purpose = x->pu->key,
        .data_category = r->data_category,
        .service = r->service[0] ? r->service : NULL,
    };
    struct tt_decision d;
    if (tt_decide(x->policy, x->index, x->now, &q, &d) < 0 || !d.allow)
        return 0;
    return own || d.legal_basis == TUTELA_BASIS_CONSENT;
}

static int read_cb(void *cls, const struct tt_record *r)
{
    struct read_ctx *x = cls;
    x->seen++;
    tt__api_copy(x->last, sizeof(x->last), r->id);
    if (!may_use(x, r)) {
        x->denied++;
        return 0;
    }
    if (r->value_enc_len < TT_SEAL_OVERHEAD) {
        x->failed = TT_E_CRYPTO;
        return 1;
    }
    size_t len = r->value_enc_len - TT_SEAL_OVERHEAD;
    char *plain = malloc(len + 1);
    json_t *o = tt__api_record_json(r);
    if (!plain || !o) {
        free(plain);
        json_decref(o);
        x->failed = TT_E_NOMEM;
        return 1;
    }
    char ad[TT_VALUE_AD_MAX];
    tt__api_value_ad(r->tenant_id, r->subject_id, r->id, ad);
    if (tt_vault_open(x->key, r->value_enc, r->value_enc_len, ad, (uint8_t *)plain) < 0) {
        free(plain);
        json_decref(o);
        x->failed = TT_E_CRYPTO;
        return 1;
    }
    int bad = json_object_set_new(o, "value", json_stringn(plain, len)) < 0 ||
              json_array_append_new(x->items, o) < 0;
    sodium_memzero(plain, len);
    free(plain);
    if (bad) {
        x->failed = TT_E_NOMEM;
        return 1;
    }
    x->returned++;
    return 0;
}

struct read_audit {
    const struct read_ctx *x;
    const char *actor;
    tt_time at;
};

static enum tt_qs read_audit_txn(struct tt_store_conn *c, void *cls)
{
    const struct read_audit *a = cls;
    const struct read_ctx *x = a->x;
    enum tt_qs qs = TT_QS_ONE;
    if (x->returned > 0 || x->denied == 0) {
        json_t *d = json_pack("{s:s, s:i}", "purpose", x->pu->key, "records", x->returned);
        if (!d)
            return TT_QS_HARD;
        qs = tt_audit_emit(c, x->s->tenant_id, a->at, a->actor, "record.read", x->s->id, d);
        json_decref(d);
    }
    if (qs > 0 && x->denied > 0) {
        json_t *d = json_pack("{s:s, s:i}", "purpose", x->pu->key, "records", x->denied);
        if (!d)
            return TT_QS_HARD;
        qs = tt_audit_emit(c, x->s->tenant_id, a->at, a->actor, "record.read.denied", x->s->id, d);
        json_decref(d);
    }
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_api_record_list(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    const char *purpose = tt_req_query(req, "purpose");
    if (!purpose || !*purpose)
        return tt_problem(resp, TT_E_BAD_PARAM, "purpose",
                          "'purpose' is required: every use states its purpose (S1.1)");
    struct tt_page page;
    int rc = tt__api_page(req, &page, resp);
    if (rc < 0)
        return rc;
    struct tt_policy_ref *pref = tt_app_policy_acquire(app);
    struct read_ctx x = {.policy = pref->policy, .index = pref->index, .now = tt_now(&app->clock)};
    x.pu = strlen(purpose) < TT_KEY_MAX ? tt_policy_purpose(x.policy, purpose) : NULL;
    if (!x.pu) {
        tt_app_policy_release(pref);
        return tt_problem(resp, TT_E_UNKNOWN_PURPOSE, "purpose", "not in the policy");
    }
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
        x.items = json_array();
        if (!x.items)
            rc = tt__api_nomem(resp);
    }
    if (rc == 0) {
        enum tt_qs qs = tt_store_ops_of(c)->record_list(c, s.tenant_id, s.id, &page, read_cb, &x);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
        else if (x.failed)
            rc = tt_problem(resp, x.failed, "", "the records cannot be read");
    }
    if (have_key)
        sodium_memzero(key, sizeof(key));
    if (rc == 0) {
        /* no audit, no data: the read and its audit event go together */
        struct read_audit a = {.x = &x, .actor = req->auth.key_id, .at = tt_now(&app->clock)};
        enum tt_qs qs = tt_store_txn(c, read_audit_txn, &a);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    tt_store_release(c);
    json_t *body = NULL;
    if (rc == 0) {
        body = json_pack("{s:s, s:s, s:o, s:i, s:o}", "subject", s.id, "purpose", x.pu->key,
                         "items", x.items, "denied", x.denied, "next_after",
                         x.seen == page.limit ? json_string(x.last) : json_null());
        x.items = NULL;
        if (!body)
            rc = tt__api_nomem(resp);
    }
    tt_app_policy_release(pref);
    json_decref(x.items);
    if (rc < 0)
        return rc;
    snprintf(resp->cache_control, sizeof(resp->cache_control), "no-store");
    return tt_reply(resp, 200, body);
}
