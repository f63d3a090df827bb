/* SPDX-License-Identifier: Apache-2.0 */
/* subscriptions_store.h — the subscriptions area of the store (issue 7 part B; store/areas.h:
 * migrations 700..799, statement slots 448..511): subscribers to a tenant's public
 * sub-processor list (S14.1), by email (double opt-in) or webhook; the last list each tenant's
 * subscribers were told about (the change job's snapshot); and the notice versions already
 * announced to customer accounts (S12.1). Addresses, URLs and webhook secrets are personal data
 * or secrets: the store only ever holds them sealed (to_enc, secret_enc) beside a keyed blind
 * index; tokens are kept as keyed hashes. Status conventions as in store.h; rows and their
 * pointers handed to callbacks are valid only during the call. Thread safety: per connection. */
#ifndef TT_STORE_SUBSCRIPTIONS_STORE_H
#define TT_STORE_SUBSCRIPTIONS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define TT_SUBS_KIND_MAX 16   /* "email" | "webhook" */
#define TT_SUBS_STATUS_MAX 16 /* "pending" | "confirmed" | "unsubscribed" */
#define TT_SUBS_LANG_MAX 8    /* "en" | "fr" */
#define TT_SUBS_VERSION_MAX 64

/* One subscriber. After unsubscribing, to_enc and secret_enc are empty, blind is "gone:<id>"
 * and the token hashes are "" (nothing personal is left, the id stays for the audit trail). */
struct tt_subscriber {
    char tenant_id[TT_ID_MAX];
    char id[TT_ID_MAX];              /* "sbs_…" */
    char kind[TT_SUBS_KIND_MAX];     /* email | webhook */
    char status[TT_SUBS_STATUS_MAX]; /* pending | confirmed | unsubscribed */
    char lang[TT_SUBS_LANG_MAX];     /* the language of the notices */
    char blind[TT_HASH_HEX + 8];     /* keyed hash of kind and normalised address; unique */
    char confirm_hash[TT_HASH_HEX];  /* keyed hash of the confirm token, "" once used */
    char unsub_hash[TT_HASH_HEX];    /* keyed hash of the unsubscribe / delete token */
    const uint8_t *to_enc;           /* sealed address or URL; owner: the filler */
    size_t to_enc_len;
    const uint8_t *secret_enc; /* sealed webhook secret (whsec_…), or empty */
    size_t secret_enc_len;
    tt_time confirm_expires_at; /* the confirm token's end (email), 0 when none */
    tt_time created_at;
    tt_time confirmed_at; /* 0 until confirmed */
    tt_time updated_at;
};

/* Which column sub_find looks a subscriber up by. */
enum tt_subs_by {
    TT_SUBS_BY_ID = 0,
    TT_SUBS_BY_BLIND = 1,
    TT_SUBS_BY_CONFIRM = 2, /* confirm_hash */
    TT_SUBS_BY_UNSUB = 3,   /* unsub_hash */
};

/* The list a tenant's subscribers were last told about. */
struct tt_subs_snapshot {
    char tenant_id[TT_ID_MAX];
    char digest[TT_HASH_HEX]; /* BLAKE2b-256 hex of doc */
    const char *doc;          /* JSON array of the public entries; owner: the filler */
    tt_time updated_at;
};

/* The policy text in force under a notice version (the first one seen), to diff against. */
struct tt_subs_policy_text {
    char version[TT_SUBS_VERSION_MAX];
    const char *text; /* owner: the filler */
    tt_time seen_at;
};

typedef int (*tt_subscriber_cb)(void *cls, const struct tt_subscriber *s);
typedef int (*tt_subs_snapshot_cb)(void *cls, const struct tt_subs_snapshot *s);
typedef int (*tt_subs_policy_text_cb)(void *cls, const struct tt_subs_policy_text *p);

struct tt_subscriptions_store_ops {
    /* insert: ONE, or NONE when the id or the blind index exists in that tenant */
    enum tt_qs (*sub_put)(struct tt_store_conn *c, const struct tt_subscriber *s);
    /* status, lang, blind, hashes, sealed values, times by (tenant_id, id): ONE or NONE; NONE
     * too when the new blind index is taken by another subscriber */
    enum tt_qs (*sub_update)(struct tt_store_conn *c, const struct tt_subscriber *s);
    /* one subscriber of the tenant by the column by names (value: id, blind or token hash):
     * ONE after cb saw it, or NONE */
    enum tt_qs (*sub_find)(struct tt_store_conn *c, const char *tenant_id, enum tt_subs_by by,
                           const char *value, tt_subscriber_cb cb, void *cls);
    /* the tenant's subscribers in a status, in id order; returns the count */
    enum tt_qs (*sub_list)(struct tt_store_conn *c, const char *tenant_id, const char *status,
                           tt_subscriber_cb cb, void *cls);
    /* the tenant's snapshot: ONE after cb saw it, or NONE when none was taken yet */
    enum tt_qs (*snap_get)(struct tt_store_conn *c, const char *tenant_id, tt_subs_snapshot_cb cb,
                           void *cls);
    /* compare-and-set: stores s when the current digest is prev (prev NULL: when there is no
     * snapshot yet). ONE, or NONE when another writer got there first (roll back then). */
    enum tt_qs (*snap_put)(struct tt_store_conn *c, const struct tt_subs_snapshot *s,
                           const char *prev);
    /* records that notice version was announced (to n accounts) at: ONE, or NONE when it
     * already was (the caller rolls back: announced exactly once) */
    enum tt_qs (*announce_put)(struct tt_store_conn *c, const char *tenant_id, const char *version,
                               int64_t n, tt_time at);
    /* when version was announced: ONE and *at (and *n) set, or NONE */
    enum tt_qs (*announce_get)(struct tt_store_conn *c, const char *tenant_id, const char *version,
                               tt_time *at, int64_t *n);
    /* records the policy text first seen under notice version: ONE, or NONE when one is
     * recorded for that version already (kept as it was) */
    enum tt_qs (*policy_text_put)(struct tt_store_conn *c, const char *tenant_id,
                                  const char *version, const char *text, tt_time at);
    /* the latest text recorded under another version than version: ONE after cb, or NONE */
    enum tt_qs (*policy_text_prior)(struct tt_store_conn *c, const char *tenant_id,
                                    const char *version, tt_subs_policy_text_cb cb, void *cls);
};

#endif
