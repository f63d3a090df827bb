/* SPDX-License-Identifier: Apache-2.0 */
/* tutela.h — the public API of libtutela: in-process privacy decisions for C programs.
 * Self-contained: a C caller includes only this header. Load a policy pack, fill a decision
 * index with subject state (or let `tutela serve` do it), then ask tt_decide before each use of
 * a person's data. Decisions allocate nothing and never touch a store. */
#ifndef TUTELA_H
#define TUTELA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TUTELA_VERSION_MAJOR 0
#define TUTELA_VERSION_MINOR 1

struct tt_policy; /* a loaded policy pack (immutable, shareable between threads) */
struct tt_index;  /* the decision index: subject -> compact state, identifier -> subject */

/* Identifier types (same values as the server's identity types). */
#define TUTELA_IDENT_EMAIL 0
#define TUTELA_IDENT_PHONE 1
#define TUTELA_IDENT_CHANNEL 2
#define TUTELA_IDENT_COOKIE 3

/* Legal bases (S2.1; same values as the server's enum tt_basis). */
#define TUTELA_BASIS_NONE 0
#define TUTELA_BASIS_CONSENT 1
#define TUTELA_BASIS_CONTRACT 2
#define TUTELA_BASIS_LEGAL_OBLIGATION 3
#define TUTELA_BASIS_LEGITIMATE_INTEREST 4

/* Consent states of a subject for a purpose. */
#define TUTELA_CONSENT_NONE 0
#define TUTELA_CONSENT_GIVEN 1
#define TUTELA_CONSENT_WITHDRAWN 2

/* Subject kinds (S2.4). */
#define TUTELA_SUBJECT_CUSTOMER 0
#define TUTELA_SUBJECT_PROSPECT 1
#define TUTELA_SUBJECT_END_USER 2
#define TUTELA_SUBJECT_VISITOR 3

/* Why a decision refused: stable codes, in the order the rules are listed. A decision carries
 * every reason that applies as a bit set (bit = 1u << reason); it allows only when the set is
 * empty. Names (tt_reason_name) are the strings of the HTTP API. */
enum tt_reason {
    TT_REASON_UNKNOWN_PURPOSE = 0, /* S1.1: not in the policy, or not for that category/service */
    TT_REASON_NO_LEGAL_BASIS = 1,  /* S2.1: no basis, no contract, legal obligation on marketing */
    TT_REASON_CONSENT_MISSING = 2,
    TT_REASON_CONSENT_WITHDRAWN = 3, /* S8.2 */
    TT_REASON_OBJECTION = 4,         /* S8.3: legitimate interest yields to an objection */
    TT_REASON_RESTRICTED = 5,        /* S8.3: only restriction-exempt purposes survive */
    TT_REASON_RETENTION_EXPIRED = 6, /* S7 */
    TT_REASON_CHILD = 7,             /* S10.1 */
    TT_REASON_ERASED = 8,
    TT_REASON_SALE_PROHIBITED = 9,              /* S4.4 */
    TT_REASON_RECIPIENT_NOT_APPROVED = 10,      /* S4.3 */
    TT_REASON_TRANSFER_WITHOUT_SAFEGUARDS = 11, /* S5.1 */
    TT_REASON_UNKNOWN_SUBJECT = 12, /* no such subject in that tenant: a clean refusal */
    TT_REASON__COUNT
};

/* One question: may this tenant use this person's data for this purpose? Strings are borrowed
 * for the call. Give subject_id, or ident_blind_hex (the blind index of the normalised
 * identifier, 64 hex chars, as the server computes it) with ident_type. data_category, service
 * and recipient may be NULL. */
struct tt_decision_request {
    const char *tenant_id;
    const char *subject_id;
    int ident_type; /* TUTELA_IDENT_*; used when subject_id is NULL */
    const char *ident_blind_hex;
    const char *purpose;       /* policy purpose key */
    const char *data_category; /* taxonomy key or NULL */
    const char *service;       /* policy service key or NULL */
    const char *recipient;     /* policy recipient key or NULL */
};

/* The answer. policy_version points into the policy passed to tt_decide. */
struct tt_decision {
    int allow;                  /* 1 when reasons == 0 */
    int legal_basis;            /* TUTELA_BASIS_* that applied (NONE for an unknown purpose) */
    uint32_t reasons;           /* bit set of enum tt_reason */
    const char *policy_version; /* the policy's version string */
};

/* Decides one request (S1.1, S2.1, S4.3, S4.4, S5.1, S7, S8.2, S8.3, S10.1) at now (unix
 * seconds). Allocates nothing; safe from any number of threads concurrently with index updates.
 * Returns 0 with *out filled (an unknown subject or purpose is a refusal, not an error), or a
 * negative code when policy, req, req->tenant_id, req->purpose or out is NULL (out untouched). */
int tt_decide(const struct tt_policy *policy, const struct tt_index *index, int64_t now,
              const struct tt_decision_request *req, struct tt_decision *out);

/* Decides n requests at once: the same answers as n calls of tt_decide (outs[i] for reqs[i]),
 * faster, because every subject id is hashed and its index slot fetched from memory before the
 * first request is decided, the tenant is looked up once per run of equal tenant ids, and a
 * request whose purpose, category, service and recipient pointers equal an earlier one's
 * reuses its policy lookups. Allocates nothing; safe from any number of threads concurrently
 * with index updates (each decision sees the index as it is when that request is decided).
 * Returns 0 with outs[0..n-1] filled, or a negative code (outs untouched) when policy is NULL,
 * reqs or outs is NULL with n > 0, or any request lacks tenant_id or purpose. */
int tt_decide_batch(const struct tt_policy *policy, const struct tt_index *index, int64_t now,
                    const struct tt_decision_request *reqs, size_t n, struct tt_decision *outs);

/* "unknown_purpose", "consent_missing", …; "unknown" outside the enum. */
const char *tt_reason_name(enum tt_reason r);
/* Parses a reason name; returns the reason or -1. */
int tt_reason_parse(const char *name);
/* "none", "consent", "contract", "legal_obligation", "legitimate_interest". */
const char *tt_decision_basis_name(int basis);

/* Policy packs. tt_policy_load returns 0 or a negative code with "FILE:LINE: reason" in err. */
int tt_policy_load(const char *path, struct tt_policy **out, char err[512]);
void tt_policy_free(struct tt_policy *p); /* NULL is a no-op */

/* The index. tt_index_new makes an empty index sized for about expected_subjects (0 = small);
 * it grows as needed. Free with tt_index_free (NULL is a no-op). Returns 0 or a negative code.
 * All functions below are safe from any thread; updates are visible to the next decision. */
int tt_index_new(size_t expected_subjects, struct tt_index **out);
void tt_index_free(struct tt_index *ix);

/* The state of one subject, as the index keeps it. */
struct tt_index_subject {
    const char *tenant_id;
    const char *subject_id;
    int kind;                 /* TUTELA_SUBJECT_* */
    const char *jurisdiction; /* "NL", "US-CA"; NULL or "" = unknown (treated as EEA) */
    int is_child;             /* S10.1 */
    int restricted;           /* S8.3 */
    int contract_active;      /* active customer relationship (contract basis) */
    int erased;
    int64_t retention_until; /* unix seconds; 0 = none. Expired when now >= retention_until */
};

/* Inserts or replaces a subject's flags (its purpose states and identifiers are kept). */
int tt_index_upsert(struct tt_index *ix, const struct tt_index_subject *s);
/* Sets the consent state (TUTELA_CONSENT_*) and objection flag of a subject for a purpose key.
 * The subject must be in the index (else a negative code is returned, nothing changed). */
int tt_index_set_purpose(struct tt_index *ix, const char *tenant_id, const char *subject_id,
                         const char *purpose, int consent, int objection);
/* Maps an identifier's blind index (64 hex chars) to a subject of that tenant. */
int tt_index_add_identity(struct tt_index *ix, const char *tenant_id, const char *subject_id,
                          int ident_type, const char *blind_hex);
/* Prepares the index for fast decisions under that policy (call once per loaded policy; a
 * decision under a policy not prepared is still right, only slower). Returns 0 or a negative
 * code. */
int tt_index_attach_policy(struct tt_index *ix, const struct tt_policy *policy);

/* Subjects in the index and the bytes the index holds (tables, overflow, interned strings). */
size_t tt_index_count(const struct tt_index *ix);
size_t tt_index_memory(const struct tt_index *ix);

/* ---- IAB TCF v2.2 TC strings (issue 4) -------------------------------------------------------
 * A codec for Transparency and Consent strings: the core segment, the disclosed vendors and
 * allowed vendors segments and the publisher TC segment, base64url without padding. The model is
 * a plain struct the caller owns (about 50 KB: allocate it, or keep one per thread); nothing is
 * allocated by the codec and it keeps no state, so any number of threads may use it at once.
 * Purpose, special feature and custom purpose sets are bit masks: bit (id - 1) is id. */
#define TUTELA_TCF_MAX_VENDOR_ID 65535 /* the whole 16-bit id space: no valid string is refused */
#define TUTELA_TCF_VENDOR_BYTES ((TUTELA_TCF_MAX_VENDOR_ID + 8) / 8)
#define TUTELA_TCF_MAX_RESTRICTIONS 128        /* publisher restriction groups per string */
#define TUTELA_TCF_MAX_RESTRICTION_RANGES 4096 /* vendor ranges over all groups */
#define TUTELA_TCF_MAX_CUSTOM_PURPOSES 63      /* NumCustomPurposes is 6 bits */
#define TUTELA_TCF_STRING_MAX 131072           /* longest string either function handles */

/* Policy problems a decoded string has (TcfPolicyVersion >= 4, i.e. TCF 2.2, only); the encoder
 * refuses a model that has them. */
#define TUTELA_TCF_VIOLATION_PURPOSE1_LI 0x1u /* purpose 1 on legitimate interest */
#define TUTELA_TCF_VIOLATION_LI_3_6 0x2u      /* purposes 3-6 on legitimate interest (2.2) */

/* A vendor id set. Vendor v (1..max_vendor_id) is bits[v / 8] & (0x80 >> (v % 8)); bit 0 and
 * bits above max_vendor_id are unspecified (the decoder does not clear them: read through
 * tutela_tcf_vendor_has). For encoding, max_vendor_id is the MaxVendorId written (at least the
 * highest id set; @iabtcf/core writes exactly the highest id set). */
struct tt_tcf_vendors {
    uint16_t max_vendor_id;
    uint8_t range_encoded; /* decode: the section used range encoding; ignored by encode */
    uint8_t bits[TUTELA_TCF_VENDOR_BYTES];
};

struct tt_tcf_range {
    uint16_t start, end; /* vendor ids, 1 <= start <= end */
};

/* One publisher restriction: purpose_id (1-63), restriction_type 0 not allowed, 1 require
 * consent, 2 require legitimate interest; its vendors are ranges[first_range .. +n_ranges] of
 * the model's restriction_ranges, ascending and disjoint. */
struct tt_tcf_restriction {
    uint8_t purpose_id;
    uint8_t restriction_type;
    uint16_t first_range;
    uint16_t n_ranges;
};

struct tt_tcf_publisher_tc {
    uint32_t purpose_consents;             /* 24 bits */
    uint32_t purpose_legitimate_interests; /* 24 bits */
    uint8_t num_custom_purposes;           /* 0-63 */
    uint64_t custom_purpose_consents;      /* num_custom_purposes bits */
    uint64_t custom_purpose_legitimate_interests;
};

struct tt_tcf_model {
    uint8_t version;              /* 2 */
    int64_t created_ds;           /* deciseconds since 1970 (36 bits) */
    int64_t last_updated_ds;      /* deciseconds since 1970 (36 bits) */
    uint16_t cmp_id;              /* 12 bits */
    uint16_t cmp_version;         /* 12 bits */
    uint8_t consent_screen;       /* 6 bits */
    char consent_language[3];     /* two capitals and a NUL, "EN" */
    uint16_t vendor_list_version; /* 12 bits */
    uint8_t policy_version;       /* TcfPolicyVersion, 6 bits (4 = TCF 2.2) */
    uint8_t is_service_specific;
    uint8_t use_non_standard_texts;
    uint16_t special_feature_optins;       /* 12 bits */
    uint32_t purpose_consents;             /* 24 bits */
    uint32_t purpose_legitimate_interests; /* 24 bits */
    uint8_t purpose_one_treatment;
    char publisher_cc[3]; /* two capitals and a NUL, "DE" */
    struct tt_tcf_vendors vendor_consents;
    struct tt_tcf_vendors vendor_legitimate_interests;
    uint16_t n_restrictions;
    uint16_t n_restriction_ranges;
    struct tt_tcf_restriction restrictions[TUTELA_TCF_MAX_RESTRICTIONS];
    struct tt_tcf_range restriction_ranges[TUTELA_TCF_MAX_RESTRICTION_RANGES];
    uint8_t has_disclosed_vendors; /* segment type 1 present */
    uint8_t has_allowed_vendors;   /* segment type 2 present */
    uint8_t has_publisher_tc;      /* segment type 3 present */
    struct tt_tcf_vendors disclosed_vendors;
    struct tt_tcf_vendors allowed_vendors;
    struct tt_tcf_publisher_tc publisher_tc;
    uint32_t violations; /* decode: TUTELA_TCF_VIOLATION_* found; ignored by encode */
};

/* Decodes a TC string of len bytes (segments joined by '.', in any order after the core one,
 * each at most once). Returns 0 with *out filled, or a negative code with *reason (when reason
 * is not NULL) pointing at a static English sentence: bad base64, a truncated field, a version
 * other than 2, an unknown or repeated segment, ranges out of order or past MaxVendorId,
 * vendor id 0, a language not A-Z, nonzero bits after the last field, more groups or
 * ranges than the TUTELA_TCF_MAX_* limits. On failure *out holds no meaning. A string breaking
 * a TCF 2.2 rule still decodes, with out->violations set. */
int tutela_tcf_decode(const char *s, size_t len, struct tt_tcf_model *out, const char **reason);

/* Encoding choices. gvl_vendors (may be NULL) is the vendor list's id set: publisher
 * restriction ranges are joined across ids absent from it, as @iabtcf/core does (NULL: only
 * adjacent ranges are joined). */
struct tt_tcf_encode_opts {
    const struct tt_tcf_vendors *gvl_vendors;
};

/* Encodes m as @iabtcf/core 1.5 would, byte for byte: segments core, disclosed vendors, allowed
 * vendors, publisher TC (those present), each padded with zero bits to a multiple of 24; each
 * vendor section as a bitfield or ranges, whichever that library's size rule picks. opts may
 * be NULL. Writes a NUL-terminated string into out (out_size bytes; TUTELA_TCF_STRING_MAX
 * always suffices) and its length into *out_len (may be NULL). Returns 0, or a negative code
 * with *reason naming the field (a value too wide for its bits, a language not A-Z, ranges not
 * ascending, a TCF 2.2 violation, out too small); out is then unspecified. */
int tutela_tcf_encode(const struct tt_tcf_model *m, const struct tt_tcf_encode_opts *opts,
                      char *out, size_t out_size, size_t *out_len, const char **reason);

/* 1 when vendor id is in the set (0 outside 1..max_vendor_id). */
int tutela_tcf_vendor_has(const struct tt_tcf_vendors *v, unsigned id);
/* Adds id (1..TUTELA_TCF_MAX_VENDOR_ID) to the set, raising max_vendor_id when needed (the bytes
 * between the old and the new maximum are cleared). Returns 0 or a negative code. */
int tutela_tcf_vendor_set(struct tt_tcf_vendors *v, unsigned id);
/* Empties the set (max_vendor_id 0). */
void tutela_tcf_vendors_clear(struct tt_tcf_vendors *v);

#ifdef __cplusplus
}
#endif

#endif
