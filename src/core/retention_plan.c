/* SPDX-License-Identifier: Apache-2.0 */
/* retention_plan.c — the retention rules as ordered cases (retention_plan.h). */
#include "retention_plan.h"

#include <stdlib.h>
#include <string.h>

/* The rank of tt_retention_rule_for (core/retention.c): more fields named first, then category
 * over purpose over service. */
static int case_rank(const struct tt_end_case *c)
{
    int fields = !!c->service + !!c->category + !!c->purpose;
    return fields * 8 + (c->category ? 4 : 0) + (c->purpose ? 2 : 0) + (c->service ? 1 : 0);
}

static int by_rank_desc(const void *a, const void *b)
{
    int ra = case_rank(a), rb = case_rank(b);
    return (ra < rb) - (ra > rb);
}

int tt_end_plan_build(const struct tt_policy *p, struct tt_end_plan *out)
{
    memset(out, 0, sizeof *out);
    out->policy = p;
    size_t n_sel = 0;
    for (size_t i = 0; i < p->n_retention; i++)
        n_sel += p->retention[i].n_applies_to;
    size_t cap = n_sel + p->n_services;
    out->cases = calloc(cap ? cap : 1, sizeof *out->cases);
    if (!out->cases)
        return -1;
    for (size_t i = 0; i < p->n_retention; i++)
        for (size_t j = 0; j < p->retention[i].n_applies_to; j++) {
            const struct tt_retention_selector *s = &p->retention[i].applies_to[j];
            out->cases[out->n_cases++] =
                (struct tt_end_case){s->service, s->category, s->purpose, i};
        }
    /* selectors name a category or a purpose, so each outranks every service's own rule */
    qsort(out->cases, out->n_cases, sizeof *out->cases, by_rank_desc);
    for (size_t i = 0; i < p->n_services; i++) {
        const struct tt_service *sv = &p->services[i];
        const struct tt_retention *r = sv->retention ? tt_policy_retention(p, sv->retention) : NULL;
        if (r)
            out->cases[out->n_cases++] =
                (struct tt_end_case){sv->key, NULL, NULL, (size_t)(r - p->retention)};
    }
    return 0;
}

void tt_end_plan_free(struct tt_end_plan *plan)
{
    free(plan->cases);
    plan->cases = NULL;
    plan->n_cases = 0;
}

int tt_end_rule_needs_withdrawal(const struct tt_retention *rule)
{
    return rule->ends_on_withdrawal || rule->anchor == TT_ANCHOR_CONSENT_WITHDRAWN;
}
