/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_http_router.c — the request-target parsers of src/http: route matching with path
 * parameter decoding (and the literal-route index, which must answer as the full match does),
 * query-string parsing, URL decoding and API-token parsing, on any bytes.
 * Input: "METHOD PATH?QUERY" (first line); the rest is also tried as a Bearer token. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/internal.h"

static int h(struct tt_req *req, struct tt_resp *resp)
{
    (void)req;
    (void)resp;
    return 0;
}

static const struct tt_route routes[] = {
    {.method = "GET", .pattern = "/healthz", .fn = h},
    {.method = "GET", .pattern = "/v1/subjects", .fn = h},
    {.method = "POST", .pattern = "/v1/subjects", .fn = h},
    {.method = "GET", .pattern = "/v1/subjects/{id}", .fn = h},
    {.method = "GET", .pattern = "/v1/subjects/lookup", .fn = h},
    {.method = "GET", .pattern = "/v1/subjects/{id}/records/{rid}", .fn = h},
    {.method = "DELETE", .pattern = "/v1/{a}/{b}/{c}/{d}/{e}", .fn = h},
    {.method = NULL},
};

static struct tt__route_match m, m2;
static struct tt__route_index ix;
static struct tt__query q;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char *nl = strchr(s, '\n');
    const char *rest = "";
    if (nl) {
        *nl = '\0';
        rest = nl + 1;
    }
    const char *method = "GET";
    char *target = s;
    char *sp = strchr(s, ' ');
    if (sp) {
        *sp = '\0';
        method = s;
        target = sp + 1;
    }
    char *qm = strchr(target, '?');
    if (qm)
        *qm++ = '\0';
    int rc = tt__route_match(routes, method, target, &m);
    if (!ix.slots && tt__route_index_build(&ix, routes) != 0)
        abort();
    if (tt__route_lookup(&ix, routes, method, target, &m2) != rc || m2.n_params != m.n_params)
        abort();
    if (rc >= 0) {
        if (m.n_params < 0 || m.n_params > TT_HTTP_MAX_PARAMS)
            abort();
        for (int i = 0; i < m.n_params; i++)
            if (strlen(m.values[i]) > strlen(target) || !m.names[i][0])
                abort();
    }
    if (qm && tt__query_parse(qm, strlen(qm), &q) == 0) {
        for (int i = 0; i < q.n; i++)
            if (tt__query_get(&q, q.keys[i]) == NULL)
                abort();
    }
    char out[256];
    size_t n = strlen(target) < 200 ? strlen(target) : 200;
    size_t out_len = 0;
    if (tt__url_decode(target, n, 1, out, sizeof out, &out_len) == 0 && out_len > n)
        abort();
    char kid[TT_ID_MAX], sec[TT_API_SECRET_MAX + 1];
    if (tt_api_token_parse(rest, kid, sec, sizeof sec) == 0) {
        char tok[TT_API_TOKEN_MAX];
        /* whatever parses formats back to the same token */
        if (tt_api_token_format(kid, sec, tok, sizeof tok) != 0 || strcmp(tok, rest) != 0)
            abort();
    }
    free(s);
    return 0;
}
