/* SPDX-License-Identifier: Apache-2.0 */
/* limiter.h — a rate limiter (core/ratelimit.h) shared by the request threads: its slot table,
 * its rules and a mutex, set up on first use. The areas that limit requests (accounts: sign-in
 * per address and per account; sub-processor subscriptions: per address and per subscriber)
 * declare one per key kind and call the three operations below; in memory per node. */
#ifndef TT_API_LIMITER_H
#define TT_API_LIMITER_H

#include <pthread.h>
#include <stddef.h>

#include "../core/ratelimit.h"

struct tt__limiter {
    pthread_mutex_t lock;
    int ready;                         /* rl set up (under lock) */
    struct tt_rl_rules (*rules)(void); /* called once, on first use (may read the environment) */
    struct tt_rl_slot *slots;          /* caller memory, n_slots a multiple of TT_RL_WAYS */
    size_t n_slots;
    struct tt_ratelimit rl;
};

/* A static initialiser over a static array of slots and a rules function. */
#define TT__LIMITER(slot_array, rules_fn)                                                          \
    {                                                                                              \
        .lock = PTHREAD_MUTEX_INITIALIZER, .rules = (rules_fn), .slots = (slot_array),             \
        .n_slots = sizeof(slot_array) / sizeof *(slot_array)                                       \
    }

/* Counts one attempt of (kind, value) at now: 0 when allowed, or -TT_E_RATE_LIMITED with
 * *retry_after in seconds (tt_rl_attempt). Thread safe. */
int tt__limiter_attempt(struct tt__limiter *l, const char *kind, const char *value, tt_time now,
                        int *retry_after);
/* Records a failure of (kind, value); returns the lock it starts in seconds, 0 when none. */
int tt__limiter_fail(struct tt__limiter *l, const char *kind, const char *value, tt_time now);
/* Clears the consecutive failures and any lock of (kind, value). */
void tt__limiter_success(struct tt__limiter *l, const char *kind, const char *value);

#endif
