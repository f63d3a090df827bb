/* SPDX-License-Identifier: Apache-2.0 */
/* inbox_parse.c — a raw RFC 5322 message through GMime 3: the sender, the subject with its
 * encoded words decoded, the first text part in UTF-8, then core/mime_route decides the route.
 * A message that does not start with a header, has no sender or no subject is refused whole. */
#include <gmime/gmime.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "inbox_int.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_start(void)
{
    g_mime_init();
}

/* The first line is a header field: a name of printable characters but ':' then ':'. */
static int starts_with_header(const char *raw, size_t len)
{
    size_t i = 0;
    while (i < len && raw[i] > ' ' && raw[i] < 127 && raw[i] != ':')
        i++;
    return i > 0 && i < len && raw[i] == ':';
}

static void first_address(InternetAddressList *list, char out[TT_IDENT_MAX])
{
    out[0] = '\0';
    int n = list ? internet_address_list_length(list) : 0;
    for (int i = 0; i < n; i++) {
        InternetAddress *a = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
            const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
            if (addr && tt_ident_email(addr, out) == 0)
                return;
            out[0] = '\0';
        }
    }
}

/* The first text/plain part under obj (depth-first, at most 8 levels), else the first text
 * part of any subtype. */
static GMimeObject *find_text(GMimeObject *obj, int plain, int depth)
{
    if (!obj || depth > 8)
        return NULL;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
            GMimeObject *t = find_text(g_mime_multipart_get_part(mp, i), plain, depth + 1);
            if (t)
                return t;
        }
        return NULL;
    }
    if (!GMIME_IS_TEXT_PART(obj))
        return NULL;
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    return !plain || (ct && g_mime_content_type_is_type(ct, "text", "plain")) ? obj : NULL;
}

static char *text_of(GMimeMessage *msg, size_t *len)
{
    GMimeObject *root = g_mime_message_get_mime_part(msg);
    GMimeObject *body = find_text(root, 1, 0);
    if (!body)
        body = find_text(root, 0, 0);
    if (!body)
        return NULL;
    char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(body));
    if (!t)
        return NULL;
    size_t n = strnlen(t, TT_INBOX_TEXT_MAX);
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, t, n);
        out[n] = '\0';
        *len = n;
    }
    sodium_memzero(t, strlen(t));
    g_free(t);
    return out;
}

int tt__inbox_parse(const char *raw, size_t len, struct tt__inbox_parsed *out, const char **field,
                    const char **detail)
{
    *field = "body";
    *detail = "the message is not a well-formed RFC 5322 message";
    if (!raw || len == 0 || len > TT_INBOX_MAX || memchr(raw, '\0', len) ||
        !starts_with_header(raw, len))
        return -TT_E_BAD_MESSAGE;
    pthread_once(&gmime_once, gmime_start);
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(g_byte_array_new());
    if (!stream)
        return -TT_E_NOMEM;
    g_mime_stream_write(stream, raw, len);
    g_mime_stream_reset(stream);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = parser ? g_mime_parser_construct_message(parser, NULL) : NULL;
    int rc = 0;
    struct tt__inbox_parsed p;
    memset(&p, 0, sizeof p);
    if (!msg) {
        rc = -TT_E_BAD_MESSAGE;
        goto out;
    }
    first_address(g_mime_message_get_from(msg), p.from);
    if (!p.from[0]) {
        rc = -TT_E_BAD_MESSAGE;
        *field = "from";
        *detail = "the message has no valid sender (From)";
        goto out;
    }
    const char *subject = g_mime_message_get_subject(msg);
    size_t sl = subject ? strlen(subject) : 0;
    while (sl > 0 && (subject[sl - 1] == ' ' || subject[sl - 1] == '\t'))
        sl--;
    const char *s = subject;
    while (sl > 0 && (*s == ' ' || *s == '\t'))
        s++, sl--;
    if (sl == 0) {
        rc = -TT_E_BAD_MESSAGE;
        *field = "subject";
        *detail = "the message has no subject";
        goto out;
    }
    if (sl >= sizeof p.subject)
        sl = sizeof p.subject - 1;
    memcpy(p.subject, s, sl);
    p.subject[sl] = '\0';
    p.text = text_of(msg, &p.text_len);
    p.route = tt_mime_route(p.subject, p.text);
    *out = p;
out:
    if (rc < 0)
        sodium_memzero(&p, sizeof p);
    if (msg)
        g_object_unref(msg);
    if (parser)
        g_object_unref(parser);
    g_object_unref(stream);
    return rc;
}

void tt__inbox_parsed_free(struct tt__inbox_parsed *p)
{
    if (!p)
        return;
    if (p->text) {
        sodium_memzero(p->text, p->text_len);
        free(p->text);
    }
    sodium_memzero(p, sizeof *p);
}
