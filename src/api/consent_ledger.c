/* SPDX-License-Identifier: Apache-2.0 */
/* consent_ledger.c — the consent ledger over the store (consent_int.h): CONSENT-class subject
 * keys created on first use, evidence sealed under them (S7.5, S8.2: erasure destroys only the
 * MAIN key, so proofs stay verifiable and their evidence readable until their 5 years end), the
 * preference-centre features, recording one subject's grant or withdrawal with its decision-index
 * update before the answer, and the verifier behind `tutela consent verify`. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "common.h"
#include "consent_int.h"
#include "hooks.h"

#define PAGE_MAX 512
#define UA_MAX 256

const struct tt_consent_feature tt_consent_features[] = {
    {"newsletter", "marketing.communications.newsletter"},
    {"product_information", "marketing.product_information"},
    {"marketing_email", "marketing.communications.email"},
    {"marketing_sms", "marketing.communications.sms"},
    {"email_tracking", "analytics.email_tracking"},
    {"surveys", "improve.surveys"},
    {"saved_payment_methods", "finance.saved_payment_methods"},
    {"auto_top_up", "finance.auto_top_up"},
};
const size_t tt_consent_n_features = sizeof tt_consent_features / sizeof tt_consent_features[0];

const struct tt_consent_feature *tt_consent_feature(const char *key)
{
    for (size_t i = 0; key && i < tt_consent_n_features; i++)
        if (strcmp(tt_consent_features[i].key, key) == 0)
            return &tt_consent_features[i];
    return NULL;
}

void tt_consent_state_apply(const struct tt_purpose *pu, enum tt_consent_action a,
                            struct tt_purpose_state *ps)
{
    if (pu->basis_eea == TT_BASIS_LEGITIMATE_INTEREST) /* S8.3: opting out is an objection */
        ps->objection = a == TT_CONSENT_WITHDRAW;
    else
        ps->consent = a == TT_CONSENT_GRANT ? TT_CONSENT_GIVEN : TT_CONSENT_WITHDRAWN;
}

int tt_consent_state_enabled(const struct tt_purpose *pu, const struct tt_purpose_state *ps)
{
    if (pu->basis_eea == TT_BASIS_LEGITIMATE_INTEREST)
        return !ps || !ps->objection;
    return ps && ps->consent == TT_CONSENT_GIVEN;
}

/* ---- keys ---- */

static enum tt_qs key_put_txn(struct tt_store_conn *c, void *cls)
{
    return tt_store_ops_of(c)->subject_key_put(c, cls);
}

int tt_consent_subject_key(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                           const char *subject_id, uint8_t key[TT_KEY_BYTES])
{
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    char ad[TT_KEY_AD_MAX];
    tt_vault_key_ad(tenant_id, subject_id, TT_KEYCLASS_CONSENT, ad);
    for (int attempt = 0; attempt < 2; attempt++) {
        struct tt_subject_key k;
        enum tt_qs qs = ops->subject_key_get(c, tenant_id, subject_id, TT_KEYCLASS_CONSENT, &k);
        if (qs < 0)
            return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
        if (qs == TT_QS_ONE) {
            if (k.destroyed_at) /* its 5 years ended: nothing new is sealed for the subject */
                return -TT_E_GONE;
            int rc = tt_vault_unwrap(app->master, k.wrapped, ad, key);
            sodium_memzero(&k, sizeof k);
            return rc < 0 ? -TT_E_CRYPTO : 0;
        }
        /* first use: create it (a concurrent creator wins; then read theirs) */
        memset(&k, 0, sizeof k);
        tt__api_copy(k.tenant_id, sizeof k.tenant_id, tenant_id);
        tt__api_copy(k.subject_id, sizeof k.subject_id, subject_id);
        k.key_class = TT_KEYCLASS_CONSENT;
        tt__api_copy(k.master_key_id, sizeof k.master_key_id, app->master->id);
        tt_vault_key_new(key);
        tt_vault_wrap(app->master, key, ad, k.wrapped);
        k.wrapped_len = TT_WRAPPED_BYTES;
        k.created_at = tt_now(&app->clock);
        qs = tt_store_txn(c, key_put_txn, &k);
        if (qs == TT_QS_ONE)
            return 0;
        sodium_memzero(key, TT_KEY_BYTES);
        if (qs < 0)
            return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    }
    return -TT_E_STORE;
}

void tt_consent_cookie_key(const struct tt_app *app, const char *tenant_id,
                           uint8_t key[TT_KEY_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, app->master->key, TT_KEY_BYTES, TT_KEY_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)"tt-consent-cookie", 18);
    crypto_generichash_update(&st, (const uint8_t *)tenant_id, strlen(tenant_id));
    crypto_generichash_final(&st, key, TT_KEY_BYTES);
}

/* ---- evidence ---- */

static void evidence_ad(const char *tenant_id, const char *event_id, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", tenant_id, event_id);
}

size_t tt_consent_seal_evidence(const struct tt_app *app, const uint8_t key[TT_KEY_BYTES],
                                const char *tenant_id, const char *event_id, const char *page,
                                const char *user_agent, const char *ip, uint8_t *out, size_t size)
{
    json_t *o = json_object();
    if (!o)
        return 0;
    if (page)
        json_object_set_new(o, "page", json_stringn(page, strnlen(page, PAGE_MAX)));
    if (user_agent)
        json_object_set_new(o, "user_agent", json_stringn(user_agent, strnlen(user_agent, UA_MAX)));
    if (ip && *ip) {
        char h[TT_HASH_HEX];
        tt_consent_ip_hash(app->master->blind_key, tenant_id, ip, h);
        json_object_set_new(o, "ip_hash", json_string(h));
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!text)
        return 0;
    size_t n = strlen(text), sealed = 0;
    char ad[2 * TT_ID_MAX + 2];
    evidence_ad(tenant_id, event_id, ad, sizeof ad);
    if (n + TT_SEAL_OVERHEAD <= size && tt_vault_seal(key, (const uint8_t *)text, n, ad, out) == 0)
        sealed = n + TT_SEAL_OVERHEAD;
    sodium_memzero(text, n);
    free(text);
    return sealed;
}

json_t *tt_consent_open_evidence(const uint8_t key[TT_KEY_BYTES], const char *tenant_id,
                                 const char *event_id, const uint8_t *sealed, size_t len)
{
    if (!sealed || len <= TT_SEAL_OVERHEAD || len > TT_CONSENT_EVIDENCE_MAX)
        return NULL;
    char ad[2 * TT_ID_MAX + 2];
    evidence_ad(tenant_id, event_id, ad, sizeof ad);
    uint8_t plain[TT_CONSENT_EVIDENCE_MAX];
    size_t n = len - TT_SEAL_OVERHEAD;
    if (tt_vault_open(key, sealed, len, ad, plain) < 0)
        return NULL;
    json_t *j = json_loadb((const char *)plain, n, 0, NULL);
    sodium_memzero(plain, n);
    return j;
}

void tt_consent_event_init(struct tt_consent_event *e, const char *tenant_id, tt_time now,
                           enum tt_consent_action action, const char *method,
                           const char *notice_version)
{
    memset(e, 0, sizeof *e);
    tt_id_new("cev_", e->id);
    tt__api_copy(e->tenant_id, sizeof e->tenant_id, tenant_id);
    e->at = now;
    e->expires_at = tt_time_add_months(now, TT_CONSENT_KEEP_MONTHS); /* S7.5 */
    e->action = action;
    tt__api_copy(e->method, sizeof e->method, method);
    tt__api_copy(e->notice_version, sizeof e->notice_version, notice_version);
}

/* ---- one subject's grants and withdrawals ---- */

struct states {
    const struct tt_consent_change *ch;
    size_t n;
    struct tt_purpose_state *ps; /* n, filled for the purposes found */
};

static int states_cb(void *cls, const struct tt_purpose_state *ps)
{
    struct states *x = cls;
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(ps->purpose, x->ch[i].purpose->key) == 0)
            x->ps[i] = *ps;
    return 0;
}

int tt_consent_prepare(struct tt_app *app, struct tt_store_conn *c, const struct tt_subject *s,
                       const struct tt_consent_change *ch, size_t n, struct tt_purpose_state *prev,
                       uint8_t *key, struct tt_resp *resp)
{
    memset(prev, 0, n * sizeof *prev);
    if (key) {
        int rc = tt_consent_subject_key(app, c, s->tenant_id, s->id, key);
        if (rc < 0)
            return tt_problem(resp, -rc, NULL, "the subject's consent key is not available");
    }
    struct states st = {ch, n, prev};
    enum tt_qs qs = tt_store_ops_of(c)->purpose_state_list(c, s->tenant_id, s->id, states_cb, &st);
    if (qs < 0) {
        if (key)
            sodium_memzero(key, TT_KEY_BYTES);
        return tt__api_store_err(resp, qs);
    }
    return 0;
}

void tt_consent_write_fill(struct tt_consent_write *w, const struct tt_subject *s,
                           const struct tt_consent_change *ch, const char *method,
                           const char *notice_version, const char *actor,
                           const struct tt_purpose_state *prev, tt_time now)
{
    memset(w, 0, sizeof *w);
    tt_consent_event_init(&w->ev, s->tenant_id, now, ch->action, method, notice_version);
    tt__api_copy(w->ev.subject_id, sizeof w->ev.subject_id, s->id);
    tt__api_copy(w->ev.target_kind, sizeof w->ev.target_kind, ch->target_kind);
    tt__api_copy(w->ev.target, sizeof w->ev.target, ch->target);
    w->actor = actor;
    /* S8.2: the current state changes in the same transaction as its proof */
    w->has_state = 1;
    if (prev)
        w->ps = *prev;
    tt__api_copy(w->ps.tenant_id, sizeof w->ps.tenant_id, s->tenant_id);
    tt__api_copy(w->ps.subject_id, sizeof w->ps.subject_id, s->id);
    tt__api_copy(w->ps.purpose, sizeof w->ps.purpose, ch->purpose->key);
    tt_consent_state_apply(ch->purpose, ch->action, &w->ps);
    /* the event changes one field: the store keeps the other as it is (types.h) */
    w->ps.changes =
        ch->purpose->basis_eea == TT_BASIS_LEGITIMATE_INTEREST ? TT_PS_OBJECTION : TT_PS_CONSENT;
    w->ps.updated_at = now;
}

int tt_consent_record_changes(struct tt_app *app, const struct tt_subject *s,
                              const struct tt_consent_change *ch, size_t n, const char *method,
                              const char *notice_version, const char *actor, const char *page,
                              const char *user_agent, const char *ip, struct tt_resp *resp,
                              struct tt_consent_event *out)
{
    if (n == 0)
        return 0;
    if (n > TT_CONSENT_SUBMIT_MAX)
        return tt_problem(resp, TT_E_BAD_FIELD, NULL, "too many consent changes at once");
    int sealing = page || user_agent || ip;
    struct tt_consent_write *w = calloc(n, sizeof *w);
    struct tt_consent_write **list = calloc(n, sizeof *list);
    uint8_t(*sealed)[TT_CONSENT_EVIDENCE_MAX] = sealing ? calloc(n, sizeof *sealed) : NULL;
    struct tt_purpose_state *ps = calloc(n, sizeof *ps);
    if (!w || !list || (sealing && !sealed) || !ps) {
        free(w);
        free(list);
        free(sealed);
        free(ps);
        return tt__api_nomem(resp);
    }
    tt_time now = tt_now(&app->clock);
    uint8_t key[TT_KEY_BYTES];
    struct tt_store_conn *c = tt_store_acquire(app->store);
    /* the CONSENT key only seals evidence: unwrapped only when there is some */
    int rc = tt_consent_prepare(app, c, s, ch, n, ps, sealing ? key : NULL, resp);
    tt_store_release(c);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        /* a purpose changed twice in one call carries the state its earlier change left */
        const struct tt_purpose_state *prev = &ps[i];
        for (size_t j = 0; j < i; j++)
            if (ch[j].purpose == ch[i].purpose)
                prev = &w[j].ps;
        tt_consent_write_fill(&w[i], s, &ch[i], method, notice_version, actor, prev, now);
        if (sealing) {
            w[i].ev.evidence_len =
                tt_consent_seal_evidence(app, key, s->tenant_id, w[i].ev.id, page, user_agent, ip,
                                         sealed[i], sizeof sealed[i]);
            w[i].ev.evidence = w[i].ev.evidence_len ? sealed[i] : NULL;
        }
        list[i] = &w[i];
    }
    if (sealing)
        sodium_memzero(key, sizeof key);
    if (rc == 0) {
        rc = tt_consent_submit(app->store, list, n); /* all of them, or none */
        if (rc < 0)
            rc = tt_problem(resp, -rc, NULL, "the consent event was not recorded");
    }
    /* committed: the next decision sees it, before this request is answered */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        tt_hook_purpose_state_changed(app, &w[i].ps);
        if (out) {
            out[i] = w[i].ev;
            out[i].evidence = NULL;
            out[i].evidence_len = 0;
        }
    }
    if (sealed)
        sodium_memzero(sealed, n * sizeof *sealed);
    free(w);
    free(list);
    free(sealed);
    free(ps);
    return rc;
}

int tt_consent_record_subject(struct tt_app *app, const struct tt_subject *s,
                              const struct tt_purpose *pu, const char *target_kind,
                              const char *target, enum tt_consent_action a, const char *method,
                              const char *notice_version, const char *actor, const char *page,
                              const char *user_agent, const char *ip, struct tt_resp *resp,
                              struct tt_consent_event *out)
{
    struct tt_consent_change ch = {pu, target_kind, target, a};
    return tt_consent_record_changes(app, s, &ch, 1, method, notice_version, actor, page,
                                     user_agent, ip, resp, out);
}

/* ---- verification ---- */

struct verify_ctx {
    const char *only;
    struct tt_consent_chain *chains;
    size_t n, cap;
    struct tt_consent_head *heads;
    size_t n_heads, cap_heads;
    struct tt_ledger_verifier v;
    int oom;
};

static int head_cb(void *cls, const struct tt_consent_head *h)
{
    struct verify_ctx *x = cls;
    if (x->only && strcmp(x->only, h->tenant_id) != 0)
        return 0;
    if (x->n_heads == x->cap_heads) {
        size_t cap = x->cap_heads ? 2 * x->cap_heads : 16;
        struct tt_consent_head *p = realloc(x->heads, cap * sizeof *p);
        if (!p) {
            x->oom = 1;
            return 1;
        }
        x->heads = p;
        x->cap_heads = cap;
    }
    x->heads[x->n_heads++] = *h;
    return 0;
}

static int event_cb(void *cls, const struct tt_consent_event *e)
{
    struct verify_ctx *x = cls;
    return tt_consent_verifier_feed(&x->v, e) != TT_LEDGER_OK;
}

static enum tt_qs verify_txn(struct tt_store_conn *c, void *cls)
{
    struct verify_ctx *x = cls;
    const struct tt_consent_store_ops *ops = tt_store_ops_of(c)->consent;
    x->n = x->n_heads = 0;
    enum tt_qs qs = ops->head_list(c, head_cb, x);
    if (qs < 0 || x->oom)
        return qs < 0 ? qs : TT_QS_HARD;
    free(x->chains);
    x->chains = calloc(x->n_heads ? x->n_heads : 1, sizeof *x->chains);
    if (!x->chains) {
        x->oom = 1;
        return TT_QS_HARD;
    }
    for (size_t i = 0; i < x->n_heads; i++) {
        const struct tt_consent_head *h = &x->heads[i];
        tt_ledger_verifier_init_at(&x->v, h->tenant_id, h->floor_seq, h->floor_hash);
        qs = ops->scan(c, h->tenant_id, event_cb, x);
        if (qs < 0)
            return qs;
        struct tt_audit_event tail;
        memset(&tail, 0, sizeof tail);
        tail.seq = h->seq;
        memcpy(tail.hash, h->hash, sizeof tail.hash);
        enum tt_ledger_break b = tt_ledger_verifier_end(&x->v, &tail);
        struct tt_consent_chain *r = &x->chains[x->n++];
        tt__api_copy(r->tenant_id, sizeof r->tenant_id, h->tenant_id);
        r->events = x->v.count;
        r->broken = b;
        r->broken_seq = x->v.broken_seq;
    }
    return TT_QS_ONE;
}

int tt_consent_verify(struct tt_store *s, const char *tenant_id, tt_consent_chain_cb cb, void *cls)
{
    struct verify_ctx x;
    memset(&x, 0, sizeof x);
    x.only = tenant_id;
    struct tt_store_conn *c = tt_store_acquire(s);
    enum tt_qs qs = tt_store_txn(c, verify_txn, &x);
    tt_store_release(c);
    int rc = 0;
    if (x.oom)
        rc = -TT_E_NOMEM;
    else if (qs < 0)
        rc = qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
    for (size_t i = 0; rc == 0 && i < x.n; i++)
        if (cb && cb(cls, &x.chains[i]))
            break;
    free(x.chains);
    free(x.heads);
    return rc;
}
