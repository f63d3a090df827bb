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
#define TT_HTTP_BODY_MAX_DEFAULT (8u << 20)   /* 8 MiB: a 10,000-item decision batch fits */

/* Who is calling (filled from the API key; empty for public routes). */
struct tt_auth {
    int authenticated;
    char key_id[TT_ID_MAX];
    char tenant_id[TT_ID_MAX];
    enum tt_tenant_kind tenant_kind;
    enum tt_role role;
};

struct tt_req {
    const char *method;            /* "GET", … */
    const char *path;              /* "/v1/subjects/sub_x" (no query string) */
    const char *param_names[TT_HTTP_MAX_PARAMS];   /* from "{id}" in the route pattern */
    const char *param_values[TT_HTTP_MAX_PARAMS];  /* url-decoded; valid for the request */
    int n_params;
    const char *body;              /* raw body (NUL-terminated), NULL if none */
    size_t body_len;
    json_t *json;                  /* parsed body when Content-Type is JSON; borrowed */
    struct tt_auth auth;
    char request_id[40];           /* "req-…" also sent as X-Request-Id */
    struct tt_app *app;
    void *priv;                    /* the server's connection state */
};

struct tt_resp {
    int status;                    /* 200 when left 0 */
    json_t *json;                  /* body; the server takes ownership and frees it */
    char *raw;                     /* or a raw body (malloc'd; the server frees it) */
    size_t raw_len;
    const char *content_type;      /* for raw; static string */
    char location[256];            /* Location header when non-empty */
    char cache_control[64];
    /* problem details, filled by tt_problem */
    int err;                       /* negative tt_err code */
    char field[96];                /* the offending field, JSON-pointer-ish ("items/3/purpose") */
    char detail[256];              /* human text; never a personal value */
};

/* A handler returns 0 after filling resp, or a negative tt_err code (usually via tt_problem). */
typedef int (*tt_handler)(struct tt_req *req, struct tt_resp *resp);

struct tt_route {
    const char *method;
    const char *pattern;           /* "/v1/subjects/{id}/records" */
    tt_handler fn;
    int auth;                      /* 1: Bearer key required */
    enum tt_role min_role;         /* checked when auth */
    const char *summary;           /* OpenAPI summary */
    const char *tag;               /* OpenAPI tag */
    const char *request_schema;    /* OpenAPI component name of the body, or NULL */
    const char *response_schema;   /* component name of the 2xx body, or NULL */
};

/* Records a problem in resp and returns -code, so handlers write
 *   return tt_problem(resp, TT_E_UNKNOWN_PURPOSE, "purpose", "no purpose '%s'", key);
 * (only policy keys and field names go into detail: never a personal value). */
int tt_problem(struct tt_resp *resp, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Request accessors. */
const char *tt_req_param(const struct tt_req *req, const char *name);   /* path param or NULL */
const char *tt_req_query(const struct tt_req *req, const char *name);   /* query arg or NULL */
const char *tt_req_header(const struct tt_req *req, const char *name);  /* header or NULL */

/* Sets resp->json (taking ownership) with status. Returns 0. */
int tt_reply(struct tt_resp *resp, int status, json_t *body);

/* The server. */
struct tt_server_config {
    const char *listen;            /* "127.0.0.1:8080" */
    unsigned threads;              /* 0 = number of cores */
    size_t body_max;               /* 0 = TT_HTTP_BODY_MAX_DEFAULT */
    const char *web_root;          /* static files under /web/ (may be NULL) */
};

struct tt_server;
/* Starts serving routes (a table ending with a {0} entry) in background threads. Returns 0 or a
 * negative code with a reason in err. */
int tt_server_start(const struct tt_server_config *cfg, const struct tt_route *routes,
                    struct tt_app *app, struct tt_server **out, char *err, size_t err_size);
/* Actual bound port (useful with port 0). */
unsigned tt_server_port(const struct tt_server *s);
/* Stops accepting, lets in-flight requests finish, frees. NULL is a no-op. */
void tt_server_stop(struct tt_server *s);

/* Prometheus text for every route: request counts by status class and latency histograms. */
char *tt_metrics_render(const struct tt_server *s, size_t *len);   /* malloc'd */

#endif
