/* SPDX-License-Identifier: Apache-2.0 */
/* consent_int.h — shared by the consent area's files of src/api (issue 4): the group committer
 * that writes consent events of concurrent requests in one transaction, the CONSENT-class key of
 * a subject (created on first use), sealed evidence, the features of the preference centre, the
 * chain verifier used by `tutela consent verify`, and small HTML helpers for the public pages. */
#ifndef TT_API_CONSENT_INT_H
#define TT_API_CONSENT_INT_H

struct tt_consent_waiter;

#include <jansson.h>

#include "../core/consent.h"
#include "../store/consent_store.h"
#include "app.h"

/* One consent write on its way to the ledger: the event (seq and hashes set by the committer),
 * and the current state it changes (S8.2: in the same transaction). */
struct tt_consent_write {
    struct tt_consent_event ev;
    int has_state;
    struct tt_purpose_state ps;
    const char *actor; /* audit actor: key id, "public", "link" */
    /* set by tt_consent_submit, in the caller's thread: the event's proof text */
    char proof[TT_CONSENT_PROOF_MAX];
    /* set by the committer */
    enum tt_qs qs;
    int done;
    size_t seq_in_batch;              /* its place in the committer's batch */
    struct tt_consent_waiter *waiter; /* the caller's wake-up (consent_commit.c) */
    struct tt_consent_write *next;
};

/* Group commit (S7.5 proofs, S8.2): queues the n writes (1..TT_CONSENT_ITEMS_MAX; more than
 * TT_CONSENT_SUBMIT_MAX only when all name one tenant) for the store's committer thread, which
 * takes everything queued, writes it in transactions of up to TT_CONSENT_BATCH_MAX writes —
 * events (each chain's run with one append), state and audit — and wakes the callers (from a
 * notifier thread) once those committed; writes queued meanwhile form the next batch (no timer:
 * a lone write commits at once); each caller is woken by its own semaphore, never by a
 * broadcast. A caller's n writes are never split between transactions: they commit together or
 * not at all. Blocks until they are committed or failed. A failed batch is retried caller by
 * caller, so one bad caller fails alone and nothing is half-written. Returns 0 when every write
 * committed, else a negative tt_err code (-TT_E_UNAVAILABLE / -TT_E_STORE; -TT_E_BAD_FIELD when
 * n is too large); each w->qs says how that write ended. Thread safe. The committer is started
 * on first use and lives until tt_consent_committer_stop or process exit. */
#define TT_CONSENT_BATCH_MAX 4096
#define TT_CONSENT_SUBMIT_MAX 32
#define TT_CONSENT_ITEMS_MAX 1000 /* writes of one caller (POST /v1/consents' items) */
int tt_consent_submit(struct tt_store *store, struct tt_consent_write **w, size_t n);
/* The same without waiting: returns 0 once queued, and done(cls, rc) is then called exactly once
 * from the notifier thread after the writes committed (rc 0) or failed (rc as above) — possibly
 * before this returns; the writes must stay alive until then, and done must not block. Returns
 * a negative code (done never called, nothing queued) when the writes cannot be queued. */
typedef void (*tt_consent_done_cb)(void *cls, int rc);
int tt_consent_submit_async(struct tt_store *store, struct tt_consent_write **w, size_t n,
                            tt_consent_done_cb done, void *cls);
/* Stops the committer of store after the batch in flight (benchmarks, tests). */
void tt_consent_committer_stop(struct tt_store *store);

/* The subject's CONSENT-class key (vault key class TT_KEYCLASS_CONSENT), created on first use in
 * a transaction of its own. Returns 0 and fills key (caller wipes), or a negative code. */
int tt_consent_subject_key(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                           const char *subject_id, uint8_t key[TT_KEY_BYTES]);
/* The key that seals anonymous visitors' evidence: BLAKE2b keyed by the master key over
 * "tt-consent-cookie" and the tenant id. Caller wipes. */
void tt_consent_cookie_key(const struct tt_app *app, const char *tenant_id,
                           uint8_t key[TT_KEY_BYTES]);

/* Evidence {page, user_agent, ip_hash} (each may be NULL; ip is hashed with the master's blind
 * key, never kept) sealed under key into out (size bytes) with the event id as associated data.
 * Returns the sealed length, or 0 when it does not fit. */
size_t tt_consent_seal_evidence(const struct tt_app *app, const uint8_t key[TT_KEY_BYTES],
                                const char *tenant_id, const char *event_id, const char *page,
                                const char *user_agent, const char *ip, uint8_t *out, size_t size);
#define TT_CONSENT_EVIDENCE_MAX 1024 /* sealed evidence bytes (page and user agent capped) */
/* Opens evidence sealed by tt_consent_seal_evidence; NULL when it cannot (wrong key, tampered).
 * New reference. */
json_t *tt_consent_open_evidence(const uint8_t key[TT_KEY_BYTES], const char *tenant_id,
                                 const char *event_id, const uint8_t *sealed, size_t len);

/* Fills the common fields of a new event (id, tenant, times, action, method, versions). */
void tt_consent_event_init(struct tt_consent_event *e, const char *tenant_id, tt_time now,
                           enum tt_consent_action action, const char *method,
                           const char *notice_version);

/* The preference centre's features (S3.3, S4.6, S9.6): key, the policy purpose it maps to. */
struct tt_consent_feature {
    const char *key;     /* "newsletter", "marketing_email", … */
    const char *purpose; /* policy purpose key */
};
extern const struct tt_consent_feature tt_consent_features[];
extern const size_t tt_consent_n_features;
/* The feature with that key, or NULL. */
const struct tt_consent_feature *tt_consent_feature(const char *key);
/* The purpose state a grant or withdrawal leaves for purpose pu: consent for a consent-based
 * purpose, objection (S8.3; absolute for direct marketing) for a legitimate-interest one. */
void tt_consent_state_apply(const struct tt_purpose *pu, enum tt_consent_action a,
                            struct tt_purpose_state *ps);
/* 1 when the state means the subject currently agrees to the purpose (enabled feature). */
int tt_consent_state_enabled(const struct tt_purpose *pu, const struct tt_purpose_state *ps);

/* Records one grant/withdrawal of a subject for purpose pu through the committer, then updates
 * the decision index (before returning). target_kind "purpose" or "feature", target its key.
 * evidence may be NULL (len 0). Returns 0 and fills out_id, or a negative code (resp filled). */
int tt_consent_record_subject(struct tt_app *app, const struct tt_subject *s,
                              const struct tt_purpose *pu, const char *target_kind,
                              const char *target, enum tt_consent_action a, const char *method,
                              const char *notice_version, const char *actor, const char *page,
                              const char *user_agent, const char *ip, struct tt_resp *resp,
                              struct tt_consent_event *out);

/* One change of a tt_consent_record_changes call. */
struct tt_consent_change {
    const struct tt_purpose *purpose;
    const char *target_kind; /* "purpose" or "feature" */
    const char *target;      /* its key */
    enum tt_consent_action action;
};
/* Records n (<= TT_CONSENT_SUBMIT_MAX) changes of one subject as one submit: every event and
 * state committed in one transaction, or none (S8.2), then the decision index updated (before
 * returning). out (may be NULL) gets the n events. Returns 0 or a negative code (resp filled). */
int tt_consent_record_changes(struct tt_app *app, const struct tt_subject *s,
                              const struct tt_consent_change *ch, size_t n, const char *method,
                              const char *notice_version, const char *actor, const char *page,
                              const char *user_agent, const char *ip, struct tt_resp *resp,
                              struct tt_consent_event *out);

/* Reads, on c, what recording the n changes of subject s needs: the current state of each
 * change's purpose into prev (n; zeroed when the subject has none yet) and, when key is not
 * NULL, the CONSENT key (which only seals evidence; the caller wipes it). Returns 0 or a
 * negative code (resp filled). */
int tt_consent_prepare(struct tt_app *app, struct tt_store_conn *c, const struct tt_subject *s,
                       const struct tt_consent_change *ch, size_t n, struct tt_purpose_state *prev,
                       uint8_t *key, struct tt_resp *resp);
/* Fills w (zeroed first) with a new event of subject s for change ch, and the state it leaves
 * after prev (the state before; NULL: none). Evidence is left for the caller to seal. */
void tt_consent_write_fill(struct tt_consent_write *w, const struct tt_subject *s,
                           const struct tt_consent_change *ch, const char *method,
                           const char *notice_version, const char *actor,
                           const struct tt_purpose_state *prev, tt_time now);

/* One consent change as the API takes it: the body of POST /v1/subjects/{id}/consents, or an
 * item of POST /v1/consents. Strings borrow from the parsed JSON. */
#define TT_CONSENT_FIELD_MAX 96 /* "items/999/evidence/user_agent" and the like */
struct tt_consent_item {
    const char *subject;                  /* POST /v1/consents: the subject id, or */
    const json_t *identifier;             /* its identifier {type, value}, or (scanned) */
    const char *ident_type, *ident_value; /* its two strings, checked where it is resolved */
    const char *purpose, *feature, *action_name, *method, *notice_version;
    const char *page, *user_agent, *ip; /* evidence (each may be NULL) */
    const struct tt_purpose *pu;        /* the policy purpose it changes */
    enum tt_consent_action action;
    struct tt_consent_change change; /* ready for tt_consent_write_fill */
};
/* Checks one item object (prefix "items/3/" or "" names it in problems): shape, exactly one of
 * purpose and feature (known to policy p), action, method, notice version, evidence; with
 * with_subject, exactly one of subject and identifier (their values are checked by the caller).
 * Returns 0 and fills out, or a 400/422 problem naming the field. */
int tt_consent_item_parse(const struct tt_policy *p, const json_t *obj, const char *prefix,
                          int with_subject, struct tt_consent_item *out, struct tt_resp *resp);
/* The same checks for an item of POST /v1/consents taken by the scanner (consents_scan.h), its
 * strings borrowed from the scanner's arena: 0 and out filled when tt_consent_item_parse (with
 * with_subject) and the batch's subject id check would accept the item as parsed by jansson, and
 * would fill the same values; else -1, naming nothing — the caller then parses the body with
 * jansson, whose problem names the field. */
struct tt_cscan_item;
int tt_consent_item_scanned(const struct tt_policy *p, const struct tt_cscan_item *in,
                            struct tt_consent_item *out);

/* One chain's verdict (`tutela consent verify`). */
struct tt_consent_chain {
    char tenant_id[TT_ID_MAX];
    int64_t events;
    enum tt_ledger_break broken;
    int64_t broken_seq;
};
typedef int (*tt_consent_chain_cb)(void *cls, const struct tt_consent_chain *r);
/* Verifies every chain (tenant_id NULL) or one, from its floor to its head, in one transaction.
 * Returns 0 whatever the verdicts, or a negative code. */
int tt_consent_verify(struct tt_store *s, const char *tenant_id, tt_consent_chain_cb cb, void *cls);

/* HTML: appends text escaped (& < > " ') to a growing buffer; pages are built from catalogues. */
struct tt_html {
    char *p;
    size_t len, cap;
    int oom;
};
void tt_html_raw(struct tt_html *h, const char *s);
void tt_html_text(struct tt_html *h, const char *s);
/* Hands the page to resp (status, text/html, no-store). Returns 0 or -TT_E_NOMEM. */
int tt_html_reply(struct tt_html *h, struct tt_resp *resp, int status);
/* A page head with title (escaped) and the language. */
void tt_html_begin(struct tt_html *h, const char *lang, const char *title);
void tt_html_end(struct tt_html *h);

/* The notice version consents are asked under now: the latest version of notices.yaml whose
 * effective date has come (S12.1: a version published ahead takes effect on its date, and the
 * banner asks again then), else fallback (the policy's). Thread safe; the file is read again
 * only when it changed. */
void tt__consent_notice_in_effect(struct tt_app *app, const char *fallback, tt_time now,
                                  char out[TT_CONSENT_SHORT_MAX]);

/* The language of a public page: ?lang=, else Accept-Language, else English. */
void tt__consent_page_lang(const struct tt_req *req, char lang[8]);
/* Checks the {token} path parameter of a public link of that kind. Returns 0 and fills out; 1
 * after answering the error page (400 forged or altered, 410 expired: nothing is recorded); or
 * a negative code. */
int tt__consent_link_check(struct tt_req *req, struct tt_resp *resp,
                           enum tt_consent_token_kind kind, struct tt_consent_token *out);

#endif
