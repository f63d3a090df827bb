/* SPDX-License-Identifier: Apache-2.0 */
/* grace.c — grace periods (grace.h). Every access is sequentially consistent: a reader's
 * increment comes before its second look at the epoch, and a waiter's flip before its look at
 * the counter, so either the waiter sees the reader counted or the reader sees the new epoch
 * (and backs off to count itself under it). */
#include "grace.h"

#include <sched.h>

void tt_grace_init(struct tt_grace *g)
{
    atomic_init(&g->epoch, 0);
    atomic_init(&g->readers[0], 0);
    atomic_init(&g->readers[1], 0);
    pthread_mutex_init(&g->wait_lock, NULL);
}

void tt_grace_destroy(struct tt_grace *g)
{
    pthread_mutex_destroy(&g->wait_lock);
}

unsigned tt_grace_enter(struct tt_grace *g)
{
    for (;;) {
        unsigned e = atomic_load(&g->epoch);
        atomic_fetch_add(&g->readers[e & 1], 1);
        if (atomic_load(&g->epoch) == e)
            return e & 1;
        atomic_fetch_sub(&g->readers[e & 1], 1); /* a wait flipped meanwhile: count anew */
    }
}

void tt_grace_exit(struct tt_grace *g, unsigned token)
{
    atomic_fetch_sub(&g->readers[token & 1], 1);
}

void tt_grace_wait(struct tt_grace *g)
{
    pthread_mutex_lock(&g->wait_lock);
    unsigned e = atomic_fetch_add(&g->epoch, 1);
    while (atomic_load(&g->readers[e & 1]) != 0)
        sched_yield();
    pthread_mutex_unlock(&g->wait_lock);
}
