/* SPDX-License-Identifier: Apache-2.0 */
/* retention_plan.h — the policy's retention rules as an ordered list of cases, for a store to
 * compute every record's retention end in one set-based statement (issue 6, S7.0–S7.7). Pure.
 *
 * The first case a record (service, data category, purpose) matches names its rule: the cases are
 * the rules' applies_to selectors from the most specific to the least (the order of
 * tt_retention_rule_for in core/retention.h), then each service's own `retention` rule. A record
 * that matches no case has no rule (its end is 0, open). Evaluating the cases in order therefore
 * gives the same rule as tt_retention_rule_for for every record. */
#ifndef TT_CORE_RETENTION_PLAN_H
#define TT_CORE_RETENTION_PLAN_H

#include <stddef.h>

#include "policy.h"

struct tt_end_case {
    const char *service;  /* NULL = any */
    const char *category; /* NULL = any */
    const char *purpose;  /* NULL = any */
    size_t rule;          /* index into policy->retention */
};

struct tt_end_plan {
    const struct tt_policy *policy; /* borrowed: outlives the plan */
    struct tt_end_case *cases;      /* owned, in evaluation order */
    size_t n_cases;
};

/* Builds the plan of p into *out. Returns 0, or -1 when out of memory (*out then empty). A
 * service naming an unknown rule (the loader refuses it) contributes no case. */
int tt_end_plan_build(const struct tt_policy *p, struct tt_end_plan *out);

/* Frees what tt_end_plan_build allocated; the plan may be zeroed or built. */
void tt_end_plan_free(struct tt_end_plan *plan);

/* 1 when rule needs the time the record's purpose was withdrawn: anchored on the withdrawal, or
 * ended by it (S7.3). */
int tt_end_rule_needs_withdrawal(const struct tt_retention *rule);

#endif
