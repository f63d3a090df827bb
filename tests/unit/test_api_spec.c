/* SPDX-License-Identifier: Apache-2.0 */
/* test_api_spec.c — the declarative JSON body specs of src/api/spec.c: each kind of bad input is
 * answered with its problem code and the offending field (with the item prefix), outputs are
 * written only for members present, and nothing is accepted silently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/spec.h"
#include "core/error.h"

struct out {
    const char *kind, *name;
    int flag, flag_set;
    int64_t n;
    int n_set;
    const json_t *list;
};

/* Parses text against a small spec with the given prefix; returns the code (0 or negative)
 * and leaves the problem in resp. */
static int run(const char *text, const char *prefix, struct out *o, struct tt_resp *resp)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_ALLOW_NUL, &e);
    assert_non_null(j);
    memset(o, 0, sizeof(*o));
    memset(resp, 0, sizeof(*resp));
    struct tt_spec spec[] = {
        tt_spec_key("kind", &o->kind, 1),
        tt_spec_string_max("name", &o->name, 5, 0),
        tt_spec_bool("flag", &o->flag, &o->flag_set, 0),
        tt_spec_int("n", &o->n, &o->n_set, 0),
        tt_spec_array("list", &o->list, 2, 0),
        tt_spec_end(),
    };
    int rc = tt_spec_parse(j, spec, prefix, resp);
    /* outputs borrow from j, so only the code and the problem are looked at after this */
    json_decref(j);
    return rc;
}

static void valid_body_fills_outputs(void **state)
{
    (void)state;
    struct out o;
    struct tt_resp r;
    json_t *j = json_loads("{\"kind\":\"end_user\",\"flag\":true,\"n\":7,\"list\":[1]}", 0, NULL);
    memset(&o, 0, sizeof(o));
    memset(&r, 0, sizeof(r));
    struct tt_spec spec[] = {
        tt_spec_key("kind", &o.kind, 1),
        tt_spec_string_max("name", &o.name, 5, 0),
        tt_spec_bool("flag", &o.flag, &o.flag_set, 0),
        tt_spec_int("n", &o.n, &o.n_set, 0),
        tt_spec_array("list", &o.list, 2, 0),
        tt_spec_end(),
    };
    assert_int_equal(tt_spec_parse(j, spec, NULL, &r), 0);
    assert_string_equal(o.kind, "end_user");
    assert_null(o.name);
    assert_int_equal(o.flag, 1);
    assert_int_equal(o.flag_set, 1);
    assert_int_equal(o.n, 7);
    assert_int_equal(o.n_set, 1);
    assert_int_equal(json_array_size(o.list), 1);
    json_decref(j);
}

static void each_bad_input_names_its_field(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int code;
        const char *field;
    } cases[] = {
        {"{}", TT_E_MISSING_FIELD, "items/4/kind"},
        {"{\"kind\":null}", TT_E_MISSING_FIELD, "items/4/kind"},
        {"{\"kind\":3}", TT_E_WRONG_TYPE, "items/4/kind"},
        {"{\"kind\":\"\"}", TT_E_BAD_FIELD, "items/4/kind"},
        {"{\"kind\":\"a\\u0000b\"}", TT_E_BAD_FIELD, "items/4/kind"},
        {"{\"kind\":\"a\",\"name\":\"toolong\"}", TT_E_BAD_FIELD, "items/4/name"},
        {"{\"kind\":\"a\",\"flag\":1}", TT_E_WRONG_TYPE, "items/4/flag"},
        {"{\"kind\":\"a\",\"n\":1.5}", TT_E_WRONG_TYPE, "items/4/n"},
        {"{\"kind\":\"a\",\"list\":{}}", TT_E_WRONG_TYPE, "items/4/list"},
        {"{\"kind\":\"a\",\"list\":[1,2,3]}", TT_E_BATCH_TOO_LARGE, "items/4/list"},
        {"{\"kind\":\"a\",\"knid\":\"typo\"}", TT_E_UNKNOWN_FIELD, "items/4/knid"},
        {"[1]", TT_E_WRONG_TYPE, "items/4"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct out o;
        struct tt_resp r;
        int rc = run(cases[i].text, "items/4/", &o, &r);
        assert_int_equal(rc, -cases[i].code);
        assert_int_equal(r.err, -cases[i].code);
        assert_string_equal(r.field, cases[i].field);
    }
}

static void top_level_non_object_is_malformed_json(void **state)
{
    (void)state;
    struct out o;
    struct tt_resp r;
    assert_int_equal(run("[1,2]", NULL, &o, &r), -TT_E_BAD_JSON);
    assert_int_equal(run("[]", "", &o, &r), -TT_E_BAD_JSON);
    struct tt_req req;
    memset(&req, 0, sizeof(req));
    struct tt_spec spec[] = {tt_spec_end()};
    assert_int_equal(tt_spec_parse_body(&req, spec, &r), -TT_E_BAD_JSON);
}

static void unknown_field_name_is_clipped(void **state)
{
    (void)state;
    struct out o;
    struct tt_resp r;
    char text[400];
    char longname[300];
    memset(longname, 'z', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    snprintf(text, sizeof(text), "{\"kind\":\"a\",\"%s\":1}", longname);
    assert_int_equal(run(text, NULL, &o, &r), -TT_E_UNKNOWN_FIELD);
    assert_true(strlen(r.field) <= 48);
    assert_int_equal(strspn(r.field, "z"), strlen(r.field));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_body_fills_outputs),
        cmocka_unit_test(each_bad_input_names_its_field),
        cmocka_unit_test(top_level_non_object_is_malformed_json),
        cmocka_unit_test(unknown_field_name_is_clipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
