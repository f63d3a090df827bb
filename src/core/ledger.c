/* SPDX-License-Identifier: Apache-2.0 */
/* ledger.c — the audit hash chain (see ledger.h, docs/audit.md): canonical encoding, BLAKE2b-256
 * chaining, the verifier state machine and Ed25519 checkpoints. Pure: the encoding is either
 * written to the caller's buffer or streamed into the hash, never allocated. */
#include "ledger.h"

#include <string.h>

#include <sodium.h>

#include "error.h"

/* Domain tags open every encoding so an event can never be taken for a checkpoint. */
static const char TAG_EVENT[] = "tt-audit-event-v1";
static const char TAG_CHECKPOINT[] = "tt-audit-checkpoint-v1";
/* crypto_kdf context: exactly 8 bytes */
static const char KDF_AUDIT[crypto_kdf_CONTEXTBYTES + 1] = "tt-audit";
#define KDF_AUDIT_SUBKEY 1

_Static_assert(TT_LEDGER_HASH_BYTES == crypto_generichash_BYTES, "BLAKE2b-256");
_Static_assert(TT_LEDGER_SIG_BYTES == crypto_sign_BYTES, "Ed25519 signature");
_Static_assert(TT_LEDGER_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "Ed25519 public key");
_Static_assert(TT_LEDGER_SK_BYTES == crypto_sign_SECRETKEYBYTES, "Ed25519 secret key");
_Static_assert(crypto_sign_SEEDBYTES == TT_KEY_BYTES, "seed size");

static const uint8_t ZERO_HASH[TT_LEDGER_HASH_BYTES];

/* Where encoded bytes go: the caller's buffer (as much as fits) or a running hash. */
struct sink {
    uint8_t *buf;
    size_t size;
    size_t len;                   /* bytes produced so far, fitting or not */
    crypto_generichash_state *st; /* non-NULL: hash instead of copying */
    int bad;                      /* a field could not be encoded */
};

static void put(struct sink *s, const void *p, size_t n)
{
    if (s->st) {
        crypto_generichash_update(s->st, p, n);
    } else if (s->buf && s->len < s->size) {
        size_t room = s->size - s->len;
        memcpy(s->buf + s->len, p, n < room ? n : room);
    }
    s->len += n;
}

/* u32 big-endian length, then the bytes: no two field sequences share an encoding. */
static void field(struct sink *s, const void *p, size_t n)
{
    if (n > UINT32_MAX) {
        s->bad = 1;
        return;
    }
    uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    put(s, len, sizeof len);
    put(s, p, n);
}

/* A text held in a fixed array: must end within it. */
static void field_text(struct sink *s, const char *arr, size_t cap)
{
    const char *nul = memchr(arr, '\0', cap);
    if (!nul) {
        s->bad = 1;
        return;
    }
    field(s, arr, (size_t)(nul - arr));
}

/* 8 bytes, big-endian two's complement */
static void field_i64(struct sink *s, int64_t v)
{
    uint64_t u = (uint64_t)v;
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(u >> (56 - 8 * i));
    field(s, b, sizeof b);
}

static void encode_event(struct sink *s, const struct tt_audit_event *e)
{
    const char *detail = e->detail_json ? e->detail_json : "";
    size_t detail_len = strnlen(detail, TT_LEDGER_DETAIL_MAX + 1);
    field(s, TAG_EVENT, sizeof TAG_EVENT - 1);
    field_text(s, e->tenant_id, sizeof e->tenant_id);
    field_i64(s, e->seq);
    field_i64(s, e->at);
    field_text(s, e->actor, sizeof e->actor);
    field_text(s, e->action, sizeof e->action);
    field_text(s, e->target, sizeof e->target);
    if (detail_len > TT_LEDGER_DETAIL_MAX)
        s->bad = 1;
    else
        field(s, detail, detail_len);
    field(s, e->prev_hash, sizeof e->prev_hash);
}

size_t tt_ledger_encode(const struct tt_audit_event *e, uint8_t *buf, size_t size)
{
    struct sink s = {.buf = buf, .size = size};
    encode_event(&s, e);
    return s.bad ? 0 : s.len;
}

int tt_ledger_hash(const struct tt_audit_event *e, uint8_t out[TT_LEDGER_HASH_BYTES])
{
    crypto_generichash_state st;
    struct sink s = {.st = &st};
    crypto_generichash_init(&st, NULL, 0, TT_LEDGER_HASH_BYTES);
    encode_event(&s, e);
    if (s.bad)
        return -TT_E_BAD_FIELD;
    crypto_generichash_final(&st, out, TT_LEDGER_HASH_BYTES);
    return 0;
}

int tt_ledger_link(const struct tt_audit_event *prev, struct tt_audit_event *e)
{
    struct tt_audit_event next = *e;
    if (prev) {
        if (prev->seq < 0 || prev->seq == INT64_MAX)
            return -TT_E_BAD_FIELD;
        next.seq = prev->seq + 1;
        memcpy(next.prev_hash, prev->hash, sizeof next.prev_hash);
    } else {
        next.seq = 1;
        memset(next.prev_hash, 0, sizeof next.prev_hash);
    }
    int rc = tt_ledger_hash(&next, next.hash);
    if (rc < 0)
        return rc;
    *e = next;
    return 0;
}

const char *tt_ledger_break_name(enum tt_ledger_break b)
{
    switch (b) {
    case TT_LEDGER_OK:
        return "ok";
    case TT_LEDGER_EDITED:
        return "edited";
    case TT_LEDGER_DELETED:
        return "deleted";
    case TT_LEDGER_INSERTED:
        return "inserted";
    case TT_LEDGER_REORDERED:
        return "reordered";
    }
    return "unknown";
}

void tt_ledger_verifier_init_at(struct tt_ledger_verifier *v, const char *tenant_id, int64_t seq,
                                const uint8_t hash[TT_LEDGER_HASH_BYTES])
{
    memset(v, 0, sizeof *v);
    size_t n = strnlen(tenant_id, sizeof v->tenant_id - 1);
    memcpy(v->tenant_id, tenant_id, n);
    v->seq = seq;
    memcpy(v->hash, hash, TT_LEDGER_HASH_BYTES);
}

void tt_ledger_verifier_init(struct tt_ledger_verifier *v, const char *tenant_id)
{
    tt_ledger_verifier_init_at(v, tenant_id, 0, ZERO_HASH);
}

static enum tt_ledger_break fail(struct tt_ledger_verifier *v, enum tt_ledger_break b, int64_t seq)
{
    v->broken = b;
    v->broken_seq = seq;
    return b;
}

enum tt_ledger_break tt_ledger_verifier_feed(struct tt_ledger_verifier *v,
                                             const struct tt_audit_event *e)
{
    if (v->broken)
        return v->broken;
    if (!memchr(e->tenant_id, '\0', sizeof e->tenant_id) || strcmp(e->tenant_id, v->tenant_id) != 0)
        return fail(v, TT_LEDGER_INSERTED, e->seq); /* a row from another chain */
    int64_t expected = v->seq + 1;
    if (e->seq < expected) {
        /* the same row twice is an insertion; an older seq after a newer one, a reorder */
        if (e->seq == v->seq && sodium_memcmp(e->hash, v->hash, TT_LEDGER_HASH_BYTES) == 0)
            return fail(v, TT_LEDGER_INSERTED, e->seq);
        return fail(v, TT_LEDGER_REORDERED, e->seq);
    }
    if (e->seq > expected)
        return fail(v, TT_LEDGER_DELETED, expected);

    uint8_t h[TT_LEDGER_HASH_BYTES];
    int self_ok = tt_ledger_hash(e, h) == 0 && sodium_memcmp(h, e->hash, sizeof h) == 0;
    int link_ok = sodium_memcmp(e->prev_hash, v->hash, TT_LEDGER_HASH_BYTES) == 0;
    if (self_ok && link_ok) {
        memcpy(v->before, v->hash, sizeof v->before);
        memcpy(v->hash, h, sizeof v->hash);
        v->seq = e->seq;
        v->count++;
        return TT_LEDGER_OK;
    }
    /* this row commits to the event two back: the one between was slipped in (and the rows
     * after it renumbered to make room) */
    if (v->count > 0 && sodium_memcmp(e->prev_hash, v->before, TT_LEDGER_HASH_BYTES) == 0)
        return fail(v, TT_LEDGER_INSERTED, v->seq);
    if (link_ok)
        return fail(v, TT_LEDGER_EDITED, e->seq);
    if (self_ok)
        return fail(v, TT_LEDGER_INSERTED, e->seq);
    return fail(v, TT_LEDGER_REORDERED, e->seq);
}

enum tt_ledger_break tt_ledger_verifier_end(struct tt_ledger_verifier *v,
                                            const struct tt_audit_event *head)
{
    if (v->broken || !head)
        return v->broken;
    if (head->seq > v->seq)
        return fail(v, TT_LEDGER_DELETED, v->seq + 1);
    if (head->seq < v->seq)
        return fail(v, TT_LEDGER_INSERTED, head->seq + 1);
    if (sodium_memcmp(head->hash, v->hash, TT_LEDGER_HASH_BYTES) != 0)
        return fail(v, TT_LEDGER_EDITED, v->seq);
    return TT_LEDGER_OK;
}

int tt_ledger_signer_derive(const struct tt_master *m, struct tt_ledger_signer *out)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    int rc = 0;
    if (crypto_kdf_derive_from_key(seed, sizeof seed, KDF_AUDIT_SUBKEY, KDF_AUDIT, m->key) != 0 ||
        crypto_sign_seed_keypair(out->pk, out->sk, seed) != 0)
        rc = -TT_E_CRYPTO;
    sodium_memzero(seed, sizeof seed);
    return rc;
}

void tt_ledger_signer_wipe(struct tt_ledger_signer *s)
{
    if (s)
        sodium_memzero(s, sizeof *s);
}

static void encode_checkpoint(struct sink *s, const struct tt_ledger_checkpoint *cp)
{
    field(s, TAG_CHECKPOINT, sizeof TAG_CHECKPOINT - 1);
    field_text(s, cp->tenant_id, sizeof cp->tenant_id);
    field_i64(s, cp->seq);
    field(s, cp->hash, sizeof cp->hash);
    field_i64(s, cp->at);
}

size_t tt_ledger_checkpoint_encode(const struct tt_ledger_checkpoint *cp, uint8_t *buf, size_t size)
{
    struct sink s = {.buf = buf, .size = size};
    encode_checkpoint(&s, cp);
    return s.bad ? 0 : s.len;
}

/* tag + tenant + seq + hash + at, each with its 4-byte length */
#define CHECKPOINT_MAX                                                                             \
    (5 * 4 + sizeof TAG_CHECKPOINT - 1 + (TT_ID_MAX - 1) + 8 + TT_LEDGER_HASH_BYTES + 8)

int tt_ledger_checkpoint_sign(const struct tt_ledger_signer *s,
                              const struct tt_ledger_checkpoint *cp,
                              uint8_t sig[TT_LEDGER_SIG_BYTES])
{
    uint8_t msg[CHECKPOINT_MAX];
    size_t n = tt_ledger_checkpoint_encode(cp, msg, sizeof msg);
    if (n == 0 || n > sizeof msg)
        return -TT_E_BAD_FIELD;
    if (crypto_sign_detached(sig, NULL, msg, n, s->sk) != 0)
        return -TT_E_CRYPTO;
    return 0;
}

int tt_ledger_checkpoint_verify(const uint8_t pk[TT_LEDGER_PK_BYTES],
                                const struct tt_ledger_checkpoint *cp,
                                const uint8_t sig[TT_LEDGER_SIG_BYTES])
{
    uint8_t msg[CHECKPOINT_MAX];
    size_t n = tt_ledger_checkpoint_encode(cp, msg, sizeof msg);
    if (n == 0 || n > sizeof msg)
        return -TT_E_CRYPTO;
    return crypto_sign_verify_detached(sig, msg, n, pk) == 0 ? 0 : -TT_E_CRYPTO;
}
