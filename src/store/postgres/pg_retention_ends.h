/* SPDX-License-Identifier: Apache-2.0 */
/* pg_retention_ends.h — the set-based recomputation of retention ends on PostgreSQL (the
 * recompute_ends op of store/retention_store.h). */
#ifndef TT_STORE_PG_RETENTION_ENDS_H
#define TT_STORE_PG_RETENTION_ENDS_H

#include "../retention_store.h"

/* the statement slot of the range query: the last of the retention area's range */
#define TT_PG_ST_ENDS_RANGE (TT_STORE_SLOT_BASE(TT_AREA_RETENTION) + TT_STORE_SLOTS_PER_AREA - 1)

enum tt_qs tt__pg_recompute_ends(struct tt_store_conn *c, const char *tenant_id,
                                 const struct tt_end_plan *plan, const char *service,
                                 const char *subject_id, const char *after_id, int limit,
                                 struct tt_ends_result *out);

#endif
