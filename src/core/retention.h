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

#endif
