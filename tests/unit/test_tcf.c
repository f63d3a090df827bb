/* SPDX-License-Identifier: Apache-2.0 */
/* test_tcf.c — the TC string codec (core/tcf): the IAB specification's example strings decode
 * to their documented fields, models round-trip, the TCF 2.2 rules hold, and every kind of
 * malformed string is a clean error with a reason (strings built bit by bit below). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/tcf.h"

/* the example of the IAB "Consent string and vendor list formats v2" (core + disclosed vendors) */
static const char IAB_EXAMPLE[] =
    "COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA."
    "IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAA"
    "AAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw";
/* core with a publisher restriction, disclosed and allowed vendors, publisher TC */
static const char ALL_SEGMENTS[] = "COw4XqLOw4XqLAAAAAENAXCf-v-gAAAfwIAAACngAI8AEFABgACAA4A."
                                   "IAPPwAPrwA.QAPPwAPrwA.cAEAPAAAC7gAHw4AAA";

static struct tt_tcf_model *new_model(void)
{
    struct tt_tcf_model *m = malloc(sizeof *m);
    assert_non_null(m);
    tt_tcf_model_init(m);
    return m;
}

static int decode(const char *s, struct tt_tcf_model *m, const char **why)
{
    *why = NULL;
    return tutela_tcf_decode(s, strlen(s), m, why);
}

static void assert_vendors(const struct tt_tcf_vendors *v, const unsigned *ids, size_t n)
{
    size_t k = 0;
    for (unsigned id = 1; id <= v->max_vendor_id; id++) {
        if (tutela_tcf_vendor_has(v, id)) {
            assert_true(k < n);
            assert_int_equal(id, ids[k]);
            k++;
        }
    }
    assert_int_equal(k, n);
}

static void iab_example_decodes_to_documented_fields(void **state)
{
    (void)state;
    struct tt_tcf_model *m = new_model();
    const char *why;
    assert_int_equal(decode(IAB_EXAMPLE, m, &why), 0);
    assert_int_equal(m->version, 2);
    assert_int_equal(m->created_ds, INT64_C(15822430593)); /* 2020-02-20T23:57:39.3Z */
    assert_int_equal(m->last_updated_ds, INT64_C(15822430593));
    assert_int_equal(m->cmp_id, 27);
    assert_int_equal(m->cmp_version, 0);
    assert_int_equal(m->consent_screen, 0);
    assert_string_equal(m->consent_language, "EN");
    assert_int_equal(m->vendor_list_version, 15);
    assert_int_equal(m->policy_version, 2);
    assert_false(m->is_service_specific);
    assert_int_equal(m->special_feature_optins, 0);
    assert_int_equal(m->purpose_consents, 0x7); /* purposes 1, 2, 3 */
    assert_int_equal(m->purpose_legitimate_interests, 0);
    assert_string_equal(m->publisher_cc, "AA");
    static const unsigned v268[] = {2, 6, 8};
    assert_vendors(&m->vendor_consents, v268, 3);
    assert_vendors(&m->vendor_legitimate_interests, v268, 3);
    assert_int_equal(m->n_restrictions, 0);
    assert_true(m->has_disclosed_vendors);
    assert_false(m->has_allowed_vendors);
    assert_false(m->has_publisher_tc);
    static const unsigned dv[] = {
        2,   6,   8,   12,  18,  23,  37,  42,  47,  48,  53,  61,  65,  66,  72,  88,
        98,  127, 128, 129, 133, 153, 163, 192, 205, 215, 224, 243, 248, 281, 294, 304,
        350, 351, 358, 371, 422, 424, 440, 447, 467, 486, 498, 502, 512, 516, 553, 556,
        571, 587, 612, 613, 618, 626, 648, 653, 656, 657, 665, 676, 681, 683, 684, 686,
        687, 688, 690, 691, 694, 702, 703, 707, 708, 711, 712, 714, 716, 719, 720};
    assert_vendors(&m->disclosed_vendors, dv, sizeof dv / sizeof dv[0]);
    assert_int_equal(m->violations, 0);
    free(m);
}

static void every_segment_decodes(void **state)
{
    (void)state;
    struct tt_tcf_model *m = new_model();
    const char *why;
    assert_int_equal(decode(ALL_SEGMENTS, m, &why), 0);
    assert_int_equal(m->created_ds, INT64_C(15852468875));
    assert_int_equal(m->vendor_list_version, 23);
    assert_true(m->use_non_standard_texts);
    assert_int_equal(m->special_feature_optins, 0x5ff); /* 1-9, 11 */
    assert_int_equal(m->purpose_consents, 0x5ff);
    assert_int_equal(m->purpose_legitimate_interests, 0x3f800); /* 12-18 */
    assert_true(m->purpose_one_treatment);
    static const unsigned vc[] = {2, 3, 4, 5}, vli[] = {1, 2, 3, 4};
    assert_vendors(&m->vendor_consents, vc, 4);
    assert_vendors(&m->vendor_legitimate_interests, vli, 4);
    assert_int_equal(m->n_restrictions, 1);
    assert_int_equal(m->restrictions[0].purpose_id, 1);
    assert_int_equal(m->restrictions[0].restriction_type, TT_TCF_RESTRICT_REQUIRE_CONSENT);
    assert_int_equal(m->restrictions[0].n_ranges, 1);
    assert_int_equal(m->restriction_ranges[0].start, 1);
    assert_int_equal(m->restriction_ranges[0].end, 7);
    static const unsigned dv[] = {1, 2, 3, 4, 5, 6, 19, 20, 21, 22, 23, 25, 27, 28, 29, 30};
    assert_true(m->has_disclosed_vendors && m->has_allowed_vendors && m->has_publisher_tc);
    assert_vendors(&m->disclosed_vendors, dv, 16);
    assert_vendors(&m->allowed_vendors, dv, 16);
    assert_int_equal(m->publisher_tc.purpose_consents, (1u << 0) | (1u << 12) | (1u << 23));
    assert_int_equal(m->publisher_tc.purpose_legitimate_interests, 0x7);
    assert_int_equal(m->publisher_tc.num_custom_purposes, 23);
    assert_int_equal(m->publisher_tc.custom_purpose_consents, 0x7c000e);         /* 2-4, 19-23 */
    assert_int_equal(m->publisher_tc.custom_purpose_legitimate_interests, 0x70); /* 5-7 */
    /* publisher purpose 1 on legitimate interest: reported, still decoded */
    assert_int_equal(m->violations, TUTELA_TCF_VIOLATION_PURPOSE1_LI);
    free(m);
}

static void segments_in_any_order_decode_alike(void **state)
{
    (void)state;
    struct tt_tcf_model *a = new_model(), *b = new_model();
    const char *why;
    assert_int_equal(
        decode("COw4XqLOw4XqLAAAAAENAXCAAAAAAAAAAAAAAAAAAAAA.IAPPwAPrwA.QAPPwAPrwA", a, &why), 0);
    assert_int_equal(
        decode("COw4XqLOw4XqLAAAAAENAXCAAAAAAAAAAAAAAAAAAAAA.QAPPwAPrwA.IAPPwAPrwA", b, &why), 0);
    assert_true(tt_tcf_model_equal(a, b));
    free(a);
    free(b);
}

static void built_model_round_trips(void **state)
{
    (void)state;
    struct tt_tcf_model *m = new_model(), *back = new_model();
    m->created_ds = m->last_updated_ds = INT64_C(17000000000);
    m->cmp_id = 300;
    m->cmp_version = 7;
    m->vendor_list_version = 137;
    memcpy(m->publisher_cc, "FR", 3);
    m->purpose_consents = 0xffffff;
    m->purpose_legitimate_interests = (1u << 1) | (1u << 6);
    for (unsigned id = 1; id <= 800; id += 3)
        assert_int_equal(tutela_tcf_vendor_set(&m->vendor_consents, id), 0);
    for (unsigned id = 100; id <= 700; id++) /* one long run: range encoding wins */
        assert_int_equal(tutela_tcf_vendor_set(&m->vendor_legitimate_interests, id), 0);
    m->n_restrictions = 1;
    m->restrictions[0] = (struct tt_tcf_restriction){2, TT_TCF_RESTRICT_REQUIRE_LI, 0, 2};
    m->n_restriction_ranges = 2;
    m->restriction_ranges[0] = (struct tt_tcf_range){5, 9};
    m->restriction_ranges[1] = (struct tt_tcf_range){40, 40};
    m->has_publisher_tc = 1;
    m->publisher_tc.purpose_consents = 0x3;
    m->publisher_tc.num_custom_purposes = 40;
    m->publisher_tc.custom_purpose_consents = UINT64_C(1) << 39;
    char out[TUTELA_TCF_STRING_MAX];
    size_t len = 0;
    const char *why = NULL;
    assert_int_equal(tutela_tcf_encode(m, NULL, out, sizeof out, &len, &why), 0);
    assert_int_equal(len, strlen(out));
    const char *dot = strchr(out, '.'); /* each segment padded to 24 bits: 4k characters */
    assert_non_null(dot);
    assert_int_equal((size_t)(dot - out) % 4, 0);
    assert_int_equal(strlen(dot + 1) % 4, 0);
    assert_int_equal(decode(out, back, &why), 0);
    assert_true(tt_tcf_model_equal(m, back));
    assert_false(back->vendor_consents.range_encoded);
    assert_true(back->vendor_legitimate_interests.range_encoded);
    /* a buffer one byte short is refused, not overrun */
    char *small = malloc(len);
    assert_non_null(small);
    assert_int_equal(tutela_tcf_encode(m, NULL, small, len, NULL, &why), -TT_E_TCF_LIMIT);
    free(small);
    free(m);
    free(back);
}

static void tcf22_legitimate_interest_rules(void **state)
{
    (void)state;
    struct tt_tcf_model *m = new_model();
    char out[512];
    const char *why = NULL;
    m->purpose_legitimate_interests = 1u << 3; /* purpose 4 */
    assert_int_equal(tutela_tcf_encode(m, NULL, out, sizeof out, NULL, &why), -TT_E_TCF_POLICY);
    assert_non_null(strstr(why, "3-6"));
    m->policy_version = 2; /* TCF 2.0/2.1 allowed it */
    assert_int_equal(tutela_tcf_encode(m, NULL, out, sizeof out, NULL, &why), 0);
    m->purpose_legitimate_interests = 1u << 0; /* purpose 1: never */
    assert_int_equal(tutela_tcf_encode(m, NULL, out, sizeof out, NULL, &why), -TT_E_TCF_POLICY);
    m->policy_version = 4;
    m->purpose_legitimate_interests = 0;
    m->has_publisher_tc = 1;
    m->publisher_tc.purpose_legitimate_interests = 1u << 4; /* publisher purpose 5 */
    assert_int_equal(tutela_tcf_encode(m, NULL, out, sizeof out, NULL, &why), -TT_E_TCF_POLICY);
    free(m);
}

static void encoder_refuses_bad_models(void **state)
{
    (void)state;
    struct tt_tcf_model *m = new_model();
    char out[512];
    const char *why = NULL;
    memcpy(m->consent_language, "e1", 3);
    assert_int_equal(tutela_tcf_encode(m, NULL, out, sizeof out, NULL, &why),
                     -TT_E_TCF_INVALID_MODEL);
    tt_tcf_model_init(m);
    m->cmp_id = 4096;
    assert_int_equal(tutela_tcf_encode(m, NULL, out, sizeof out, NULL, &why),
                     -TT_E_TCF_INVALID_MODEL);
    tt_tcf_model_init(m);
    m->n_restrictions = 1;
    m->restrictions[0] = (struct tt_tcf_restriction){3, 0, 0, 2};
    m->n_restriction_ranges = 2;
    m->restriction_ranges[0] = (struct tt_tcf_range){10, 20};
    m->restriction_ranges[1] = (struct tt_tcf_range){15, 30}; /* overlaps */
    assert_int_equal(tutela_tcf_encode(m, NULL, out, sizeof out, NULL, &why),
                     -TT_E_TCF_INVALID_MODEL);
    tt_tcf_model_init(m);
    m->version = 1;
    assert_int_equal(tutela_tcf_encode(m, NULL, out, sizeof out, NULL, &why), -TT_E_TCF_VERSION);
    free(m);
}

static void restriction_ranges_join_across_ids_absent_from_the_list(void **state)
{
    (void)state;
    struct tt_tcf_model *m = new_model(), *back = new_model();
    struct tt_tcf_vendors *gvl = malloc(sizeof *gvl);
    assert_non_null(gvl);
    tutela_tcf_vendors_clear(gvl);
    static const unsigned ids[] = {1, 2, 3, 5, 8}; /* 4, 6 and 7 are not in the list */
    for (size_t i = 0; i < 5; i++)
        tutela_tcf_vendor_set(gvl, ids[i]);
    m->n_restrictions = 1;
    m->restrictions[0] = (struct tt_tcf_restriction){2, 0, 0, 3};
    m->n_restriction_ranges = 3;
    m->restriction_ranges[0] = (struct tt_tcf_range){1, 3};
    m->restriction_ranges[1] = (struct tt_tcf_range){5, 5};
    m->restriction_ranges[2] = (struct tt_tcf_range){8, 8};
    char out[512];
    const char *why = NULL;
    struct tt_tcf_encode_opts opts = {gvl};
    assert_int_equal(tutela_tcf_encode(m, &opts, out, sizeof out, NULL, &why), 0);
    assert_int_equal(decode(out, back, &why), 0);
    assert_int_equal(back->restrictions[0].n_ranges, 1); /* 1-8 as one range */
    assert_int_equal(back->restriction_ranges[0].start, 1);
    assert_int_equal(back->restriction_ranges[0].end, 8);
    assert_int_equal(tutela_tcf_encode(m, NULL, out, sizeof out, NULL, &why), 0);
    assert_int_equal(decode(out, back, &why), 0);
    assert_int_equal(back->restrictions[0].n_ranges, 3); /* no list: kept apart */
    free(gvl);
    free(m);
    free(back);
}

/* ---- malformed strings, built bit by bit ---- */

struct bits {
    char b[4096];
    size_t n;
};

static void put(struct bits *s, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        s->b[s->n++] = (char)('0' + ((v >> (n - 1 - i)) & 1));
}

/* a core segment up to (not including) the vendor consents */
static void core_head(struct bits *s, unsigned version)
{
    s->n = 0;
    put(s, version, 6);
    put(s, 15822430593, 36);
    put(s, 15822430593, 36);
    put(s, 27, 12);
    put(s, 0, 12);
    put(s, 0, 6);
    put(s, 4, 6);  /* E */
    put(s, 13, 6); /* N */
    put(s, 15, 12);
    put(s, 4, 6);
    put(s, 0, 2);
    put(s, 0, 12);
    put(s, 0x7, 24);
    put(s, 0, 24);
    put(s, 0, 1);
    put(s, 0, 12);
}

static void empty_vendors(struct bits *s)
{
    put(s, 0, 16);
    put(s, 0, 1);
}

/* base64url of the bits, padded with zeros to a multiple of 24 bits (pad = extra zero bits) */
static char *b64(struct bits *s, unsigned extra)
{
    static const char d[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = s->n;
    while (n % 24)
        n++;
    n += extra;
    while (n % 6)
        n++;
    char *out = calloc(n / 6 + 1, 1);
    assert_non_null(out);
    for (size_t i = 0; i < n / 6; i++) {
        unsigned v = 0;
        for (size_t k = 0; k < 6; k++) {
            size_t at = i * 6 + k;
            v = v << 1 | (at < s->n && s->b[at] == '1');
        }
        out[i] = d[v];
    }
    return out;
}

static void expect_error(const char *s, int code, const char *reason_part)
{
    struct tt_tcf_model *m = new_model();
    const char *why = NULL;
    int rc = decode(s, m, &why);
    if (rc != -code || !why || !strstr(why, reason_part))
        fail_msg("'%s': got %d (%s), want %d with '%s'", s, rc, why ? why : "-", -code,
                 reason_part);
    free(m);
}

static void malformed_strings_are_clean_errors(void **state)
{
    (void)state;
    struct bits s;
    char *str;

    /* a well-formed baseline, so each case below differs in one thing */
    core_head(&s, 2);
    empty_vendors(&s);
    empty_vendors(&s);
    put(&s, 0, 12);
    str = b64(&s, 0);
    struct tt_tcf_model *m = new_model();
    const char *why;
    assert_int_equal(decode(str, m, &why), 0);
    free(m);
    expect_error(
        "COw4XqLOw4XqLAAAAAENAXCAAAAAAAAAAAAAAAAAAAAA.YAAAAAAAAAAAAAAAAAA.IAPPwAPrwA.IAPPwAPrwA",
        TT_E_TCF_MALFORMED, "twice");

    char buf[256];
    snprintf(buf, sizeof buf, "%s", str);
    buf[5] = '+'; /* standard base64, not base64url */
    expect_error(buf, TT_E_TCF_MALFORMED, "base64url");
    snprintf(buf, sizeof buf, "%.20s", str);
    expect_error(buf, TT_E_TCF_MALFORMED, "truncated");
    snprintf(buf, sizeof buf, "%sAAgA", str);
    expect_error(buf, TT_E_TCF_MALFORMED, "trailing");
    snprintf(buf, sizeof buf, "%s", str);
    buf[strlen(buf) - 1] = 'B'; /* a padding bit set */
    expect_error(buf, TT_E_TCF_MALFORMED, "nonzero bits");
    m = new_model();
    snprintf(buf, sizeof buf, "%sAAAA", str); /* more zero padding: accepted, as in the wild */
    assert_int_equal(decode(buf, m, &why), 0);
    free(m);
    snprintf(buf, sizeof buf, "%s.", str);
    expect_error(buf, TT_E_TCF_MALFORMED, "empty segment");
    snprintf(buf, sizeof buf, "%s.IAAAAA.IAAAAA", str);
    expect_error(buf, TT_E_TCF_MALFORMED, "twice");
    snprintf(buf, sizeof buf, "%s.gAAA", str); /* segment type 4 */
    expect_error(buf, TT_E_TCF_MALFORMED, "unknown segment");
    snprintf(buf, sizeof buf, "%s.%s", str, str); /* core twice */
    expect_error(buf, TT_E_TCF_MALFORMED, "second core");
    expect_error("", TT_E_TCF_MALFORMED, "empty");
    expect_error("IAAAAA", TT_E_TCF_VERSION, "version 2"); /* no core first */
    free(str);

    core_head(&s, 1); /* TCF v1 */
    empty_vendors(&s);
    str = b64(&s, 0);
    expect_error(str, TT_E_TCF_VERSION, "version 2");
    free(str);

    /* vendor ranges: out of order, past MaxVendorId, id 0, end before start */
    struct {
        unsigned max, s1, e1, s2, e2;
        const char *why;
    } cases[] = {
        {100, 50, 60, 10, 20, "out of order"},      {100, 10, 20, 20, 30, "out of order"},
        {100, 10, 20, 90, 101, "past MaxVendorId"}, {100, 0, 5, 10, 10, "vendor id 0"},
        {100, 30, 20, 40, 40, "ends before"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        core_head(&s, 2);
        put(&s, cases[i].max, 16);
        put(&s, 1, 1);
        put(&s, 2, 12);
        put(&s, 1, 1);
        put(&s, cases[i].s1, 16);
        put(&s, cases[i].e1, 16);
        put(&s, 1, 1);
        put(&s, cases[i].s2, 16);
        put(&s, cases[i].e2, 16);
        empty_vendors(&s);
        put(&s, 0, 12);
        str = b64(&s, 0);
        expect_error(str, TT_E_TCF_MALFORMED, cases[i].why);
        free(str);
    }

    /* restriction type 3, purpose 0, more groups than the codec holds, a repeated group */
    struct {
        unsigned n, purpose, type;
        int code;
        const char *why;
    } rcases[] = {
        {1, 2, 3, TT_E_TCF_MALFORMED, "type 3"},
        {1, 0, 1, TT_E_TCF_MALFORMED, "purpose 0"},
        {TUTELA_TCF_MAX_RESTRICTIONS + 1, 2, 1, TT_E_TCF_LIMIT, "more publisher restrictions"},
        {2, 2, 1, TT_E_TCF_MALFORMED, "appears twice"},
    };
    for (size_t i = 0; i < sizeof rcases / sizeof rcases[0]; i++) {
        core_head(&s, 2);
        empty_vendors(&s);
        empty_vendors(&s);
        put(&s, rcases[i].n, 12);
        for (unsigned k = 0; k < 2 && k < rcases[i].n; k++) {
            put(&s, rcases[i].purpose, 6);
            put(&s, rcases[i].type, 2);
            put(&s, 0, 12);
        }
        str = b64(&s, 0);
        expect_error(str, rcases[i].code, rcases[i].why);
        free(str);
    }

    /* a letter past Z in the language */
    core_head(&s, 2);
    s.b[6 + 36 + 36 + 12 + 12 + 6] = '1'; /* first language letter += 32 */
    empty_vendors(&s);
    empty_vendors(&s);
    put(&s, 0, 12);
    str = b64(&s, 0);
    expect_error(str, TT_E_TCF_MALFORMED, "A-Z");
    free(str);
}

static void vendor_set_helpers(void **state)
{
    (void)state;
    struct tt_tcf_vendors *v = malloc(sizeof *v);
    assert_non_null(v);
    memset(v->bits, 0xff, sizeof v->bits); /* garbage above the maximum */
    tutela_tcf_vendors_clear(v);
    assert_false(tutela_tcf_vendor_has(v, 1));
    assert_int_equal(tutela_tcf_vendor_set(v, 20), 0);
    assert_int_equal(v->max_vendor_id, 20);
    for (unsigned id = 1; id < 20; id++)
        assert_false(tutela_tcf_vendor_has(v, id));
    assert_true(tutela_tcf_vendor_has(v, 20));
    assert_false(tutela_tcf_vendor_has(v, 21));
    assert_int_equal(tutela_tcf_vendor_set(v, 0), -TT_E_BAD_PARAM);
    assert_int_equal(tutela_tcf_vendor_set(v, 65535), 0);
    assert_false(tutela_tcf_vendor_has(v, 65534));
    assert_int_equal(tutela_tcf_vendor_set(v, 65536), -TT_E_BAD_PARAM);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iab_example_decodes_to_documented_fields),
        cmocka_unit_test(every_segment_decodes),
        cmocka_unit_test(segments_in_any_order_decode_alike),
        cmocka_unit_test(built_model_round_trips),
        cmocka_unit_test(tcf22_legitimate_interest_rules),
        cmocka_unit_test(encoder_refuses_bad_models),
        cmocka_unit_test(restriction_ranges_join_across_ids_absent_from_the_list),
        cmocka_unit_test(malformed_strings_are_clean_errors),
        cmocka_unit_test(vendor_set_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
