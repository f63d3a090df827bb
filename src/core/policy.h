/* SPDX-License-Identifier: Apache-2.0 */
/* policy.h — the policy pack: a company's privacy statement as data (policy/default.yaml).
 * Loaded once, validated, then immutable and shared read-only by every thread. A reload builds a
 * new tt_policy and swaps it in; the old one is freed when its last user lets go (api/app.h). */
#ifndef TT_CORE_POLICY_H
#define TT_CORE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#define TT_POLICY_MAX_PURPOSES 64 /* purposes are bits in the decision index */
#define TT_POLICY_ERR_MAX 512

/* A category of the data taxonomy (fideslang keys: "user.contact.email"). */
struct tt_category {
    const char *key;
    const char *name;
    const char *description;
    int special; /* S2.2: special-category data (health, biometrics, …) */
};

/* A purpose (fideslang "data use"): S2.3. */
struct tt_purpose {
    const char *key; /* "marketing.communications.email" */
    const char *name;
    const char *description;
    unsigned bit;              /* 0..63, its position in consent/objection bit sets */
    enum tt_basis basis_eea;   /* S2.1: legal basis inside the EEA */
    enum tt_basis basis_other; /* … and outside it (may differ) */
    int marketing;             /* legal obligation never covers marketing; S7.3 retention */
    int sale;                  /* S4.4: a use the engine always refuses */
    int restriction_exempt;    /* S8.3: storage and legal claims survive a restriction */
    int voluntary;             /* surveys: always voluntary (S2.3) */
    const char *li_assessment; /* S2.2: recorded assessment, required for legitimate interest */
    const char **categories;   /* data categories this purpose may use; NULL-terminated;
                                  an empty list means any category of the taxonomy */
};

/* A service of the data map (S3.5) and what it may process, for which purposes. */
struct tt_service {
    const char *key; /* "sms", "voice", "email", "whatsapp", "cdp", … */
    const char *name;
    const char *retention;            /* key of the retention rule that applies by default */
    const char **categories;          /* NULL-terminated */
    const char **purposes;            /* NULL-terminated */
    const char *description;          /* added: what the service is, in plain words */
    const char **optional_categories; /* added: subset of categories that are optional (S3.4);
                                         NULL-terminated */
};

/* Where data comes from (S3.2). */
struct tt_source {
    const char *key; /* "direct", "business_info_provider", "social_network", … */
    const char *name;
    int third_party;
    const char *description; /* added */
};

/* A retention rule (S7). Durations in days and months; a month is a calendar month. */
enum tt_anchor {
    TT_ANCHOR_COLLECTED = 0,
    TT_ANCHOR_LAST_INTERACTION = 1,
    TT_ANCHOR_CONTRACT_END = 2,
    TT_ANCHOR_CONSENT_WITHDRAWN = 3,
    TT_ANCHOR_FINANCIAL_YEAR_END = 4,
    TT_ANCHOR_EVENT = 5,
};

struct tt_retention_override {
    const char *jurisdiction; /* "US", "SG", … */
    int months;               /* replaces the rule's months for that jurisdiction */
};

/* Which records a retention rule governs beyond the services naming it (issue 6, S7.0): a
 * service, a data category and/or a purpose (NULL = any; at least one is named, never the service
 * alone — that is the service's own `retention`). The most specific matching selector of all
 * rules wins (tt_retention_rule_for in core/retention.h gives the order). */
struct tt_retention_selector {
    const char *service;
    const char *category;
    const char *purpose;
};

struct tt_retention {
    const char *key; /* "sms_voice", "marketing", "financial", … */
    const char *description;
    enum tt_anchor anchor;
    int months;             /* the default duration (statement value) */
    int max_months;         /* upper bound any override may reach (S7.1: 24) */
    int ends_on_withdrawal; /* S7.3 */
    const struct tt_retention_override *overrides;
    size_t n_overrides;
    const char *requirement;                        /* "S7.1", for reports */
    const struct tt_retention_selector *applies_to; /* records it governs by category/purpose */
    size_t n_applies_to;
};

/* S4.1 recipient categories and a minimal recipient table (issue 7 grows it). */
enum tt_recipient_role {
    TT_RROLE_PROCESSOR = 0,
    TT_RROLE_SUBPROCESSOR = 1,
    TT_RROLE_CONTROLLER = 2, /* independent controller (payment providers) */
    TT_RROLE_CONDUIT = 3,    /* S4.2: mere conduit for content */
    TT_RROLE_AUTHORITY = 4,
};

struct tt_recipient_category {
    const char *key; /* "telecom_provider", "service_provider", "payment_provider",
                        "affiliate", "government_authority" */
    const char *name;
};

struct tt_recipient {
    const char *key; /* "stripe" */
    const char *name;
    const char *category; /* tt_recipient_category key */
    enum tt_recipient_role role;
    const char *country;            /* ISO alpha-2 */
    int approved;                   /* vetted and bound by safeguards (S4.3) */
    const char *transfer_mechanism; /* "adequacy", "scc", "bcr", "derogation", "none" (S5.1) */
    int tia_done;
    const char **purposes; /* NULL-terminated */
};

/* Cookies (S9). */
struct tt_cookie_category {
    const char *key; /* "strictly_necessary", "functional", "performance",
                        "marketing", "unclassified" */
    const char *name;
    const char *description;
    int always_on; /* strictly necessary: cannot be switched off (S9.2) */
};

struct tt_cookie {
    const char *name; /* cookie name or pattern */
    const char *provider;
    int first_party;
    const char *category;
    int session;         /* 1 = session cookie, else persistent */
    int lifetime_days;   /* persistent lifetime (S9.3) */
    const char *purpose; /* plain words (S9.1) */
};

/* S8.4: a rights-request deadline rule. Periods count from receipt (day of receipt not
 * counted): calendar months (clock.h tt_time_add_months) then days. */
struct tt_deadline {
    const char *key; /* "statement", "gdpr_max", "ccpa", "pdpa" */
    const char *name;
    const char *law;
    int months; /* answer due: months + days after receipt */
    int days;
    int max_months;             /* extended deadline (complex / many requests), total from */
    int max_days;               /* receipt; equal to months/days when no extension exists */
    int confirm_business_days;  /* CCPA: confirm receipt within N business days; 0 = none */
    const char **jurisdictions; /* codes it applies to ("US-CA", "SG"); NULL-terminated */
    const char *requirement;    /* "S8.4" */
};

/* S1.6: terminology by jurisdiction. */
struct tt_jurisdiction {
    const char *code; /* "SG", "US-CA", "EU" */
    const char *name;
    const char *law;             /* "PDPA 2012" */
    const char *term_subject;    /* "individual" */
    const char *term_controller; /* "organisation" */
    const char *term_processor;  /* "data intermediary" */
};

struct tt_policy {
    const char *id;      /* "default" */
    const char *version; /* "2022.1": goes into every decision and audit event */
    const char *name;
    const char *notice_version;
    const char *notice_language;
    const char *source_path; /* the file it was loaded from */
    uint8_t digest[32];      /* BLAKE2b of the file bytes */

    const struct tt_category *categories;
    size_t n_categories;
    const struct tt_purpose *purposes;
    size_t n_purposes;
    const char **subject_kinds;
    size_t n_subject_kinds;
    const struct tt_service *services;
    size_t n_services;
    const struct tt_source *sources;
    size_t n_sources;
    const struct tt_retention *retention;
    size_t n_retention;
    const struct tt_recipient_category *recipient_categories;
    size_t n_recipient_categories;
    const struct tt_recipient *recipients;
    size_t n_recipients;
    const struct tt_cookie_category *cookie_categories;
    size_t n_cookie_categories;
    const struct tt_cookie *cookies;
    size_t n_cookies;
    const struct tt_jurisdiction *jurisdictions;
    size_t n_jurisdictions;
    const char **eea_countries;
    size_t n_eea_countries;
    /* added (S8.4, S1.6): */
    const struct tt_deadline *deadlines;
    size_t n_deadlines;
    const char *deadline_default;     /* key of the rule for jurisdictions no rule lists */
    const char *jurisdiction_default; /* code whose terms apply when nothing closer does ("EU") */
    const char *effective_date;       /* "2022-05-18" */

    void *arena; /* private: every string and array above lives here */
};

/* Loads and validates a policy file. On success *out owns a new policy (free with
 * tt_policy_free). On failure returns a negative code, *out is untouched, and err (if non-NULL)
 * holds "FILE:LINE: reason" for the first problem (bad YAML, unknown key, dangling reference,
 * purpose without legal basis, legitimate interest on special-category data (S2.2), …). */
int tt_policy_load(const char *path, struct tt_policy **out, char err[TT_POLICY_ERR_MAX]);

/* Same, from memory; name is used in messages in place of a file name. */
int tt_policy_load_buffer(const char *name, const char *yaml, size_t len, struct tt_policy **out,
                          char err[TT_POLICY_ERR_MAX]);

/* Like tt_policy_load but collects up to max_errs problems, one per line, into errs (size
 * errs_size). Returns the number of problems found (0 = valid) or a negative code on I/O error. */
int tt_policy_check(const char *path, char *errs, size_t errs_size, size_t max_errs);

void tt_policy_free(struct tt_policy *p); /* NULL is a no-op */

/* Lookups: NULL when the key is unknown. O(log n) or better; safe from any thread. */
const struct tt_category *tt_policy_category(const struct tt_policy *p, const char *key);
const struct tt_purpose *tt_policy_purpose(const struct tt_policy *p, const char *key);
const struct tt_service *tt_policy_service(const struct tt_policy *p, const char *key);
const struct tt_source *tt_policy_source(const struct tt_policy *p, const char *key);
const struct tt_retention *tt_policy_retention(const struct tt_policy *p, const char *key);
const struct tt_recipient *tt_policy_recipient(const struct tt_policy *p, const char *key);
const struct tt_jurisdiction *tt_policy_jurisdiction(const struct tt_policy *p, const char *code);
int tt_policy_subject_kind_known(const struct tt_policy *p, const char *kind);

/* added: the deadline rule with that key, or NULL. */
const struct tt_deadline *tt_policy_deadline(const struct tt_policy *p, const char *key);
/* added: the deadline rule for a subject of that jurisdiction: a rule listing the exact code
 * ("US-CA"), else one listing its country ("US"), else one listing "EEA" when it lies in the
 * EEA, else the default rule. Never NULL for a loaded policy. */
const struct tt_deadline *tt_policy_deadline_for(const struct tt_policy *p,
                                                 const char *jurisdiction);
/* added: the terminology (S1.6) for a subject of that jurisdiction: exact code, else its
 * country, else "EU" when it lies in the EEA, else the default. Never NULL for a loaded policy. */
const struct tt_jurisdiction *tt_policy_terms_for(const struct tt_policy *p,
                                                  const char *jurisdiction);

/* 1 when the service's data map lists that category / purpose, else 0. */
int tt_policy_service_has_category(const struct tt_service *s, const char *category);
int tt_policy_service_has_purpose(const struct tt_service *s, const char *purpose);
/* 1 when the purpose may use that category (empty list = any), else 0. */
int tt_policy_purpose_allows_category(const struct tt_purpose *pu, const char *category);

/* 1 when the jurisdiction ("NL", "US-CA") lies in the EEA, else 0. */
int tt_policy_in_eea(const struct tt_policy *p, const char *jurisdiction);
/* The legal basis of a purpose for a subject of that jurisdiction (S2.1). */
enum tt_basis tt_policy_basis_for(const struct tt_policy *p, const struct tt_purpose *pu,
                                  const char *jurisdiction);

#endif
