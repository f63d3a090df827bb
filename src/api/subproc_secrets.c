/* SPDX-License-Identifier: Apache-2.0 */
/* subproc_secrets.c — what the subscriptions area keeps secret (subproc_int.h): subscriber
 * addresses, webhook URLs and secrets sealed under a key derived from the master key and bound
 * to their owner; a blind index to find a subscriber again; tokens kept only as keyed hashes
 * (the unsubscribe token derived, so every message can carry it); the links put in messages and
 * the notices file beside the policy. */
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "subproc_int.h"

/* crypto_kdf context of the subscriptions key: 8 bytes, distinct from the other areas' */
static const char KDF_SUBS[crypto_kdf_CONTEXTBYTES + 1] = "ttsubsc1";

static int subs_key(const struct tt_master *m, uint8_t key[TT_KEY_BYTES])
{
    return crypto_kdf_derive_from_key(key, TT_KEY_BYTES, 1, KDF_SUBS, m->key) == 0 ? 0 : -1;
}

static void keyed_hex(const uint8_t key[TT_KEY_BYTES], const char *domain, const char *const *parts,
                      size_t n, char out[TT_HASH_HEX])
{
    crypto_generichash_state st;
    uint8_t h[32];
    crypto_generichash_init(&st, key, TT_KEY_BYTES, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)domain, strlen(domain) + 1);
    for (size_t i = 0; i < n; i++)
        crypto_generichash_update(&st, (const uint8_t *)parts[i], strlen(parts[i]) + 1);
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, TT_HASH_HEX, h, sizeof h);
    sodium_memzero(&st, sizeof st);
}

void tt__subs_blind(const struct tt_master *m, const char *tenant_id, const char *kind,
                    const char *value, char out[TT_HASH_HEX])
{
    const char *parts[] = {tenant_id, kind, value};
    keyed_hex(m->blind_key, "subscriber", parts, 3, out);
}

void tt__subs_token_hash(const struct tt_master *m, const char *token, char out[TT_HASH_HEX])
{
    const char *parts[] = {token};
    keyed_hex(m->token_key, "subs-token", parts, 1, out);
}

static void b64url(const uint8_t *bin, size_t len, char out[TT_SUBS_TOKEN_MAX])
{
    sodium_bin2base64(out, TT_SUBS_TOKEN_MAX, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void tt__subs_token_new(char out[TT_SUBS_TOKEN_MAX])
{
    uint8_t r[32];
    randombytes_buf(r, sizeof r);
    b64url(r, sizeof r, out);
    sodium_memzero(r, sizeof r);
}

void tt__subs_token_unsub(const struct tt_master *m, const char *tenant_id, const char *id,
                          char out[TT_SUBS_TOKEN_MAX])
{
    crypto_generichash_state st;
    uint8_t h[32];
    crypto_generichash_init(&st, m->token_key, TT_KEY_BYTES, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)"subs-unsub", 11);
    crypto_generichash_update(&st, (const uint8_t *)tenant_id, strlen(tenant_id) + 1);
    crypto_generichash_update(&st, (const uint8_t *)id, strlen(id) + 1);
    crypto_generichash_final(&st, h, sizeof h);
    b64url(h, sizeof h, out);
    sodium_memzero(h, sizeof h);
    sodium_memzero(&st, sizeof st);
}

int tt__subs_token_form_ok(const char *token)
{
    if (!token || strlen(token) != 43)
        return 0;
    for (const char *p = token; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

static void ad_of(const char *tenant_id, const char *id, const char *field, char *ad, size_t size)
{
    snprintf(ad, size, "%s/%s/%s", tenant_id, id, field);
}

int tt__subs_seal(const struct tt_master *m, const char *tenant_id, const char *id,
                  const char *field, const char *text, uint8_t **out, size_t *len)
{
    size_t n = strlen(text);
    uint8_t *sealed = malloc(n + TT_SEAL_OVERHEAD);
    if (!sealed)
        return -TT_E_NOMEM;
    uint8_t key[TT_KEY_BYTES];
    char ad[3 * TT_ID_MAX + 16];
    ad_of(tenant_id, id, field, ad, sizeof ad);
    int rc = subs_key(m, key) == 0 && tt_vault_seal(key, (const uint8_t *)text, n, ad, sealed) == 0
                 ? 0
                 : -TT_E_CRYPTO;
    sodium_memzero(key, sizeof key);
    if (rc != 0) {
        free(sealed);
        return rc;
    }
    *out = sealed;
    *len = n + TT_SEAL_OVERHEAD;
    return 0;
}

int tt__subs_open(const struct tt_master *m, const char *tenant_id, const char *id,
                  const char *field, const uint8_t *sealed, size_t len, char *out, size_t size)
{
    if (!sealed || len < TT_SEAL_OVERHEAD || len - TT_SEAL_OVERHEAD >= size)
        return -TT_E_CRYPTO;
    uint8_t key[TT_KEY_BYTES];
    char ad[3 * TT_ID_MAX + 16];
    ad_of(tenant_id, id, field, ad, sizeof ad);
    int rc = subs_key(m, key) == 0 && tt_vault_open(key, sealed, len, ad, (uint8_t *)out) == 0
                 ? 0
                 : -TT_E_CRYPTO;
    sodium_memzero(key, sizeof key);
    out[rc == 0 ? len - TT_SEAL_OVERHEAD : 0] = '\0';
    return rc;
}

void tt__subs_link(const char *path, char out[TT_SUBS_LINK_MAX])
{
    const char *base = getenv("TUTELA_PUBLIC_URL");
    if (!base || !tt_subproc_url_ok(base) || strlen(base) > 200)
        base = "http://127.0.0.1:8080";
    size_t n = strlen(base);
    snprintf(out, TT_SUBS_LINK_MAX, "%.*s%s", (int)(n && base[n - 1] == '/' ? n - 1 : n), base,
             path);
}

int tt__subs_notices_load(struct tt_app *app, struct tt_notices **out, char err[TT_NOTICE_ERR_MAX])
{
    const char *env = getenv("TUTELA_NOTICES");
    char path[4096];
    if (env && *env) {
        snprintf(path, sizeof path, "%s", env);
    } else {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", app->policy_path ? app->policy_path : "policy/x");
        snprintf(path, sizeof path, "%s/notices.yaml", dirname(dir));
    }
    *out = NULL;
    return tt_notices_load(path, out, err) == 0 ? 0 : -1;
}

int tt__subs_hold_cb(void *cls, const struct tt_subscriber *s)
{
    struct tt__subs_held *h = cls;
    h->s = *s;
    h->s.to_enc = NULL;
    h->s.secret_enc = NULL;
    h->s.to_enc_len = h->s.secret_enc_len = 0;
    h->found = 1;
    if (s->to_enc_len && s->to_enc_len <= sizeof h->to) {
        memcpy(h->to, s->to_enc, s->to_enc_len);
        h->s.to_enc = h->to;
        h->s.to_enc_len = s->to_enc_len;
    }
    if (s->secret_enc_len && s->secret_enc_len <= sizeof h->secret) {
        memcpy(h->secret, s->secret_enc, s->secret_enc_len);
        h->s.secret_enc = h->secret;
        h->s.secret_enc_len = s->secret_enc_len;
    }
    return 0;
}
