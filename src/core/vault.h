/* SPDX-License-Identifier: Apache-2.0 */
/* vault.h — the secrets: a master key wraps one data key per subject and key class; personal
 * values are sealed with XChaCha20-Poly1305 under the subject key, with the owning ids as
 * associated data so a sealed value cannot be moved to another subject or tenant unnoticed.
 * Identifiers are found through a blind index (keyed BLAKE2b of the normalised value, per tenant).
 * Pure computation over caller-supplied buffers: no I/O except tt_vault_master_load. */
#ifndef TT_CORE_VAULT_H
#define TT_CORE_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#define TT_KEY_BYTES 32
#define TT_SEAL_OVERHEAD 40 /* 24-byte nonce + 16-byte tag */
#define TT_WRAPPED_BYTES 72 /* nonce + key + tag */

/* The master key and the keys derived from it (blind-index key, API-key pepper). Lives in
 * sodium_malloc'd, mlock'd memory; wiped on free. */
struct tt_master {
    char id[TT_ID_MAX];              /* "mk_" + first 8 bytes of BLAKE2b(key), hex */
    uint8_t key[TT_KEY_BYTES];       /* wraps subject keys */
    uint8_t blind_key[TT_KEY_BYTES]; /* derived: keys the blind index */
    uint8_t token_key[TT_KEY_BYTES]; /* derived: signs tokens (unsubscribe links, …) */
};

/* Initialises libsodium; call once at start. Returns 0 or -TT_E_CRYPTO. */
int tt_vault_init(void);

/* Loads the master key from a file (64 hex chars or 32 raw bytes), creating it (mode 0600) if
 * absent and create is non-zero. *created is set to 1 when a new key was written.
 * The environment variable TUTELA_MASTER_KEY (64 hex chars), if set, wins over the file.
 * Returns 0 or a negative code; err gets a reason (never key material). Free with
 * tt_vault_master_free. */
int tt_vault_master_load(const char *path, int create, struct tt_master **out, int *created,
                         char *err, size_t err_size);
/* From 32 raw bytes (tests, rotation). */
int tt_vault_master_from_bytes(const uint8_t key[TT_KEY_BYTES], struct tt_master **out);
void tt_vault_master_free(struct tt_master *m); /* wipes; NULL is a no-op */
/* Writes m's key to a new file at path (64 hex chars and a newline, mode 0600, O_EXCL), synced
 * to disk with its directory. Returns 0, -TT_E_CONFLICT if path exists, or -TT_E_INTERNAL; err
 * gets a reason (never key material). Used when creating a key and by `tutela keys rotate`. */
int tt_vault_master_save(const struct tt_master *m, const char *path, char *err, size_t err_size);

/* A fresh random subject key. */
void tt_vault_key_new(uint8_t key[TT_KEY_BYTES]);

/* The associated data that binds a wrapped subject key to its owner: "tenant/subject/class"
 * with class as its number (enum tt_key_class), e.g. "ten_x/sub_y/0". Every wrap and unwrap of a
 * subject key uses this, so a wrapped key moved to another row fails to unwrap. */
#define TT_KEY_AD_MAX (2 * TT_ID_MAX + 8)
void tt_vault_key_ad(const char *tenant_id, const char *subject_id, enum tt_key_class key_class,
                     char out[TT_KEY_AD_MAX]);

/* Wraps a subject key under the master key; ad binds it to "tenant/subject/class".
 * wrapped must hold TT_WRAPPED_BYTES. Returns 0. */
int tt_vault_wrap(const struct tt_master *m, const uint8_t key[TT_KEY_BYTES], const char *ad,
                  uint8_t wrapped[TT_WRAPPED_BYTES]);
/* Unwraps; returns 0 or -TT_E_CRYPTO (wrong master key, tampered, or moved). */
int tt_vault_unwrap(const struct tt_master *m, const uint8_t wrapped[TT_WRAPPED_BYTES],
                    const char *ad, uint8_t key[TT_KEY_BYTES]);

/* Seals plain (len) under key; out must hold len + TT_SEAL_OVERHEAD bytes. ad may be NULL. */
int tt_vault_seal(const uint8_t key[TT_KEY_BYTES], const uint8_t *plain, size_t len, const char *ad,
                  uint8_t *out);
/* Opens sealed (len >= TT_SEAL_OVERHEAD); out must hold len - TT_SEAL_OVERHEAD bytes.
 * Returns 0 or -TT_E_CRYPTO when tampered, moved or under the wrong key. */
int tt_vault_open(const uint8_t key[TT_KEY_BYTES], const uint8_t *sealed, size_t len,
                  const char *ad, uint8_t *out);

/* Blind index: hex keyed BLAKE2b-256 of "tenant\0type\0normalised" under blind_key. */
void tt_vault_blind(const struct tt_master *m, const char *tenant_id, enum tt_identity_type type,
                    const char *normalised, char out[TT_HASH_HEX]);

/* API keys: token "tt_<key_id>_<secret>". hash = BLAKE2b-256(secret) hex. */
void tt_vault_hash_secret(const char *secret, char out[TT_HASH_HEX]);
/* Constant-time compare of two hex hashes: 1 equal, 0 not. */
int tt_vault_hash_equal(const char a[TT_HASH_HEX], const char b[TT_HASH_HEX]);

/* Random prefixed id: prefix + 24 lowercase base32 chars (120 bits). */
void tt_id_new(const char *prefix, char out[TT_ID_MAX]);
/* Random URL-safe secret of n bytes of entropy, base64url without padding, into out. */
void tt_random_token(size_t n_bytes, char *out, size_t out_size);

#endif
