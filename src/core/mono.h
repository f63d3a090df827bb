/* SPDX-License-Identifier: Apache-2.0 */
/* mono.h — the monotonic clock for waits, timeouts and back-off (never for stored times:
 * those come from clock.h). Condition variables waited on with a deadline from here must use
 * CLOCK_MONOTONIC (pthread_condattr_setclock). */
#ifndef TT_CORE_MONO_H
#define TT_CORE_MONO_H

#include <stdint.h>
#include <time.h>

/* Seconds since an arbitrary start. */
static inline double tt_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Milliseconds since the same start. */
static inline int64_t tt_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The CLOCK_MONOTONIC instant us microseconds from now (us >= 0), for pthread_cond_timedwait. */
static inline struct timespec tt_mono_after_us(long long us)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ns = (long long)ts.tv_nsec + (us % 1000000) * 1000;
    ts.tv_sec += (time_t)(us / 1000000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

#endif
