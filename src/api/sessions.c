/* SPDX-License-Identifier: Apache-2.0 */
/* sessions.c — sign-in and sessions (S6.1, issue 8): POST /v1/sessions with an account's email,
 * password and (when enabled) TOTP code, or with an API key; the tt_session cookie and its CSRF
 * token; the current session, the caller's own sessions, sign-out and revocation. Sign-in is
 * rate limited per IP and per account with backoff; an unknown email costs one Argon2id run like
 * a known one and gets the same answer; every success, failure and lockout is audited. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../core/totp.h"
#include "../http/session.h"
#include "accounts_int.h"
#include "audit.h"
#include "common.h"
#include "handlers.h"
#include "spec.h"

#define PLATFORM_TENANT "ten_platform"

struct signin {
    struct tt_app *app;
    struct tt_session s;
    struct tt_account acc; /* when has_account */
    int has_account;
    int update_account;        /* rehash or TOTP step */
    const char *recovery_hash; /* a recovery code to spend, or NULL */
    int recovery_used;
    char method[16]; /* "password", "password+totp", "recovery", "api_key" */
};

static enum tt_qs signin_txn(struct tt_store_conn *c, void *cls)
{
    struct signin *x = cls;
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs;
    x->recovery_used = 0;
    if (x->recovery_hash) {
        qs = ao->recovery_use(c, x->acc.tenant_id, x->acc.id, x->recovery_hash, x->s.created_at);
        if (qs <= 0)
            return qs; /* NONE: the code was not (or no longer) valid */
        x->recovery_used = 1;
    }
    if (x->update_account && (qs = ao->account_update(c, &x->acc)) <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    if ((qs = ao->session_put(c, &x->s)) <= 0)
        return qs == TT_QS_NONE ? TT_QS_HARD : qs;
    json_t *d = json_pack("{s:s, s:s}", "method", x->method, "role", tt_role_name(x->s.role));
    if (!d)
        return TT_QS_HARD;
    qs = tt_audit_emit(c, x->s.tenant_id, x->s.created_at, x->has_account ? x->acc.id : x->s.key_id,
                       "session.signin", x->s.id, d);
    json_decref(d);
    return qs < 0 ? qs : TT_QS_ONE;
}

/* A refused sign-in in the audit trail: in the account's tenant, or the platform's when the
 * account is unknown (target "unknown": the email is never written). */
static void audit_refusal(struct tt_app *app, const struct tt_account *a, const char *action,
                          const char *reason, int lock_s)
{
    json_t *d = json_pack("{s:s, s:i}", "reason", reason, "lock_seconds", lock_s);
    tt_audit_emit_now(app->store, a ? a->tenant_id : PLATFORM_TENANT, tt_now(&app->clock),
                      a ? a->id : "anonymous", action, a ? a->id : "unknown", d);
    json_decref(d);
}

/* Records a failure against account and IP; audits it, and the lockout when one starts. */
static int refuse(struct tt_req *req, struct tt_resp *resp, const struct tt_account *a,
                  const char *norm, const char *field, const char *reason)
{
    tt_time now = tt_now(&req->app->clock);
    int lock = tt__acc_rl_fail("ip", req->client_ip, now);
    if (norm) {
        int l = tt__acc_rl_fail("acct", norm, now);
        if (l > lock)
            lock = l;
    }
    audit_refusal(req->app, a, "session.signin.failure", reason, 0);
    if (lock > 0)
        audit_refusal(req->app, a, "session.signin.lockout", reason, lock);
    return tt_problem(resp, TT_E_UNAUTHORIZED, field, "the sign-in was refused");
}

static json_t *session_body(struct tt_app *app, const struct tt_session *s, const char *csrf,
                            struct tt_store_conn *c)
{
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:o}", "session_id", s->id, "tenant",
                             s->tenant_id, "role", tt_role_name(s->role), "csrf_token", csrf,
                             "expires_at", tt__api_time(s->expires_at));
    if (!body)
        return NULL;
    if (s->account_id[0]) {
        struct tt_account a;
        const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
        if (ao && ao->account_get(c, s->tenant_id, s->account_id, &a) == TT_QS_ONE) {
            json_t *aj = tt__acc_account_json(app->master, &a);
            json_t *acc = aj ? json_pack("{s:s, s:O, s:O}", "id", a.id, "email_masked",
                                         json_object_get(aj, "email_masked"), "totp_enabled",
                                         json_object_get(aj, "totp_enabled"))
                             : NULL;
            json_decref(aj);
            if (acc)
                json_object_set_new(body, "account", acc);
        }
        sodium_memzero(&a, sizeof a);
    } else {
        json_object_set_new(body, "key_id", json_string(s->key_id));
    }
    return body;
}

/* A new session for x (owner filled), its cookie and reply. */
static int open_session(struct tt_req *req, struct tt_resp *resp, struct signin *x)
{
    tt_time now = tt_now(&req->app->clock);
    char secret[TT_SESSION_SECRET_MAX + 1];
    tt_id_new("ses_", x->s.id);
    tt_random_token(32, secret, sizeof secret);
    tt_vault_hash_secret(secret, x->s.secret_hash);
    x->s.created_at = now;
    x->s.last_seen_at = now;
    x->s.expires_at = now + tt_session_absolute_s();
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_txn(c, signin_txn, x);
    if (qs < 0 || (x->recovery_hash && !x->recovery_used)) {
        tt_store_release(c);
        sodium_memzero(secret, sizeof secret);
        if (qs >= 0)
            return refuse(req, resp, &x->acc, NULL, "totp", "recovery code");
        return tt__api_store_err(resp, qs);
    }
    char value[TT_SESSION_VALUE_MAX], csrf[TT_CSRF_MAX];
    snprintf(value, sizeof value, "%s.%s", x->s.id, secret);
    tt_session_csrf(req->app, x->s.id, secret, csrf);
    tt_session_set_cookie(resp->set_cookie, sizeof resp->set_cookie, value, tt_session_absolute_s(),
                          req->local_plain);
    sodium_memzero(value, sizeof value);
    sodium_memzero(secret, sizeof secret);
    json_t *body = session_body(req->app, &x->s, csrf, c);
    tt_store_release(c);
    sodium_memzero(csrf, sizeof csrf);
    if (!body)
        return tt__api_nomem(resp);
    tt__acc_rl_success("ip", req->client_ip);
    return tt_reply(resp, 201, body);
}

static int signin_key(struct tt_req *req, struct tt_resp *resp, const char *token)
{
    char key_id[TT_ID_MAX], secret[TT_API_SECRET_MAX + 1], presented[TT_HASH_HEX];
    if (tt_api_token_parse(token, key_id, secret, sizeof secret) < 0)
        return refuse(req, resp, NULL, NULL, "api_key", "malformed key");
    tt_vault_hash_secret(secret, presented);
    sodium_memzero(secret, sizeof secret);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    struct tt_api_key k;
    enum tt_qs qs = ops->api_key_get(c, key_id, &k);
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE || k.revoked_at != 0 || !tt_vault_hash_equal(k.hash_hex, presented))
        return refuse(req, resp, NULL, NULL, "api_key", "bad key");
    struct signin x = {.app = req->app};
    tt__api_copy(x.s.tenant_id, sizeof x.s.tenant_id, k.tenant_id);
    tt__api_copy(x.s.key_id, sizeof x.s.key_id, k.id);
    x.s.role = k.role;
    snprintf(x.method, sizeof x.method, "api_key");
    return open_session(req, resp, &x);
}

static int signin_account(struct tt_req *req, struct tt_resp *resp, const char *email,
                          const char *password, const char *totp)
{
    struct tt_app *app = req->app;
    struct tt_pwhash_params pp = tt__acc_pwhash_params();
    size_t pw_len = strlen(password);
    char norm[TT_IDENT_MAX];
    if (tt__acc_email_norm(email, norm) < 0) {
        tt_password_dummy_verify(password, pw_len, pp);
        return refuse(req, resp, NULL, NULL, "email", "malformed email");
    }
    int retry = 0;
    if (tt__acc_rl_attempt("acct", norm, tt_now(&app->clock), &retry) < 0) {
        resp->retry_after = retry;
        sodium_memzero(norm, sizeof norm);
        return tt_problem(resp, TT_E_RATE_LIMITED, "email", "too many attempts; retry later");
    }
    char blind[TT_HASH_HEX];
    tt__acc_email_blind(app->master, norm, blind);
    struct signin x = {.app = app};
    struct tt_store_conn *c = tt_store_acquire(app->store);
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs = ao ? ao->account_find(c, blind, &x.acc) : TT_QS_HARD;
    tt_store_release(c);
    int rc;
    if (qs < 0) {
        rc = tt__api_store_err(resp, qs);
        goto out;
    }
    if (qs == TT_QS_NONE) {
        /* S6.3: the same work and the same answer as a wrong password */
        tt_password_dummy_verify(password, pw_len, pp);
        rc = refuse(req, resp, NULL, norm, "password", "unknown account or wrong password");
        goto out;
    }
    x.has_account = 1;
    if (!tt_password_verify(x.acc.pw_hash, password, pw_len)) {
        rc = refuse(req, resp, &x.acc, norm, "password", "unknown account or wrong password");
        goto out;
    }
    if (x.acc.status != TT_ACCOUNT_ACTIVE) {
        audit_refusal(app, &x.acc, "session.signin.failure", tt__acc_status_name(x.acc.status), 0);
        rc = tt_problem(resp, TT_E_ACCOUNT_LOCKED, "email", "the account is %s",
                        tt__acc_status_name(x.acc.status));
        goto out;
    }
    snprintf(x.method, sizeof x.method, "password");
    char rhash[TT_HASH_HEX];
    if (x.acc.totp_enabled) {
        if (!totp || !*totp) {
            rc = tt_problem(resp, TT_E_UNAUTHORIZED, "totp", "a second-factor code is required");
            goto out;
        }
        if (tt__acc_rl_attempt("totp", x.acc.id, tt_now(&app->clock), &retry) < 0) {
            resp->retry_after = retry;
            rc = tt_problem(resp, TT_E_RATE_LIMITED, "totp", "too many attempts; retry later");
            goto out;
        }
        char rc_norm[TT_TOTP_RECOVERY_LEN + 1];
        if (strlen(totp) > TT_TOTP_DIGITS && tt_totp_recovery_normalise(totp, rc_norm) == 0) {
            tt__acc_recovery_hash(app->master, x.acc.id, rc_norm, rhash);
            x.recovery_hash = rhash;
            snprintf(x.method, sizeof x.method, "recovery");
        } else {
            uint8_t secret[TT_TOTP_SECRET_BYTES];
            int64_t step = 0;
            int v = tt__acc_totp_open(app->master, &x.acc, secret);
            if (v == 0)
                v = tt_totp_verify(secret, sizeof secret, tt_now(&app->clock), totp,
                                   x.acc.totp_last_step, &step);
            sodium_memzero(secret, sizeof secret);
            if (v < 0) {
                tt__acc_rl_fail("totp", x.acc.id, tt_now(&app->clock));
                rc = refuse(req, resp, &x.acc, norm, "totp",
                            v == -TT_E_CODE_EXPIRED ? "totp replay" : "wrong totp");
                goto out;
            }
            x.acc.totp_last_step = step;
            x.update_account = 1;
            snprintf(x.method, sizeof x.method, "password+totp");
        }
        tt__acc_rl_success("totp", x.acc.id);
    }
    if (tt_password_needs_rehash(x.acc.pw_hash, pp) == 1 &&
        tt_password_hash(password, pw_len, pp, x.acc.pw_hash) == 0)
        x.update_account = 1;
    x.acc.updated_at = x.update_account ? tt_now(&app->clock) : x.acc.updated_at;
    tt__acc_rl_success("acct", norm);
    tt__api_copy(x.s.tenant_id, sizeof x.s.tenant_id, x.acc.tenant_id);
    tt__api_copy(x.s.account_id, sizeof x.s.account_id, x.acc.id);
    x.s.role = x.acc.role;
    rc = open_session(req, resp, &x);
out:
    sodium_memzero(norm, sizeof norm);
    sodium_memzero(&x.acc, sizeof x.acc);
    return rc;
}

int tt_api_session_create(struct tt_req *req, struct tt_resp *resp)
{
    const char *email = NULL, *password = NULL, *totp = NULL, *api_key = NULL;
    struct tt_spec spec[] = {
        tt_spec_string_max("email", &email, TT_ACCOUNT_EMAIL_MAX, 0),
        tt_spec_string_max("password", &password, TT_PASSWORD_MAX, 0),
        tt_spec_string_max("totp", &totp, 32, 0),
        tt_spec_string_max("api_key", &api_key, TT_API_TOKEN_MAX, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse_body(req, spec, resp);
    if (rc < 0)
        return rc;
    if (api_key && (email || password))
        return tt_problem(resp, TT_E_BAD_FIELD, "api_key",
                          "sign in with either an API key or an email and password");
    if (!api_key && !email)
        return tt_problem(resp, TT_E_MISSING_FIELD, "email", "'email' is required");
    if (!api_key && !password)
        return tt_problem(resp, TT_E_MISSING_FIELD, "password", "'password' is required");
    int retry = 0;
    if (tt__acc_rl_attempt("ip", req->client_ip, tt_now(&req->app->clock), &retry) < 0) {
        resp->retry_after = retry;
        return tt_problem(resp, TT_E_RATE_LIMITED, "", "too many attempts; retry later");
    }
    return api_key ? signin_key(req, resp, api_key)
                   : signin_account(req, resp, email, password, totp);
}

/* The caller's own session row (cookie callers only). */
static int current(struct tt_req *req, struct tt_resp *resp, struct tt_store_conn *c,
                   struct tt_session *out)
{
    if (!req->auth.session_id[0])
        return tt_problem(resp, TT_E_NOT_FOUND, "tt_session",
                          "this request was authenticated by an API key, not a session");
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs = ao ? ao->session_get(c, req->auth.session_id, out) : TT_QS_HARD;
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_NOT_FOUND, "tt_session", "no such session");
    return 0;
}

int tt_api_session_current(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    struct tt_session s;
    int rc = current(req, resp, c, &s);
    if (rc < 0) {
        tt_store_release(c);
        return rc;
    }
    char value[TT_SESSION_VALUE_MAX], id[TT_ID_MAX], secret[TT_SESSION_SECRET_MAX + 1];
    char csrf[TT_CSRF_MAX] = "";
    if (tt_session_cookie_find(tt_req_header(req, "Cookie"), value, sizeof value) &&
        tt_session_value_parse(value, id, secret) == 0)
        tt_session_csrf(req->app, id, secret, csrf);
    sodium_memzero(value, sizeof value);
    sodium_memzero(secret, sizeof secret);
    s.role = req->auth.role; /* the account's role now */
    json_t *body = session_body(req->app, &s, csrf, c);
    tt_store_release(c);
    sodium_memzero(csrf, sizeof csrf);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

struct revoke {
    const char *tenant_id, *id, *actor, *action;
    tt_time at;
    int found;
};

static enum tt_qs revoke_txn(struct tt_store_conn *c, void *cls)
{
    struct revoke *x = cls;
    x->found = 0;
    enum tt_qs qs = tt__acc_ops(c)->session_revoke(c, x->tenant_id, x->id, x->at);
    if (qs <= 0)
        return qs;
    if ((qs = tt_audit_emit(c, x->tenant_id, x->at, x->actor, x->action, x->id, NULL)) < 0)
        return qs;
    x->found = 1;
    return TT_QS_ONE;
}

static int revoke(struct tt_req *req, struct tt_resp *resp, const char *id, const char *action)
{
    struct revoke x = {req->auth.tenant_id,      id, req->auth.key_id, action,
                       tt_now(&req->app->clock), 0};
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt__acc_ops(c) ? tt_store_txn(c, revoke_txn, &x) : TT_QS_HARD;
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (!x.found)
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such live session");
    return 0;
}

int tt_api_session_delete_current(struct tt_req *req, struct tt_resp *resp)
{
    if (!req->auth.session_id[0])
        return tt_problem(resp, TT_E_NOT_FOUND, "tt_session",
                          "this request was authenticated by an API key, not a session");
    int rc = revoke(req, resp, req->auth.session_id, "session.signout");
    if (rc < 0)
        return rc;
    tt_session_set_cookie(resp->set_cookie, sizeof resp->set_cookie, "", 0, req->local_plain);
    json_t *body = json_pack("{s:s, s:b}", "id", req->auth.session_id, "revoked", 1);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

/* The owner of the caller: an account (session of an account) or a key. */
static void owner_of(const struct tt_req *req, const char **account_id, const char **key_id)
{
    int is_account = strncmp(req->auth.key_id, "acc_", 4) == 0;
    *account_id = is_account ? req->auth.key_id : "";
    *key_id = is_account ? "" : req->auth.key_id;
}

struct own_list {
    json_t *items;
    const char *current;
};

static int own_row(void *cls, const struct tt_session *s)
{
    struct own_list *l = cls;
    json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:b}", "id", s->id, "role",
                          tt_role_name(s->role), "created_at", tt__api_time(s->created_at),
                          "last_seen_at", tt__api_time(s->last_seen_at), "expires_at",
                          tt__api_time(s->expires_at), "current", strcmp(s->id, l->current) == 0);
    return j ? json_array_append_new(l->items, j) : 1;
}

int tt_api_session_list(struct tt_req *req, struct tt_resp *resp)
{
    const char *account_id, *key_id;
    owner_of(req, &account_id, &key_id);
    struct own_list l = {json_array(), req->auth.session_id};
    if (!l.items)
        return tt__api_nomem(resp);
    tt_time now = tt_now(&req->app->clock);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs =
        ao ? ao->session_list(c, req->auth.tenant_id, account_id, key_id, now, own_row, &l)
           : TT_QS_HARD;
    tt_store_release(c);
    if (qs < 0) {
        json_decref(l.items);
        return tt__api_store_err(resp, qs);
    }
    /* idle ones are over even if not revoked */
    size_t i = 0;
    json_t *v;
    json_t *live = json_array();
    json_array_foreach(l.items, i, v)
    {
        const char *seen = json_string_value(json_object_get(v, "last_seen_at"));
        tt_time t = 0;
        if (seen && tt_time_parse(seen, &t) == 0 && t + tt_session_idle_s() > now)
            json_array_append(live, v);
    }
    json_decref(l.items);
    json_t *body = live ? json_pack("{s:o}", "items", live) : NULL;
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}

int tt_api_session_revoke(struct tt_req *req, struct tt_resp *resp)
{
    const char *id = tt_req_param(req, "id");
    if (!tt__api_id_ok(id, "ses_"))
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such live session");
    const char *account_id, *key_id;
    owner_of(req, &account_id, &key_id);
    /* only one's own sessions: another owner's id is as absent as an unknown one */
    struct tt_session s;
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    const struct tt_accounts_store_ops *ao = tt__acc_ops(c);
    enum tt_qs qs = ao ? ao->session_get(c, id, &s) : TT_QS_HARD;
    tt_store_release(c);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE || strcmp(s.tenant_id, req->auth.tenant_id) != 0 ||
        strcmp(s.account_id, account_id) != 0 || strcmp(s.key_id, key_id) != 0)
        return tt_problem(resp, TT_E_NOT_FOUND, "id", "no such live session");
    int rc = revoke(req, resp, id, "session.revoke");
    if (rc < 0)
        return rc;
    if (strcmp(id, req->auth.session_id) == 0)
        tt_session_set_cookie(resp->set_cookie, sizeof resp->set_cookie, "", 0, req->local_plain);
    json_t *body = json_pack("{s:s, s:b}", "id", id, "revoked", 1);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}
