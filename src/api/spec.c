/* SPDX-License-Identifier: Apache-2.0 */
/* spec.c — checks a JSON object against a declarative field list (spec.h) before a handler
 * touches it, so bad input is answered 400 with the field's name and never reaches the store. */
#include "spec.h"

#include <string.h>

#include "../core/error.h"
#include "../core/types.h"

static struct tt_spec mk(const char *name, enum tt_spec_kind kind, size_t max, void *out,
                         int *present, int required)
{
    struct tt_spec s = {
        .name = name,
        .kind = kind,
        .required = required,
        .max = max,
        .out = out,
        .present = present,
    };
    return s;
}

struct tt_spec tt_spec_string(const char *name, const char **out, int required)
{
    return mk(name, TT_SPEC_STRING, TT_SPEC_STRING_MAX, out, NULL, required);
}

struct tt_spec tt_spec_string_max(const char *name, const char **out, size_t max, int required)
{
    return mk(name, TT_SPEC_STRING, max, out, NULL, required);
}

struct tt_spec tt_spec_key(const char *name, const char **out, int required)
{
    return mk(name, TT_SPEC_STRING, TT_KEY_MAX - 1, out, NULL, required);
}

struct tt_spec tt_spec_bool(const char *name, int *out, int *present, int required)
{
    return mk(name, TT_SPEC_BOOL, 0, out, present, required);
}

struct tt_spec tt_spec_int(const char *name, int64_t *out, int *present, int required)
{
    return mk(name, TT_SPEC_INT, 0, out, present, required);
}

struct tt_spec tt_spec_array(const char *name, const json_t **out, size_t max_items, int required)
{
    return mk(name, TT_SPEC_ARRAY, max_items, out, NULL, required);
}

struct tt_spec tt_spec_object(const char *name, const json_t **out, int required)
{
    return mk(name, TT_SPEC_OBJECT, 0, out, NULL, required);
}

struct tt_spec tt_spec_end(void)
{
    return mk(NULL, TT_SPEC_END, 0, NULL, NULL, 0);
}

static const char *type_name(enum tt_spec_kind k)
{
    switch (k) {
    case TT_SPEC_STRING:
        return "a string";
    case TT_SPEC_BOOL:
        return "a boolean";
    case TT_SPEC_INT:
        return "an integer";
    case TT_SPEC_ARRAY:
        return "an array";
    case TT_SPEC_OBJECT:
        return "an object";
    case TT_SPEC_END:
        break;
    }
    return "a value";
}

/* Field names come from the spec or, for unknown members, from the client: the latter are
 * clipped so a problem never echoes a long client string. */
static void field_name(char *buf, size_t size, const char *prefix, const char *name)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    if (plen >= size)
        plen = size - 1;
    memcpy(buf, prefix ? prefix : "", plen);
    size_t nlen = strlen(name);
    if (nlen > 48)
        nlen = 48;
    if (plen + nlen >= size)
        nlen = size - 1 - plen;
    memcpy(buf + plen, name, nlen);
    buf[plen + nlen] = '\0';
}

static int check_member(const json_t *v, const struct tt_spec *s, const char *field,
                        struct tt_resp *resp)
{
    switch (s->kind) {
    case TT_SPEC_STRING: {
        if (!json_is_string(v))
            return tt_problem(resp, TT_E_WRONG_TYPE, field, "'%s' must be %s", field,
                              type_name(s->kind));
        size_t len = json_string_length(v);
        const char *str = json_string_value(v);
        if (strlen(str) != len)
            return tt_problem(resp, TT_E_BAD_FIELD, field, "'%s' must not contain NUL", field);
        if (len == 0)
            return tt_problem(resp, TT_E_BAD_FIELD, field, "'%s' must not be empty", field);
        if (s->max && len > s->max)
            return tt_problem(resp, TT_E_BAD_FIELD, field, "'%s' is longer than %zu bytes", field,
                              s->max);
        *(const char **)s->out = str;
        return 0;
    }
    case TT_SPEC_BOOL:
        if (!json_is_boolean(v))
            return tt_problem(resp, TT_E_WRONG_TYPE, field, "'%s' must be %s", field,
                              type_name(s->kind));
        *(int *)s->out = json_is_true(v) ? 1 : 0;
        return 0;
    case TT_SPEC_INT:
        if (!json_is_integer(v))
            return tt_problem(resp, TT_E_WRONG_TYPE, field, "'%s' must be %s", field,
                              type_name(s->kind));
        *(int64_t *)s->out = (int64_t)json_integer_value(v);
        return 0;
    case TT_SPEC_ARRAY:
        if (!json_is_array(v))
            return tt_problem(resp, TT_E_WRONG_TYPE, field, "'%s' must be %s", field,
                              type_name(s->kind));
        if (s->max && json_array_size(v) > s->max)
            return tt_problem(resp, TT_E_BATCH_TOO_LARGE, field, "'%s' has more than %zu items",
                              field, s->max);
        *(const json_t **)s->out = v;
        return 0;
    case TT_SPEC_OBJECT:
        if (!json_is_object(v))
            return tt_problem(resp, TT_E_WRONG_TYPE, field, "'%s' must be %s", field,
                              type_name(s->kind));
        *(const json_t **)s->out = v;
        return 0;
    case TT_SPEC_END:
        break;
    }
    return tt_problem(resp, TT_E_INTERNAL, field, "bad field specification");
}

int tt_spec_parse(const json_t *obj, const struct tt_spec *spec, const char *prefix,
                  struct tt_resp *resp)
{
    char field[96];
    if (!json_is_object(obj)) {
        if (prefix && *prefix) {
            field_name(field, sizeof(field), "", prefix);
            size_t n = strlen(field);
            if (n > 0 && field[n - 1] == '/')
                field[n - 1] = '\0';
            return tt_problem(resp, TT_E_WRONG_TYPE, field, "'%s' must be an object", field);
        }
        return tt_problem(resp, TT_E_BAD_JSON, "", "the body must be a JSON object");
    }
    /* unknown members first: a misspelt optional field must not pass silently */
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        int known = 0;
        for (const struct tt_spec *s = spec; s->kind != TT_SPEC_END; s++) {
            if (strcmp(s->name, key) == 0) {
                known = 1;
                break;
            }
        }
        if (!known) {
            field_name(field, sizeof(field), prefix, key);
            return tt_problem(resp, TT_E_UNKNOWN_FIELD, field, "unknown field '%s'", field);
        }
    }
    for (const struct tt_spec *s = spec; s->kind != TT_SPEC_END; s++) {
        field_name(field, sizeof(field), prefix, s->name);
        const json_t *v = json_object_get(obj, s->name);
        if (s->present)
            *s->present = 0;
        if (!v || json_is_null(v)) {
            if (s->required)
                return tt_problem(resp, TT_E_MISSING_FIELD, field, "'%s' is required", field);
            continue;
        }
        int rc = check_member(v, s, field, resp);
        if (rc < 0)
            return rc;
        if (s->present)
            *s->present = 1;
    }
    return 0;
}

int tt_spec_parse_body(const struct tt_req *req, const struct tt_spec *spec, struct tt_resp *resp)
{
    if (!req->json)
        return tt_problem(resp, TT_E_BAD_JSON, "", "a JSON object body is required");
    return tt_spec_parse(req->json, spec, NULL, resp);
}
