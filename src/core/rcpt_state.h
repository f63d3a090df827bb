/* SPDX-License-Identifier: Apache-2.0 */
/* rcpt_state.h — the registry's life cycle (S4.3, S5.2): proposed -> vetted -> approved, and
 * suspended from anywhere. Pure functions on a struct tt_rcpt: they check that the event is
 * allowed in the entry's state and that an approval meets every requirement, then change the
 * entry in place; on refusal the entry is untouched. No I/O, no allocation; thread safe.
 *
 *   vet      any state: records the date, outcome and notes. A pass moves a proposed entry to
 *            vetted (a suspended one stays suspended until approved again); a failure moves a
 *            vetted one back to proposed and an approved one to suspended (nothing more is
 *            shared with a vendor that failed).
 *   approve  from vetted, from suspended, or an approved entry flagged by a re-evaluation (a
 *            re-approval): only when tt_transfer_requirements is 0; clears the flag.
 *   suspend  from any state but suspended, with a reason.
 *   edit     tt_rcpt_edit_check: an approved entry must still meet the requirements after an
 *            edit (suspend it first to make it non-compliant); a flagged entry whose edit makes
 *            it compliant again (a new mechanism) is unflagged. */
#ifndef TT_CORE_RCPT_STATE_H
#define TT_CORE_RCPT_STATE_H

#include <stdint.h>

#include "transfer.h"

/* Vets r at `at` (<= now) with the outcome. Returns 0 or -TT_E_BAD_PARAM (at in the future or
 * 0, NULL r). */
int tt_rcpt_vet(struct tt_rcpt *r, int passed, const char *notes, tt_time at, tt_time now);

/* Approves r at now. Returns 0; -TT_E_INVALID_STATE when the state does not allow it (proposed,
 * or approved and not flagged) with *why 0; or the gate's problem code (tt_gate_err, negated)
 * with the unmet requirements in *why. */
int tt_rcpt_approve(struct tt_rcpt *r, const struct tt_policy *p, const struct tt_adequacy *a,
                    tt_time now, uint32_t *why);

/* Suspends r with reason (not blank). Returns 0, -TT_E_INVALID_STATE (already suspended) or
 * -TT_E_BAD_FIELD (blank reason). */
int tt_rcpt_suspend(struct tt_rcpt *r, const char *reason, tt_time now);

/* After an edit turned `before` into `after` (same entry): returns 0 and clears after's flag
 * when it was flagged and now meets the requirements (*unflagged 1); returns the gate's problem
 * code (negated, unmet requirements in *why) when an approved entry no longer meets them. */
int tt_rcpt_edit_check(const struct tt_rcpt *before, struct tt_rcpt *after,
                       const struct tt_policy *p, const struct tt_adequacy *a, tt_time now,
                       uint32_t *why, int *unflagged);

/* S5.2 re-evaluation of one entry at now: when its transfer basis lapsed and it is not flagged
 * yet, flags it (flagged_at = now, flag_reason) and returns 1; else 0 and r untouched. */
int tt_rcpt_reevaluate(struct tt_rcpt *r, const struct tt_adequacy *a, tt_time now);

#endif
