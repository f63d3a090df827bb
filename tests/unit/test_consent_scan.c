/* SPDX-License-Identifier: Apache-2.0 */
/* test_consent_scan.c — the fast path of POST /v1/consents (api/consents_scan.h and
 * tt_consent_item_scanned) agrees with the jansson path (tt_consent_item_parse and the batch's
 * subject id check), issue 4, S8.2: a body the fast path takes is one the jansson path takes,
 * item for item with the same values; every usual valid body is taken by the fast path; every
 * invalid body is refused by it (the jansson path then names the problem). Hand-written bodies,
 * then thousands of bodies built from pools of good and bad values, both ways; and the raw
 * writer of the consent answers (api/json_buf.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/common.h"
#include "api/consent_int.h"
#include "api/json_buf.h"
#include "api/consents_scan.h"
#include "core/policy.h"

#define MAX_ITEMS 8

static struct tt_policy *policy;

static int setup(void **state)
{
    (void)state;
    char err[TT_POLICY_ERR_MAX];
    char path[512];
    const char *root = getenv("TUTELA_SOURCE_ROOT");
    snprintf(path, sizeof path, "%s/policy/default.yaml", root ? root : ".");
    if (tt_policy_load(path, &policy, err) != 0)
        fail_msg("%s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tt_policy_free(policy);
    return 0;
}

/* Both paths over one body. */
struct both {
    long scanned;                        /* items the fast path took, or -1 */
    struct tt_consent_item s[MAX_ITEMS]; /* its items */
    int parsed;                          /* 1: the jansson path took it */
    struct tt_consent_item p[MAX_ITEMS]; /* its items */
    size_t n;                            /* the jansson path's items */
    struct tt_resp resp;                 /* its problem when refused */
    char arena[4096];
    struct tt_cscan_item raw[MAX_ITEMS + 4];
    json_t *json;
};

static void run_both(const char *body, struct both *b)
{
    memset(b, 0, sizeof *b);
    size_t len = strlen(body);
    assert_true(len < sizeof b->arena);
    size_t room = tt_cscan_room(body, len);
    if (room > MAX_ITEMS + 4)
        room = MAX_ITEMS + 4;
    b->scanned = tt_cscan(body, len, b->arena, b->raw, room, MAX_ITEMS);
    for (long i = 0; b->scanned > 0 && i < b->scanned; i++)
        if (tt_consent_item_scanned(policy, &b->raw[i], &b->s[i]) < 0)
            b->scanned = -1;
    /* the jansson path, as consents_batch.c takes a body */
    b->json = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
    const json_t *items = json_object_get(b->json, "items");
    if (!json_is_object(b->json) || json_object_size(b->json) != 1 || !json_is_array(items) ||
        json_array_size(items) == 0 || json_array_size(items) > MAX_ITEMS)
        return;
    b->n = json_array_size(items);
    for (size_t i = 0; i < b->n; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "items/%zu/", i);
        if (tt_consent_item_parse(policy, json_array_get(items, i), prefix, 1, &b->p[i], &b->resp) <
            0)
            return;
        if (b->p[i].subject && !tt__api_id_ok(b->p[i].subject, "sub_"))
            return;
    }
    b->parsed = 1;
}

static void same_str(const char *a, const char *b)
{
    if (!a || !b)
        assert_true(a == b);
    else
        assert_string_equal(a, b);
}

/* Whatever the fast path took, the jansson path took too, with the same values. */
static void agree(struct both *b)
{
    if (b->scanned < 0)
        return;
    assert_true(b->parsed);
    assert_int_equal((size_t)b->scanned, b->n);
    for (size_t i = 0; i < b->n; i++) {
        const struct tt_consent_item *s = &b->s[i], *p = &b->p[i];
        same_str(s->subject, p->subject);
        const json_t *id = p->identifier;
        same_str(s->ident_type, id ? json_string_value(json_object_get(id, "type")) : NULL);
        same_str(s->ident_value, id ? json_string_value(json_object_get(id, "value")) : NULL);
        same_str(s->purpose, p->purpose);
        same_str(s->feature, p->feature);
        same_str(s->action_name, p->action_name);
        same_str(s->method, p->method);
        same_str(s->notice_version, p->notice_version);
        same_str(s->page, p->page);
        same_str(s->user_agent, p->user_agent);
        same_str(s->ip, p->ip);
        assert_ptr_equal(s->pu, p->pu);
        assert_int_equal(s->action, p->action);
        assert_ptr_equal(s->change.purpose, p->change.purpose);
        assert_string_equal(s->change.target_kind, p->change.target_kind);
        assert_string_equal(s->change.target, p->change.target);
        assert_int_equal(s->change.action, p->change.action);
    }
}

/* Runs both paths over each body and checks that the fast path took it (fast 1) or not, and the
 * jansson path took it (parsed 1) or not; the paths agree on whatever both took. */
static void expect(const char *const *bodies, size_t n, int fast, int parsed)
{
    struct both *b = malloc(sizeof *b);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        run_both(bodies[i], b);
        if ((b->scanned >= 0) != fast || b->parsed != parsed)
            fail_msg("body %zu: fast path %ld, jansson path %d", i, b->scanned, b->parsed);
        agree(b);
        json_decref(b->json);
    }
    free(b);
}

#define ITEM                                                                                       \
    "{\"subject\":\"sub_abc123\",\"purpose\":\"marketing.communications.email\","                  \
    "\"action\":\"grant\",\"method\":\"import\",\"notice_version\":\"2022.1\"}"

static void test_usual_bodies_take_the_fast_path(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{\"items\":[" ITEM "]}",
        "{\"items\":[" ITEM "," ITEM "," ITEM "]}",
        " {\n \"items\" : [\t" ITEM " , " ITEM " ] } \r\n",
        "{\"items\":[{\"identifier\":{\"value\":\"a@example.org\",\"type\":\"email\"},"
        "\"feature\":\"newsletter\",\"action\":\"withdraw\",\"method\":\"api\","
        "\"notice_version\":\"v2\",\"evidence\":{\"page\":\"/crm?a=1\",\"user_agent\":"
        "\"Mozilla/5.0 (X11; Linux x86_64)\",\"ip\":\"198.51.100.7\"}}]}",
        "{\"items\":[{\"notice_version\":\"1\",\"method\":\"banner\",\"action\":\"grant\","
        "\"purpose\":\"marketing.communications.email\",\"subject\":\"sub_z\","
        "\"evidence\":{\"ip\":\"2001:db8::1\"}}]}",
    };
    expect(ok, sizeof ok / sizeof ok[0], 1, 1);
}

static void test_invalid_bodies_are_refused_by_both(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"items\":[]}",
        "{\"items\":[" ITEM "],\"more\":\"x\"}",
        "{\"items\":[" ITEM ",]}",
        "{\"items\":[" ITEM "]",
        "{\"items\":[" ITEM "]}x",
        "[" ITEM "]",
        "{\"items\":[{\"subject\":\"sub_a\",\"subject\":\"sub_b\",\"purpose\":"
        "\"marketing.communications.email\",\"action\":\"grant\",\"method\":\"api\","
        "\"notice_version\":\"1\"}]}",
        "{\"items\":[{\"subject\":\"nope\",\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"1\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"no.such.purpose\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"1\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"feature\":\"no_such_feature\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"1\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"marketing.communications.email\","
        "\"feature\":\"newsletter\",\"action\":\"grant\",\"method\":\"api\","
        "\"notice_version\":\"1\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"marketing.communications.email\","
        "\"action\":\"maybe\",\"method\":\"api\",\"notice_version\":\"1\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"fax\",\"notice_version\":\"1\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"1 2\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"api\"}]}",
        "{\"items\":[{\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"1\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"identifier\":{\"type\":\"email\",\"value\":"
        "\"a@example.org\"},\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"1\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"1\",\"extra\":\"x\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"1\","
        "\"evidence\":{\"page\":\"/\",\"cookie\":\"x\"}}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":1}]}",
    };
    expect(bad, sizeof bad / sizeof bad[0], 0, 0);
}

static void test_valid_bodies_outside_the_subset_take_the_slow_path(void **state)
{
    (void)state;
    /* an escape, a null member: valid JSON the jansson path takes, the scanner leaves to it */
    static const char *const slow[] = {
        "{\"items\":[{\"subject\":\"sub_\\u0061\",\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"1\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"marketing.communications.email\","
        "\"feature\":null,\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"1\"}]}",
        "{\"items\":[{\"subject\":\"sub_a\",\"purpose\":\"marketing.communications.email\","
        "\"action\":\"grant\",\"method\":\"api\",\"notice_version\":\"1\",\"evidence\":{}}]}",
    };
    expect(slow, sizeof slow / sizeof slow[0], 0, 1);
}

/* Pools of values for each member: NULL leaves it out; good values (first, weighted) and bad. */
static const char *const subjects[] = {"sub_abc", "sub_abc", "sub_abc", "sub_a_b9", "sub_a_b9",
                                       "sub_abc", NULL,      "sub_",    "x",        "sub_A"};
static const char *const purposes[] = {"marketing.communications.email",
                                       "marketing.communications.email",
                                       "marketing.communications.email",
                                       "marketing.communications.email",
                                       "marketing.communications.email",
                                       NULL,
                                       "nope",
                                       "marketing.communications.email.x"};
static const char *const features[] = {
    NULL, NULL, NULL, NULL, NULL, NULL,         NULL,
    NULL, NULL, NULL, NULL, NULL, "newsletter", "marketing_email",
    "no"};
static const char *const actions[] = {"grant",    "withdraw", "grant",    "withdraw", "grant",
                                      "withdraw", "grant",    "withdraw", NULL,       "Grant"};
static const char *const methods[] = {"api", "import", "banner", "gpc", "api",
                                      "api", "api",    "import", NULL,  "phone"};
static const char *const notices[] = {
    "2022.1", "v_2-b",  "2022.1", "2022.1",
    "2022.1", "2022.1", "2022.1", "2022.1",
    "2022.1", "2022.1", "2022.1", NULL,
    "a b",    "",       "x\"y",   "12345678901234567890123456789012"};
static const char *const idtypes[] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL,   NULL,
                                      NULL, NULL, NULL, NULL, NULL, NULL, "email"};
static const char *const evidence[] = {NULL, NULL, NULL,    NULL,     NULL,   NULL,
                                       NULL, NULL, "/page", "/p?q=1", "a\"b", ""};

#define PICK(pool) (pool)[(size_t)rand() % (sizeof(pool) / sizeof((pool)[0]))]

/* 1 when s may be written plainly (the fast path's subset). */
static int plain(const char *s)
{
    if (!s)
        return 1;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
            return 0;
    return 1;
}

static void put(json_t *obj, const char *name, const char *v, int *all_plain)
{
    if (v) {
        json_object_set_new(obj, name, json_string(v));
        *all_plain &= plain(v);
    }
}

static void test_generated_bodies_agree(void **state)
{
    (void)state;
    srand(4);
    size_t fast = 0, refused = 0;
    struct both *b = malloc(sizeof *b);
    assert_non_null(b);
    for (int round = 0; round < 4000; round++) {
        json_t *items = json_array();
        int all_plain = 1;
        size_t n = 1 + (size_t)(rand() % 4 == 0); /* one item, or two */
        for (size_t i = 0; i < n; i++) {
            json_t *it = json_object();
            put(it, "subject", PICK(subjects), &all_plain);
            put(it, "purpose", PICK(purposes), &all_plain);
            put(it, "feature", PICK(features), &all_plain);
            put(it, "action", PICK(actions), &all_plain);
            put(it, "method", PICK(methods), &all_plain);
            put(it, "notice_version", PICK(notices), &all_plain);
            const char *type = PICK(idtypes);
            if (type) {
                json_t *id = json_object();
                put(id, "type", type, &all_plain);
                put(id, "value", "a@example.org", &all_plain);
                json_object_set_new(it, "identifier", id);
            }
            const char *page = PICK(evidence), *ip = PICK(evidence);
            if (page || ip) {
                json_t *ev = json_object();
                put(ev, "page", page, &all_plain);
                put(ev, "ip", ip, &all_plain);
                json_object_set_new(it, "evidence", ev);
            }
            json_array_append_new(items, it);
        }
        json_t *body = json_pack("{s:o}", "items", items);
        char *text = json_dumps(body, JSON_COMPACT | (round % 2 ? 0 : JSON_INDENT(1)));
        assert_non_null(text);
        run_both(text, b);
        agree(b);
        /* the usual case is fast: a valid body written plainly is never left to jansson */
        if (b->parsed && all_plain && b->scanned < 0)
            fail_msg("a valid plain body took the slow path: %s", text);
        fast += b->scanned >= 0;
        refused += !b->parsed;
        json_decref(b->json);
        free(text);
        json_decref(body);
    }
    free(b);
    print_message("generated: %zu taken by the fast path, %zu refused by both\n", fast, refused);
    /* both outcomes were exercised */
    assert_true(fast > 100);
    assert_true(refused > 100);
}

/* The raw answer writer: JSON jansson reads back, and a refusal (the caller then answers with
 * jansson) for a value that would need escaping; the buffer grows past the room it started with. */
static void test_reply_writer(void **state)
{
    (void)state;
    struct tt_jbuf b;
    struct tt_resp resp = {0};
    tt_jbuf_init(&b, 128);
    tt_jbuf_lit(&b, "{\"id\":");
    tt_jbuf_str(&b, "cev_abc");
    tt_jbuf_lit(&b, ",\"seq\":");
    tt_jbuf_int(&b, INT64_MIN);
    tt_jbuf_lit(&b, ",\"n\":");
    tt_jbuf_int(&b, 0);
    tt_jbuf_lit(&b, "}");
    assert_int_equal(tt_jbuf_reply(&b, &resp, 201), 0);
    assert_int_equal(resp.status, 201);
    json_t *j = json_loadb(resp.raw, resp.raw_len, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "cev_abc");
    assert_true(json_integer_value(json_object_get(j, "seq")) == INT64_MIN);
    assert_int_equal(json_integer_value(json_object_get(j, "n")), 0);
    json_decref(j);
    free(resp.raw);
    static const char *const refused[] = {"a\"b", "a\\b", "a\nb", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct tt_resp r2 = {0};
        tt_jbuf_init(&b, 64);
        tt_jbuf_str(&b, refused[i]);
        assert_int_equal(tt_jbuf_reply(&b, &r2, 201), 1);
        assert_null(r2.raw);
    }
    /* more than the room given at the start: the buffer grows */
    struct tt_resp r3 = {0};
    tt_jbuf_init(&b, 4);
    tt_jbuf_str(&b, "abcd"); /* 6 bytes with its quotes */
    tt_jbuf_put(&b, ",", 1);
    tt_jbuf_int(&b, 1234567890123);
    assert_int_equal(tt_jbuf_reply(&b, &r3, 200), 0);
    assert_int_equal(r3.status, 200);
    assert_int_equal(r3.raw_len, 20);
    assert_memory_equal(r3.raw, "\"abcd\",1234567890123", 20);
    free(r3.raw);
    /* from no room at all */
    struct tt_resp r4 = {0};
    tt_jbuf_init(&b, 0);
    tt_jbuf_lit(&b, "[]");
    assert_int_equal(tt_jbuf_reply(&b, &r4, 200), 0);
    assert_int_equal(r4.raw_len, 2);
    free(r4.raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usual_bodies_take_the_fast_path),
        cmocka_unit_test(test_invalid_bodies_are_refused_by_both),
        cmocka_unit_test(test_valid_bodies_outside_the_subset_take_the_slow_path),
        cmocka_unit_test(test_generated_bodies_agree),
        cmocka_unit_test(test_reply_writer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
