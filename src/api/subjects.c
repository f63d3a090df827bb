/* SPDX-License-Identifier: Apache-2.0 */
/* subjects.c — the people a tenant holds data about: created with kind (S2.4), jurisdiction,
 * optional birth date (S10.1: only is_child is kept in clear, the date is a sealed record) and
 * identities, all in one transaction with its subject key and audit event; read back without a
 * personal value; listed in pages; looked up by an identifier sent in a body (never a URL). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "app.h"
#include "audit.h"
#include "common.h"
#include "handlers.h"
#include "hooks.h"
#include "spec.h"
#include "../jobs/feed.h"

#define SUBJECT_IDENTITIES_MAX 16
#define CHILD_MONTHS (18 * 12) /* S10.1: the services are not for people under 18 */
#define BIRTH_CATEGORY "user.demographic.date_of_birth"
#define BIRTH_DATE_LEN 10 /* "YYYY-MM-DD" */

/* ISO 3166-1 alpha-2, optionally with a subdivision: "NL", "US-CA". Upper-cased in place. */
static int jurisdiction_ok(const char *in, char out[TT_JURIS_MAX])
{
    size_t n = strlen(in);
    if (n != 2 && (n < 4 || n > TT_JURIS_MAX - 1))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = in[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        int letter = ch >= 'A' && ch <= 'Z', digit = ch >= '0' && ch <= '9';
        if (i < 2 ? !letter : i == 2 ? ch != '-' : !(letter || digit))
            return 0;
        out[i] = ch;
    }
    out[n] = '\0';
    return 1;
}

/* Where the birth date record goes: a service and purpose of the policy that may hold the
 * category, preferring an identity-verification purpose; without such a service, a purpose that
 * may use it (service left empty); else the category alone (read only for restriction-exempt
 * purposes). */
static int verif_score(const struct tt_purpose *pu)
{
    return strstr(pu->key, "verif") || strstr(pu->key, "identity") ? 2 : 1;
}

static void birth_record_keys(const struct tt_policy *p, const char **service,
                              const struct tt_purpose **purpose)
{
    *service = "";
    *purpose = NULL;
    int best = -1;
    for (size_t i = 0; i < p->n_services; i++) {
        const struct tt_service *sv = &p->services[i];
        if (!tt_policy_service_has_category(sv, BIRTH_CATEGORY) || !sv->purposes)
            continue;
        for (size_t j = 0; sv->purposes[j]; j++) {
            const struct tt_purpose *pu = tt_policy_purpose(p, sv->purposes[j]);
            if (!pu || pu->sale || !tt_policy_purpose_allows_category(pu, BIRTH_CATEGORY))
                continue;
            if (verif_score(pu) > best) {
                best = verif_score(pu);
                *service = sv->key;
                *purpose = pu;
            }
        }
    }
    if (*purpose)
        return;
    for (size_t i = 0; i < p->n_purposes; i++) {
        const struct tt_purpose *pu = &p->purposes[i];
        /* an empty category list allows anything: only a purpose naming the category counts */
        if (pu->sale || !pu->categories || !pu->categories[0] ||
            !tt_policy_purpose_allows_category(pu, BIRTH_CATEGORY))
            continue;
        if (verif_score(pu) > best) {
            best = verif_score(pu);
            *purpose = pu;
        }
    }
}

struct create_ctx {
    struct tt_app *app;
    struct tt_req *req; /* a parked request: answered from the committer thread */
    struct tt_resp *resp;
    struct tt_subject s;
    struct tt_subject_key k;
    struct tt__api_identity idents[SUBJECT_IDENTITIES_MAX];
    size_t n_idents;
    int has_birth;
    struct tt_record birth;
    uint8_t birth_sealed[BIRTH_DATE_LEN + TT_SEAL_OVERHEAD];
    const char *actor;
    int conflict; /* index of the identity already in use, or -1 */
};

static enum tt_qs create_txn(struct tt_store_conn *c, void *cls)
{
    struct create_ctx *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    x->conflict = -1;
    enum tt_qs qs = ops->subject_put(c, &x->s);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    qs = ops->subject_key_put(c, &x->k);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    for (size_t i = 0; i < x->n_idents; i++) {
        qs = ops->identity_put(c, &x->idents[i].i);
        if (qs < 0)
            return qs;
        if (qs == TT_QS_NONE) {
            x->conflict = (int)i;
            return TT_QS_HARD;
        }
    }
    if (x->has_birth) {
        qs = ops->record_put(c, &x->birth);
        if (qs <= 0)
            return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    }
    json_t *detail = json_pack("{s:s, s:s, s:i, s:b, s:b}", "kind", tt_subject_kind_name(x->s.kind),
                               "jurisdiction", x->s.jurisdiction, "identities", (int)x->n_idents,
                               "has_birth_date", x->s.has_birth_date, "is_child", x->s.is_child);
    if (!detail)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->s.tenant_id, x->s.created_at, x->actor, "subject.create", x->s.id,
                       detail);
    json_decref(detail);
    if (qs >= 0) /* other nodes' indexes follow (issue 9) */
        qs = tt_feed_append(c, x->s.tenant_id, TT_FEED_SUBJECT, x->s.id);
    if (qs >= 0 && x->n_idents)
        qs = tt_feed_append(c, x->s.tenant_id, TT_FEED_IDENTITY, x->s.id);
    return qs < 0 ? qs : TT_QS_ONE;
}

/* Parses and checks the body into x (no store access). Returns 0 or a problem. */
static int parse_create(struct tt_req *req, const struct tt_policy *policy, struct create_ctx *x,
                        uint8_t key[TT_KEY_BYTES], struct tt_resp *resp)
{
    const char *kind = NULL, *juris = NULL, *birth = NULL;
    const json_t *idents = NULL;
    int contract = 0;
    struct tt_spec spec[] = {
        tt_spec_key("kind", &kind, 1),
        tt_spec_string_max("jurisdiction", &juris, 16, 1),
        tt_spec_string_max("birth_date", &birth, 32, 0),
        tt_spec_bool("contract_active", &contract, NULL, 0),
        tt_spec_array("identities", &idents, SUBJECT_IDENTITIES_MAX, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    struct tt_subject *s = &x->s;
    if (!tt_policy_subject_kind_known(policy, kind) || tt_subject_kind_parse(kind, &s->kind) < 0)
        return tt_problem(resp, TT_E_UNKNOWN_SUBJECT_KIND, "kind",
                          "the subject kind is not in the policy");
    if (!jurisdiction_ok(juris, s->jurisdiction))
        return tt_problem(resp, TT_E_BAD_FIELD, "jurisdiction",
                          "'jurisdiction' must be an ISO 3166 code such as \"NL\" or \"US-CA\"");
    tt_time now = tt_now(&req->app->clock);
    tt_time born = 0;
    if (birth) {
        if (strlen(birth) != BIRTH_DATE_LEN || tt_time_parse(birth, &born) < 0 || born > now)
            return tt_problem(resp, TT_E_BAD_FIELD, "birth_date",
                              "'birth_date' must be a past date as YYYY-MM-DD");
        s->has_birth_date = 1;
        s->is_child = tt_time_add_months(born, CHILD_MONTHS) > now;
    }
    s->contract_active = contract;
    for (size_t i = 0; idents && i < json_array_size(idents); i++) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "identities/%zu/", i);
        rc = tt__api_identity_parse(json_array_get(idents, i), prefix, &x->idents[i], resp);
        if (rc < 0)
            return rc;
        x->n_idents = i + 1;
    }

    /* everything is valid: build the rows */
    tt_id_new("sub_", s->id);
    tt__api_copy(s->tenant_id, sizeof(s->tenant_id), req->auth.tenant_id);
    s->created_at = s->updated_at = now;

    tt_vault_key_new(key);
    char ad[TT_KEY_AD_MAX];
    tt_vault_key_ad(s->tenant_id, s->id, TT_KEYCLASS_MAIN, ad);
    tt__api_copy(x->k.tenant_id, sizeof(x->k.tenant_id), s->tenant_id);
    tt__api_copy(x->k.subject_id, sizeof(x->k.subject_id), s->id);
    x->k.key_class = TT_KEYCLASS_MAIN;
    tt__api_copy(x->k.master_key_id, sizeof(x->k.master_key_id), req->app->master->id);
    tt_vault_wrap(req->app->master, key, ad, x->k.wrapped);
    x->k.wrapped_len = TT_WRAPPED_BYTES;
    x->k.created_at = now;

    for (size_t i = 0; i < x->n_idents; i++) {
        rc = tt__api_identity_seal(req->app, s, key, now, &x->idents[i], resp);
        if (rc < 0)
            return rc;
    }
    if (birth) {
        const char *service;
        const struct tt_purpose *pu;
        birth_record_keys(policy, &service, &pu);
        struct tt_record *r = &x->birth;
        tt_id_new("rec_", r->id);
        tt__api_copy(r->tenant_id, sizeof(r->tenant_id), s->tenant_id);
        tt__api_copy(r->subject_id, sizeof(r->subject_id), s->id);
        tt__api_copy(r->service, sizeof(r->service), service);
        tt__api_copy(r->data_category, sizeof(r->data_category), BIRTH_CATEGORY);
        tt__api_copy(r->purpose, sizeof(r->purpose), pu ? pu->key : "");
        r->legal_basis = pu ? tt_policy_basis_for(policy, pu, s->jurisdiction) : TT_BASIS_NONE;
        tt__api_copy(r->source, sizeof(r->source), "direct");
        r->collected_at = r->created_at = now;
        r->retention_until = 0; /* kept as long as the subject: it decides is_child */
        char vad[TT_VALUE_AD_MAX];
        tt__api_value_ad(s->tenant_id, s->id, r->id, vad);
        if (tt_vault_seal(key, (const uint8_t *)birth, BIRTH_DATE_LEN, vad, x->birth_sealed) < 0)
            return tt_problem(resp, TT_E_CRYPTO, "", "sealing failed; nothing was changed");
        r->value_enc = x->birth_sealed;
        r->value_enc_len = BIRTH_DATE_LEN + TT_SEAL_OVERHEAD;
        x->has_birth = 1;
    }
    return 0;
}

struct view_ctx {
    json_t *idents;
    int64_t records;
    char last[TT_ID_MAX];
    int failed;
};

static int view_ident_cb(void *cls, const struct tt_identity *i)
{
    struct view_ctx *v = cls;
    json_t *o = json_pack("{s:s, s:s, s:o}", "id", i->id, "type", tt_identity_type_name(i->type),
                          "created_at", tt__api_time(i->created_at));
    if (!o || json_array_append_new(v->idents, o) < 0) {
        v->failed = 1;
        return 1;
    }
    return 0;
}

static int view_record_cb(void *cls, const struct tt_record *r)
{
    struct view_ctx *v = cls;
    v->records++;
    tt__api_copy(v->last, sizeof(v->last), r->id);
    return 0;
}

/* Renders the full view of s (identity types and ids, record count) with status. */
static int reply_subject(struct tt_store_conn *c, const struct tt_subject *s, int status,
                         struct tt_resp *resp)
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct view_ctx v = {.idents = json_array()};
    if (!v.idents)
        return tt__api_nomem(resp);
    enum tt_qs qs = ops->identity_list(c, s->tenant_id, s->id, view_ident_cb, &v);
    /* records are counted page by page: the cost follows this subject's records only */
    struct tt_page page = {.after_id = "", .limit = TT_PAGE_MAX};
    while (qs >= 0 && !v.failed) {
        int64_t before = v.records;
        qs = ops->record_list(c, s->tenant_id, s->id, &page, view_record_cb, &v);
        if (qs < 0 || v.records - before < TT_PAGE_MAX)
            break;
        tt__api_copy(page.after_id, sizeof(page.after_id), v.last);
    }
    if (qs < 0) {
        json_decref(v.idents);
        return tt__api_store_err(resp, qs);
    }
    json_t *body = tt__api_subject_json(s);
    if (!body || v.failed) {
        json_decref(body);
        json_decref(v.idents);
        return tt__api_nomem(resp);
    }
    json_object_set_new(body, "identities", v.idents);
    json_object_set_new(body, "record_count", json_integer(v.records));
    return tt_reply(resp, status, body);
}

static int by_identity_id(const void *a, const void *b)
{
    return strcmp(((const struct tt__api_identity *)a)->i.id,
                  ((const struct tt__api_identity *)b)->i.id);
}

/* The view of a subject just committed, from what was written (the same as GET renders: the
 * store lists identities by id), so the answer needs no second trip to the store. */
static int reply_created(struct create_ctx *x, struct tt_resp *resp)
{
    qsort(x->idents, x->n_idents, sizeof(x->idents[0]), by_identity_id);
    json_t *idents = json_array();
    json_t *body = tt__api_subject_json(&x->s);
    int failed = !idents || !body;
    for (size_t i = 0; !failed && i < x->n_idents; i++) {
        const struct tt_identity *id = &x->idents[i].i;
        json_t *o =
            json_pack("{s:s, s:s, s:o}", "id", id->id, "type", tt_identity_type_name(id->type),
                      "created_at", tt__api_time(id->created_at));
        failed = !o || json_array_append_new(idents, o) < 0;
    }
    if (failed) {
        json_decref(idents);
        json_decref(body);
        return tt__api_nomem(resp);
    }
    json_object_set_new(body, "identities", idents);
    json_object_set_new(body, "record_count", json_integer(x->has_birth ? 1 : 0));
    return tt_reply(resp, 201, body);
}

/* After the commit: the problem, or the index updated and the 201 view. Frees x. */
static int finish_create(struct create_ctx *x, enum tt_qs qs)
{
    struct tt_resp *resp = x->resp;
    int rc;
    if (qs < 0) {
        if (x->conflict >= 0) {
            char field[32];
            snprintf(field, sizeof(field), "identities/%d", x->conflict);
            rc = tt_problem(resp, TT_E_CONFLICT, field,
                            "'%s' already belongs to a subject of the tenant", field);
        } else {
            rc = tt__api_store_err(resp, qs);
        }
        free(x);
        return rc;
    }
    tt_hook_subject_changed(x->app, &x->s);
    for (size_t i = 0; i < x->n_idents; i++)
        tt_hook_identity_added(x->app, &x->idents[i].i);
    snprintf(resp->location, sizeof(resp->location), "/v1/subjects/%s", x->s.id);
    rc = reply_created(x, resp);
    free(x);
    return rc;
}

/* The committer thread's callback for a parked request. */
static void created(void *cls, enum tt_qs qs)
{
    struct create_ctx *x = cls;
    struct tt_req *req = x->req;
    tt_req_resume(req, finish_create(x, qs), "the subject could not be stored");
}

int tt_api_subject_create(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    struct create_ctx *x = calloc(1, sizeof(*x));
    if (!x)
        return tt__api_nomem(resp);
    x->app = app;
    x->req = req;
    x->resp = resp;
    x->actor = req->auth.key_id;
    uint8_t key[TT_KEY_BYTES];
    struct tt_policy_ref *pref = tt_app_policy_acquire(app);
    int rc = parse_create(req, pref->policy, x, key, resp);
    tt_app_policy_release(pref);
    sodium_memzero(key, sizeof(key));
    for (size_t i = 0; i < SUBJECT_IDENTITIES_MAX; i++)
        sodium_memzero(x->idents[i].norm, sizeof(x->idents[i].norm));
    if (rc < 0) {
        free(x);
        return rc;
    }
    /* group commit: concurrent creations share one transaction and one fsync; the connection
     * is parked meanwhile, so no server thread waits and every client's creation can join the
     * same batch (issue 9). Answered only after the COMMIT returned. */
    if (tt_req_defer(req) == 0 &&
        tt_store_txn_grouped_async(app->store, create_txn, x, created, x) == 0)
        return TT_HTTP_DEFERRED;
    return finish_create(x, tt_store_txn_grouped(app->store, create_txn, x));
}

int tt_api_subject_get(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    struct tt_subject s;
    int rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, resp);
    if (rc == 0)
        rc = reply_subject(c, &s, 200, resp);
    tt_store_release(c);
    return rc;
}

struct list_ctx {
    json_t *items;
    char last[TT_ID_MAX];
    int n, failed;
};

static int list_cb(void *cls, const struct tt_subject *s)
{
    struct list_ctx *l = cls;
    json_t *o = tt__api_subject_json(s);
    if (!o || json_array_append_new(l->items, o) < 0) {
        l->failed = 1;
        return 1;
    }
    tt__api_copy(l->last, sizeof(l->last), s->id);
    l->n++;
    return 0;
}

int tt_api_subject_list(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_page page;
    int rc = tt__api_page(req, &page, resp);
    if (rc < 0)
        return rc;
    struct list_ctx l = {.items = json_array()};
    if (!l.items)
        return tt__api_nomem(resp);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_ops_of(c)->subject_list(c, req->auth.tenant_id, &page, list_cb, &l);
    tt_store_release(c);
    if (qs < 0 || l.failed) {
        json_decref(l.items);
        return qs < 0 ? tt__api_store_err(resp, qs) : tt__api_nomem(resp);
    }
    json_t *body = json_pack("{s:o, s:o}", "items", l.items, "next_after",
                             l.n == page.limit ? json_string(l.last) : json_null());
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 200, body);
}

int tt_api_subject_lookup(struct tt_req *req, struct tt_resp *resp)
{
    struct tt__api_identity id;
    int rc = tt__api_identity_parse(req->json, "", &id, resp);
    if (rc < 0)
        return rc;
    char blind[TT_HASH_HEX];
    tt_vault_blind(req->app->master, req->auth.tenant_id, id.i.type, id.norm, blind);
    sodium_memzero(id.norm, sizeof(id.norm));
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    struct tt_identity found;
    enum tt_qs qs =
        tt_store_ops_of(c)->identity_find(c, req->auth.tenant_id, id.i.type, blind, &found);
    if (qs < 0)
        rc = tt__api_store_err(resp, qs);
    else if (qs == TT_QS_NONE)
        rc = tt_problem(resp, TT_E_NOT_FOUND, "value", "no subject of this tenant has it");
    struct tt_subject s;
    if (rc == 0)
        rc = tt__api_subject_load(c, req->auth.tenant_id, found.subject_id, "value", &s, resp);
    if (rc == 0)
        rc = reply_subject(c, &s, 200, resp);
    tt_store_release(c);
    return rc;
}
