/* SPDX-License-Identifier: Apache-2.0 */
/* audit_commit.c — the audit group commit (audit_commit.h) on the store's own group commit
 * (store.h, tt_store_txn_grouped_async): each event is one queued transaction function that
 * chains it (tt_audit_emit); the store's committer runs what is queued in one transaction,
 * commits once and only then calls each event's done. A batch that fails hard is run again
 * function by function there, so one bad event fails alone. */
#include "audit_commit.h"

#include <errno.h>
#include <semaphore.h>
#include <string.h>

#include "../core/error.h"
#include "audit.h"

static void copy(char *dst, size_t size, const char *s)
{
    size_t n = s ? strnlen(s, size - 1) : 0;
    memcpy(dst, s ? s : "", n);
    dst[n] = '\0';
}

void tt_audit_pending_set(struct tt_audit_pending *ev, const char *tenant_id, tt_time at,
                          const char *actor, const char *action, const char *target, json_t *detail)
{
    copy(ev->tenant_id, sizeof ev->tenant_id, tenant_id);
    copy(ev->actor, sizeof ev->actor, actor);
    copy(ev->action, sizeof ev->action, action);
    copy(ev->target, sizeof ev->target, target);
    ev->at = at;
    ev->detail = json_incref(detail);
    ev->detail_text = NULL;
}

static enum tt_qs emit(struct tt_store_conn *c, void *cls)
{
    const struct tt_audit_pending *e = cls;
    if (e->detail_text)
        return tt_audit_emit_text(c, e->tenant_id, e->at, e->actor, e->action, e->target,
                                  e->detail_text);
    return tt_audit_emit(c, e->tenant_id, e->at, e->actor, e->action, e->target, e->detail);
}

/* On the committer's thread, after the COMMIT returned. */
static void committed(void *cls, enum tt_qs qs)
{
    struct tt_audit_pending *ev = cls;
    json_decref(ev->detail);
    ev->detail = NULL;
    ev->qs = qs;
    /* ev may be freed by done */
    ev->done(ev, qs >= 0 ? 0 : qs == TT_QS_SOFT ? -TT_E_UNAVAILABLE : -TT_E_STORE);
}

int tt_audit_submit(struct tt_store *store, struct tt_audit_pending *ev)
{
    int rc = ev->os_durable ? tt_store_txn_grouped_async_os(store, emit, ev, committed, ev)
                            : tt_store_txn_grouped_async(store, emit, ev, committed, ev);
    return rc == 0 ? 0 : -TT_E_UNAVAILABLE;
}

struct waiter {
    sem_t sem;
    int rc;
};

static void wake(struct tt_audit_pending *ev, int rc)
{
    struct waiter *w = ev->cls;
    w->rc = rc;
    sem_post(&w->sem);
}

int tt_audit_submit_wait(struct tt_store *store, struct tt_audit_pending *ev)
{
    struct waiter w = {.rc = 0};
    if (sem_init(&w.sem, 0, 0) != 0)
        return -TT_E_UNAVAILABLE;
    ev->done = wake;
    ev->cls = &w;
    int rc = tt_audit_submit(store, ev);
    if (rc == 0) {
        while (sem_wait(&w.sem) != 0 && errno == EINTR)
            ;
        rc = w.rc;
    } else {
        json_decref(ev->detail);
        ev->detail = NULL;
    }
    sem_destroy(&w.sem);
    return rc;
}
