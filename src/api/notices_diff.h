/* SPDX-License-Identifier: Apache-2.0 */
/* notices_diff.h — the diff of two policies that proposes whether a new notice version
 * substantially affects rights (S12.1): `tutela notice diff` and the notice job. Pure (jansson
 * output, hence outside core/); thread safe. */
#ifndef TT_API_NOTICES_DIFF_H
#define TT_API_NOTICES_DIFF_H

#include <jansson.h>

#include "../core/policy.h"

/* Compares two policies. Returns {"from", "to", "substantial": bool, "changes": [{"kind",
 * "key", "substantial", "before"?, "after"?}]} where kind is one of new_purpose,
 * removed_purpose, basis_changed, longer_retention, shorter_retention, new_recipient_category,
 * new_transfer, new_recipient, removed_recipient, new_service, new_service_category. A new
 * purpose, a longer retention, a new recipient category, a new transfer outside the EEA and a
 * changed legal basis are substantial (S12.1). NULL when memory runs out. */
json_t *tt_notice_diff(const struct tt_policy *old, const struct tt_policy *new);

#endif
