/* SPDX-License-Identifier: Apache-2.0 */
/* limiter.c — a rate limiter shared by the request threads: see limiter.h. */
#include "limiter.h"

/* Locks l, setting its table up on first use, and writes the tag of (kind, value). */
static void enter(struct tt__limiter *l, const char *kind, const char *value,
                  uint8_t tag[TT_RL_TAG_BYTES])
{
    pthread_mutex_lock(&l->lock);
    if (!l->ready) {
        tt_rl_init(&l->rl, l->slots, l->n_slots, l->rules());
        l->ready = 1;
    }
    tt_rl_tag(&l->rl, kind, value, tag);
}

int tt__limiter_attempt(struct tt__limiter *l, const char *kind, const char *value, tt_time now,
                        int *retry_after)
{
    uint8_t tag[TT_RL_TAG_BYTES];
    enter(l, kind, value, tag);
    int rc = tt_rl_attempt(&l->rl, tag, now, retry_after);
    pthread_mutex_unlock(&l->lock);
    return rc;
}

int tt__limiter_fail(struct tt__limiter *l, const char *kind, const char *value, tt_time now)
{
    uint8_t tag[TT_RL_TAG_BYTES];
    enter(l, kind, value, tag);
    int lock = tt_rl_fail(&l->rl, tag, now);
    pthread_mutex_unlock(&l->lock);
    return lock;
}

void tt__limiter_success(struct tt__limiter *l, const char *kind, const char *value)
{
    uint8_t tag[TT_RL_TAG_BYTES];
    enter(l, kind, value, tag);
    tt_rl_success(&l->rl, tag);
    pthread_mutex_unlock(&l->lock);
}
