/* SPDX-License-Identifier: Apache-2.0 */
/* test_router.c — the HTTP layer's pure parts: route matching (params, specificity, 404 vs 405),
 * URL and query decoding, API tokens, problem+json shape, Prometheus text, JSON log lines,
 * the OpenAPI document, static-file path refusals and request ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "http/http.h"
#include "http/internal.h"
#include "http/log.h"
#include "../support/tt_tmp.h"

static int h_dummy(struct tt_req *req, struct tt_resp *resp)
{
    (void)req;
    (void)resp;
    return 0;
}

static const struct tt_route routes[] = {
    {.method = "GET", .pattern = "/healthz", .fn = h_dummy, .summary = "Liveness", .tag = "ops"},
    {.method = "GET", .pattern = "/v1/subjects", .fn = h_dummy, .auth = 1, .tag = "subjects"},
    {.method = "POST",
     .pattern = "/v1/subjects",
     .fn = h_dummy,
     .auth = 1,
     .min_role = TT_ROLE_SERVICE,
     .tag = "subjects",
     .request_schema = "SubjectCreate",
     .response_schema = "Subject",
     .ok_status = 201},
    {.method = "GET", .pattern = "/v1/subjects/{id}", .fn = h_dummy, .auth = 1, .tag = "subjects"},
    {.method = "DELETE", .pattern = "/v1/subjects/{id}", .fn = h_dummy, .auth = 1},
    {.method = "GET", .pattern = "/v1/subjects/lookup", .fn = h_dummy, .auth = 1},
    {.method = "GET", .pattern = "/v1/subjects/{id}/records/{rid}", .fn = h_dummy, .auth = 1},
    {.method = NULL},
};

static struct tt__route_match m;

static void literal_route_matches_exactly(void **state)
{
    (void)state;
    assert_int_equal(tt__route_match(routes, "GET", "/healthz", &m), 0);
    assert_int_equal(m.n_params, 0);
    assert_int_equal(tt__route_match(routes, "GET", "/healthz/", &m), -TT_E_NO_ROUTE);
    assert_int_equal(tt__route_match(routes, "GET", "/healthzz", &m), -TT_E_NO_ROUTE);
    assert_int_equal(tt__route_match(routes, "GET", "healthz", &m), -TT_E_NO_ROUTE);
    assert_int_equal(tt__route_match(routes, "GET", "", &m), -TT_E_NO_ROUTE);
    assert_int_equal(tt__route_match(routes, "GET", "/", &m), -TT_E_NO_ROUTE);
    /* a path with fewer or more segments than a pattern it starts like */
    assert_int_equal(tt__route_match(routes, "GET", "/v1", &m), -TT_E_NO_ROUTE);
    assert_int_equal(tt__route_match(routes, "GET", "/v1/subjects/x/records", &m), -TT_E_NO_ROUTE);
    assert_int_equal(tt__route_match(routes, "GET", "/v1/subjects/x/records/y/z", &m),
                     -TT_E_NO_ROUTE);
}

static void params_are_filled_and_decoded(void **state)
{
    (void)state;
    assert_int_equal(tt__route_match(routes, "GET", "/v1/subjects/sub_abc", &m), 3);
    assert_int_equal(m.n_params, 1);
    assert_string_equal(m.names[0], "id");
    assert_string_equal(m.values[0], "sub_abc");
    assert_int_equal(tt__route_match(routes, "GET", "/v1/subjects/a%2Fb%20c/records/r%41", &m), 6);
    assert_int_equal(m.n_params, 2);
    assert_string_equal(m.names[0], "id");
    assert_string_equal(m.values[0], "a/b c");
    assert_string_equal(m.names[1], "rid");
    assert_string_equal(m.values[1], "rA");
    /* an empty segment never fills a parameter */
    assert_int_equal(tt__route_match(routes, "GET", "/v1/subjects//records/x", &m), -TT_E_NO_ROUTE);
}

static void literal_segment_beats_parameter(void **state)
{
    (void)state;
    assert_int_equal(tt__route_match(routes, "GET", "/v1/subjects/lookup", &m), 5);
    assert_int_equal(m.n_params, 0);
    /* DELETE only exists on {id}: the literal route does not shadow it */
    assert_int_equal(tt__route_match(routes, "DELETE", "/v1/subjects/lookup", &m), 4);
    assert_string_equal(m.values[0], "lookup");
}

static void wrong_method_is_405_with_allow(void **state)
{
    (void)state;
    assert_int_equal(tt__route_match(routes, "PUT", "/v1/subjects", &m), -TT_E_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, HEAD, POST");
    assert_int_equal(tt__route_match(routes, "PATCH", "/v1/subjects/x", &m),
                     -TT_E_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, HEAD, DELETE");
    assert_int_equal(tt__route_match(routes, "PATCH", "/v1/nothing", &m), -TT_E_NO_ROUTE);
    assert_int_equal(tt_err_status(-TT_E_METHOD_NOT_ALLOWED), 405);
    assert_int_equal(tt_err_status(-TT_E_NO_ROUTE), 404);
}

static void head_matches_get_routes(void **state)
{
    (void)state;
    assert_int_equal(tt__route_match(routes, "HEAD", "/healthz", &m), 0);
    assert_int_equal(tt__route_match(routes, "HEAD", "/v1/subjects", &m), 1);
}

static void bad_escape_in_param_is_400_naming_it(void **state)
{
    (void)state;
    const char *bad[] = {"/v1/subjects/%00", "/v1/subjects/a%",  "/v1/subjects/a%4",
                         "/v1/subjects/%zz", "/v1/subjects/%4g", NULL};
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(tt__route_match(routes, "GET", bad[i], &m), -TT_E_BAD_PARAM);
        assert_string_equal(m.bad_param, "id");
    }
}

static void overlong_and_deep_paths_match_nothing(void **state)
{
    (void)state;
    char *p = malloc(TT_HTTP_PATH_MAX + 64);
    memcpy(p, "/v1/subjects/", 13);
    memset(p + 13, 'a', TT_HTTP_PATH_MAX);
    p[13 + TT_HTTP_PATH_MAX] = '\0';
    assert_int_equal(tt__route_match(routes, "GET", p, &m), -TT_E_NO_ROUTE);
    free(p);
    char deep[256];
    for (int i = 0; i < 40; i++)
        memcpy(deep + 2 * i, "/a", 2);
    deep[80] = '\0';
    assert_int_equal(tt__route_match(routes, "GET", deep, &m), -TT_E_NO_ROUTE);
}

/* The literal-pattern index answers as the full match does: same route, parameters, error. */
static void route_index_agrees_with_the_full_match(void **state)
{
    (void)state;
    struct tt__route_index ix;
    assert_int_equal(tt__route_index_build(&ix, routes), 0);
    static const char *const cases[][2] = {
        {"GET", "/healthz"},
        {"HEAD", "/healthz"},
        {"POST", "/healthz"},
        {"GET", "/healthz/"},
        {"GET", "/v1/subjects"},
        {"POST", "/v1/subjects"},
        {"DELETE", "/v1/subjects"},
        {"GET", "/v1/subjects/lookup"},
        {"DELETE", "/v1/subjects/lookup"},
        {"GET", "/v1/subjects/sub_1"},
        {"GET", "/v1/subjects/a%zz"},
        {"OPTIONS", "/v1/subjects"},
        {"GET", "/nothing"},
        {"GET", ""},
        {"GET", "/v1/subjects/sub_1/records/r%201"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tt__route_match a, b;
        int ra = tt__route_match(routes, cases[i][0], cases[i][1], &a);
        int rb = tt__route_lookup(&ix, routes, cases[i][0], cases[i][1], &b);
        assert_int_equal(ra, rb);
        assert_int_equal(a.n_params, b.n_params);
        for (int k = 0; k < a.n_params; k++) {
            assert_string_equal(a.names[k], b.names[k]);
            assert_string_equal(a.values[k], b.values[k]);
        }
        if (ra < 0) {
            assert_string_equal(a.allow, b.allow);
            assert_string_equal(a.bad_param, b.bad_param);
        }
    }
    tt__route_index_free(&ix);
}

static void url_decode_rules(void **state)
{
    (void)state;
    char out[64];
    size_t n = 0;
    assert_int_equal(tt__url_decode("a%20b+c", 7, 0, out, sizeof out, &n), 0);
    assert_string_equal(out, "a b+c");
    assert_int_equal(n, 5);
    assert_int_equal(tt__url_decode("a%20b+c", 7, 1, out, sizeof out, &n), 0);
    assert_string_equal(out, "a b c");
    assert_int_equal(tt__url_decode("%e2%82%AC", 9, 0, out, sizeof out, &n), 0);
    assert_string_equal(out, "\xe2\x82\xac");
    assert_int_equal(tt__url_decode("", 0, 0, out, sizeof out, &n), 0);
    assert_string_equal(out, "");
    const char *bad[] = {"%", "%4", "%G0", "%0G", "x%00y", "%-1", NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(tt__url_decode(bad[i], strlen(bad[i]), 0, out, sizeof out, NULL),
                         -TT_E_BAD_PARAM);
    /* a raw NUL inside the given length is refused as well */
    assert_int_equal(tt__url_decode("a\0b", 3, 0, out, sizeof out, NULL), -TT_E_BAD_PARAM);
    /* never overruns the output */
    assert_int_equal(tt__url_decode("abcdef", 6, 0, out, 6, NULL), -TT_E_BAD_PARAM);
    assert_int_equal(tt__url_decode("abcdef", 6, 0, out, 7, NULL), 0);
}

static void query_parse_rules(void **state)
{
    (void)state;
    static struct tt__query q;
    const char *qs = "limit=10&after=sub_x&flag&&q=a+b%2Bc&limit=99";
    assert_int_equal(tt__query_parse(qs, strlen(qs), &q), 0);
    assert_int_equal(q.n, 5);
    assert_string_equal(tt__query_get(&q, "limit"), "10");
    assert_string_equal(tt__query_get(&q, "after"), "sub_x");
    assert_string_equal(tt__query_get(&q, "flag"), "");
    assert_string_equal(tt__query_get(&q, "q"), "a b+c");
    assert_null(tt__query_get(&q, "missing"));
    assert_int_equal(tt__query_parse("", 0, &q), 0);
    assert_int_equal(q.n, 0);
    assert_int_equal(tt__query_parse("a=%zz", 5, &q), -TT_E_BAD_PARAM);
    assert_int_equal(tt__query_parse("a=%00", 5, &q), -TT_E_BAD_PARAM);
    assert_int_equal(tt__query_parse("%=1", 3, &q), -TT_E_BAD_PARAM);
    char many[512];
    for (int i = 0; i <= TT__QUERY_ARGS_MAX; i++)
        memcpy(many + 4 * i, "a=1&", 4);
    many[4 * (TT__QUERY_ARGS_MAX + 1)] = '\0';
    assert_int_equal(tt__query_parse(many, strlen(many), &q), -TT_E_BAD_PARAM);
    char *huge = malloc(TT__QUERY_MAX + 2);
    memset(huge, 'a', TT__QUERY_MAX + 1);
    huge[TT__QUERY_MAX + 1] = '\0';
    assert_int_equal(tt__query_parse(huge, TT__QUERY_MAX + 1, &q), -TT_E_BAD_PARAM);
    assert_int_equal(tt__query_parse(huge, TT__QUERY_MAX, &q), 0);
    free(huge);
}

static void token_round_trip(void **state)
{
    (void)state;
    char tok[TT_API_TOKEN_MAX], kid[TT_ID_MAX], sec[TT_API_SECRET_MAX + 1];
    const char *secret = "Ab_-_cd0123456789xyz_Q-w";
    assert_int_equal(tt_api_token_format("key_abcdefgh234567", secret, tok, sizeof tok), 0);
    assert_string_equal(tok, "tt_key_abcdefgh234567_Ab_-_cd0123456789xyz_Q-w");
    assert_int_equal(tt_api_token_parse(tok, kid, sec, sizeof sec), 0);
    assert_string_equal(kid, "key_abcdefgh234567");
    assert_string_equal(sec, secret);
    /* a secret that starts with '_' still splits at the second '_' */
    assert_int_equal(tt_api_token_format("key_x1", "__________________", tok, sizeof tok), 0);
    assert_int_equal(tt_api_token_parse(tok, kid, sec, sizeof sec), 0);
    assert_string_equal(kid, "key_x1");
    assert_string_equal(sec, "__________________");
}

static void token_rejects(void **state)
{
    (void)state;
    char kid[TT_ID_MAX] = "untouched", sec[TT_API_SECRET_MAX + 1] = "untouched";
    const char *bad[] = {
        "",
        "tt_",
        "tt_key_abc",                   /* no secret */
        "tt_key_abc_",                  /* empty secret */
        "tt_key_abc_short",             /* secret < 16 */
        "xx_key_abc_0123456789abcdef",  /* wrong scheme prefix */
        "tt_KEY_abc_0123456789abcdef",  /* prefix not lowercase */
        "tt_key__0123456789abcdef0",    /* empty id body */
        "tt_key_ab-c_0123456789abcdef", /* '-' in the id */
        "tt_key_abc_0123456789abcdef!", /* not base64url */
        "tt_key_abc_0123456789abcdef ", /* trailing space */
        "tt_key_abc_0123456789ab\ncdef",
        "tt__abc_0123456789abcdef",
        NULL,
    };
    for (int i = 0; bad[i]; i++)
        assert_int_equal(tt_api_token_parse(bad[i], kid, sec, sizeof sec), -TT_E_UNAUTHORIZED);
    assert_int_equal(tt_api_token_parse(NULL, kid, sec, sizeof sec), -TT_E_UNAUTHORIZED);
    char longsec[TT_API_SECRET_MAX + 40];
    memcpy(longsec, "tt_key_a_", 9);
    memset(longsec + 9, 'x', TT_API_SECRET_MAX + 1);
    longsec[9 + TT_API_SECRET_MAX + 1] = '\0';
    assert_int_equal(tt_api_token_parse(longsec, kid, sec, sizeof sec), -TT_E_UNAUTHORIZED);
    longsec[9 + TT_API_SECRET_MAX] = '\0';
    assert_int_equal(tt_api_token_parse(longsec, kid, sec, 17), -TT_E_UNAUTHORIZED);
    assert_string_equal(kid, "untouched");
    assert_string_equal(sec, "untouched");
    assert_int_equal(tt_api_token_parse(longsec, kid, sec, sizeof sec), 0);

    char tok[TT_API_TOKEN_MAX];
    assert_int_equal(tt_api_token_format("key_ab_c", "0123456789abcdef", tok, sizeof tok),
                     -TT_E_BAD_PARAM);
    assert_int_equal(tt_api_token_format("key", "0123456789abcdef", tok, sizeof tok),
                     -TT_E_BAD_PARAM);
    assert_int_equal(tt_api_token_format("key_abc", "short", tok, sizeof tok), -TT_E_BAD_PARAM);
    assert_int_equal(tt_api_token_format("key_abc", "0123456789abcde=", tok, sizeof tok),
                     -TT_E_BAD_PARAM);
    assert_int_equal(tt_api_token_format("key_abc", "0123456789abcdef", tok, 27), -TT_E_BAD_PARAM);
    assert_int_equal(tt_api_token_format("key_abc", "0123456789abcdef", tok, 28), 0);
}

static void problem_json_shape(void **state)
{
    (void)state;
    json_t *p =
        tt__problem_json(TT_E_UNKNOWN_PURPOSE, "items/3/purpose", "no purpose 'x'", "req-1");
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "type")),
                        "https://tutela.dev/problems/unknown-purpose");
    assert_string_equal(json_string_value(json_object_get(p, "title")),
                        tt_err_message(TT_E_UNKNOWN_PURPOSE));
    assert_int_equal(json_integer_value(json_object_get(p, "status")), 422);
    assert_string_equal(json_string_value(json_object_get(p, "detail")), "no purpose 'x'");
    assert_string_equal(json_string_value(json_object_get(p, "field")), "items/3/purpose");
    assert_string_equal(json_string_value(json_object_get(p, "instance")), "req-1");
    json_decref(p);
    /* negative codes work; no field means no "field"; empty detail falls back to the title */
    p = tt__problem_json(-TT_E_NO_ROUTE, NULL, "", NULL);
    assert_int_equal(json_integer_value(json_object_get(p, "status")), 404);
    assert_null(json_object_get(p, "field"));
    assert_null(json_object_get(p, "instance"));
    assert_string_equal(json_string_value(json_object_get(p, "detail")),
                        tt_err_message(TT_E_NO_ROUTE));
    json_decref(p);
}

static void tt_problem_and_reply_fill_resp(void **state)
{
    (void)state;
    struct tt_resp r = {0};
    assert_int_equal(tt_problem(&r, TT_E_BAD_EMAIL, "email", "bad %s", "domain"), -TT_E_BAD_EMAIL);
    assert_int_equal(r.err, -TT_E_BAD_EMAIL);
    assert_string_equal(r.field, "email");
    assert_string_equal(r.detail, "bad domain");
    /* over-long field and detail are cut, never overrun */
    char longf[300];
    memset(longf, 'f', sizeof longf - 1);
    longf[sizeof longf - 1] = '\0';
    assert_int_equal(tt_problem(&r, -TT_E_CONFLICT, longf, "%s", longf), -TT_E_CONFLICT);
    assert_int_equal(strlen(r.field), sizeof r.field - 1);
    assert_int_equal(strlen(r.detail), sizeof r.detail - 1);
    assert_int_equal(tt_reply(&r, 201, json_pack("{s:s}", "id", "sub_1")), 0);
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "id")), "sub_1");
    tt_reply(&r, 200, json_object()); /* replacing frees the old body (ASan checks) */
    json_decref(r.json);
}

/* Checks every sample line "name{labels} value" and returns the value of the given series
 * (its text up to the value must equal want), or -1 when absent. */
static double prom_value(const char *text, const char *want)
{
    double found = -1;
    const char *line = text;
    while (*line) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl); /* every line ends with a newline */
        size_t len = (size_t)(nl - line);
        if (line[0] != '#') {
            const char *sp = memrchr(line, ' ', len);
            assert_non_null(sp);
            char *end = NULL;
            double v = strtod(sp + 1, &end);
            assert_ptr_equal(end, nl);
            if ((size_t)(sp - line) == strlen(want) && memcmp(line, want, strlen(want)) == 0)
                found = v;
        } else {
            assert_true(strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0);
        }
        line = nl + 1;
    }
    return found;
}

static void metrics_text_format(void **state)
{
    (void)state;
    tt__metrics_registry_reset();
    struct tt__metrics mt;
    assert_int_equal(tt__metrics_init(&mt, routes), 0);
    tt__metrics_observe(&mt, 3, 200, 0.0004);
    tt__metrics_observe(&mt, 3, 201, 0.003);
    tt__metrics_observe(&mt, 3, 404, 0.2);
    tt__metrics_observe(&mt, 3, 503, 7.0);
    tt__metrics_observe(&mt, TT__SLOT_UNMATCHED(&mt), 404, 0.001);
    size_t len = 0;
    char *t = tt__metrics_render(&mt, &len);
    assert_non_null(t);
    assert_int_equal(strlen(t), len);
    const char *lab = "route=\"/v1/subjects/{id}\",method=\"GET\"";
    char want[256];
    snprintf(want, sizeof want, "tutela_http_requests_total{%s,code=\"2xx\"}", lab);
    assert_true(prom_value(t, want) == 2);
    snprintf(want, sizeof want, "tutela_http_requests_total{%s,code=\"4xx\"}", lab);
    assert_true(prom_value(t, want) == 1);
    snprintf(want, sizeof want, "tutela_http_requests_total{%s,code=\"5xx\"}", lab);
    assert_true(prom_value(t, want) == 1);
    snprintf(want, sizeof want, "tutela_http_requests_total{%s,code=\"3xx\"}", lab);
    assert_true(prom_value(t, want) == -1);
    snprintf(want, sizeof want, "tutela_http_request_duration_seconds_bucket{%s,le=\"0.0005\"}",
             lab);
    assert_true(prom_value(t, want) == 1);
    snprintf(want, sizeof want, "tutela_http_request_duration_seconds_bucket{%s,le=\"0.005\"}",
             lab);
    assert_true(prom_value(t, want) == 2);
    snprintf(want, sizeof want, "tutela_http_request_duration_seconds_bucket{%s,le=\"5\"}", lab);
    assert_true(prom_value(t, want) == 3);
    snprintf(want, sizeof want, "tutela_http_request_duration_seconds_bucket{%s,le=\"+Inf\"}", lab);
    assert_true(prom_value(t, want) == 4);
    snprintf(want, sizeof want, "tutela_http_request_duration_seconds_count{%s}", lab);
    assert_true(prom_value(t, want) == 4);
    snprintf(want, sizeof want, "tutela_http_request_duration_seconds_sum{%s}", lab);
    double sum = prom_value(t, want);
    assert_true(sum > 7.2 && sum < 7.21);
    assert_true(prom_value(t, "tutela_http_requests_total{route=\"unmatched\",method=\"any\","
                              "code=\"4xx\"}") == 1);
    assert_non_null(strstr(t, "# TYPE tutela_http_request_duration_seconds histogram\n"));
    /* untouched routes emit no series */
    assert_null(strstr(t, "route=\"/healthz\""));
    free(t);
    tt__metrics_free(&mt);
}

static void metrics_registry(void **state)
{
    (void)state;
    tt__metrics_registry_reset();
    assert_int_equal(tt_metrics_counter_add("tutela_sweeps_total", "kind=\"retention\"", 2), 0);
    assert_int_equal(tt_metrics_counter_add("tutela_sweeps_total", "kind=\"retention\"", 3), 0);
    assert_int_equal(tt_metrics_counter_add("tutela_sweeps_total", "kind=\"a\\\"b\"", 1), 0);
    assert_int_equal(tt_metrics_gauge_set("tutela_subjects", "", 10), 0);
    assert_int_equal(tt_metrics_gauge_set("tutela_subjects", "", 7.5), 0);
    assert_int_equal(tt_metrics_describe("tutela_subjects", "Subjects in the store."), 0);
    /* refusals */
    assert_int_equal(tt_metrics_counter_add("tutela_sweeps_total", "", -1), -TT_E_BAD_PARAM);
    assert_int_equal(tt_metrics_gauge_set("tutela_sweeps_total", "", 1), -TT_E_BAD_PARAM);
    assert_int_equal(tt_metrics_gauge_set("9bad", "", 1), -TT_E_BAD_PARAM);
    assert_int_equal(tt_metrics_gauge_set("bad-name", "", 1), -TT_E_BAD_PARAM);
    const char *bad_labels[] = {"kind",        "kind=retention", "kind=\"x",
                                "kind=\"x\",", "=\"x\"",         "a=\"x\"b=\"y\"",
                                "a=\"\\x\"",   "a=\"x\ny\"",     NULL};
    for (int i = 0; bad_labels[i]; i++)
        assert_int_equal(tt_metrics_counter_add("tutela_x_total", bad_labels[i], 1),
                         -TT_E_BAD_PARAM);
    assert_int_equal(tt_metrics_describe("tutela_x", "two\nlines"), -TT_E_BAD_PARAM);
    char *t = tt_metrics_render(NULL, NULL);
    assert_non_null(t);
    assert_true(prom_value(t, "tutela_sweeps_total{kind=\"retention\"}") == 5);
    assert_true(prom_value(t, "tutela_sweeps_total{kind=\"a\\\"b\"}") == 1);
    assert_true(prom_value(t, "tutela_subjects") == 7.5);
    assert_non_null(strstr(t, "# HELP tutela_subjects Subjects in the store.\n"
                              "# TYPE tutela_subjects gauge\n"));
    assert_non_null(strstr(t, "# TYPE tutela_sweeps_total counter\n"));
    assert_null(strstr(t, "tutela_http_requests_total"));
    free(t);
    tt__metrics_registry_reset();
}

static char *capture_log(void (*fn)(void))
{
    char path[64];
    int fd = tt_tmpfile("/tmp/tt_log_", path, sizeof path);
    assert_true(fd >= 0);
    unlink(path);
    tt_log_set_fd(fd);
    fn();
    tt_log_set_fd(2);
    off_t n = lseek(fd, 0, SEEK_END);
    char *buf = calloc(1, (size_t)n + 1);
    assert_int_equal(pread(fd, buf, (size_t)n, 0), n);
    close(fd);
    return buf;
}

static void log_some(void)
{
    tt_log_set_level(TT_LOG_INFO);
    tt_log(TT_LOG_DEBUG, "hidden");
    tt_log(TT_LOG_INFO, "plain");
    tt_log(TT_LOG_WARN, "esc \"q\"", TT_LOG_S("s", "a\"b\\c\nd\x01\xff\xc3(e"), TT_LOG_I("i", -42),
           TT_LOG_D("d", 1.5), TT_LOG_B("b", 1), TT_LOG_S("n", NULL));
}

static void log_lines_are_json(void **state)
{
    (void)state;
    char *out = capture_log(log_some);
    char *second = strchr(out, '\n');
    assert_non_null(second);
    *second++ = '\0';
    json_error_t e;
    json_t *a = json_loads(out, 0, &e);
    assert_non_null(a);
    assert_string_equal(json_string_value(json_object_get(a, "msg")), "plain");
    assert_string_equal(json_string_value(json_object_get(a, "level")), "info");
    assert_int_equal(strlen(json_string_value(json_object_get(a, "ts"))), 24);
    json_t *b = json_loads(second, 0, &e);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "msg")), "esc \"q\"");
    assert_string_equal(json_string_value(json_object_get(b, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(b, "s")),
                        "a\"b\\c\nd\x01\xef\xbf\xbd\xef\xbf\xbd(e");
    assert_int_equal(json_integer_value(json_object_get(b, "i")), -42);
    assert_true(json_real_value(json_object_get(b, "d")) == 1.5);
    assert_true(json_is_true(json_object_get(b, "b")));
    assert_true(json_is_null(json_object_get(b, "n")));
    assert_null(strstr(second, "\n{")); /* exactly two lines: debug was filtered */
    json_decref(a);
    json_decref(b);
    free(out);
}

static void log_numbers(void)
{
    tt_log_set_level(TT_LOG_INFO);
    tt_log(TT_LOG_INFO, "n", TT_LOG_D("a", 2.0), TT_LOG_D("b", 0.042), TT_LOG_D("c", -3.25),
           TT_LOG_D("d", 1234.5678), TT_LOG_D("e", -0.0001), TT_LOG_D("f", 2e12),
           TT_LOG_I("g", INT64_MIN), TT_LOG_I("h", 0));
}

/* Numbers are written without printf on the request path: doubles with at most 3 decimals. */
static void log_number_forms(void **state)
{
    (void)state;
    char *out = capture_log(log_numbers);
    assert_non_null(strstr(out, ",\"a\":2,\"b\":0.042,\"c\":-3.25,\"d\":1234.568,\"e\":0,"
                                "\"f\":2e+12,\"g\":-9223372036854775808,\"h\":0}\n"));
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    assert_non_null(j);
    json_decref(j);
    free(out);
}

static void log_long(void)
{
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tt_log(TT_LOG_INFO, "long", TT_LOG_S("a", big), TT_LOG_S("b", big), TT_LOG_I("c", 1));
}

static void long_log_line_is_cut_but_valid(void **state)
{
    (void)state;
    char *out = capture_log(log_long);
    assert_true(strlen(out) <= 4096);
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    assert_non_null(j);
    assert_non_null(json_object_get(j, "a"));
    assert_null(json_object_get(j, "b"));
    assert_true(json_is_true(json_object_get(j, "truncated")));
    json_decref(j);
    free(out);
}

static void openapi_lists_every_route(void **state)
{
    (void)state;
    json_t *doc =
        tt_openapi_build(routes, "1.2.3", "{\"schemas\":{\"Subject\":{\"type\":\"object\"}}}");
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *paths = json_object_get(doc, "paths");
    for (int i = 0; routes[i].method; i++) {
        char m[8];
        size_t k = 0;
        for (; routes[i].method[k]; k++)
            m[k] = (char)(routes[i].method[k] - 'A' + 'a');
        m[k] = '\0';
        assert_non_null(json_object_get(json_object_get(paths, routes[i].pattern), m));
    }
    json_t *post = json_object_get(json_object_get(paths, "/v1/subjects"), "post");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(
                json_object_get(json_object_get(json_object_get(post, "requestBody"), "content"),
                                "application/json"),
                "schema"),
            "$ref")),
        "#/components/schemas/SubjectCreate");
    assert_non_null(json_object_get(json_object_get(post, "responses"), "201"));
    assert_non_null(json_object_get(json_object_get(post, "responses"), "401"));
    assert_non_null(json_object_get(
        json_object_get(json_object_get(json_object_get(post, "responses"), "4XX"), "content"),
        "application/problem+json"));
    assert_non_null(
        json_object_get(json_array_get(json_object_get(post, "security"), 0), "bearerAuth"));
    json_t *rec = json_object_get(json_object_get(paths, "/v1/subjects/{id}/records/{rid}"), "get");
    json_t *params = json_object_get(rec, "parameters");
    assert_int_equal(json_array_size(params), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(params, 1), "name")),
                        "rid");
    assert_string_equal(json_string_value(json_object_get(json_array_get(params, 0), "in")),
                        "path");
    json_t *health = json_object_get(json_object_get(paths, "/healthz"), "get");
    assert_int_equal(json_array_size(json_object_get(health, "security")), 0);
    assert_string_equal(json_string_value(json_object_get(health, "operationId")), "get_healthz");
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    assert_non_null(json_object_get(schemas, "Subject"));
    assert_non_null(json_object_get(schemas, "Problem"));
    assert_non_null(json_object_get(
        json_object_get(json_object_get(doc, "components"), "securitySchemes"), "bearerAuth"));
    json_decref(doc);
    assert_null(tt_openapi_build(routes, "1", "[1]"));
    assert_null(tt_openapi_build(routes, "1", "{bad"));
    doc = tt_openapi_build(routes, "1", NULL);
    assert_non_null(doc);
    json_decref(doc);
}

static void static_paths_stay_inside_root(void **state)
{
    (void)state;
    char root[64];
    assert_non_null(tt_tmpdir("/tmp/tt_web_", root, sizeof root));
    char p[512], outside[512];
    snprintf(p, sizeof p, "%s/www", root);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/www/app.js", root);
    FILE *f = fopen(p, "w");
    fputs("x()", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/www/index.html", root);
    f = fopen(p, "w");
    fputs("<p>", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/www/.secret", root);
    f = fopen(p, "w");
    fputs("s", f);
    fclose(f);
    snprintf(outside, sizeof outside, "%s/outside.txt", root);
    f = fopen(outside, "w");
    fputs("o", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/www/link.txt", root);
    assert_int_equal(symlink(outside, p), 0);
    char www[512];
    snprintf(www, sizeof www, "%s/www", root);

    int fd = -1;
    uint64_t size = 0;
    const char *ct = NULL;
    assert_int_equal(tt__static_open(www, "app.js", &fd, &size, &ct), 0);
    assert_int_equal(size, 3);
    assert_string_equal(ct, "text/javascript; charset=utf-8");
    close(fd);
    assert_int_equal(tt__static_open(www, "", &fd, &size, &ct), 0);
    assert_string_equal(ct, "text/html; charset=utf-8");
    close(fd);
    assert_int_equal(tt__static_open(www, "%61pp.js", &fd, &size, &ct), 0);
    close(fd);
    const char *refused[] = {"../outside.txt",
                             "%2e%2e/outside.txt",
                             "a/../app.js",
                             ".secret",
                             "link.txt",
                             "%00",
                             "app.js%00.png",
                             "/etc/passwd",
                             "%2fetc%2fpasswd",
                             "..\\outside.txt",
                             "missing.js",
                             "app.js/",
                             "%zz",
                             NULL};
    for (int i = 0; refused[i]; i++)
        assert_int_equal(tt__static_open(www, refused[i], &fd, &size, &ct), -TT_E_NOT_FOUND);
    assert_string_equal(tt__static_content_type("a/b.SVG"), "image/svg+xml");
    assert_string_equal(tt__static_content_type("a.d/b"), "application/octet-stream");
    assert_int_equal(tt_tmp_rmtree(root), 0);
}

static void request_ids(void **state)
{
    (void)state;
    assert_true(tt__request_id_valid("abc-DEF_0.9"));
    assert_false(tt__request_id_valid(""));
    assert_false(tt__request_id_valid(NULL));
    assert_false(tt__request_id_valid("a b"));
    assert_false(tt__request_id_valid("a\"b"));
    char s[80];
    memset(s, 'a', 64);
    s[64] = '\0';
    assert_true(tt__request_id_valid(s));
    s[64] = 'a';
    s[65] = '\0';
    assert_false(tt__request_id_valid(s));
    char a[TT_HTTP_REQUEST_ID_MAX], b[TT_HTTP_REQUEST_ID_MAX];
    tt__request_id_new(a);
    tt__request_id_new(b);
    assert_int_equal(strlen(a), 28);
    assert_true(strncmp(a, "req-", 4) == 0);
    assert_true(tt__request_id_valid(a));
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literal_route_matches_exactly),
        cmocka_unit_test(params_are_filled_and_decoded),
        cmocka_unit_test(literal_segment_beats_parameter),
        cmocka_unit_test(route_index_agrees_with_the_full_match),
        cmocka_unit_test(wrong_method_is_405_with_allow),
        cmocka_unit_test(head_matches_get_routes),
        cmocka_unit_test(bad_escape_in_param_is_400_naming_it),
        cmocka_unit_test(overlong_and_deep_paths_match_nothing),
        cmocka_unit_test(url_decode_rules),
        cmocka_unit_test(query_parse_rules),
        cmocka_unit_test(token_round_trip),
        cmocka_unit_test(token_rejects),
        cmocka_unit_test(problem_json_shape),
        cmocka_unit_test(tt_problem_and_reply_fill_resp),
        cmocka_unit_test(metrics_text_format),
        cmocka_unit_test(metrics_registry),
        cmocka_unit_test(log_lines_are_json),
        cmocka_unit_test(log_number_forms),
        cmocka_unit_test(long_log_line_is_cut_but_valid),
        cmocka_unit_test(openapi_lists_every_route),
        cmocka_unit_test(static_paths_stay_inside_root),
        cmocka_unit_test(request_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
