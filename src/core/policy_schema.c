/* SPDX-License-Identifier: Apache-2.0 */
/* policy_schema.c — the layout of a policy file as data: one schema per section (which keys,
 * their types, which are required, what they refer to) and the checks of one item that need
 * more than one field (S2.1, S2.2 legal bases; S7 retention bounds; S9.3 cookie lifetimes;
 * S8.4 deadlines). policy_build.c walks the YAML tree with them. */
#include <stddef.h>
#include <string.h>

#include "policy_schema.h"
#include "types.h"

_Static_assert(sizeof(enum tt_basis) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum tt_anchor) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum tt_recipient_role) == sizeof(int), "enums are stored as int");

/* ---- per-item checks ---- */

static const char *const basis_names[] = {NULL, "consent", "contract", "legal_obligation",
                                          "legitimate_interest"};
static const char *const anchor_names[] = {"collected",          "last_interaction",
                                           "contract_end",       "consent_withdrawn",
                                           "financial_year_end", "event"};
static const char *const role_names[] = {"processor", "subprocessor", "controller", "conduit",
                                         "authority"};
static const char *const transfer_names[] = {"adequacy", "scc", "bcr", "derogation", "none"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* field positions used by checks (they index `present`) */
enum {
    PU_KEY,
    PU_NAME,
    PU_DESC,
    PU_BEEA,
    PU_BOTHER,
    PU_MKT,
    PU_SALE,
    PU_REX,
    PU_VOL,
    PU_LIA,
    PU_CATS
};

static void check_purpose(struct tt__pctx *c, void *item, const struct tt__ynode *node,
                          const unsigned *present)
{
    struct tt_purpose *pu = item;
    char q[64];
    const char *k = tt__perr_quote(pu->key ? pu->key : "?", q, sizeof q);
    if (!pu->sale && pu->basis_eea == TT_BASIS_NONE)
        tt__perr_add(c->e, node->line, "purpose '%s' has no legal basis for the EEA (basis_eea)",
                     k);
    if (!pu->sale && pu->basis_other == TT_BASIS_NONE)
        tt__perr_add(c->e, node->line,
                     "purpose '%s' has no legal basis outside the EEA (basis_other)", k);
    if (pu->marketing && (pu->basis_eea == TT_BASIS_LEGAL_OBLIGATION ||
                          pu->basis_other == TT_BASIS_LEGAL_OBLIGATION))
        tt__perr_add(c->e, node->line, "purpose '%s': a legal obligation never covers marketing",
                     k);
    if (!tt__purpose_uses_li(pu))
        return;
    if (!pu->li_assessment)
        tt__perr_add(c->e, node->line,
                     "purpose '%s': legitimate interest without a recorded assessment "
                     "(li_assessment, S2.2)",
                     k);
    if (!pu->categories || !pu->categories[0])
        tt__perr_add(c->e, present[PU_CATS] ? present[PU_CATS] : node->line,
                     "purpose '%s': legitimate interest must list its data categories (S2.2)", k);
}

static void check_retention(struct tt__pctx *c, void *item, const struct tt__ynode *node,
                            const unsigned *present)
{
    struct tt_retention *r = item;
    char q[64];
    const char *k = tt__perr_quote(r->key ? r->key : "?", q, sizeof q);
    if (r->months > r->max_months)
        tt__perr_add(c->e, present[4] ? present[4] : node->line,
                     "retention '%s': months %d exceeds max_months %d", k, r->months,
                     r->max_months);
    const struct tt__ynode *ov = tt__ymap_get(node, "overrides");
    for (size_t i = 0; i < r->n_overrides; i++) {
        if (r->overrides[i].months > r->max_months)
            tt__perr_add(c->e, ov && i < ov->n ? ov->kids[i]->line : node->line,
                         "retention '%s': override months %d exceeds max_months %d", k,
                         r->overrides[i].months, r->max_months);
    }
}

static void check_cookie(struct tt__pctx *c, void *item, const struct tt__ynode *node,
                         const unsigned *present)
{
    (void)present;
    struct tt_cookie *ck = item;
    char q[64];
    const char *k = tt__perr_quote(ck->name ? ck->name : "?", q, sizeof q);
    if (ck->session && ck->lifetime_days > 0)
        tt__perr_add(c->e, node->line, "cookie '%s': a session cookie has no lifetime_days", k);
    if (!ck->session && ck->lifetime_days <= 0)
        tt__perr_add(c->e, node->line,
                     "cookie '%s': a persistent cookie needs lifetime_days (S9.3)", k);
}

static void check_deadline(struct tt__pctx *c, void *item, const struct tt__ynode *node,
                           const unsigned *present)
{
    struct tt_deadline *d = item;
    char q[64];
    const char *k = tt__perr_quote(d->key ? d->key : "?", q, sizeof q);
    /* fields 6, 7: max_months, max_days; absent both = no extension */
    if (!present[6] && !present[7]) {
        d->max_months = d->months;
        d->max_days = d->days;
    }
    if (d->months == 0 && d->days == 0)
        tt__perr_add(c->e, node->line, "deadline '%s' has no period (months or days)", k);
    /* compare with the longest month (31 days), the bound that matters */
    long base = (long)d->months * 31 + d->days, ext = (long)d->max_months * 31 + d->max_days;
    if (ext < base)
        tt__perr_add(c->e, node->line, "deadline '%s': the extended deadline is shorter", k);
}

/* ---- schemas ---- */

#define STR(T, m, req, ...)                                                                        \
    {                                                                                              \
        .name = #m, .type = F_STR, .off = offsetof(T, m), .required = req, __VA_ARGS__             \
    }
#define STRN(nm, T, m, req, ...)                                                                   \
    {                                                                                              \
        .name = nm, .type = F_STR, .off = offsetof(T, m), .required = req, __VA_ARGS__             \
    }
#define BOOL(T, m, req)                                                                            \
    {                                                                                              \
        .name = #m, .type = F_BOOL, .off = offsetof(T, m), .required = req                         \
    }
#define INT(T, m, req, lo, hi)                                                                     \
    {                                                                                              \
        .name = #m, .type = F_INT, .off = offsetof(T, m), .required = req, .min = lo, .max = hi    \
    }
#define ENUM(T, m, req, tab)                                                                       \
    {                                                                                              \
        .name = #m, .type = F_ENUM, .off = offsetof(T, m), .required = req, .enums = tab,          \
        .n_enums = N(tab)                                                                          \
    }
#define LISTOF(T, m, req, ...)                                                                     \
    {                                                                                              \
        .name = #m, .type = F_STRLIST, .off = offsetof(T, m), .off_n = NOCOUNT, .required = req,   \
        __VA_ARGS__                                                                                \
    }
#define REF(k) .ref = (k) + 1
#define SCHEMA(nm, T, sect_, keym, flds, chk)                                                      \
    {                                                                                              \
        .what = nm, .size = sizeof(T), .sect = sect_, .key_off = offsetof(T, keym),                \
        .fields = flds, .n_fields = N(flds), .check = chk                                          \
    }

static const struct tt__pfield category_f[] = {
    STR(struct tt_category, key, 1, .fmt = FMT_KEY),
    STR(struct tt_category, name, 1),
    STR(struct tt_category, description, 0),
    BOOL(struct tt_category, special, 0),
};
static const struct tt__pschema category_s =
    SCHEMA("data category", struct tt_category, TT_PIDX_CATEGORY + 1, key, category_f, NULL);

static const struct tt__pfield purpose_f[] = {
    [PU_KEY] = STR(struct tt_purpose, key, 1, .fmt = FMT_KEY),
    [PU_NAME] = STR(struct tt_purpose, name, 1),
    [PU_DESC] = STR(struct tt_purpose, description, 0),
    [PU_BEEA] = ENUM(struct tt_purpose, basis_eea, 0, basis_names),
    [PU_BOTHER] = ENUM(struct tt_purpose, basis_other, 0, basis_names),
    [PU_MKT] = BOOL(struct tt_purpose, marketing, 0),
    [PU_SALE] = BOOL(struct tt_purpose, sale, 0),
    [PU_REX] = BOOL(struct tt_purpose, restriction_exempt, 0),
    [PU_VOL] = BOOL(struct tt_purpose, voluntary, 0),
    [PU_LIA] = STR(struct tt_purpose, li_assessment, 0),
    [PU_CATS] = LISTOF(struct tt_purpose, categories, 0, REF(TT_PIDX_CATEGORY)),
};
static const struct tt__pschema purpose_s =
    SCHEMA("purpose", struct tt_purpose, TT_PIDX_PURPOSE + 1, key, purpose_f, check_purpose);

static const struct tt__pfield source_f[] = {
    STR(struct tt_source, key, 1, .fmt = FMT_KEY),
    STR(struct tt_source, name, 1),
    BOOL(struct tt_source, third_party, 1),
    STR(struct tt_source, description, 0),
};
static const struct tt__pschema source_s =
    SCHEMA("source", struct tt_source, TT_PIDX_SOURCE + 1, key, source_f, NULL);

static const struct tt__pfield override_f[] = {
    STR(struct tt_retention_override, jurisdiction, 1, .fmt = FMT_JURIS),
    INT(struct tt_retention_override, months, 1, 0, MONTHS_MAX),
};
static const struct tt__pschema override_s = {.what = "retention override",
                                              .size = sizeof(struct tt_retention_override),
                                              .fields = override_f,
                                              .n_fields = N(override_f)};

static void check_selector(struct tt__pctx *c, void *item, const struct tt__ynode *node,
                           const unsigned *present)
{
    (void)present;
    const struct tt_retention_selector *s = item;
    if (!s->category && !s->purpose)
        tt__perr_add(c->e, node->line,
                     "retention selector names no data category or purpose (a service alone is "
                     "the service's own retention)");
}

static const struct tt__pfield selector_f[] = {
    STR(struct tt_retention_selector, service, 0, REF(TT_PIDX_SERVICE)),
    STR(struct tt_retention_selector, category, 0, REF(TT_PIDX_CATEGORY)),
    STR(struct tt_retention_selector, purpose, 0, REF(TT_PIDX_PURPOSE)),
};
static const struct tt__pschema selector_s = {.what = "retention selector",
                                              .size = sizeof(struct tt_retention_selector),
                                              .fields = selector_f,
                                              .n_fields = N(selector_f),
                                              .check = check_selector};

static const struct tt__pfield retention_f[] = {
    STR(struct tt_retention, key, 1, .fmt = FMT_KEY),
    STR(struct tt_retention, description, 0),
    STR(struct tt_retention, requirement, 0),
    ENUM(struct tt_retention, anchor, 1, anchor_names),
    INT(struct tt_retention, months, 1, 0, MONTHS_MAX),
    INT(struct tt_retention, max_months, 1, 0, MONTHS_MAX),
    BOOL(struct tt_retention, ends_on_withdrawal, 0),
    {.name = "overrides",
     .type = F_LIST,
     .off = offsetof(struct tt_retention, overrides),
     .off_n = offsetof(struct tt_retention, n_overrides),
     .sub = &override_s},
    {.name = "applies_to",
     .type = F_LIST,
     .off = offsetof(struct tt_retention, applies_to),
     .off_n = offsetof(struct tt_retention, n_applies_to),
     .sub = &selector_s},
};
static const struct tt__pschema retention_s =
    SCHEMA("retention rule", struct tt_retention, TT_PIDX_RETENTION + 1, key, retention_f,
           check_retention);

static const struct tt__pfield service_f[] = {
    STR(struct tt_service, key, 1, .fmt = FMT_KEY),
    STR(struct tt_service, name, 1),
    STR(struct tt_service, description, 0),
    STR(struct tt_service, retention, 1, REF(TT_PIDX_RETENTION)),
    LISTOF(struct tt_service, categories, 1, REF(TT_PIDX_CATEGORY)),
    LISTOF(struct tt_service, optional_categories, 0, REF(TT_PIDX_CATEGORY)),
    LISTOF(struct tt_service, purposes, 1, REF(TT_PIDX_PURPOSE)),
};
static const struct tt__pschema service_s =
    SCHEMA("service", struct tt_service, TT_PIDX_SERVICE + 1, key, service_f, NULL);

static const struct tt__pfield rcat_f[] = {
    STR(struct tt_recipient_category, key, 1, .fmt = FMT_KEY),
    STR(struct tt_recipient_category, name, 1),
};
static const struct tt__pschema rcat_s = SCHEMA("recipient category", struct tt_recipient_category,
                                                TT_PIDX_RECIPIENT_CATEGORY + 1, key, rcat_f, NULL);

static const struct tt__pfield recipient_f[] = {
    STR(struct tt_recipient, key, 1, .fmt = FMT_KEY),
    STR(struct tt_recipient, name, 1),
    STR(struct tt_recipient, category, 1, REF(TT_PIDX_RECIPIENT_CATEGORY)),
    ENUM(struct tt_recipient, role, 1, role_names),
    STR(struct tt_recipient, country, 1, .fmt = FMT_COUNTRY),
    BOOL(struct tt_recipient, approved, 1),
    STR(struct tt_recipient, transfer_mechanism, 1, .enums = transfer_names,
        .n_enums = N(transfer_names)),
    BOOL(struct tt_recipient, tia_done, 0),
    LISTOF(struct tt_recipient, purposes, 0, REF(TT_PIDX_PURPOSE)),
};
static const struct tt__pschema recipient_s =
    SCHEMA("recipient", struct tt_recipient, TT_PIDX_RECIPIENT + 1, key, recipient_f, NULL);

static const struct tt__pfield ccat_f[] = {
    STR(struct tt_cookie_category, key, 1, .fmt = FMT_KEY),
    STR(struct tt_cookie_category, name, 1),
    STR(struct tt_cookie_category, description, 0),
    BOOL(struct tt_cookie_category, always_on, 1),
};
static const struct tt__pschema ccat_s = SCHEMA("cookie category", struct tt_cookie_category,
                                                TT_PIDX_COOKIE_CATEGORY + 1, key, ccat_f, NULL);

static const struct tt__pfield cookie_f[] = {
    STR(struct tt_cookie, name, 1),
    STR(struct tt_cookie, provider, 1),
    BOOL(struct tt_cookie, first_party, 1),
    STR(struct tt_cookie, category, 1, REF(TT_PIDX_COOKIE_CATEGORY)),
    BOOL(struct tt_cookie, session, 1),
    INT(struct tt_cookie, lifetime_days, 0, 0, 36500),
    STR(struct tt_cookie, purpose, 1),
};
static const struct tt__pschema cookie_s = {.what = "cookie",
                                            .size = sizeof(struct tt_cookie),
                                            .fields = cookie_f,
                                            .n_fields = N(cookie_f),
                                            .check = check_cookie};

static const struct tt__pfield juris_f[] = {
    STR(struct tt_jurisdiction, code, 1, .fmt = FMT_JURIS),
    STR(struct tt_jurisdiction, name, 1),
    STR(struct tt_jurisdiction, law, 1),
    STRN("subject", struct tt_jurisdiction, term_subject, 1),
    STRN("controller", struct tt_jurisdiction, term_controller, 1),
    STRN("processor", struct tt_jurisdiction, term_processor, 1),
};
static const struct tt__pschema juris_s =
    SCHEMA("jurisdiction", struct tt_jurisdiction, TT_PIDX_JURISDICTION + 1, code, juris_f, NULL);

static const struct tt__pfield deadline_f[] = {
    STR(struct tt_deadline, key, 1, .fmt = FMT_KEY),
    STR(struct tt_deadline, name, 1),
    STR(struct tt_deadline, law, 0),
    STR(struct tt_deadline, requirement, 0),
    INT(struct tt_deadline, months, 0, 0, 120),
    INT(struct tt_deadline, days, 0, 0, 3650),
    INT(struct tt_deadline, max_months, 0, 0, 120),
    INT(struct tt_deadline, max_days, 0, 0, 3650),
    INT(struct tt_deadline, confirm_business_days, 0, 0, 365),
    LISTOF(struct tt_deadline, jurisdictions, 0, .fmt = FMT_JURIS_OR_EEA),
};
static const struct tt__pschema deadline_s = SCHEMA(
    "deadline rule", struct tt_deadline, TT_PIDX_DEADLINE + 1, key, deadline_f, check_deadline);

static const struct tt__pfield notice_f[] = {
    STRN("version", struct tt_policy, notice_version, 1),
    STRN("language", struct tt_policy, notice_language, 1),
};
static const struct tt__pschema notice_s = {
    .what = "policy notice", .fields = notice_f, .n_fields = N(notice_f)};

static const struct tt__pfield meta_f[] = {
    STR(struct tt_policy, id, 1, .fmt = FMT_KEY),
    STR(struct tt_policy, name, 1),
    STR(struct tt_policy, version, 1),
    STR(struct tt_policy, effective_date, 0),
    {.name = "notice", .type = F_OBJ, .required = 1, .sub = &notice_s},
};
static const struct tt__pschema meta_s = {
    .what = "policy header", .fields = meta_f, .n_fields = N(meta_f)};

static const struct tt__pfield jurisdictions_f[] = {
    STRN("default", struct tt_policy, jurisdiction_default, 1, REF(TT_PIDX_JURISDICTION)),
    {.name = "eea",
     .type = F_STRLIST,
     .off = offsetof(struct tt_policy, eea_countries),
     .off_n = offsetof(struct tt_policy, n_eea_countries),
     .required = 1,
     .fmt = FMT_COUNTRY,
     .sect = TT_PIDX_EEA + 1},
    {.name = "terms",
     .type = F_LIST,
     .off = offsetof(struct tt_policy, jurisdictions),
     .off_n = offsetof(struct tt_policy, n_jurisdictions),
     .required = 1,
     .sub = &juris_s},
};
static const struct tt__pschema jurisdictions_s = {
    .what = "jurisdictions", .fields = jurisdictions_f, .n_fields = N(jurisdictions_f)};

static const struct tt__pfield deadlines_f[] = {
    STRN("default", struct tt_policy, deadline_default, 1, REF(TT_PIDX_DEADLINE)),
    {.name = "rules",
     .type = F_LIST,
     .off = offsetof(struct tt_policy, deadlines),
     .off_n = offsetof(struct tt_policy, n_deadlines),
     .required = 1,
     .sub = &deadline_s},
};
static const struct tt__pschema deadlines_s = {
    .what = "deadlines", .fields = deadlines_f, .n_fields = N(deadlines_f)};

#define SECTION(nm, m, req, sub_)                                                                  \
    {                                                                                              \
        .name = nm, .type = F_LIST, .off = offsetof(struct tt_policy, m),                          \
        .off_n = offsetof(struct tt_policy, n_##m), .required = req, .sub = sub_                   \
    }

static const struct tt__pfield top_f[] = {
    {.name = "policy", .type = F_OBJ, .required = 1, .sub = &meta_s},
    SECTION("categories", categories, 1, &category_s),
    {.name = "subject_kinds",
     .type = F_STRLIST,
     .off = offsetof(struct tt_policy, subject_kinds),
     .off_n = offsetof(struct tt_policy, n_subject_kinds),
     .required = 1,
     .sect = TT_PIDX_SUBJECT_KIND + 1},
    SECTION("purposes", purposes, 1, &purpose_s),
    SECTION("sources", sources, 1, &source_s),
    SECTION("retention", retention, 1, &retention_s),
    SECTION("services", services, 1, &service_s),
    SECTION("recipient_categories", recipient_categories, 0, &rcat_s),
    SECTION("recipients", recipients, 0, &recipient_s),
    SECTION("cookie_categories", cookie_categories, 0, &ccat_s),
    SECTION("cookies", cookies, 0, &cookie_s),
    {.name = "jurisdictions", .type = F_OBJ, .required = 1, .sub = &jurisdictions_s},
    {.name = "deadlines", .type = F_OBJ, .required = 1, .sub = &deadlines_s},
};
const struct tt__pschema tt__policy_schema = {
    .what = "the policy file", .fields = top_f, .n_fields = N(top_f)};
