/* SPDX-License-Identifier: Apache-2.0 */
/* listener.h — accepting connections for the server's libmicrohttpd daemons (server.c).
 * libmicrohttpd's own thread pool lets whichever worker wakes first accept up to ten pending
 * connections at once: 50 keep-alive clients connecting together often all landed on one of
 * the two workers, which then served every request while the other idled (one paced run: p99
 * 4.9 ms with all on one worker, 1.7 ms balanced). Instead the server runs one single-threaded
 * daemon per worker without a listening socket, and this listener's thread accepts and hands
 * each connection to the daemon holding the fewest (MHD_add_connection).
 * Private to src/http/. */
#ifndef TT_HTTP_LISTENER_H
#define TT_HTTP_LISTENER_H

#include <microhttpd.h>
#include <stddef.h>

struct tt__listener;

/* A listener for the listening socket fd (ownership taken: closed by tt__listener_free, also on
 * failure; made non-blocking) and n daemons, not yet accepting. NULL when out of memory or
 * out of descriptors. */
struct tt__listener *tt__listener_new(int fd, size_t n);

/* For daemon i's MHD_OPTION_NOTIFY_CONNECTION: the callback and its cls, which keep the
 * daemon's count of open connections. */
MHD_NotifyConnectionCallback tt__listener_notify(void);
void *tt__listener_notify_cls(struct tt__listener *l, size_t i);

/* Sets daemon i (started with MHD_USE_NO_LISTEN_SOCKET, MHD_USE_ITC and the notify callback
 * above); every daemon is set before tt__listener_run. */
void tt__listener_set_daemon(struct tt__listener *l, size_t i, struct MHD_Daemon *d);

/* Starts the accepting thread. Returns 0 or -TT_E_INTERNAL (no thread could start). */
int tt__listener_run(struct tt__listener *l);

/* Stops accepting (joins the thread) and closes the listening socket; the daemons go on
 * serving the connections they hold. Idempotent. */
void tt__listener_stop(struct tt__listener *l);

/* Stops it if running and frees it (NULL is fine). The daemons are the caller's, and must be
 * stopped first: their connections' CLOSED notifications use it. */
void tt__listener_free(struct tt__listener *l);

#endif
