/* SPDX-License-Identifier: Apache-2.0 */
/* pg_retention_ends.h — the set-based recomputation of retention ends on PostgreSQL (the
 * recompute_ends op of store/retention_store.h). */
#ifndef TT_STORE_PG_RETENTION_ENDS_H
#define TT_STORE_PG_RETENTION_ENDS_H

#include "../retention_store.h"

/* the statement slots of this file: the last two of the retention area's range */
#define TT_PG_ST_ENDS_RANGE (TT_STORE_SLOT_BASE(TT_AREA_RETENTION) + TT_STORE_SLOTS_PER_AREA - 1)
#define TT_PG_ST_WITHDRAWALS (TT_PG_ST_ENDS_RANGE - 1)

enum tt_qs tt__pg_recompute_ends(struct tt_store_conn *c, const char *tenant_id,
                                 const struct tt_end_plan *plan, const char *service,
                                 const char *subject_id, const char *after_id, int limit,
                                 struct tt_ends_result *out);
enum tt_qs tt__pg_withdrawals_since(struct tt_store_conn *c, const char *tenant_id, tt_time since,
                                    int limit, tt_withdrawal_cb cb, void *cls);

#endif
