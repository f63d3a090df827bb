/* SPDX-License-Identifier: Apache-2.0 */
/* requests_code.c — one-time verification codes of rights requests (S8.1, issue 5): six digits
 * sent by email or SMS through the outbox to an identifier the subject already has on file,
 * kept only as a keyed hash, valid 15 minutes, locked after 5 wrong tries. The code is never
 * logged, audited or returned; sending happens in the transaction that records it. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../core/vault.h"
#include "../http/i18n.h"
#include "../jobs/outbox.h"
#include "common.h"
#include "handlers_requests.h"
#include "requests_int.h"
#include "spec.h"

/* keyed BLAKE2b of "tenant\0request\0code" under the master's token key, hex */
static void code_hash(const struct tt_master *m, const struct tt_request *r, const char *code,
                      char out[TT_HASH_HEX])
{
    crypto_generichash_state st;
    uint8_t h[32];
    crypto_generichash_init(&st, m->token_key, sizeof m->token_key, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)"request-code", 13);
    crypto_generichash_update(&st, (const uint8_t *)r->tenant_id, strlen(r->tenant_id) + 1);
    crypto_generichash_update(&st, (const uint8_t *)r->id, strlen(r->id) + 1);
    crypto_generichash_update(&st, (const uint8_t *)code, strlen(code));
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, TT_HASH_HEX, h, sizeof h);
    sodium_memzero(h, sizeof h);
    sodium_memzero(&st, sizeof st);
}

int tt__rq_code_format_ok(const char *code)
{
    if (!code || strlen(code) != TT_RQ_CODE_DIGITS)
        return 0;
    for (const char *p = code; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

enum tt_qs tt__rq_code_check(struct tt_app *app, struct tt_store_conn *c, struct tt_request *r,
                             const char *code, const char *actor, tt_time now, int *err)
{
    *err = 0;
    if (r->code_attempts >= TT_RQ_CODE_ATTEMPTS) {
        *err = TT_E_VERIFICATION_LOCKED;
        return TT_QS_ONE;
    }
    if (!r->code_hash[0]) {
        /* the one that was sent was used (or none was sent): nothing to compare with */
        *err = strcmp(r->verify_method, "code") == 0 ? TT_E_CODE_EXPIRED : TT_E_INVALID_STATE;
        return TT_QS_ONE;
    }
    if (now >= r->code_expires_at) {
        *err = TT_E_CODE_EXPIRED;
        return TT_QS_ONE;
    }
    char h[TT_HASH_HEX];
    code_hash(app->master, r, code, h);
    int same = sodium_memcmp(h, r->code_hash, TT_HASH_HEX - 1) == 0;
    sodium_memzero(h, sizeof h);
    if (same) {
        r->code_hash[0] = '\0'; /* used once */
        r->code_expires_at = 0;
        return TT_QS_ONE;
    }
    r->code_attempts++;
    int locked = r->code_attempts >= TT_RQ_CODE_ATTEMPTS;
    if (locked)
        r->code_hash[0] = '\0';
    r->updated_at = now;
    enum tt_qs qs = tt_store_ops_of(c)->requests->update(c, r);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    qs = tt__rq_note(c, r, locked ? "code_locked" : "code_failed", actor, NULL, now);
    if (qs < 0)
        return qs;
    *err = locked ? TT_E_VERIFICATION_LOCKED : TT_E_BAD_CODE;
    return TT_QS_ONE;
}

struct got_one {
    struct tt_request r;
    int found;
};

static int got_cb(void *cls, const struct tt_request *r)
{
    struct got_one *g = cls;
    g->r = *r;
    g->r.attachment_enc = NULL; /* blobs are never rewritten here */
    g->r.attachment_enc_len = 0;
    g->r.confirmation_enc = NULL;
    g->r.confirmation_enc_len = 0;
    g->found = 1;
    return 0;
}

struct send_ctx {
    struct tt_app *app;
    struct tt_request r;
    enum tt_identity_type type;
    const char *actor;
    char lang[TT_I18N_LANG_MAX];
    tt_time now;
    int err;                   /* a problem found inside the transaction */
    const char *err_field;     /* its field */
    uint8_t key[TT_KEY_BYTES]; /* the subject's main key while the transaction runs */
    char to[TT_IDENT_MAX];     /* the identifier on file, wiped after use */
    int found;
};

static int ident_cb(void *cls, const struct tt_identity *i)
{
    struct send_ctx *x = cls;
    if (i->type != x->type || !i->value_enc || i->value_enc_len < TT_SEAL_OVERHEAD)
        return 0;
    size_t n = i->value_enc_len - TT_SEAL_OVERHEAD;
    if (n >= sizeof x->to)
        return 0;
    char ad[TT_VALUE_AD_MAX];
    tt__api_value_ad(i->tenant_id, i->subject_id, i->id, ad);
    if (tt_vault_open(x->key, i->value_enc, i->value_enc_len, ad, (uint8_t *)x->to) < 0) {
        sodium_memzero(x->to, sizeof x->to);
        return 0;
    }
    x->to[n] = '\0';
    x->found = 1;
    return 1; /* the first one on file */
}

static enum tt_qs send_txn(struct tt_store_conn *c, void *cls)
{
    struct send_ctx *x = cls;
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_request *r = &x->r;
    x->err = 0;
    x->found = 0;
    struct got_one g = {0};
    enum tt_qs qs = ops->requests->get(c, r->tenant_id, r->id, got_cb, &g);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    *r = g.r; /* the attempts and state as they are now */
    if (r->code_attempts >= TT_RQ_CODE_ATTEMPTS) {
        x->err = TT_E_VERIFICATION_LOCKED;
        x->err_field = "code";
        return TT_QS_ONE;
    }
    /* S8.1: only to an identifier on file, never one the caller names */
    qs = ops->identity_list(c, r->tenant_id, r->subject_id, ident_cb, x);
    if (qs < 0)
        return qs;
    if (!x->found) {
        x->err = TT_E_BAD_FIELD;
        x->err_field = "channel";
        return TT_QS_ONE;
    }
    char code[TT_RQ_CODE_DIGITS + 1];
    snprintf(code, sizeof code, "%06u", (unsigned)randombytes_uniform(1000000));
    code_hash(x->app->master, r, code, r->code_hash);
    r->code_expires_at = x->now + TT_RQ_CODE_TTL_S;
    qs = tt__rq_transition(c, r, TT_RQE_CODE_SENT, x->actor,
                           x->type == TT_IDENT_EMAIL ? "email" : "sms", x->now);
    if (qs == TT_QS_NONE) {
        x->err = TT_E_INVALID_STATE;
        x->err_field = "state";
        sodium_memzero(code, sizeof code);
        return TT_QS_HARD;
    }
    char subject[256], body[1024];
    snprintf(subject, sizeof subject, "%s", tt_i18n(x->lang, "requests.code.subject"));
    snprintf(body, sizeof body, "%s\n\n    %s\n\n%s\n", tt_i18n(x->lang, "requests.code.body"),
             code, tt_i18n(x->lang, "requests.code.expiry"));
    sodium_memzero(code, sizeof code);
    struct tt_outbox_msg msg = {
        .channel = x->type == TT_IDENT_EMAIL ? TT_OUTBOX_EMAIL : TT_OUTBOX_SMS,
        .to = x->to,
        .subject = x->type == TT_IDENT_EMAIL ? subject : NULL,
        .body = body,
    };
    tt__api_copy(msg.tenant_id, sizeof msg.tenant_id, r->tenant_id);
    tt__api_copy(msg.kind, sizeof msg.kind, "request.code");
    tt__api_copy(msg.ref, sizeof msg.ref, r->id);
    if (qs > 0)
        qs = tt_outbox_enqueue(c, x->app->master, x->now, &msg, NULL);
    sodium_memzero(body, sizeof body);
    sodium_memzero(x->to, sizeof x->to);
    return qs;
}

int tt_api_request_code_send(struct tt_req *req, struct tt_resp *resp)
{
    if (tt__rq_backend_ok(req->app, resp) < 0)
        return -TT_E_UNAVAILABLE;
    const char *channel = NULL, *lang = NULL;
    struct tt_spec spec[] = {
        tt_spec_key("channel", &channel, 1),
        tt_spec_key("lang", &lang, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    struct tt_app *app = req->app;
    struct send_ctx *x = sodium_malloc(sizeof *x);
    if (!x)
        return tt__api_nomem(resp);
    memset(x, 0, sizeof *x);
    x->app = app;
    x->actor = req->auth.key_id;
    x->now = tt_now(&app->clock);
    tt_i18n_pick(lang, tt_req_header(req, "Accept-Language"), x->lang);
    if (strcmp(channel, "email") == 0)
        x->type = TT_IDENT_EMAIL;
    else if (strcmp(channel, "sms") == 0)
        x->type = TT_IDENT_PHONE;
    else
        rc = tt_problem(resp, TT_E_BAD_FIELD, "channel", "'channel' must be email or sms");
    struct tt_store_conn *c = rc == 0 ? tt_store_acquire(app->store) : NULL;
    struct got_one g = {0};
    const char *id = tt_req_param(req, "id");
    if (rc == 0) {
        enum tt_qs qs =
            tt__api_id_ok(id, "req_")
                ? tt_store_ops_of(c)->requests->get(c, req->auth.tenant_id, id, got_cb, &g)
                : TT_QS_NONE;
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
        else if (!g.found)
            rc = tt_problem(resp, TT_E_NOT_FOUND, "id", "no such request in this tenant");
        else if (g.r.channel == TT_RQ_API)
            /* S1.4: in processor mode the platform never contacts the end user */
            rc = tt_problem(resp, TT_E_INVALID_STATE, "channel",
                            "the controller tenant verifies its own end users");
    }
    struct tt_subject s;
    if (rc == 0)
        rc = tt__api_subject_load(c, req->auth.tenant_id, g.r.subject_id, "subject", &s, resp);
    if (rc == 0)
        rc = tt__api_subject_key(app, c, &s, x->key, resp);
    if (rc == 0) {
        x->r = g.r;
        enum tt_qs qs = tt_store_txn(c, send_txn, x);
        if (x->err == TT_E_BAD_FIELD)
            rc = tt_problem(resp, TT_E_BAD_FIELD, "channel",
                            "the subject has no %s on file to send a code to", channel);
        else if (x->err == TT_E_INVALID_STATE)
            rc = tt_problem(resp, TT_E_INVALID_STATE, "state", "a %s request takes no code",
                            tt_rq_state_name(g.r.state));
        else if (x->err)
            rc = tt_problem(resp, x->err, x->err_field,
                            "too many wrong codes; staff may verify "
                            "the requester by other means");
        else if (qs < 0)
            rc = tt__api_store_err(resp, qs);
    }
    json_t *body = NULL;
    if (rc == 0) {
        body =
            json_pack("{s:s, s:s, s:s, s:o}", "id", x->r.id, "state", tt_rq_state_name(x->r.state),
                      "channel", channel, "expires_at", tt__api_time(x->r.code_expires_at));
        rc = body ? 0 : tt__api_nomem(resp);
    }
    tt_store_release(c);
    sodium_free(x); /* wipes the key and the address */
    return rc == 0 ? tt_reply(resp, 202, body) : rc;
}
