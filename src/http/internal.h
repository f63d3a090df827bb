/* SPDX-License-Identifier: Apache-2.0 */
/* internal.h — the pieces of the HTTP layer behind http.h: router and URL decoding, query
 * parsing, problem rendering, per-route metrics, the API-key cache and static files.
 * Private to src/http/ and its tests; handlers include http.h only. */
#ifndef TT_HTTP_INTERNAL_H
#define TT_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "http.h"

/* --- URL decoding (router.c) -------------------------------------------------------------- */

/* Percent-decodes in[0..len) into out (out_size >= len + 1 always suffices); with plus_space
 * '+' becomes ' ' (query strings). Refuses a truncated or non-hex escape and any NUL (raw or
 * %00). Returns 0 (out NUL-terminated, *out_len set when not NULL) or -TT_E_BAD_PARAM. */
int tt__url_decode(const char *in, size_t len, int plus_space, char *out, size_t out_size,
                   size_t *out_len);

/* --- routing (router.c) ------------------------------------------------------------------- */

#define TT__PATH_SEGMENTS_MAX 32

struct tt__route_match {
    int route; /* index into the table, or -1 */
    int n_params;
    const char *names[TT_HTTP_MAX_PARAMS];  /* point into name_buf */
    const char *values[TT_HTTP_MAX_PARAMS]; /* decoded, point into buf */
    char bad_param[64];                     /* name of the parameter that failed to decode */
    char allow[128];                        /* for 405: "GET, HEAD, POST" */
    char name_buf[TT_HTTP_MAX_PARAMS][64];
    char buf[TT_HTTP_PATH_MAX + TT_HTTP_MAX_PARAMS];
};

/* Matches raw_path (as sent: %-encoded, no query) and method against routes (ending with a NULL
 * method). A route matches when every segment does: a literal one byte for byte, "{name}" any
 * non-empty segment. Among routes matching path and method the most specific wins (a literal
 * segment beats a parameter at the first place they differ). HEAD matches GET routes.
 * Returns the route index (m filled, values decoded); -TT_E_METHOD_NOT_ALLOWED when only the
 * method differs (m->allow lists the methods); -TT_E_BAD_PARAM when a parameter is not valid
 * %-encoding or holds NUL (m->bad_param names it); -TT_E_NO_ROUTE otherwise (also for paths
 * longer than TT_HTTP_PATH_MAX or with more than TT__PATH_SEGMENTS_MAX segments). */
int tt__route_match(const struct tt_route *routes, const char *method, const char *raw_path,
                    struct tt__route_match *m);

/* The literal patterns of a route table, hashed (router_index.c). */
struct tt__route_index {
    int *slots; /* route indexes, -1 for an empty slot */
    size_t mask;
};

/* Builds ix over routes (kept by the caller; must outlive ix). Returns 0, or -1 out of memory. */
int tt__route_index_build(struct tt__route_index *ix, const struct tt_route *routes);
void tt__route_index_free(struct tt__route_index *ix);

/* tt__route_match with the same answer, faster for a path that is a literal pattern: such a
 * route is the most specific possible, so the first one of the table whose pattern is the path
 * and whose method matches wins (m->allow is then left empty: it only matters for a 405);
 * anything else goes to tt__route_match. */
int tt__route_lookup(const struct tt__route_index *ix, const struct tt_route *routes,
                     const char *method, const char *raw_path, struct tt__route_match *m);

/* --- query strings (router.c) ------------------------------------------------------------- */

#define TT__QUERY_ARGS_MAX 32
#define TT__QUERY_MAX 4096

struct tt__query {
    int n;
    const char *keys[TT__QUERY_ARGS_MAX];
    const char *values[TT__QUERY_ARGS_MAX]; /* "" for "?flag" */
    char buf[TT__QUERY_MAX + 2 * TT__QUERY_ARGS_MAX + 2];
};

/* Parses "a=1&b=x%20y" (without the '?'): pairs split on '&', key and value %-decoded with '+'
 * as space; empty pairs skipped. Returns 0, or -TT_E_BAD_PARAM for a bad escape or NUL, more
 * than TT__QUERY_ARGS_MAX pairs, or a query longer than TT__QUERY_MAX. */
int tt__query_parse(const char *qs, size_t len, struct tt__query *q);
/* First value of key, or NULL. */
const char *tt__query_get(const struct tt__query *q, const char *key);

/* --- problems (problem.c) ----------------------------------------------------------------- */

/* The RFC 9457 object for code: type, title, status, detail (default message when detail is
 * NULL or empty), field (only when non-empty), instance (the request id, when non-empty). */
json_t *tt__problem_json(int code, const char *field, const char *detail, const char *instance);

/* --- request ids (server.c) --------------------------------------------------------------- */

/* 1: s is 1-64 chars of [A-Za-z0-9._-]. */
int tt__request_id_valid(const char *s);
/* "req-" + 24 random lowercase base32 chars. */
void tt__request_id_new(char out[TT_HTTP_REQUEST_ID_MAX]);

/* --- metrics (metrics.c) ------------------------------------------------------------------ */

#define TT__LATENCY_BUCKETS 13

struct tt__route_stats {
    atomic_uint_least64_t by_class[5];                      /* 1xx … 5xx */
    atomic_uint_least64_t buckets[TT__LATENCY_BUCKETS + 1]; /* per bucket; last is +Inf */
    atomic_uint_least64_t sum_us;
    atomic_uint_least64_t count;
};

struct tt__metrics {
    const struct tt_route *routes;
    size_t n_routes; /* slots: routes, then static files, then unmatched */
    struct tt__route_stats *slots;
};

/* Slots are route indexes; these two follow the routes. */
#define TT__SLOT_STATIC(m) ((m)->n_routes)
#define TT__SLOT_UNMATCHED(m) ((m)->n_routes + 1)

int tt__metrics_init(struct tt__metrics *m, const struct tt_route *routes);
void tt__metrics_free(struct tt__metrics *m);
void tt__metrics_observe(struct tt__metrics *m, size_t slot, int status, double seconds);
/* The text of tt_metrics_render; m may be NULL (registry only). */
char *tt__metrics_render(const struct tt__metrics *m, size_t *len);
/* Empties the process-wide registry (tests). */
void tt__metrics_registry_reset(void);

/* --- API-key auth (auth.c) ---------------------------------------------------------------- */

#define TT__AUTH_CACHE_SLOTS 256
#define TT__AUTH_TTL_NS (5ll * 1000000000ll)

struct tt__auth_entry {
    char key_id[TT_ID_MAX];
    char hash_hex[TT_HASH_HEX];
    char tenant_id[TT_ID_MAX];
    enum tt_tenant_kind tenant_kind;
    enum tt_role role;
    int64_t expires_ns; /* CLOCK_MONOTONIC; 0 = empty slot */
};

struct tt__auth_cache {
    pthread_mutex_t lock;
    struct tt__auth_entry slots[TT__AUTH_CACHE_SLOTS];
};

void tt__auth_cache_init(struct tt__auth_cache *c);
void tt__auth_cache_destroy(struct tt__auth_cache *c);
void tt__auth_cache_forget(struct tt__auth_cache *c, const char *key_id);

/* Verifies an Authorization header value ("Bearer tt_…"; NULL when absent) against the store of
 * app, through the cache. Returns 0 with out filled; -TT_E_UNAUTHORIZED (missing, malformed,
 * unknown, wrong secret, revoked, tenant gone); -TT_E_UNAVAILABLE (no store, or busy);
 * -TT_E_STORE (hard store failure). */
int tt__auth_check(struct tt__auth_cache *c, struct tt_app *app, const char *authorization,
                   struct tt_auth *out);

/* --- static files (static.c) -------------------------------------------------------------- */

/* Opens the file for rel (the %-encoded path after "/web/"; "" means index.html) under root.
 * Refuses "..", ".", dot-files, NUL, backslashes, bad escapes, and anything that resolves
 * (symlinks included) outside root. Directories serve their index.html.
 * Returns 0 with *fd (caller closes), *size and *ctype (static string) set; -TT_E_NOT_FOUND
 * when there is no such regular file or the path is refused. */
int tt__static_open(const char *root, const char *rel, int *fd, uint64_t *size, const char **ctype);
/* Content type for a file name by extension (application/octet-stream when unknown). */
const char *tt__static_content_type(const char *name);

#endif
