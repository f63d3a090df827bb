/* SPDX-License-Identifier: Apache-2.0 */
/* auth.c — API-key authentication for routes with auth=1: parses "Authorization: Bearer
 * tt_<key_id>_<secret>", looks the key up in the store and compares the hash of the secret in
 * constant time. Verified keys are cached for 5 s (key id -> hash, tenant, role) so hot paths do
 * no store round trip per request; the presented secret is still hashed and compared each time. */
#include "internal.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../api/app.h"
#include "../core/error.h"
#include "../core/vault.h"
#include "../store/store.h"

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static size_t slot_of(const char *key_id)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % TT__AUTH_CACHE_SLOTS;
}

void tt__auth_cache_init(struct tt__auth_cache *c)
{
    memset(c->slots, 0, sizeof c->slots);
    pthread_mutex_init(&c->lock, NULL);
}

void tt__auth_cache_destroy(struct tt__auth_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    sodium_memzero(c->slots, sizeof c->slots);
}

void tt__auth_cache_forget(struct tt__auth_cache *c, const char *key_id)
{
    if (!c || !key_id)
        return;
    pthread_mutex_lock(&c->lock);
    struct tt__auth_entry *e = &c->slots[slot_of(key_id)];
    if (strcmp(e->key_id, key_id) == 0)
        memset(e, 0, sizeof *e);
    pthread_mutex_unlock(&c->lock);
}

static int cache_get(struct tt__auth_cache *c, const char *key_id, struct tt__auth_entry *out)
{
    int hit = 0;
    pthread_mutex_lock(&c->lock);
    const struct tt__auth_entry *e = &c->slots[slot_of(key_id)];
    if (e->expires_ns > mono_ns() && strcmp(e->key_id, key_id) == 0) {
        *out = *e;
        hit = 1;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

static void cache_put(struct tt__auth_cache *c, const struct tt__auth_entry *e)
{
    pthread_mutex_lock(&c->lock);
    c->slots[slot_of(e->key_id)] = *e;
    c->slots[slot_of(e->key_id)].expires_ns = mono_ns() + TT__AUTH_TTL_NS;
    pthread_mutex_unlock(&c->lock);
}

static int qs_error(enum tt_qs qs)
{
    return qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE;
}

/* Reads key and tenant from the store into e. */
static int load_key(struct tt_app *app, const char *key_id, struct tt__auth_entry *e)
{
    if (!app || !app->store)
        return -TT_E_UNAVAILABLE;
    struct tt_store_conn *conn = tt_store_acquire(app->store);
    if (!conn)
        return -TT_E_UNAVAILABLE;
    const struct tt_store_ops *ops = tt_store_ops_of(conn);
    struct tt_api_key k;
    struct tt_tenant t;
    int rc = 0;
    enum tt_qs qs = ops->api_key_get(conn, key_id, &k);
    if (qs == TT_QS_NONE || (qs > 0 && k.revoked_at != 0)) {
        rc = -TT_E_UNAUTHORIZED;
        goto out;
    }
    if (qs < 0) {
        rc = qs_error(qs);
        goto out;
    }
    qs = ops->tenant_get(conn, k.tenant_id, &t);
    if (qs == TT_QS_NONE) {
        rc = -TT_E_UNAUTHORIZED;
        goto out;
    }
    if (qs < 0) {
        rc = qs_error(qs);
        goto out;
    }
    memset(e, 0, sizeof *e);
    snprintf(e->key_id, sizeof e->key_id, "%s", k.id);
    memcpy(e->hash_hex, k.hash_hex, sizeof e->hash_hex);
    e->hash_hex[TT_HASH_HEX - 1] = '\0';
    snprintf(e->tenant_id, sizeof e->tenant_id, "%s", k.tenant_id);
    e->tenant_kind = t.kind;
    e->role = k.role;
out:
    tt_store_release(conn);
    sodium_memzero(&k, sizeof k);
    return rc;
}

int tt__auth_check(struct tt__auth_cache *c, struct tt_app *app, const char *authorization,
                   struct tt_auth *out)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return -TT_E_UNAUTHORIZED;
    const char *token = authorization + 7;
    while (*token == ' ')
        token++;
    char key_id[TT_ID_MAX];
    char secret[TT_API_SECRET_MAX + 1];
    if (tt_api_token_parse(token, key_id, secret, sizeof secret) < 0)
        return -TT_E_UNAUTHORIZED;
    char presented[TT_HASH_HEX];
    tt_vault_hash_secret(secret, presented);
    sodium_memzero(secret, sizeof secret);

    struct tt__auth_entry e;
    int cached = cache_get(c, key_id, &e);
    if (!cached) {
        int rc = load_key(app, key_id, &e);
        if (rc < 0)
            return rc;
    }
    int ok = tt_vault_hash_equal(e.hash_hex, presented);
    sodium_memzero(presented, sizeof presented);
    if (!ok)
        return -TT_E_UNAUTHORIZED;
    if (!cached)
        cache_put(c, &e);
    memset(out, 0, sizeof *out);
    out->authenticated = 1;
    snprintf(out->key_id, sizeof out->key_id, "%s", e.key_id);
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", e.tenant_id);
    out->tenant_kind = e.tenant_kind;
    out->role = e.role;
    return 0;
}
