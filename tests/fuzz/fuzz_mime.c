/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_mime.c — libFuzzer target for the inbox's parse + route (GMime 3 and core/mime_route):
 * any bytes must be either refused with a named field or parsed into a NUL-terminated subject,
 * a sender and a route; and the route of the parsed subject and text must be stable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/inbox_int.h"
#include "core/error.h"
#include "core/mime_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tt__inbox_parsed p;
    const char *field = NULL, *detail = NULL;
    int rc = tt__inbox_parse((const char *)data, size, &p, &field, &detail);
    if (rc < 0) {
        if (!field || !detail || (rc != -TT_E_BAD_MESSAGE && rc != -TT_E_NOMEM))
            abort();
        return 0;
    }
    if (!p.from[0] || !p.subject[0] || strlen(p.subject) >= sizeof p.subject)
        abort();
    if (p.text && strlen(p.text) != p.text_len)
        abort();
    if (tt_mime_route(p.subject, p.text) != p.route)
        abort();
    char folded[512];
    tt_mime_fold_subject(p.subject, folded, sizeof folded);
    if (strlen(folded) >= sizeof folded)
        abort();
    tt__inbox_parsed_free(&p);
    return 0;
}
