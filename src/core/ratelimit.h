/* SPDX-License-Identifier: Apache-2.0 */
/* ratelimit.h — rate limits and lockout with exponential backoff for sign-in, second factor and
 * verification codes, per account and per IP (issue 8). Keys (an account's email, an address)
 * are never kept: a slot is found by a keyed BLAKE2b tag of "kind\0value" under a per-process
 * random key. Each slot counts attempts in a fixed window (a request cap) and consecutive
 * failures; from the threshold on, every further failure locks the slot for base * 2^(n -
 * threshold) seconds, capped. Pure: the time is passed in; the table is caller memory (in memory
 * per node: several nodes each keep their own, so a cluster allows nodes x the limit).
 * Not thread safe: the caller serialises calls on one table (a mutex around them). */
#ifndef TT_CORE_RATELIMIT_H
#define TT_CORE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#define TT_RL_TAG_BYTES 16
#define TT_RL_WAYS 4 /* slots per bucket */

struct tt_rl_rules {
    int window_s;       /* the attempt window (seconds) */
    int max_attempts;   /* attempts allowed per window (successes included) */
    int fail_threshold; /* consecutive failures before the first lock */
    int lock_base_s;    /* first lock (seconds), doubled by each further failure */
    int lock_max_s;     /* cap of a lock */
};

struct tt_rl_slot {
    uint8_t tag[TT_RL_TAG_BYTES];
    tt_time window_start;
    int attempts;
    int failures;
    tt_time locked_until;
    tt_time last;
};

struct tt_ratelimit {
    uint8_t key[32];
    struct tt_rl_rules rules;
    struct tt_rl_slot *slots; /* n_slots, a multiple of TT_RL_WAYS; caller memory */
    size_t n_slots;
};

/* Sign-in defaults: 20 attempts a minute, lock from the 5th consecutive failure, 2 s doubling
 * up to 15 min. */
struct tt_rl_rules tt_rl_rules_default(void);

/* Sets up rl over slots (zeroed here) with a random key. n_slots >= TT_RL_WAYS. */
void tt_rl_init(struct tt_ratelimit *rl, struct tt_rl_slot *slots, size_t n_slots,
                struct tt_rl_rules rules);
/* Same with a given key (tests). */
void tt_rl_init_keyed(struct tt_ratelimit *rl, struct tt_rl_slot *slots, size_t n_slots,
                      struct tt_rl_rules rules, const uint8_t key[32]);

/* The tag of (kind, value), e.g. ("ip", "203.0.113.9"), ("acct", "anna@example.com"). */
void tt_rl_tag(const struct tt_ratelimit *rl, const char *kind, const char *value,
               uint8_t tag[TT_RL_TAG_BYTES]);

/* Counts one attempt at now. Returns 0 when allowed, or -TT_E_RATE_LIMITED with *retry_after
 * (seconds, >= 1) when the slot is locked or over the window's cap (the attempt then does not
 * count). */
int tt_rl_attempt(struct tt_ratelimit *rl, const uint8_t tag[TT_RL_TAG_BYTES], tt_time now,
                  int *retry_after);
/* Records a failed attempt. Returns the lock (seconds) it starts, 0 when none. */
int tt_rl_fail(struct tt_ratelimit *rl, const uint8_t tag[TT_RL_TAG_BYTES], tt_time now);
/* A success clears the consecutive failures and any lock. */
void tt_rl_success(struct tt_ratelimit *rl, const uint8_t tag[TT_RL_TAG_BYTES]);

#endif
