/* SPDX-License-Identifier: Apache-2.0 */
/* accounts_int.h — what the accounts area's handlers share (accounts.c, accounts_totp.c,
 * sessions.c, inbox.c, cases.c): the key that seals account emails, TOTP secrets and inbox
 * messages (derived from the master key), email normalising, blind index and masking, the
 * Argon2id cost from the configuration, the in-memory rate limiter, and JSON renderings.
 * Thread safe. Nothing here logs or renders a personal value. */
#ifndef TT_API_ACCOUNTS_INT_H
#define TT_API_ACCOUNTS_INT_H

#include <jansson.h>

#include "../core/ident.h"
#include "../core/password.h"
#include "../store/accounts_store.h"
#include "app.h"

/* The accounts area's store ops, or NULL when the backend has none (then 503). */
const struct tt_accounts_store_ops *tt__acc_ops(struct tt_store_conn *c);

/* The sealing key of the accounts area: BLAKE2b keyed by the master key. Wipe after use. */
void tt__acc_key(const struct tt_master *m, uint8_t key[TT_KEY_BYTES]);

/* Normalises an email (core/ident.h) into out. 0 or -TT_E_BAD_EMAIL. */
int tt__acc_email_norm(const char *email, char out[TT_IDENT_MAX]);
/* The blind index of a normalised email in the one namespace of sign-in. */
void tt__acc_email_blind(const struct tt_master *m, const char *norm, char out[TT_HASH_HEX]);
/* Seals norm into a->email_enc (bound to tenant and account id). 0 or -TT_E_CRYPTO. */
int tt__acc_email_seal(const struct tt_master *m, struct tt_account *a, const char *norm);
/* Opens a->email_enc into out. 0 or -TT_E_CRYPTO. Wipe out after use. */
int tt__acc_email_open(const struct tt_master *m, const struct tt_account *a,
                       char out[TT_IDENT_MAX]);
/* "a***@e***.com" from a normalised email. */
void tt__acc_email_mask(const char *norm, char *out, size_t size);

/* Seals / opens a TOTP secret of account a. */
int tt__acc_totp_seal(const struct tt_master *m, struct tt_account *a,
                      const uint8_t secret[TT_TOTP_SECRET_BYTES]);
int tt__acc_totp_open(const struct tt_master *m, const struct tt_account *a,
                      uint8_t secret[TT_TOTP_SECRET_BYTES]);
/* Keyed hash of a recovery code (normalised) for account a. */
void tt__acc_recovery_hash(const struct tt_master *m, const char *account_id, const char *code,
                           char out[TT_HASH_HEX]);

/* Argon2id cost: TUTELA_PWHASH_OPSLIMIT / TUTELA_PWHASH_MEMLIMIT (bytes), clamped to at least
 * interactive; read once. */
struct tt_pwhash_params tt__acc_pwhash_params(void);

/* The process's sign-in limiter (core/ratelimit, in memory per node). kind: "ip", "acct",
 * "totp". attempt: 0 or -TT_E_RATE_LIMITED with *retry_after; fail: the lock started (s). */
int tt__acc_rl_attempt(const char *kind, const char *value, tt_time now, int *retry_after);
int tt__acc_rl_fail(const char *kind, const char *value, tt_time now);
void tt__acc_rl_success(const char *kind, const char *value);

/* {id, email_masked, role, status, totp_enabled, created_at, updated_at} (new reference). */
json_t *tt__acc_account_json(const struct tt_master *m, const struct tt_account *a);
/* Creates an account of tenant_id (which must exist) with email, password and role, audited
 * with actor, in one transaction. Returns 0 with out filled, or a negative code with *field and
 * *detail (static text, no personal value) saying why: -TT_E_BAD_EMAIL, -TT_E_WEAK_PASSWORD,
 * -TT_E_CONFLICT (an account has that email), -TT_E_NOT_FOUND (no such tenant), -TT_E_NOMEM,
 * -TT_E_CRYPTO, -TT_E_STORE / -TT_E_UNAVAILABLE. */
int tt__acc_create(struct tt_store *store, const struct tt_master *m, const char *tenant_id,
                   const char *email, const char *password, size_t pw_len, enum tt_role role,
                   const char *actor, tt_time now, struct tt_account *out, const char **field,
                   const char **detail);

/* The QR code of text as an SVG document (malloc'd; NULL when it does not fit or on ENOMEM).
 * The caller wipes (it encodes a secret) and frees it. */
char *tt__acc_qr_svg(const char *text);

/* "active", "disabled", "locked". */
const char *tt__acc_status_name(enum tt_account_status s);

#endif
