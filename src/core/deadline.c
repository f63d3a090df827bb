/* SPDX-License-Identifier: Apache-2.0 */
/* deadline.c — S8.4 deadlines: calendar months then days after the day of receipt, ending at
 * the end of that day, optionally moved off a weekend; extension rules (deadline.h). */
#include "deadline.h"

#include "clock.h"
#include "error.h"

#define DAY_S 86400

static tt_time day_start(tt_time t)
{
    tt_time d = t / DAY_S;
    if (t < 0 && t % DAY_S)
        d--;
    return d * DAY_S;
}

/* 0 = Sunday … 6 = Saturday (1 January 1970 was a Thursday). */
static int weekday(tt_time t)
{
    int64_t d = day_start(t) / DAY_S;
    int w = (int)((d + 4) % 7);
    return w < 0 ? w + 7 : w;
}

static tt_time period_end(tt_time received_at, int months, int days, int roll_weekend)
{
    tt_time start = day_start(received_at);
    tt_time end = tt_time_add_months(start, months) + (tt_time)days * DAY_S;
    if (roll_weekend) {
        int w = weekday(end);
        if (w == 6)
            end += 2 * DAY_S;
        else if (w == 0)
            end += DAY_S;
    }
    return end + DAY_S - 1;
}

int tt_deadline_compute(const struct tt_deadline *rule, tt_time received_at, int roll_weekend,
                        struct tt_rq_deadline *out)
{
    if (!rule || received_at <= 0 || rule->months < 0 || rule->days < 0)
        return -TT_E_BAD_PARAM;
    tt_time due = period_end(received_at, rule->months, rule->days, roll_weekend);
    tt_time max = period_end(received_at, rule->max_months, rule->max_days, roll_weekend);
    out->due_at = due;
    out->max_due_at = max > due ? max : due;
    return 0;
}

int tt_deadline_extend(const struct tt_rq_deadline *d, int already_extended, tt_time now,
                       tt_time notice_at, tt_time new_due, tt_time *granted)
{
    if (already_extended)
        return -TT_E_CONFLICT;
    if (d->max_due_at <= d->due_at)
        return -TT_E_EXTENSION_TOO_LONG;
    if (now > d->due_at || notice_at <= 0 || notice_at > d->due_at)
        return -TT_E_DEADLINE_PASSED;
    tt_time to = new_due ? new_due : d->max_due_at;
    if (to <= d->due_at || to > d->max_due_at)
        return -TT_E_EXTENSION_TOO_LONG;
    *granted = to;
    return 0;
}

enum tt_deadline_flag tt_deadline_flag(tt_time due_at, tt_time now, int soon_days)
{
    if (now > due_at)
        return TT_DUE_OVERDUE;
    if (due_at - now <= (tt_time)soon_days * DAY_S)
        return TT_DUE_SOON;
    return TT_DUE_LATER;
}
