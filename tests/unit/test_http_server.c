/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_server.c — a real tt_server on an ephemeral port, driven over HTTP with libcurl:
 * JSON replies, 404/405/413/415/400 problems, request ids, security headers, path and query
 * decoding, Bearer auth with the key cache (against an in-memory fake store), static files,
 * metrics, the log line contents, IPv6 listening and a graceful stop with a request in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/app.h"
#include "core/error.h"
#include "core/vault.h"
#include "http/http.h"
#include "http/log.h"
#include "store/store_impl.h"
#include "../support/tt_tmp.h"

/* --- a fake store that knows three keys ------------------------------------------------------*/

#define GOOD_SECRET "goodsecret_0123456789-abcdefghijklmno"
static atomic_int key_gets;

static enum tt_qs fake_key_get(struct tt_store_conn *c, const char *id, struct tt_api_key *out)
{
    (void)c;
    atomic_fetch_add(&key_gets, 1);
    const char *tenant = "ten_alpha";
    enum tt_role role = TT_ROLE_SERVICE;
    tt_time revoked = 0;
    if (strcmp(id, "key_good") == 0) {
    } else if (strcmp(id, "key_revoked") == 0) {
        revoked = 1700000000;
    } else if (strcmp(id, "key_orphan") == 0) {
        tenant = "ten_gone";
    } else {
        return TT_QS_NONE;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", id);
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", tenant);
    out->role = role;
    out->revoked_at = revoked;
    tt_vault_hash_secret(GOOD_SECRET, out->hash_hex);
    return TT_QS_ONE;
}

static enum tt_qs fake_tenant_get(struct tt_store_conn *c, const char *id, struct tt_tenant *out)
{
    (void)c;
    if (strcmp(id, "ten_alpha") != 0)
        return TT_QS_NONE;
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", id);
    out->kind = TT_TENANT_CUSTOMER;
    return TT_QS_ONE;
}

static const struct tt_store_ops fake_ops = {
    .name = "fake", .api_key_get = fake_key_get, .tenant_get = fake_tenant_get};
static struct tt_store fake_store;
static struct tt_store_conn fake_conn = {.store = &fake_store};

static struct tt_store_conn *fake_acquire(struct tt_store *s)
{
    (void)s;
    return &fake_conn;
}

static void fake_release(struct tt_store_conn *c)
{
    (void)c;
}

static struct tt_store fake_store = {
    .ops = &fake_ops, .backend = "fake", .acquire = fake_acquire, .release = fake_release};

/* --- handlers ---------------------------------------------------------------------------------*/

static atomic_int slow_entered;

static int h_ok(struct tt_req *req, struct tt_resp *resp)
{
    (void)req;
    return tt_reply(resp, 200, json_pack("{s:b}", "ok", 1));
}

static int h_echo(struct tt_req *req, struct tt_resp *resp)
{
    const char *q = tt_req_query(req, "q");
    const char *hdr = tt_req_header(req, "X-Test");
    json_t *o = json_pack("{s:O*,s:s*,s:s*}", "body", req->json, "q", q, "hdr", hdr);
    return tt_reply(resp, req->json ? 201 : 200, o);
}

static int h_item(struct tt_req *req, struct tt_resp *resp)
{
    snprintf(resp->location, sizeof resp->location, "/t/items/x");
    return tt_reply(resp, 200, json_pack("{s:s}", "id", tt_req_param(req, "id")));
}

static int h_fail(struct tt_req *req, struct tt_resp *resp)
{
    (void)req;
    resp->json = json_object(); /* a failing handler's half-built body is dropped */
    return tt_problem(resp, TT_E_UNKNOWN_PURPOSE, "purpose", "no purpose '%s'", "spam");
}

static int h_slow(struct tt_req *req, struct tt_resp *resp)
{
    (void)req;
    atomic_store(&slow_entered, 1);
    struct timespec ts = {0, 600 * 1000 * 1000};
    nanosleep(&ts, NULL);
    return tt_reply(resp, 200, json_pack("{s:s}", "slow", "done"));
}

static int h_whoami(struct tt_req *req, struct tt_resp *resp)
{
    return tt_reply(resp, 200,
                    json_pack("{s:s,s:i,s:i}", "tenant", req->auth.tenant_id, "role",
                              (int)req->auth.role, "kind", (int)req->auth.tenant_kind));
}

static int h_raw(struct tt_req *req, struct tt_resp *resp)
{
    (void)req;
    resp->raw = strdup("a,b\n");
    resp->raw_len = 4;
    resp->content_type = "text/csv";
    snprintf(resp->cache_control, sizeof resp->cache_control, "private, max-age=60");
    return 0;
}

static const struct tt_route routes[] = {
    {.method = "GET", .pattern = "/t/ok", .fn = h_ok},
    {.method = "POST", .pattern = "/t/echo", .fn = h_echo},
    {.method = "GET", .pattern = "/t/echo", .fn = h_echo},
    {.method = "GET", .pattern = "/t/items/{id}", .fn = h_item},
    {.method = "GET", .pattern = "/t/fail", .fn = h_fail},
    {.method = "GET", .pattern = "/t/slow", .fn = h_slow},
    {.method = "GET", .pattern = "/t/raw", .fn = h_raw},
    {.method = "GET",
     .pattern = "/t/whoami",
     .fn = h_whoami,
     .auth = 1,
     .min_role = TT_ROLE_SERVICE},
    {.method = "GET", .pattern = "/t/admin", .fn = h_whoami, .auth = 1, .min_role = TT_ROLE_ADMIN},
    {.method = NULL},
};

/* --- HTTP client ------------------------------------------------------------------------------*/

struct buf {
    char *p;
    size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    size_t add = size * n;
    char *np = realloc(b->p, b->len + add + 1);
    assert_non_null(np);
    memcpy(np + b->len, ptr, add);
    b->p = np;
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

struct reply {
    long status;
    struct buf body, headers;
    CURLcode rc;
};

static void reply_free(struct reply *r)
{
    free(r->body.p);
    free(r->headers.p);
    memset(r, 0, sizeof *r);
}

/* Value of a response header (copied into out), or NULL. */
static const char *header(const struct reply *r, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    for (const char *line = r->headers.p; line && *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > nl + 1 && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = (size_t)(line + len - v);
            if (vl >= size)
                vl = size - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return out;
        }
        line = end ? end + 2 : line + len;
    }
    return NULL;
}

static unsigned port;
static struct tt_server *srv;
static struct tt_app app;
static char web_root[64];
static int log_fd = -1;

static struct reply request(const char *method, const char *path, const char *body, long body_len,
                            const char **hdrs)
{
    struct reply r = {0};
    CURL *c = curl_easy_init();
    if (getenv("TT_DEBUG"))
        curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    assert_non_null(c);
    char url[8192];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    struct curl_slist *hl = NULL;
    for (int i = 0; hdrs && hdrs[i]; i++)
        hl = curl_slist_append(hl, hdrs[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (body_len >= 0)
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, body_len);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    r.rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return r;
}

static struct reply get(const char *path)
{
    return request("GET", path, NULL, -1, NULL);
}

/* Asserts an RFC 9457 body of the given status and slug; returns the parsed object. */
static json_t *problem(const struct reply *r, long status, const char *slug)
{
    char ct[128], rid[128], type[160];
    assert_int_equal(r->status, status);
    assert_non_null(header(r, "Content-Type", ct, sizeof ct));
    assert_string_equal(ct, "application/problem+json");
    json_error_t e;
    json_t *j = json_loads(r->body.p ? r->body.p : "", 0, &e);
    assert_non_null(j);
    snprintf(type, sizeof type, "https://tutela.dev/problems/%s", slug);
    assert_string_equal(json_string_value(json_object_get(j, "type")), type);
    assert_int_equal(json_integer_value(json_object_get(j, "status")), status);
    assert_non_null(json_string_value(json_object_get(j, "title")));
    assert_non_null(json_string_value(json_object_get(j, "detail")));
    assert_non_null(header(r, "X-Request-Id", rid, sizeof rid));
    assert_string_equal(json_string_value(json_object_get(j, "instance")), rid);
    return j;
}

/* --- setup ------------------------------------------------------------------------------------*/

static int start(void **state)
{
    (void)state;
    assert_int_equal(tt_vault_init(), 0);
    curl_global_init(CURL_GLOBAL_ALL);
    assert_non_null(tt_tmpdir("/tmp/tt_http_web_", web_root, sizeof web_root));
    char p[128];
    snprintf(p, sizeof p, "%s/app.js", web_root);
    FILE *f = fopen(p, "w");
    fputs("console.log(1)", f);
    fclose(f);
    char logpath[64];
    log_fd = tt_tmpfile("/tmp/tt_http_log_", logpath, sizeof logpath);
    unlink(logpath);
    tt_log_set_fd(log_fd);
    app.store = &fake_store;
    struct tt_server_config cfg = {
        .listen = "127.0.0.1:0", .threads = 2, .body_max = 1024, .web_root = web_root};
    char err[256];
    assert_int_equal(tt_server_start(&cfg, routes, &app, &srv, err, sizeof err), 0);
    port = tt_server_port(srv);
    assert_true(port > 0);
    return 0;
}

static int stop(void **state)
{
    (void)state;
    tt_server_stop(srv);
    tt_log_set_fd(2);
    close(log_fd);
    assert_int_equal(tt_tmp_rmtree(web_root), 0);
    curl_global_cleanup();
    return 0;
}

/* --- tests ------------------------------------------------------------------------------------*/

static void ok_json_with_security_headers(void **state)
{
    (void)state;
    char v[128];
    struct reply r = get("/t/ok");
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.p, "{\"ok\":true}");
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "application/json");
    assert_string_equal(header(&r, "X-Content-Type-Options", v, sizeof v), "nosniff");
    assert_string_equal(header(&r, "Cache-Control", v, sizeof v), "no-store");
    assert_string_equal(header(&r, "Referrer-Policy", v, sizeof v), "no-referrer");
    assert_non_null(header(&r, "X-Request-Id", v, sizeof v));
    assert_int_equal(strncmp(v, "req-", 4), 0);
    reply_free(&r);
    r = request("HEAD", "/t/ok", NULL, -1, NULL);
    assert_int_equal(r.status, 200);
    assert_null(r.body.p);
    reply_free(&r);
}

static void raw_body_and_cache_control(void **state)
{
    (void)state;
    char v[128];
    struct reply r = get("/t/raw");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.p, "a,b\n");
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/csv");
    assert_string_equal(header(&r, "Cache-Control", v, sizeof v), "private, max-age=60");
    reply_free(&r);
}

static void unknown_path_is_404_problem(void **state)
{
    (void)state;
    struct reply r = get("/t/nothing?x=1");
    json_decref(problem(&r, 404, "no-route"));
    reply_free(&r);
    r = get("/t/ok/");
    json_decref(problem(&r, 404, "no-route"));
    reply_free(&r);
}

static void wrong_method_is_405_with_allow(void **state)
{
    (void)state;
    char v[128];
    struct reply r = request("DELETE", "/t/ok", NULL, -1, NULL);
    json_decref(problem(&r, 405, "method-not-allowed"));
    assert_string_equal(header(&r, "Allow", v, sizeof v), "GET, HEAD");
    reply_free(&r);
    r = request("OPTIONS", "/t/echo", NULL, -1, NULL);
    assert_int_equal(r.status, 204);
    assert_string_equal(header(&r, "Allow", v, sizeof v), "POST, GET, HEAD");
    reply_free(&r);
}

static void oversized_body_is_413(void **state)
{
    (void)state;
    static const char *json_ct[] = {"Content-Type: application/json", NULL};
    char *big = malloc(64 * 1024 + 1);
    memset(big, ' ', 64 * 1024);
    big[0] = '[';
    big[64 * 1024 - 1] = ']';
    big[64 * 1024] = '\0';
    struct reply r = request("POST", "/t/echo", big, 64 * 1024, json_ct);
    json_decref(problem(&r, 413, "body-too-large"));
    reply_free(&r);
    /* without Expect: 100-continue the client sends at once; still 413 */
    static const char *no_expect[] = {"Content-Type: application/json", "Expect:", NULL};
    r = request("POST", "/t/echo", big, 64 * 1024, no_expect);
    json_decref(problem(&r, 413, "body-too-large"));
    reply_free(&r);
    /* chunked: no length up front, the limit trips while reading */
    static const char *chunked[] = {"Content-Type: application/json", "Transfer-Encoding: chunked",
                                    NULL};
    r = request("POST", "/t/echo", big, 64 * 1024, chunked);
    json_decref(problem(&r, 413, "body-too-large"));
    reply_free(&r);
    /* exactly at the limit is fine */
    big[1023] = ']';
    r = request("POST", "/t/echo", big, 1024, json_ct);
    assert_int_equal(r.status, 201);
    reply_free(&r);
    r = request("POST", "/t/echo", big, 1024, chunked);
    assert_int_equal(r.status, 201);
    reply_free(&r);
    free(big);
}

static void non_json_body_is_415(void **state)
{
    (void)state;
    static const char *text[] = {"Content-Type: text/plain", NULL};
    struct reply r = request("POST", "/t/echo", "{}", 2, text);
    json_t *p = problem(&r, 415, "unsupported-media-type");
    assert_string_equal(json_string_value(json_object_get(p, "field")), "Content-Type");
    json_decref(p);
    reply_free(&r);
    static const char *none[] = {"Content-Type:", NULL};
    r = request("POST", "/t/echo", "{}", 2, none);
    json_decref(problem(&r, 415, "unsupported-media-type"));
    reply_free(&r);
    static const char *charset[] = {"Content-Type: Application/JSON; charset=utf-8", NULL};
    r = request("POST", "/t/echo", "{\"a\":1}", -1, charset);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body.p, "{\"body\":{\"a\":1}}");
    reply_free(&r);
}

static void empty_post_reaches_handler_without_json(void **state)
{
    (void)state;
    struct reply r = request("POST", "/t/echo", "", 0, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.p, "{}");
    reply_free(&r);
}

static void malformed_json_is_400_without_echoing_the_body(void **state)
{
    (void)state;
    static const char *json_ct[] = {"Content-Type: application/json", NULL};
    struct reply r = request("POST", "/t/echo", "{\n \"email\": alice@example.com}", -1, json_ct);
    json_t *p = problem(&r, 400, "malformed-json");
    const char *detail = json_string_value(json_object_get(p, "detail"));
    assert_non_null(strstr(detail, "line 2"));
    assert_non_null(strstr(detail, "column"));
    assert_null(strstr(detail, "alice"));
    json_decref(p);
    reply_free(&r);
    r = request("POST", "/t/echo", "{\"a\":1,\"a\":2}", -1, json_ct);
    json_decref(problem(&r, 400, "malformed-json"));
    reply_free(&r);
    r = request("POST", "/t/echo", "\"just a string\"", -1, json_ct);
    json_decref(problem(&r, 400, "malformed-json"));
    reply_free(&r);
}

static void request_id_is_echoed_or_generated(void **state)
{
    (void)state;
    char v[128];
    static const char *good[] = {"X-Request-Id: client.id_42-x", NULL};
    struct reply r = request("GET", "/t/ok", NULL, -1, good);
    assert_string_equal(header(&r, "X-Request-Id", v, sizeof v), "client.id_42-x");
    reply_free(&r);
    static const char *bad[] = {"X-Request-Id: has space/and\"quote", NULL};
    r = request("GET", "/t/nothing", NULL, -1, bad);
    assert_non_null(header(&r, "X-Request-Id", v, sizeof v));
    assert_int_equal(strncmp(v, "req-", 4), 0);
    json_decref(problem(&r, 404, "no-route"));
    reply_free(&r);
    char longid[100] = "X-Request-Id: ";
    memset(longid + 14, 'a', 65);
    longid[79] = '\0';
    const char *toolong[] = {longid, NULL};
    r = request("GET", "/t/ok", NULL, -1, toolong);
    assert_int_equal(strncmp(header(&r, "X-Request-Id", v, sizeof v), "req-", 4), 0);
    reply_free(&r);
}

static void params_and_query_are_decoded(void **state)
{
    (void)state;
    char v[128];
    struct reply r = get("/t/items/a%20b%2Fc");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.p, "{\"id\":\"a b/c\"}");
    assert_string_equal(header(&r, "Location", v, sizeof v), "/t/items/x");
    reply_free(&r);
    r = get("/t/items/%zz");
    json_t *p = problem(&r, 400, "invalid-parameter");
    assert_string_equal(json_string_value(json_object_get(p, "field")), "id");
    json_decref(p);
    reply_free(&r);
    r = get("/t/items/a%00b");
    json_decref(problem(&r, 400, "invalid-parameter"));
    reply_free(&r);
    static const char *hdr[] = {"X-Test: yes", NULL};
    r = request("GET", "/t/echo?q=hello+w%C3%B6rld&z", NULL, -1, hdr);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.p, "{\"q\":\"hello w\xc3\xb6rld\",\"hdr\":\"yes\"}");
    reply_free(&r);
    r = get("/t/echo?q=%G1");
    p = problem(&r, 400, "invalid-parameter");
    assert_string_equal(json_string_value(json_object_get(p, "field")), "query");
    json_decref(p);
    reply_free(&r);
}

static void handler_problem_keeps_field_and_detail(void **state)
{
    (void)state;
    struct reply r = get("/t/fail");
    json_t *p = problem(&r, 422, "unknown-purpose");
    assert_string_equal(json_string_value(json_object_get(p, "field")), "purpose");
    assert_string_equal(json_string_value(json_object_get(p, "detail")), "no purpose 'spam'");
    json_decref(p);
    reply_free(&r);
}

static struct reply authed(const char *path, const char *token)
{
    char h[512];
    snprintf(h, sizeof h, "Authorization: Bearer %s", token);
    const char *hdrs[] = {h, NULL};
    return request("GET", path, NULL, -1, hdrs);
}

static void bearer_auth_and_roles(void **state)
{
    (void)state;
    char v[128];
    struct reply r = get("/t/whoami");
    json_decref(problem(&r, 401, "unauthorized"));
    assert_non_null(header(&r, "WWW-Authenticate", v, sizeof v));
    assert_int_equal(strncmp(v, "Bearer", 6), 0);
    reply_free(&r);

    const char *bad[] = {"nonsense",
                         "tt_key_good_wrongsecret_0123456789",
                         "tt_key_nobody_" GOOD_SECRET,
                         "tt_key_revoked_" GOOD_SECRET,
                         "tt_key_orphan_" GOOD_SECRET,
                         NULL};
    for (int i = 0; bad[i]; i++) {
        r = authed("/t/whoami", bad[i]);
        json_decref(problem(&r, 401, "unauthorized"));
        assert_non_null(header(&r, "WWW-Authenticate", v, sizeof v));
        reply_free(&r);
    }

    atomic_store(&key_gets, 0);
    r = authed("/t/whoami", "tt_key_good_" GOOD_SECRET);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.p, "{\"tenant\":\"ten_alpha\",\"role\":1,\"kind\":1}");
    reply_free(&r);
    assert_int_equal(atomic_load(&key_gets), 1);
    /* cached: no store round trip, yet a wrong secret still fails */
    r = authed("/t/whoami", "tt_key_good_" GOOD_SECRET);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    r = authed("/t/whoami", "tt_key_good_" GOOD_SECRET "x");
    assert_int_equal(r.status, 401);
    reply_free(&r);
    assert_int_equal(atomic_load(&key_gets), 1);
    tt_server_auth_forget(srv, "key_good");
    r = authed("/t/whoami", "tt_key_good_" GOOD_SECRET);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_int_equal(atomic_load(&key_gets), 2);

    r = authed("/t/admin", "tt_key_good_" GOOD_SECRET);
    json_decref(problem(&r, 403, "forbidden"));
    reply_free(&r);

    /* without a store, a well-formed key cannot be checked: 503, never a pass */
    app.store = NULL;
    tt_server_auth_forget(srv, "key_good");
    r = authed("/t/whoami", "tt_key_good_" GOOD_SECRET);
    json_decref(problem(&r, 503, "unavailable"));
    reply_free(&r);
    app.store = &fake_store;
}

static void static_files_under_web(void **state)
{
    (void)state;
    char v[128];
    struct reply r = get("/web/app.js");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.p, "console.log(1)");
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/javascript; charset=utf-8");
    assert_string_equal(header(&r, "Cache-Control", v, sizeof v), "public, max-age=300");
    assert_string_equal(header(&r, "X-Content-Type-Options", v, sizeof v), "nosniff");
    reply_free(&r);
    r = get("/web/../etc/passwd");
    json_decref(problem(&r, 404, "not-found"));
    reply_free(&r);
    r = get("/web/%2e%2e/%2e%2e/etc/passwd");
    json_decref(problem(&r, 404, "not-found"));
    reply_free(&r);
    r = request("POST", "/web/app.js", "", 0, NULL);
    json_decref(problem(&r, 404, "no-route"));
    reply_free(&r);
}

static void metrics_count_requests_per_route(void **state)
{
    (void)state;
    struct reply r = get("/t/ok");
    reply_free(&r);
    /* the completion callback counts after the response is sent: give it a moment */
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    char *t = tt_metrics_render(srv, NULL);
    assert_non_null(t);
    assert_non_null(strstr(t, "tutela_http_requests_total{route=\"/t/ok\",method=\"GET\","
                              "code=\"2xx\"} "));
    assert_non_null(strstr(t, "tutela_http_requests_total{route=\"unmatched\",method=\"any\","
                              "code=\"4xx\"} "));
    assert_non_null(strstr(t, "tutela_http_request_duration_seconds_bucket{route=\"/t/ok\","
                              "method=\"GET\",le=\"+Inf\"} "));
    assert_non_null(strstr(t, "route=\"/web/{file}\""));
    free(t);
}

static void log_lines_name_the_pattern_not_the_path(void **state)
{
    (void)state;
    static const char *hdrs[] = {"Authorization: Bearer tt_key_good_" GOOD_SECRET,
                                 "X-Request-Id: logcheck-1", NULL};
    struct reply r =
        request("GET", "/t/items/personal%40example.com?q=secretquery", NULL, -1, hdrs);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL); /* the line is logged once the reply is out */
    tt_log_flush();       /* and written by the server's background writer */
    off_t n = lseek(log_fd, 0, SEEK_END);
    char *all = calloc(1, (size_t)n + 1);
    assert_int_equal(pread(log_fd, all, (size_t)n, 0), n);
    assert_null(strstr(all, "personal"));
    assert_null(strstr(all, "secretquery"));
    assert_null(strstr(all, GOOD_SECRET));
    int found = 0;
    for (char *line = all; *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        json_error_t e;
        json_t *j = json_loads(line, 0, &e);
        assert_non_null(j);
        if (strcmp(json_string_value(json_object_get(j, "request_id")), "logcheck-1") == 0) {
            found = 1;
            assert_string_equal(json_string_value(json_object_get(j, "route")), "/t/items/{id}");
            assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
            assert_string_equal(json_string_value(json_object_get(j, "msg")), "request");
            assert_int_equal(json_integer_value(json_object_get(j, "status")), 200);
            assert_true(json_is_number(json_object_get(j, "ms")));
            assert_true(json_integer_value(json_object_get(j, "bytes")) > 0);
        }
        json_decref(j);
        line = nl + 1;
    }
    assert_true(found);
    free(all);
}

static void listens_on_ipv6_and_rejects_bad_addresses(void **state)
{
    (void)state;
    struct tt_server *s6 = NULL;
    char err[256];
    struct tt_server_config cfg = {.listen = "[::1]:0", .threads = 1};
    assert_int_equal(tt_server_start(&cfg, routes, &app, &s6, err, sizeof err), 0);
    unsigned p6 = tt_server_port(s6);
    assert_true(p6 > 0);
    CURL *c = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "http://[::1]:%u/t/ok", p6);
    struct buf b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    curl_easy_cleanup(c);
    free(b.p);
    tt_server_stop(s6);

    const char *bad[] = {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:x", "[::1:80",
                         ":80",       "999.1.1.1:0",     NULL};
    for (int i = 0; bad[i]; i++) {
        struct tt_server *s = NULL;
        cfg.listen = bad[i];
        err[0] = '\0';
        assert_true(tt_server_start(&cfg, routes, &app, &s, err, sizeof err) < 0);
        assert_null(s);
        assert_true(strlen(err) > 0);
    }
    /* the port in use is an error, not a crash */
    char busy[32];
    snprintf(busy, sizeof busy, "127.0.0.1:%u", port);
    cfg.listen = busy;
    struct tt_server *s = NULL;
    assert_true(tt_server_start(&cfg, routes, &app, &s, err, sizeof err) < 0);
    tt_server_stop(NULL);
}

struct slow_call {
    unsigned port;
    struct reply r;
};

static void *slow_client(void *arg)
{
    struct slow_call *sc = arg;
    CURL *c = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/t/slow", sc->port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sc->r.body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    sc->r.rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &sc->r.status);
    curl_easy_cleanup(c);
    return NULL;
}

static void graceful_stop_finishes_in_flight_request(void **state)
{
    (void)state;
    struct tt_server *s = NULL;
    char err[256];
    struct tt_server_config cfg = {.listen = "127.0.0.1:0", .threads = 2};
    assert_int_equal(tt_server_start(&cfg, routes, &app, &s, err, sizeof err), 0);
    struct slow_call sc = {.port = tt_server_port(s)};
    atomic_store(&slow_entered, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, slow_client, &sc), 0);
    while (!atomic_load(&slow_entered)) {
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    tt_server_stop(s); /* returns only after the slow response went out */
    pthread_join(th, NULL);
    assert_int_equal(sc.r.rc, CURLE_OK);
    assert_int_equal(sc.r.status, 200);
    assert_string_equal(sc.r.body.p, "{\"slow\":\"done\"}");
    reply_free(&sc.r);
    /* and nothing listens any more */
    CURL *c = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/t/ok", sc.port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    assert_int_not_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ok_json_with_security_headers),
        cmocka_unit_test(raw_body_and_cache_control),
        cmocka_unit_test(unknown_path_is_404_problem),
        cmocka_unit_test(wrong_method_is_405_with_allow),
        cmocka_unit_test(oversized_body_is_413),
        cmocka_unit_test(non_json_body_is_415),
        cmocka_unit_test(empty_post_reaches_handler_without_json),
        cmocka_unit_test(malformed_json_is_400_without_echoing_the_body),
        cmocka_unit_test(request_id_is_echoed_or_generated),
        cmocka_unit_test(params_and_query_are_decoded),
        cmocka_unit_test(handler_problem_keeps_field_and_detail),
        cmocka_unit_test(bearer_auth_and_roles),
        cmocka_unit_test(static_files_under_web),
        cmocka_unit_test(metrics_count_requests_per_route),
        cmocka_unit_test(log_lines_name_the_pattern_not_the_path),
        cmocka_unit_test(listens_on_ipv6_and_rejects_bad_addresses),
        cmocka_unit_test(graceful_stop_finishes_in_flight_request),
    };
    return cmocka_run_group_tests(tests, start, stop);
}
