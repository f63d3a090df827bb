/* SPDX-License-Identifier: Apache-2.0 */
/* types.h — the domain's data types, shared by core/, store/ and api/.
 * Plain structs with fixed-size text fields so they copy without allocation; variable-size
 * encrypted values travel as (pointer, length) owned by whoever filled them (see each field). */
#ifndef TT_CORE_TYPES_H
#define TT_CORE_TYPES_H

#include <stddef.h>
#include <stdint.h>

#define TT_ID_MAX 48    /* "sub_" + 26 chars, with room to spare, NUL included */
#define TT_KEY_MAX 96   /* taxonomy key, e.g. "marketing.communications.email" */
#define TT_NAME_MAX 128 /* display names (tenants) */
#define TT_JURIS_MAX 8  /* "NL", "US-CA", "SG" */
#define TT_HASH_HEX 65  /* 32-byte keyed hash, hex, NUL */

/* Unix seconds, UTC. 0 means "not set". */
typedef int64_t tt_time;

/* S1.4: the platform tenant is controller for its own customers; customer tenants are
 * controllers of their end users, the platform their processor. */
enum tt_tenant_kind { TT_TENANT_PLATFORM = 0, TT_TENANT_CUSTOMER = 1 };

struct tt_tenant {
    char id[TT_ID_MAX];     /* "ten_…" (the platform tenant is "ten_platform") */
    char name[TT_NAME_MAX]; /* display name, not personal data */
    enum tt_tenant_kind kind;
    tt_time created_at;
};

/* Roles of API keys and (later) accounts; checked by the HTTP layer's permission table. */
enum tt_role {
    TT_ROLE_READONLY = 0,
    TT_ROLE_SERVICE = 1, /* platform engineers' services: records, decisions */
    TT_ROLE_SUPPORT = 2,
    TT_ROLE_DPO = 3,
    TT_ROLE_ADMIN = 4,
    TT_ROLE_OWNER = 5,
};

struct tt_api_key {
    char id[TT_ID_MAX]; /* "key_…"; the public half of the token */
    char tenant_id[TT_ID_MAX];
    enum tt_role role;
    char hash_hex[TT_HASH_HEX]; /* BLAKE2b-256 of the secret half; the secret is never stored */
    tt_time created_at;
    tt_time revoked_at; /* 0 = active */
};

/* S2.4: the relationship decides what may be collected. */
enum tt_subject_kind {
    TT_SUBJECT_CUSTOMER = 0,
    TT_SUBJECT_PROSPECT = 1,
    TT_SUBJECT_END_USER = 2,
    TT_SUBJECT_VISITOR = 3,
};

struct tt_subject {
    char id[TT_ID_MAX]; /* "sub_…" */
    char tenant_id[TT_ID_MAX];
    enum tt_subject_kind kind;
    char jurisdiction[TT_JURIS_MAX]; /* ISO 3166-1 alpha-2, optionally "-" subdivision ("US-CA") */
    int has_birth_date;              /* the date itself is personal: kept encrypted in a record */
    int is_child;                    /* S10.1: under 18 without parental consent */
    int contract_active;             /* a customer relationship is in force (contract basis) */
    int restricted;            /* S8.3: processing restricted (storage and legal claims only) */
    tt_time retention_until;   /* latest retention end of its records; 0 = none yet */
    tt_time contract_ended_at; /* 0 = not ended */
    tt_time created_at;
    tt_time updated_at;
    tt_time erased_at; /* 0 = not erased */
};

enum tt_identity_type {
    TT_IDENT_EMAIL = 0,
    TT_IDENT_PHONE = 1,   /* normalised to E.164 */
    TT_IDENT_CHANNEL = 2, /* chat-app channel id, "whatsapp:+316…" style, trimmed */
    TT_IDENT_COOKIE = 3,  /* banner cookie id */
    TT_IDENT__COUNT
};

struct tt_identity {
    char id[TT_ID_MAX]; /* "idn_…" */
    char tenant_id[TT_ID_MAX];
    char subject_id[TT_ID_MAX];
    enum tt_identity_type type;
    char blind_hex[TT_HASH_HEX]; /* blind index: keyed hash of the normalised value */
    const uint8_t *value_enc;    /* sealed normalised value (see vault.h); owner: the filler */
    size_t value_enc_len;
    tt_time created_at;
};

/* S2.1: the four legal bases. */
enum tt_basis {
    TT_BASIS_NONE = 0,
    TT_BASIS_CONSENT = 1,
    TT_BASIS_CONTRACT = 2,
    TT_BASIS_LEGAL_OBLIGATION = 3,
    TT_BASIS_LEGITIMATE_INTEREST = 4,
};

struct tt_record {
    char id[TT_ID_MAX]; /* "rec_…" */
    char tenant_id[TT_ID_MAX];
    char subject_id[TT_ID_MAX];
    char service[TT_KEY_MAX];       /* policy service key, e.g. "sms" */
    char data_category[TT_KEY_MAX]; /* e.g. "user.contact.phone_number" */
    char purpose[TT_KEY_MAX];       /* policy purpose (data use) key */
    enum tt_basis legal_basis;
    char source[TT_KEY_MAX]; /* S3.2: "direct", "business_info_provider", … */
    tt_time collected_at;
    tt_time retention_until;  /* 0 = not computed yet */
    const uint8_t *value_enc; /* sealed value; owner: the filler */
    size_t value_enc_len;
    tt_time created_at;
};

/* Per subject and purpose: consent and objection state (S1.3, S8.2, S8.3). The consent
 * ledger (issue 4) appends proof; this is the current state the decision index mirrors. */
enum tt_consent_state { TT_CONSENT_NONE = 0, TT_CONSENT_GIVEN = 1, TT_CONSENT_WITHDRAWN = 2 };

struct tt_purpose_state {
    char tenant_id[TT_ID_MAX];
    char subject_id[TT_ID_MAX];
    char purpose[TT_KEY_MAX];
    enum tt_consent_state consent;
    int objection; /* S8.3: objection to legitimate-interest processing */
    tt_time updated_at;
    /* What a put writes (not stored): TT_PS_WHOLE (0) the whole row; TT_PS_CONSENT or
     * TT_PS_OBJECTION only that field and updated_at, the other kept as stored (written as given
     * only when the row is new), and only for a subject not erased — a consent event changes
     * one field, so a write prepared from an older copy of the row cannot undo a change of the
     * other field made meanwhile (issue 9). */
    int changes;
};
#define TT_PS_WHOLE 0
#define TT_PS_CONSENT 1
#define TT_PS_OBJECTION 2

/* Key classes (DESIGN.md: secrets). Erasure destroys MAIN; the others live until their own
 * retention ends (S7.4 financial, S7.5 consent proof, S7.7 request confirmations). */
enum tt_key_class {
    TT_KEYCLASS_MAIN = 0,
    TT_KEYCLASS_FINANCIAL = 1,
    TT_KEYCLASS_CONSENT = 2,
    TT_KEYCLASS_REQUEST = 3,
    TT_KEYCLASS_ERASING = 4, /* MAIN re-wrapped while an erasure re-seals what stays, then gone */
    TT_KEYCLASS__COUNT
};

struct tt_subject_key {
    char tenant_id[TT_ID_MAX];
    char subject_id[TT_ID_MAX];
    enum tt_key_class key_class;
    char master_key_id[TT_ID_MAX]; /* which master key wraps it */
    uint8_t wrapped[72];           /* nonce(24) + key(32) + tag(16) */
    size_t wrapped_len;
    tt_time created_at;
    tt_time destroyed_at; /* 0 = live; once set, wrapped is zeroed */
};

/* One hash-chained audit event (S6.3). Text fields never hold a personal value. */
struct tt_audit_event {
    int64_t seq; /* 1, 2, … per tenant chain (last seq + 1) */
    char tenant_id[TT_ID_MAX];
    tt_time at;
    char actor[TT_ID_MAX];   /* key id, account id, or "system" */
    char action[TT_KEY_MAX]; /* "subject.create", "record.read.denied", … */
    char target[TT_ID_MAX];  /* subject id, record id, policy version, … */
    const char *detail_json; /* small JSON object, no personal values; owner: filler */
    uint8_t prev_hash[32];
    uint8_t hash[32];
};

const char *tt_subject_kind_name(enum tt_subject_kind k);
int tt_subject_kind_parse(const char *s, enum tt_subject_kind *out);
const char *tt_identity_type_name(enum tt_identity_type t);
int tt_identity_type_parse(const char *s, enum tt_identity_type *out);
const char *tt_basis_name(enum tt_basis b);
int tt_basis_parse(const char *s, enum tt_basis *out);
const char *tt_role_name(enum tt_role r);
int tt_role_parse(const char *s, enum tt_role *out);

#endif
