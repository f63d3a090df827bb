/* SPDX-License-Identifier: Apache-2.0 */
/* notices_diff.c — what changed between two policies, and whether it substantially affects
 * rights (S12.1): a new purpose, a longer retention, a new recipient category, a new transfer
 * outside the EEA, a changed legal basis. */
#include "notices_diff.h"

#include <string.h>

#include "../core/retention.h"

static int add(json_t *changes, const char *kind, const char *key, int substantial, json_t *before,
               json_t *after)
{
    json_t *c = json_pack("{s:s, s:s, s:b}", "kind", kind, "key", key, "substantial", substantial);
    if (!c) {
        json_decref(before);
        json_decref(after);
        return -1;
    }
    if (before)
        json_object_set_new(c, "before", before);
    if (after)
        json_object_set_new(c, "after", after);
    return json_array_append_new(changes, c);
}

static int recipient_category_used(const struct tt_policy *p, const char *cat)
{
    for (size_t i = 0; i < p->n_recipients; i++)
        if (p->recipients[i].category && strcmp(p->recipients[i].category, cat) == 0)
            return 1;
    return 0;
}

static int transfers_to(const struct tt_policy *p, const struct tt_recipient *r)
{
    return r->country && !tt_policy_in_eea(p, r->country);
}

/* 1 when some record the selector covers is kept longer under n than under o: the rule each
 * policy picks for it (core/retention.h precedence), over every service it can concern. */
static int selector_longer(const struct tt_policy *o, const struct tt_policy *n,
                           const struct tt_retention_selector *sel, const char **before,
                           const char **after)
{
    for (size_t i = 0; i < n->n_services; i++) {
        const char *svc = n->services[i].key;
        if (sel->service && strcmp(sel->service, svc) != 0)
            continue;
        const struct tt_retention *was = tt_retention_rule_for(o, svc, sel->category, sel->purpose);
        const struct tt_retention *is = tt_retention_rule_for(n, svc, sel->category, sel->purpose);
        if (was && is && (is->months > was->months || is->max_months > was->max_months)) {
            *before = was->key;
            *after = is->key;
            return 1;
        }
    }
    return 0;
}

static int change_named(const json_t *ch, const char *kind, const char *key)
{
    size_t i;
    const json_t *c;
    json_array_foreach(ch, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "kind")), kind) == 0 &&
            strcmp(json_string_value(json_object_get(c, "key")), key) == 0)
            return 1;
    }
    return 0;
}

/* Rules by data category or purpose (issue 6): a selector added, moved or dropped so that the
 * records it covers fall under a longer rule lengthens retention (S12.1). Once per rule. */
static int selectors_longer(json_t *ch, const struct tt_policy *o, const struct tt_policy *n)
{
    const struct tt_policy *side[2] = {n, o};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < side[k]->n_retention; i++) {
            const struct tt_retention *r = &side[k]->retention[i];
            for (size_t j = 0; j < r->n_applies_to; j++) {
                const char *before, *after;
                if (!selector_longer(o, n, &r->applies_to[j], &before, &after) ||
                    change_named(ch, "longer_retention", after))
                    continue;
                if (add(ch, "longer_retention", after, 1, json_string(before), json_string(after)))
                    return -1;
            }
        }
    }
    return 0;
}

json_t *tt_notice_diff(const struct tt_policy *o, const struct tt_policy *n)
{
    json_t *ch = json_array();
    int bad = !ch;
    for (size_t i = 0; !bad && i < n->n_purposes; i++) {
        const struct tt_purpose *np = &n->purposes[i], *op = tt_policy_purpose(o, np->key);
        if (!op)
            bad |= add(ch, "new_purpose", np->key, 1, NULL, NULL);
        else if (op->basis_eea != np->basis_eea || op->basis_other != np->basis_other)
            bad |= add(ch, "basis_changed", np->key, 1, json_string(tt_basis_name(op->basis_eea)),
                       json_string(tt_basis_name(np->basis_eea)));
    }
    for (size_t i = 0; !bad && i < o->n_purposes; i++)
        if (!tt_policy_purpose(n, o->purposes[i].key))
            bad |= add(ch, "removed_purpose", o->purposes[i].key, 0, NULL, NULL);
    for (size_t i = 0; !bad && i < n->n_retention; i++) {
        const struct tt_retention *nr = &n->retention[i], * or = tt_policy_retention(o, nr->key);
        if (! or)
            continue;
        int longer = nr->months > or->months || nr->max_months > or->max_months;
        int shorter = nr->months < or->months || nr->max_months < or->max_months;
        if (longer || shorter)
            bad |= add(ch, longer ? "longer_retention" : "shorter_retention", nr->key, longer,
                       json_integer(or->months), json_integer(nr->months));
    }
    for (size_t i = 0; !bad && i < n->n_services; i++) {
        const struct tt_service *ns = &n->services[i], *os = tt_policy_service(o, ns->key);
        if (!os) {
            bad |= add(ch, "new_service", ns->key, 0, NULL, NULL);
            continue;
        }
        /* a service switched to a longer retention rule lengthens retention too */
        const struct tt_retention *orr = tt_policy_retention(o, os->retention);
        const struct tt_retention *nrr = tt_policy_retention(n, ns->retention);
        if (orr && nrr && strcmp(os->retention, ns->retention) != 0 && nrr->months > orr->months)
            bad |= add(ch, "longer_retention", ns->key, 1, json_string(os->retention),
                       json_string(ns->retention));
        for (size_t k = 0; !bad && ns->categories && ns->categories[k]; k++)
            if (!tt_policy_service_has_category(os, ns->categories[k]))
                bad |= add(ch, "new_service_category", ns->key, 0, NULL,
                           json_string(ns->categories[k]));
        for (size_t k = 0; !bad && ns->purposes && ns->purposes[k]; k++)
            if (!tt_policy_service_has_purpose(os, ns->purposes[k]))
                bad |= add(ch, "new_purpose", ns->key, 1, NULL, json_string(ns->purposes[k]));
    }
    if (!bad)
        bad |= selectors_longer(ch, o, n);
    for (size_t i = 0; !bad && i < n->n_recipients; i++) {
        const struct tt_recipient *nr = &n->recipients[i], * or = tt_policy_recipient(o, nr->key);
        if (nr->category && !recipient_category_used(o, nr->category)) {
            bad |= add(ch, "new_recipient_category", nr->category, 1, NULL, json_string(nr->key));
            continue;
        }
        if (transfers_to(n, nr) && (! or || !transfers_to(o, or)))
            bad |= add(ch, "new_transfer", nr->key, 1, NULL, json_string(nr->country));
        else if (! or)
            bad |= add(ch, "new_recipient", nr->key, 0, NULL, NULL);
    }
    for (size_t i = 0; !bad && i < o->n_recipients; i++)
        if (!tt_policy_recipient(n, o->recipients[i].key))
            bad |= add(ch, "removed_recipient", o->recipients[i].key, 0, NULL, NULL);
    if (bad) {
        json_decref(ch);
        return NULL;
    }
    int substantial = 0;
    for (size_t i = 0; i < json_array_size(ch); i++)
        substantial |= json_is_true(json_object_get(json_array_get(ch, i), "substantial"));
    return json_pack("{s:s, s:s, s:b, s:o}", "from", o->version, "to", n->version, "substantial",
                     substantial, "changes", ch);
}
