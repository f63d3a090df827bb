/* SPDX-License-Identifier: Apache-2.0 */
/* tcf_json.c — the JSON form of a TCF v2.2 TC string model (api/): core/tcf's struct to and from
 * the TcfModel object the /v1/tcf endpoints and tests/oracle/tcf_tool speak. Strict on input:
 * every member is type-checked and range-checked, unknown members are refused. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/tcf.h"
#include "handlers_tcf.h"

/* ---- to JSON ---- */

static json_t *mask_ids(uint64_t mask, unsigned nbits)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < nbits; i++) {
        if ((mask >> i) & 1)
            json_array_append_new(a, json_integer(i + 1));
    }
    return a;
}

static json_t *vendor_ids(const struct tt_tcf_vendors *v)
{
    json_t *a = json_array();
    unsigned highest = 0;
    for (unsigned id = 1; a && id <= v->max_vendor_id; id++) {
        if (tutela_tcf_vendor_has(v, id)) {
            json_array_append_new(a, json_integer(id));
            highest = id;
        }
    }
    if (!a || highest == v->max_vendor_id)
        return a;
    /* a MaxVendorId above the highest id: keep it, so the string encodes back the same */
    return json_pack("{s:i,s:o}", "max_vendor_id", (json_int_t)v->max_vendor_id, "ids", a);
}

static json_t *ds_time(int64_t ds)
{
    char buf[40], out[48];
    if (!tt_time_format((tt_time)(ds / 10), buf, sizeof buf))
        return json_null();
    size_t n = strlen(buf);
    if (n == 0 || buf[n - 1] != 'Z')
        return json_null();
    buf[n - 1] = '\0';
    snprintf(out, sizeof out, "%s.%dZ", buf, (int)(ds % 10));
    return json_string(out);
}

json_t *tt_tcf_model_to_json(const struct tt_tcf_model *m)
{
    json_t *restr = json_array();
    for (unsigned i = 0; restr && i < m->n_restrictions; i++) {
        const struct tt_tcf_restriction *g = &m->restrictions[i];
        json_t *ranges = json_array();
        for (unsigned k = 0; ranges && k < g->n_ranges; k++) {
            const struct tt_tcf_range *r = &m->restriction_ranges[g->first_range + k];
            json_array_append_new(ranges,
                                  json_pack("[i,i]", (json_int_t)r->start, (json_int_t)r->end));
        }
        json_array_append_new(restr, json_pack("{s:i,s:i,s:o*}", "purpose_id",
                                               (json_int_t)g->purpose_id, "restriction_type",
                                               (json_int_t)g->restriction_type, "ranges", ranges));
    }
    json_t *viol = json_array();
    if (viol && (m->violations & TUTELA_TCF_VIOLATION_PURPOSE1_LI))
        json_array_append_new(viol, json_string("purpose_1_legitimate_interest"));
    if (viol && (m->violations & TUTELA_TCF_VIOLATION_LI_3_6))
        json_array_append_new(viol, json_string("purposes_3_6_legitimate_interest"));
    json_t *pub = json_null();
    if (m->has_publisher_tc) {
        const struct tt_tcf_publisher_tc *p = &m->publisher_tc;
        pub = json_pack("{s:o*,s:o*,s:i,s:o*,s:o*}", "purpose_consents",
                        mask_ids(p->purpose_consents, 24), "purpose_legitimate_interests",
                        mask_ids(p->purpose_legitimate_interests, 24), "num_custom_purposes",
                        (json_int_t)p->num_custom_purposes, "custom_purpose_consents",
                        mask_ids(p->custom_purpose_consents, p->num_custom_purposes),
                        "custom_purpose_legitimate_interests",
                        mask_ids(p->custom_purpose_legitimate_interests, p->num_custom_purposes));
    }
    json_t *o = json_pack(
        "{s:i,s:I,s:o*,s:I,s:o*,s:i,s:i,s:i,s:s,s:i,s:i,s:b,s:b,s:o*,s:o*,s:o*,s:b,s:s}", "version",
        (json_int_t)m->version, "created_ds", (json_int_t)m->created_ds, "created",
        ds_time(m->created_ds), "last_updated_ds", (json_int_t)m->last_updated_ds, "last_updated",
        ds_time(m->last_updated_ds), "cmp_id", (json_int_t)m->cmp_id, "cmp_version",
        (json_int_t)m->cmp_version, "consent_screen", (json_int_t)m->consent_screen,
        "consent_language", m->consent_language, "vendor_list_version",
        (json_int_t)m->vendor_list_version, "policy_version", (json_int_t)m->policy_version,
        "is_service_specific", (int)m->is_service_specific, "use_non_standard_texts",
        (int)m->use_non_standard_texts, "special_feature_optins",
        mask_ids(m->special_feature_optins, 12), "purpose_consents",
        mask_ids(m->purpose_consents, 24), "purpose_legitimate_interests",
        mask_ids(m->purpose_legitimate_interests, 24), "purpose_one_treatment",
        (int)m->purpose_one_treatment, "publisher_cc", m->publisher_cc);
    if (!o) {
        json_decref(restr);
        json_decref(viol);
        json_decref(pub);
        return NULL;
    }
    json_object_set_new(o, "vendor_consents", vendor_ids(&m->vendor_consents));
    json_object_set_new(o, "vendor_legitimate_interests",
                        vendor_ids(&m->vendor_legitimate_interests));
    json_object_set_new(o, "publisher_restrictions", restr ? restr : json_null());
    json_object_set_new(o, "disclosed_vendors",
                        m->has_disclosed_vendors ? vendor_ids(&m->disclosed_vendors) : json_null());
    json_object_set_new(o, "allowed_vendors",
                        m->has_allowed_vendors ? vendor_ids(&m->allowed_vendors) : json_null());
    json_object_set_new(o, "publisher_tc", pub ? pub : json_null());
    json_object_set_new(o, "violations", viol ? viol : json_null());
    return o;
}

/* ---- from JSON ---- */

struct jctx {
    const char *prefix;
    char *field;
    size_t field_size;
    const char **why;
};

static int jfail(struct jctx *c, int code, const char *name, const char *why)
{
    snprintf(c->field, c->field_size, "%s%s", c->prefix ? c->prefix : "", name);
    *c->why = why;
    return -code;
}

static int get_uint(struct jctx *c, const json_t *v, const char *name, int64_t max, int64_t *out)
{
    if (!json_is_integer(v))
        return jfail(c, TT_E_WRONG_TYPE, name, "must be an integer");
    json_int_t x = json_integer_value(v);
    if (x < 0 || x > max)
        return jfail(c, TT_E_BAD_FIELD, name, "out of range for its bits");
    *out = x;
    return 0;
}

static int get_flag(struct jctx *c, const json_t *v, const char *name, uint8_t *out)
{
    if (!json_is_boolean(v))
        return jfail(c, TT_E_WRONG_TYPE, name, "must be true or false");
    *out = json_is_true(v) ? 1 : 0;
    return 0;
}

static int get_mask(struct jctx *c, const json_t *v, const char *name, unsigned nbits,
                    uint64_t *out)
{
    if (!json_is_array(v))
        return jfail(c, TT_E_WRONG_TYPE, name, "must be an array of ids");
    uint64_t mask = 0;
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!json_is_integer(x))
            return jfail(c, TT_E_WRONG_TYPE, name, "must be an array of integer ids");
        json_int_t id = json_integer_value(x);
        if (id < 1 || id > (json_int_t)nbits)
            return jfail(c, TT_E_BAD_FIELD, name, "an id is outside the field's range");
        mask |= UINT64_C(1) << (id - 1);
    }
    *out = mask;
    return 0;
}

static int get_lang(struct jctx *c, const json_t *v, const char *name, char out[3])
{
    if (!json_is_string(v))
        return jfail(c, TT_E_WRONG_TYPE, name, "must be a two-letter string");
    const char *s = json_string_value(v);
    if (strlen(s) != 2)
        return jfail(c, TT_E_BAD_FIELD, name, "must be two letters A-Z");
    for (int i = 0; i < 2; i++) {
        char ch = s[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (ch < 'A' || ch > 'Z')
            return jfail(c, TT_E_BAD_FIELD, name, "must be two letters A-Z");
        out[i] = ch;
    }
    out[2] = '\0';
    return 0;
}

static int get_vendors(struct jctx *c, const json_t *v, const char *name,
                       struct tt_tcf_vendors *out)
{
    const json_t *ids = v;
    int64_t max = -1;
    if (json_is_object(v)) {
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            if (strcmp(k, "max_vendor_id") != 0 && strcmp(k, "ids") != 0)
                return jfail(c, TT_E_UNKNOWN_FIELD, name,
                             "a vendor set object has only max_vendor_id and ids");
        }
        ids = json_object_get(v, "ids");
        int rc =
            get_uint(c, json_object_get(v, "max_vendor_id"), name, TUTELA_TCF_MAX_VENDOR_ID, &max);
        if (rc)
            return rc;
    }
    if (!json_is_array(ids))
        return jfail(c, TT_E_WRONG_TYPE, name, "must be an array of vendor ids");
    tutela_tcf_vendors_clear(out);
    size_t i;
    const json_t *x;
    json_array_foreach(ids, i, x)
    {
        if (!json_is_integer(x))
            return jfail(c, TT_E_WRONG_TYPE, name, "must be an array of integer vendor ids");
        json_int_t id = json_integer_value(x);
        if (id < 1 || id > TUTELA_TCF_MAX_VENDOR_ID || (max >= 0 && id > max))
            return jfail(c, TT_E_BAD_FIELD, name, "a vendor id is outside 1..max_vendor_id");
        tutela_tcf_vendor_set(out, (unsigned)id);
    }
    if (max > out->max_vendor_id) {
        unsigned top = (unsigned)max;
        tutela_tcf_vendor_set(out, top); /* clears the bytes up to top; top is then unset */
        out->bits[top >> 3] &= (uint8_t) ~(0x80u >> (top & 7));
    }
    return 0;
}

static int add_range(struct jctx *c, struct tt_tcf_model *m, unsigned start, unsigned end,
                     const char *name)
{
    if (m->n_restriction_ranges >= TUTELA_TCF_MAX_RESTRICTION_RANGES)
        return jfail(c, TT_E_BAD_FIELD, name, "more vendor ranges than the codec holds (4096)");
    m->restriction_ranges[m->n_restriction_ranges].start = (uint16_t)start;
    m->restriction_ranges[m->n_restriction_ranges].end = (uint16_t)end;
    m->n_restriction_ranges++;
    return 0;
}

static int get_restrictions(struct jctx *c, const json_t *v, struct tt_tcf_model *m)
{
    const char *name = "publisher_restrictions";
    if (!json_is_array(v))
        return jfail(c, TT_E_WRONG_TYPE, name, "must be an array");
    if (json_array_size(v) > TUTELA_TCF_MAX_RESTRICTIONS)
        return jfail(c, TT_E_BAD_FIELD, name, "more restrictions than the codec holds (128)");
    m->n_restrictions = 0;
    m->n_restriction_ranges = 0;
    size_t i;
    const json_t *g;
    json_array_foreach(v, i, g)
    {
        if (!json_is_object(g))
            return jfail(c, TT_E_WRONG_TYPE, name, "each restriction is an object");
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)g, k, x)
        {
            if (strcmp(k, "purpose_id") && strcmp(k, "restriction_type") && strcmp(k, "ranges") &&
                strcmp(k, "vendors"))
                return jfail(c, TT_E_UNKNOWN_FIELD, name,
                             "a restriction has purpose_id, restriction_type, ranges or vendors");
        }
        int64_t pid = 0, type = 0;
        int rc = get_uint(c, json_object_get(g, "purpose_id"), name, 63, &pid);
        if (!rc)
            rc = get_uint(c, json_object_get(g, "restriction_type"), name, 2, &type);
        if (rc)
            return rc;
        if (pid == 0)
            return jfail(c, TT_E_BAD_FIELD, name, "purpose_id is 1-63");
        struct tt_tcf_restriction *r = &m->restrictions[m->n_restrictions];
        r->purpose_id = (uint8_t)pid;
        r->restriction_type = (uint8_t)type;
        r->first_range = m->n_restriction_ranges;
        const json_t *ranges = json_object_get(g, "ranges");
        const json_t *vendors = json_object_get(g, "vendors");
        if ((ranges != NULL) == (vendors != NULL))
            return jfail(c, TT_E_BAD_FIELD, name, "give either ranges or vendors");
        const json_t *list = ranges ? ranges : vendors;
        if (!json_is_array(list))
            return jfail(c, TT_E_WRONG_TYPE, name, "ranges and vendors are arrays");
        size_t j;
        const json_t *e;
        json_array_foreach(list, j, e)
        {
            json_int_t s, t;
            if (ranges) {
                if (!json_is_array(e) || json_array_size(e) != 2 ||
                    !json_is_integer(json_array_get(e, 0)) ||
                    !json_is_integer(json_array_get(e, 1)))
                    return jfail(c, TT_E_WRONG_TYPE, name, "a range is [start, end]");
                s = json_integer_value(json_array_get(e, 0));
                t = json_integer_value(json_array_get(e, 1));
            } else {
                if (!json_is_integer(e))
                    return jfail(c, TT_E_WRONG_TYPE, name, "vendors are integer ids");
                s = t = json_integer_value(e);
            }
            if (s < 1 || t < s || t > TUTELA_TCF_MAX_VENDOR_ID)
                return jfail(c, TT_E_BAD_FIELD, name, "a vendor range is outside 1..65535");
            unsigned n = m->n_restriction_ranges - r->first_range;
            struct tt_tcf_range *last =
                n ? &m->restriction_ranges[m->n_restriction_ranges - 1] : NULL;
            if (last && s <= last->end)
                return jfail(c, TT_E_BAD_FIELD, name, "vendor ids must be ascending");
            if (last && vendors && s == last->end + 1) {
                last->end = (uint16_t)t; /* ids given one by one: adjacent ones form a range */
                continue;
            }
            rc = add_range(c, m, (unsigned)s, (unsigned)t, name);
            if (rc)
                return rc;
        }
        r->n_ranges = (uint16_t)(m->n_restriction_ranges - r->first_range);
        m->n_restrictions++;
    }
    return 0;
}

static int get_publisher_tc(struct jctx *c, const json_t *v, struct tt_tcf_publisher_tc *p)
{
    const char *name = "publisher_tc";
    if (!json_is_object(v))
        return jfail(c, TT_E_WRONG_TYPE, name, "must be an object or null");
    memset(p, 0, sizeof *p);
    int64_t n = 0;
    const json_t *nv = json_object_get(v, "num_custom_purposes");
    if (nv) {
        int rc = get_uint(c, nv, "publisher_tc/num_custom_purposes", 63, &n);
        if (rc)
            return rc;
    }
    p->num_custom_purposes = (uint8_t)n;
    const char *k;
    const json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
        uint64_t mask = 0;
        int rc = 0;
        char sub[64];
        snprintf(sub, sizeof sub, "publisher_tc/%s", k);
        if (!strcmp(k, "num_custom_purposes"))
            continue;
        if (!strcmp(k, "purpose_consents")) {
            rc = get_mask(c, x, sub, 24, &mask);
            p->purpose_consents = (uint32_t)mask;
        } else if (!strcmp(k, "purpose_legitimate_interests")) {
            rc = get_mask(c, x, sub, 24, &mask);
            p->purpose_legitimate_interests = (uint32_t)mask;
        } else if (!strcmp(k, "custom_purpose_consents")) {
            rc = get_mask(c, x, sub, (unsigned)n, &mask);
            p->custom_purpose_consents = mask;
        } else if (!strcmp(k, "custom_purpose_legitimate_interests")) {
            rc = get_mask(c, x, sub, (unsigned)n, &mask);
            p->custom_purpose_legitimate_interests = mask;
        } else {
            return jfail(c, TT_E_UNKNOWN_FIELD, sub, "not a member of publisher_tc");
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int get_time(struct jctx *c, const json_t *v, const char *name, int64_t *ds)
{
    if (!json_is_string(v))
        return jfail(c, TT_E_WRONG_TYPE, name, "must be an RFC 3339 time");
    tt_time t;
    if (tt_time_parse(json_string_value(v), &t) != 0 || t < 0 || t * 10 >= (INT64_C(1) << 36))
        return jfail(c, TT_E_BAD_FIELD, name, "must be an RFC 3339 time after 1970");
    *ds = (int64_t)t * 10;
    return 0;
}

int tt_tcf_model_from_json(const json_t *obj, struct tt_tcf_model *m, const char *prefix,
                           char *field, size_t field_size, const char **why)
{
    struct jctx c = {prefix, field, field_size, why};
    if (!json_is_object(obj))
        return jfail(&c, TT_E_WRONG_TYPE, "", "the model must be an object");
    tt_tcf_model_init(m);
    const int64_t max36 = (INT64_C(1) << 36) - 1;
    int have_created_ds = json_object_get(obj, "created_ds") != NULL;
    int have_updated_ds = json_object_get(obj, "last_updated_ds") != NULL;
    const char *k;
    const json_t *x;
    json_object_foreach((json_t *)obj, k, x)
    {
        int64_t n = 0;
        uint64_t mask = 0;
        int rc = 0;
        if (json_is_null(x) && (!strcmp(k, "disclosed_vendors") || !strcmp(k, "allowed_vendors") ||
                                !strcmp(k, "publisher_tc") || !strcmp(k, "violations")))
            continue;
        if (!strcmp(k, "version")) {
            rc = get_uint(&c, x, k, 63, &n);
            m->version = (uint8_t)n;
        } else if (!strcmp(k, "created_ds")) {
            rc = get_uint(&c, x, k, max36, &m->created_ds);
        } else if (!strcmp(k, "last_updated_ds")) {
            rc = get_uint(&c, x, k, max36, &m->last_updated_ds);
        } else if (!strcmp(k, "created")) {
            if (!have_created_ds)
                rc = get_time(&c, x, k, &m->created_ds);
        } else if (!strcmp(k, "last_updated")) {
            if (!have_updated_ds)
                rc = get_time(&c, x, k, &m->last_updated_ds);
        } else if (!strcmp(k, "cmp_id")) {
            rc = get_uint(&c, x, k, 4095, &n);
            m->cmp_id = (uint16_t)n;
        } else if (!strcmp(k, "cmp_version")) {
            rc = get_uint(&c, x, k, 4095, &n);
            m->cmp_version = (uint16_t)n;
        } else if (!strcmp(k, "consent_screen")) {
            rc = get_uint(&c, x, k, 63, &n);
            m->consent_screen = (uint8_t)n;
        } else if (!strcmp(k, "consent_language")) {
            rc = get_lang(&c, x, k, m->consent_language);
        } else if (!strcmp(k, "vendor_list_version")) {
            rc = get_uint(&c, x, k, 4095, &n);
            m->vendor_list_version = (uint16_t)n;
        } else if (!strcmp(k, "policy_version")) {
            rc = get_uint(&c, x, k, 63, &n);
            m->policy_version = (uint8_t)n;
        } else if (!strcmp(k, "is_service_specific")) {
            rc = get_flag(&c, x, k, &m->is_service_specific);
        } else if (!strcmp(k, "use_non_standard_texts")) {
            rc = get_flag(&c, x, k, &m->use_non_standard_texts);
        } else if (!strcmp(k, "purpose_one_treatment")) {
            rc = get_flag(&c, x, k, &m->purpose_one_treatment);
        } else if (!strcmp(k, "special_feature_optins")) {
            rc = get_mask(&c, x, k, 12, &mask);
            m->special_feature_optins = (uint16_t)mask;
        } else if (!strcmp(k, "purpose_consents")) {
            rc = get_mask(&c, x, k, 24, &mask);
            m->purpose_consents = (uint32_t)mask;
        } else if (!strcmp(k, "purpose_legitimate_interests")) {
            rc = get_mask(&c, x, k, 24, &mask);
            m->purpose_legitimate_interests = (uint32_t)mask;
        } else if (!strcmp(k, "publisher_cc")) {
            rc = get_lang(&c, x, k, m->publisher_cc);
        } else if (!strcmp(k, "vendor_consents")) {
            rc = get_vendors(&c, x, k, &m->vendor_consents);
        } else if (!strcmp(k, "vendor_legitimate_interests")) {
            rc = get_vendors(&c, x, k, &m->vendor_legitimate_interests);
        } else if (!strcmp(k, "publisher_restrictions")) {
            rc = get_restrictions(&c, x, m);
        } else if (!strcmp(k, "disclosed_vendors")) {
            rc = get_vendors(&c, x, k, &m->disclosed_vendors);
            m->has_disclosed_vendors = 1;
        } else if (!strcmp(k, "allowed_vendors")) {
            rc = get_vendors(&c, x, k, &m->allowed_vendors);
            m->has_allowed_vendors = 1;
        } else if (!strcmp(k, "publisher_tc")) {
            rc = get_publisher_tc(&c, x, &m->publisher_tc);
            m->has_publisher_tc = 1;
        } else if (!strcmp(k, "violations")) {
            /* decode output, accepted back and ignored: encode checks the rules itself */
            if (!json_is_array(x))
                rc = jfail(&c, TT_E_WRONG_TYPE, k, "must be an array");
        } else {
            rc = jfail(&c, TT_E_UNKNOWN_FIELD, k, "not a member of the TC string model");
        }
        if (rc)
            return rc;
    }
    return 0;
}

int tt_tcf_vendor_ids_from_json(const json_t *arr, struct tt_tcf_vendors *gvl, const char *name,
                                char *field, size_t field_size, const char **why)
{
    struct jctx c = {"", field, field_size, why};
    if (!json_is_array(arr))
        return jfail(&c, TT_E_WRONG_TYPE, name, "must be an array of vendor ids");
    return get_vendors(&c, arr, name, gvl);
}
