/* SPDX-License-Identifier: Apache-2.0 */
/* index.h — the decision index: per tenant, subject -> compact state (consent, withdrawal and
 * objection bits by purpose slot, restriction/child/erasure/contract flags, kind, jurisdiction,
 * retention horizon) and identifier blind hash -> subject. In memory, about 60 bytes per subject
 * with one identifier; filled from the store at start (api/index_load.c) and kept current by the
 * write-through hooks (api/hooks.c). The public half of the API is in include/tutela.h.
 *
 * Layout: 64 shards, each an open-addressing table of 32-byte slots keyed by a 64-bit hash of
 * the subject id (plus a 32-bit verification tag). Purpose keys are interned into 64 index
 * slots (seeded from the policy bits), tenants into 24-bit handles, jurisdictions into 8-bit
 * ids. Lookups take no lock (issue 3): they copy a subject's state out under the shard's
 * sequence counter (a seqlock: a copy torn by a writer is taken again), and tables replaced by
 * a growing writer are freed only after a grace period (grace.h), so a reload or a write never
 * blocks a decision and a decision never blocks a write. No allocation, no tearing. Writers of
 * one shard are serialised by its lock. Thread safety: every function may be called from any
 * thread. */
#ifndef TT_CORE_INDEX_H
#define TT_CORE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "tutela.h"
#include "types.h"

#define TT_INDEX_SHARDS 64
#define TT_INDEX_PURPOSE_SLOTS 64
#define TT_INDEX_JURIS_MAX 256 /* distinct jurisdictions; id 0 = unknown */

/* Subject flags in tt_index_state.flags. */
#define TT_IXF_RESTRICTED 0x01u
#define TT_IXF_CHILD 0x02u
#define TT_IXF_ERASED 0x04u
#define TT_IXF_CONTRACT 0x08u

/* A copy of one subject's state. Bits are by index purpose slot (tt_index_purpose_slot). */
struct tt_index_state {
    uint64_t given;          /* consent given */
    uint64_t withdrawn;      /* consent withdrawn (S8.2) */
    uint64_t objection;      /* objection to legitimate interest (S8.3) */
    int64_t retention_until; /* unix seconds; 0 = none */
    unsigned flags;          /* TT_IXF_* */
    unsigned juris;          /* jurisdiction id (tt_index_jurisdiction); 0 = unknown */
    int kind;                /* enum tt_subject_kind */
};

/* Results of the lookups. */
#define TT_INDEX_NONE 0         /* no such subject (or identifier) */
#define TT_INDEX_FOUND 1        /* *out filled */
#define TT_INDEX_OTHER_TENANT 2 /* the subject exists, in another tenant; *out untouched */

/* Looks a subject up by id. Returns TT_INDEX_FOUND, TT_INDEX_NONE or TT_INDEX_OTHER_TENANT. */
int tt_index_get(const struct tt_index *ix, const char *tenant_id, const char *subject_id,
                 struct tt_index_state *out);
/* Looks a subject up by identifier (type, blind index hex). Same results; an identifier mapped
 * to a subject of another tenant is reported as TT_INDEX_NONE (the blind index is per tenant). */
int tt_index_get_by_identity(const struct tt_index *ix, const char *tenant_id, int ident_type,
                             const char *blind_hex, struct tt_index_state *out);

/* The index slot of a purpose key, or -1 when no state was ever recorded under that key. */
int tt_index_purpose_slot(const struct tt_index *ix, const char *purpose);
/* Interns a purpose key (preferring slot `hint` when free, -1 = any). Returns the slot, or
 * -TT_E_INTERNAL when all 64 slots hold other keys (rebuild the index). */
int tt_index_purpose_intern(struct tt_index *ix, const char *purpose, int hint);
/* The jurisdiction string of an id ("" for 0 or an id never given out). */
const char *tt_index_jurisdiction(const struct tt_index *ix, unsigned juris);

/* Convenience for the hooks: the same as tt_index_upsert / tt_index_set_purpose /
 * tt_index_add_identity from the store's row types. */
int tt_index_put_subject(struct tt_index *ix, const struct tt_subject *s);
int tt_index_put_purpose_state(struct tt_index *ix, const struct tt_purpose_state *ps);
int tt_index_put_identity(struct tt_index *ix, const struct tt_identity *i);
/* An identifier no longer names its subject (rectified, S1.5): lookups by it find nobody until
 * it is added again. 0, or -TT_E_BAD_FIELD when blind_hex is malformed. */
int tt_index_drop_identity(struct tt_index *ix, int ident_type, const char *blind_hex);

/* Compiled per-policy views that make decisions fast (core/decide.c owns their contents). The
 * index keeps them until it is freed. tt__index_view_find returns the view registered for that
 * policy (pointer and digest both match) or NULL; tt__index_view_add takes ownership of view and
 * frees it with free_fn. Returns 0 or -TT_E_NOMEM. */
void *tt__index_view_find(const struct tt_index *ix, const void *policy, const uint8_t digest[32]);
int tt__index_view_add(struct tt_index *ix, const void *policy, const uint8_t digest[32],
                       void *view, void (*free_fn)(void *));

/* 128-bit hash of a string into (a, b); a is never 0. Used for subject and tenant keys. */
void tt__index_hash(const char *s, size_t len, uint64_t *a, uint64_t *b);

/* The pieces of a lookup, for batches (core/decide.c): hash every subject id first
 * (tt__index_hash: key = a, tag = (uint32_t)b), prefetch its slot, then look the slots up once
 * the memory has arrived. No allocation; safe from any thread, like the lookups above, but only
 * between tt__index_read_begin and tt__index_read_end (the read-side section that keeps tables
 * a writer replaced alive; never call a writer of the index inside it).
 * tt__index_tenant: the tenant's handle, 0 for a tenant never seen (matches no subject).
 * tt__index_ident_key: an identifier's table key, 0 when blind_hex is malformed.
 * tt__index_ident_subject: the subject key an identifier maps to, 0 for none.
 * tt__index_prefetch / _prefetch_ident: start loading the slot of a subject (with the cache
 * line after it) / of an identifier key.
 * tt__index_peek: once a subject's slot has arrived, copies it (under the shard's sequence
 * number) into *p, with where its withdrawal and objection bits are (p->ext, NULL for none:
 * most subjects) for the caller to prefetch; tt__index_peek_get, later in the same read-side
 * section, ends that lookup: the same results as tt__index_get_key, which it falls back to when
 * a writer changed the shard meanwhile.
 * tt__index_get_key: tt_index_get over a key (and tag, or NULL to skip the check) and tenant
 * handle; same results. */
unsigned tt__index_read_begin(const struct tt_index *ix);
void tt__index_read_end(const struct tt_index *ix, unsigned token);
uint32_t tt__index_tenant(const struct tt_index *ix, const char *tenant_id);
uint64_t tt__index_ident_key(int ident_type, const char *blind_hex);
uint64_t tt__index_ident_subject(const struct tt_index *ix, uint64_t ident_key);
void tt__index_prefetch(const struct tt_index *ix, uint64_t key);
void tt__index_prefetch_ident(const struct tt_index *ix, uint64_t ident_key);
struct tt__index_peek {
    _Alignas(8) unsigned char slot[32]; /* a copy of the subject's slot */
    const void *ext;                    /* its withdrawal/objection bits; NULL = none */
    unsigned seq;                       /* the shard's sequence number when copied */
    int found;                          /* 1 found, 0 not, -1 torn */
};
void tt__index_peek(const struct tt_index *ix, uint64_t key, struct tt__index_peek *p);
int tt__index_peek_get(const struct tt_index *ix, uint32_t tenant, uint64_t key,
                       const uint32_t *tag, const struct tt__index_peek *p,
                       struct tt_index_state *out);
int tt__index_get_key(const struct tt_index *ix, uint32_t tenant, uint64_t key, const uint32_t *tag,
                      struct tt_index_state *out);

#endif
