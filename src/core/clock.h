/* SPDX-License-Identifier: Apache-2.0 */
/* clock.h — injectable time. Core never reads the clock: callers pass tt_time values obtained
 * here, so tests can jump a month ahead (TUTELA_CLOCK_OFFSET or a fixed clock). */
#ifndef TT_CORE_CLOCK_H
#define TT_CORE_CLOCK_H

#include "types.h"

struct tt_clock {
    tt_time (*now)(const struct tt_clock *c); /* unix seconds, UTC */
    tt_time fixed;                            /* used by tt_clock_fixed */
    tt_time offset;                           /* added by tt_clock_system */
};

/* The system clock plus c->offset seconds. */
tt_time tt_clock_system_now(const struct tt_clock *c);
/* Always c->fixed. */
tt_time tt_clock_fixed_now(const struct tt_clock *c);

static inline tt_time tt_now(const struct tt_clock *c)
{
    return c->now(c);
}

/* How far a time sent by a client may run ahead of tt_now and still count as "not in the
 * future": the client's clock may be ahead of ours, and ours is read in whole seconds from the
 * kernel's coarse clock, which can trail a precise "now" sent in the same instant. */
#define TT_CLOCK_SKEW_S 300

/* RFC 3339 UTC ("2026-11-29T02:35:23Z") into buf (>= 21 bytes). Returns buf. */
char *tt_time_format(tt_time t, char *buf, size_t size);
/* Parses RFC 3339 (Z or ±hh:mm offset) or a bare date "YYYY-MM-DD" (midnight UTC).
 * Returns 0 or -TT_E_BAD_FIELD. */
int tt_time_parse(const char *s, tt_time *out);

/* Calendar arithmetic in UTC: adds months, clamping the day to the month's last day
 * (31 Jan + 1 month = 28/29 Feb). */
tt_time tt_time_add_months(tt_time t, int months);

#endif
