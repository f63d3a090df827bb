/* SPDX-License-Identifier: Apache-2.0 */
/* http.h — the contract between the server plumbing (src/http) and the resource handlers
 * (src/api). The server accepts a request, enforces the body limit, parses JSON bodies,
 * authenticates the Bearer key, checks the route's minimum role, calls the handler, renders
 * its tt_resp (or a problem+json for a negative return), logs one JSON line and counts metrics.
 * Handlers never see libmicrohttpd. */
#ifndef TT_HTTP_HTTP_H
#define TT_HTTP_HTTP_H

#include <jansson.h>
#include <stddef.h>

#include "../core/types.h"

struct tt_app;

#define TT_HTTP_MAX_PARAMS 4
#define TT_HTTP_BODY_MAX_DEFAULT (8u << 20) /* 8 MiB: a 10,000-item decision batch fits */
#define TT_HTTP_REQUEST_ID_MAX 65           /* 64 chars of [A-Za-z0-9._-] and the NUL */
#define TT_HTTP_PATH_MAX 2048               /* longer request paths get 404 no-route */

/* RFC 9457 problem "type" = this base + the slug of errors.def, e.g.
 * "https://tutela.dev/problems/unknown-purpose". Stable: clients may compare it. */
#define TT_PROBLEM_TYPE_BASE "https://tutela.dev/problems/"

/* Who is calling (filled from the API key; empty for public routes). */
struct tt_auth {
    int authenticated;
    char key_id[TT_ID_MAX];
    char tenant_id[TT_ID_MAX];
    enum tt_tenant_kind tenant_kind;
    enum tt_role role;
    char session_id[TT_ID_MAX]; /* "ses_…" when authenticated by the tt_session cookie (key_id
                                   then holds the account id, or the key id of a key session) */
};

struct tt_req {
    const char *method; /* "GET", … */
    const char *path;   /* "/v1/subjects/sub_x" as sent (still %-encoded; no query) */
    const char *param_names[TT_HTTP_MAX_PARAMS];  /* from "{id}" in the route pattern */
    const char *param_values[TT_HTTP_MAX_PARAMS]; /* url-decoded; valid for the request */
    int n_params;
    const char *body; /* raw body (NUL-terminated), NULL if none */
    size_t body_len;
    json_t *json; /* parsed body when Content-Type is JSON; borrowed */
    struct tt_auth auth;
    char request_id[TT_HTTP_REQUEST_ID_MAX]; /* the client's X-Request-Id if well-formed
                                                (1-64 of [A-Za-z0-9._-]), else "req-…";
                                                always echoed as X-Request-Id */
    struct tt_app *app;
    void *priv;         /* the server's connection state */
    char client_ip[64]; /* the peer's address (rate limits; never logged) */
    int local_plain;    /* 1: plain http from 127.0.0.1/::1 (cookies without Secure) */
};

struct tt_resp {
    int status;   /* 200 when left 0 */
    json_t *json; /* body; the server takes ownership and frees it */
    char *raw;    /* or a raw body (malloc'd; the server frees it) */
    size_t raw_len;
    const char *content_type; /* for raw; static string */
    char location[256];       /* Location header when non-empty */
    char cache_control[64];
    /* problem details, filled by tt_problem */
    int err;              /* negative tt_err code */
    char field[96];       /* the offending field, JSON-pointer-ish ("items/3/purpose") */
    char detail[256];     /* human text; never a personal value */
    char set_cookie[256]; /* Set-Cookie header when non-empty (sessions) */
    int retry_after;      /* Retry-After seconds when > 0 (429) */
};

/* Answers status with body (malloc'd, len bytes; the server takes it and frees it) of
 * content_type (a static string). Returns 0, the handler's "answered". */
static inline int tt_resp_raw(struct tt_resp *resp, int status, char *body, size_t len,
                              const char *content_type)
{
    resp->status = status;
    resp->raw = body;
    resp->raw_len = len;
    resp->content_type = content_type;
    return 0;
}

/* A handler returns 0 after filling resp, or a negative tt_err code (usually via tt_problem). */
typedef int (*tt_handler)(struct tt_req *req, struct tt_resp *resp);

struct tt_route {
    const char *method;
    const char *pattern; /* "/v1/subjects/{id}/records" */
    tt_handler fn;
    int auth;                    /* 1: Bearer key required */
    enum tt_role min_role;       /* checked when auth */
    const char *summary;         /* OpenAPI summary */
    const char *tag;             /* OpenAPI tag */
    const char *request_schema;  /* OpenAPI component name of the body, or NULL; a media type
                                    (holding '/', e.g. "message/rfc822") instead means the
                                    body is taken raw in that type (not parsed as JSON);
                                    "application/json;schema=Name": JSON taken raw (the
                                    handler scans it or calls tt_req_parse_json), documented
                                    by component Name */
    const char *response_schema; /* component name of the 2xx body, or NULL */
    int ok_status;               /* OpenAPI: the success status (0 = 200) */
};

/* Records a problem in resp and returns -code, so handlers write
 *   return tt_problem(resp, TT_E_UNKNOWN_PURPOSE, "purpose", "no purpose '%s'", key);
 * (only policy keys and field names go into detail: never a personal value). */
int tt_problem(struct tt_resp *resp, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Request accessors. */
const char *tt_req_param(const struct tt_req *req, const char *name);  /* path param or NULL */
const char *tt_req_query(const struct tt_req *req, const char *name);  /* query arg or NULL */
const char *tt_req_header(const struct tt_req *req, const char *name); /* header or NULL */

/* Parses req->body into req->json (owned by the server) for a route that takes its JSON raw;
 * no body leaves req->json NULL. Returns 0 or a 400 invalid-json problem (position and reason,
 * never the body's text), as the server answers for the other JSON routes. */
int tt_req_parse_json(struct tt_req *req, struct tt_resp *resp);

/* Deferred answers: a handler whose answer must wait for work done on another thread (the
 * audit group commit) fills resp, calls tt_req_defer(req), hands req to that work and returns
 * TT_HTTP_DEFERRED; the connection is then parked without holding a server thread. The work
 * calls tt_req_resume(req, rc, detail) exactly once, from any thread (even before the handler
 * returned): rc 0 sends resp as filled; a negative tt_err code sends that problem with detail (a
 * static string) instead, or as filled when resp already holds it (tt_problem). tt_req_defer
 * returns 0, or -1 for a request the server does not own (in-process callers of a handler): the
 * handler then waits for the work itself. */
#define TT_HTTP_DEFERRED 1
int tt_req_defer(struct tt_req *req);
void tt_req_resume(struct tt_req *req, int rc, const char *detail);

/* Sets resp->json (taking ownership) with status. Returns 0. */
int tt_reply(struct tt_resp *resp, int status, json_t *body);

/* The server. */
struct tt_server_config {
    const char *listen;   /* "127.0.0.1:8080" */
    unsigned threads;     /* 0 = number of cores */
    size_t body_max;      /* 0 = TT_HTTP_BODY_MAX_DEFAULT */
    const char *web_root; /* static files under /web/ (may be NULL) */
};

struct tt_server;
/* Starts serving routes (a table ending with a {0} entry) in background threads. Returns 0 or a
 * negative code with a reason in err.
 * listen: "HOST:PORT" or "[IPV6]:PORT"; port 0 picks a free port (see tt_server_port).
 * cfg->threads libmicrohttpd epoll threads (0: one per core), each new connection handed by
 * one accepting thread to the one holding the fewest (listener.h), 30 s idle timeout, at most
 * 4096 connections; log lines written by a background thread meanwhile (log.h).
 * Per request, in this order, before any body byte is read:
 *   GET/HEAD /web/… with web_root set -> static file (Cache-Control: public, max-age=300);
 *   route match on the raw path: no pattern 404 no-route; path but not method 405 with Allow
 *   (OPTIONS gets 204 with Allow); a {param} with a bad %-escape or NUL 400 invalid-parameter
 *   (field = the param name); a bad query string 400 (field "query");
 *   auth=1: Bearer token checked (401 + WWW-Authenticate; 503 when the store is unavailable),
 *   role below min_role 403;
 *   Content-Length over body_max 413; a body (Content-Length > 0 or chunked) whose Content-Type
 *   is not application/json (or application/…+json) 415.
 * Then the body is read (a chunked body over the limit is discarded and answered 413), parsed
 * with JSON_REJECT_DUPLICATES (object or array; errors 400 malformed-json with line/column), and
 * the handler runs in a server thread; an empty body reaches it with req->json NULL.
 * Every response carries X-Request-Id, X-Content-Type-Options: nosniff, Referrer-Policy:
 * no-referrer and Cache-Control (resp->cache_control, else no-store). Problems are
 * application/problem+json: type (TT_PROBLEM_TYPE_BASE + slug), title, status, detail, field
 * (when known) and instance (the request id). One JSON log line per request (route pattern,
 * never the raw path or query) and the route's metrics are written when it completes. */
int tt_server_start(const struct tt_server_config *cfg, const struct tt_route *routes,
                    struct tt_app *app, struct tt_server **out, char *err, size_t err_size);
/* Actual bound port (useful with port 0). */
unsigned tt_server_port(const struct tt_server *s);
/* Stops accepting, lets in-flight requests finish, frees. NULL is a no-op. */
void tt_server_stop(struct tt_server *s);

/* Forgets a cached verified key at once (call after revoking it); otherwise a revoked key may
 * still pass for up to 5 seconds (the auth cache TTL). NULL server is a no-op. Thread safe. */
void tt_server_auth_forget(struct tt_server *s, const char *key_id);

/* Prometheus text format 0.0.4 for every route of s (s may be NULL: registry only):
 *   tutela_http_requests_total{route="/v1/subjects/{id}",method="GET",code="2xx"} N
 *   tutela_http_request_duration_seconds_bucket{route=…,method=…,le="0.005"} N  (+ _sum, _count)
 * Requests that matched no route count under route="unmatched"; static files under
 * route="/web/{file}".
 * Then every series registered through tt_metrics_counter_add / tt_metrics_gauge_set.
 * Returns a malloc'd NUL-terminated text (length in *len when len is not NULL), NULL on ENOMEM. */
char *tt_metrics_render(const struct tt_server *s, size_t *len);

/* Process-wide metrics other modules publish (jobs, store, index). name is a Prometheus metric
 * name ([a-zA-Z_:][a-zA-Z0-9_:]*), labels "" or a label list without braces, e.g.
 *   tt_metrics_counter_add("tutela_sweep_erased_total", "kind=\"retention\"", 3);
 *   tt_metrics_gauge_set("tutela_subjects", "", 1234);
 * A counter only grows (negative values are refused); a gauge is set. help (may be NULL) is
 * rendered as # HELP once per name. Up to 512 series; a name keeps the type it first had.
 * Returns 0, -TT_E_BAD_PARAM (bad name/labels/value, type clash) or -TT_E_NOMEM (full).
 * Thread safe. */
int tt_metrics_counter_add(const char *name, const char *labels, double value);
int tt_metrics_gauge_set(const char *name, const char *labels, double value);
int tt_metrics_describe(const char *name, const char *help);

/* API tokens: "tt_" + key_id + "_" + secret, where key_id is "<prefix>_<id chars>" (one '_',
 * prefix [a-z]+, id chars [a-z0-9]+, e.g. "key_3kq…") and secret is base64url without padding
 * ([A-Za-z0-9_-], 16-128 chars; it may itself contain '_'). The split rule: the key id ends at the
 * second '_' after "tt_"; everything after that '_' is the secret.
 * tt_api_token_parse fills key_id and secret (secret_size >= 129 holds any valid secret) and
 * returns 0, or -TT_E_UNAUTHORIZED for anything malformed (outputs untouched).
 * tt_api_token_format writes the token into out and returns 0, or -TT_E_BAD_PARAM when key_id or
 * secret do not follow the rules above or out is too small. */
#define TT_API_SECRET_MAX 128
#define TT_API_TOKEN_MAX (3 + TT_ID_MAX + 1 + TT_API_SECRET_MAX + 1)
int tt_api_token_parse(const char *token, char key_id[TT_ID_MAX], char *secret, size_t secret_size);
int tt_api_token_format(const char *key_id, const char *secret, char *out, size_t out_size);

/* OpenAPI 3.1 document describing routes (a table ending with a NULL method): every route under
 * paths with summary, tag, operationId, path parameters from "{x}", bearer security when auth,
 * requestBody / 2xx response referencing #/components/schemas/<name> when set, and
 * application/problem+json responses (schema Problem) for 4XX/5XX. components_json (may be NULL)
 * is a JSON object text merged into components; the Problem schema and the bearerAuth security
 * scheme are added to it. Returns a new reference, or NULL when components_json is not a JSON
 * object or memory runs out. */
json_t *tt_openapi_build(const struct tt_route *routes, const char *version,
                         const char *components_json);

#endif
