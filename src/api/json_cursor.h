/* SPDX-License-Identifier: Apache-2.0 */
/* json_cursor.h — the cursor the hand scanners of hot request bodies (decisions_scan.c,
 * consents_scan.c) walk a JSON body with, and its two smallest steps. Header only: both scanners
 * call these once per token, where a call through another file would show. */
#ifndef TT_API_JSON_CURSOR_H
#define TT_API_JSON_CURSOR_H

/* A body being scanned: the next byte p, one past the last end, and the next free byte of the
 * scanner's arena out (where unescaped strings go). */
struct tt_json_cursor {
    const char *p, *end;
    char *out;
};

/* Skips JSON whitespace (space, tab, line feed, carriage return). */
static inline void tt_json_ws(struct tt_json_cursor *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* Skips whitespace, then takes byte c if it comes next. Returns 1 when taken, else 0 (the
 * cursor then stands on the byte that is not c). */
static inline int tt_json_take(struct tt_json_cursor *s, char c)
{
    tt_json_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

#endif
