/* SPDX-License-Identifier: Apache-2.0 */
/* serve_wait.h — `tutela serve` before its store is open (issue 9). */
#ifndef TT_CLI_SERVE_WAIT_H
#define TT_CLI_SERVE_WAIT_H

#include "../api/app.h"

/* Starts a server on cfg->listen that answers while the store is still being opened (a
 * database down at start is retried for TUTELA_DB_CONNECT_TIMEOUT): GET /healthz 200, GET
 * /readyz 503 problem+json naming the store (field "store"), every other route of the API 503
 * with Retry-After, static files as usual. app is only passed on to the server. Returns 0 and
 * *out, or a negative tt_err code with a reason in err. Stop it with tt_server_stop. */
int tt_serve_wait_start(const struct tt_server_config *cfg, struct tt_app *app,
                        struct tt_server **out, char *err, size_t err_size);

/* The listen address of the real server once the waiting one (srv) stops: listen itself, or,
 * when it asked for port 0, the same host with the port srv was given. */
void tt_serve_wait_listen(const char *listen, const struct tt_server *srv, char *out, size_t size);

#endif
