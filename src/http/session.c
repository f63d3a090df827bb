/* SPDX-License-Identifier: Apache-2.0 */
/* session.c — the session cookie check of session.h: cookie parsing, constant-time comparison of
 * the secret's hash, idle and absolute expiry against the app clock, the account's or key's
 * current state (a disabled account or revoked key ends its sessions at once), and CSRF. */
#include "session.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../api/app.h"
#include "../core/error.h"
#include "../store/accounts_store.h"

static long idle_s = 1800, absolute_s = 43200;
static pthread_once_t conf_once = PTHREAD_ONCE_INIT;

static long env_seconds(const char *name, long dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (*end || n <= 0)
        return dflt;
    return n < 60 ? 60 : n;
}

static void conf_load(void)
{
    idle_s = env_seconds("TUTELA_SESSION_IDLE", 1800);
    absolute_s = env_seconds("TUTELA_SESSION_ABSOLUTE", 43200);
}

long tt_session_idle_s(void)
{
    pthread_once(&conf_once, conf_load);
    return idle_s;
}

long tt_session_absolute_s(void)
{
    pthread_once(&conf_once, conf_load);
    return absolute_s;
}

static int id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static int secret_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

int tt_session_value_parse(const char *value, char id[TT_ID_MAX],
                           char secret[TT_SESSION_SECRET_MAX + 1])
{
    if (!value || strncmp(value, "ses_", 4) != 0)
        return -TT_E_UNAUTHORIZED;
    const char *dot = strchr(value, '.');
    if (!dot || (size_t)(dot - value) >= TT_ID_MAX || dot - value < 8)
        return -TT_E_UNAUTHORIZED;
    for (const char *p = value; p < dot; p++)
        if (!id_char(*p))
            return -TT_E_UNAUTHORIZED;
    size_t sl = strlen(dot + 1);
    if (sl < 16 || sl > TT_SESSION_SECRET_MAX)
        return -TT_E_UNAUTHORIZED;
    for (const char *p = dot + 1; *p; p++)
        if (!secret_char(*p))
            return -TT_E_UNAUTHORIZED;
    memcpy(id, value, (size_t)(dot - value));
    id[dot - value] = '\0';
    memcpy(secret, dot + 1, sl + 1);
    return 0;
}

int tt_session_cookie_find(const char *cookie_header, char *out, size_t out_size)
{
    const char *name = TT_SESSION_COOKIE "=";
    size_t nl = strlen(name);
    for (const char *p = cookie_header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t len = strcspn(p, ";");
        if (len > nl && strncmp(p, name, nl) == 0) {
            size_t vl = len - nl;
            while (vl > 0 && p[nl + vl - 1] == ' ')
                vl--;
            if (vl + 1 > out_size)
                return 0;
            memcpy(out, p + nl, vl);
            out[vl] = '\0';
            return 1;
        }
        p += len;
    }
    return 0;
}

void tt_session_csrf(const struct tt_app *app, const char *id, const char *secret,
                     char out[TT_CSRF_MAX])
{
    uint8_t h[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, app->master->token_key, sizeof app->master->token_key, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)"tt-csrf", 8);
    crypto_generichash_update(&st, (const uint8_t *)id, strlen(id) + 1);
    crypto_generichash_update(&st, (const uint8_t *)secret, strlen(secret));
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2base64(out, TT_CSRF_MAX, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(h, sizeof h);
}

void tt_session_set_cookie(char *out, size_t size, const char *value, long max_age, int local_plain)
{
    snprintf(out, size, "%s=%s; Path=/; Max-Age=%ld; HttpOnly;%s SameSite=Strict",
             TT_SESSION_COOKIE, max_age > 0 ? value : "", max_age > 0 ? max_age : 0,
             local_plain ? "" : " Secure;");
}

static int unsafe(const char *method)
{
    return !method || !(strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
                        strcmp(method, "OPTIONS") == 0);
}

static int qs_err(enum tt_qs qs)
{
    return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
}

/* The session's owner still in good standing: its role now, and the tenant's kind. */
static int owner_state(const struct tt_store_ops *ops, struct tt_store_conn *c,
                       const struct tt_session *s, struct tt_auth *out)
{
    enum tt_qs qs;
    if (s->account_id[0]) {
        struct tt_account a;
        qs = ops->accounts->account_get(c, s->tenant_id, s->account_id, &a);
        if (qs < 0)
            return qs_err(qs);
        if (qs == TT_QS_NONE || a.status != TT_ACCOUNT_ACTIVE) {
            sodium_memzero(&a, sizeof a);
            return -TT_E_UNAUTHORIZED;
        }
        out->role = a.role;
        sodium_memzero(&a, sizeof a);
    } else {
        struct tt_api_key k;
        qs = ops->api_key_get(c, s->key_id, &k);
        if (qs < 0)
            return qs_err(qs);
        if (qs == TT_QS_NONE || k.revoked_at != 0 || strcmp(k.tenant_id, s->tenant_id) != 0)
            return -TT_E_UNAUTHORIZED;
        out->role = k.role;
    }
    struct tt_tenant t;
    qs = ops->tenant_get(c, s->tenant_id, &t);
    if (qs < 0)
        return qs_err(qs);
    if (qs == TT_QS_NONE)
        return -TT_E_UNAUTHORIZED;
    out->tenant_kind = t.kind;
    return 0;
}

int tt_session_check(struct tt_app *app, const char *cookie_header, const char *method,
                     const char *csrf_header, struct tt_auth *out)
{
    char value[TT_SESSION_VALUE_MAX];
    char id[TT_ID_MAX], secret[TT_SESSION_SECRET_MAX + 1];
    if (!tt_session_cookie_find(cookie_header, value, sizeof value) ||
        tt_session_value_parse(value, id, secret) < 0) {
        sodium_memzero(value, sizeof value);
        return -TT_E_UNAUTHORIZED;
    }
    sodium_memzero(value, sizeof value);
    if (!app || !app->store || !app->master)
        return -TT_E_UNAVAILABLE;
    char presented[TT_HASH_HEX];
    tt_vault_hash_secret(secret, presented);

    struct tt_store_conn *c = tt_store_acquire(app->store);
    const struct tt_store_ops *ops = tt_store_ops_of(c);
    int rc = 0;
    struct tt_session s;
    struct tt_auth a;
    memset(&a, 0, sizeof a);
    tt_time now = tt_now(&app->clock);
    if (!ops->accounts) {
        rc = -TT_E_UNAVAILABLE;
        goto out;
    }
    enum tt_qs qs = ops->accounts->session_get(c, id, &s);
    if (qs < 0) {
        rc = qs_err(qs);
        goto out;
    }
    if (qs == TT_QS_NONE || !tt_vault_hash_equal(s.secret_hash, presented) || s.revoked_at != 0 ||
        s.expires_at <= now || s.last_seen_at + tt_session_idle_s() <= now) {
        rc = -TT_E_UNAUTHORIZED;
        goto out;
    }
    rc = owner_state(ops, c, &s, &a);
    if (rc < 0)
        goto out;
    if (unsafe(method)) {
        char csrf[TT_CSRF_MAX];
        tt_session_csrf(app, id, secret, csrf);
        size_t n = strlen(csrf);
        int ok =
            csrf_header && strlen(csrf_header) == n && sodium_memcmp(csrf, csrf_header, n) == 0;
        sodium_memzero(csrf, sizeof csrf);
        if (!ok) {
            rc = -TT_E_CSRF;
            goto out;
        }
    }
    if (now - s.last_seen_at >= 60) {
        qs = ops->accounts->session_touch(c, s.tenant_id, s.id, now);
        if (qs < 0) {
            rc = qs_err(qs);
            goto out;
        }
    }
    a.authenticated = 1;
    snprintf(a.tenant_id, sizeof a.tenant_id, "%s", s.tenant_id);
    snprintf(a.key_id, sizeof a.key_id, "%s", s.account_id[0] ? s.account_id : s.key_id);
    snprintf(a.session_id, sizeof a.session_id, "%s", s.id);
    *out = a;
out:
    tt_store_release(c);
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(presented, sizeof presented);
    return rc;
}
