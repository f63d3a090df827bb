/* SPDX-License-Identifier: Apache-2.0 */
/* app.h — the application context every handler receives: store, secrets, clock, the current
 * policy (swapped atomically on reload), and the routes. Long-lived, allocated at start. */
#ifndef TT_API_APP_H
#define TT_API_APP_H

#include <pthread.h>
#include <stdatomic.h>

#include "../core/clock.h"
#include "../core/policy.h"
#include "../core/vault.h"
#include "../http/http.h"
#include "../store/store.h"

struct tt_index;   /* the decision index (core/index.h) */

/* A policy shared by the requests that use it; freed when the last one lets go. */
struct tt_policy_ref {
    struct tt_policy *policy;
    atomic_int refs;
};

struct tt_app {
    struct tt_store *store;
    struct tt_master *master;
    struct tt_clock clock;
    struct tt_index *index;          /* may be NULL until the decision engine lands */
    struct tt_server *server;        /* for /metrics */
    const char *policy_path;

    pthread_mutex_t policy_lock;
    struct tt_policy_ref *policy;    /* current; guarded by policy_lock */
    atomic_int ready;                /* /readyz */
};

/* Takes a reference on the current policy; pair with tt_app_policy_release. Never NULL once
 * the app has started. */
struct tt_policy_ref *tt_app_policy_acquire(struct tt_app *app);
void tt_app_policy_release(struct tt_policy_ref *ref);   /* NULL is a no-op */
/* Installs p as the current policy (taking ownership); the old one goes when unused. */
void tt_app_policy_swap(struct tt_app *app, struct tt_policy *p);

/* The route table (api/routes.c), ending with an entry whose method is NULL. */
extern const struct tt_route tt_api_routes[];

#endif
