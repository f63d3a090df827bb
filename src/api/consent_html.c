/* SPDX-License-Identifier: Apache-2.0 */
/* consent_html.c — the small server-rendered pages of the consent area (unsubscribe
 * confirmation, preference centre, error pages): a growing buffer with HTML escaping. Every text
 * comes from the message catalogues; the style sheet is served from /web/preferences/. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "consent_int.h"

static void grow(struct tt_html *h, size_t add)
{
    if (h->oom)
        return;
    if (h->len + add + 1 <= h->cap)
        return;
    size_t cap = h->cap ? h->cap : 2048;
    while (cap < h->len + add + 1)
        cap *= 2;
    char *p = realloc(h->p, cap);
    if (!p) {
        h->oom = 1;
        return;
    }
    h->p = p;
    h->cap = cap;
}

static void put(struct tt_html *h, const char *s, size_t n)
{
    grow(h, n);
    if (h->oom)
        return;
    memcpy(h->p + h->len, s, n);
    h->len += n;
    h->p[h->len] = '\0';
}

void tt_html_raw(struct tt_html *h, const char *s)
{
    if (s)
        put(h, s, strlen(s));
}

void tt_html_text(struct tt_html *h, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            put(h, "&amp;", 5);
            break;
        case '<':
            put(h, "&lt;", 4);
            break;
        case '>':
            put(h, "&gt;", 4);
            break;
        case '"':
            put(h, "&quot;", 6);
            break;
        case '\'':
            put(h, "&#39;", 5);
            break;
        default:
            put(h, s, 1);
            break;
        }
    }
}

void tt_html_begin(struct tt_html *h, const char *lang, const char *title)
{
    tt_html_raw(h, "<!DOCTYPE html>\n<html lang=\"");
    tt_html_text(h, lang);
    tt_html_raw(h, "\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<meta name=\"robots\" content=\"noindex\"><title>");
    tt_html_text(h, title);
    tt_html_raw(h, "</title><link rel=\"stylesheet\" href=\"/web/preferences/page.css\"></head>"
                   "<body><main>\n<h1>");
    tt_html_text(h, title);
    tt_html_raw(h, "</h1>\n");
}

void tt_html_end(struct tt_html *h)
{
    tt_html_raw(h, "</main></body></html>\n");
}

int tt_html_reply(struct tt_html *h, struct tt_resp *resp, int status)
{
    if (h->oom || !h->p) {
        free(h->p);
        h->p = NULL;
        return tt_problem(resp, TT_E_NOMEM, NULL, NULL);
    }
    char *body = h->p;
    h->p = NULL;
    return tt_resp_raw(resp, status, body, h->len, "text/html; charset=utf-8");
}
