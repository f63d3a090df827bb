/* SPDX-License-Identifier: Apache-2.0 */
/* policy_retention_check.c — the retention rules' checks at policy load that the schema cannot
 * express (issue 6, S7.0–S7.7): absurd durations, overrides that contradict or shadow each
 * other, withdrawal on a legal-obligation anchor, selectors that never match or tie. Reports
 * "FILE:LINE: reason" through the loader's collector; called once by tt__policy_build after the
 * policy is built. */
#include <string.h>

#include "policy_int.h"
#include "retention.h"
#include "yaml_doc.h"

static unsigned line_of(const struct tt__ynode *n, const char *key, unsigned fallback)
{
    const struct tt__ynode *v = tt__ydoc_get(n, key);
    return v ? v->line : n ? n->line : fallback;
}

/* 1 when broad ("US") covers narrow ("US-CA") as a prefix followed by '-'. */
static int covers(const char *broad, const char *narrow)
{
    size_t n = strlen(broad);
    return strncmp(broad, narrow, n) == 0 && narrow[n] == '-';
}

static void check_rule(const struct tt_retention *r, const struct tt__ynode *node,
                       struct tt__perr *e)
{
    unsigned line = node ? node->line : 0;
    const char *k = r->key ? r->key : "?";
    int dated = r->anchor == TT_ANCHOR_COLLECTED || r->anchor == TT_ANCHOR_EVENT ||
                r->anchor == TT_ANCHOR_LAST_INTERACTION;
    if (dated && r->months == 0)
        tt__perr_add(e, line_of(node, "months", line),
                     "retention '%s': 0 months from %s deletes data as it arrives", k,
                     r->anchor == TT_ANCHOR_EVENT ? "the event" : "collection");
    if (r->months > TT_RETENTION_MONTHS_ABSURD || r->max_months > TT_RETENTION_MONTHS_ABSURD)
        tt__perr_add(e, line_of(node, "months", line),
                     "retention '%s': more than %d months is not a retention period", k,
                     TT_RETENTION_MONTHS_ABSURD);
    if (r->ends_on_withdrawal && r->anchor == TT_ANCHOR_FINANCIAL_YEAR_END)
        tt__perr_add(e, line_of(node, "ends_on_withdrawal", line),
                     "retention '%s': a financial-year (legal obligation) rule cannot end on "
                     "consent withdrawal",
                     k);
    const struct tt__ynode *ovs = tt__ydoc_get(node, "overrides");
    for (size_t i = 0; i < r->n_overrides; i++) {
        const struct tt_retention_override *a = &r->overrides[i];
        const struct tt__ynode *an =
            ovs && ovs->type == TT_Y_SEQ && i < ovs->n ? ovs->kids[i] : node;
        unsigned al = an ? an->line : line;
        if (!a->jurisdiction)
            continue;
        if (dated && a->months == 0)
            tt__perr_add(e, al, "retention '%s': override for %s keeps data 0 months", k,
                         a->jurisdiction);
        for (size_t j = 0; j < i; j++) {
            const struct tt_retention_override *b = &r->overrides[j];
            if (!b->jurisdiction)
                continue;
            if (strcmp(a->jurisdiction, b->jurisdiction) == 0 && a->months != b->months)
                tt__perr_add(e, al,
                             "retention '%s': overlapping overrides for %s with different "
                             "ends (%d and %d months); keep one",
                             k, a->jurisdiction, b->months, a->months);
            else if (covers(b->jurisdiction, a->jurisdiction) && a->months != b->months)
                tt__perr_add(e, al,
                             "retention '%s': override for %s is shadowed by the earlier %s "
                             "(the first match wins); list %s first",
                             k, a->jurisdiction, b->jurisdiction, a->jurisdiction);
        }
    }
}

static int same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The node of the j-th selector of a rule's applies_to list (or the rule's node). */
static const struct tt__ynode *selector_node(const struct tt__ynode *rule, size_t j)
{
    const struct tt__ynode *l = tt__ydoc_get(rule, "applies_to");
    return l && l->type == TT_Y_SEQ && j < l->n ? l->kids[j] : rule;
}

/* Selectors (issue 6): one that names a service must name a category or purpose that service
 * processes (else it can never match); two selectors naming the same service, category and
 * purpose would tie, so the second is refused whatever rule it points to. */
static void check_selectors(const struct tt_policy *p, const struct tt__ynode *seq,
                            struct tt__perr *e)
{
    for (size_t i = 0; i < p->n_retention; i++) {
        const struct tt_retention *r = &p->retention[i];
        const struct tt__ynode *rn =
            seq && seq->type == TT_Y_SEQ && i < seq->n ? seq->kids[i] : NULL;
        for (size_t j = 0; j < r->n_applies_to; j++) {
            const struct tt_retention_selector *a = &r->applies_to[j];
            const struct tt__ynode *an = selector_node(rn, j);
            unsigned al = an ? an->line : 0;
            const struct tt_service *sv = a->service ? tt_policy_service(p, a->service) : NULL;
            if (sv && a->category && !tt_policy_service_has_category(sv, a->category))
                tt__perr_add(e, line_of(an, "category", al),
                             "retention '%s': service '%s' never processes category '%s', so "
                             "this selector can never match",
                             r->key, a->service, a->category);
            if (sv && a->purpose && !tt_policy_service_has_purpose(sv, a->purpose))
                tt__perr_add(e, line_of(an, "purpose", al),
                             "retention '%s': service '%s' is never used for purpose '%s', so "
                             "this selector can never match",
                             r->key, a->service, a->purpose);
            for (size_t k = 0; k <= i; k++) {
                const struct tt_retention *q = &p->retention[k];
                size_t upto = k == i ? j : q->n_applies_to;
                for (size_t m = 0; m < upto; m++) {
                    const struct tt_retention_selector *b = &q->applies_to[m];
                    if (same(a->service, b->service) && same(a->category, b->category) &&
                        same(a->purpose, b->purpose))
                        tt__perr_add(e, al,
                                     "retention '%s': overlapping selector, rule '%s' already "
                                     "governs the same service/category/purpose; keep one",
                                     r->key, q->key);
                }
            }
        }
    }
}

void tt__policy_retention_check(const struct tt_policy *p, const struct tt__ynode *root,
                                struct tt__perr *e)
{
    if (!p || !e)
        return;
    const struct tt__ynode *seq = tt__ydoc_get(root, "retention");
    for (size_t i = 0; i < p->n_retention; i++) {
        const struct tt__ynode *node =
            seq && seq->type == TT_Y_SEQ && i < seq->n ? seq->kids[i] : NULL;
        check_rule(&p->retention[i], node, e);
    }
    check_selectors(p, seq, e);
}
