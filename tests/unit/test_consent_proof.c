/* SPDX-License-Identifier: Apache-2.0 */
/* test_consent_proof.c — the fast canonical proof text gives the SAME bytes as the byte-by-byte
 * original, kept below as a reference (issue 4; S7.5): the proof is hashed into every consent
 * chain, so one changed byte would break the verification of existing ledgers. Thousands of
 * generated events with every character class that needs escaping (quote, backslash, each
 * control character, DEL and non-ASCII UTF-8), every buffer size from 0 to past the end, and
 * unterminated fields. The ledger hash and the consent links are checked against an independent
 * copy of the encoding (S6.3) too, with details short, long and absent. */
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
#include "core/ledger.h"

#define EVENTS 4000
#define BIG 8192 /* more than the longest proof: every text field full of control characters */

/* ---- the references: the code before the fast versions, byte for byte ---- */

struct sbuf {
    char *p;
    size_t size, len;
};

static void ref_put(struct sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, b->len++)
        if (b->len + 1 < b->size)
            b->p[b->len] = s[i];
    if (b->size)
        b->p[b->len < b->size ? b->len : b->size - 1] = '\0';
}

static void ref_put_str(struct sbuf *b, const char *s)
{
    ref_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            ref_put(b, esc, 2);
        } else if (c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            ref_put(b, esc, 6);
        } else {
            ref_put(b, (const char *)&c, 1);
        }
    }
    ref_put(b, "\"", 1);
}

static void ref_put_member(struct sbuf *b, const char *name, const char *value, int first)
{
    if (!first)
        ref_put(b, ",", 1);
    ref_put_str(b, name);
    ref_put(b, ":", 1);
    ref_put_str(b, value);
}

#define TERMINATED(arr) (memchr((arr), '\0', sizeof(arr)) != NULL)

static size_t ref_proof(const struct tt_consent_event *e, char *buf, size_t size)
{
    if (!TERMINATED(e->tenant_id) || !TERMINATED(e->id) || !TERMINATED(e->subject_id) ||
        !TERMINATED(e->cookie_id) || !TERMINATED(e->target_kind) || !TERMINATED(e->target) ||
        !TERMINATED(e->method) || !TERMINATED(e->notice_version) ||
        !TERMINATED(e->banner_version) || !TERMINATED(e->language) || !TERMINATED(e->choices))
        return 0;
    char ev_hex[TT_HASH_HEX] = "";
    if (e->evidence && e->evidence_len) {
        uint8_t h[32];
        crypto_generichash(h, sizeof h, e->evidence, e->evidence_len, NULL, 0);
        sodium_bin2hex(ev_hex, sizeof ev_hex, h, sizeof h);
    }
    struct sbuf b = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    ref_put(&b, "{", 1);
    ref_put_member(&b, "action", tt_consent_action_name(e->action), 1);
    ref_put_member(&b, "banner_version", e->banner_version, 0);
    ref_put_member(&b, "choices", e->choices, 0);
    ref_put_member(&b, "cookie_id", e->cookie_id, 0);
    ref_put_member(&b, "evidence", ev_hex, 0);
    ref_put_member(&b, "id", e->id, 0);
    ref_put_member(&b, "language", e->language, 0);
    ref_put_member(&b, "method", e->method, 0);
    ref_put_member(&b, "notice_version", e->notice_version, 0);
    ref_put_member(&b, "subject_id", e->subject_id, 0);
    ref_put_member(&b, "target", e->target, 0);
    ref_put_member(&b, "target_kind", e->target_kind, 0);
    ref_put(&b, "}", 1);
    return b.len;
}

/* the ledger's encoding, streamed into the hash one piece at a time */
static int ref_field(crypto_generichash_state *st, const void *p, size_t n)
{
    uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    crypto_generichash_update(st, len, sizeof len);
    crypto_generichash_update(st, p, n);
    return 0;
}

static int ref_text(crypto_generichash_state *st, const char *arr, size_t cap)
{
    const char *nul = memchr(arr, '\0', cap);
    if (!nul)
        return -1;
    return ref_field(st, arr, (size_t)(nul - arr));
}

static void ref_i64(crypto_generichash_state *st, int64_t v)
{
    uint64_t u = (uint64_t)v;
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(u >> (56 - 8 * i));
    ref_field(st, b, sizeof b);
}

static int ref_ledger_hash(const struct tt_audit_event *e, uint8_t out[32])
{
    static const char tag[] = "tt-audit-event-v1";
    const char *detail = e->detail_json ? e->detail_json : "";
    size_t detail_len = strnlen(detail, TT_LEDGER_DETAIL_MAX + 1);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    ref_field(&st, tag, sizeof tag - 1);
    int bad = ref_text(&st, e->tenant_id, sizeof e->tenant_id) < 0;
    ref_i64(&st, e->seq);
    ref_i64(&st, e->at);
    bad |= ref_text(&st, e->actor, sizeof e->actor) < 0;
    bad |= ref_text(&st, e->action, sizeof e->action) < 0;
    bad |= ref_text(&st, e->target, sizeof e->target) < 0;
    if (detail_len > TT_LEDGER_DETAIL_MAX)
        bad = 1;
    else
        ref_field(&st, detail, detail_len);
    ref_field(&st, e->prev_hash, sizeof e->prev_hash);
    if (bad)
        return -TT_E_BAD_FIELD;
    crypto_generichash_final(&st, out, 32);
    return 0;
}

/* ---- generated input ---- */

static uint32_t rng_state = 0x9e3779b9u;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return n ? rng_state % n : 0;
}

/* Fills arr (cap bytes) with a NUL-terminated text of up to cap - 1 bytes drawn from one of the
 * classes: plain ASCII, quotes and backslashes, control characters, UTF-8 (2, 3 and 4 bytes),
 * DEL, or all mixed; sometimes empty, sometimes full. */
static void gen_text(char *arr, size_t cap)
{
    static const char *const utf8[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc2\xa0",
                                       "\xef\xbf\xbd"};
    uint32_t mode = rnd(8);
    size_t want = mode == 7 ? cap - 1 : rnd((uint32_t)cap);
    size_t n = 0;
    while (n < want) {
        uint32_t cls = mode < 5 ? mode : rnd(5);
        char piece[4];
        size_t k = 1;
        switch (cls) {
        case 0:
            piece[0] = (char)(' ' + rnd(95));
            break;
        case 1:
            piece[0] = rnd(2) ? '"' : '\\';
            break;
        case 2:
            piece[0] = (char)(1 + rnd(31));
            break;
        case 3: {
            const char *u = utf8[rnd(5)];
            k = strlen(u);
            memcpy(piece, u, k);
            break;
        }
        default:
            piece[0] = rnd(2) ? '\x7f' : (char)('a' + rnd(26));
        }
        if (n + k > want)
            break;
        memcpy(arr + n, piece, k);
        n += k;
    }
    memset(arr + n, 0, cap - n);
}

#define GEN(arr) gen_text((arr), sizeof(arr))

static void gen_event(struct tt_consent_event *e, uint8_t *evidence, size_t evidence_cap)
{
    memset(e, 0, sizeof *e);
    GEN(e->tenant_id);
    GEN(e->id);
    GEN(e->subject_id);
    GEN(e->cookie_id);
    GEN(e->target_kind);
    GEN(e->target);
    GEN(e->method);
    GEN(e->notice_version);
    GEN(e->banner_version);
    GEN(e->language);
    GEN(e->choices);
    e->action = (enum tt_consent_action)rnd(4); /* 0 and 3 are not actions: named "grant" */
    e->at = (tt_time)rnd(2000000000);
    e->seq = rnd(1000);
    if (rnd(4)) {
        e->evidence_len = rnd((uint32_t)evidence_cap + 1);
        for (size_t i = 0; i < e->evidence_len; i++)
            evidence[i] = (uint8_t)rnd(256);
        e->evidence = rnd(8) ? evidence : NULL; /* a length without bytes counts as none */
    }
}

/* The fast and the reference proof agree on the return value and on every byte of a buffer
 * of `size` bytes (both prefilled, so a stray write past the NUL shows too). */
static void same_proof(const struct tt_consent_event *e, size_t size)
{
    static char fast[BIG + 1], ref[BIG + 1];
    memset(fast, 0x5a, sizeof fast);
    memset(ref, 0x5a, sizeof ref);
    size_t nf = tt_consent_proof(e, size ? fast : NULL, size);
    size_t nr = ref_proof(e, size ? ref : NULL, size);
    assert_int_equal(nf, nr);
    assert_memory_equal(fast, ref, sizeof fast);
}

static void proof_bytes_equal_the_reference(void **state)
{
    (void)state;
    static struct tt_consent_event e;
    static uint8_t evidence[300];
    size_t escaped = 0, non_ascii = 0, controls = 0;
    for (int i = 0; i < EVENTS; i++) {
        gen_event(&e, evidence, sizeof evidence);
        char full[BIG];
        size_t n = tt_consent_proof(&e, full, sizeof full);
        assert_true(n > 0 && n < sizeof full);
        escaped += strstr(full, "\\\"") || strstr(full, "\\\\");
        controls += strstr(full, "\\u00") != NULL;
        non_ascii += strpbrk(full, "\xc3\xe2\xf0") != NULL;
        same_proof(&e, BIG);
        /* every size around the edges and a few inside */
        for (size_t s = 0; s < 4; s++)
            same_proof(&e, s);
        same_proof(&e, n - 1);
        same_proof(&e, n);
        same_proof(&e, n + 1);
        for (int k = 0; k < 4; k++)
            same_proof(&e, 1 + rnd((uint32_t)n));
    }
    /* the generator really produced every class */
    assert_true(escaped > EVENTS / 4);
    assert_true(controls > EVENTS / 4);
    assert_true(non_ascii > EVENTS / 4);
}

/* a text field that fills its array without a NUL: both refuse (0) and write nothing */
static void unterminated_fields_are_refused_alike(void **state)
{
    (void)state;
    static struct tt_consent_event e;
    static uint8_t evidence[16];
    for (int f = 0; f < 11; f++) {
        gen_event(&e, evidence, sizeof evidence);
        char *arr[] = {e.tenant_id,      e.id,       e.subject_id, e.cookie_id,
                       e.target_kind,    e.target,   e.method,     e.notice_version,
                       e.banner_version, e.language, e.choices};
        size_t cap[] = {sizeof e.tenant_id,      sizeof e.id,
                        sizeof e.subject_id,     sizeof e.cookie_id,
                        sizeof e.target_kind,    sizeof e.target,
                        sizeof e.method,         sizeof e.notice_version,
                        sizeof e.banner_version, sizeof e.language,
                        sizeof e.choices};
        memset(arr[f], 'x', cap[f]);
        assert_int_equal(ref_proof(&e, NULL, 0), 0);
        same_proof(&e, BIG);
        assert_int_equal(tt_consent_link(0, NULL, &e), -TT_E_BAD_FIELD);
    }
}

/* A generated audit event: fields of every class, a detail absent, short, around the hash's
 * staging size, long, at the limit or past it. */
static void gen_audit(struct tt_audit_event *a, char *detail)
{
    memset(a, 0, sizeof *a);
    GEN(a->tenant_id);
    GEN(a->actor);
    GEN(a->action);
    GEN(a->target);
    a->seq = (int64_t)rnd(UINT32_MAX) * (rnd(2) ? 1 : -1);
    a->at = (tt_time)rnd(UINT32_MAX);
    for (size_t i = 0; i < sizeof a->prev_hash; i++)
        a->prev_hash[i] = (uint8_t)rnd(256);
    static const size_t lens[] = {
        0, 1, 100, 400, 511, 512, 513, 900, 4000, TT_LEDGER_DETAIL_MAX, TT_LEDGER_DETAIL_MAX + 1};
    uint32_t pick = rnd(sizeof lens / sizeof lens[0] + 1);
    if (pick == sizeof lens / sizeof lens[0]) {
        a->detail_json = NULL;
        return;
    }
    size_t n = lens[pick] ? lens[pick] - rnd(2) : 0;
    for (size_t i = 0; i < n; i++)
        detail[i] = (char)(1 + rnd(255));
    detail[n] = '\0';
    a->detail_json = detail;
}

static void ledger_hash_equals_the_reference(void **state)
{
    (void)state;
    static char detail[TT_LEDGER_DETAIL_MAX + 2];
    int refused = 0;
    for (int i = 0; i < EVENTS; i++) {
        struct tt_audit_event a;
        gen_audit(&a, detail);
        if (i % 50 == 0) /* now and then an unterminated text */
            memset(a.actor, 'y', sizeof a.actor);
        uint8_t hf[32], hr[32];
        int rf = tt_ledger_hash(&a, hf), rr = ref_ledger_hash(&a, hr);
        assert_int_equal(rf, rr);
        if (rf == 0)
            assert_memory_equal(hf, hr, sizeof hf);
        else
            refused++;
        /* the encoding's length and bytes hash to the same */
        size_t n = tt_ledger_encode(&a, NULL, 0);
        assert_int_equal(n == 0, rf != 0);
    }
    assert_true(refused > 0 && refused < EVENTS / 4);
}

/* tt_consent_link, tt_consent_link_proof and tt_consent_hash give the hash of the reference
 * ledger view (actor, consent.<action>, id, reference proof) chained event after event. */
static void consent_links_equal_the_reference(void **state)
{
    (void)state;
    static struct tt_consent_event e, f;
    static uint8_t evidence[64];
    static char ref[TT_CONSENT_PROOF_MAX], fast[TT_CONSENT_PROOF_MAX];
    uint8_t prev[32] = {0};
    int64_t prev_seq = 0;
    int linked = 0;
    for (int i = 0; i < EVENTS; i++) {
        gen_event(&e, evidence, sizeof evidence);
        if (e.action != TT_CONSENT_WITHDRAW)
            e.action = TT_CONSENT_GRANT;
        size_t n = ref_proof(&e, ref, sizeof ref);
        f = e;
        int rc = tt_consent_link(prev_seq, i ? prev : NULL, &e);
        if (n == 0 || n >= sizeof ref) { /* too long for the ledger: refused */
            assert_int_equal(rc, -TT_E_BAD_FIELD);
            continue;
        }
        assert_int_equal(rc, 0);
        struct tt_audit_event a;
        memset(&a, 0, sizeof a);
        a.seq = i ? prev_seq + 1 : 1;
        memcpy(a.tenant_id, e.tenant_id, sizeof a.tenant_id);
        a.at = e.at;
        snprintf(a.actor, sizeof a.actor, "%s", e.subject_id[0] ? e.subject_id : "cookie");
        snprintf(a.action, sizeof a.action, "consent.%s", tt_consent_action_name(e.action));
        memcpy(a.target, e.id, sizeof a.target);
        a.detail_json = ref;
        memcpy(a.prev_hash, prev, sizeof prev);
        uint8_t h[32];
        assert_int_equal(ref_ledger_hash(&a, h), 0);
        assert_int_equal(e.seq, a.seq);
        assert_memory_equal(e.prev_hash, prev, sizeof prev);
        assert_memory_equal(e.hash, h, sizeof h);
        /* the proof made by the caller and linked under the writer's lock: the same */
        assert_int_equal(tt_consent_proof(&f, fast, sizeof fast), n);
        assert_int_equal(tt_consent_link_proof(prev_seq, i ? prev : NULL, fast, &f), 0);
        assert_memory_equal(f.hash, h, sizeof h);
        uint8_t again[32];
        assert_int_equal(tt_consent_hash(&e, again), 0);
        assert_memory_equal(again, h, sizeof h);
        prev_seq = e.seq;
        memcpy(prev, e.hash, sizeof prev);
        linked++;
    }
    assert_true(linked > EVENTS / 2);
}

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proof_bytes_equal_the_reference),
        cmocka_unit_test(unterminated_fields_are_refused_alike),
        cmocka_unit_test(ledger_hash_equals_the_reference),
        cmocka_unit_test(consent_links_equal_the_reference),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
