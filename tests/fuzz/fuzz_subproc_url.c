/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_subproc_url.c — libFuzzer target for tt_subproc_url_ok, the check of the webhook URL a
 * public subscriber gives (issue 7). Must never crash or read past the string; an accepted URL
 * starts with http:// or https:// and holds no space, quote, angle bracket or fragment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/subproc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = malloc(size + 1);
    if (!url)
        return 0;
    memcpy(url, data, size);
    url[size] = '\0';
    if (tt_subproc_url_ok(url)) {
        if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
            abort();
        if (strpbrk(url, " \"<>#") || strlen(url) > TT_SUBPROC_URL_MAX)
            abort();
    }
    free(url);
    return 0;
}
