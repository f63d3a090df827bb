/* SPDX-License-Identifier: Apache-2.0 */
/* problem.c — RFC 9457 problem details and the reply helpers handlers use (http.h). The status
 * always comes from the error registry (errors.def): a handler never invents one. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"

static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

int tt_problem(struct tt_resp *resp, int code, const char *field, const char *fmt, ...)
{
    int c = code < 0 ? -code : code;
    if (c == TT_E_OK || c >= TT_E__COUNT)
        c = TT_E_INTERNAL;
    resp->err = -c;
    copy_str(resp->field, sizeof resp->field, field);
    resp->detail[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(resp->detail, sizeof resp->detail, fmt, ap);
        va_end(ap);
    }
    return -c;
}

int tt_reply(struct tt_resp *resp, int status, json_t *body)
{
    if (resp->json && resp->json != body)
        json_decref(resp->json);
    resp->json = body;
    resp->status = status;
    return 0;
}

json_t *tt__problem_json(int code, const char *field, const char *detail, const char *instance)
{
    char type[160];
    snprintf(type, sizeof type, "%s%s", TT_PROBLEM_TYPE_BASE, tt_err_type(code));
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = 0;
    rc |= json_object_set_new(o, "type", json_string(type));
    rc |= json_object_set_new(o, "title", json_string(tt_err_message(code)));
    rc |= json_object_set_new(o, "status", json_integer(tt_err_status(code)));
    /* detail may be cut mid-character by the fixed buffer: fall back to the title then */
    json_t *d = detail && *detail ? json_string(detail) : NULL;
    if (!d)
        d = json_string(tt_err_message(code));
    rc |= json_object_set_new(o, "detail", d);
    if (field && *field) {
        json_t *f = json_string(field);
        rc |= json_object_set_new(o, "field", f ? f : json_string("(invalid)"));
    }
    if (instance && *instance)
        rc |= json_object_set_new(o, "instance", json_string(instance));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}
