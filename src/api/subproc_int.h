/* SPDX-License-Identifier: Apache-2.0 */
/* subproc_int.h — shared by the public sub-processor list's handlers and jobs (issue 7 part B,
 * S14.1, S12.1): the list built from the recipient registry, its JSON forms (public rendering
 * and the change job's snapshot), subscriber secrets (sealing of addresses, URLs and webhook
 * secrets under a key derived from the master key; blind index; token hashes), the absolute
 * links put in messages, and the notices file beside the policy. Nothing here logs a value. */
#ifndef TT_API_SUBPROC_INT_H
#define TT_API_SUBPROC_INT_H

#include <jansson.h>
#include <stddef.h>

#include "../core/notice.h"
#include "../core/subproc.h"
#include "../core/vault.h"
#include "../store/subscriptions_store.h"
#include "app.h"

#define TT_SUBS_TOKEN_MAX 48         /* 32 bytes, base64url without padding: 43 chars + NUL */
#define TT_SUBS_SECRET_MAX 64        /* "whsec_" + base64 of 24 bytes */
#define TT_SUBS_CONFIRM_TTL_S 172800 /* a confirm link works 48 hours */
#define TT_SUBS_LINK_MAX 512

/* A tenant's public list: approved, publicly listed processors and sub-processors, sorted by
 * key. Reads the registry only (any transaction). *out is malloc'd (free it), *n its length.
 * Returns a store status (>= 0 on success; HARD when a registry row is unreadable). */
enum tt_qs tt__subproc_collect(struct tt_store_conn *c, const char *tenant_id,
                               struct tt_subproc **out, size_t *n);
/* Inside a transaction: seeds the tenant's registry from the policy when empty (recipients
 * area) and takes the first snapshot when there is none, so a subscriber is told about changes
 * from the moment it subscribed on. Returns a store status. */
enum tt_qs tt__subproc_prepare(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                               tt_time now);

/* Public rendering of one entry (purpose names from policy p when it has them). New ref. */
json_t *tt__subproc_entry_json(const struct tt_subproc *e, const struct tt_policy *p);
/* The snapshot document of a list (compact, keys sorted): malloc'd text, its BLAKE2b-256 hex
 * digest in digest. NULL when memory runs out. */
char *tt__subproc_snapshot_doc(const struct tt_subproc *l, size_t n, char digest[TT_HASH_HEX]);
/* Parses a snapshot document back (sorted as written). 0, or -1 when it is not one. */
int tt__subproc_snapshot_parse(const char *doc, struct tt_subproc **out, size_t *n);

/* Loads tenant_id: 0, a 404 unknown-tenant problem naming "tenant", or a store problem. */
int tt__subproc_tenant(struct tt_store_conn *c, const char *tenant_id, struct tt_tenant *out,
                       struct tt_resp *resp);

/* Secrets. The blind index of (tenant, kind, normalised address or URL), hex. */
void tt__subs_blind(const struct tt_master *m, const char *tenant_id, const char *kind,
                    const char *value, char out[TT_HASH_HEX]);
/* The keyed hash of a token (hex) as stored. */
void tt__subs_token_hash(const struct tt_master *m, const char *token, char out[TT_HASH_HEX]);
/* A fresh random token (base64url, 43 chars). */
void tt__subs_token_new(char out[TT_SUBS_TOKEN_MAX]);
/* The unsubscribe token of a subscriber: derived from the master key and its ids, so every
 * message can carry it while the store keeps only its hash. */
void tt__subs_token_unsub(const struct tt_master *m, const char *tenant_id, const char *id,
                          char out[TT_SUBS_TOKEN_MAX]);
/* 1 when token has the form of one (43 base64url chars). */
int tt__subs_token_form_ok(const char *token);
/* Seals text for subscriber (tenant, id), field "to" or "secret": malloc'd sealed bytes in
 * *out (len in *len). 0 or -TT_E_CRYPTO / -TT_E_NOMEM. */
int tt__subs_seal(const struct tt_master *m, const char *tenant_id, const char *id,
                  const char *field, const char *text, uint8_t **out, size_t *len);
/* Opens a sealed field into out (size bytes, NUL-terminated). 0 or -TT_E_CRYPTO. The caller
 * wipes out after use. */
int tt__subs_open(const struct tt_master *m, const char *tenant_id, const char *id,
                  const char *field, const uint8_t *sealed, size_t len, char *out, size_t size);

/* A subscriber copied out of a store callback with its sealed blobs (which the store hands out
 * only for the call): use tt__subs_hold_cb as the sub_find / sub_list callback. */
struct tt__subs_held {
    struct tt_subscriber s; /* s.to_enc and s.secret_enc point into the arrays below */
    uint8_t to[TT_SUBPROC_URL_MAX + 1 + TT_SEAL_OVERHEAD];
    uint8_t secret[TT_SUBS_SECRET_MAX + TT_SEAL_OVERHEAD];
    int found;
};
int tt__subs_hold_cb(void *cls, const struct tt_subscriber *s);

/* Links in messages: TUTELA_PUBLIC_URL (an http(s) origin, default http://127.0.0.1:8080)
 * followed by path. */
void tt__subs_link(const char *path, char out[TT_SUBS_LINK_MAX]);

/* The notice versions file (TUTELA_NOTICES, else notices.yaml beside the policy file): loaded
 * into *out (tt_notices_free it). 0, or -1 with a reason in err. */
int tt__subs_notices_load(struct tt_app *app, struct tt_notices **out, char err[TT_NOTICE_ERR_MAX]);

#endif
