/* SPDX-License-Identifier: Apache-2.0 */
/* spec.h — declarative JSON body specs (Taler style): a handler lists the fields it accepts,
 *   struct tt_spec spec[] = { tt_spec_key("purpose", &purpose, 1), …, tt_spec_end() };
 * and tt_spec_parse answers 400 naming the field for a missing field, a wrong type, an unknown
 * field or an over-long string. Nothing is allocated: outputs borrow from the parsed JSON. */
#ifndef TT_API_SPEC_H
#define TT_API_SPEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../http/http.h"

#define TT_SPEC_STRING_MAX 255u /* default cap of a string field, in bytes */

enum tt_spec_kind {
    TT_SPEC_END = 0,
    TT_SPEC_STRING, /* out: const char ** (NUL-free UTF-8, at most max bytes, at least 1) */
    TT_SPEC_BOOL,   /* out: int * (0 or 1) */
    TT_SPEC_INT,    /* out: int64_t * */
    TT_SPEC_ARRAY,  /* out: const json_t ** (at most max items) */
    TT_SPEC_OBJECT, /* out: const json_t ** */
};

struct tt_spec {
    const char *name; /* the JSON member name */
    enum tt_spec_kind kind;
    int required; /* 1: absent or null is 400 missing-field */
    size_t max;   /* strings: bytes; arrays: items (0 = no cap beyond the body's) */
    void *out;    /* written only when the member is present and valid */
    int *present; /* optional: set to 1 when given (not null), else 0 */
};

struct tt_spec tt_spec_string(const char *name, const char **out, int required);
struct tt_spec tt_spec_string_max(const char *name, const char **out, size_t max, int required);
/* A policy key or an id: at most TT_KEY_MAX - 1 bytes. */
struct tt_spec tt_spec_key(const char *name, const char **out, int required);
struct tt_spec tt_spec_bool(const char *name, int *out, int *present, int required);
struct tt_spec tt_spec_int(const char *name, int64_t *out, int *present, int required);
struct tt_spec tt_spec_array(const char *name, const json_t **out, size_t max_items, int required);
struct tt_spec tt_spec_object(const char *name, const json_t **out, int required);
struct tt_spec tt_spec_end(void);

/* Checks obj (must be a JSON object) against spec. prefix ("items/3/", or "" / NULL) goes in
 * front of field names in problems. Returns 0, or a negative code after filling resp via
 * tt_problem (400 family; 413 batch-too-large for an over-long array). */
int tt_spec_parse(const json_t *obj, const struct tt_spec *spec, const char *prefix,
                  struct tt_resp *resp);

/* Same for the request body: a missing or non-object body is 400 malformed-json. */
int tt_spec_parse_body(const struct tt_req *req, const struct tt_spec *spec, struct tt_resp *resp);

#endif
