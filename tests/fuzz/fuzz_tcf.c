/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_tcf.c — libFuzzer target for the TC string decoder (core/tcf). Input: the string. Must
 * never crash or read past the input; every error has a reason; a string that decodes encodes
 * (unless it breaks a TCF 2.2 rule or a codec limit) and decodes again to an equal model, and
 * that second encoding is identical to the first (decode -> encode -> decode is stable). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/tcf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tt_tcf_model a, b; /* 50 KB each: off the stack (fuzzer state, not core's) */
    static char s1[TUTELA_TCF_STRING_MAX], s2[TUTELA_TCF_STRING_MAX];
    char *in = malloc(size ? size : 1); /* exactly size bytes: ASan catches any overread */
    if (!in)
        return 0;
    memcpy(in, data, size);
    const char *why = NULL;
    int rc = tutela_tcf_decode(in, size, &a, &why);
    free(in);
    if (rc) {
        if (rc >= 0 || !why)
            abort();
        return 0;
    }
    size_t n1 = 0, n2 = 0;
    rc = tutela_tcf_encode(&a, NULL, s1, sizeof s1, &n1, &why);
    if (rc) {
        if (rc != -TT_E_TCF_POLICY && rc != -TT_E_TCF_LIMIT)
            abort(); /* a decoded model is always encodable otherwise */
        return 0;
    }
    if (tutela_tcf_decode(s1, n1, &b, &why) != 0 || !tt_tcf_model_equal(&a, &b))
        abort();
    if (tutela_tcf_encode(&b, NULL, s2, sizeof s2, &n2, &why) != 0 || n1 != n2 ||
        memcmp(s1, s2, n1) != 0)
        abort();
    return 0;
}
