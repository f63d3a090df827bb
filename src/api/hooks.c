/* SPDX-License-Identifier: Apache-2.0 */
/* hooks.c — write-through from committed changes into the current decision index (hooks.h), so
 * the next decision sees them. Holds the app's reload lock shared, so a policy reload (which
 * rebuilds the index from the store under the lock held exclusively) never misses a change. */
#include "hooks.h"

#include "../core/index.h"

/* Runs fn on the current index, if any. */
static void with_index(struct tt_app *app, void (*fn)(struct tt_index *, const void *),
                       const void *row)
{
    if (!app || !row)
        return;
    pthread_rwlock_rdlock(&app->reload_lock);
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    if (ref && ref->index)
        fn(ref->index, row);
    tt_app_policy_release(ref);
    pthread_rwlock_unlock(&app->reload_lock);
}

static void put_subject(struct tt_index *ix, const void *row)
{
    (void)tt_index_put_subject(ix, row);
}

static void put_identity(struct tt_index *ix, const void *row)
{
    (void)tt_index_put_identity(ix, row);
}

static void put_purpose_state(struct tt_index *ix, const void *row)
{
    (void)tt_index_put_purpose_state(ix, row);
}

void tt_hook_subject_changed(struct tt_app *app, const struct tt_subject *s)
{
    with_index(app, put_subject, s);
}

void tt_hook_identity_added(struct tt_app *app, const struct tt_identity *i)
{
    with_index(app, put_identity, i);
}

static void drop_identity(struct tt_index *ix, const void *row)
{
    const struct tt_identity *i = row;
    (void)tt_index_drop_identity(ix, (int)i->type, i->blind_hex);
}

void tt_hook_identity_replaced(struct tt_app *app, const struct tt_identity *old,
                               const struct tt_identity *i)
{
    with_index(app, drop_identity, old);
    with_index(app, put_identity, i);
}

void tt_hook_identity_dropped(struct tt_app *app, const struct tt_identity *old)
{
    with_index(app, drop_identity, old);
}

void tt_hook_purpose_state_changed(struct tt_app *app, const struct tt_purpose_state *ps)
{
    with_index(app, put_purpose_state, ps);
}
