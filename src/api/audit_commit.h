/* SPDX-License-Identifier: Apache-2.0 */
/* audit_commit.h — group commit of audit events that come with no other change (S6.3; issue 3:
 * denied decisions): events queued by many requests at once are appended in one transaction,
 * one COMMIT (one fsync) for the lot, and each submitter learns the outcome only after that
 * COMMIT returned — nothing is answered before its event is durable (on disk, or for an event
 * marked os_durable, in the database written to the OS and on disk within a bound). Unlike
 * tt_audit_emit_now, the submitter need not wait on a thread: the outcome comes through a
 * callback (an HTTP handler parks its connection meanwhile, http.h tt_req_defer). Events go
 * through the store's group commit (store.h tt_store_txn_grouped_async), sharing its
 * transactions with the other grouped writes: tt_store_group_counts tells how many a COMMIT
 * carries, tt_store_group_drain waits for everything queued, tt_store_close commits it. */
#ifndef TT_API_AUDIT_COMMIT_H
#define TT_API_AUDIT_COMMIT_H

#include <jansson.h>

#include "../core/types.h"
#include "../store/store.h"

/* One event on its way. The caller fills the fields (tt_audit_pending_set) and keeps the struct
 * alive until done is called; detail is a reference the committer drops before calling done. */
struct tt_audit_pending {
    char tenant_id[TT_ID_MAX], actor[TT_ID_MAX], action[TT_KEY_MAX], target[TT_ID_MAX];
    tt_time at;
    json_t *detail; /* an object or NULL; no personal value (audit.h) */
    /* Or, when not NULL, the detail as its stored text (audit.h tt_audit_emit_text; detail is
     * then ignored), kept alive by the caller until done is called. */
    const char *detail_text;
    /* Called once, on the committer's thread, when the event committed (rc 0) or could not be
     * written (-TT_E_STORE, -TT_E_UNAVAILABLE). May free the struct. */
    void (*done)(struct tt_audit_pending *ev, int rc);
    void *cls; /* for done's use */
    int qs;    /* the store's status of the write (set before done) */
    /* 1: done may be called once the event is written to the OS (a killed process loses none),
     * before it is on disk, which follows within the store's flush bound — unless another write
     * shares its COMMIT (store.h tt_store_txn_grouped_async_os). 0 (default): on disk first. */
    int os_durable;
};

/* Copies the texts (clipped to their fields; audit.c refuses what does not fit), takes a
 * reference on detail and clears detail_text (set it afterwards to give the text instead). */
void tt_audit_pending_set(struct tt_audit_pending *ev, const char *tenant_id, tt_time at,
                          const char *actor, const char *action, const char *target,
                          json_t *detail);

/* Queues ev for store's committer. Returns 0 (done will be called), or -TT_E_UNAVAILABLE when no
 * committer runs (done is not called; the caller still owns ev and its detail). */
int tt_audit_submit(struct tt_store *store, struct tt_audit_pending *ev);

/* The same, waiting on the calling thread for the outcome (ev->done and ev->cls are its own):
 * 0 or a negative tt_err code; the detail reference is dropped either way. */
int tt_audit_submit_wait(struct tt_store *store, struct tt_audit_pending *ev);

#endif
