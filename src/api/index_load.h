/* SPDX-License-Identifier: Apache-2.0 */
/* index_load.h — builds the in-memory decision index (core/index.h) from the store: every
 * subject, identity and purpose state, streamed. Used at start and on policy reload. */
#ifndef TT_API_INDEX_LOAD_H
#define TT_API_INDEX_LOAD_H

#include "../core/index.h"
#include "../core/policy.h"
#include "../store/store.h"

/* On success *out owns a new index (free with tt_index_free). Returns 0 or a negative tt_err
 * code (-TT_E_STORE, -TT_E_NOMEM); *out untouched on failure. */
int tt_index_load(struct tt_store *store, const struct tt_policy *p, struct tt_index **out);

#endif
