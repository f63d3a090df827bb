/* SPDX-License-Identifier: Apache-2.0 */
/* transfer.c — the sharing gate's rules: S4.3 (vetted, bound by a DPA, or an independent
 * controller with a legal basis), S4.4 (never a sale), S5.1 (outside the EEA a mechanism and,
 * for contractual mechanisms, a TIA), S5.2 (a lapsed adequacy decision refuses until fixed). */
#include "transfer.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

static const char *const reason_names[TT_GATE__COUNT] = {
    "not_approved",
    "not_vetted",
    "no_dpa",
    "no_legal_basis",
    "no_transfer_mechanism",
    "no_tia",
    "adequacy_lapsed",
    "flagged",
    "sale_prohibited",
    "purpose_not_received",
    "category_not_received",
    "unknown_purpose",
};
static const char *const status_names[] = {"proposed", "vetted", "approved", "suspended"};
static const char *const mech_names[] = {"none", "adequacy", "scc", "bcr", "derogation"};
static const char *const role_names[] = {"processor", "subprocessor", "controller", "conduit",
                                         "authority"};

#define N(a) (sizeof(a) / sizeof *(a))

static int parse_name(const char *s, const char *const *names, size_t n, int *out)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    return -TT_E_BAD_FIELD;
}

const char *tt_gate_reason_name(enum tt_gate_reason r)
{
    return (unsigned)r < TT_GATE__COUNT ? reason_names[r] : "unknown";
}

const char *tt_rcpt_status_name(enum tt_rcpt_status s)
{
    return (unsigned)s < N(status_names) ? status_names[s] : "unknown";
}

int tt_rcpt_status_parse(const char *s, enum tt_rcpt_status *out)
{
    int v;
    if (parse_name(s, status_names, N(status_names), &v))
        return -TT_E_BAD_FIELD;
    *out = (enum tt_rcpt_status)v;
    return 0;
}

const char *tt_mechanism_name(enum tt_mechanism m)
{
    return (unsigned)m < N(mech_names) ? mech_names[m] : "unknown";
}

int tt_mechanism_parse(const char *s, enum tt_mechanism *out)
{
    int v;
    if (parse_name(s, mech_names, N(mech_names), &v))
        return -TT_E_BAD_FIELD;
    *out = (enum tt_mechanism)v;
    return 0;
}

const char *tt_rrole_name(enum tt_recipient_role r)
{
    return (unsigned)r < N(role_names) ? role_names[r] : "unknown";
}

int tt_rrole_parse(const char *s, enum tt_recipient_role *out)
{
    int v;
    if (parse_name(s, role_names, N(role_names), &v))
        return -TT_E_BAD_FIELD;
    *out = (enum tt_recipient_role)v;
    return 0;
}

static int in_list(const char (*list)[TT_KEY_MAX], int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], key) == 0)
            return 1;
    return 0;
}

int tt_transfer_lapsed(const struct tt_rcpt *r, const struct tt_adequacy *a, tt_time now,
                       char *reason, size_t reason_size)
{
    if (!r || r->mechanism != TT_MECH_ADEQUACY || tt_adequacy_in_eea(a, r->country))
        return 0;
    const struct tt_adequacy_entry *in_force = tt_adequacy_in_force(a, r->country, now);
    /* relying on one named decision: that one must be in force, not merely another one */
    int ok = in_force && (!r->adequacy_key[0] || strcmp(in_force->key, r->adequacy_key) == 0);
    if (!ok && r->adequacy_key[0]) {
        const struct tt_adequacy_entry *named = tt_adequacy_get(a, r->adequacy_key);
        ok = named && named->from <= now && (!named->until || now < named->until) &&
             strncmp(named->country, r->country, 2) == 0;
    }
    if (ok)
        return 0;
    if (reason && reason_size)
        snprintf(reason, reason_size, "adequacy_lapsed:%s",
                 r->adequacy_key[0] ? r->adequacy_key : r->country);
    return 1;
}

uint32_t tt_transfer_requirements(const struct tt_rcpt *r, const struct tt_policy *p,
                                  const struct tt_adequacy *a, tt_time now)
{
    uint32_t why = 0;
    if (!r->vetted_at || !r->vetting_passed)
        why |= 1u << TT_GATE_NOT_VETTED;
    /* S4.3: processors are bound by a DPA; an independent controller needs its own basis;
     * authorities receive only under a legal instrument (checked by the caller) */
    if ((r->role == TT_RROLE_PROCESSOR || r->role == TT_RROLE_SUBPROCESSOR) && !r->dpa_ref[0])
        why |= 1u << TT_GATE_NO_DPA;
    if (r->role == TT_RROLE_CONTROLLER && r->basis == TT_BASIS_NONE)
        why |= 1u << TT_GATE_NO_BASIS;
    /* S5.1: outside the EEA */
    int eea = a ? tt_adequacy_in_eea(a, r->country) : tt_policy_in_eea(p, r->country);
    if (!eea) {
        if (r->mechanism == TT_MECH_NONE)
            why |= 1u << TT_GATE_NO_MECHANISM;
        else if (r->mechanism == TT_MECH_ADEQUACY) {
            if (tt_transfer_lapsed(r, a, now, NULL, 0))
                why |= 1u << TT_GATE_ADEQUACY_LAPSED;
        } else if (r->mechanism != TT_MECH_DEROGATION && !r->tia_done)
            /* choice: a derogation (art. 49) is case by case and needs no TIA; SCC and BCR do */
            why |= 1u << TT_GATE_NO_TIA;
    }
    return why;
}

int tt_gate_err(uint32_t reasons, enum tt_rcpt_status status)
{
    static const struct {
        enum tt_gate_reason reason;
        int err;
    } order[] = {
        {TT_GATE_UNKNOWN_PURPOSE, TT_E_UNKNOWN_PURPOSE},
        {TT_GATE_SALE, TT_E_SALE_PROHIBITED},
        {TT_GATE_NOT_APPROVED, TT_E_RECIPIENT_NOT_APPROVED},
        {TT_GATE_FLAGGED, TT_E_RECIPIENT_FLAGGED},
        {TT_GATE_NOT_VETTED, TT_E_RECIPIENT_NOT_VETTED},
        {TT_GATE_NO_DPA, TT_E_RECIPIENT_NO_DPA},
        {TT_GATE_NO_BASIS, TT_E_RECIPIENT_NO_BASIS},
        {TT_GATE_NO_MECHANISM, TT_E_TRANSFER_NO_MECHANISM},
        {TT_GATE_ADEQUACY_LAPSED, TT_E_ADEQUACY_LAPSED},
        {TT_GATE_NO_TIA, TT_E_TRANSFER_NO_TIA},
        {TT_GATE_PURPOSE, TT_E_NOT_RECEIVED},
        {TT_GATE_CATEGORY, TT_E_NOT_RECEIVED},
    };
    for (size_t i = 0; i < N(order); i++)
        if (reasons & (1u << order[i].reason)) {
            if (order[i].reason == TT_GATE_NOT_APPROVED && status == TT_RSTATUS_SUSPENDED)
                return TT_E_RECIPIENT_SUSPENDED;
            return order[i].err;
        }
    return 0;
}

int tt_transfer_check(const struct tt_rcpt *r, const struct tt_policy *p,
                      const struct tt_adequacy *a, const char *purpose, const char *category,
                      tt_time now, uint32_t *reasons)
{
    if (!r || !p || !purpose || !reasons)
        return -TT_E_BAD_PARAM;
    uint32_t why = tt_transfer_requirements(r, p, a, now);
    const struct tt_purpose *pu = tt_policy_purpose(p, purpose);
    if (!pu)
        why |= 1u << TT_GATE_UNKNOWN_PURPOSE;
    else if (pu->sale)
        why |= 1u << TT_GATE_SALE; /* S4.4: whoever the recipient */
    if (r->status != TT_RSTATUS_APPROVED)
        why |= 1u << TT_GATE_NOT_APPROVED;
    if (r->flagged_at)
        why |= 1u << TT_GATE_FLAGGED;
    if (pu && r->n_purposes && !in_list(r->purposes, r->n_purposes, purpose))
        why |= 1u << TT_GATE_PURPOSE;
    if (category && r->n_categories && !in_list(r->categories, r->n_categories, category))
        why |= 1u << TT_GATE_CATEGORY;
    *reasons = why;
    return 0;
}

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void tt_rcpt_from_policy(const struct tt_policy *p, const struct tt_recipient *pr,
                         const char *tenant_id, tt_time now, struct tt_rcpt *out)
{
    memset(out, 0, sizeof *out);
    copy(out->tenant_id, sizeof out->tenant_id, tenant_id);
    copy(out->key, sizeof out->key, pr->key);
    copy(out->name, sizeof out->name, pr->name);
    copy(out->category, sizeof out->category, pr->category);
    copy(out->country, sizeof out->country, pr->country);
    out->role = pr->role;
    out->status = pr->approved ? TT_RSTATUS_APPROVED : TT_RSTATUS_PROPOSED;
    out->vetted_at = pr->approved ? now : 0;
    out->vetting_passed = pr->approved;
    if (pr->approved && (pr->role == TT_RROLE_PROCESSOR || pr->role == TT_RROLE_SUBPROCESSOR))
        snprintf(out->dpa_ref, sizeof out->dpa_ref, "policy:%s", p->version);
    if (tt_mechanism_parse(pr->transfer_mechanism, &out->mechanism) != 0)
        out->mechanism = TT_MECH_NONE;
    out->tia_done = pr->tia_done;
    for (size_t i = 0; pr->purposes && pr->purposes[i] && out->n_purposes < TT_RCPT_LIST_MAX; i++)
        copy(out->purposes[out->n_purposes++], TT_KEY_MAX, pr->purposes[i]);
    if (pr->role == TT_RROLE_CONTROLLER && out->n_purposes) {
        const struct tt_purpose *pu = tt_policy_purpose(p, out->purposes[0]);
        out->basis = pu ? pu->basis_eea : TT_BASIS_NONE;
    }
    out->public_listed = pr->role == TT_RROLE_PROCESSOR || pr->role == TT_RROLE_SUBPROCESSOR;
    out->created_at = out->updated_at = now;
}
