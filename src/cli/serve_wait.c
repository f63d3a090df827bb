/* SPDX-License-Identifier: Apache-2.0 */
/* serve_wait.c — what `tutela serve` answers while it is still opening its store (issue 9): it
 * listens at once, so an orchestrator sees a live process (/healthz 200) that is not ready
 * (/readyz 503, naming the store), and clients get 503 with Retry-After rather than a refused
 * connection. The route table is the API's own, every handler replaced and no auth (no key can
 * be checked without the store), so every known route answers the same way. */
#include "serve_wait.h"

#include <stdio.h>
#include <string.h>

#include "../core/error.h"

#define RETRY_AFTER_S 2

static const struct tt_route *wait_routes;

static int wait_healthz(struct tt_req *req, struct tt_resp *resp)
{
    (void)req;
    snprintf(resp->cache_control, sizeof resp->cache_control, "no-store");
    json_t *body = json_pack("{s:s}", "status", "ok");
    return body ? tt_reply(resp, 200, body) : tt_problem(resp, TT_E_NOMEM, "", "out of memory");
}

static int wait_readyz(struct tt_req *req, struct tt_resp *resp)
{
    (void)req;
    snprintf(resp->cache_control, sizeof resp->cache_control, "no-store");
    resp->retry_after = RETRY_AFTER_S;
    return tt_problem(resp, TT_E_UNAVAILABLE, "store",
                      "the store is not open yet: the database is unreachable, retrying");
}

static int wait_other(struct tt_req *req, struct tt_resp *resp)
{
    (void)req;
    resp->retry_after = RETRY_AFTER_S;
    return tt_problem(resp, TT_E_UNAVAILABLE, "", "starting: the store is not open yet");
}

/* The API's table with the waiting handlers; built once (the table is static data). */
static const struct tt_route *routes_of_wait(void)
{
    static struct tt_route table[1024];
    if (wait_routes)
        return wait_routes;
    size_t n = 0;
    for (; tt_api_routes[n].method && n + 1 < sizeof table / sizeof table[0]; n++) {
        table[n] = tt_api_routes[n];
        table[n].auth = 0;
        if (strcmp(table[n].pattern, "/healthz") == 0)
            table[n].fn = wait_healthz;
        else if (strcmp(table[n].pattern, "/readyz") == 0)
            table[n].fn = wait_readyz;
        else
            table[n].fn = wait_other;
    }
    memset(&table[n], 0, sizeof table[n]);
    wait_routes = table;
    return wait_routes;
}

int tt_serve_wait_start(const struct tt_server_config *cfg, struct tt_app *app,
                        struct tt_server **out, char *err, size_t err_size)
{
    return tt_server_start(cfg, routes_of_wait(), app, out, err, err_size);
}

void tt_serve_wait_listen(const char *listen, const struct tt_server *srv, char *out, size_t size)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || strcmp(colon, ":0") != 0 || !srv) {
        snprintf(out, size, "%s", listen);
        return;
    }
    snprintf(out, size, "%.*s:%u", (int)(colon - listen), listen, tt_server_port(srv));
}
