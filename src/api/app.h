/* SPDX-License-Identifier: Apache-2.0 */
/* app.h — the application context every handler receives: store, secrets, clock, the current
 * policy (swapped atomically on reload), and the routes. Long-lived, allocated at start. */
#ifndef TT_API_APP_H
#define TT_API_APP_H

#include <pthread.h>
#include <stdatomic.h>

#include "../core/clock.h"
#include "../core/grace.h"
#include "../core/policy.h"
#include "../core/vault.h"
#include "../http/http.h"
#include "../store/store.h"

struct tt_index;         /* the decision index (core/index.h) */
struct tt_audit_journal; /* api/audit_journal.h */

/* A policy and the decision index built for it (purpose bits are the policy's), shared by the
 * requests that use them; both freed when the last one lets go. */
struct tt_policy_ref {
    struct tt_policy *policy;
    struct tt_index *index; /* NULL only in tests that need no decisions */
    atomic_int refs;
};

struct tt_app {
    struct tt_store *store;
    struct tt_master *master;
    struct tt_clock clock;
    struct tt_server *server; /* for /metrics */
    const char *policy_path;

    pthread_mutex_t policy_lock;            /* swaps, one at a time */
    _Atomic(struct tt_policy_ref *) policy; /* current; read without a lock (issue 3) */
    struct tt_grace policy_grace; /* a swap waits out the readers of the pointer it replaced */
    /* Write-through hooks hold it shared while they update the current index; a reload holds it
     * exclusively while it rebuilds the index from the store and swaps, so no committed change
     * is missed by the new index. */
    pthread_rwlock_t reload_lock;
    atomic_int ready;       /* /readyz */
    int audit_denials_sync; /* a denial's audit event waits for the disk (docs/audit.md) */
    /* with audit_denials = os on a store of this machine: the denials' write-ahead journal, so a
     * denial is answered once written there (audit_journal.h); NULL: parked for the COMMIT */
    struct tt_audit_journal *audit_journal;
};

/* Sets up locks and installs the first policy and index (taking ownership). */
void tt_app_init(struct tt_app *app, struct tt_policy *p, struct tt_index *ix);
/* Drops the current policy and index, destroys the locks. The server must be stopped. */
void tt_app_fini(struct tt_app *app);

/* Takes a reference on the current policy and index; pair with tt_app_policy_release. Never
 * NULL once the app has started. Takes no lock: the pointer is read and its count raised in a
 * read-side section, and a swap frees nothing before every such section that could have read
 * the old pointer has ended (grace.h). */
struct tt_policy_ref *tt_app_policy_acquire(struct tt_app *app);
void tt_app_policy_release(struct tt_policy_ref *ref); /* NULL is a no-op */
/* Installs p and its index ix as current (taking ownership of both); the old pair goes when
 * unused. Callers rebuilding the index hold reload_lock exclusively around build + swap. */
void tt_app_policy_swap(struct tt_app *app, struct tt_policy *p, struct tt_index *ix);

/* The route table (api/routes.c), ending with an entry whose method is NULL. */
extern const struct tt_route tt_api_routes[];

#endif
