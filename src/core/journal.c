/* SPDX-License-Identifier: Apache-2.0 */
/* journal.c — frames of the audit journal (journal.h). */
#include "journal.h"

#include <sodium.h>
#include <string.h>

#define MAGIC 0x314a5454u /* "TTJ1" read as a little-endian u32 */
#define HEAD 8u           /* magic and len */
#define FIXED 16u         /* seq and at */

static size_t put_text(uint8_t *buf, size_t at, size_t cap, const char *s, size_t limit)
{
    size_t n = strnlen(s, limit);
    if (n >= limit || at + n + 1 > cap)
        return 0;
    memcpy(buf + at, s, n + 1);
    return at + n + 1;
}

static void tag(const uint8_t *p, size_t n, uint8_t out[TT_JOURNAL_TAG_BYTES])
{
    crypto_generichash(out, TT_JOURNAL_TAG_BYTES, p, n, NULL, 0);
}

size_t tt_journal_encode(const struct tt_journal_event *e, uint8_t *buf, size_t cap)
{
    if (!e->seq || !e->tenant_id || !e->actor || !e->action || !e->target || cap < HEAD + FIXED)
        return 0;
    uint32_t magic = MAGIC;
    memcpy(buf, &magic, 4);
    memcpy(buf + HEAD, &e->seq, 8);
    memcpy(buf + HEAD + 8, &e->at, 8);
    size_t at = HEAD + FIXED;
    at = put_text(buf, at, cap, e->tenant_id, TT_ID_MAX);
    at = at ? put_text(buf, at, cap, e->actor, TT_ID_MAX) : 0;
    at = at ? put_text(buf, at, cap, e->action, TT_KEY_MAX) : 0;
    at = at ? put_text(buf, at, cap, e->target, TT_ID_MAX) : 0;
    if (!at || at + 1 > cap)
        return 0;
    buf[at++] = e->detail != NULL;
    if (e->detail && !(at = put_text(buf, at, cap, e->detail, TT_LEDGER_DETAIL_MAX + 1)))
        return 0;
    if (at + TT_JOURNAL_TAG_BYTES > cap)
        return 0;
    uint32_t len = (uint32_t)(at - HEAD);
    memcpy(buf + 4, &len, 4);
    tag(buf, at, buf + at);
    return at + TT_JOURNAL_TAG_BYTES;
}

/* The text at *at within end, at most limit - 1 bytes: its start, or NULL. */
static const char *get_text(const uint8_t *p, size_t *at, size_t end, size_t limit)
{
    const uint8_t *nul = memchr(p + *at, '\0', end - *at);
    if (!nul || (size_t)(nul - (p + *at)) >= limit)
        return NULL;
    const char *s = (const char *)p + *at;
    *at = (size_t)(nul - p) + 1;
    return s;
}

size_t tt_journal_decode(const uint8_t *p, size_t n, struct tt_journal_event *e)
{
    uint32_t magic, len;
    if (n < HEAD + FIXED)
        return 0;
    memcpy(&magic, p, 4);
    memcpy(&len, p + 4, 4);
    if (magic != MAGIC || len < FIXED || len > TT_JOURNAL_FRAME_MAX ||
        (size_t)len + HEAD + TT_JOURNAL_TAG_BYTES > n)
        return 0;
    size_t end = HEAD + len;
    uint8_t want[TT_JOURNAL_TAG_BYTES];
    tag(p, end, want);
    if (sodium_memcmp(want, p + end, TT_JOURNAL_TAG_BYTES) != 0)
        return 0;
    struct tt_journal_event ev;
    memcpy(&ev.seq, p + HEAD, 8);
    memcpy(&ev.at, p + HEAD + 8, 8);
    size_t at = HEAD + FIXED;
    ev.tenant_id = get_text(p, &at, end, TT_ID_MAX);
    ev.actor = ev.tenant_id ? get_text(p, &at, end, TT_ID_MAX) : NULL;
    ev.action = ev.actor ? get_text(p, &at, end, TT_KEY_MAX) : NULL;
    ev.target = ev.action ? get_text(p, &at, end, TT_ID_MAX) : NULL;
    if (!ev.seq || !ev.target || at >= end || p[at] > 1)
        return 0;
    ev.detail = NULL;
    if (p[at++] == 1 && !(ev.detail = get_text(p, &at, end, TT_LEDGER_DETAIL_MAX + 1)))
        return 0;
    if (at != end)
        return 0;
    *e = ev;
    return end + TT_JOURNAL_TAG_BYTES;
}
