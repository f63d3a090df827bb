/* SPDX-License-Identifier: Apache-2.0 */
/* server.c — libmicrohttpd glue (epoll + thread pool): one request's life from the raw request
 * line to the log line. Routing, auth and the body checks run when the headers are in, before
 * any body is read; the handler runs once the body is complete; the response carries the
 * request id and security headers; completion logs one JSON line and counts metrics. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../core/error.h"
#include "listener.h"
#include "log.h"
#include "session.h"

#define CONNECTION_TIMEOUT_S 30u
#define CONNECTION_LIMIT 4096u
/* libmicrohttpd's memory per connection (headers, read buffer, reply headers), zeroed again
 * after every request of a kept-alive connection: its default 32 KiB cost 6 % of the server's
 * CPU for single decisions. 16 KiB still takes 8 KiB of request headers (a body is streamed
 * to us in pieces and never needs to fit). */
#define CONNECTION_MEMORY 16384u
#define STOP_WAIT_NS (30ll * 1000000000ll)
#define URI_MAX (TT_HTTP_PATH_MAX + TT__QUERY_MAX + 2)
/* A chunked body has no length up front, and libmicrohttpd 0.9.75 cannot answer before the
 * upload ends: past the limit the rest is discarded unread into memory, up to this much, so the
 * client still gets its 413; beyond it the connection is dropped. */
#define DRAIN_MAX (16ull << 20)

#define DAEMONS_MAX 256

struct tt_server {
    struct MHD_Daemon *daemons[DAEMONS_MAX]; /* one per worker thread, fed by the listener */
    size_t n_daemons;
    struct tt__listener *listener;
    struct tt__route_index route_index; /* the literal patterns of routes */
    const struct tt_route *routes;
    struct tt_app *app;
    size_t body_max;
    char *web_root;
    unsigned port;
    atomic_int inflight; /* requests seen by the URI callback and not yet completed */
    atomic_int stopping;
    struct tt__metrics metrics;
    struct tt__auth_cache auth;
};

/* One request. Allocated by the URI callback, freed on completion. */
struct ctx {
    struct tt_server *s;
    struct MHD_Connection *conn;
    int64_t start_ns;
    int started;   /* the first access-handler call has run */
    int too_large; /* chunked body over the limit: draining, 413 at the end */
    uint64_t drained;
    int done;                /* a response is queued */
    size_t slot;             /* metrics slot */
    const char *route_label; /* the pattern for logs: never the raw path */
    char method[12];
    int status;
    uint64_t bytes;
    char *uri; /* raw request target; path and query cut from it */
    const char *path;
    const struct tt_route *route;
    char *body;
    size_t body_len, body_cap;
    struct tt__query *query; /* only for a request with a query string (4.7 KB) */
    struct tt_req req;
    struct tt_resp resp;
    atomic_int defer; /* DEFER_*: a deferred answer's state */
    int defer_rc;     /* set by tt_req_resume before DEFER_DONE */
    /* last: left unzeroed by on_uri (2.5 KB of the 4 KB); the route lookup sets what it uses */
    struct tt__route_match match;
};

enum { DEFER_NONE, DEFER_PENDING, DEFER_PARKED, DEFER_DONE };

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* --- request ids ------------------------------------------------------------------------------*/

int tt__request_id_valid(const char *s)
{
    if (!s)
        return 0;
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n == 64 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return n >= 1;
}

/* 15 random bytes for one id: a thread keeps a block of them from one getrandom call, so most
 * requests make no system call for their id. */
#define ID_BYTES 15
#define ID_BLOCK 64
static void id_random(uint8_t r[ID_BYTES])
{
    static _Thread_local uint8_t block[ID_BYTES * ID_BLOCK];
    static _Thread_local size_t left;
    if (left == 0) {
        size_t got = 0;
        while (got < sizeof block) {
            ssize_t n = getrandom(block + got, sizeof block - got, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (got < ID_BYTES) {
            /* no entropy: a time-based id still correlates log lines (ids are not secrets) */
            memset(r, 0, ID_BYTES);
            int64_t t = mono_ns();
            memcpy(r, &t, sizeof t);
            return;
        }
        left = got / ID_BYTES;
    }
    left--;
    memcpy(r, block + left * ID_BYTES, ID_BYTES);
}

void tt__request_id_new(char out[TT_HTTP_REQUEST_ID_MAX])
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    uint8_t r[ID_BYTES];
    id_random(r);
    memcpy(out, "req-", 4);
    for (size_t i = 0; i < 24; i++) {
        size_t bit = i * 5;
        unsigned v = (unsigned)(r[bit / 8] << 8 | (bit / 8 + 1 < sizeof r ? r[bit / 8 + 1] : 0));
        out[4 + i] = b32[(v >> (11 - bit % 8)) & 31];
    }
    out[28] = '\0';
}

/* --- request accessors ------------------------------------------------------------------------*/

const char *tt_req_param(const struct tt_req *req, const char *name)
{
    for (int i = 0; req && name && i < req->n_params; i++)
        if (strcmp(req->param_names[i], name) == 0)
            return req->param_values[i];
    return NULL;
}

const char *tt_req_query(const struct tt_req *req, const char *name)
{
    if (!req || !req->priv || !name)
        return NULL;
    const struct ctx *x = req->priv;
    return x->query ? tt__query_get(x->query, name) : NULL;
}

const char *tt_req_header(const struct tt_req *req, const char *name)
{
    if (!req || !req->priv || !name)
        return NULL;
    const struct ctx *x = req->priv;
    return MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, name);
}

/* --- responses --------------------------------------------------------------------------------*/

struct extra {
    const char *allow;
    int www_authenticate;
    const char *location;
    const char *cache_control;
    const char *set_cookie;
    int retry_after;
};

/* Queues body (malloc'd, ownership taken; NULL for none) with the common headers. */
static enum MHD_Result send_body(struct ctx *x, int status, char *body, size_t len,
                                 const char *ctype, const struct extra *ex)
{
    struct MHD_Response *r =
        body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "X-Request-Id", x->req.request_id);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    const char *cc = ex && ex->cache_control && *ex->cache_control ? ex->cache_control : "no-store";
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
    if (ctype)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (ex && ex->allow && *ex->allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, ex->allow);
    if (ex && ex->www_authenticate)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"tutela\"");
    if (ex && ex->location && *ex->location)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, ex->location);
    if (ex && ex->set_cookie && *ex->set_cookie)
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, ex->set_cookie);
    if (ex && ex->retry_after > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%d", ex->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (atomic_load(&x->s->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(x->conn, (unsigned)status, r);
    MHD_destroy_response(r);
    x->done = 1;
    x->status = status;
    x->bytes = len;
    return ok;
}

/* Serialises j (reference stolen) into a malloc'd buffer. */
static char *dump_json(json_t *j, size_t *len)
{
    size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT);
    char *buf = n ? malloc(n) : NULL;
    if (buf && json_dumpb(j, buf, n, JSON_COMPACT) != n) {
        free(buf);
        buf = NULL;
    }
    json_decref(j);
    *len = buf ? n : 0;
    return buf;
}

static enum MHD_Result send_problem(struct ctx *x, int code, const char *field, const char *detail,
                                    const struct extra *ex)
{
    size_t len = 0;
    char *body = dump_json(tt__problem_json(code, field, detail, x->req.request_id), &len);
    if (!body)
        return MHD_NO;
    return send_body(x, tt_err_status(code), body, len, "application/problem+json", ex);
}

static enum MHD_Result send_resp(struct ctx *x, int rc)
{
    struct tt_resp *resp = &x->resp;
    struct extra ex = {.location = resp->location,
                       .cache_control = resp->cache_control,
                       .set_cookie = resp->set_cookie,
                       .retry_after = resp->retry_after};
    if (rc < 0) {
        int same = resp->err == rc;
        json_decref(resp->json);
        resp->json = NULL;
        free(resp->raw);
        resp->raw = NULL;
        if (tt_err_status(rc) == 401)
            ex.www_authenticate = 1;
        return send_problem(x, rc, same ? resp->field : NULL, same ? resp->detail : NULL, &ex);
    }
    int status = resp->status ? resp->status : 200;
    if (resp->json) {
        size_t len = 0;
        char *body = dump_json(resp->json, &len);
        resp->json = NULL;
        if (!body)
            return send_problem(x, TT_E_NOMEM, NULL, NULL, NULL);
        return send_body(x, status, body, len, "application/json", &ex);
    }
    if (resp->raw) {
        char *raw = resp->raw;
        resp->raw = NULL;
        return send_body(x, status, raw, resp->raw_len,
                         resp->content_type ? resp->content_type : "application/octet-stream", &ex);
    }
    return send_body(x, status, NULL, 0, NULL, &ex);
}

/* --- static files -----------------------------------------------------------------------------*/

static enum MHD_Result send_static(struct ctx *x, const char *rel)
{
    x->slot = TT__SLOT_STATIC(&x->s->metrics);
    x->route_label = "/web/{file}";
    int fd = -1;
    uint64_t size = 0;
    const char *ctype = NULL;
    if (tt__static_open(x->s->web_root, rel, &fd, &size, &ctype) < 0)
        return send_problem(x, TT_E_NOT_FOUND, NULL, "No such file.", NULL);
    struct MHD_Response *r = MHD_create_response_from_fd64(size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "X-Request-Id", x->req.request_id);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=300");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (atomic_load(&x->s->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(x->conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    x->done = 1;
    x->status = 200;
    x->bytes = size;
    return ok;
}

/* --- the request's phases ---------------------------------------------------------------------*/

static int is_json_type(const char *ct)
{
    if (!ct)
        return 0;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; \t");
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return 1;
    /* structured syntax suffix, e.g. application/merge-patch+json */
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
           strncasecmp(ct + n - 5, "+json", 5) == 0;
}

/* The media type a route takes raw (http.h: a request_schema holding '/'), or NULL. */
static const char *raw_type(const struct tt_route *r)
{
    return r && r->request_schema && strchr(r->request_schema, '/') ? r->request_schema : NULL;
}

/* 1 when the Content-Type ct is type (parameters of either ignored). */
static int is_type(const char *ct, const char *type)
{
    if (!ct)
        return 0;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; \t");
    return n == strcspn(type, ";") && strncasecmp(ct, type, n) == 0;
}

/* a.b.c.d into out (at least 16 bytes), as inet_ntop writes it but without its sprintf */
static void ipv4_text(uint32_t a, char *out)
{
    size_t n = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned b = (a >> shift) & 255u;
        if (b >= 100)
            out[n++] = (char)('0' + b / 100);
        if (b >= 10)
            out[n++] = (char)('0' + b / 10 % 10);
        out[n++] = (char)('0' + b % 10);
        out[n++] = shift ? '.' : '\0';
    }
}

/* The peer's address into req.client_ip, and whether the request is plain http to a loopback
 * name (cookies then go without Secure, so local runs and tests work). */
static void peer_of(struct ctx *x)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(x->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    int loop = 0;
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
            ipv4_text(ntohl(in->sin_addr.s_addr), x->req.client_ip);
            loop = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
        } else if (sa->sa_family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
            inet_ntop(AF_INET6, &in6->sin6_addr, x->req.client_ip, sizeof x->req.client_ip);
            loop = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
        }
    }
    const char *host = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    size_t hl = host ? strcspn(host, ":") : 0;
    if (host && host[0] == '[')
        hl = strcspn(host, "]") + 1;
    int local_host = host && ((hl == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
                              (hl == 9 && strncasecmp(host, "localhost", 9) == 0) ||
                              (hl == 5 && strncmp(host, "[::1]", 5) == 0));
    x->req.local_plain = loop && local_host;
}

/* Content-Length as a number; 0 when absent, -1 when malformed. */
static int64_t content_length(struct MHD_Connection *conn)
{
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl)
        return 0;
    int64_t v = 0;
    if (!*cl)
        return -1;
    for (const char *p = cl; *p; p++) {
        if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

static void copy_method(char *out, size_t size, const char *method)
{
    size_t n = method ? strlen(method) : 0;
    int ok = n > 0 && n < size;
    for (size_t i = 0; ok && i < n; i++)
        ok = method[i] >= 'A' && method[i] <= 'Z';
    if (!ok) {
        method = "OTHER";
        n = 5;
    }
    memcpy(out, method, n + 1); /* no printf on the request path */
}

static enum MHD_Result begin(struct ctx *x, const char *method)
{
    struct tt_server *s = x->s;
    const char *rid = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "X-Request-Id");
    if (tt__request_id_valid(rid))
        snprintf(x->req.request_id, sizeof x->req.request_id, "%s", rid);
    else
        tt__request_id_new(x->req.request_id);
    copy_method(x->method, sizeof x->method, method);
    x->slot = TT__SLOT_UNMATCHED(&s->metrics);
    x->route_label = "unmatched";
    x->req.method = method;
    x->req.app = s->app;
    x->req.priv = x;

    /* split the raw target: the path stays %-encoded for matching, the query is decoded here */
    char *q = strchr(x->uri, '?');
    const char *qs = NULL;
    if (q) {
        *q = '\0';
        qs = q + 1;
    }
    char *frag = strchr(x->uri, '#');
    if (frag)
        *frag = '\0';
    x->path = x->uri;
    x->req.path = x->path;

    int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (s->web_root && is_get && strncmp(x->path, "/web/", 5) == 0)
        return send_static(x, x->path + 5);

    int rc = tt__route_lookup(&s->route_index, s->routes, method, x->path, &x->match);
    if (rc == -TT_E_METHOD_NOT_ALLOWED) {
        struct extra ex = {.allow = x->match.allow};
        if (strcmp(method, "OPTIONS") == 0)
            return send_body(x, 204, NULL, 0, NULL, &ex);
        return send_problem(x, TT_E_METHOD_NOT_ALLOWED, NULL, NULL, &ex);
    }
    if (rc == -TT_E_BAD_PARAM)
        return send_problem(x, TT_E_BAD_PARAM, x->match.bad_param,
                            "A path parameter is not valid percent-encoding.", NULL);
    if (rc < 0)
        return send_problem(x, TT_E_NO_ROUTE, NULL, NULL, NULL);
    x->route = &s->routes[rc];
    x->slot = (size_t)rc;
    x->route_label = x->route->pattern;
    x->req.n_params = x->match.n_params;
    for (int i = 0; i < x->match.n_params; i++) {
        x->req.param_names[i] = x->match.names[i];
        x->req.param_values[i] = x->match.values[i];
    }

    if (qs && !(x->query = malloc(sizeof *x->query)))
        return send_problem(x, TT_E_NOMEM, NULL, NULL, NULL);
    if (qs && tt__query_parse(qs, strlen(qs), x->query) < 0)
        return send_problem(x, TT_E_BAD_PARAM, "query",
                            "The query string is malformed or too long.", NULL);

    peer_of(x);
    if (x->route->auth) {
        const char *authz =
            MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        const char *cookie =
            MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
        /* a Bearer key wins; without one, the tt_session cookie (issue 8) */
        if (!authz && cookie)
            rc = tt_session_check(
                s->app, cookie, method,
                MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "X-CSRF-Token"),
                &x->req.auth);
        else
            rc = tt__auth_check(&s->auth, s->app, authz, &x->req.auth);
        if (rc == -TT_E_CSRF)
            return send_problem(x, rc, "X-CSRF-Token", NULL, NULL);
        if (rc < 0) {
            struct extra ex = {.www_authenticate = rc == -TT_E_UNAUTHORIZED};
            return send_problem(x, rc, rc == -TT_E_UNAUTHORIZED ? "Authorization" : NULL, NULL,
                                &ex);
        }
        if (x->req.auth.role < x->route->min_role)
            return send_problem(x, TT_E_FORBIDDEN, NULL, NULL, NULL);
    }

    int64_t cl = content_length(x->conn);
    const char *te =
        MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (cl < 0)
        return send_problem(x, TT_E_BAD_PARAM, "Content-Length", "Malformed Content-Length.", NULL);
    if ((uint64_t)cl > s->body_max)
        return send_problem(x, TT_E_BODY_TOO_LARGE, NULL, NULL, NULL);
    if (cl > 0 || te) {
        const char *ct =
            MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (raw_type(x->route) ? !is_type(ct, raw_type(x->route)) : !is_json_type(ct))
            return send_problem(x, TT_E_UNSUPPORTED_MEDIA, "Content-Type", NULL, NULL);
    }
    if (cl > 0) {
        x->body = malloc((size_t)cl + 1);
        if (!x->body)
            return send_problem(x, TT_E_NOMEM, NULL, NULL, NULL);
        x->body_cap = (size_t)cl + 1;
    }
    return MHD_YES;
}

static enum MHD_Result take_upload(struct ctx *x, const char *data, size_t n)
{
    size_t max = x->s->body_max;
    if (x->too_large || n > max || x->body_len > max - n) {
        x->too_large = 1;
        free(x->body);
        x->body = NULL;
        x->body_len = x->body_cap = 0;
        x->drained += n;
        return x->drained > DRAIN_MAX ? MHD_NO : MHD_YES;
    }
    if (x->body_len + n + 1 > x->body_cap) {
        size_t cap = x->body_cap ? x->body_cap : 4096;
        while (cap < x->body_len + n + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        char *nb = realloc(x->body, cap);
        if (!nb)
            return send_problem(x, TT_E_NOMEM, NULL, NULL, NULL);
        x->body = nb;
        x->body_cap = cap;
    }
    memcpy(x->body + x->body_len, data, n);
    x->body_len += n;
    return MHD_YES;
}

/* jansson's message without the " near '…'" part, which quotes body text (maybe personal). */
static void json_error_detail(const json_error_t *e, char *out, size_t size)
{
    char text[JSON_ERROR_TEXT_LENGTH];
    snprintf(text, sizeof text, "%s", e->text);
    char *near = strstr(text, " near ");
    if (near)
        *near = '\0';
    snprintf(out, size, "line %d, column %d: %s", e->line, e->column, text);
}

int tt_req_parse_json(struct tt_req *req, struct tt_resp *resp)
{
    if (req->json || !req->body || req->body_len == 0)
        return 0;
    json_error_t jerr;
    req->json = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req->json) {
        char detail[200];
        json_error_detail(&jerr, detail, sizeof detail);
        return tt_problem(resp, TT_E_BAD_JSON, "", "%s", detail);
    }
    return 0;
}

int tt_req_defer(struct tt_req *req)
{
    struct ctx *x = req ? req->priv : NULL;
    if (!x)
        return -1;
    atomic_store(&x->defer, DEFER_PENDING);
    return 0;
}

void tt_req_resume(struct tt_req *req, int rc, const char *detail)
{
    struct ctx *x = req->priv;
    if (rc < 0 && x->resp.err != rc) /* a problem the work filled itself keeps its field */
        tt_problem(&x->resp, rc, "", "%s", detail ? detail : "");
    x->defer_rc = rc < 0 ? x->resp.err : 0;
    /* parked: wake it; still pending: the server thread sees DONE when it would park */
    if (atomic_exchange(&x->defer, DEFER_DONE) == DEFER_PARKED)
        MHD_resume_connection(x->conn);
}

/* Parks the connection of a deferred answer (never resumed before it is suspended). */
static enum MHD_Result park(struct ctx *x)
{
    MHD_suspend_connection(x->conn);
    int pending = DEFER_PENDING;
    if (!atomic_compare_exchange_strong(&x->defer, &pending, DEFER_PARKED))
        MHD_resume_connection(x->conn); /* already done */
    return MHD_YES;
}

static enum MHD_Result finish(struct ctx *x)
{
    if (x->too_large)
        return send_problem(x, TT_E_BODY_TOO_LARGE, NULL, NULL, NULL);
    if (x->body_len > 0) {
        x->body[x->body_len] = '\0';
        x->req.body = x->body;
        x->req.body_len = x->body_len;
    }
    int rc = raw_type(x->route) ? 0 : tt_req_parse_json(&x->req, &x->resp);
    if (rc == 0)
        rc = x->route->fn(&x->req, &x->resp);
    if (rc == TT_HTTP_DEFERRED && atomic_load(&x->defer) != DEFER_NONE)
        return park(x);
    return send_resp(x, rc);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)url; /* decoded by libmicrohttpd: we route on the raw target instead */
    (void)version;
    struct ctx *x = *con_cls;
    if (!x)
        return MHD_NO;
    x->conn = conn;
    if (x->done) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!x->started) {
        x->started = 1;
        return begin(x, method);
    }
    if (atomic_load(&x->defer) != DEFER_NONE) /* resumed: the deferred work is done */
        return atomic_load(&x->defer) == DEFER_DONE ? send_resp(x, x->defer_rc) : MHD_YES;
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return take_upload(x, upload_data, n);
    }
    return finish(x);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct tt_server *s = cls;
    struct ctx *x = malloc(sizeof *x);
    if (!x)
        return NULL;
    memset(x, 0, offsetof(struct ctx, match));
    size_t n = uri ? strlen(uri) : 0;
    if (n > URI_MAX)
        n = URI_MAX; /* too long: the cut path matches no route or the query fails to parse */
    x->uri = malloc(n + 1);
    if (!x->uri) {
        free(x);
        return NULL;
    }
    if (n)
        memcpy(x->uri, uri, n);
    x->uri[n] = '\0';
    x->s = s;
    x->conn = conn;
    x->start_ns = mono_ns();
    atomic_fetch_add(&s->inflight, 1);
    return x;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct tt_server *s = cls;
    struct ctx *x = *con_cls;
    if (!x)
        return;
    *con_cls = NULL;
    double secs = (double)(mono_ns() - x->start_ns) / 1e9;
    if (x->started) {
        if (x->status)
            tt__metrics_observe(&s->metrics, x->slot, x->status, secs);
        enum tt_log_level lvl = x->status >= 500 ? TT_LOG_ERROR : TT_LOG_INFO;
        tt_log(lvl, "request", TT_LOG_S("request_id", x->req.request_id),
               TT_LOG_S("method", x->method), TT_LOG_S("route", x->route_label),
               TT_LOG_I("status", x->status), TT_LOG_D("ms", secs * 1e3),
               TT_LOG_S("tenant", x->req.auth.authenticated ? x->req.auth.tenant_id : NULL),
               TT_LOG_I("bytes", x->bytes),
               TT_LOG_B("completed", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK));
    }
    json_decref(x->req.json);
    json_decref(x->resp.json);
    free(x->resp.raw);
    free(x->body);
    free(x->query);
    free(x->uri);
    free(x);
    atomic_fetch_sub(&s->inflight, 1);
}

/* --- lifecycle --------------------------------------------------------------------------------*/

/* "HOST:PORT" or "[V6]:PORT" into a bound, listening socket. */
static int listen_on(const char *listen_addr, int *fd_out, unsigned *port_out, char *err,
                     size_t err_size)
{
    char host[256];
    const char *colon = listen_addr ? strrchr(listen_addr, ':') : NULL;
    if (!colon || colon == listen_addr || (size_t)(colon - listen_addr) >= sizeof host) {
        snprintf(err, err_size, "listen address must be HOST:PORT");
        return -TT_E_BAD_PARAM;
    }
    size_t hl = (size_t)(colon - listen_addr);
    const char *h = listen_addr;
    if (h[0] == '[') {
        if (hl < 3 || h[hl - 1] != ']') {
            snprintf(err, err_size, "listen address: IPv6 needs [ADDR]:PORT");
            return -TT_E_BAD_PARAM;
        }
        h++;
        hl -= 2;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    const char *port = colon + 1;
    char *end = NULL;
    unsigned long pv = strtoul(port, &end, 10);
    if (!*port || *end || pv > 65535 || port[0] == '-' || port[0] == '+') {
        snprintf(err, err_size, "listen address: bad port");
        return -TT_E_BAD_PARAM;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(err, err_size, "listen address %s: %s", listen_addr, gai_strerror(gai));
        return -TT_E_BAD_PARAM;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_size, "socket: %s", strerror(errno));
        freeaddrinfo(ai);
        return -TT_E_INTERNAL;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
        snprintf(err, err_size, "listen on %s: %s", listen_addr, strerror(errno));
        close(fd);
        freeaddrinfo(ai);
        return -TT_E_UNAVAILABLE;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    unsigned bound = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            bound = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    *fd_out = fd;
    *port_out = bound;
    return 0;
}

static void server_free(struct tt_server *s)
{
    tt__listener_stop(s->listener); /* stops accepting first */
    for (size_t i = 0; i < s->n_daemons; i++)
        MHD_stop_daemon(s->daemons[i]);
    tt__listener_free(s->listener); /* after the daemons: their closing connections count in it */
    tt__metrics_free(&s->metrics);
    tt__route_index_free(&s->route_index);
    tt__auth_cache_destroy(&s->auth);
    free(s->web_root);
    free(s);
}

int tt_server_start(const struct tt_server_config *cfg, const struct tt_route *routes,
                    struct tt_app *app, struct tt_server **out, char *err, size_t err_size)
{
    if (!cfg || !routes || !out) {
        snprintf(err, err_size, "no configuration or routes");
        return -TT_E_BAD_PARAM;
    }
    struct tt_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return -TT_E_NOMEM;
    }
    s->routes = routes;
    s->app = app;
    s->body_max = cfg->body_max ? cfg->body_max : TT_HTTP_BODY_MAX_DEFAULT;
    tt__auth_cache_init(&s->auth);
    if (tt__metrics_init(&s->metrics, routes) < 0 ||
        tt__route_index_build(&s->route_index, routes) < 0 ||
        (cfg->web_root && !(s->web_root = strdup(cfg->web_root)))) {
        snprintf(err, err_size, "out of memory");
        server_free(s);
        return -TT_E_NOMEM;
    }
    int fd = -1;
    int rc = listen_on(cfg->listen, &fd, &s->port, err, err_size);
    if (rc < 0) {
        server_free(s);
        return rc;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cfg->threads ? cfg->threads : (cores > 0 ? (unsigned)cores : 1u);
    if (threads > DAEMONS_MAX)
        threads = DAEMONS_MAX;
    s->listener = tt__listener_new(fd, threads); /* owns fd from here */
    if (!s->listener) {
        snprintf(err, err_size, "out of memory");
        server_free(s);
        return -TT_E_NOMEM;
    }
    /* one daemon (one epoll thread) per worker, each connection handed to the least busy */
    for (unsigned i = 0; i < threads; i++) {
        struct MHD_Daemon *d = MHD_start_daemon(
            MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME |
                MHD_USE_NO_LISTEN_SOCKET,
            0, NULL, NULL, on_request, s, MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
            MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT / threads,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
            MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
            MHD_OPTION_NOTIFY_CONNECTION, tt__listener_notify(),
            tt__listener_notify_cls(s->listener, i), MHD_OPTION_END);
        if (!d) {
            snprintf(err, err_size, "libmicrohttpd failed to start on %s", cfg->listen);
            server_free(s);
            return -TT_E_INTERNAL;
        }
        s->daemons[s->n_daemons++] = d;
        tt__listener_set_daemon(s->listener, i, d);
    }
    if (tt__listener_run(s->listener) < 0) {
        snprintf(err, err_size, "no thread to accept connections on %s", cfg->listen);
        server_free(s);
        return -TT_E_INTERNAL;
    }
    tt_log_background(1); /* request threads make no write(2) for their log line */
    *out = s;
    return 0;
}

unsigned tt_server_port(const struct tt_server *s)
{
    return s ? s->port : 0;
}

void tt_server_auth_forget(struct tt_server *s, const char *key_id)
{
    if (s)
        tt__auth_cache_forget(&s->auth, key_id);
}

void tt_server_stop(struct tt_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, 1);
    tt__listener_stop(s->listener);
    /* in-flight requests finish (their responses go out with Connection: close) */
    int64_t deadline = mono_ns() + STOP_WAIT_NS;
    while (atomic_load(&s->inflight) > 0 && mono_ns() < deadline) {
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    server_free(s);
    tt_log_background(0);
}

char *tt_metrics_render(const struct tt_server *s, size_t *len)
{
    return tt__metrics_render(s ? &s->metrics : NULL, len);
}
