/* SPDX-License-Identifier: Apache-2.0 */
/* test_ledger.c — the audit hash chain (S6.3): unambiguous encoding, chaining, the verifier's
 * first broken link for each kind of tampering, and Ed25519 checkpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "core/ledger.h"

#define N_EVENTS 20

static void set(char *dst, size_t size, const char *s)
{
    snprintf(dst, size, "%s", s);
}

static struct tt_audit_event event(const char *tenant, const char *actor, const char *action,
                                   const char *target, const char *detail, tt_time at)
{
    struct tt_audit_event e;
    memset(&e, 0, sizeof e);
    set(e.tenant_id, sizeof e.tenant_id, tenant);
    set(e.actor, sizeof e.actor, actor);
    set(e.action, sizeof e.action, action);
    set(e.target, sizeof e.target, target);
    e.detail_json = detail;
    e.at = at;
    return e;
}

static void hash_of(const struct tt_audit_event *e, uint8_t out[TT_LEDGER_HASH_BYTES])
{
    assert_int_equal(tt_ledger_hash(e, out), 0);
}

/* A chain of N_EVENTS for "ten_a", linked by the chain rule. details outlive the events. */
static char details[N_EVENTS][32];
static void make_chain(struct tt_audit_event chain[N_EVENTS])
{
    for (int i = 0; i < N_EVENTS; i++) {
        snprintf(details[i], sizeof details[i], "{\"n\":%d}", i + 1);
        chain[i] = event("ten_a", "key_1", "subject.create", "sub_x", details[i], 1000 + i);
        assert_int_equal(tt_ledger_link(i ? &chain[i - 1] : NULL, &chain[i]), 0);
    }
}

/* Feeds events in the given order; returns the verdict after the end with the given head. */
static enum tt_ledger_break run(const struct tt_audit_event *evs, int n,
                                const struct tt_audit_event *head, int64_t *seq)
{
    struct tt_ledger_verifier v;
    tt_ledger_verifier_init(&v, "ten_a");
    for (int i = 0; i < n; i++)
        tt_ledger_verifier_feed(&v, &evs[i]);
    enum tt_ledger_break b = tt_ledger_verifier_end(&v, head);
    *seq = v.broken_seq;
    return b;
}

static void fields_that_concatenate_alike_hash_differently(void **state)
{
    (void)state;
    uint8_t h1[32], h2[32], h3[32], h4[32];
    struct tt_audit_event a = event("ten_a", "ab", "c", "sub_1", "{}", 5);
    struct tt_audit_event b = event("ten_a", "a", "bc", "sub_1", "{}", 5);
    struct tt_audit_event c = event("ten_a", "a", "b", "csub_1", "{}", 5);
    struct tt_audit_event d = event("ten_", "aa", "b", "csub_1", "{}", 5);
    hash_of(&a, h1);
    hash_of(&b, h2);
    hash_of(&c, h3);
    hash_of(&d, h4);
    assert_memory_not_equal(h1, h2, 32);
    assert_memory_not_equal(h2, h3, 32);
    assert_memory_not_equal(h3, h4, 32);
    /* the target/detail boundary and the integers are fixed by their lengths too */
    struct tt_audit_event e = event("ten_a", "a", "b", "sub_1{", "}", 5);
    struct tt_audit_event f = event("ten_a", "a", "b", "sub_1", "{}", 5);
    hash_of(&e, h1);
    hash_of(&f, h2);
    assert_memory_not_equal(h1, h2, 32);
    f.at = 6;
    hash_of(&f, h3);
    assert_memory_not_equal(h2, h3, 32);
    f.at = 5;
    f.prev_hash[31] = 1;
    hash_of(&f, h4);
    assert_memory_not_equal(h2, h4, 32);
}

static void encoding_layout_is_the_documented_one(void **state)
{
    (void)state;
    struct tt_audit_event e = event("ten_a", "system", "policy.reload", "v1", "{}", 0x1234);
    e.seq = 2;
    e.prev_hash[0] = 0xAB;
    uint8_t buf[512];
    size_t n = tt_ledger_encode(&e, buf, sizeof buf);
    /* 9 fields of 4-byte length: tag 17, tenant 5, seq 8, at 8, actor 6, action 13, target 2,
     * detail 2, prev 32 */
    assert_int_equal(n, 9 * 4 + 17 + 5 + 8 + 8 + 6 + 13 + 2 + 2 + 32);
    const uint8_t head[] = {0,   0,   0,   17,  't', 't', '-', 'a', 'u', 'd', 'i',  't', '-', 'e',
                            'v', 'e', 'n', 't', '-', 'v', '1', 0,   0,   0,   5,    't', 'e', 'n',
                            '_', 'a', 0,   0,   0,   8,   0,   0,   0,   0,   0,    0,   0,   2,
                            0,   0,   0,   8,   0,   0,   0,   0,   0,   0,   0x12, 0x34};
    assert_memory_equal(buf, head, sizeof head);
    assert_memory_equal(buf + n - 36, "\0\0\0\x20\xAB", 5);
    /* too small a buffer: the length is still reported, nothing written past size */
    uint8_t small[8] = {0};
    assert_int_equal(tt_ledger_encode(&e, small, 4), n);
    assert_int_equal(small[4], 0);
    /* the hash is BLAKE2b-256 of exactly these bytes */
    uint8_t h1[32], h2[32];
    hash_of(&e, h1);
    crypto_generichash(h2, sizeof h2, buf, n, NULL, 0);
    assert_memory_equal(h1, h2, 32);
    /* a NULL detail is the empty text; an over-long one is refused */
    struct tt_audit_event z = event("ten_a", "system", "x", "y", NULL, 1);
    struct tt_audit_event y = event("ten_a", "system", "x", "y", "", 1);
    hash_of(&z, h1);
    hash_of(&y, h2);
    assert_memory_equal(h1, h2, 32);
    static char big[TT_LEDGER_DETAIL_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    z.detail_json = big;
    assert_int_equal(tt_ledger_hash(&z, h1), -TT_E_BAD_FIELD);
    assert_int_equal(tt_ledger_encode(&z, NULL, 0), 0);
}

/* The known answer printed in docs/audit.md: independent verifiers check against it. */
static void known_answer_of_docs_audit_md(void **state)
{
    (void)state;
    struct tt_audit_event e =
        event("ten_a", "system", "policy.reload", "v1", "{\"n\":1}", 1800000000);
    assert_int_equal(tt_ledger_link(NULL, &e), 0);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, e.hash, sizeof e.hash);
    assert_string_equal(hex, "dd2bf5f7d56a15264379d473255706d27f44f213c65f660359ab868f8c61caf2");
}

static void link_follows_the_chain_rule(void **state)
{
    (void)state;
    struct tt_audit_event chain[N_EVENTS];
    make_chain(chain);
    const uint8_t zero[32] = {0};
    assert_int_equal(chain[0].seq, 1);
    assert_memory_equal(chain[0].prev_hash, zero, 32);
    for (int i = 1; i < N_EVENTS; i++) {
        assert_int_equal(chain[i].seq, i + 1);
        assert_memory_equal(chain[i].prev_hash, chain[i - 1].hash, 32);
        uint8_t h[32];
        hash_of(&chain[i], h);
        assert_memory_equal(h, chain[i].hash, 32);
    }
    /* a failed link leaves the event as it was */
    struct tt_audit_event bad = event("ten_a", "a", "b", "c", "{}", 1);
    char big[TT_LEDGER_DETAIL_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    bad.detail_json = big;
    bad.seq = 99;
    assert_int_equal(tt_ledger_link(&chain[0], &bad), -TT_E_BAD_FIELD);
    assert_int_equal(bad.seq, 99);
}

static void intact_chain_verifies(void **state)
{
    (void)state;
    struct tt_audit_event chain[N_EVENTS];
    make_chain(chain);
    int64_t seq = -1;
    assert_int_equal(run(chain, N_EVENTS, &chain[N_EVENTS - 1], &seq), TT_LEDGER_OK);
    assert_int_equal(seq, 0);
    assert_int_equal(run(chain, N_EVENTS, NULL, &seq), TT_LEDGER_OK);
    /* an empty chain with no head is fine */
    assert_int_equal(run(chain, 0, NULL, &seq), TT_LEDGER_OK);
    /* a range verifies from its anchor, the hash of the event before it */
    struct tt_ledger_verifier v;
    tt_ledger_verifier_init_at(&v, "ten_a", 9, chain[8].hash);
    for (int i = 9; i < 15; i++)
        assert_int_equal(tt_ledger_verifier_feed(&v, &chain[i]), TT_LEDGER_OK);
    assert_int_equal(v.count, 6);
    assert_int_equal(v.seq, 15);
    assert_memory_equal(v.hash, chain[14].hash, 32);
}

static void edited_row_is_reported_at_its_seq(void **state)
{
    (void)state;
    struct tt_audit_event chain[N_EVENTS];
    make_chain(chain);
    chain[6].detail_json = "{\"n\":700}";
    int64_t seq = 0;
    assert_int_equal(run(chain, N_EVENTS, &chain[N_EVENTS - 1], &seq), TT_LEDGER_EDITED);
    assert_int_equal(seq, 7);
    /* each field is covered */
    make_chain(chain);
    chain[11].at += 1;
    assert_int_equal(run(chain, N_EVENTS, NULL, &seq), TT_LEDGER_EDITED);
    assert_int_equal(seq, 12);
    make_chain(chain);
    set(chain[2].actor, sizeof chain[2].actor, "key_2");
    assert_int_equal(run(chain, N_EVENTS, NULL, &seq), TT_LEDGER_EDITED);
    assert_int_equal(seq, 3);
}

static void deleted_row_is_reported_at_the_missing_seq(void **state)
{
    (void)state;
    struct tt_audit_event chain[N_EVENTS], cut[N_EVENTS];
    make_chain(chain);
    int n = 0;
    for (int i = 0; i < N_EVENTS; i++)
        if (i != 6)
            cut[n++] = chain[i];
    int64_t seq = 0;
    assert_int_equal(run(cut, n, &chain[N_EVENTS - 1], &seq), TT_LEDGER_DELETED);
    assert_int_equal(seq, 7);
    /* the first row */
    assert_int_equal(run(chain + 1, N_EVENTS - 1, NULL, &seq), TT_LEDGER_DELETED);
    assert_int_equal(seq, 1);
    /* the tail: only the recorded head shows it */
    assert_int_equal(run(chain, N_EVENTS - 2, &chain[N_EVENTS - 1], &seq), TT_LEDGER_DELETED);
    assert_int_equal(seq, 19);
}

static void inserted_row_is_reported_at_its_seq(void **state)
{
    (void)state;
    struct tt_audit_event chain[N_EVENTS + 1];
    make_chain(chain);
    /* a forged row at the tail, well-formed but committing to a made-up predecessor */
    chain[N_EVENTS] = event("ten_a", "key_1", "subject.erase", "sub_x", "{}", 2000);
    chain[N_EVENTS].seq = N_EVENTS + 1;
    memset(chain[N_EVENTS].prev_hash, 7, 32);
    hash_of(&chain[N_EVENTS], chain[N_EVENTS].hash);
    int64_t seq = 0;
    assert_int_equal(run(chain, N_EVENTS + 1, NULL, &seq), TT_LEDGER_INSERTED);
    assert_int_equal(seq, 21);
    /* a perfect forgery at the tail: only the recorded head shows it */
    assert_int_equal(tt_ledger_link(&chain[N_EVENTS - 1], &chain[N_EVENTS]), 0);
    assert_int_equal(run(chain, N_EVENTS + 1, &chain[N_EVENTS - 1], &seq), TT_LEDGER_INSERTED);
    assert_int_equal(seq, 21);

    /* in the middle, renumbering the rows after it: a forged 8, the old 8 now 9, … */
    struct tt_audit_event mid[N_EVENTS + 1];
    make_chain(chain);
    for (int i = 0; i < 7; i++)
        mid[i] = chain[i];
    mid[7] = event("ten_a", "key_1", "consent.give", "sub_y", "{}", 1007);
    assert_int_equal(tt_ledger_link(&chain[6], &mid[7]), 0);
    for (int i = 7; i < N_EVENTS; i++) {
        mid[i + 1] = chain[i];
        mid[i + 1].seq = i + 2;
    }
    assert_int_equal(run(mid, N_EVENTS + 1, NULL, &seq), TT_LEDGER_INSERTED);
    assert_int_equal(seq, 8);
    /* the same forger re-hashing every row after it is still caught at the forged row */
    for (int i = 8; i <= N_EVENTS; i++)
        hash_of(&mid[i], mid[i].hash);
    assert_int_equal(run(mid, N_EVENTS + 1, NULL, &seq), TT_LEDGER_INSERTED);
    assert_int_equal(seq, 8);
    /* a row of another tenant's chain */
    make_chain(chain);
    set(chain[4].tenant_id, sizeof chain[4].tenant_id, "ten_b");
    assert_int_equal(run(chain, N_EVENTS, NULL, &seq), TT_LEDGER_INSERTED);
    assert_int_equal(seq, 5);
}

static void reordered_rows_are_reported_at_the_first(void **state)
{
    (void)state;
    struct tt_audit_event chain[N_EVENTS];
    make_chain(chain);
    /* swap the seq of rows 7 and 8: read in seq order, the old 8 comes first */
    struct tt_audit_event tmp = chain[6];
    chain[6] = chain[7];
    chain[6].seq = 7;
    chain[7] = tmp;
    chain[7].seq = 8;
    int64_t seq = 0;
    assert_int_equal(run(chain, N_EVENTS, &chain[N_EVENTS - 1], &seq), TT_LEDGER_REORDERED);
    assert_int_equal(seq, 7);
    make_chain(chain);
    struct tt_audit_event dup[3] = {chain[0], chain[1], chain[0]};
    assert_int_equal(run(dup, 3, NULL, &seq), TT_LEDGER_REORDERED);
    assert_int_equal(seq, 1);
    struct tt_audit_event twice[3] = {chain[0], chain[1], chain[1]};
    assert_int_equal(run(twice, 3, NULL, &seq), TT_LEDGER_INSERTED);
    assert_int_equal(seq, 2);
}

static void verifier_stops_at_the_first_break(void **state)
{
    (void)state;
    struct tt_audit_event chain[N_EVENTS];
    make_chain(chain);
    chain[3].detail_json = "{}";
    chain[9].detail_json = "{}";
    struct tt_ledger_verifier v;
    tt_ledger_verifier_init(&v, "ten_a");
    for (int i = 0; i < N_EVENTS; i++)
        tt_ledger_verifier_feed(&v, &chain[i]);
    assert_int_equal(v.broken, TT_LEDGER_EDITED);
    assert_int_equal(v.broken_seq, 4);
    assert_int_equal(v.count, 3);
    assert_int_equal(tt_ledger_verifier_end(&v, &chain[N_EVENTS - 1]), TT_LEDGER_EDITED);
    assert_string_equal(tt_ledger_break_name(TT_LEDGER_REORDERED), "reordered");
    assert_string_equal(tt_ledger_break_name(TT_LEDGER_OK), "ok");
}

static void master(struct tt_master *m, uint8_t fill)
{
    memset(m, 0, sizeof *m);
    memset(m->key, fill, sizeof m->key);
}

static void checkpoint_signs_and_verifies_with_the_public_key_only(void **state)
{
    (void)state;
    struct tt_master m1, m2;
    master(&m1, 0x11);
    master(&m2, 0x22);
    struct tt_ledger_signer s1, s1b, s2;
    assert_int_equal(tt_ledger_signer_derive(&m1, &s1), 0);
    assert_int_equal(tt_ledger_signer_derive(&m1, &s1b), 0);
    assert_int_equal(tt_ledger_signer_derive(&m2, &s2), 0);
    /* same master, same key pair; another master, another pair */
    assert_memory_equal(s1.pk, s1b.pk, 32);
    assert_memory_not_equal(s1.pk, s2.pk, 32);

    struct tt_audit_event chain[N_EVENTS];
    make_chain(chain);
    struct tt_ledger_checkpoint cp;
    memset(&cp, 0, sizeof cp);
    set(cp.tenant_id, sizeof cp.tenant_id, "ten_a");
    cp.seq = N_EVENTS;
    memcpy(cp.hash, chain[N_EVENTS - 1].hash, 32);
    cp.at = 5000;
    uint8_t sig[64];
    assert_int_equal(tt_ledger_checkpoint_sign(&s1, &cp, sig), 0);
    uint8_t pk[32];
    memcpy(pk, s1.pk, sizeof pk);
    tt_ledger_signer_wipe(&s1);
    tt_ledger_signer_wipe(&s1b);
    tt_ledger_signer_wipe(NULL);
    assert_int_equal(tt_ledger_checkpoint_verify(pk, &cp, sig), 0);
    /* the wrong key fails */
    assert_int_equal(tt_ledger_checkpoint_verify(s2.pk, &cp, sig), -TT_E_CRYPTO);
    /* any changed field fails */
    struct tt_ledger_checkpoint c2 = cp;
    c2.seq = N_EVENTS - 1;
    assert_int_equal(tt_ledger_checkpoint_verify(pk, &c2, sig), -TT_E_CRYPTO);
    c2 = cp;
    c2.hash[0] ^= 1;
    assert_int_equal(tt_ledger_checkpoint_verify(pk, &c2, sig), -TT_E_CRYPTO);
    c2 = cp;
    c2.at++;
    assert_int_equal(tt_ledger_checkpoint_verify(pk, &c2, sig), -TT_E_CRYPTO);
    c2 = cp;
    set(c2.tenant_id, sizeof c2.tenant_id, "ten_b");
    assert_int_equal(tt_ledger_checkpoint_verify(pk, &c2, sig), -TT_E_CRYPTO);
    sig[10] ^= 0x40;
    assert_int_equal(tt_ledger_checkpoint_verify(pk, &cp, sig), -TT_E_CRYPTO);
    /* the message layout: tag, tenant, seq, hash, at */
    uint8_t msg[256];
    size_t n = tt_ledger_checkpoint_encode(&cp, msg, sizeof msg);
    assert_int_equal(n, 5 * 4 + 22 + 5 + 8 + 32 + 8);
    assert_memory_equal(msg, "\0\0\0\x16tt-audit-checkpoint-v1", 26);
    tt_ledger_signer_wipe(&s2);
}

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_that_concatenate_alike_hash_differently),
        cmocka_unit_test(encoding_layout_is_the_documented_one),
        cmocka_unit_test(known_answer_of_docs_audit_md),
        cmocka_unit_test(link_follows_the_chain_rule),
        cmocka_unit_test(intact_chain_verifies),
        cmocka_unit_test(edited_row_is_reported_at_its_seq),
        cmocka_unit_test(deleted_row_is_reported_at_the_missing_seq),
        cmocka_unit_test(inserted_row_is_reported_at_its_seq),
        cmocka_unit_test(reordered_rows_are_reported_at_the_first),
        cmocka_unit_test(verifier_stops_at_the_first_break),
        cmocka_unit_test(checkpoint_signs_and_verifies_with_the_public_key_only),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
