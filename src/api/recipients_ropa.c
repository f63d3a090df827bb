/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_ropa.c — GDPR art. 30 records built from the policy's data map, purposes and retention
 * rules and the registry's recipients (S1.4 roles, S2.1 bases, S4, S5.1 transfers, S7 retention).
 */
#include "recipients_ropa.h"

#include <string.h>

#include "../core/clock.h"

static const char *const security_measures[] = {
    "encryption_at_rest", "per_subject_keys", "blind_index",          "role_based_access",
    "audit_trail",        "crypto_shredding", "transport_encryption",
};

static const char *anchor_name(enum tt_anchor a)
{
    static const char *const names[] = {"collected",         "last_interaction",   "contract_end",
                                        "consent_withdrawn", "financial_year_end", "event"};
    return (unsigned)a < sizeof names / sizeof *names ? names[a] : "collected";
}

const char *tt_ropa_platform_retention(const struct tt_policy *p, const struct tt_purpose *pu)
{
    const char *key = "contract";
    if (pu->marketing)
        key = "marketing";
    else if (strncmp(pu->key, "finance.", 8) == 0)
        key = "financial";
    else if (strcmp(pu->key, "legal.privacy_compliance") == 0)
        key = "consent_proof";
    return tt_policy_retention(p, key) ? key : NULL;
}

static int rcpt_receives(const struct tt_rcpt *r, const char *purpose)
{
    if (r->status != TT_RSTATUS_APPROVED)
        return 0;
    if (!r->n_purposes)
        return 1;
    for (int i = 0; i < r->n_purposes; i++)
        if (strcmp(r->purposes[i], purpose) == 0)
            return 1;
    return 0;
}

static json_t *strs(const char **list)
{
    json_t *a = json_array();
    for (size_t i = 0; a && list && list[i]; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

static json_t *retention_json(const struct tt_policy *p, const char *key)
{
    const struct tt_retention *r = key ? tt_policy_retention(p, key) : NULL;
    if (!r)
        return json_null();
    return json_pack("{s:s, s:i, s:i, s:s, s:s, s:s}", "rule", r->key, "months", r->months,
                     "max_months", r->max_months, "anchor", anchor_name(r->anchor), "requirement",
                     r->requirement ? r->requirement : "", "description",
                     r->description ? r->description : "");
}

/* Categories an activity processes: the service's that the purpose may use. */
static json_t *activity_categories(const struct tt_service *s, const struct tt_purpose *pu)
{
    if (!s)
        return strs(pu->categories);
    json_t *a = json_array();
    for (size_t i = 0; a && s->categories && s->categories[i]; i++)
        if (tt_policy_purpose_allows_category(pu, s->categories[i]))
            json_array_append_new(a, json_string(s->categories[i]));
    return a;
}

static int add_recipients(json_t *act, const struct tt_policy *p, const struct tt_rcpt *rs,
                          size_t n, const struct tt_adequacy *a, const char *purpose, tt_time now)
{
    json_t *rcpts = json_array(), *transfers = json_array();
    if (!rcpts || !transfers) {
        json_decref(rcpts);
        json_decref(transfers);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const struct tt_rcpt *r = &rs[i];
        if (!rcpt_receives(r, purpose))
            continue;
        json_array_append_new(rcpts, json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", r->key, "name",
                                               r->name, "category", r->category, "role",
                                               tt_rrole_name(r->role), "country", r->country));
        int eea = a ? tt_adequacy_in_eea(a, r->country) : tt_policy_in_eea(p, r->country);
        if (eea)
            continue;
        const struct tt_adequacy_entry *ad = tt_adequacy_in_force(a, r->country, now);
        json_array_append_new(transfers,
                              json_pack("{s:s, s:s, s:s, s:b, s:s?}", "recipient", r->key,
                                        "country", r->country, "mechanism",
                                        tt_mechanism_name(r->mechanism), "tia_done", r->tia_done,
                                        "adequacy_in_force", ad ? ad->key : NULL));
    }
    json_object_set_new(act, "recipients", rcpts);
    json_object_set_new(act, "transfers", transfers);
    return 0;
}

static json_t *activity(const struct tt_policy *p, const struct tt_service *s,
                        const struct tt_purpose *pu, const struct tt_rcpt *rs, size_t n,
                        const struct tt_adequacy *a, tt_time now)
{
    char id[2 * TT_KEY_MAX];
    int pos = 0;
    for (const char *k = s ? s->key : "platform"; *k && pos < (int)sizeof id - 1; k++)
        id[pos++] = *k;
    id[pos++] = '/';
    for (const char *k = pu->key; *k && pos < (int)sizeof id - 1; k++)
        id[pos++] = *k;
    id[pos] = '\0';
    json_t *subjects = json_array();
    if (s)
        json_array_append_new(subjects, json_string("end_user"));
    for (size_t i = 0; !s && subjects && i < p->n_subject_kinds; i++)
        if (strcmp(p->subject_kinds[i], "end_user") != 0)
            json_array_append_new(subjects, json_string(p->subject_kinds[i]));
    json_t *sec = json_array();
    for (size_t i = 0; sec && i < sizeof security_measures / sizeof *security_measures; i++)
        json_array_append_new(sec, json_string(security_measures[i]));
    json_t *act = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:o, s:o, s:o, s:o}", "id", id,
        "service", s ? s->key : "platform", "service_name", s ? s->name : "", "purpose", pu->key,
        "purpose_name", pu->name ? pu->name : pu->key, "role", s ? "processor" : "controller",
        "controller", s ? "customer" : "platform", "legal_basis", "eea",
        tt_basis_name(pu->basis_eea), "other", tt_basis_name(pu->basis_other), "subject_categories",
        subjects ? subjects : json_array(), "data_categories", activity_categories(s, pu),
        "retention", retention_json(p, s ? s->retention : tt_ropa_platform_retention(p, pu)),
        "security_measures", sec ? sec : json_array());
    if (act && add_recipients(act, p, rs, n, a, pu->key, now) != 0) {
        json_decref(act);
        act = NULL;
    }
    return act;
}

json_t *tt_ropa_build(const struct tt_policy *p, const struct tt_rcpt *rs, size_t n,
                      const struct tt_adequacy *a, tt_time now)
{
    json_t *acts = json_array();
    int processor = 0, controller = 0, failed = !acts;
    for (size_t i = 0; !failed && i < p->n_services; i++) {
        const struct tt_service *s = &p->services[i];
        for (size_t j = 0; !failed && s->purposes && s->purposes[j]; j++) {
            const struct tt_purpose *pu = tt_policy_purpose(p, s->purposes[j]);
            if (!pu || pu->sale)
                continue;
            json_t *act = activity(p, s, pu, rs, n, a, now);
            failed = !act || json_array_append_new(acts, act) != 0;
            processor++;
        }
    }
    for (size_t i = 0; !failed && i < p->n_purposes; i++) {
        if (p->purposes[i].sale) /* S4.4: a sale is never a processing activity */
            continue;
        json_t *act = activity(p, NULL, &p->purposes[i], rs, n, a, now);
        failed = !act || json_array_append_new(acts, act) != 0;
        controller++;
    }
    char when[32];
    tt_time_format(now, when, sizeof when);
    json_t *doc = failed ? NULL
                         : json_pack("{s:s, s:s, s:s, s:i, s:i, s:O}", "format", "tutela-ropa/1",
                                     "policy_version", p->version, "generated_at", when,
                                     "processor_activities", processor, "controller_activities",
                                     controller, "activities", acts);
    json_decref(acts);
    return doc;
}
