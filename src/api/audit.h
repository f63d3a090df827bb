/* SPDX-License-Identifier: Apache-2.0 */
/* audit.h — how handlers write the audit trail (S6.3). Call inside the transaction that makes
 * the change, so the change and its audit event commit or fail together. The event is chained to
 * the tenant's previous one (core/ledger). detail must not hold a personal value: ids, policy
 * keys, counts and field names only. */
#ifndef TT_API_AUDIT_H
#define TT_API_AUDIT_H

#include <jansson.h>

#include "../core/ledger.h"
#include "../store/store.h"

/* Appends one event for tenant_id. actor: key id / account id / "system"; action: dotted verb
 * ("subject.create", "record.read.denied", "policy.reload"); target: an id or policy version;
 * detail: a JSON object or NULL (borrowed). Returns the store status (TT_QS_ONE on success);
 * TT_QS_SOFT means the surrounding transaction must be retried. */
enum tt_qs tt_audit_emit(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                         const char *actor, const char *action, const char *target,
                         const json_t *detail);

/* The same with the detail given as its stored text: compact JSON with sorted keys, the bytes
 * tt_audit_emit stores for the equal object (the caller builds it without a jansson tree on a
 * hot path, decisions_audit.c); NULL: no detail. TT_QS_HARD when it is longer than
 * TT_LEDGER_DETAIL_MAX or a text field is bad. */
enum tt_qs tt_audit_emit_text(struct tt_store_conn *c, const char *tenant_id, tt_time at,
                              const char *actor, const char *action, const char *target,
                              const char *detail_text);

/* Same, in a transaction of its own (for events with no other change, e.g. a denied read).
 * Returns 0 or a negative tt_err code. */
int tt_audit_emit_now(struct tt_store *s, const char *tenant_id, tt_time at, const char *actor,
                      const char *action, const char *target, const json_t *detail);

/* One chain's verdict (tt_audit_verify, tt_audit_export). */
struct tt_audit_chain {
    char tenant_id[TT_ID_MAX];
    int64_t events;              /* events checked and intact (all of them when not broken) */
    enum tt_ledger_break broken; /* TT_LEDGER_OK when intact */
    int64_t broken_seq;          /* the first broken link (0 when intact) */
};
typedef int (*tt_audit_chain_cb)(void *cls, const struct tt_audit_chain *r);

/* S6.3: walks every chain (tenant_id NULL: every tenant with events or a tenant row) or one,
 * from seq 1 to the recorded tail, in one transaction so no append lands mid-walk; then calls
 * cb once per chain, in tenant order (cb returning non-zero stops the reports). Returns 0
 * whatever the verdicts, or -TT_E_STORE / -TT_E_UNAVAILABLE / -TT_E_NOMEM. */
int tt_audit_verify(struct tt_store *s, const char *tenant_id, tt_audit_chain_cb cb, void *cls);

/* Receives one line of an export, '\n' included; returns 0 to go on, non-zero to abort. */
typedef int (*tt_audit_line_cb)(void *cls, const char *line, size_t len);

struct tt_audit_export_stats {
    int64_t events; /* event lines written */
    int64_t chains; /* checkpoint lines written */
};

/* Exports the events with from <= at <= to (0 = open) of one tenant's chain or of every chain
 * as JSON lines (docs/audit.md), each chain's lines followed by a checkpoint line signed by
 * signer at time now. A chain's lines are the contiguous seq span from its first to its last
 * event in the range, so the range checks on its own from the prev_hash of its first line.
 * Every chain is verified from seq 1 before anything is written: a broken one is refused with
 * -TT_E_CONFLICT and *broken filled. Other errors: -TT_E_STORE, -TT_E_UNAVAILABLE (the chain
 * changed while being exported), -TT_E_NOMEM, -TT_E_CRYPTO, -TT_E_INTERNAL (line_cb aborted).
 * stats (may be NULL) is written on success. */
int tt_audit_export(struct tt_store *s, const char *tenant_id, tt_time from, tt_time to,
                    const struct tt_ledger_signer *signer, tt_time now, tt_audit_line_cb line_cb,
                    void *cls, struct tt_audit_export_stats *stats, struct tt_audit_chain *broken);

#endif
