/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_ropa.h — records of processing activities (GDPR art. 30) generated from the policy and
 * the recipient registry, so the record and the enforcement come from one source. Pure: builds a
 * JSON document (jansson, hence outside core/, whose libtutela carries no JSON); rendering
 * to CSV and HTML is the CLI's. Thread safe. */
#ifndef TT_API_RECIPIENTS_ROPA_H
#define TT_API_RECIPIENTS_ROPA_H

#include <jansson.h>
#include <stddef.h>

#include "../core/adequacy.h"
#include "../core/policy.h"
#include "../core/transfer.h"

/* The retention rule key a purpose of the platform's own processing falls under (S7): marketing
 * purposes "marketing", finance purposes "financial", privacy-compliance records
 * "consent_proof", anything else "contract" — each only when the policy defines that rule,
 * else NULL. */
const char *tt_ropa_platform_retention(const struct tt_policy *p, const struct tt_purpose *pu);

/* Builds {"policy_version", "generated_at", "controller_activities": n, "processor_activities":
 * n, "activities": [...]}: one activity per service x purpose of the data map (the platform as
 * processor, the customer as controller, S1.4) and one per purpose of the platform's own
 * processing (controller), never for a sale purpose (S4.4). Each activity: id, service, purpose,
 * names, role, legal_basis {eea, other}, subject_categories, data_categories, recipients (the
 * approved registry recipients receiving that purpose: key, name, role, country), transfers
 * (those outside the EEA: mechanism, tia_done, adequacy decision in force), retention {rule,
 * months, anchor, requirement}, security_measures (catalogue keys). rs may be NULL (n 0).
 * Returns a new reference, or NULL when memory runs out. */
json_t *tt_ropa_build(const struct tt_policy *p, const struct tt_rcpt *rs, size_t n,
                      const struct tt_adequacy *a, tt_time now);

#endif
