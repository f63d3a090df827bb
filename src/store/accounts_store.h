/* SPDX-License-Identifier: Apache-2.0 */
/* accounts_store.h — the accounts area of the store (issue 8; store/areas.h: migrations
 * 600..699, statement slots 384..447): accounts (email sealed, found by a keyed blind index,
 * Argon2id password hash, sealed TOTP secret and last used step), their hashed recovery codes,
 * sessions (only the hash of the cookie's secret is stored), and the inbox: sealed messages and
 * the cases they open. Status conventions as in store.h: HARD/SOFT/NONE/ONE; out-parameters
 * written only on ONE; pointers handed to callbacks are valid during the call only.
 * Thread safety as store.h. */
#ifndef TT_STORE_ACCOUNTS_STORE_H
#define TT_STORE_ACCOUNTS_STORE_H

#include "../core/password.h"
#include "../core/totp.h"
#include "store.h"

#define TT_ACCOUNT_EMAIL_MAX 254
#define TT_ACCOUNT_EMAIL_ENC_MAX (TT_ACCOUNT_EMAIL_MAX + 40) /* + TT_SEAL_OVERHEAD */
#define TT_ACCOUNT_TOTP_ENC_MAX (TT_TOTP_SECRET_BYTES + 40)
#define TT_CASE_NOTE_MAX 512

enum tt_account_status {
    TT_ACCOUNT_ACTIVE = 0,
    TT_ACCOUNT_DISABLED = 1, /* by an admin */
    TT_ACCOUNT_LOCKED = 2,   /* S6.2: a credentials report secured it */
};

struct tt_account {
    char id[TT_ID_MAX]; /* "acc_…" */
    char tenant_id[TT_ID_MAX];
    char email_blind[TT_HASH_HEX]; /* keyed hash of the normalised email (one namespace) */
    uint8_t email_enc[TT_ACCOUNT_EMAIL_ENC_MAX]; /* sealed email */
    size_t email_enc_len;
    enum tt_role role;
    enum tt_account_status status;
    char pw_hash[TT_PASSWORD_HASH_MAX];        /* "$argon2id$…" */
    int totp_enabled;                          /* 1 once confirmed with a first code */
    uint8_t totp_enc[TT_ACCOUNT_TOTP_ENC_MAX]; /* sealed secret (pending or enabled), or empty */
    size_t totp_enc_len;
    int64_t totp_last_step; /* last accepted step (replay refusal) */
    tt_time created_at;
    tt_time updated_at;
};

struct tt_session {
    char id[TT_ID_MAX]; /* "ses_…": the public half of the cookie */
    char tenant_id[TT_ID_MAX];
    char secret_hash[TT_HASH_HEX]; /* BLAKE2b of the cookie's secret half */
    char account_id[TT_ID_MAX];    /* "" for a session opened with an API key */
    char key_id[TT_ID_MAX];        /* the API key of such a session, else "" */
    enum tt_role role;
    tt_time created_at;
    tt_time last_seen_at; /* idle expiry counts from here */
    tt_time expires_at;   /* absolute expiry */
    tt_time revoked_at;   /* 0 = live */
};

struct tt_inbox_message {
    char id[TT_ID_MAX]; /* "inb_…" */
    char tenant_id[TT_ID_MAX];
    char route[TT_KEY_MAX]; /* tt_inbox_route_name */
    char case_id[TT_ID_MAX];
    char created_by[TT_ID_MAX];
    int64_t size; /* bytes of the raw message */
    tt_time received_at;
    const uint8_t *raw_enc; /* the raw message, sealed; owner: the filler */
    size_t raw_enc_len;
};

struct tt_case {
    char id[TT_ID_MAX]; /* "cas_…" */
    char tenant_id[TT_ID_MAX];
    char kind[TT_KEY_MAX];  /* "security", "children", "legal", "rights", "other" */
    char state[TT_KEY_MAX]; /* "open", "triage", "in_progress", "closed" */
    char owner[TT_ID_MAX];  /* account or key id of the staff member, "" = unassigned */
    char message_id[TT_ID_MAX];
    char account_id[TT_ID_MAX]; /* security: the account secured, else "" */
    char subject_id[TT_ID_MAX]; /* children: the subject flagged, else "" */
    char created_by[TT_ID_MAX];
    char note[TT_CASE_NOTE_MAX]; /* staff's words, never a personal value from the message */
    tt_time due_at;
    tt_time created_at;
    tt_time updated_at;
    tt_time closed_at;
};

typedef int (*tt_account_cb)(void *cls, const struct tt_account *a);
typedef int (*tt_session_cb)(void *cls, const struct tt_session *s);
typedef int (*tt_case_cb)(void *cls, const struct tt_case *k);

struct tt_accounts_store_ops {
    /* accounts; put is NONE when the id exists */
    enum tt_qs (*account_put)(struct tt_store_conn *c, const struct tt_account *a);
    enum tt_qs (*account_get)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                              struct tt_account *out);
    /* by blind index, in any tenant (sign-in knows no tenant) */
    enum tt_qs (*account_find)(struct tt_store_conn *c, const char *email_blind,
                               struct tt_account *out);
    /* writes role, status, pw_hash, totp_* and updated_at of (tenant_id, id) */
    enum tt_qs (*account_update)(struct tt_store_conn *c, const struct tt_account *a);
    enum tt_qs (*account_list)(struct tt_store_conn *c, const char *tenant_id,
                               const struct tt_page *page, tt_account_cb cb, void *cls);

    /* recovery codes: hashes only; use marks one unused code used (ONE) or NONE */
    enum tt_qs (*recovery_put)(struct tt_store_conn *c, const char *tenant_id,
                               const char *account_id, const char *code_hash, tt_time at);
    enum tt_qs (*recovery_use)(struct tt_store_conn *c, const char *tenant_id,
                               const char *account_id, const char *code_hash, tt_time at);
    enum tt_qs (*recovery_clear)(struct tt_store_conn *c, const char *tenant_id,
                                 const char *account_id);

    /* sessions */
    enum tt_qs (*session_put)(struct tt_store_conn *c, const struct tt_session *s);
    enum tt_qs (*session_get)(struct tt_store_conn *c, const char *id, struct tt_session *out);
    enum tt_qs (*session_touch)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                tt_time at);
    /* NONE when no live session of that tenant has the id */
    enum tt_qs (*session_revoke)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                                 tt_time at);
    /* every live session of an account; returns the count (>= 0) */
    enum tt_qs (*session_revoke_account)(struct tt_store_conn *c, const char *tenant_id,
                                         const char *account_id, tt_time at);
    /* live sessions of one owner: account_id, or (account_id "") key_id */
    enum tt_qs (*session_list)(struct tt_store_conn *c, const char *tenant_id,
                               const char *account_id, const char *key_id, tt_time now,
                               tt_session_cb cb, void *cls);

    /* deletes up to limit sessions of any tenant that ended (revoked or expired) before
     * `before`; returns the count (>= 0) */
    enum tt_qs (*session_purge)(struct tt_store_conn *c, tt_time before, int limit);

    /* inbox and cases */
    enum tt_qs (*inbox_put)(struct tt_store_conn *c, const struct tt_inbox_message *m);
    enum tt_qs (*case_put)(struct tt_store_conn *c, const struct tt_case *k);
    enum tt_qs (*case_get)(struct tt_store_conn *c, const char *tenant_id, const char *id,
                           struct tt_case *out);
    /* writes state, owner, note, due_at, updated_at, closed_at */
    enum tt_qs (*case_update)(struct tt_store_conn *c, const struct tt_case *k);
    /* state NULL or "" = every state; ordered by id, paged */
    enum tt_qs (*case_list)(struct tt_store_conn *c, const char *tenant_id, const char *state,
                            const struct tt_page *page, tt_case_cb cb, void *cls);
};

#endif
