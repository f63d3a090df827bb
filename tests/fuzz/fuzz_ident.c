/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_ident.c — libFuzzer target for tt_ident_normalise, every identifier type. Input: byte 0
 * picks the type, byte 1 the default country code, the rest is the value. Must never crash;
 * on failure out is untouched; on success the result is a NUL-terminated fixed point. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ident.h"

#define FILL 0xa5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ccs[] = {NULL, "31", "+1", "44", "0", "3a", "1234", ""};
    if (size < 2)
        return 0;
    enum tt_identity_type type = (enum tt_identity_type)(data[0] % (TT_IDENT__COUNT + 1));
    const char *cc = ccs[data[1] % (sizeof ccs / sizeof ccs[0])];
    char *value = malloc(size - 1);
    if (!value)
        return 0;
    memcpy(value, data + 2, size - 2);
    value[size - 2] = '\0';

    char out[TT_IDENT_MAX + 1];
    memset(out, FILL, sizeof out);
    int rc = tt_ident_normalise(type, value, cc, out);
    if ((unsigned char)out[TT_IDENT_MAX] != FILL)
        abort(); /* wrote past TT_IDENT_MAX */
    if (rc != 0) {
        for (size_t i = 0; i < TT_IDENT_MAX; i++) {
            if ((unsigned char)out[i] != FILL)
                abort(); /* out written on failure */
        }
    } else {
        if (type == TT_IDENT__COUNT || !memchr(out, '\0', TT_IDENT_MAX))
            abort();
        char again[TT_IDENT_MAX];
        if (tt_ident_normalise(type, out, cc, again) != 0 || strcmp(again, out) != 0)
            abort(); /* a normalised value normalises to itself */
    }
    free(value);
    return 0;
}
