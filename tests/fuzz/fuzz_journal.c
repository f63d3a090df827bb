/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_journal.c — libFuzzer target for tt_journal_decode (core/journal.h), the reader of the
 * audit journal's file, which a crash can leave torn and a disk can damage. Byte 0 picks the
 * mode: even, the rest is read as it is; odd, the rest is the frame's body (seq onward) and the
 * target writes the magic, the length and a good tag around it, so the texts' checks are
 * reached. Must never crash or read out of bounds; a frame read must lie within the input, its
 * texts within the frame, and encode back to the same bytes. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int within(const char *s, const uint8_t *p, size_t n)
{
    return !s || ((const uint8_t *)s >= p && (const uint8_t *)s < p + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready && sodium_init() < 0)
        abort();
    ready = 1;
    if (size < 1 || size > TT_JOURNAL_FRAME_MAX)
        return 0;
    size_t body = size - 1, n = body;
    uint8_t *p = malloc(8 + body + TT_JOURNAL_TAG_BYTES);
    if (!p)
        return 0;
    if (data[0] & 1) {
        uint32_t magic = 0x314a5454u, len = (uint32_t)body;
        memcpy(p, &magic, 4);
        memcpy(p + 4, &len, 4);
        memcpy(p + 8, data + 1, body);
        crypto_generichash(p + 8 + body, TT_JOURNAL_TAG_BYTES, p, 8 + body, NULL, 0);
        n = 8 + body + TT_JOURNAL_TAG_BYTES;
    } else {
        memcpy(p, data + 1, body);
    }
    struct tt_journal_event e;
    size_t used = tt_journal_decode(p, n, &e);
    if (used) {
        if (used > n || !within(e.tenant_id, p, used) || !within(e.actor, p, used) ||
            !within(e.action, p, used) || !within(e.target, p, used) || !within(e.detail, p, used))
            abort();
        uint8_t *again = malloc(used);
        if (again && (tt_journal_encode(&e, again, used) != used || memcmp(again, p, used) != 0))
            abort();
        free(again);
    }
    free(p);
    return 0;
}
