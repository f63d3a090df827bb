/* SPDX-License-Identifier: Apache-2.0 */
/* deadline.h — rights-request deadlines (S8.4), pure calendar math over a policy rule
 * (policy.h struct tt_deadline). The day of receipt is not counted; the period ends at the end
 * (23:59:59 UTC) of the same date in the month after (EU Reg. 1182/71 Art. 3 as the EDPB
 * counts: received 31 January -> due 28/29 February), then the rule's days are added. With
 * roll_weekend set, a period ending on a Saturday or Sunday ends at the end of the next Monday
 * (Art. 3(4)); public holidays are not modelled (documented in docs/requests.md).
 * No I/O, no clock: callers pass times. Thread safe. */
#ifndef TT_CORE_DEADLINE_H
#define TT_CORE_DEADLINE_H

#include "policy.h"
#include "types.h"

struct tt_rq_deadline {
    tt_time due_at;     /* answer due (end of day, unix seconds) */
    tt_time max_due_at; /* the latest an extension may reach; == due_at when none exists */
};

/* Deadlines of a request received at received_at under rule. Returns 0, or -TT_E_BAD_PARAM for a
 * NULL rule or a received_at <= 0 (out untouched). */
int tt_deadline_compute(const struct tt_deadline *rule, tt_time received_at, int roll_weekend,
                        struct tt_rq_deadline *out);

/* Checks an extension asked at now, with the requester's notice recorded at notice_at, to a
 * new due date new_due (0: the maximum). Rules (S8.4): the rule must allow one, the request not
 * already extended, the notice recorded and the extension asked no later than the original
 * deadline, the new date after the original and not past the maximum. Returns 0 and writes
 * *granted (the new due date), or:
 *   -TT_E_CONFLICT            already extended
 *   -TT_E_DEADLINE_PASSED     now or notice_at after d->due_at, or notice_at == 0
 *   -TT_E_EXTENSION_TOO_LONG  no extension under the rule, or new_due past d->max_due_at or not
 *                             after d->due_at */
int tt_deadline_extend(const struct tt_rq_deadline *d, int already_extended, tt_time now,
                       tt_time notice_at, tt_time new_due, tt_time *granted);

enum tt_deadline_flag { TT_DUE_LATER = 0, TT_DUE_SOON = 1, TT_DUE_OVERDUE = 2 };

/* Where a request due at due_at stands at now: overdue once past it, due soon within soon_days
 * days, else later. */
enum tt_deadline_flag tt_deadline_flag(tt_time due_at, tt_time now, int soon_days);

#endif
