/* SPDX-License-Identifier: Apache-2.0 */
/* accounts_totp.c — optional second factor (S6.1, RFC 6238): a signed-in account enrols (a new
 * secret, its otpauth URI and QR code, shown once), confirms with a first code (the factor is
 * then on, and ten recovery codes are shown once and stored hashed). Codes are rate limited per
 * account; a code's step is never accepted twice. Each step audited. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/totp.h"
#include "accounts_int.h"
#include "audit.h"
#include "common.h"
#include "handlers.h"
#include "spec.h"

struct totp_ctx {
    struct tt_account a;
    const char *action;
    char codes[TT_TOTP_RECOVERY_COUNT][TT_TOTP_RECOVERY_LEN + 1];
    int n_codes;
    const struct tt_master *m;
};

static enum tt_qs totp_txn(struct tt_store_conn *c, void *cls)
{
    struct totp_ctx *x = cls;
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs = ao->account_update(c, &x->a);
    if (qs <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    if (x->n_codes > 0) {
        if ((qs = ao->recovery_clear(c, x->a.tenant_id, x->a.id)) < 0)
            return qs;
        for (int i = 0; i < x->n_codes; i++) {
            char h[TT_HASH_HEX];
            tt__acc_recovery_hash(x->m, x->a.id, x->codes[i], h);
            if ((qs = ao->recovery_put(c, x->a.tenant_id, x->a.id, h, x->a.updated_at)) <= 0)
                return qs == TT_QS_NONE ? TT_QS_HARD : qs;
        }
    }
    qs = tt_audit_emit(c, x->a.tenant_id, x->a.updated_at, x->a.id, x->action, x->a.id, NULL);
    return qs < 0 ? qs : TT_QS_ONE;
}

static int load_me(struct tt_req *req, struct tt_resp *resp, struct tt_account *a)
{
    if (strncmp(req->auth.key_id, "acc_", 4) != 0)
        return tt_problem(resp, TT_E_NOT_FOUND, "tt_session",
                          "two-factor set-up needs a signed-in account");
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs = ao ? ao->account_get(c, req->auth.tenant_id, req->auth.key_id, a) : TT_QS_SOFT;
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_NOT_FOUND, "tt_session", "no such account");
    return 0;
}

static int run(struct tt_req *req, struct tt_resp *resp, struct totp_ctx *x)
{
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_txn(c, totp_txn, x);
    tt_store_release(c);
    return qs < 0 ? tt__api_store_err(resp, qs) : 0;
}

int tt_api_totp_enrol(struct tt_req *req, struct tt_resp *resp)
{
    struct totp_ctx x = {.action = "account.totp.enrol", .m = req->app->master};
    int rc = load_me(req, resp, &x.a);
    if (rc < 0)
        return rc;
    if (x.a.totp_enabled) {
        sodium_memzero(&x, sizeof x);
        return tt_problem(resp, TT_E_CONFLICT, "totp", "two-factor authentication is already on");
    }
    uint8_t secret[TT_TOTP_SECRET_BYTES];
    char b32[TT_TOTP_B32_MAX], uri[TT_TOTP_URI_MAX], norm[TT_IDENT_MAX];
    tt_totp_secret_new(secret);
    rc = tt__acc_totp_seal(req->app->master, &x.a, secret);
    if (rc == 0)
        rc = tt_totp_base32(secret, sizeof secret, b32, sizeof b32);
    sodium_memzero(secret, sizeof secret);
    if (rc == 0)
        rc = tt__acc_email_open(req->app->master, &x.a, norm);
    if (rc == 0)
        rc = tt_totp_uri("tutela", norm, b32, uri, sizeof uri);
    sodium_memzero(norm, sizeof norm);
    x.a.totp_last_step = 0;
    x.a.updated_at = tt_now(&req->app->clock);
    if (rc == 0)
        rc = run(req, resp, &x);
    else
        rc = tt_problem(resp, TT_E_CRYPTO, "", "the secret cannot be made");
    char *svg = rc == 0 ? tt__acc_qr_svg(uri) : NULL;
    json_t *body = rc == 0 && svg ? json_pack("{s:s, s:s, s:s, s:b}", "secret", b32, "otpauth_uri",
                                              uri, "qr_svg", svg, "totp_enabled", 0)
                                  : NULL;
    if (svg) {
        sodium_memzero(svg, strlen(svg));
        free(svg);
    }
    sodium_memzero(b32, sizeof b32);
    sodium_memzero(uri, sizeof uri);
    sodium_memzero(&x, sizeof x);
    if (rc < 0)
        return rc;
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->cache_control, sizeof resp->cache_control, "no-store");
    return tt_reply(resp, 201, body);
}

int tt_api_totp_confirm(struct tt_req *req, struct tt_resp *resp)
{
    const char *code = NULL;
    struct tt_spec spec[] = {tt_spec_string_max("code", &code, 16, 1), tt_spec_end()};
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    struct totp_ctx x = {.action = "account.totp.enable", .m = req->app->master};
    if ((rc = load_me(req, resp, &x.a)) < 0)
        return rc;
    tt_time now = tt_now(&req->app->clock);
    int retry = 0;
    if (tt__acc_rl_attempt("totp", x.a.id, now, &retry) < 0) {
        resp->retry_after = retry;
        sodium_memzero(&x, sizeof x);
        return tt_problem(resp, TT_E_RATE_LIMITED, "code", "too many attempts; retry later");
    }
    if (x.a.totp_enabled || x.a.totp_enc_len == 0) {
        sodium_memzero(&x, sizeof x);
        return tt_problem(resp, TT_E_INVALID_STATE, "code",
                          "no two-factor enrolment is waiting for confirmation");
    }
    uint8_t secret[TT_TOTP_SECRET_BYTES];
    int64_t step = 0;
    rc = tt__acc_totp_open(req->app->master, &x.a, secret);
    if (rc == 0)
        rc = tt_totp_verify(secret, sizeof secret, now, code, x.a.totp_last_step, &step);
    sodium_memzero(secret, sizeof secret);
    if (rc < 0) {
        int lock = tt__acc_rl_fail("totp", x.a.id, now);
        json_t *d = json_pack("{s:s, s:i}", "reason",
                              rc == -TT_E_CODE_EXPIRED ? "totp replay" : "wrong totp",
                              "lock_seconds", lock);
        tt_audit_emit_now(req->app->store, x.a.tenant_id, now, x.a.id, "account.totp.failure",
                          x.a.id, d);
        json_decref(d);
        sodium_memzero(&x, sizeof x);
        return tt_problem(resp, rc == -TT_E_CODE_EXPIRED ? TT_E_CODE_EXPIRED : TT_E_BAD_CODE,
                          "code", "the code is not valid");
    }
    tt__acc_rl_success("totp", x.a.id);
    x.a.totp_enabled = 1;
    x.a.totp_last_step = step;
    x.a.updated_at = now;
    x.n_codes = TT_TOTP_RECOVERY_COUNT;
    for (int i = 0; i < x.n_codes; i++)
        tt_totp_recovery_new(x.codes[i]);
    rc = run(req, resp, &x);
    json_t *codes = rc == 0 ? json_array() : NULL;
    for (int i = 0; codes && i < x.n_codes; i++)
        json_array_append_new(codes, json_string(x.codes[i]));
    sodium_memzero(&x, sizeof x);
    if (rc < 0)
        return rc;
    json_t *body =
        codes ? json_pack("{s:b, s:o}", "totp_enabled", 1, "recovery_codes", codes) : NULL;
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->cache_control, sizeof resp->cache_control, "no-store");
    return tt_reply(resp, 200, body);
}
