/* SPDX-License-Identifier: Apache-2.0 */
/* index.c — the in-memory decision index (see index.h): sharded open addressing over 32-byte
 * subject slots and 16-byte identifier slots, interned tenants, jurisdictions and purpose keys.
 * Tables are allocated per shard, never per entry.
 *
 * Reads take no lock (issue 3). Writers of a shard take its write lock (writers only) and bump
 * the shard's sequence counter to odd before and to even after they change it; a reader copies
 * what it needs and tries again if the counter was odd or moved meanwhile (a seqlock). A table
 * that grows is copied, the copy published, and the old one freed only after a grace period
 * (grace.h): every lookup runs inside a read-side section, so a reader still probing the old
 * table never touches freed memory. Table pointer and capacity are published pointer first,
 * capacity second, and read capacity first: a reader never indexes past the table it holds. */
#include "index.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "error.h"
#include "grace.h"

#define MAX_LOAD_NUM 82 /* grow past 82 % full */
#define SIZED_LOAD 78   /* tables sized from a hint start 78 % full at the hint */
#define MIN_CAP 16u
#define TENANT_MAX ((1u << 24) - 1)

/* One subject: 32 bytes. key 0 = empty. */
struct slot {
    uint64_t key;   /* hash lane a of the subject id */
    uint64_t given; /* consent given, by purpose slot */
    uint32_t tag;   /* hash lane b: verification */
    uint32_t tj;    /* tenant handle << 8 | jurisdiction id */
    uint32_t ret;   /* retention_until, unix seconds (clamped); 0 = none */
    uint32_t xf;    /* overflow index + 1 << 8 | flags (TT_IXF_* | kind << 4) */
};

/* Withdrawal and objection bits, only for subjects that have any (most have none). */
struct ext {
    uint64_t withdrawn;
    uint64_t objection;
};

/* One identifier: 16 bytes. key 0 = empty. */
struct idn {
    uint64_t key;  /* from the blind index and the type */
    uint64_t skey; /* the subject's key */
};

struct shard {
    pthread_rwlock_t lock; /* writers only */
    atomic_uint seq;       /* odd while a writer changes the shard */
    struct slot *slots;
    uint32_t cap, n;
    struct ext *ext;
    uint32_t ext_cap, ext_n;
    struct idn *idn;
    uint32_t idn_cap, idn_n;
} __attribute__((aligned(64)));

struct tenant_ent {
    uint64_t key; /* hash lane a of the tenant id; 0 = empty; stored last, with release */
    uint64_t tag;
    uint32_t handle;
};

struct tenant_tab {
    uint32_t cap; /* a power of two */
    struct tenant_ent e[];
};

struct view_node {
    struct view_node *next;
    const void *policy;
    uint8_t digest[32];
    void *view;
    void (*free_fn)(void *);
};

struct tt_index {
    struct shard shards[TT_INDEX_SHARDS];
    char *arena; /* the shards' first tables when sized from a hint; NULL otherwise */
    size_t arena_bytes;

    struct tt_grace grace;       /* the readers' sections; old tables are freed after a wait */
    pthread_mutex_t tenant_lock; /* writers of the tenant table */
    _Atomic(struct tenant_tab *) tenants; /* open addressing; replaced whole to grow */
    uint32_t tenant_n;

    pthread_mutex_t meta_lock; /* jurisdictions, purpose slots, views (writers) */
    char juris[TT_INDEX_JURIS_MAX][TT_JURIS_MAX];
    atomic_uint n_juris;
    char purposes[TT_INDEX_PURPOSE_SLOTS][TT_KEY_MAX];
    atomic_ullong purpose_used; /* bit i: slot i holds a key */
    _Atomic(struct view_node *) views;
};

/* Tables of 2 MiB and more are mapped directly, aligned to 2 MiB and asked for huge pages: a
 * lookup in a large index is one random memory access, and a TLB miss on top of it would double
 * its cost (the kernel only backs 2 MiB-aligned ranges with huge pages). An index sized from a
 * hint puts the first tables of all shards in one such mapping (the arena), so even tables
 * smaller than a huge page get them. */
#define BIG_BYTES (2u << 20)
#define PAGE_BYTES 4096u

static size_t page_round(size_t n)
{
    return (n + PAGE_BYTES - 1) & ~(size_t)(PAGE_BYTES - 1);
}

static void *huge_map(size_t bytes)
{
    bytes = page_round(bytes);
    size_t len = bytes + BIG_BYTES;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    char *q = (char *)(((uintptr_t)p + BIG_BYTES - 1) & ~(uintptr_t)(BIG_BYTES - 1));
    size_t head = (size_t)(q - p);
    if (head)
        munmap(p, head);
    if (len - head - bytes)
        munmap(q + bytes, len - head - bytes);
#ifdef MADV_HUGEPAGE
    madvise(q, bytes, MADV_HUGEPAGE);
#endif
    return q;
}

static void *table_alloc(size_t n, size_t size)
{
    size_t bytes = n * size;
    if (bytes < BIG_BYTES)
        return calloc(n, size);
    return huge_map(bytes);
}

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

/* Frees a table from table_alloc, or gives a table inside the arena back to the kernel (the
 * range stays mapped, unused, until the index is freed). */
static void table_free(const struct tt_index *ix, void *p, size_t n, size_t size)
{
    if (!p)
        return;
    char *c = p;
    if (ix->arena && c >= ix->arena && c < ix->arena + ix->arena_bytes) {
        madvise(c, page_round(n * size), MADV_DONTNEED);
        return;
    }
    if (n * size < BIG_BYTES)
        free(p);
    else
        munmap(p, page_round(n * size));
}

/* Two 64-bit multiply-fold lanes over 16 bytes a step (wyhash's mixing): the lanes are
 * independent, so they run side by side, and a 28-byte subject id costs two steps and a final
 * mix instead of a chain of eight multiplications. The hash lives only in memory (the index is
 * rebuilt at start), so it can change between releases. */
static inline uint64_t mum(uint64_t x, uint64_t y)
{
    __uint128_t r = (__uint128_t)x * y;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

#define HK0 0xa0761d6478bd642fULL
#define HK1 0xe7037ed1a0b428dbULL
#define HK2 0x8ebc6af09c88c6e3ULL
#define HK3 0x589965cc75374cc3ULL

void tt__index_hash(const char *s, size_t len, uint64_t *a, uint64_t *b)
{
    uint64_t ha = HK0 ^ len, hb = HK3 + len;
    while (len > 16) {
        uint64_t w0, w1;
        memcpy(&w0, s, 8);
        memcpy(&w1, s + 8, 8);
        ha = mum(w0 ^ HK1, w1 ^ ha);
        hb = mum(w0 ^ HK2, w1 ^ hb ^ HK0);
        s += 16;
        len -= 16;
    }
    uint64_t w0 = 0, w1 = 0;
    if (len > 8) {
        memcpy(&w0, s, 8);
        memcpy(&w1, s + 8, len - 8);
    } else {
        memcpy(&w0, s, len);
    }
    ha = mum(mum(w0 ^ HK1, w1 ^ ha) ^ HK2, ha ^ HK3);
    hb = mum(mum(w0 ^ HK3, w1 ^ hb) ^ HK0, hb ^ HK1);
    *a = ha ? ha : 1;
    *b = hb;
}

static inline uint32_t pos_of(uint64_t key, uint32_t cap)
{
    return (uint32_t)(((key & 0xffffffffULL) * (uint64_t)cap) >> 32);
}

static inline struct shard *shard_of(const struct tt_index *ix, uint64_t key)
{
    return (struct shard *)&ix->shards[key >> 58];
}

/* Small tables double; large ones grow by a quarter, which keeps them 66-82 % full. */
static uint64_t grown(uint32_t cap)
{
    return cap < 4096 ? (uint64_t)cap * 2 + MIN_CAP : (uint64_t)cap * 5 / 4;
}

static uint32_t cap_for(size_t n)
{
    size_t c = n * 100 / SIZED_LOAD + MIN_CAP;
    return c > 0xfffffff0u ? 0xfffffff0u : (uint32_t)c;
}

static struct tenant_tab *tenant_tab_new(uint32_t cap)
{
    struct tenant_tab *t = calloc(1, sizeof *t + (size_t)cap * sizeof t->e[0]);
    if (t)
        t->cap = cap;
    return t;
}

int tt_index_new(size_t expected_subjects, struct tt_index **out)
{
    if (!out)
        return -TT_E_INTERNAL;
    struct tt_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return -TT_E_NOMEM;
    uint32_t cap = cap_for(expected_subjects / TT_INDEX_SHARDS);
    size_t sb = page_round((size_t)cap * sizeof(struct slot)),
           ib = page_round((size_t)cap * sizeof(struct idn));
    if ((sb + ib) * TT_INDEX_SHARDS >= BIG_BYTES) {
        ix->arena_bytes = (sb + ib) * TT_INDEX_SHARDS;
        ix->arena = huge_map(ix->arena_bytes);
    }
    int rc = 0;
    for (int i = 0; i < TT_INDEX_SHARDS; i++) {
        struct shard *sh = &ix->shards[i];
        pthread_rwlock_init(&sh->lock, NULL);
        if (ix->arena) {
            sh->slots = (struct slot *)(ix->arena + (size_t)i * sb);
            sh->idn = (struct idn *)(ix->arena + (size_t)TT_INDEX_SHARDS * sb + (size_t)i * ib);
        } else {
            sh->slots = table_alloc(cap, sizeof *sh->slots);
            sh->idn = table_alloc(cap, sizeof *sh->idn);
        }
        sh->cap = sh->idn_cap = cap;
        if (!sh->slots || !sh->idn)
            rc = -TT_E_NOMEM;
    }
    tt_grace_init(&ix->grace);
    pthread_mutex_init(&ix->tenant_lock, NULL);
    pthread_mutex_init(&ix->meta_lock, NULL);
    struct tenant_tab *tt = tenant_tab_new(64);
    atomic_init(&ix->tenants, tt);
    if (!tt)
        rc = -TT_E_NOMEM;
    atomic_init(&ix->n_juris, 1); /* id 0 = unknown, "" */
    if (rc) {
        tt_index_free(ix);
        return rc;
    }
    *out = ix;
    return 0;
}

void tt_index_free(struct tt_index *ix)
{
    if (!ix)
        return;
    for (int i = 0; i < TT_INDEX_SHARDS; i++) {
        struct shard *sh = &ix->shards[i];
        table_free(ix, sh->slots, sh->cap, sizeof *sh->slots);
        free(sh->ext);
        table_free(ix, sh->idn, sh->idn_cap, sizeof *sh->idn);
        pthread_rwlock_destroy(&sh->lock);
    }
    struct view_node *v = atomic_load(&ix->views);
    while (v) {
        struct view_node *next = v->next;
        if (v->free_fn)
            v->free_fn(v->view);
        free(v);
        v = next;
    }
    if (ix->arena)
        munmap(ix->arena, ix->arena_bytes);
    free(atomic_load(&ix->tenants));
    pthread_mutex_destroy(&ix->tenant_lock);
    tt_grace_destroy(&ix->grace);
    pthread_mutex_destroy(&ix->meta_lock);
    free(ix);
}

/* ---- tenants ---------------------------------------------------------------------------- */

static uint32_t tenant_find(const struct tenant_tab *t, uint64_t a, uint64_t b)
{
    uint32_t mask = t->cap - 1;
    for (uint32_t i = (uint32_t)a & mask;; i = (i + 1) & mask) {
        const struct tenant_ent *e = &t->e[i];
        uint64_t key = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
        if (key == 0)
            return 0;
        if (key == a && e->tag == b)
            return e->handle;
    }
}

/* Called inside a read-side section (or by a writer holding tenant_lock). */
static uint32_t tenant_lookup(const struct tt_index *ix, const char *tenant_id)
{
    uint64_t a, b;
    tt__index_hash(tenant_id, strlen(tenant_id), &a, &b);
    return tenant_find(
        atomic_load_explicit(&((struct tt_index *)ix)->tenants, memory_order_acquire), a, b);
}

/* Writes e into a free slot; its key last, so a reader that sees the key sees the rest. */
static void tenant_place(struct tenant_tab *t, const struct tenant_ent *e)
{
    uint32_t mask = t->cap - 1;
    uint32_t i = (uint32_t)e->key & mask;
    while (t->e[i].key)
        i = (i + 1) & mask;
    t->e[i].tag = e->tag;
    t->e[i].handle = e->handle;
    __atomic_store_n(&t->e[i].key, e->key, __ATOMIC_RELEASE);
}

/* Returns the tenant's handle, creating it; 0 when out of memory or handles. */
static uint32_t tenant_intern(struct tt_index *ix, const char *tenant_id)
{
    uint64_t a, b;
    tt__index_hash(tenant_id, strlen(tenant_id), &a, &b);
    pthread_mutex_lock(&ix->tenant_lock);
    struct tenant_tab *t = atomic_load(&ix->tenants), *old = NULL;
    uint32_t h = tenant_find(t, a, b);
    if (h || ix->tenant_n >= TENANT_MAX)
        goto out;
    if ((ix->tenant_n + 1) * 2 > t->cap) {
        struct tenant_tab *nt = tenant_tab_new(t->cap * 2);
        if (!nt)
            goto out;
        for (uint32_t i = 0; i < t->cap; i++)
            if (t->e[i].key)
                tenant_place(nt, &t->e[i]);
        atomic_store_explicit(&ix->tenants, nt, memory_order_release);
        old = t;
        t = nt;
    }
    struct tenant_ent e = {.key = a, .tag = b, .handle = ++ix->tenant_n};
    tenant_place(t, &e);
    h = e.handle;
out:
    pthread_mutex_unlock(&ix->tenant_lock);
    if (old) { /* readers may still probe the old table */
        tt_grace_wait(&ix->grace);
        free(old);
    }
    return h;
}

/* ---- jurisdictions and purpose slots ------------------------------------------------------ */

static unsigned juris_intern(struct tt_index *ix, const char *j)
{
    if (!j || !*j)
        return 0;
    char key[TT_JURIS_MAX];
    size_t len = strnlen(j, TT_JURIS_MAX - 1);
    memcpy(key, j, len);
    key[len] = 0;
    unsigned n = atomic_load_explicit(&ix->n_juris, memory_order_acquire);
    for (unsigned i = 1; i < n; i++)
        if (strcmp(ix->juris[i], key) == 0)
            return i;
    pthread_mutex_lock(&ix->meta_lock);
    n = atomic_load(&ix->n_juris);
    unsigned id = 0;
    for (unsigned i = 1; i < n && !id; i++)
        if (strcmp(ix->juris[i], key) == 0)
            id = i;
    if (!id && n < TT_INDEX_JURIS_MAX) {
        memcpy(ix->juris[n], key, len + 1);
        atomic_store_explicit(&ix->n_juris, n + 1, memory_order_release);
        id = n;
    } else if (!id && len > 2) {
        /* table full: keep the country, which is what the EEA test needs */
        key[2] = 0;
        for (unsigned i = 1; i < n && !id; i++)
            if (strcmp(ix->juris[i], key) == 0)
                id = i;
    }
    pthread_mutex_unlock(&ix->meta_lock);
    return id;
}

const char *tt_index_jurisdiction(const struct tt_index *ix, unsigned juris)
{
    if (!ix || juris == 0 ||
        juris >= atomic_load_explicit(&((struct tt_index *)ix)->n_juris, memory_order_acquire))
        return "";
    return ix->juris[juris];
}

int tt_index_purpose_slot(const struct tt_index *ix, const char *purpose)
{
    if (!ix || !purpose)
        return -1;
    uint64_t used =
        atomic_load_explicit(&((struct tt_index *)ix)->purpose_used, memory_order_acquire);
    while (used) {
        int i = __builtin_ctzll(used);
        if (strcmp(ix->purposes[i], purpose) == 0)
            return i;
        used &= used - 1;
    }
    return -1;
}

int tt_index_purpose_intern(struct tt_index *ix, const char *purpose, int hint)
{
    if (!ix || !purpose || strlen(purpose) >= TT_KEY_MAX)
        return -TT_E_BAD_FIELD;
    int s = tt_index_purpose_slot(ix, purpose);
    if (s >= 0)
        return s;
    pthread_mutex_lock(&ix->meta_lock);
    s = tt_index_purpose_slot(ix, purpose);
    if (s < 0) {
        uint64_t used = atomic_load(&ix->purpose_used);
        if (hint >= 0 && hint < TT_INDEX_PURPOSE_SLOTS && !(used >> hint & 1))
            s = hint;
        else if (~used)
            s = __builtin_ctzll(~used);
        else
            s = -TT_E_INTERNAL;
        if (s >= 0) {
            size_t len = strlen(purpose);
            memcpy(ix->purposes[s], purpose, len + 1);
            atomic_store_explicit(&ix->purpose_used, used | 1ULL << s, memory_order_release);
        }
    }
    pthread_mutex_unlock(&ix->meta_lock);
    return s;
}

/* ---- the seqlock and retired tables ------------------------------------------------------ */

static void write_begin(struct shard *sh)
{
    unsigned q = atomic_load_explicit(&sh->seq, memory_order_relaxed);
    atomic_store_explicit(&sh->seq, q + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release); /* odd before any change */
}

static void write_end(struct shard *sh)
{
    unsigned q = atomic_load_explicit(&sh->seq, memory_order_relaxed);
    atomic_store_explicit(&sh->seq, q + 1, memory_order_release); /* even after every change */
}

/* A reader's start: the shard's even sequence number. */
static unsigned read_begin(const struct shard *sh)
{
    for (;;) {
        unsigned q = atomic_load_explicit(&((struct shard *)sh)->seq, memory_order_acquire);
        if (!(q & 1))
            return q;
        __builtin_ia32_pause();
    }
}

/* 1 when what was read since read_begin returned q is a consistent copy. */
static int read_ok(const struct shard *sh, unsigned q)
{
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&((struct shard *)sh)->seq, memory_order_relaxed) == q;
}

/* A table taken out of use by a writer, freed once no reader can hold it. */
struct retired {
    void *p;
    size_t n, size;
    int plain; /* from malloc (free), else from table_alloc (table_free) */
};

/* After the writer's lock is released: waits out the readers, then frees. */
static void retired_free(struct tt_index *ix, const struct retired *r)
{
    if (!r->p)
        return;
    tt_grace_wait(&ix->grace);
    if (r->plain)
        free(r->p);
    else
        table_free(ix, r->p, r->n, r->size);
}

/* ---- subject table ------------------------------------------------------------------------ */

static struct slot *slot_find(const struct shard *sh, uint64_t key)
{
    uint32_t cap = sh->cap;
    for (uint32_t i = pos_of(key, cap);; i = i + 1 == cap ? 0 : i + 1) {
        struct slot *s = &sh->slots[i];
        if (s->key == key)
            return s;
        if (s->key == 0)
            return NULL;
    }
}

static struct slot *slot_claim(struct slot *tab, uint32_t cap, uint64_t key)
{
    uint32_t i = pos_of(key, cap);
    while (tab[i].key && tab[i].key != key)
        i = i + 1 == cap ? 0 : i + 1;
    return &tab[i];
}

/* Grows the shard's table (its writer lock held); the old table goes to *old. */
static int shard_grow(struct shard *sh, struct retired *old)
{
    uint64_t ncap64 = grown(sh->cap);
    if (ncap64 > 0xfffffff0u)
        return -TT_E_NOMEM;
    uint32_t ncap = (uint32_t)ncap64;
    struct slot *nt = table_alloc(ncap, sizeof *nt);
    if (!nt)
        return -TT_E_NOMEM;
    for (uint32_t i = 0; i < sh->cap; i++)
        if (sh->slots[i].key)
            *slot_claim(nt, ncap, sh->slots[i].key) = sh->slots[i];
    *old = (struct retired){sh->slots, sh->cap, sizeof *sh->slots, 0};
    /* the table first, its capacity second (readers load them in the other order) */
    __atomic_store_n(&sh->slots, nt, __ATOMIC_RELEASE);
    __atomic_store_n(&sh->cap, ncap, __ATOMIC_RELEASE);
    return 0;
}

static uint32_t clamp_time(int64_t t)
{
    if (t == 0)
        return 0;
    if (t < 1)
        return 1;
    return t > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

int tt_index_upsert(struct tt_index *ix, const struct tt_index_subject *s)
{
    if (!ix || !s || !s->tenant_id || !s->subject_id || !*s->tenant_id || !*s->subject_id)
        return -TT_E_BAD_FIELD;
    uint32_t th = tenant_intern(ix, s->tenant_id);
    if (!th)
        return -TT_E_NOMEM;
    unsigned j = juris_intern(ix, s->jurisdiction);
    uint64_t a, b;
    tt__index_hash(s->subject_id, strlen(s->subject_id), &a, &b);
    uint32_t flags = (s->restricted ? TT_IXF_RESTRICTED : 0) | (s->is_child ? TT_IXF_CHILD : 0) |
                     (s->erased ? TT_IXF_ERASED : 0) | (s->contract_active ? TT_IXF_CONTRACT : 0) |
                     ((uint32_t)(s->kind & 3) << 4);
    struct shard *sh = shard_of(ix, a);
    struct retired old = {0};
    int rc = 0;
    pthread_rwlock_wrlock(&sh->lock);
    write_begin(sh);
    struct slot *e = slot_find(sh, a);
    if (!e) {
        if ((uint64_t)(sh->n + 1) * 100 > (uint64_t)sh->cap * MAX_LOAD_NUM &&
            (rc = shard_grow(sh, &old)) != 0)
            goto out;
        e = slot_claim(sh->slots, sh->cap, a);
        memset(e, 0, sizeof *e);
        e->key = a;
        e->tag = (uint32_t)b;
        sh->n++;
    } else if (e->tag != (uint32_t)b) {
        rc = -TT_E_CONFLICT; /* 64-bit hash collision between two ids: refuse, never merge */
        goto out;
    }
    e->tj = th << 8 | j;
    e->ret = clamp_time(s->retention_until);
    e->xf = (e->xf & ~0xffu) | flags;
out:
    write_end(sh);
    pthread_rwlock_unlock(&sh->lock);
    retired_free(ix, &old);
    return rc;
}

/* One try at a lock-free lookup (inside a read-side section): a copy of key's slot and its
 * withdrawal/objection bits into *slot and *ext. Returns 1 found, 0 not found, -1 when the copy
 * may be torn (a writer was at work): try again. */
static int read_slot(const struct shard *sh, uint64_t key, struct slot *slot, struct ext *ext)
{
    unsigned q = read_begin(sh);
    uint32_t cap = __atomic_load_n(&sh->cap, __ATOMIC_ACQUIRE);
    const struct slot *tab = __atomic_load_n(&sh->slots, __ATOMIC_ACQUIRE);
    int found = 0;
    uint32_t i = pos_of(key, cap);
    for (uint32_t probes = 0; probes < cap; probes++, i = i + 1 == cap ? 0 : i + 1) {
        uint64_t k = tab[i].key;
        if (k == key) {
            *slot = tab[i];
            found = 1;
            break;
        }
        if (k == 0)
            break;
    }
    *ext = (struct ext){0, 0};
    uint32_t x = found ? slot->xf >> 8 : 0;
    if (x) {
        uint32_t ecap = __atomic_load_n(&sh->ext_cap, __ATOMIC_ACQUIRE);
        const struct ext *et = __atomic_load_n(&sh->ext, __ATOMIC_ACQUIRE);
        if (x > ecap)
            return -1; /* torn: the slot is newer than the bits we hold */
        *ext = et[x - 1];
    }
    return read_ok(sh, q) ? found : -1;
}

/* The result of a lookup from a consistent copy of the slot (found) and its bits. */
static int state_of(int found, const struct slot *e, const struct ext *x, uint32_t th,
                    const uint32_t *tag, struct tt_index_state *out)
{
    if (!found || (tag && e->tag != *tag))
        return TT_INDEX_NONE;
    if ((e->tj >> 8) != th)
        return TT_INDEX_OTHER_TENANT;
    out->given = e->given;
    out->withdrawn = x->withdrawn;
    out->objection = x->objection;
    out->retention_until = e->ret;
    out->flags = e->xf & 0x0fu;
    out->kind = (int)(e->xf >> 4 & 3);
    out->juris = e->tj & 0xffu;
    return TT_INDEX_FOUND;
}

static int get_by_key(const struct tt_index *ix, uint32_t th, uint64_t a, const uint32_t *tag,
                      struct tt_index_state *out)
{
    const struct shard *sh = shard_of(ix, a);
    struct slot e;
    struct ext x;
    int found;
    while ((found = read_slot(sh, a, &e, &x)) < 0)
        ;
    return state_of(found, &e, &x, th, tag, out);
}

int tt_index_get(const struct tt_index *ix, const char *tenant_id, const char *subject_id,
                 struct tt_index_state *out)
{
    if (!ix || !tenant_id || !subject_id || !out)
        return TT_INDEX_NONE;
    unsigned g = tt__index_read_begin(ix);
    uint32_t th = tenant_lookup(ix, tenant_id);
    uint64_t a, b;
    tt__index_hash(subject_id, strlen(subject_id), &a, &b);
    uint32_t tag = (uint32_t)b;
    int rc = get_by_key(ix, th, a, &tag, out);
    tt__index_read_end(ix, g);
    return rc;
}

int tt_index_set_purpose(struct tt_index *ix, const char *tenant_id, const char *subject_id,
                         const char *purpose, int consent, int objection)
{
    if (!ix || !tenant_id || !subject_id || !purpose || consent < 0 || consent > 2)
        return -TT_E_BAD_FIELD;
    int ps = tt_index_purpose_intern(ix, purpose, -1);
    if (ps < 0)
        return ps;
    unsigned g = tt__index_read_begin(ix);
    uint32_t th = tenant_lookup(ix, tenant_id);
    tt__index_read_end(ix, g);
    uint64_t a, b;
    tt__index_hash(subject_id, strlen(subject_id), &a, &b);
    struct shard *sh = shard_of(ix, a);
    uint64_t bit = 1ULL << ps;
    struct retired old = {0};
    int rc = 0;
    pthread_rwlock_wrlock(&sh->lock);
    write_begin(sh);
    struct slot *e = slot_find(sh, a);
    if (!e || e->tag != (uint32_t)b || !th || (e->tj >> 8) != th) {
        rc = -TT_E_NOT_FOUND;
        goto out;
    }
    uint32_t x = e->xf >> 8;
    int need_ext = consent == TUTELA_CONSENT_WITHDRAWN || objection;
    if (!x && need_ext) {
        if (sh->ext_n == sh->ext_cap) {
            uint32_t ncap = (uint32_t)(sh->ext_cap ? grown(sh->ext_cap) : 64);
            struct ext *ne = ncap < (1u << 24) ? malloc((size_t)ncap * sizeof *ne) : NULL;
            if (!ne) {
                rc = -TT_E_NOMEM;
                goto out;
            }
            if (sh->ext_n)
                memcpy(ne, sh->ext, (size_t)sh->ext_n * sizeof *ne);
            old = (struct retired){sh->ext, 0, 0, 1};
            __atomic_store_n(&sh->ext, ne, __ATOMIC_RELEASE);
            __atomic_store_n(&sh->ext_cap, ncap, __ATOMIC_RELEASE);
        }
        sh->ext[sh->ext_n] = (struct ext){0, 0};
        x = ++sh->ext_n;
        e->xf = (e->xf & 0xffu) | x << 8;
    }
    e->given = consent == TUTELA_CONSENT_GIVEN ? e->given | bit : e->given & ~bit;
    if (x) {
        struct ext *xe = &sh->ext[x - 1];
        xe->withdrawn =
            consent == TUTELA_CONSENT_WITHDRAWN ? xe->withdrawn | bit : xe->withdrawn & ~bit;
        xe->objection = objection ? xe->objection | bit : xe->objection & ~bit;
    }
out:
    write_end(sh);
    pthread_rwlock_unlock(&sh->lock);
    retired_free(ix, &old);
    return rc;
}

/* ---- identifiers -------------------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The identifier's table key: the first 64 bits of its blind index (a keyed hash that already
 * covers tenant and type), mixed with the type (and mixed again, so that no input, however
 * regular, piles into one shard). 0 when blind_hex is not 64 hex digits. */
static uint64_t idn_key(int type, const char *blind_hex)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; blind_hex[i]; i++) {
        int h = hexval(blind_hex[i]);
        if (h < 0 || i >= 64)
            return 0;
        if (i < 16)
            v = v << 4 | (uint64_t)h;
    }
    if (i != 64)
        return 0;
    v = mix64(v ^ (uint64_t)(type + 1) * 0x9e3779b97f4a7c15ULL);
    return v ? v : 1;
}

static struct idn *idn_claim(struct idn *tab, uint32_t cap, uint64_t key)
{
    uint32_t i = pos_of(key, cap);
    while (tab[i].key && tab[i].key != key)
        i = i + 1 == cap ? 0 : i + 1;
    return &tab[i];
}

int tt_index_add_identity(struct tt_index *ix, const char *tenant_id, const char *subject_id,
                          int ident_type, const char *blind_hex)
{
    if (!ix || !tenant_id || !subject_id || !blind_hex || ident_type < 0 ||
        ident_type >= TT_IDENT__COUNT)
        return -TT_E_BAD_FIELD;
    uint64_t k = idn_key(ident_type, blind_hex);
    if (!k)
        return -TT_E_BAD_FIELD;
    uint64_t a, b;
    tt__index_hash(subject_id, strlen(subject_id), &a, &b);
    struct shard *sh = shard_of(ix, k);
    struct retired old = {0};
    int rc = 0;
    pthread_rwlock_wrlock(&sh->lock);
    write_begin(sh);
    struct idn *e = idn_claim(sh->idn, sh->idn_cap, k);
    if (!e->key) {
        if ((uint64_t)(sh->idn_n + 1) * 100 > (uint64_t)sh->idn_cap * MAX_LOAD_NUM) {
            uint64_t ncap64 = grown(sh->idn_cap);
            struct idn *nt = ncap64 < 0xfffffff0u ? table_alloc(ncap64, sizeof *nt) : NULL;
            if (!nt) {
                rc = -TT_E_NOMEM;
                goto out;
            }
            for (uint32_t i = 0; i < sh->idn_cap; i++)
                if (sh->idn[i].key)
                    *idn_claim(nt, (uint32_t)ncap64, sh->idn[i].key) = sh->idn[i];
            old = (struct retired){sh->idn, sh->idn_cap, sizeof *sh->idn, 0};
            __atomic_store_n(&sh->idn, nt, __ATOMIC_RELEASE);
            __atomic_store_n(&sh->idn_cap, (uint32_t)ncap64, __ATOMIC_RELEASE);
            e = idn_claim(sh->idn, sh->idn_cap, k);
        }
        sh->idn_n++;
    }
    e->key = k;
    e->skey = a;
out:
    write_end(sh);
    pthread_rwlock_unlock(&sh->lock);
    retired_free(ix, &old);
    return rc;
}

int tt_index_drop_identity(struct tt_index *ix, int ident_type, const char *blind_hex)
{
    uint64_t k = ix && blind_hex ? idn_key(ident_type, blind_hex) : 0;
    if (!k)
        return -TT_E_BAD_FIELD;
    struct shard *sh = shard_of(ix, k);
    pthread_rwlock_wrlock(&sh->lock);
    write_begin(sh);
    struct idn *e = idn_claim(sh->idn, sh->idn_cap, k);
    if (e->key) /* the slot stays (probe chains stay whole); subject key 0 maps to nobody */
        e->skey = 0;
    write_end(sh);
    pthread_rwlock_unlock(&sh->lock);
    return 0;
}

uint64_t tt__index_ident_subject(const struct tt_index *ix, uint64_t k)
{
    const struct shard *sh = shard_of(ix, k);
    for (;;) { /* lock-free: see read_slot */
        unsigned q = read_begin(sh);
        uint32_t cap = __atomic_load_n(&sh->idn_cap, __ATOMIC_ACQUIRE);
        const struct idn *tab = __atomic_load_n(&sh->idn, __ATOMIC_ACQUIRE);
        uint64_t skey = 0;
        uint32_t i = pos_of(k, cap);
        for (uint32_t probes = 0; probes < cap; probes++, i = i + 1 == cap ? 0 : i + 1) {
            uint64_t key = tab[i].key;
            if (key == k) {
                skey = tab[i].skey;
                break;
            }
            if (!key)
                break;
        }
        if (read_ok(sh, q))
            return skey;
    }
}

int tt_index_get_by_identity(const struct tt_index *ix, const char *tenant_id, int ident_type,
                             const char *blind_hex, struct tt_index_state *out)
{
    if (!ix || !tenant_id || !blind_hex || !out)
        return TT_INDEX_NONE;
    uint64_t k = idn_key(ident_type, blind_hex);
    if (!k)
        return TT_INDEX_NONE;
    unsigned g = tt__index_read_begin(ix);
    uint64_t skey = tt__index_ident_subject(ix, k);
    int rc = skey ? get_by_key(ix, tenant_lookup(ix, tenant_id), skey, NULL, out) : TT_INDEX_NONE;
    tt__index_read_end(ix, g);
    return rc == TT_INDEX_FOUND ? rc : TT_INDEX_NONE;
}

/* ---- batch lookups (core/decide.c) -------------------------------------------------------- */

unsigned tt__index_read_begin(const struct tt_index *ix)
{
    return tt_grace_enter(&((struct tt_index *)ix)->grace);
}

void tt__index_read_end(const struct tt_index *ix, unsigned token)
{
    tt_grace_exit(&((struct tt_index *)ix)->grace, token);
}

uint32_t tt__index_tenant(const struct tt_index *ix, const char *tenant_id)
{
    return ix && tenant_id ? tenant_lookup(ix, tenant_id) : 0;
}

uint64_t tt__index_ident_key(int ident_type, const char *blind_hex)
{
    return blind_hex ? idn_key(ident_type, blind_hex) : 0;
}

/* The table pointer and capacity are read as the lookups read them; a stale pair only
 * prefetches a useless line: a prefetch never faults. The next cache line is loaded too: at
 * 78-82 % full a linear probe often goes on past the slot's own line, and that line would
 * otherwise be a miss taken while deciding (it lies in the same page: no second page walk). */
void tt__index_prefetch(const struct tt_index *ix, uint64_t key)
{
    struct shard *sh = shard_of(ix, key);
    const struct slot *tab = __atomic_load_n(&sh->slots, __ATOMIC_RELAXED);
    uint32_t cap = __atomic_load_n(&sh->cap, __ATOMIC_RELAXED);
    const char *s = (const char *)&tab[pos_of(key, cap)];
    __builtin_prefetch(s);
    __builtin_prefetch(s + 64);
}

void tt__index_prefetch_ident(const struct tt_index *ix, uint64_t k)
{
    struct shard *sh = shard_of(ix, k);
    const struct idn *tab = __atomic_load_n(&sh->idn, __ATOMIC_RELAXED);
    uint32_t cap = __atomic_load_n(&sh->idn_cap, __ATOMIC_RELAXED);
    __builtin_prefetch(&tab[pos_of(k, cap)]);
}

_Static_assert(sizeof(struct slot) == sizeof(((struct tt__index_peek *)0)->slot),
               "tt__index_peek holds one slot");

/* The first half of read_slot: the slot copied under the shard's sequence number, the
 * withdrawal/objection bits only located (to be prefetched), checked in tt__index_peek_get. */
void tt__index_peek(const struct tt_index *ix, uint64_t key, struct tt__index_peek *p)
{
    const struct shard *sh = shard_of(ix, key);
    p->seq = read_begin(sh);
    p->ext = NULL;
    uint32_t cap = __atomic_load_n(&sh->cap, __ATOMIC_ACQUIRE);
    const struct slot *tab = __atomic_load_n(&sh->slots, __ATOMIC_ACQUIRE);
    int found = 0;
    struct slot e;
    uint32_t i = pos_of(key, cap);
    for (uint32_t probes = 0; probes < cap; probes++, i = i + 1 == cap ? 0 : i + 1) {
        uint64_t k = tab[i].key;
        if (k == key) {
            e = tab[i];
            memcpy(p->slot, &e, sizeof e);
            found = 1;
            break;
        }
        if (k == 0)
            break;
    }
    uint32_t x = found ? e.xf >> 8 : 0;
    if (x) {
        uint32_t ecap = __atomic_load_n(&sh->ext_cap, __ATOMIC_ACQUIRE);
        const struct ext *et = __atomic_load_n(&sh->ext, __ATOMIC_ACQUIRE);
        if (x > ecap)
            found = -1; /* torn: tt__index_peek_get looks again */
        else
            p->ext = &et[x - 1];
    }
    p->found = found;
}

int tt__index_peek_get(const struct tt_index *ix, uint32_t tenant, uint64_t key,
                       const uint32_t *tag, const struct tt__index_peek *p,
                       struct tt_index_state *out)
{
    const struct shard *sh = shard_of(ix, key);
    if (p->found >= 0) {
        struct slot e;
        struct ext x = {0, 0};
        memcpy(&e, p->slot, sizeof e);
        if (p->ext) /* a retired table stays readable until the read-side section ends */
            x = *(const struct ext *)p->ext;
        if (read_ok(sh, p->seq))
            return state_of(p->found, &e, &x, tenant, tag, out);
    }
    return get_by_key(ix, tenant, key, tag, out); /* a writer was at work: the whole lookup */
}

int tt__index_get_key(const struct tt_index *ix, uint32_t tenant, uint64_t key, const uint32_t *tag,
                      struct tt_index_state *out)
{
    return get_by_key(ix, tenant, key, tag, out);
}

/* ---- row-type conveniences ---------------------------------------------------------------- */

int tt_index_put_subject(struct tt_index *ix, const struct tt_subject *s)
{
    if (!s)
        return -TT_E_BAD_FIELD;
    struct tt_index_subject st = {
        .tenant_id = s->tenant_id,
        .subject_id = s->id,
        .kind = (int)s->kind,
        .jurisdiction = s->jurisdiction,
        .is_child = s->is_child,
        .restricted = s->restricted,
        .contract_active = s->contract_active,
        .erased = s->erased_at != 0,
        .retention_until = s->retention_until,
    };
    return tt_index_upsert(ix, &st);
}

int tt_index_put_purpose_state(struct tt_index *ix, const struct tt_purpose_state *ps)
{
    if (!ps)
        return -TT_E_BAD_FIELD;
    return tt_index_set_purpose(ix, ps->tenant_id, ps->subject_id, ps->purpose, (int)ps->consent,
                                ps->objection);
}

int tt_index_put_identity(struct tt_index *ix, const struct tt_identity *i)
{
    if (!i)
        return -TT_E_BAD_FIELD;
    return tt_index_add_identity(ix, i->tenant_id, i->subject_id, (int)i->type, i->blind_hex);
}

/* ---- views and figures -------------------------------------------------------------------- */

void *tt__index_view_find(const struct tt_index *ix, const void *policy, const uint8_t digest[32])
{
    struct view_node *v =
        atomic_load_explicit(&((struct tt_index *)ix)->views, memory_order_acquire);
    for (; v; v = v->next)
        if (v->policy == policy && memcmp(v->digest, digest, 32) == 0)
            return v->view;
    return NULL;
}

int tt__index_view_add(struct tt_index *ix, const void *policy, const uint8_t digest[32],
                       void *view, void (*free_fn)(void *))
{
    struct view_node *n = calloc(1, sizeof *n);
    if (!n) {
        if (free_fn)
            free_fn(view);
        return -TT_E_NOMEM;
    }
    n->policy = policy;
    memcpy(n->digest, digest, 32);
    n->view = view;
    n->free_fn = free_fn;
    pthread_mutex_lock(&ix->meta_lock);
    n->next = atomic_load(&ix->views);
    atomic_store_explicit(&ix->views, n, memory_order_release);
    pthread_mutex_unlock(&ix->meta_lock);
    return 0;
}

size_t tt_index_count(const struct tt_index *ix)
{
    if (!ix)
        return 0;
    size_t n = 0;
    for (int i = 0; i < TT_INDEX_SHARDS; i++) {
        struct shard *sh = (struct shard *)&ix->shards[i];
        pthread_rwlock_rdlock(&sh->lock);
        n += sh->n;
        pthread_rwlock_unlock(&sh->lock);
    }
    return n;
}

size_t tt_index_memory(const struct tt_index *ix)
{
    if (!ix)
        return 0;
    size_t bytes = sizeof *ix;
    for (int i = 0; i < TT_INDEX_SHARDS; i++) {
        struct shard *sh = (struct shard *)&ix->shards[i];
        pthread_rwlock_rdlock(&sh->lock);
        bytes += (size_t)sh->cap * sizeof(struct slot) + (size_t)sh->ext_cap * sizeof(struct ext) +
                 (size_t)sh->idn_cap * sizeof(struct idn);
        pthread_rwlock_unlock(&sh->lock);
    }
    pthread_mutex_lock((pthread_mutex_t *)&ix->tenant_lock);
    bytes +=
        sizeof(struct tenant_tab) +
        (size_t)atomic_load(&((struct tt_index *)ix)->tenants)->cap * sizeof(struct tenant_ent);
    pthread_mutex_unlock((pthread_mutex_t *)&ix->tenant_lock);
    return bytes;
}
