/* SPDX-License-Identifier: Apache-2.0 */
/* identities.c — a subject's identifiers (email, phone in E.164, channel id, cookie id): added
 * normalised, sealed under the subject key and found through the blind index; listed by type and
 * id, with values only for a stated purpose the policy lets see them (S1.1), and that read
 * audited. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../core/decide.h"
#include "../core/error.h"
#include "app.h"
#include "audit.h"
#include "common.h"
#include "handlers.h"
#include "hooks.h"
#include "spec.h"
#include "../jobs/feed.h"

#define IDENT_INPUT_MAX 512u /* raw value; the normalised one must fit TT_IDENT_MAX */

int tt__api_identity_parse(const json_t *obj, const char *prefix, struct tt__api_identity *out,
                           struct tt_resp *resp)
{
    const char *type_s = NULL, *value = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("type", &type_s, 1),
        tt_spec_string_max("value", &value, IDENT_INPUT_MAX, 1),
        tt_spec_end(),
    };
    int rc = tt_spec_parse(obj, spec, prefix, resp);
    if (rc < 0)
        return rc;
    char field[96];
    enum tt_identity_type type;
    if (tt_identity_type_parse(type_s, &type) < 0) {
        snprintf(field, sizeof(field), "%stype", prefix ? prefix : "");
        return tt_problem(resp, TT_E_BAD_FIELD, field,
                          "'%s' must be email, phone, channel_id or cookie_id", field);
    }
    memset(out, 0, sizeof(*out));
    rc = tt_ident_normalise(type, value, NULL, out->norm);
    if (rc < 0) {
        snprintf(field, sizeof(field), "%svalue", prefix ? prefix : "");
        return tt_problem(resp, -rc, field, "'%s' is not a valid %s identifier", field,
                          tt_identity_type_name(type));
    }
    out->i.type = type;
    return 0;
}

int tt__api_identity_seal(struct tt_app *app, const struct tt_subject *s,
                          const uint8_t key[TT_KEY_BYTES], tt_time now,
                          struct tt__api_identity *out, struct tt_resp *resp)
{
    tt_id_new("idn_", out->i.id);
    tt__api_copy(out->i.tenant_id, sizeof(out->i.tenant_id), s->tenant_id);
    tt__api_copy(out->i.subject_id, sizeof(out->i.subject_id), s->id);
    out->i.created_at = now;
    tt_vault_blind(app->master, s->tenant_id, out->i.type, out->norm, out->i.blind_hex);
    char ad[TT_VALUE_AD_MAX];
    tt__api_value_ad(s->tenant_id, s->id, out->i.id, ad);
    size_t len = strlen(out->norm);
    int rc = tt_vault_seal(key, (const uint8_t *)out->norm, len, ad, out->sealed);
    sodium_memzero(out->norm, sizeof(out->norm));
    if (rc < 0)
        return tt_problem(resp, TT_E_CRYPTO, "", "sealing failed; nothing was changed");
    out->i.value_enc = out->sealed;
    out->i.value_enc_len = len + TT_SEAL_OVERHEAD;
    return 0;
}

struct add_ctx {
    struct tt__api_identity id;
    const char *actor;
    int gone;     /* the subject vanished or was erased meanwhile */
    int conflict; /* the identity belongs to a subject already */
};

static enum tt_qs add_txn(struct tt_store_conn *c, void *cls)
{
    struct add_ctx *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_subject s;
    x->gone = x->conflict = 0;
    enum tt_qs qs = ops->subject_get(c, x->id.i.tenant_id, x->id.i.subject_id, &s);
    if (qs < 0)
        return qs;
    if (qs == TT_QS_NONE || s.erased_at != 0) {
        x->gone = 1;
        return TT_QS_HARD;
    }
    qs = ops->identity_put(c, &x->id.i);
    if (qs < 0)
        return qs;
    if (qs == TT_QS_NONE) {
        x->conflict = 1;
        return TT_QS_HARD;
    }
    json_t *detail = json_pack("{s:s, s:s}", "type", tt_identity_type_name(x->id.i.type),
                               "identity", x->id.i.id);
    if (!detail)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->id.i.tenant_id, x->id.i.created_at, x->actor, "identity.add",
                       x->id.i.subject_id, detail);
    json_decref(detail);
    if (qs >= 0) /* other nodes' indexes follow (issue 9) */
        qs = tt_feed_append(c, x->id.i.tenant_id, TT_FEED_IDENTITY, x->id.i.subject_id);
    return qs < 0 ? qs : TT_QS_ONE;
}

int tt_api_identity_add(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    if (!req->json)
        return tt_problem(resp, TT_E_BAD_JSON, "", "a JSON object body is required");
    struct tt_store_conn *c = tt_store_acquire(app->store);
    struct tt_subject s;
    uint8_t key[TT_KEY_BYTES];
    struct add_ctx x = {.actor = req->auth.key_id};
    int rc = tt__api_identity_parse(req->json, "", &x.id, resp);
    if (rc == 0)
        rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, resp);
    if (rc == 0)
        rc = tt__api_subject_key(app, c, &s, key, resp);
    if (rc == 0) {
        rc = tt__api_identity_seal(app, &s, key, tt_now(&app->clock), &x.id, resp);
        sodium_memzero(key, sizeof(key));
    }
    sodium_memzero(x.id.norm, sizeof(x.id.norm));
    if (rc < 0) {
        tt_store_release(c);
        return rc;
    }
    enum tt_qs qs = tt_store_txn(c, add_txn, &x);
    tt_store_release(c);
    if (x.gone)
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such subject in this tenant");
    if (x.conflict)
        return tt_problem(resp, TT_E_CONFLICT, "value",
                          "this identity already belongs to a subject of the tenant");
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    tt_hook_identity_added(app, &x.id.i);
    json_t *body = tt__api_identity_json(&x.id.i);
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->location, sizeof(resp->location), "/v1/subjects/%s/identities",
             x.id.i.subject_id);
    return tt_reply(resp, 201, body);
}

struct list_ctx {
    json_t *items;
    const struct tt_policy *policy;
    const struct tt_index *index;     /* NULL: no decision engine (tests) */
    const struct tt_purpose *purpose; /* NULL: types and ids only */
    const struct tt_subject *subject;
    const uint8_t *key;
    tt_time now;
    int revealed, withheld, failed;
};

/* S1.1: a value is shown only for a purpose the policy lets use the identity's category, and
 * that the decision engine allows for this subject now (basis, consent, objection, restriction
 * S8.3, child S10.1, sale S4.4). */
static int may_reveal(const struct list_ctx *x, enum tt_identity_type type)
{
    const struct tt_purpose *pu = x->purpose;
    const char *cat = tt__api_identity_category(type);
    if (tt_policy_category(x->policy, cat) && !tt_policy_purpose_allows_category(pu, cat))
        return 0;
    if (!x->index)
        return !pu->sale && (!x->subject->restricted || pu->restriction_exempt);
    struct tt_decision_request q = {
        .tenant_id = x->subject->tenant_id,
        .subject_id = x->subject->id,
        .purpose = pu->key,
        .data_category = tt_policy_category(x->policy, cat) ? cat : NULL,
    };
    struct tt_decision d;
    return tt_decide(x->policy, x->index, x->now, &q, &d) == 0 && d.allow;
}

static int list_cb(void *cls, const struct tt_identity *i)
{
    struct list_ctx *x = cls;
    json_t *o = tt__api_identity_json(i);
    if (!o || json_array_append_new(x->items, o) < 0) {
        x->failed = TT_E_NOMEM;
        return 1;
    }
    if (!x->purpose)
        return 0;
    if (!may_reveal(x, i->type)) {
        x->withheld++;
        return 0;
    }
    if (i->value_enc_len < TT_SEAL_OVERHEAD ||
        i->value_enc_len - TT_SEAL_OVERHEAD >= TT_IDENT_MAX) {
        x->failed = TT_E_CRYPTO;
        return 1;
    }
    char plain[TT_IDENT_MAX];
    char ad[TT_VALUE_AD_MAX];
    size_t len = i->value_enc_len - TT_SEAL_OVERHEAD;
    tt__api_value_ad(i->tenant_id, i->subject_id, i->id, ad);
    if (tt_vault_open(x->key, i->value_enc, i->value_enc_len, ad, (uint8_t *)plain) < 0) {
        x->failed = TT_E_CRYPTO;
        return 1;
    }
    plain[len] = '\0';
    int bad = json_object_set_new(o, "value", json_stringn(plain, len)) < 0;
    sodium_memzero(plain, sizeof(plain));
    if (bad) {
        x->failed = TT_E_NOMEM;
        return 1;
    }
    x->revealed++;
    return 0;
}

int tt_api_identity_list(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_app *app = req->app;
    const char *purpose_key = tt_req_query(req, "purpose");
    struct tt_policy_ref *pref = tt_app_policy_acquire(app);
    struct list_ctx x = {.policy = pref->policy, .index = pref->index, .now = tt_now(&app->clock)};
    struct tt_subject s;
    uint8_t key[TT_KEY_BYTES];
    int rc = 0, have_key = 0;
    struct tt_store_conn *c = NULL;

    if (purpose_key) {
        x.purpose =
            strlen(purpose_key) < TT_KEY_MAX ? tt_policy_purpose(x.policy, purpose_key) : NULL;
        if (!x.purpose)
            rc = tt_problem(resp, TT_E_UNKNOWN_PURPOSE, "purpose",
                            "the purpose is not in the "
                            "policy");
        else if (req->auth.role < TT_ROLE_SERVICE)
            rc = tt_problem(resp, TT_E_FORBIDDEN, "purpose",
                            "reading identity values needs the service role");
    }
    if (rc == 0) {
        c = tt_store_acquire(app->store);
        rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, resp);
    }
    if (rc == 0 && x.purpose) {
        rc = tt__api_subject_key(app, c, &s, key, resp);
        have_key = rc == 0;
    }
    if (rc == 0) {
        x.subject = &s;
        x.key = key;
        x.items = json_array();
        if (!x.items)
            rc = tt__api_nomem(resp);
    }
    if (rc == 0) {
        enum tt_qs qs = tt_store_ops_of(c)->identity_list(c, s.tenant_id, s.id, list_cb, &x);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
        else if (x.failed)
            rc = tt_problem(resp, x.failed, "", "the identities cannot be read");
    }
    if (have_key)
        sodium_memzero(key, sizeof(key));
    if (rc == 0 && x.purpose) {
        json_t *detail = json_pack("{s:s, s:i, s:i}", "purpose", x.purpose->key, "revealed",
                                   x.revealed, "withheld", x.withheld);
        int arc =
            detail
                ? tt_audit_emit_now(app->store, s.tenant_id, tt_now(&app->clock), req->auth.key_id,
                                    x.revealed == 0 && x.withheld > 0 ? "identity.read.denied"
                                                                      : "identity.read",
                                    s.id, detail)
                : -TT_E_NOMEM;
        json_decref(detail);
        if (arc < 0)
            rc = tt_problem(resp, -arc, "", "the read could not be audited; nothing returned");
    }
    tt_store_release(c);
    tt_app_policy_release(pref);
    if (rc < 0) {
        json_decref(x.items);
        return rc;
    }
    json_t *body = json_pack("{s:s, s:o}", "subject", s.id, "items", x.items);
    if (!body)
        return tt__api_nomem(resp);
    if (x.purpose) {
        json_object_set_new(body, "purpose", json_string(x.purpose->key));
        json_object_set_new(body, "withheld", json_integer(x.withheld));
        snprintf(resp->cache_control, sizeof(resp->cache_control), "no-store");
    }
    return tt_reply(resp, 200, body);
}
