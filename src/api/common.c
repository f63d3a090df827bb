/* SPDX-License-Identifier: Apache-2.0 */
/* common.c — helpers shared by the resource handlers (see common.h). */
#include "common.h"

#include <stdio.h>
#include <string.h>

#include "../core/error.h"

int tt__api_store_err(struct tt_resp *resp, enum tt_qs qs)
{
    if (qs == TT_QS_SOFT)
        return tt_problem(resp, TT_E_UNAVAILABLE, "", "the store is busy; nothing was changed");
    return tt_problem(resp, TT_E_STORE, "", "the store failed; nothing was changed");
}

int tt__api_nomem(struct tt_resp *resp)
{
    return tt_problem(resp, TT_E_NOMEM, "", "out of memory; nothing was changed");
}

int tt__api_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

int tt__api_id_ok(const char *id, const char *prefix)
{
    if (!id)
        return 0;
    size_t n = strlen(id), p = strlen(prefix);
    if (n <= p || n >= TT_ID_MAX || strncmp(id, prefix, p) != 0)
        return 0;
    for (size_t i = p; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return 0;
    }
    return 1;
}

int tt__api_subject_load(struct tt_store_conn *c, const char *tenant_id, const char *id,
                         const char *field, struct tt_subject *out, struct tt_resp *resp)
{
    if (!tt__api_id_ok(id, "sub_"))
        return tt_problem(resp, TT_E_NOT_FOUND, field, "no such subject in this tenant");
    struct tt_subject s;
    enum tt_qs qs = tt_store_ops_of(c)->subject_get(c, tenant_id, id, &s);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_NOT_FOUND, field, "no such subject in this tenant");
    if (s.erased_at != 0)
        return tt_problem(resp, TT_E_GONE, field, "the subject has been erased");
    *out = s;
    return 0;
}

int tt__api_subject_key(struct tt_app *app, struct tt_store_conn *c, const struct tt_subject *s,
                        uint8_t key[TT_KEY_BYTES], struct tt_resp *resp)
{
    struct tt_subject_key k;
    enum tt_qs qs =
        tt_store_ops_of(c)->subject_key_get(c, s->tenant_id, s->id, TT_KEYCLASS_MAIN, &k);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_INTERNAL, "", "the subject has no data key");
    if (k.destroyed_at != 0)
        return tt_problem(resp, TT_E_GONE, "", "the subject's data has been erased");
    if (k.wrapped_len != TT_WRAPPED_BYTES)
        return tt_problem(resp, TT_E_CRYPTO, "", "the subject's data key is damaged");
    char ad[TT_KEY_AD_MAX];
    tt_vault_key_ad(s->tenant_id, s->id, TT_KEYCLASS_MAIN, ad);
    if (tt_vault_unwrap(app->master, k.wrapped, ad, key) < 0)
        return tt_problem(resp, TT_E_CRYPTO, "", "the subject's data key cannot be unwrapped");
    return 0;
}

void tt__api_value_ad(const char *tenant_id, const char *subject_id, const char *value_id,
                      char out[TT_VALUE_AD_MAX])
{
    snprintf(out, TT_VALUE_AD_MAX, "%s/%s/%s", tenant_id, subject_id, value_id);
}

const char *tt__api_identity_category(enum tt_identity_type t)
{
    switch (t) {
    case TT_IDENT_EMAIL:
        return "user.contact.email";
    case TT_IDENT_PHONE:
        return "user.contact.phone_number";
    case TT_IDENT_CHANNEL:
        return "user.comms.channel_id";
    case TT_IDENT_COOKIE:
        return "user.device.cookie_id";
    case TT_IDENT__COUNT:
        break;
    }
    return "user.unique_id";
}

json_t *tt__api_time(tt_time t)
{
    if (t == 0)
        return json_null();
    char buf[32];
    return json_string(tt_time_format(t, buf, sizeof(buf)));
}

json_t *tt__api_subject_json(const struct tt_subject *s)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:o, s:o, s:o, s:o, s:o}", "id", s->id,
                     "kind", tt_subject_kind_name(s->kind), "jurisdiction", s->jurisdiction,
                     "has_birth_date", s->has_birth_date, "is_child", s->is_child,
                     "contract_active", s->contract_active, "restricted", s->restricted,
                     "retention_until", tt__api_time(s->retention_until), "contract_ended_at",
                     tt__api_time(s->contract_ended_at), "created_at", tt__api_time(s->created_at),
                     "updated_at", tt__api_time(s->updated_at), "erased_at",
                     tt__api_time(s->erased_at));
}

json_t *tt__api_identity_json(const struct tt_identity *i)
{
    return json_pack("{s:s, s:s, s:s, s:o}", "id", i->id, "subject", i->subject_id, "type",
                     tt_identity_type_name(i->type), "created_at", tt__api_time(i->created_at));
}

json_t *tt__api_record_json(const struct tt_record *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", r->id, "subject",
                     r->subject_id, "service", r->service, "data_category", r->data_category,
                     "purpose", r->purpose, "legal_basis", tt_basis_name(r->legal_basis), "source",
                     r->source, "collected_at", tt__api_time(r->collected_at), "retention_until",
                     tt__api_time(r->retention_until), "created_at", tt__api_time(r->created_at));
}

int tt__api_page(const struct tt_req *req, struct tt_page *page, struct tt_resp *resp)
{
    const char *after = tt_req_query(req, "after");
    const char *limit = tt_req_query(req, "limit");
    page->after_id[0] = '\0';
    page->limit = TT_PAGE_DEFAULT;
    if (after && *after) {
        if (strlen(after) >= TT_ID_MAX)
            return tt_problem(resp, TT_E_BAD_PARAM, "after", "'after' is not an id");
        memcpy(page->after_id, after, strlen(after) + 1);
    }
    if (limit) {
        size_t n = strlen(limit);
        if (n == 0 || n > 4)
            return tt_problem(resp, TT_E_BAD_PARAM, "limit", "'limit' must be 1 to %d",
                              TT_PAGE_MAX);
        int v = 0;
        for (size_t i = 0; i < n; i++) {
            if (limit[i] < '0' || limit[i] > '9')
                return tt_problem(resp, TT_E_BAD_PARAM, "limit", "'limit' must be 1 to %d",
                                  TT_PAGE_MAX);
            v = v * 10 + (limit[i] - '0');
        }
        if (v < 1 || v > TT_PAGE_MAX)
            return tt_problem(resp, TT_E_BAD_PARAM, "limit", "'limit' must be 1 to %d",
                              TT_PAGE_MAX);
        page->limit = v;
    }
    return 0;
}
