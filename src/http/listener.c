/* SPDX-License-Identifier: Apache-2.0 */
/* listener.c — one thread accepts on the listening socket and hands each connection to the
 * daemon with the fewest open connections (listener.h). Counts: raised here when a connection
 * is handed over, lowered by the daemon's CLOSED notification (or at once when the hand-over
 * failed; libmicrohttpd then closed the socket). */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../core/error.h"

#define ACCEPT_PAUSE_MS 10 /* out of descriptors or memory: wait before accepting again */

struct slot {
    struct MHD_Daemon *daemon;
    atomic_long conns;
};

struct tt__listener {
    int fd;      /* listening socket, -1 once closed */
    int wake_fd; /* eventfd: stop */
    pthread_t thread;
    int running;
    size_t n;
    struct slot slots[];
};

struct tt__listener *tt__listener_new(int fd, size_t n)
{
    struct tt__listener *l = n ? calloc(1, sizeof *l + n * sizeof l->slots[0]) : NULL;
    int wake = l ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;
    int flags = fcntl(fd, F_GETFL);
    /* non-blocking: the accepting loop takes what is pending and stops at EAGAIN */
    if (!l || wake < 0 || flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        if (wake >= 0)
            close(wake);
        free(l);
        close(fd);
        return NULL;
    }
    l->fd = fd;
    l->wake_fd = wake;
    l->n = n;
    for (size_t i = 0; i < n; i++)
        atomic_init(&l->slots[i].conns, 0);
    return l;
}

static void notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                   enum MHD_ConnectionNotificationCode code)
{
    (void)conn;
    (void)socket_context;
    struct slot *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED)
        atomic_fetch_sub(&s->conns, 1);
}

MHD_NotifyConnectionCallback tt__listener_notify(void)
{
    return notify;
}

void *tt__listener_notify_cls(struct tt__listener *l, size_t i)
{
    return &l->slots[i];
}

void tt__listener_set_daemon(struct tt__listener *l, size_t i, struct MHD_Daemon *d)
{
    l->slots[i].daemon = d;
}

static struct slot *least_busy(struct tt__listener *l)
{
    struct slot *best = &l->slots[0];
    for (size_t i = 1; i < l->n; i++)
        if (atomic_load(&l->slots[i].conns) < atomic_load(&best->conns))
            best = &l->slots[i];
    return best;
}

/* Accepts what is pending. Returns 0, or -1 when it should pause (out of descriptors or
 * memory). */
static int accept_pending(struct tt__listener *l)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int c = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                return -1;
            return 0; /* EAGAIN, or an error of that one connection */
        }
        if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
            int one = 1;
            setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        struct slot *s = least_busy(l);
        atomic_fetch_add(&s->conns, 1);
        if (MHD_add_connection(s->daemon, c, (struct sockaddr *)&ss, len) != MHD_YES)
            atomic_fetch_sub(&s->conns, 1); /* the socket is closed */
    }
}

static void *run(void *arg)
{
    struct tt__listener *l = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = l->wake_fd, .events = POLLIN},
                              {.fd = l->fd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        if (p[1].revents && accept_pending(l) < 0 && poll(p, 1, ACCEPT_PAUSE_MS) > 0)
            break; /* stopped while pausing */
    }
    return NULL;
}

int tt__listener_run(struct tt__listener *l)
{
    if (pthread_create(&l->thread, NULL, run, l) != 0)
        return -TT_E_INTERNAL;
    pthread_setname_np(l->thread, "tt-accept");
    l->running = 1;
    return 0;
}

void tt__listener_stop(struct tt__listener *l)
{
    if (!l)
        return;
    if (l->running) {
        uint64_t one = 1;
        while (write(l->wake_fd, &one, sizeof one) < 0 && errno == EINTR)
            ;
        pthread_join(l->thread, NULL);
        l->running = 0;
    }
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
}

void tt__listener_free(struct tt__listener *l)
{
    if (!l)
        return;
    tt__listener_stop(l);
    close(l->wake_fd);
    free(l);
}
