/* SPDX-License-Identifier: Apache-2.0 */
/* retention.h — when a record's retention ends (S7), from the policy's rules. Pure. */
#ifndef TT_CORE_RETENTION_H
#define TT_CORE_RETENTION_H

#include "policy.h"

/* The months a rule keeps data for a subject of that jurisdiction: the jurisdiction's override
 * when there is one (S7.0, S7.1), else the rule's default. */
int tt_retention_months(const struct tt_retention *rule, const char *jurisdiction);

/* The retention end of a record collected at collected_at under rule, for a subject of that
 * jurisdiction. Returns 0 ("open") when the rule's anchor is an event that has not happened yet
 * (contract end, consent withdrawal): the sweep sets the end when it happens. Collecting counts
 * as an interaction, so a last-interaction rule starts from collected_at (S7.3).
 * S7.4: the financial-year anchor counts from 31 December 23:59:59 UTC of the collection year. */
tt_time tt_retention_end(const struct tt_retention *rule, const char *jurisdiction,
                         tt_time collected_at);

/* The rule that governs a record of that service, data category and purpose (each may be NULL):
 * the most specific selector (applies_to) of any rule that matches all the fields it names wins,
 * in this order (docs/retention.md):
 *   1. service + category + purpose
 *   2. category + purpose      3. service + category      4. service + purpose
 *   5. category                6. purpose
 *   7. the service's own `retention` rule.
 * Two selectors of one rank cannot both match (the policy check refuses ties), so the answer
 * never depends on the order of the file. NULL when nothing applies (the record then has no end
 * of its own). */
const struct tt_retention *tt_retention_rule_for(const struct tt_policy *p, const char *service,
                                                 const char *category, const char *purpose);

/* Events a rule may be anchored to, as known for the record's subject (0 = not happened). */
struct tt_retention_events {
    tt_time contract_ended_at;    /* S7.2, S7.3: the contract / service ended */
    tt_time consent_withdrawn_at; /* S7.3: withdrawal or unsubscribe */
};

/* Like tt_retention_end, with the anchor events that have happened: a contract-end rule counts
 * its months from the contract end (never before collection); a rule that ends on withdrawal
 * ends at the withdrawal when that comes first. Still 0 ("open") while the anchor has not
 * happened. ev may be NULL (no event). */
tt_time tt_retention_end_ev(const struct tt_retention *rule, const char *jurisdiction,
                            tt_time collected_at, const struct tt_retention_events *ev);

/* Policy-load checks of the retention rules beyond the schema (issue 6): absurd durations (a
 * rule or override that keeps data 0 months from collection, or longer than
 * TT_RETENTION_MONTHS_ABSURD), an override listed twice for one jurisdiction with different
 * months (refused), an override that an earlier, broader one shadows (refused: the exact code
 * must come first), a withdrawal-ended rule anchored on the financial year (refused: a legal
 * obligation is not ended by withdrawal), a selector naming a service that never processes its
 * category or purpose, two selectors naming the same service/category/purpose (refused: a tie).
 * Problems are recorded as "FILE:LINE: reason" through the loader's collector (core/policy_int.h).
 * Called by the loader once the policy is built. */
#define TT_RETENTION_MONTHS_ABSURD 1200
struct tt__ynode;
struct tt__perr;
void tt__policy_retention_check(const struct tt_policy *p, const struct tt__ynode *root,
                                struct tt__perr *e);

#endif
