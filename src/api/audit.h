/* SPDX-License-Identifier: Apache-2.0 */
/* audit.h — how handlers write the audit trail (S6.3). Call inside the transaction that makes
 * the change, so the change and its audit event commit or fail together. The event is chained to
 * the tenant's previous one (core/ledger). detail must not hold a personal value: ids, policy
 * keys, counts and field names only. */
#ifndef TT_API_AUDIT_H
#define TT_API_AUDIT_H

#include <jansson.h>

#include "../store/store.h"

/* Appends one event for tenant_id. actor: key id / account id / "system"; action: dotted verb
 * ("subject.create", "record.read.denied", "policy.reload"); target: an id or policy version;
 * detail: a JSON object or NULL (borrowed). Returns the store status (TT_QS_ONE on success);
 * TT_QS_SOFT means the surrounding transaction must be retried. */
enum tt_qs tt_audit_emit(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                         const char *actor, const char *action, const char *target,
                         const json_t *detail);

/* Same, in a transaction of its own (for events with no other change, e.g. a denied read).
 * Returns 0 or a negative tt_err code. */
int tt_audit_emit_now(struct tt_store *s, const char *tenant_id, tt_time at, const char *actor,
                      const char *action, const char *target, const json_t *detail);

#endif
