/* SPDX-License-Identifier: Apache-2.0 */
/* consent.c — the consent ledger's pure logic (consent.h): canonical proof text, chain links
 * through core/ledger's encoding, keyed IP hashes and the signed links (HMAC-SHA-256). */
#include "consent.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static const char *const methods[] = {"banner", "dashboard", "api", "email_unsubscribe",
                                      "import", "gpc"};

const char *tt_consent_action_name(enum tt_consent_action a)
{
    return a == TT_CONSENT_WITHDRAW ? "withdraw" : "grant";
}

int tt_consent_action_parse(const char *s, enum tt_consent_action *out)
{
    if (s && strcmp(s, "grant") == 0)
        *out = TT_CONSENT_GRANT;
    else if (s && strcmp(s, "withdraw") == 0)
        *out = TT_CONSENT_WITHDRAW;
    else
        return -TT_E_BAD_FIELD;
    return 0;
}

int tt_consent_method_ok(const char *s)
{
    for (size_t i = 0; s && i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(s, methods[i]) == 0)
            return 1;
    return 0;
}

static int charset_ok(const char *s, size_t min, size_t max, const char *extra)
{
    if (!s)
        return 0;
    size_t n = strnlen(s, max + 1);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 strchr(extra, c) != NULL;
        if (!ok || c == '\0')
            return 0;
    }
    return 1;
}

int tt_consent_short_ok(const char *s)
{
    return charset_ok(s, 1, TT_CONSENT_SHORT_MAX - 1, "._-");
}

int tt_consent_cookie_id_ok(const char *s)
{
    return charset_ok(s, 16, TT_CONSENT_COOKIE_MAX - 1, "_-");
}

/* ---- canonical proof ---- */

/* The output of the proof text: runs of bytes are copied whole, each with one room check. len
 * counts every byte produced, whether or not it fit (snprintf style). */
struct out {
    char *p;
    size_t room; /* bytes that may still be written before the NUL */
    size_t w;    /* bytes written */
    size_t len;  /* bytes produced */
};

static void emit(struct out *o, const char *s, size_t n)
{
    size_t k = n < o->room ? n : o->room;
    if (k) {
        memcpy(o->p + o->w, s, k);
        o->room -= k;
        o->w += k;
    }
    o->len += n;
}

/* The bytes a JSON string carries as they are: not a quote, a backslash or a control character
 * (bytes >= 0x80, UTF-8, pass unchanged). */
static inline int plain(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\';
}

/* The body of a JSON string (s, n bytes, no quotes): plain runs copied whole; a quote or a
 * backslash after a backslash; a control character as \u00XX (lower-case hex). */
static void emit_escaped(struct out *o, const char *s, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && plain(u[run]))
            run++;
        emit(o, s + i, run - i);
        if (run == n)
            break;
        unsigned char c = u[run];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            emit(o, esc, 2);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
            emit(o, esc, 6);
        }
        i = run + 1;
    }
}

/* The length of the text in a fixed array, or -1 when it does not end within it. */
#define TEXT_LEN(arr) text_len((arr), sizeof(arr))
static ptrdiff_t text_len(const char *arr, size_t cap)
{
    const char *nul = memchr(arr, '\0', cap);
    return nul ? nul - arr : -1;
}

size_t tt_consent_proof(const struct tt_consent_event *e, char *buf, size_t size)
{
    /* the members in key order, each with the text that precedes its value */
    static const struct {
        const char *s;
        size_t n;
    } lead[] = {
#define LEAD(s) {s, sizeof(s) - 1}
        LEAD("{\"action\":\""),           LEAD("\",\"banner_version\":\""),
        LEAD("\",\"choices\":\""),        LEAD("\",\"cookie_id\":\""),
        LEAD("\",\"evidence\":\""),       LEAD("\",\"id\":\""),
        LEAD("\",\"language\":\""),       LEAD("\",\"method\":\""),
        LEAD("\",\"notice_version\":\""), LEAD("\",\"subject_id\":\""),
        LEAD("\",\"target\":\""),         LEAD("\",\"target_kind\":\""),
#undef LEAD
    };
    enum { N_MEMBERS = sizeof lead / sizeof lead[0] };
    const char *action = tt_consent_action_name(e->action);
    char ev_hex[TT_HASH_HEX] = "";
    const char *val[N_MEMBERS] = {
        action,    e->banner_version, e->choices, e->cookie_id,      ev_hex,
        e->id,     e->language,       e->method,  e->notice_version, e->subject_id,
        e->target, e->target_kind};
    ptrdiff_t n[N_MEMBERS] = {(ptrdiff_t)strlen(action),
                              TEXT_LEN(e->banner_version),
                              TEXT_LEN(e->choices),
                              TEXT_LEN(e->cookie_id),
                              0,
                              TEXT_LEN(e->id),
                              TEXT_LEN(e->language),
                              TEXT_LEN(e->method),
                              TEXT_LEN(e->notice_version),
                              TEXT_LEN(e->subject_id),
                              TEXT_LEN(e->target),
                              TEXT_LEN(e->target_kind)};
    if (TEXT_LEN(e->tenant_id) < 0)
        return 0;
    for (size_t i = 0; i < N_MEMBERS; i++)
        if (n[i] < 0)
            return 0;
    if (e->evidence && e->evidence_len) {
        uint8_t h[32];
        crypto_generichash(h, sizeof h, e->evidence, e->evidence_len, NULL, 0);
        sodium_bin2hex(ev_hex, sizeof ev_hex, h, sizeof h);
        n[4] = 2 * (ptrdiff_t)sizeof h;
    }
    struct out o = {buf, size ? size - 1 : 0, 0, 0};
    for (size_t i = 0; i < N_MEMBERS; i++) {
        emit(&o, lead[i].s, lead[i].n);
        emit_escaped(&o, val[i], (size_t)n[i]);
    }
    emit(&o, "\"}", 2);
    if (size)
        buf[o.w] = '\0';
    return o.len;
}

#define TERMINATED(arr) (memchr((arr), '\0', sizeof(arr)) != NULL)

/* The ledger view of an event with its proof text: actor = subject (or "cookie"), action =
 * consent.<action>, target = the event id, detail = the canonical proof. */
static int as_ledger_with(const struct tt_consent_event *e, struct tt_audit_event *a,
                          const char *proof)
{
    if (!TERMINATED(e->tenant_id) || !TERMINATED(e->subject_id) || !TERMINATED(e->id))
        return -TT_E_BAD_FIELD;
    memset(a, 0, sizeof *a);
    a->seq = e->seq;
    memcpy(a->tenant_id, e->tenant_id, sizeof a->tenant_id);
    a->at = e->at;
    snprintf(a->actor, sizeof a->actor, "%s", e->subject_id[0] ? e->subject_id : "cookie");
    snprintf(a->action, sizeof a->action, "consent.%s", tt_consent_action_name(e->action));
    memcpy(a->target, e->id, sizeof a->target);
    a->detail_json = proof;
    memcpy(a->prev_hash, e->prev_hash, sizeof a->prev_hash);
    memcpy(a->hash, e->hash, sizeof a->hash);
    return 0;
}

static int as_ledger(const struct tt_consent_event *e, struct tt_audit_event *a, char *proof,
                     size_t proof_size)
{
    size_t n = tt_consent_proof(e, proof, proof_size);
    if (n == 0 || n >= proof_size)
        return -TT_E_BAD_FIELD;
    return as_ledger_with(e, a, proof);
}

#define PROOF_MAX TT_CONSENT_PROOF_MAX

int tt_consent_hash(const struct tt_consent_event *e, uint8_t out[TT_LEDGER_HASH_BYTES])
{
    struct tt_audit_event a;
    char proof[PROOF_MAX];
    if (as_ledger(e, &a, proof, sizeof proof) < 0)
        return -TT_E_BAD_FIELD;
    return tt_ledger_hash(&a, out);
}

int tt_consent_link(int64_t prev_seq, const uint8_t *prev_hash, struct tt_consent_event *e)
{
    char proof[PROOF_MAX];
    size_t n = tt_consent_proof(e, proof, sizeof proof);
    if (n == 0 || n >= sizeof proof)
        return -TT_E_BAD_FIELD;
    return tt_consent_link_proof(prev_seq, prev_hash, proof, e);
}

int tt_consent_link_proof(int64_t prev_seq, const uint8_t *prev_hash, const char *proof,
                          struct tt_consent_event *e)
{
    struct tt_audit_event a, prev;
    if (!proof || proof[0] != '{' || as_ledger_with(e, &a, proof) < 0)
        return -TT_E_BAD_FIELD;
    if (prev_hash) {
        memset(&prev, 0, sizeof prev);
        prev.seq = prev_seq;
        memcpy(prev.hash, prev_hash, sizeof prev.hash);
    }
    if (tt_ledger_link(prev_hash ? &prev : NULL, &a) < 0)
        return -TT_E_BAD_FIELD;
    e->seq = a.seq;
    memcpy(e->prev_hash, a.prev_hash, sizeof e->prev_hash);
    memcpy(e->hash, a.hash, sizeof e->hash);
    return 0;
}

int tt_consent_run_ok(const struct tt_consent_event *const *e, size_t n)
{
    if (n == 0 || !TERMINATED(e[0]->tenant_id))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (e[i]->seq != e[i - 1]->seq + 1 || strcmp(e[i]->tenant_id, e[0]->tenant_id) != 0 ||
            memcmp(e[i]->prev_hash, e[i - 1]->hash, TT_LEDGER_HASH_BYTES) != 0)
            return 0;
    return 1;
}

enum tt_ledger_break tt_consent_verifier_feed(struct tt_ledger_verifier *v,
                                              const struct tt_consent_event *e)
{
    struct tt_audit_event a;
    char proof[PROOF_MAX];
    if (as_ledger(e, &a, proof, sizeof proof) < 0) {
        /* an unreadable row is an edited one: hand the verifier a row that cannot match */
        memset(&a, 0, sizeof a);
        a.seq = e->seq;
        memcpy(a.tenant_id, v->tenant_id, sizeof a.tenant_id);
        memcpy(a.prev_hash, e->prev_hash, sizeof a.prev_hash);
        memcpy(a.hash, e->hash, sizeof a.hash);
        a.hash[0] ^= 0xff;
        a.detail_json = "";
    }
    return tt_ledger_verifier_feed(v, &a);
}

void tt_consent_ip_hash(const uint8_t key[32], const char *tenant_id, const char *ip,
                        char out[TT_HASH_HEX])
{
    crypto_generichash_state st;
    uint8_t h[32];
    crypto_generichash_init(&st, key, 32, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)tenant_id, strlen(tenant_id) + 1);
    crypto_generichash_update(&st, (const uint8_t *)ip, strlen(ip));
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, TT_HASH_HEX, h, sizeof h);
}

/* ---- signed links ---- */

#define PAYLOAD_MAX 256
#define MAC_B64 44 /* base64url of 32 bytes, no padding (43) and the NUL */

static int field_ok(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL && strchr(s, '|') == NULL;
}

int tt_consent_token_sign(const uint8_t key[32], const struct tt_consent_token *t, char *out,
                          size_t size)
{
    if (!field_ok(t->tenant_id, sizeof t->tenant_id) ||
        !field_ok(t->subject_id, sizeof t->subject_id) || !field_ok(t->scope, sizeof t->scope))
        return -TT_E_BAD_FIELD;
    char payload[PAYLOAD_MAX];
    int n = snprintf(payload, sizeof payload, "%c|%s|%s|%s|%lld", (char)t->kind, t->tenant_id,
                     t->subject_id, t->scope, (long long)t->expires_at);
    if (n < 0 || (size_t)n >= sizeof payload)
        return -TT_E_BAD_FIELD;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const uint8_t *)payload, (size_t)n, key);
    size_t need =
        sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) + MAC_B64;
    if (size < need)
        return -TT_E_BAD_FIELD;
    sodium_bin2base64(out, size, (const uint8_t *)payload, (size_t)n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t used = strlen(out);
    out[used++] = '.';
    sodium_bin2base64(out + used, size - used, mac, sizeof mac,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

/* Copies the '|'-separated field at *p into dst (cap bytes); 0 or -1. */
static int take(const char **p, const char *end, char *dst, size_t cap)
{
    const char *bar = memchr(*p, '|', (size_t)(end - *p));
    size_t n = bar ? (size_t)(bar - *p) : (size_t)(end - *p);
    if (n >= cap || !bar)
        return -1;
    memcpy(dst, *p, n);
    dst[n] = '\0';
    *p = bar + 1;
    return 0;
}

int tt_consent_token_verify(const uint8_t key[32], const char *token,
                            enum tt_consent_token_kind kind, tt_time now,
                            struct tt_consent_token *out)
{
    if (!token)
        return -TT_E_BAD_PARAM;
    size_t len = strnlen(token, TT_TOKEN_MAX);
    const char *dot = memchr(token, '.', len);
    if (len >= TT_TOKEN_MAX || !dot)
        return -TT_E_BAD_PARAM;
    uint8_t payload[PAYLOAD_MAX], mac[crypto_auth_hmacsha256_BYTES];
    size_t plen = 0, mlen = 0;
    const char *end = NULL;
    if (sodium_base642bin(payload, sizeof payload - 1, token, (size_t)(dot - token), NULL, &plen,
                          &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != dot)
        return -TT_E_BAD_PARAM;
    if (sodium_base642bin(mac, sizeof mac, dot + 1, len - (size_t)(dot - token) - 1, NULL, &mlen,
                          &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != token + len || mlen != sizeof mac)
        return -TT_E_BAD_PARAM;
    if (crypto_auth_hmacsha256_verify(mac, payload, plen, key) != 0)
        return -TT_E_BAD_PARAM;
    /* genuine: parse what we signed */
    payload[plen] = '\0';
    const char *p = (const char *)payload, *pend = p + plen;
    struct tt_consent_token t;
    memset(&t, 0, sizeof t);
    if (plen < 2 || p[1] != '|' || p[0] != (char)kind)
        return -TT_E_BAD_PARAM;
    t.kind = kind;
    p += 2;
    if (take(&p, pend, t.tenant_id, sizeof t.tenant_id) < 0 ||
        take(&p, pend, t.subject_id, sizeof t.subject_id) < 0 ||
        take(&p, pend, t.scope, sizeof t.scope) < 0)
        return -TT_E_BAD_PARAM;
    long long exp = 0;
    for (; p < pend; p++) {
        if (*p < '0' || *p > '9' || exp > 100000000000LL)
            return -TT_E_BAD_PARAM;
        exp = exp * 10 + (*p - '0');
    }
    t.expires_at = (tt_time)exp;
    if (now >= t.expires_at)
        return -TT_E_GONE;
    *out = t;
    return 0;
}

void tt_consent_csrf(const uint8_t key[32], const char *token, char out[TT_HASH_HEX])
{
    crypto_auth_hmacsha256_state st;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)"csrf|", 5);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)token, strnlen(token, TT_TOKEN_MAX));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, TT_HASH_HEX, mac, sizeof mac);
}

int tt_consent_csrf_ok(const uint8_t key[32], const char *token, const char *given)
{
    char want[TT_HASH_HEX];
    tt_consent_csrf(key, token, want);
    if (!given || strnlen(given, TT_HASH_HEX) != TT_HASH_HEX - 1)
        return 0;
    return sodium_memcmp(want, given, TT_HASH_HEX - 1) == 0;
}
