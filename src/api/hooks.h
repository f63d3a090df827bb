/* SPDX-License-Identifier: Apache-2.0 */
/* hooks.h — write-through from the API into in-memory state (the decision index). Called by a
 * handler AFTER its transaction committed, so memory never runs ahead of the store; a change is
 * visible to the next decision. Safe from any thread. */
#ifndef TT_API_HOOKS_H
#define TT_API_HOOKS_H

#include "app.h"

void tt_hook_subject_changed(struct tt_app *app, const struct tt_subject *s);
void tt_hook_identity_added(struct tt_app *app, const struct tt_identity *i);
/* old (its type and former blind index) was rectified into i: the old one finds nobody */
void tt_hook_identity_replaced(struct tt_app *app, const struct tt_identity *old,
                               const struct tt_identity *i);
/* old (its type and blind index; the other fields unread) no longer names its subject: lookups
 * by it find nobody until it is added again. Used by the change feed on the other nodes. */
void tt_hook_identity_dropped(struct tt_app *app, const struct tt_identity *old);
void tt_hook_purpose_state_changed(struct tt_app *app, const struct tt_purpose_state *ps);

#endif
