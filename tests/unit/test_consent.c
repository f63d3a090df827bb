/* SPDX-License-Identifier: Apache-2.0 */
/* test_consent.c — core/consent (issue 4; S7.5, S3.3): the consent ledger's chain links and
 * verifies, any edited, deleted, inserted or reordered event is named at its seq, the proof text
 * is canonical and escaped, and signed links (unsubscribe, beacon, preferences) refuse forged,
 * altered, foreign-kind and expired tokens; the form token is bound to its link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/consent.h"
#include "core/error.h"

#define N 6
#define AT0 1800000000

static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static const uint8_t other_key[32] = {9, 9, 9};

static void make_chain(struct tt_consent_event ev[N])
{
    static const uint8_t evidence[] = "sealed-evidence-bytes";
    for (int i = 0; i < N; i++) {
        memset(&ev[i], 0, sizeof ev[i]);
        snprintf(ev[i].tenant_id, sizeof ev[i].tenant_id, "ten_a");
        snprintf(ev[i].id, sizeof ev[i].id, "cev_%d", i);
        snprintf(ev[i].subject_id, sizeof ev[i].subject_id, "sub_x");
        snprintf(ev[i].target_kind, sizeof ev[i].target_kind, "purpose");
        snprintf(ev[i].target, sizeof ev[i].target, "marketing.communications.email");
        ev[i].action = i % 2 ? TT_CONSENT_WITHDRAW : TT_CONSENT_GRANT;
        snprintf(ev[i].method, sizeof ev[i].method, "api");
        snprintf(ev[i].notice_version, sizeof ev[i].notice_version, "2022.1");
        ev[i].at = AT0 + i;
        ev[i].evidence = evidence;
        ev[i].evidence_len = sizeof evidence;
        assert_int_equal(tt_consent_link(i ? ev[i - 1].seq : 0, i ? ev[i - 1].hash : NULL, &ev[i]),
                         0);
    }
}

/* Verifies the events in order (skipping index skip, -1 for none) against head. */
static enum tt_ledger_break verify(struct tt_consent_event *ev, int n, int skip,
                                   const struct tt_consent_event *head, int64_t *at)
{
    struct tt_ledger_verifier v;
    tt_ledger_verifier_init(&v, "ten_a");
    for (int i = 0; i < n; i++)
        if (i != skip)
            tt_consent_verifier_feed(&v, &ev[i]);
    struct tt_audit_event h;
    memset(&h, 0, sizeof h);
    h.seq = head->seq;
    memcpy(h.hash, head->hash, sizeof h.hash);
    enum tt_ledger_break b = tt_ledger_verifier_end(&v, &h);
    *at = v.broken_seq;
    return b;
}

static void chain_links_and_verifies(void **state)
{
    (void)state;
    struct tt_consent_event ev[N];
    make_chain(ev);
    int64_t at = -1;
    assert_int_equal(ev[0].seq, 1);
    assert_int_equal(ev[N - 1].seq, N);
    assert_memory_equal(ev[3].prev_hash, ev[2].hash, 32);
    assert_int_equal(verify(ev, N, -1, &ev[N - 1], &at), TT_LEDGER_OK);
    uint8_t h[32];
    assert_int_equal(tt_consent_hash(&ev[2], h), 0);
    assert_memory_equal(h, ev[2].hash, 32);
}

static void edited_event_is_named(void **state)
{
    (void)state;
    struct tt_consent_event ev[N];
    int64_t at = 0;
    make_chain(ev);
    ev[2].action = TT_CONSENT_WITHDRAW; /* a grant turned into a withdrawal */
    assert_int_equal(verify(ev, N, -1, &ev[N - 1], &at), TT_LEDGER_EDITED);
    assert_int_equal(at, 3);
    make_chain(ev);
    static const uint8_t other[] = "other-evidence-bytes!";
    ev[4].evidence = other; /* the sealed evidence is covered by its hash */
    ev[4].evidence_len = sizeof other;
    assert_int_equal(verify(ev, N, -1, &ev[N - 1], &at), TT_LEDGER_EDITED);
    assert_int_equal(at, 5);
    make_chain(ev);
    snprintf(ev[1].notice_version, sizeof ev[1].notice_version, "2023.1");
    assert_int_equal(verify(ev, N, -1, &ev[N - 1], &at), TT_LEDGER_EDITED);
    assert_int_equal(at, 2);
}

static void deleted_and_reordered_events_are_named(void **state)
{
    (void)state;
    struct tt_consent_event ev[N];
    int64_t at = 0;
    make_chain(ev);
    assert_int_equal(verify(ev, N, 3, &ev[N - 1], &at), TT_LEDGER_DELETED);
    assert_int_equal(at, 4);
    assert_int_equal(verify(ev, N - 1, -1, &ev[N - 1], &at), TT_LEDGER_DELETED); /* tail gone */
    struct tt_consent_event tmp = ev[1];
    ev[1] = ev[2];
    ev[2] = tmp;
    assert_int_not_equal(verify(ev, N, -1, &ev[N - 1], &at), TT_LEDGER_OK);
    assert_int_equal(at, 2);
}

static void proof_text_is_canonical_and_escaped(void **state)
{
    (void)state;
    struct tt_consent_event e;
    memset(&e, 0, sizeof e);
    snprintf(e.tenant_id, sizeof e.tenant_id, "ten_a");
    snprintf(e.id, sizeof e.id, "cev_1");
    snprintf(e.cookie_id, sizeof e.cookie_id, "abcdefghijklmnop");
    snprintf(e.choices, sizeof e.choices, "a\"b\\c");
    e.action = TT_CONSENT_GRANT;
    char buf[1024];
    size_t n = tt_consent_proof(&e, buf, sizeof buf);
    assert_true(n > 0 && n < sizeof buf);
    assert_non_null(strstr(buf, "\"choices\":\"a\\\"b\\\\c\""));
    assert_non_null(strstr(buf, "\"action\":\"grant\""));
    assert_ptr_equal(strstr(buf, "{\"action\""), buf); /* keys sorted, action first */
    char small[8];
    assert_int_equal(tt_consent_proof(&e, small, sizeof small), n); /* snprintf style */
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void token_roundtrip(void **state)
{
    (void)state;
    struct tt_consent_token t = {.kind = TT_TOKEN_UNSUBSCRIBE, .expires_at = AT0 + 100};
    snprintf(t.tenant_id, sizeof t.tenant_id, "ten_a");
    snprintf(t.subject_id, sizeof t.subject_id, "sub_x");
    snprintf(t.scope, sizeof t.scope, "marketing.communications.email");
    char tok[TT_TOKEN_MAX];
    assert_int_equal(tt_consent_token_sign(key, &t, tok, sizeof tok), 0);
    assert_null(strpbrk(tok, "+/=|")); /* URL-safe */
    struct tt_consent_token out;
    assert_int_equal(tt_consent_token_verify(key, tok, TT_TOKEN_UNSUBSCRIBE, AT0, &out), 0);
    assert_string_equal(out.subject_id, "sub_x");
    assert_string_equal(out.scope, "marketing.communications.email");
    assert_int_equal(out.expires_at, AT0 + 100);
}

static void forged_altered_foreign_and_expired_tokens_are_refused(void **state)
{
    (void)state;
    struct tt_consent_token t = {.kind = TT_TOKEN_BEACON, .expires_at = AT0 + 100};
    snprintf(t.tenant_id, sizeof t.tenant_id, "ten_a");
    snprintf(t.subject_id, sizeof t.subject_id, "sub_x");
    snprintf(t.scope, sizeof t.scope, "spring");
    char tok[TT_TOKEN_MAX], bad[TT_TOKEN_MAX];
    assert_int_equal(tt_consent_token_sign(key, &t, tok, sizeof tok), 0);
    struct tt_consent_token out;
    memset(&out, 0x5a, sizeof out);
    size_t n = strlen(tok);
    /* every single-character change anywhere is refused */
    for (size_t i = 0; i < n; i++) {
        memcpy(bad, tok, n + 1);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        if (strcmp(bad, tok) == 0)
            continue;
        assert_int_equal(tt_consent_token_verify(key, bad, TT_TOKEN_BEACON, AT0, &out),
                         -TT_E_BAD_PARAM);
    }
    assert_int_equal(out.expires_at, 0x5a5a5a5a5a5a5a5aLL); /* never written on failure */
    assert_int_equal(tt_consent_token_verify(other_key, tok, TT_TOKEN_BEACON, AT0, &out),
                     -TT_E_BAD_PARAM);
    assert_int_equal(tt_consent_token_verify(key, tok, TT_TOKEN_UNSUBSCRIBE, AT0, &out),
                     -TT_E_BAD_PARAM);
    assert_int_equal(tt_consent_token_verify(key, tok, TT_TOKEN_BEACON, AT0 + 100, &out),
                     -TT_E_GONE);
    assert_int_equal(tt_consent_token_verify(key, "", TT_TOKEN_BEACON, AT0, &out), -TT_E_BAD_PARAM);
    assert_int_equal(tt_consent_token_verify(key, NULL, TT_TOKEN_BEACON, AT0, &out),
                     -TT_E_BAD_PARAM);
    memcpy(bad, tok, n + 1);
    bad[n - 1] = '\0'; /* truncated signature */
    assert_int_equal(tt_consent_token_verify(key, bad, TT_TOKEN_BEACON, AT0, &out),
                     -TT_E_BAD_PARAM);
    snprintf(t.scope, sizeof t.scope, "a|b"); /* a separator cannot be smuggled in */
    assert_int_equal(tt_consent_token_sign(key, &t, tok, sizeof tok), -TT_E_BAD_FIELD);
}

static void csrf_token_is_bound_to_its_link(void **state)
{
    (void)state;
    char a[TT_HASH_HEX], b[TT_HASH_HEX];
    tt_consent_csrf(key, "link-one", a);
    tt_consent_csrf(key, "link-two", b);
    assert_string_not_equal(a, b);
    assert_true(tt_consent_csrf_ok(key, "link-one", a));
    assert_false(tt_consent_csrf_ok(key, "link-two", a));
    assert_false(tt_consent_csrf_ok(other_key, "link-one", a));
    assert_false(tt_consent_csrf_ok(key, "link-one", "short"));
    assert_false(tt_consent_csrf_ok(key, "link-one", NULL));
}

static void field_checks(void **state)
{
    (void)state;
    assert_true(tt_consent_cookie_id_ok("abcdefghijklmnop"));
    assert_false(tt_consent_cookie_id_ok("short"));
    assert_false(tt_consent_cookie_id_ok("abcdefghijklmnop!"));
    assert_true(tt_consent_short_ok("2022.1"));
    assert_false(tt_consent_short_ok("a b"));
    assert_false(tt_consent_short_ok(""));
    assert_true(tt_consent_method_ok("email_unsubscribe"));
    assert_false(tt_consent_method_ok("fax"));
    enum tt_consent_action a;
    assert_int_equal(tt_consent_action_parse("withdraw", &a), 0);
    assert_int_equal(a, TT_CONSENT_WITHDRAW);
    assert_int_equal(tt_consent_action_parse("grant ", &a), -TT_E_BAD_FIELD);
    char h1[TT_HASH_HEX], h2[TT_HASH_HEX];
    tt_consent_ip_hash(key, "ten_a", "203.0.113.9", h1);
    tt_consent_ip_hash(key, "ten_b", "203.0.113.9", h2);
    assert_string_not_equal(h1, h2); /* per tenant: not linkable across tenants */
    assert_null(strstr(h1, "203"));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_links_and_verifies),
        cmocka_unit_test(edited_event_is_named),
        cmocka_unit_test(deleted_and_reordered_events_are_named),
        cmocka_unit_test(proof_text_is_canonical_and_escaped),
        cmocka_unit_test(token_roundtrip),
        cmocka_unit_test(forged_altered_foreign_and_expired_tokens_are_refused),
        cmocka_unit_test(csrf_token_is_bound_to_its_link),
        cmocka_unit_test(field_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
