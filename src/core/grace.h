/* SPDX-License-Identifier: Apache-2.0 */
/* grace.h — grace periods for lock-free readers (issue 3: the decision index). Readers mark a
 * read-side section with tt_grace_enter / tt_grace_exit (two atomic operations, never a wait);
 * a writer that has unpublished some memory calls tt_grace_wait, which returns once every
 * reader that might still see that memory has left its section, and then frees it. Two reader
 * counters by epoch parity (sleepable-RCU style): a wait flips the epoch and waits for the
 * counter of the epoch before to drain, so readers entering meanwhile never hold it up. */
#ifndef TT_CORE_GRACE_H
#define TT_CORE_GRACE_H

#include <pthread.h>
#include <stdatomic.h>

struct tt_grace {
    atomic_uint epoch;
    atomic_long readers[2];    /* by epoch parity */
    pthread_mutex_t wait_lock; /* waits run one at a time */
};

void tt_grace_init(struct tt_grace *g);
void tt_grace_destroy(struct tt_grace *g);

/* Enters a read-side section; returns the token for tt_grace_exit. Sections may not nest on one
 * thread across a tt_grace_wait of the same thread (it would wait for itself). */
unsigned tt_grace_enter(struct tt_grace *g);
void tt_grace_exit(struct tt_grace *g, unsigned token);

/* Waits until every section entered before the call has exited. */
void tt_grace_wait(struct tt_grace *g);

#endif
