/* SPDX-License-Identifier: Apache-2.0 */
/* decide.h — the decision engine: may this tenant use this person's data for this purpose (and
 * category, service, recipient)? Pure: answers from the policy and the in-memory index at a
 * given time, allocates nothing. The public entry point tt_decide and the reason codes are in
 * include/tutela.h; this header adds what the server needs on top. */
#ifndef TT_CORE_DECIDE_H
#define TT_CORE_DECIDE_H

#include <stdint.h>

#include "index.h"
#include "policy.h"
#include "tutela.h"

#define TT_REASON_BIT(r) (1u << (r))

/* Like tt_decide, and also reports how the subject was found: *lookup (if non-NULL) is set to
 * TT_INDEX_FOUND, TT_INDEX_NONE or TT_INDEX_OTHER_TENANT (index.h), so the HTTP layer can tell
 * "a subject of another tenant" (404) from "no such subject" (a clean refusal). */
int tt_decide_ex(const struct tt_policy *policy, const struct tt_index *index, tt_time now,
                 const struct tt_decision_request *req, struct tt_decision *out, int *lookup);

/* Like tt_decide_batch, and also reports how each subject was found: lookups (if non-NULL,
 * n entries) as *lookup of tt_decide_ex. */
int tt_decide_batch_ex(const struct tt_policy *policy, const struct tt_index *index, tt_time now,
                       const struct tt_decision_request *reqs, size_t n, struct tt_decision *outs,
                       int *lookups);

/* Writes the names of the reasons in reasons (in code order) into names; returns how many. */
unsigned tt_reason_names(uint32_t reasons, const char *names[TT_REASON__COUNT]);

#endif
