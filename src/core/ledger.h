/* SPDX-License-Identifier: Apache-2.0 */
/* ledger.h — the audit hash chain (S6.3): the canonical byte encoding of an event, its
 * BLAKE2b-256 hash, the chain rule, a verifier that names the first broken link, and Ed25519
 * checkpoints a third party can check with the public key alone. Pure computation: no I/O, no
 * clock, no allocation. docs/audit.md specifies the encoding for independent verifiers.
 * libsodium must be initialised (sodium_init or tt_vault_init) before any call. */
#ifndef TT_CORE_LEDGER_H
#define TT_CORE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"
#include "vault.h"

#define TT_LEDGER_HASH_BYTES 32
#define TT_LEDGER_SIG_BYTES 64
#define TT_LEDGER_PK_BYTES 32
#define TT_LEDGER_SK_BYTES 64
/* detail_json longer than this is refused: details are small objects of ids and counts */
#define TT_LEDGER_DETAIL_MAX 16384

/* Canonical encoding of e (every field length-prefixed, see docs/audit.md) into buf (size
 * bytes; buf may be NULL when size is 0). Returns the full encoding length, whether or not it
 * fit (snprintf style), or 0 if a text field is not NUL-terminated within its array or
 * detail_json exceeds TT_LEDGER_DETAIL_MAX. detail_json NULL encodes as empty text. hash is
 * not part of the encoding. */
size_t tt_ledger_encode(const struct tt_audit_event *e, uint8_t *buf, size_t size);

/* BLAKE2b-256 of the canonical encoding. Returns 0 or -TT_E_BAD_FIELD (see encode). */
int tt_ledger_hash(const struct tt_audit_event *e, uint8_t out[TT_LEDGER_HASH_BYTES]);

/* The chain rule: sets e->seq = prev->seq + 1 and e->prev_hash = prev->hash, or seq 1 and 32
 * zero bytes when prev is NULL (the first event of a tenant's chain), then e->hash. Only seq and
 * hash of prev are read. Returns 0 or -TT_E_BAD_FIELD (e unchanged). */
int tt_ledger_link(const struct tt_audit_event *prev, struct tt_audit_event *e);

/* Why a chain is broken, as the verifier classifies its first bad link. */
enum tt_ledger_break {
    TT_LEDGER_OK = 0,
    TT_LEDGER_EDITED = 1,    /* the row's content no longer matches its hash */
    TT_LEDGER_DELETED = 2,   /* a seq is missing (gap, or the tail is gone) */
    TT_LEDGER_INSERTED = 3,  /* a well-formed row that does not follow its predecessor */
    TT_LEDGER_REORDERED = 4, /* a row moved: neither its hash nor its link hold */
};

/* "edited", "deleted", "inserted", "reordered" ("ok" for TT_LEDGER_OK). Never NULL. */
const char *tt_ledger_break_name(enum tt_ledger_break b);

/* A state machine fed one tenant's events in seq order. Plain struct: the caller owns it. */
struct tt_ledger_verifier {
    char tenant_id[TT_ID_MAX];
    int64_t seq;                          /* last accepted seq (anchor seq at start) */
    uint8_t hash[TT_LEDGER_HASH_BYTES];   /* hash of the last accepted event */
    uint8_t before[TT_LEDGER_HASH_BYTES]; /* the hash before that (valid when count > 0) */
    int64_t count;                        /* events accepted */
    enum tt_ledger_break broken;          /* first break, TT_LEDGER_OK while intact */
    int64_t broken_seq;                   /* where it is (0 while intact) */
};

/* Starts at the genesis of tenant_id's chain: the next event must be seq 1 with a zero
 * prev_hash. tenant_id must fit TT_ID_MAX (a longer one is truncated). */
void tt_ledger_verifier_init(struct tt_ledger_verifier *v, const char *tenant_id);

/* Starts after a known event (seq, hash): for a range export whose first event's prev_hash is
 * the anchor. seq 0 with a zero hash is the genesis. */
void tt_ledger_verifier_init_at(struct tt_ledger_verifier *v, const char *tenant_id, int64_t seq,
                                const uint8_t hash[TT_LEDGER_HASH_BYTES]);

/* Feeds the next event. Returns TT_LEDGER_OK while the chain holds, else the first break (also
 * in v->broken / v->broken_seq); once broken, later events are ignored and the same break is
 * returned. Classification: seq gap = deleted (at the first missing seq); bad hash with a good
 * link = edited; good hash with a bad link = inserted; a link to the event two back = the
 * previous event was inserted; neither = reordered. */
enum tt_ledger_break tt_ledger_verifier_feed(struct tt_ledger_verifier *v,
                                             const struct tt_audit_event *e);

/* Ends the chain against its recorded head (the store's chain tail: seq and hash), NULL when
 * none is known. A head beyond the last event = deleted tail; short of it = inserted tail; the
 * same seq with another hash = edited tail. Returns the chain's final verdict. */
enum tt_ledger_break tt_ledger_verifier_end(struct tt_ledger_verifier *v,
                                            const struct tt_audit_event *head);

/* A signed statement that tenant's chain reached (seq, hash); at = when it was signed. */
struct tt_ledger_checkpoint {
    char tenant_id[TT_ID_MAX];
    int64_t seq;
    uint8_t hash[TT_LEDGER_HASH_BYTES];
    tt_time at;
};

/* The audit signing key pair. sk is secret: wipe with tt_ledger_signer_wipe. */
struct tt_ledger_signer {
    uint8_t pk[TT_LEDGER_PK_BYTES];
    uint8_t sk[TT_LEDGER_SK_BYTES];
};

/* Derives the key pair from the master key: crypto_kdf (subkey 1, context "tt-audit") gives a
 * 32-byte seed, crypto_sign_seed_keypair the pair. Same master key, same pair. Returns 0 or
 * -TT_E_CRYPTO. */
int tt_ledger_signer_derive(const struct tt_master *m, struct tt_ledger_signer *out);
void tt_ledger_signer_wipe(struct tt_ledger_signer *s); /* NULL is a no-op */

/* The signed message (see docs/audit.md) into buf; returns its length (snprintf style), or 0
 * when the tenant id is not NUL-terminated within its array. */
size_t tt_ledger_checkpoint_encode(const struct tt_ledger_checkpoint *cp, uint8_t *buf,
                                   size_t size);

/* Ed25519 detached signature of the checkpoint message. Returns 0 or -TT_E_BAD_FIELD /
 * -TT_E_CRYPTO. */
int tt_ledger_checkpoint_sign(const struct tt_ledger_signer *s,
                              const struct tt_ledger_checkpoint *cp,
                              uint8_t sig[TT_LEDGER_SIG_BYTES]);

/* Checks sig over cp with the public key alone. Returns 0 when valid, -TT_E_CRYPTO when not. */
int tt_ledger_checkpoint_verify(const uint8_t pk[TT_LEDGER_PK_BYTES],
                                const struct tt_ledger_checkpoint *cp,
                                const uint8_t sig[TT_LEDGER_SIG_BYTES]);

#endif
