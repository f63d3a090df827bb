/* SPDX-License-Identifier: Apache-2.0 */
/* test_index.c — the decision index: upsert and lookup, purpose state bits, identifier lookup,
 * tenant isolation, memory per subject at 1M subjects (printed), tables that outgrow the arena
 * of a sized index, the batch lookup pieces, and concurrent readers with writers that must
 * never observe a half-written subject. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/error.h"
#include "core/index.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

/* The races' writer rounds. Valgrind runs one thread at a time, and the writer's table growth
 * waits for readers that spin on their whole time slice, so there the races run a twentieth of
 * the rounds (the same checks, about 6 minutes less of CI); everywhere else, all of them. */
static unsigned long race_rounds(unsigned long n)
{
    return RUNNING_ON_VALGRIND ? n / 20 : n;
}

static const char *const BLIND_A =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char *const BLIND_B =
    "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

static void subject_id(unsigned long i, char out[TT_ID_MAX])
{
    snprintf(out, TT_ID_MAX, "sub_%024lu", i);
}

static struct tt_index_subject subj(const char *tenant, const char *id)
{
    struct tt_index_subject s = {
        .tenant_id = tenant, .subject_id = id, .kind = 2, .jurisdiction = "NL"};
    return s;
}

static void upsert_then_lookup_returns_the_state(void **state)
{
    (void)state;
    struct tt_index *ix = NULL;
    assert_int_equal(tt_index_new(0, &ix), 0);
    struct tt_index_subject s = subj("ten_a", "sub_one");
    s.restricted = 1;
    s.contract_active = 1;
    s.retention_until = 1800000000;
    s.kind = 1;
    s.jurisdiction = "US-CA";
    assert_int_equal(tt_index_upsert(ix, &s), 0);
    struct tt_index_state st;
    assert_int_equal(tt_index_get(ix, "ten_a", "sub_one", &st), TT_INDEX_FOUND);
    assert_int_equal(st.flags, TT_IXF_RESTRICTED | TT_IXF_CONTRACT);
    assert_int_equal(st.retention_until, 1800000000);
    assert_int_equal(st.kind, 1);
    assert_string_equal(tt_index_jurisdiction(ix, st.juris), "US-CA");
    assert_int_equal(tt_index_get(ix, "ten_a", "sub_two", &st), TT_INDEX_NONE);
    /* replacing keeps one entry and takes the new flags */
    s.restricted = 0;
    s.is_child = 1;
    s.erased = 1;
    s.jurisdiction = NULL;
    assert_int_equal(tt_index_upsert(ix, &s), 0);
    assert_int_equal(tt_index_get(ix, "ten_a", "sub_one", &st), TT_INDEX_FOUND);
    assert_int_equal(st.flags, TT_IXF_CHILD | TT_IXF_ERASED | TT_IXF_CONTRACT);
    assert_int_equal(st.juris, 0);
    assert_int_equal(tt_index_count(ix), 1);
    tt_index_free(ix);
    tt_index_free(NULL);
}

static void a_subject_of_another_tenant_is_told_apart(void **state)
{
    (void)state;
    struct tt_index *ix = NULL;
    assert_int_equal(tt_index_new(0, &ix), 0);
    struct tt_index_subject s = subj("ten_a", "sub_x");
    assert_int_equal(tt_index_upsert(ix, &s), 0);
    struct tt_index_subject t = subj("ten_b", "sub_y");
    assert_int_equal(tt_index_upsert(ix, &t), 0);
    struct tt_index_state st;
    assert_int_equal(tt_index_get(ix, "ten_b", "sub_x", &st), TT_INDEX_OTHER_TENANT);
    assert_int_equal(tt_index_get(ix, "ten_never_seen", "sub_x", &st), TT_INDEX_OTHER_TENANT);
    /* state changes through the wrong tenant are refused */
    assert_int_equal(tt_index_set_purpose(ix, "ten_b", "sub_x", "p", TUTELA_CONSENT_GIVEN, 0),
                     -TT_E_NOT_FOUND);
    assert_int_equal(tt_index_get(ix, "ten_a", "sub_x", &st), TT_INDEX_FOUND);
    assert_int_equal(st.given, 0);
    tt_index_free(ix);
}

static void purpose_states_set_and_clear_their_bits(void **state)
{
    (void)state;
    struct tt_index *ix = NULL;
    assert_int_equal(tt_index_new(0, &ix), 0);
    assert_int_equal(tt_index_purpose_intern(ix, "marketing", 5), 5);
    assert_int_equal(tt_index_purpose_intern(ix, "marketing", 9), 5);
    assert_int_equal(tt_index_purpose_intern(ix, "analytics", 5), 0); /* 5 taken: lowest free */
    struct tt_index_subject s = subj("ten_a", "sub_1");
    assert_int_equal(tt_index_upsert(ix, &s), 0);
    assert_int_equal(
        tt_index_set_purpose(ix, "ten_a", "sub_1", "marketing", TUTELA_CONSENT_GIVEN, 0), 0);
    struct tt_index_state st;
    assert_int_equal(tt_index_get(ix, "ten_a", "sub_1", &st), TT_INDEX_FOUND);
    assert_true(st.given == 1ULL << 5 && st.withdrawn == 0 && st.objection == 0);
    assert_int_equal(
        tt_index_set_purpose(ix, "ten_a", "sub_1", "marketing", TUTELA_CONSENT_WITHDRAWN, 0), 0);
    assert_int_equal(
        tt_index_set_purpose(ix, "ten_a", "sub_1", "analytics", TUTELA_CONSENT_NONE, 1), 0);
    assert_int_equal(tt_index_get(ix, "ten_a", "sub_1", &st), TT_INDEX_FOUND);
    assert_true(st.given == 0 && st.withdrawn == 1ULL << 5 && st.objection == 1ULL << 0);
    /* a new purpose key takes a fresh slot */
    assert_int_equal(tt_index_set_purpose(ix, "ten_a", "sub_1", "support", TUTELA_CONSENT_GIVEN, 0),
                     0);
    int slot = tt_index_purpose_slot(ix, "support");
    assert_true(slot >= 0 && slot != 5 && slot != 0);
    assert_int_equal(tt_index_get(ix, "ten_a", "sub_1", &st), TT_INDEX_FOUND);
    assert_true(st.given == 1ULL << slot);
    /* upserting the subject again keeps its purpose states */
    s.restricted = 1;
    assert_int_equal(tt_index_upsert(ix, &s), 0);
    assert_int_equal(tt_index_get(ix, "ten_a", "sub_1", &st), TT_INDEX_FOUND);
    assert_true(st.given == 1ULL << slot && st.withdrawn == 1ULL << 5);
    assert_int_equal(tt_index_set_purpose(ix, "ten_a", "sub_none", "marketing", 1, 0),
                     -TT_E_NOT_FOUND);
    assert_int_equal(tt_index_purpose_slot(ix, "never"), -1);
    tt_index_free(ix);
}

static void identifiers_find_their_subject(void **state)
{
    (void)state;
    struct tt_index *ix = NULL;
    assert_int_equal(tt_index_new(0, &ix), 0);
    struct tt_index_subject s = subj("ten_a", "sub_1");
    s.contract_active = 1;
    assert_int_equal(tt_index_upsert(ix, &s), 0);
    assert_int_equal(tt_index_add_identity(ix, "ten_a", "sub_1", TUTELA_IDENT_PHONE, BLIND_A), 0);
    struct tt_index_state st;
    assert_int_equal(tt_index_get_by_identity(ix, "ten_a", TUTELA_IDENT_PHONE, BLIND_A, &st),
                     TT_INDEX_FOUND);
    assert_int_equal(st.flags, TT_IXF_CONTRACT);
    /* same hash under another type, another hash, another tenant: nobody */
    assert_int_equal(tt_index_get_by_identity(ix, "ten_a", TUTELA_IDENT_EMAIL, BLIND_A, &st),
                     TT_INDEX_NONE);
    assert_int_equal(tt_index_get_by_identity(ix, "ten_a", TUTELA_IDENT_PHONE, BLIND_B, &st),
                     TT_INDEX_NONE);
    assert_int_equal(tt_index_get_by_identity(ix, "ten_b", TUTELA_IDENT_PHONE, BLIND_A, &st),
                     TT_INDEX_NONE);
    /* malformed blind hashes are refused, never matched */
    assert_int_equal(tt_index_add_identity(ix, "ten_a", "sub_1", TUTELA_IDENT_PHONE, "abc"),
                     -TT_E_BAD_FIELD);
    assert_int_equal(tt_index_add_identity(ix, "ten_a", "sub_1", 9, BLIND_B), -TT_E_BAD_FIELD);
    assert_int_equal(tt_index_get_by_identity(ix, "ten_a", TUTELA_IDENT_PHONE, "zz", &st),
                     TT_INDEX_NONE);
    tt_index_free(ix);
}

/* S1.5: a rectified identifier finds nobody; the new one finds the subject; added again, the old
 * one finds its subject again (the dropped slot is reused) */
static void a_dropped_identifier_finds_nobody(void **state)
{
    (void)state;
    struct tt_index *ix = NULL;
    assert_int_equal(tt_index_new(0, &ix), 0);
    struct tt_index_subject s = subj("ten_a", "sub_1");
    assert_int_equal(tt_index_upsert(ix, &s), 0);
    assert_int_equal(tt_index_add_identity(ix, "ten_a", "sub_1", TUTELA_IDENT_EMAIL, BLIND_A), 0);
    assert_int_equal(tt_index_drop_identity(ix, TUTELA_IDENT_EMAIL, BLIND_A), 0);
    assert_int_equal(tt_index_add_identity(ix, "ten_a", "sub_1", TUTELA_IDENT_EMAIL, BLIND_B), 0);
    struct tt_index_state st;
    assert_int_equal(tt_index_get_by_identity(ix, "ten_a", TUTELA_IDENT_EMAIL, BLIND_A, &st),
                     TT_INDEX_NONE);
    assert_int_equal(tt_index_get_by_identity(ix, "ten_a", TUTELA_IDENT_EMAIL, BLIND_B, &st),
                     TT_INDEX_FOUND);
    /* dropping what was never there, or under another type, changes nothing */
    assert_int_equal(tt_index_drop_identity(ix, TUTELA_IDENT_PHONE, BLIND_B), 0);
    assert_int_equal(tt_index_get_by_identity(ix, "ten_a", TUTELA_IDENT_EMAIL, BLIND_B, &st),
                     TT_INDEX_FOUND);
    assert_int_equal(tt_index_drop_identity(ix, TUTELA_IDENT_EMAIL, "abc"), -TT_E_BAD_FIELD);
    assert_int_equal(tt_index_add_identity(ix, "ten_a", "sub_1", TUTELA_IDENT_EMAIL, BLIND_A), 0);
    assert_int_equal(tt_index_get_by_identity(ix, "ten_a", TUTELA_IDENT_EMAIL, BLIND_A, &st),
                     TT_INDEX_FOUND);
    tt_index_free(ix);
}

static void million_subjects_take_at_most_64_bytes_each_when_sized(void **state)
{
    (void)state;
    const unsigned long n = 1000000;
    struct tt_index *ix = NULL;
    assert_int_equal(tt_index_new(0, &ix), 0); /* grown, not pre-sized: the worst case */
    char id[TT_ID_MAX], blind[65];
    for (unsigned long i = 0; i < n; i++) {
        subject_id(i, id);
        struct tt_index_subject s = subj("ten_a", id);
        s.retention_until = (int64_t)i;
        assert_int_equal(tt_index_upsert(ix, &s), 0);
        snprintf(blind, sizeof blind, "%016lx%048lx", i * 2654435761UL, i);
        assert_int_equal(tt_index_add_identity(ix, "ten_a", id, TUTELA_IDENT_PHONE, blind), 0);
        if (i % 10 == 0)
            assert_int_equal(
                tt_index_set_purpose(ix, "ten_a", id, "marketing", TUTELA_CONSENT_WITHDRAWN, 0), 0);
    }
    assert_int_equal(tt_index_count(ix), n);
    struct tt_index_state st;
    for (unsigned long i = 0; i < n; i += 997) {
        subject_id(i, id);
        assert_int_equal(tt_index_get(ix, "ten_a", id, &st), TT_INDEX_FOUND);
        assert_int_equal(st.retention_until, (int64_t)i);
        snprintf(blind, sizeof blind, "%016lx%048lx", i * 2654435761UL, i);
        assert_int_equal(tt_index_get_by_identity(ix, "ten_a", TUTELA_IDENT_PHONE, blind, &st),
                         TT_INDEX_FOUND);
        assert_int_equal(st.retention_until, (int64_t)i);
    }
    double per = (double)tt_index_memory(ix) / (double)n;
    printf("index: %lu subjects, one identifier each, grown: %.1f bytes/subject\n", n, per);
    assert_true(per <= 80.0); /* tables 66-82 % full after growth */
    tt_index_free(ix);

    assert_int_equal(tt_index_new(n, &ix), 0); /* sized from the store's count at start */
    for (unsigned long i = 0; i < n; i++) {
        subject_id(i, id);
        struct tt_index_subject s = subj("ten_a", id);
        assert_int_equal(tt_index_upsert(ix, &s), 0);
        snprintf(blind, sizeof blind, "%016lx%048lx", i * 2654435761UL, i);
        assert_int_equal(tt_index_add_identity(ix, "ten_a", id, TUTELA_IDENT_PHONE, blind), 0);
    }
    per = (double)tt_index_memory(ix) / (double)n;
    printf("index: %lu subjects, one identifier each, sized: %.1f bytes/subject\n", n, per);
    assert_true(per <= 64.0);
    tt_index_free(ix);
}

static void a_sized_index_grows_out_of_its_arena(void **state)
{
    /* sized for 40,000: the first tables share one huge-page arena; 200,000 subjects move every
     * shard to tables of its own, and every subject and identifier stays found */
    (void)state;
    struct tt_index *ix = NULL;
    assert_int_equal(tt_index_new(40000, &ix), 0);
    char id[TT_ID_MAX], blind[65];
    const unsigned long n = 200000;
    for (unsigned long i = 0; i < n; i++) {
        subject_id(i, id);
        struct tt_index_subject s = subj("ten_a", id);
        s.retention_until = (int64_t)i + 1;
        assert_int_equal(tt_index_upsert(ix, &s), 0);
        snprintf(blind, sizeof blind, "%016lx%048lx", i * 0x9e3779b97f4a7c15UL, i);
        assert_int_equal(tt_index_add_identity(ix, "ten_a", id, TUTELA_IDENT_EMAIL, blind), 0);
    }
    assert_int_equal(tt_index_count(ix), n);
    struct tt_index_state st;
    for (unsigned long i = 0; i < n; i += 7) {
        subject_id(i, id);
        assert_int_equal(tt_index_get(ix, "ten_a", id, &st), TT_INDEX_FOUND);
        assert_int_equal(st.retention_until, (int64_t)i + 1);
        snprintf(blind, sizeof blind, "%016lx%048lx", i * 0x9e3779b97f4a7c15UL, i);
        assert_int_equal(tt_index_get_by_identity(ix, "ten_a", TUTELA_IDENT_EMAIL, blind, &st),
                         TT_INDEX_FOUND);
        assert_int_equal(st.retention_until, (int64_t)i + 1);
    }
    tt_index_free(ix);
}

static void batch_lookup_pieces_match_the_plain_lookups(void **state)
{
    (void)state;
    struct tt_index *ix = NULL;
    assert_int_equal(tt_index_new(0, &ix), 0);
    struct tt_index_subject s = subj("ten_a", "sub_1");
    s.retention_until = 42;
    assert_int_equal(tt_index_upsert(ix, &s), 0);
    assert_int_equal(tt_index_add_identity(ix, "ten_a", "sub_1", TUTELA_IDENT_PHONE, BLIND_A), 0);
    uint64_t a, b;
    tt__index_hash("sub_1", 5, &a, &b);
    uint32_t tag = (uint32_t)b, th = tt__index_tenant(ix, "ten_a");
    assert_true(th != 0);
    assert_int_equal(tt__index_tenant(ix, "ten_none"), 0);
    tt__index_prefetch(ix, a);
    struct tt_index_state st;
    assert_int_equal(tt__index_get_key(ix, th, a, &tag, &st), TT_INDEX_FOUND);
    assert_int_equal(st.retention_until, 42);
    uint32_t wrong = tag ^ 1;
    assert_int_equal(tt__index_get_key(ix, th, a, &wrong, &st), TT_INDEX_NONE);
    assert_int_equal(tt__index_get_key(ix, 0, a, &tag, &st), TT_INDEX_OTHER_TENANT);
    uint64_t k = tt__index_ident_key(TUTELA_IDENT_PHONE, BLIND_A);
    assert_true(k != 0);
    tt__index_prefetch_ident(ix, k);
    assert_true(tt__index_ident_subject(ix, k) == a);
    assert_true(tt__index_ident_subject(ix, tt__index_ident_key(TUTELA_IDENT_PHONE, BLIND_B)) == 0);
    assert_true(tt__index_ident_key(TUTELA_IDENT_PHONE, "abc") == 0);
    assert_true(tt__index_ident_key(TUTELA_IDENT_PHONE, NULL) == 0);
    /* the hash spreads fixed-shape ids over every shard */
    unsigned seen[TT_INDEX_SHARDS] = {0};
    char id[TT_ID_MAX];
    for (unsigned long i = 0; i < 64000; i++) {
        subject_id(i, id);
        tt__index_hash(id, strlen(id), &a, &b);
        seen[a >> 58]++;
    }
    for (int i = 0; i < TT_INDEX_SHARDS; i++)
        assert_true(seen[i] > 800 && seen[i] < 1200);
    tt_index_free(ix);
}

/* tt_index_get through the batch's two-phase pieces: the slot copied by tt__index_peek, the
 * lookup ended by tt__index_peek_get (which must notice a writer in between and look again). */
static int plain_lookup(struct tt_index *ix, const char *tenant, const char *id,
                        struct tt_index_state *st)
{
    return tt_index_get(ix, tenant, id, st);
}

static int peek_lookup(struct tt_index *ix, const char *tenant, const char *id,
                       struct tt_index_state *st)
{
    unsigned g = tt__index_read_begin(ix);
    uint64_t a, b;
    tt__index_hash(id, strlen(id), &a, &b);
    uint32_t tag = (uint32_t)b;
    struct tt__index_peek p;
    tt__index_peek(ix, a, &p);
    if (p.ext)
        __builtin_prefetch(p.ext);
    int rc = tt__index_peek_get(ix, tt__index_tenant(ix, tenant), a, &tag, &p, st);
    tt__index_read_end(ix, g);
    return rc;
}

static void peeked_lookups_match_the_plain_lookups(void **state)
{
    (void)state;
    struct tt_index *ix = NULL;
    assert_int_equal(tt_index_new(0, &ix), 0);
    struct tt_index_subject s = subj("ten_a", "sub_1");
    s.retention_until = 42;
    assert_int_equal(tt_index_upsert(ix, &s), 0);
    assert_int_equal(tt_index_upsert(ix, &(struct tt_index_subject){.tenant_id = "ten_b",
                                                                    .subject_id = "sub_2"}),
                     0);
    assert_int_equal(tt_index_set_purpose(ix, "ten_a", "sub_1", "p3", TUTELA_CONSENT_WITHDRAWN, 1),
                     0);
    struct tt_index_state st, plain;
    assert_int_equal(peek_lookup(ix, "ten_a", "sub_1", &st), TT_INDEX_FOUND);
    assert_int_equal(tt_index_get(ix, "ten_a", "sub_1", &plain), TT_INDEX_FOUND);
    assert_int_equal(st.retention_until, 42);
    assert_true(st.withdrawn == plain.withdrawn && st.withdrawn != 0);
    assert_true(st.objection == plain.objection && st.objection != 0);
    assert_true(st.given == plain.given && st.flags == plain.flags && st.juris == plain.juris);
    assert_int_equal(peek_lookup(ix, "ten_a", "sub_none", &st), TT_INDEX_NONE);
    assert_int_equal(peek_lookup(ix, "ten_a", "sub_2", &st), TT_INDEX_OTHER_TENANT);
    assert_int_equal(peek_lookup(ix, "ten_b", "sub_2", &st), TT_INDEX_FOUND);
    /* a write between the two halves is seen: the lookup is taken again */
    uint64_t a, b;
    tt__index_hash("sub_1", 5, &a, &b);
    uint32_t tag = (uint32_t)b;
    unsigned g = tt__index_read_begin(ix);
    struct tt__index_peek p;
    tt__index_peek(ix, a, &p);
    tt__index_read_end(ix, g);
    s.retention_until = 43;
    assert_int_equal(tt_index_upsert(ix, &s), 0);
    g = tt__index_read_begin(ix);
    assert_int_equal(tt__index_peek_get(ix, tt__index_tenant(ix, "ten_a"), a, &tag, &p, &st),
                     TT_INDEX_FOUND);
    tt__index_read_end(ix, g);
    assert_int_equal(st.retention_until, 43);
    tt_index_free(ix);
}

/* ---- concurrency -------------------------------------------------------------------------- */

struct race {
    struct tt_index *ix;
    unsigned long rounds;
    atomic_int stop;
    atomic_long torn;
    atomic_long reads;
};

static void *reader(void *arg)
{
    struct race *r = arg;
    struct tt_index_state st;
    char id[TT_ID_MAX];
    unsigned long i = 0;
    while (!atomic_load(&r->stop)) {
        int (*get)(struct tt_index *, const char *, const char *, struct tt_index_state *) =
            i & 1 ? peek_lookup : plain_lookup;
        /* subject "flip" alternates between two whole states */
        if (get(r->ix, "ten_a", "sub_flip", &st) == TT_INDEX_FOUND) {
            int a = st.flags == (TT_IXF_RESTRICTED | TT_IXF_CHILD | TT_IXF_CONTRACT) &&
                    st.retention_until == 1000 &&
                    strcmp(tt_index_jurisdiction(r->ix, st.juris), "NL") == 0 && st.kind == 1;
            int b = st.flags == 0 && st.retention_until == 2000 &&
                    strcmp(tt_index_jurisdiction(r->ix, st.juris), "SG") == 0 && st.kind == 3;
            if (!a && !b)
                atomic_fetch_add(&r->torn, 1);
        }
        /* subject "consent" alternates given / withdrawn: never both, never neither */
        if (get(r->ix, "ten_a", "sub_consent", &st) == TT_INDEX_FOUND) {
            uint64_t bit = 1ULL << 3;
            if (((st.given & bit) != 0) == ((st.withdrawn & bit) != 0))
                atomic_fetch_add(&r->torn, 1);
        }
        /* subjects inserted meanwhile (growing the tables) keep their state */
        subject_id(i++ % r->rounds, id);
        if (get(r->ix, "ten_a", id, &st) == TT_INDEX_FOUND && st.retention_until != 77)
            atomic_fetch_add(&r->torn, 1);
        atomic_fetch_add(&r->reads, 1);
    }
    return NULL;
}

static void *writer(void *arg)
{
    struct race *r = arg;
    struct tt_index_subject a = subj("ten_a", "sub_flip"), b = a;
    a.restricted = a.is_child = a.contract_active = 1;
    a.retention_until = 1000;
    a.kind = 1;
    b.retention_until = 2000;
    b.jurisdiction = "SG";
    b.kind = 3;
    char id[TT_ID_MAX];
    for (unsigned long i = 0; i < r->rounds; i++) {
        tt_index_upsert(r->ix, (i & 1) ? &b : &a);
        tt_index_set_purpose(r->ix, "ten_a", "sub_consent", "p3",
                             (i & 1) ? TUTELA_CONSENT_WITHDRAWN : TUTELA_CONSENT_GIVEN, 0);
        subject_id(i, id);
        struct tt_index_subject s = subj("ten_a", id);
        s.retention_until = 77;
        tt_index_upsert(r->ix, &s);
    }
    return NULL;
}

static void readers_never_see_a_half_written_subject(void **state)
{
    (void)state;
    struct race r = {.rounds = race_rounds(20000)};
    assert_int_equal(tt_index_new(0, &r.ix), 0);
    assert_int_equal(tt_index_purpose_intern(r.ix, "p3", 3), 3);
    struct tt_index_subject s = subj("ten_a", "sub_consent");
    assert_int_equal(tt_index_upsert(r.ix, &s), 0);
    assert_int_equal(
        tt_index_set_purpose(r.ix, "ten_a", "sub_consent", "p3", TUTELA_CONSENT_GIVEN, 0), 0);
    pthread_t rd[3], wr;
    for (int i = 0; i < 3; i++)
        pthread_create(&rd[i], NULL, reader, &r);
    pthread_create(&wr, NULL, writer, &r);
    pthread_join(wr, NULL);
    atomic_store(&r.stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(rd[i], NULL);
    printf("index race: %ld reads, %ld torn\n", atomic_load(&r.reads), atomic_load(&r.torn));
    assert_int_equal(atomic_load(&r.torn), 0);
    assert_true(atomic_load(&r.reads) > 0);
    assert_int_equal(tt_index_count(r.ix), r.rounds + 2);
    tt_index_free(r.ix);
}

/* Lock-free reads (issue 3): readers keep finding what was there before while a writer grows
 * every table under them — subjects, identifiers, withdrawal bits, tenants — and a replaced
 * table is freed only once no reader can hold it (ASan would report a read of freed memory). */
#define GROW_N 6000

static void blind_of(unsigned long i, char out[65])
{
    snprintf(out, 65, "%016lx%048lx", i * 2654435761UL + 1, i);
}

static void *grow_reader(void *arg)
{
    struct race *r = arg;
    struct tt_index_state st;
    char id[TT_ID_MAX], blind[65];
    unsigned long i = 0;
    while (!atomic_load(&r->stop)) {
        unsigned long k = i++ % 64; /* the subjects that were there from the start */
        subject_id(k, id);
        blind_of(k, blind);
        int (*get)(struct tt_index *, const char *, const char *, struct tt_index_state *) =
            i & 1 ? peek_lookup : plain_lookup;
        if (get(r->ix, "ten_a", id, &st) != TT_INDEX_FOUND || st.retention_until != 55 ||
            (st.withdrawn & 1) != 1)
            atomic_fetch_add(&r->torn, 1);
        if (tt_index_get_by_identity(r->ix, "ten_a", TUTELA_IDENT_PHONE, blind, &st) !=
                TT_INDEX_FOUND ||
            st.retention_until != 55)
            atomic_fetch_add(&r->torn, 1);
        atomic_fetch_add(&r->reads, 1);
    }
    return NULL;
}

static void *grow_writer(void *arg)
{
    struct race *r = arg;
    char id[TT_ID_MAX], blind[65], tenant[32];
    for (unsigned long i = 64; i < r->rounds; i++) {
        subject_id(i, id);
        blind_of(i, blind);
        snprintf(tenant, sizeof tenant, "ten_%lu", i % 200); /* grows the tenant table too */
        struct tt_index_subject s = subj(i % 2 ? tenant : "ten_a", id);
        tt_index_upsert(r->ix, &s);
        tt_index_add_identity(r->ix, s.tenant_id, id, TUTELA_IDENT_PHONE, blind);
        tt_index_set_purpose(r->ix, s.tenant_id, id, "p0", TUTELA_CONSENT_WITHDRAWN, 0);
    }
    return NULL;
}

static void lock_free_readers_outlive_every_table_growth(void **state)
{
    (void)state;
    struct race r = {.rounds = race_rounds(GROW_N)};
    assert_int_equal(tt_index_new(0, &r.ix), 0);
    assert_int_equal(tt_index_purpose_intern(r.ix, "p0", 0), 0);
    char id[TT_ID_MAX], blind[65];
    for (unsigned long i = 0; i < 64; i++) {
        subject_id(i, id);
        blind_of(i, blind);
        struct tt_index_subject s = subj("ten_a", id);
        s.retention_until = 55;
        assert_int_equal(tt_index_upsert(r.ix, &s), 0);
        assert_int_equal(tt_index_add_identity(r.ix, "ten_a", id, TUTELA_IDENT_PHONE, blind), 0);
        assert_int_equal(tt_index_set_purpose(r.ix, "ten_a", id, "p0", TUTELA_CONSENT_WITHDRAWN, 0),
                         0);
    }
    pthread_t rd[2], wr;
    for (int i = 0; i < 2; i++)
        pthread_create(&rd[i], NULL, grow_reader, &r);
    pthread_create(&wr, NULL, grow_writer, &r);
    pthread_join(wr, NULL);
    atomic_store(&r.stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(rd[i], NULL);
    printf("index growth race: %ld reads, %ld wrong\n", atomic_load(&r.reads),
           atomic_load(&r.torn));
    assert_int_equal(atomic_load(&r.torn), 0);
    assert_true(atomic_load(&r.reads) > 0);
    assert_int_equal(tt_index_count(r.ix), r.rounds);
    tt_index_free(r.ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(upsert_then_lookup_returns_the_state),
        cmocka_unit_test(a_subject_of_another_tenant_is_told_apart),
        cmocka_unit_test(purpose_states_set_and_clear_their_bits),
        cmocka_unit_test(identifiers_find_their_subject),
        cmocka_unit_test(a_dropped_identifier_finds_nobody),
        cmocka_unit_test(million_subjects_take_at_most_64_bytes_each_when_sized),
        cmocka_unit_test(a_sized_index_grows_out_of_its_arena),
        cmocka_unit_test(batch_lookup_pieces_match_the_plain_lookups),
        cmocka_unit_test(peeked_lookups_match_the_plain_lookups),
        cmocka_unit_test(readers_never_see_a_half_written_subject),
        cmocka_unit_test(lock_free_readers_outlive_every_table_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
