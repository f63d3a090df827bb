/* SPDX-License-Identifier: Apache-2.0 */
/* rcpt_state.c — the registry's life cycle: vet, approve, suspend, edits of an approved entry and
 * the S5.2 flag (see rcpt_state.h for the rules). */
#include "rcpt_state.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

int tt_rcpt_vet(struct tt_rcpt *r, int passed, const char *notes, tt_time at, tt_time now)
{
    if (!r || at <= 0 || at > now)
        return -TT_E_BAD_PARAM;
    r->vetted_at = at;
    r->vetting_passed = passed != 0;
    snprintf(r->vetting_notes, sizeof r->vetting_notes, "%s", notes ? notes : "");
    if (passed && r->status == TT_RSTATUS_PROPOSED)
        r->status = TT_RSTATUS_VETTED;
    else if (!passed && r->status == TT_RSTATUS_VETTED)
        r->status = TT_RSTATUS_PROPOSED;
    else if (!passed && r->status == TT_RSTATUS_APPROVED) {
        r->status = TT_RSTATUS_SUSPENDED;
        snprintf(r->status_reason, sizeof r->status_reason, "vetting failed");
    }
    r->updated_at = now;
    return 0;
}

int tt_rcpt_approve(struct tt_rcpt *r, const struct tt_policy *p, const struct tt_adequacy *a,
                    tt_time now, uint32_t *why)
{
    *why = 0;
    if (r->status == TT_RSTATUS_PROPOSED || (r->status == TT_RSTATUS_APPROVED && !r->flagged_at))
        return -TT_E_INVALID_STATE;
    *why = tt_transfer_requirements(r, p, a, now);
    if (*why)
        return -tt_gate_err(*why, r->status);
    r->status = TT_RSTATUS_APPROVED;
    r->flagged_at = 0;
    r->flag_reason[0] = '\0';
    r->status_reason[0] = '\0';
    r->updated_at = now;
    return 0;
}

int tt_rcpt_suspend(struct tt_rcpt *r, const char *reason, tt_time now)
{
    size_t i = 0;
    while (reason && (reason[i] == ' ' || reason[i] == '\t'))
        i++;
    if (!reason || !reason[i])
        return -TT_E_BAD_FIELD;
    if (r->status == TT_RSTATUS_SUSPENDED)
        return -TT_E_INVALID_STATE;
    r->status = TT_RSTATUS_SUSPENDED;
    snprintf(r->status_reason, sizeof r->status_reason, "%s", reason);
    r->updated_at = now;
    return 0;
}

int tt_rcpt_edit_check(const struct tt_rcpt *before, struct tt_rcpt *after,
                       const struct tt_policy *p, const struct tt_adequacy *a, tt_time now,
                       uint32_t *why, int *unflagged)
{
    *why = tt_transfer_requirements(after, p, a, now);
    *unflagged = 0;
    if (after->status == TT_RSTATUS_APPROVED && *why)
        return -tt_gate_err(*why, after->status);
    if (before->flagged_at && !*why) {
        after->flagged_at = 0;
        after->flag_reason[0] = '\0';
        *unflagged = 1;
    }
    return 0;
}

int tt_rcpt_reevaluate(struct tt_rcpt *r, const struct tt_adequacy *a, tt_time now)
{
    char reason[TT_KEY_MAX];
    if (r->flagged_at || !tt_transfer_lapsed(r, a, now, reason, sizeof reason))
        return 0;
    r->flagged_at = now;
    snprintf(r->flag_reason, sizeof r->flag_reason, "%s", reason);
    r->updated_at = now;
    return 1;
}
