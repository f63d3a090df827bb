/* SPDX-License-Identifier: Apache-2.0 */
/* accounts_common.c — the shared helpers of accounts_int.h: sealing under the accounts key,
 * emails (normalised, blind-indexed, masked), the Argon2id cost from the environment, and the
 * process-wide sign-in rate limiter behind a mutex. */
#include "accounts_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "common.h"
#include "limiter.h"

const struct tt_accounts_store_ops *tt__acc_ops(struct tt_store_conn *c)
{
    return c ? tt_store_ops_of(c)->accounts : NULL;
}

void tt__acc_key(const struct tt_master *m, uint8_t key[TT_KEY_BYTES])
{
    static const char ctx[] = "tutela accounts seal v1";
    crypto_generichash(key, TT_KEY_BYTES, (const uint8_t *)ctx, sizeof ctx - 1, m->key,
                       sizeof m->key);
}

int tt__acc_email_norm(const char *email, char out[TT_IDENT_MAX])
{
    if (!email || strlen(email) > TT_ACCOUNT_EMAIL_MAX)
        return -TT_E_BAD_EMAIL;
    return tt_ident_email(email, out) < 0 ? -TT_E_BAD_EMAIL : 0;
}

void tt__acc_email_blind(const struct tt_master *m, const char *norm, char out[TT_HASH_HEX])
{
    /* one namespace for every tenant: sign-in names no tenant */
    tt_vault_blind(m, "accounts", TT_IDENT_EMAIL, norm, out);
}

static void ad_of(const struct tt_account *a, const char *what, char *out, size_t size)
{
    snprintf(out, size, "%s/%s/%s", a->tenant_id, a->id, what);
}

int tt__acc_email_seal(const struct tt_master *m, struct tt_account *a, const char *norm)
{
    size_t n = strlen(norm);
    if (n + TT_SEAL_OVERHEAD > sizeof a->email_enc)
        return -TT_E_BAD_EMAIL;
    uint8_t key[TT_KEY_BYTES];
    char ad[3 * TT_ID_MAX];
    tt__acc_key(m, key);
    ad_of(a, "email", ad, sizeof ad);
    int rc = tt_vault_seal(key, (const uint8_t *)norm, n, ad, a->email_enc);
    sodium_memzero(key, sizeof key);
    if (rc < 0)
        return -TT_E_CRYPTO;
    a->email_enc_len = n + TT_SEAL_OVERHEAD;
    return 0;
}

int tt__acc_email_open(const struct tt_master *m, const struct tt_account *a,
                       char out[TT_IDENT_MAX])
{
    if (a->email_enc_len < TT_SEAL_OVERHEAD || a->email_enc_len - TT_SEAL_OVERHEAD >= TT_IDENT_MAX)
        return -TT_E_CRYPTO;
    uint8_t key[TT_KEY_BYTES];
    char ad[3 * TT_ID_MAX];
    tt__acc_key(m, key);
    ad_of(a, "email", ad, sizeof ad);
    int rc = tt_vault_open(key, a->email_enc, a->email_enc_len, ad, (uint8_t *)out);
    sodium_memzero(key, sizeof key);
    if (rc < 0)
        return -TT_E_CRYPTO;
    out[a->email_enc_len - TT_SEAL_OVERHEAD] = '\0';
    return 0;
}

void tt__acc_email_mask(const char *norm, char *out, size_t size)
{
    const char *at = strchr(norm, '@');
    const char *dot = at ? strrchr(at, '.') : NULL;
    if (!at || at == norm || !dot || dot == at + 1) {
        snprintf(out, size, "***");
        return;
    }
    snprintf(out, size, "%c***@%c***%s", norm[0], at[1], dot);
}

int tt__acc_totp_seal(const struct tt_master *m, struct tt_account *a,
                      const uint8_t secret[TT_TOTP_SECRET_BYTES])
{
    uint8_t key[TT_KEY_BYTES];
    char ad[3 * TT_ID_MAX];
    tt__acc_key(m, key);
    ad_of(a, "totp", ad, sizeof ad);
    int rc = tt_vault_seal(key, secret, TT_TOTP_SECRET_BYTES, ad, a->totp_enc);
    sodium_memzero(key, sizeof key);
    if (rc < 0)
        return -TT_E_CRYPTO;
    a->totp_enc_len = TT_TOTP_SECRET_BYTES + TT_SEAL_OVERHEAD;
    return 0;
}

int tt__acc_totp_open(const struct tt_master *m, const struct tt_account *a,
                      uint8_t secret[TT_TOTP_SECRET_BYTES])
{
    if (a->totp_enc_len != TT_TOTP_SECRET_BYTES + TT_SEAL_OVERHEAD)
        return -TT_E_CRYPTO;
    uint8_t key[TT_KEY_BYTES];
    char ad[3 * TT_ID_MAX];
    tt__acc_key(m, key);
    ad_of(a, "totp", ad, sizeof ad);
    int rc = tt_vault_open(key, a->totp_enc, a->totp_enc_len, ad, secret);
    sodium_memzero(key, sizeof key);
    return rc < 0 ? -TT_E_CRYPTO : 0;
}

void tt__acc_recovery_hash(const struct tt_master *m, const char *account_id, const char *code,
                           char out[TT_HASH_HEX])
{
    uint8_t key[TT_KEY_BYTES], h[32];
    tt__acc_key(m, key);
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, sizeof key, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)account_id, strlen(account_id) + 1);
    crypto_generichash_update(&st, (const uint8_t *)code, strlen(code));
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, TT_HASH_HEX, h, sizeof h);
    sodium_memzero(key, sizeof key);
}

static struct tt_pwhash_params pw_params;
static pthread_once_t pw_once = PTHREAD_ONCE_INIT;

static unsigned long long env_ull(const char *name, unsigned long long dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end = NULL;
    unsigned long long n = strtoull(v, &end, 10);
    return *end || v[0] == '-' ? dflt : n;
}

static void pw_load(void)
{
    struct tt_pwhash_params p = tt_password_params_default();
    p.opslimit = env_ull("TUTELA_PWHASH_OPSLIMIT", p.opslimit);
    p.memlimit = (size_t)env_ull("TUTELA_PWHASH_MEMLIMIT", p.memlimit);
    pw_params = tt_password_params_clamp(p);
}

struct tt_pwhash_params tt__acc_pwhash_params(void)
{
    pthread_once(&pw_once, pw_load);
    return pw_params;
}

/* ---- the limiters: 16,384 slots (~1 MiB) each per process. Per IP the caps are wider than
 * per account (offices share an address): 300 attempts a minute, lock from the 50th
 * consecutive failure; per account (and per account's second factor) the core defaults. ---- */

#define RL_SLOTS 16384

static struct tt_rl_rules ip_rules(void)
{
    return (struct tt_rl_rules){60, 300, 50, 2, 900};
}

static struct tt_rl_slot ip_slots[RL_SLOTS], acct_slots[RL_SLOTS];
static struct tt__limiter rl_ip = TT__LIMITER(ip_slots, ip_rules);
static struct tt__limiter rl_acct = TT__LIMITER(acct_slots, tt_rl_rules_default);

static struct tt__limiter *rl_for(const char *kind)
{
    return strcmp(kind, "ip") == 0 ? &rl_ip : &rl_acct;
}

int tt__acc_rl_attempt(const char *kind, const char *value, tt_time now, int *retry_after)
{
    return tt__limiter_attempt(rl_for(kind), kind, value, now, retry_after);
}

int tt__acc_rl_fail(const char *kind, const char *value, tt_time now)
{
    return tt__limiter_fail(rl_for(kind), kind, value, now);
}

void tt__acc_rl_success(const char *kind, const char *value)
{
    tt__limiter_success(rl_for(kind), kind, value);
}

const char *tt__acc_status_name(enum tt_account_status s)
{
    switch (s) {
    case TT_ACCOUNT_DISABLED:
        return "disabled";
    case TT_ACCOUNT_LOCKED:
        return "locked";
    case TT_ACCOUNT_ACTIVE:
        break;
    }
    return "active";
}

json_t *tt__acc_account_json(const struct tt_master *m, const struct tt_account *a)
{
    char norm[TT_IDENT_MAX], masked[TT_NAME_MAX];
    if (tt__acc_email_open(m, a, norm) == 0)
        tt__acc_email_mask(norm, masked, sizeof masked);
    else
        snprintf(masked, sizeof masked, "***");
    sodium_memzero(norm, sizeof norm);
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o}", "id", a->id, "email_masked", masked,
                     "role", tt_role_name(a->role), "status", tt__acc_status_name(a->status),
                     "totp_enabled", a->totp_enabled, "created_at", tt__api_time(a->created_at),
                     "updated_at", tt__api_time(a->updated_at));
}
