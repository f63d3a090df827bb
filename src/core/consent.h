/* SPDX-License-Identifier: Apache-2.0 */
/* consent.h — the consent ledger's pure logic (issue 4; S1.3, S3.3, S7.5, S8.2): the event, its
 * canonical proof text, the per-tenant hash chain (core/ledger.h's encoding and verifier, reused
 * through an adapter), keyed hashes of IP addresses, and the signed links of email unsubscribe,
 * beacons and the preference page (HMAC-SHA-256 under the master-derived token key, checked in
 * constant time). No I/O, no clock, no allocation. libsodium must be initialised first. */
#ifndef TT_CORE_CONSENT_H
#define TT_CORE_CONSENT_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "types.h"

#define TT_CONSENT_COOKIE_MAX 65   /* cookie id: [A-Za-z0-9_-]{16,64} and the NUL */
#define TT_CONSENT_SHORT_MAX 32    /* method, target kind, versions, language */
#define TT_CONSENT_CHOICES_MAX 128 /* "functional:1,marketing:0,…" */
#define TT_CONSENT_KEEP_MONTHS 60  /* S7.5: proof kept 5 years from the event */

enum tt_consent_action { TT_CONSENT_GRANT = 1, TT_CONSENT_WITHDRAW = 2 };

/* One ledger event. Every text field is part of the hash; evidence (sealed under the subject's
 * CONSENT key, or the tenant's cookie key for anonymous visitors) is covered by its BLAKE2b. */
struct tt_consent_event {
    int64_t seq; /* 1, 2, … per tenant chain */
    char tenant_id[TT_ID_MAX];
    char id[TT_ID_MAX];                     /* "cev_…" */
    char subject_id[TT_ID_MAX];             /* "" for an anonymous visitor */
    char cookie_id[TT_CONSENT_COOKIE_MAX];  /* "" for a subject */
    char target_kind[TT_CONSENT_SHORT_MAX]; /* "purpose", "feature", "cookies" */
    char target[TT_KEY_MAX];                /* purpose key, feature key, "banner" */
    enum tt_consent_action action;
    char method[TT_CONSENT_SHORT_MAX]; /* banner|dashboard|api|email_unsubscribe|… */
    char notice_version[TT_CONSENT_SHORT_MAX];
    char banner_version[TT_CONSENT_SHORT_MAX]; /* "" when not shown by the banner */
    char language[TT_CONSENT_SHORT_MAX];
    char choices[TT_CONSENT_CHOICES_MAX]; /* banner choices, "" otherwise */
    tt_time at;
    tt_time expires_at;      /* at + 5 years (S7.5); not hashed */
    const uint8_t *evidence; /* sealed evidence; owner: the filler */
    size_t evidence_len;
    uint8_t prev_hash[TT_LEDGER_HASH_BYTES];
    uint8_t hash[TT_LEDGER_HASH_BYTES];
};

const char *tt_consent_action_name(enum tt_consent_action a);            /* "grant", "withdraw" */
int tt_consent_action_parse(const char *s, enum tt_consent_action *out); /* 0 or -TT_E_BAD_FIELD */
/* 1 when s is a method: banner, dashboard, api, email_unsubscribe, import, gpc. */
int tt_consent_method_ok(const char *s);
/* 1 when s is 1..31 chars of [A-Za-z0-9._-] (versions, languages). */
int tt_consent_short_ok(const char *s);
/* 1 when s is a cookie id: 16..64 chars of [A-Za-z0-9_-]. */
int tt_consent_cookie_id_ok(const char *s);

/* The canonical proof text of e (a compact JSON object with sorted keys, every text field and the
 * hex BLAKE2b of the sealed evidence) into buf. Returns its length (snprintf style) or 0 when a
 * field is not NUL-terminated in its array. */
size_t tt_consent_proof(const struct tt_consent_event *e, char *buf, size_t size);

/* Links e after the chain tail (prev_seq, prev_hash), or as the first event when prev_hash is
 * NULL: sets seq, prev_hash and hash. Returns 0 or -TT_E_BAD_FIELD (e unchanged). */
int tt_consent_link(int64_t prev_seq, const uint8_t *prev_hash, struct tt_consent_event *e);
/* The same with e's proof text already made by tt_consent_proof (it does not depend on seq or
 * hashes: a group committer has its callers make it, and only hashes under its lock). */
#define TT_CONSENT_PROOF_MAX 2048
int tt_consent_link_proof(int64_t prev_seq, const uint8_t *prev_hash, const char *proof,
                          struct tt_consent_event *e);

/* 1 when e[0..n-1] (n >= 1) is one linked run of a single chain: the same tenant, consecutive
 * seqs, each prev_hash the hash of the event before it (what a store's append accepts). */
int tt_consent_run_ok(const struct tt_consent_event *const *e, size_t n);

/* The hash e should carry (from its fields and prev_hash). Returns 0 or -TT_E_BAD_FIELD. */
int tt_consent_hash(const struct tt_consent_event *e, uint8_t out[TT_LEDGER_HASH_BYTES]);

/* Feeds e to a core/ledger verifier (started with tt_ledger_verifier_init, or _init_at the
 * chain's floor after the sweep removed expired proofs). Returns the verdict so far. */
enum tt_ledger_break tt_consent_verifier_feed(struct tt_ledger_verifier *v,
                                              const struct tt_consent_event *e);

/* Keyed hash of an IP address (never kept in clear): hex BLAKE2b-256 of "tenant\0ip" under key. */
void tt_consent_ip_hash(const uint8_t key[32], const char *tenant_id, const char *ip,
                        char out[TT_HASH_HEX]);

/* ---- signed links ---- */
enum tt_consent_token_kind {
    TT_TOKEN_UNSUBSCRIBE = 'u', /* /u/{token}: subject, purpose */
    TT_TOKEN_BEACON = 'b',      /* /v1/b/{token}.gif: subject, campaign */
    TT_TOKEN_PREFERENCES = 'p', /* /p/{token}: subject */
};

#define TT_TOKEN_MAX 400 /* a token's text and its NUL */

struct tt_consent_token {
    enum tt_consent_token_kind kind;
    char tenant_id[TT_ID_MAX];
    char subject_id[TT_ID_MAX];
    char scope[TT_KEY_MAX]; /* purpose (unsubscribe), campaign (beacon), "" (preferences) */
    tt_time expires_at;
};

/* Signs t: base64url(payload) "." base64url(HMAC-SHA-256(key, payload)). Returns 0, or
 * -TT_E_BAD_FIELD when a field holds '|' or is not terminated, or out (size) is too small. */
int tt_consent_token_sign(const uint8_t key[32], const struct tt_consent_token *t, char *out,
                          size_t size);
/* Checks token (any length: capped here) of the kind expected at time now. Returns 0 and fills
 * out; -TT_E_BAD_PARAM when malformed, forged, altered or of another kind; -TT_E_GONE when
 * genuine but expired. The MAC is compared in constant time. */
int tt_consent_token_verify(const uint8_t key[32], const char *token,
                            enum tt_consent_token_kind kind, tt_time now,
                            struct tt_consent_token *out);
/* The form token of a preference page, tied to its link: hex HMAC of "csrf|" token. */
void tt_consent_csrf(const uint8_t key[32], const char *token, char out[TT_HASH_HEX]);
/* Constant-time comparison of a submitted form token with the expected one: 1 equal, 0 not. */
int tt_consent_csrf_ok(const uint8_t key[32], const char *token, const char *given);

#endif
