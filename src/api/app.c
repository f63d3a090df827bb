/* SPDX-License-Identifier: Apache-2.0 */
/* app.c — the shared policy reference of the application context: handlers take a reference
 * for the length of a request (lock-free), a reload swaps in a new policy and index, and the old
 * pair is freed when the last request using it lets go. */
#include "app.h"

#include <stdlib.h>

#include "../core/index.h"

void tt_app_init(struct tt_app *app, struct tt_policy *p, struct tt_index *ix)
{
    pthread_mutex_init(&app->policy_lock, NULL);
    pthread_rwlock_init(&app->reload_lock, NULL);
    tt_grace_init(&app->policy_grace);
    atomic_init(&app->policy, NULL);
    tt_app_policy_swap(app, p, ix);
}

void tt_app_fini(struct tt_app *app)
{
    pthread_mutex_lock(&app->policy_lock);
    struct tt_policy_ref *old = atomic_exchange(&app->policy, NULL);
    pthread_mutex_unlock(&app->policy_lock);
    tt_grace_wait(&app->policy_grace);
    tt_app_policy_release(old);
    pthread_rwlock_destroy(&app->reload_lock);
    pthread_mutex_destroy(&app->policy_lock);
    tt_grace_destroy(&app->policy_grace);
}

struct tt_policy_ref *tt_app_policy_acquire(struct tt_app *app)
{
    /* the app's own reference is dropped only after a grace period past the swap, so the
     * pointer read here still holds it while the count is raised */
    unsigned g = tt_grace_enter(&app->policy_grace);
    struct tt_policy_ref *ref = atomic_load(&app->policy);
    if (ref)
        atomic_fetch_add(&ref->refs, 1);
    tt_grace_exit(&app->policy_grace, g);
    return ref;
}

void tt_app_policy_release(struct tt_policy_ref *ref)
{
    if (!ref)
        return;
    if (atomic_fetch_sub(&ref->refs, 1) == 1) {
        tt_index_free(ref->index);
        tt_policy_free(ref->policy);
        free(ref);
    }
}

void tt_app_policy_swap(struct tt_app *app, struct tt_policy *p, struct tt_index *ix)
{
    struct tt_policy_ref *ref = malloc(sizeof(*ref));
    if (!ref) {
        /* out of memory: the current pair stays in force; p and ix are ours to free */
        tt_index_free(ix);
        tt_policy_free(p);
        return;
    }
    ref->policy = p;
    ref->index = ix;
    atomic_init(&ref->refs, 1); /* the app's own reference */
    pthread_mutex_lock(&app->policy_lock);
    struct tt_policy_ref *old = atomic_exchange(&app->policy, ref);
    pthread_mutex_unlock(&app->policy_lock);
    tt_grace_wait(&app->policy_grace); /* no acquire still between its load and its count */
    tt_app_policy_release(old);
}
