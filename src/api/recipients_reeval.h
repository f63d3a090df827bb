/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_reeval.h — S5.2 re-evaluation of the registry: when the adequacy list changes (a
 * policy reload of `tutela serve`, `tutela recipients reevaluate`) or a decision's end date
 * passes, every entry whose transfer relies on an adequacy decision no longer in force is flagged
 * (flagged_at, flag_reason) and its disclosures are refused until a DPO fixes it (a new mechanism
 * through an edit, or a re-approval). Used by the recipients.reevaluate job and the CLI. */
#ifndef TT_API_RECIPIENTS_REEVAL_H
#define TT_API_RECIPIENTS_REEVAL_H

#include <stdint.h>

#include "../core/adequacy.h"
#include "../store/store.h"

/* Re-evaluates the entries of one tenant (tenant_id) or of every tenant (NULL) against a at
 * now; each newly flagged entry is written with an audit event "recipient.flag" by actor in one
 * transaction per tenant. *flagged (may be NULL) counts the entries flagged by this call.
 * Returns 0 or -TT_E_STORE / -TT_E_UNAVAILABLE / -TT_E_NOMEM. */
int tt_rcpt_reevaluate_all(struct tt_store *s, const struct tt_adequacy *a, const char *tenant_id,
                           tt_time now, const char *actor, int64_t *flagged);

#endif
