/* SPDX-License-Identifier: Apache-2.0 */
/* ratelimit.c — the attempt windows and failure backoff of ratelimit.h: a bucket of TT_RL_WAYS
 * slots per tag; an unknown tag takes a free or stale slot, else the one with the fewest
 * failures (so a flood of new tags evicts idle ones, not the locks that matter). */
#include "ratelimit.h"

#include <sodium.h>
#include <string.h>

#include "error.h"

struct tt_rl_rules tt_rl_rules_default(void)
{
    struct tt_rl_rules r = {60, 20, 5, 2, 900};
    return r;
}

void tt_rl_init_keyed(struct tt_ratelimit *rl, struct tt_rl_slot *slots, size_t n_slots,
                      struct tt_rl_rules rules, const uint8_t key[32])
{
    memcpy(rl->key, key, sizeof rl->key);
    rl->rules = rules;
    rl->slots = slots;
    rl->n_slots = n_slots - n_slots % TT_RL_WAYS;
    memset(slots, 0, n_slots * sizeof *slots);
}

void tt_rl_init(struct tt_ratelimit *rl, struct tt_rl_slot *slots, size_t n_slots,
                struct tt_rl_rules rules)
{
    uint8_t key[32];
    randombytes_buf(key, sizeof key);
    tt_rl_init_keyed(rl, slots, n_slots, rules, key);
    sodium_memzero(key, sizeof key);
}

void tt_rl_tag(const struct tt_ratelimit *rl, const char *kind, const char *value,
               uint8_t tag[TT_RL_TAG_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, rl->key, sizeof rl->key, TT_RL_TAG_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)kind, strlen(kind) + 1);
    crypto_generichash_update(&st, (const uint8_t *)value, strlen(value));
    crypto_generichash_final(&st, tag, TT_RL_TAG_BYTES);
}

static int stale(const struct tt_ratelimit *rl, const struct tt_rl_slot *s, tt_time now)
{
    return s->last == 0 ||
           (s->locked_until <= now && now - s->last > rl->rules.window_s &&
            s->failures < rl->rules.fail_threshold) ||
           (s->locked_until <= now && now - s->last > rl->rules.lock_max_s);
}

/* The slot of tag, taking one when create is set; NULL when absent and not created. */
static struct tt_rl_slot *find(struct tt_ratelimit *rl, const uint8_t tag[TT_RL_TAG_BYTES],
                               tt_time now, int create)
{
    if (rl->n_slots < TT_RL_WAYS)
        return NULL;
    uint64_t h;
    memcpy(&h, tag, sizeof h);
    size_t base = (size_t)(h % (rl->n_slots / TT_RL_WAYS)) * TT_RL_WAYS;
    struct tt_rl_slot *victim = NULL;
    for (size_t i = 0; i < TT_RL_WAYS; i++) {
        struct tt_rl_slot *s = &rl->slots[base + i];
        if (s->last != 0 && sodium_memcmp(s->tag, tag, TT_RL_TAG_BYTES) == 0)
            return s;
        if (!victim || (stale(rl, s, now) && !stale(rl, victim, now)) ||
            (stale(rl, s, now) == stale(rl, victim, now) && s->failures < victim->failures))
            victim = s;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    memcpy(victim->tag, tag, TT_RL_TAG_BYTES);
    victim->window_start = now;
    victim->last = now;
    return victim;
}

int tt_rl_attempt(struct tt_ratelimit *rl, const uint8_t tag[TT_RL_TAG_BYTES], tt_time now,
                  int *retry_after)
{
    struct tt_rl_slot *s = find(rl, tag, now, 1);
    if (!s)
        return 0;
    if (s->locked_until > now) {
        *retry_after = (int)(s->locked_until - now);
        return -TT_E_RATE_LIMITED;
    }
    if (now - s->window_start >= rl->rules.window_s) {
        s->window_start = now;
        s->attempts = 0;
    }
    if (s->attempts >= rl->rules.max_attempts) {
        int left = (int)(s->window_start + rl->rules.window_s - now);
        *retry_after = left > 0 ? left : 1;
        return -TT_E_RATE_LIMITED;
    }
    s->attempts++;
    s->last = now;
    return 0;
}

int tt_rl_fail(struct tt_ratelimit *rl, const uint8_t tag[TT_RL_TAG_BYTES], tt_time now)
{
    struct tt_rl_slot *s = find(rl, tag, now, 1);
    if (!s)
        return 0;
    s->last = now;
    if (s->failures < 64)
        s->failures++;
    if (s->failures < rl->rules.fail_threshold)
        return 0;
    int64_t lock = rl->rules.lock_base_s;
    for (int i = rl->rules.fail_threshold; i < s->failures && lock < rl->rules.lock_max_s; i++)
        lock *= 2;
    if (lock > rl->rules.lock_max_s)
        lock = rl->rules.lock_max_s;
    s->locked_until = now + lock;
    return (int)lock;
}

void tt_rl_success(struct tt_ratelimit *rl, const uint8_t tag[TT_RL_TAG_BYTES])
{
    struct tt_rl_slot *s = find(rl, tag, 0, 0);
    if (s) {
        s->failures = 0;
        s->locked_until = 0;
    }
}
