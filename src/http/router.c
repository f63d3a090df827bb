/* SPDX-License-Identifier: Apache-2.0 */
/* router.c — matching a request path against the route table ("{name}" segments), decoding
 * path parameters and query strings. Pure functions over caller buffers: the server calls them
 * on every request and the fuzzers call them on anything. */
#include "internal.h"

#include <string.h>

#include "../core/error.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tt__url_decode(const char *in, size_t len, int plus_space, char *out, size_t out_size,
                   size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '%') {
            if (len - i < 3)
                return -TT_E_BAD_PARAM;
            int hi = hexval(in[i + 1]), lo = hexval(in[i + 2]);
            if (hi < 0 || lo < 0)
                return -TT_E_BAD_PARAM;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (c == '\0')
            return -TT_E_BAD_PARAM;
        if (o + 1 >= out_size)
            return -TT_E_BAD_PARAM;
        out[o++] = c;
    }
    if (o >= out_size)
        return -TT_E_BAD_PARAM;
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return 0;
}

struct seg {
    const char *p;
    size_t len;
};

/* Splits "/a/b" into ["a","b"] ("/" into [""]). Returns the count, or -1 when too many or the
 * path does not start with '/'. */
static int split(const char *path, struct seg *segs)
{
    if (path[0] != '/')
        return -1;
    int n = 0;
    const char *p = path + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (n == TT__PATH_SEGMENTS_MAX)
            return -1;
        segs[n].p = p;
        segs[n].len = len;
        n++;
        if (!slash)
            break;
        p = slash + 1;
    }
    return n;
}

static int is_param(const struct seg *s)
{
    return s->len >= 3 && s->p[0] == '{' && s->p[s->len - 1] == '}';
}

/* 1 when the pattern matches the path segments; *mask gets one bit per literal segment, the
 * first segment in the highest bit, so a larger mask is the more specific route. Walks the
 * pattern in place and stops at the first segment that differs: every request tries every
 * route, and most differ in their first or second segment. */
static int pattern_matches(const char *pattern, const struct seg *segs, int n, uint32_t *mask)
{
    if (pattern[0] != '/')
        return 0;
    const char *p = pattern + 1;
    uint32_t bits = 0;
    for (int i = 0; i < n; i++) {
        size_t len = 0;
        while (p[len] && p[len] != '/')
            len++;
        struct seg ps = {p, len};
        if (is_param(&ps)) {
            if (segs[i].len == 0)
                return 0;
        } else {
            if (len != segs[i].len || memcmp(p, segs[i].p, len) != 0)
                return 0;
            bits |= 1u << (TT__PATH_SEGMENTS_MAX - 1 - i);
        }
        p += len;
        if (i + 1 < n) {
            if (*p != '/')
                return 0; /* the pattern has fewer segments */
            p++;
        }
    }
    if (*p)
        return 0; /* the pattern has more segments */
    *mask = bits;
    return 1;
}

static int method_matches(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

static void allow_add(char *allow, size_t size, const char *method)
{
    size_t mlen = strlen(method);
    /* already listed? */
    for (const char *p = allow; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == mlen && memcmp(p, method, mlen) == 0)
            return;
        p = end ? end + 2 : p + len;
    }
    size_t used = strlen(allow);
    size_t need = (used ? 2 : 0) + mlen;
    if (used + need + 1 > size)
        return;
    if (used) {
        memcpy(allow + used, ", ", 2);
        used += 2;
    }
    memcpy(allow + used, method, mlen + 1);
}

int tt__route_match(const struct tt_route *routes, const char *method, const char *raw_path,
                    struct tt__route_match *m)
{
    m->route = -1;
    m->n_params = 0;
    m->bad_param[0] = '\0';
    m->allow[0] = '\0';
    if (!raw_path || !method || strlen(raw_path) > TT_HTTP_PATH_MAX)
        return -TT_E_NO_ROUTE;
    struct seg segs[TT__PATH_SEGMENTS_MAX];
    int n = split(raw_path, segs);
    if (n < 0)
        return -TT_E_NO_ROUTE;

    int best = -1, path_hits = 0;
    uint32_t best_mask = 0;
    for (int r = 0; routes[r].method; r++) {
        uint32_t mask;
        if (!routes[r].pattern || !pattern_matches(routes[r].pattern, segs, n, &mask))
            continue;
        path_hits++;
        allow_add(m->allow, sizeof m->allow, routes[r].method);
        if (strcmp(routes[r].method, "GET") == 0)
            allow_add(m->allow, sizeof m->allow, "HEAD");
        if (method_matches(routes[r].method, method) && (best < 0 || mask > best_mask)) {
            best = r;
            best_mask = mask;
        }
    }
    if (best < 0)
        return path_hits ? -TT_E_METHOD_NOT_ALLOWED : -TT_E_NO_ROUTE;

    /* decode the parameters of the chosen route into m->buf */
    struct seg ps[TT__PATH_SEGMENTS_MAX];
    int pn = split(routes[best].pattern, ps);
    size_t used = 0;
    for (int i = 0; i < pn; i++) {
        if (!is_param(&ps[i]))
            continue;
        if (m->n_params == TT_HTTP_MAX_PARAMS)
            break;
        size_t out_len = 0;
        if (tt__url_decode(segs[i].p, segs[i].len, 0, m->buf + used, sizeof m->buf - used,
                           &out_len) < 0) {
            size_t nl = ps[i].len - 2;
            if (nl >= sizeof m->bad_param)
                nl = sizeof m->bad_param - 1;
            memcpy(m->bad_param, ps[i].p + 1, nl);
            m->bad_param[nl] = '\0';
            m->n_params = 0;
            return -TT_E_BAD_PARAM;
        }
        size_t nl = ps[i].len - 2;
        if (nl >= sizeof m->name_buf[0])
            nl = sizeof m->name_buf[0] - 1;
        memcpy(m->name_buf[m->n_params], ps[i].p + 1, nl);
        m->name_buf[m->n_params][nl] = '\0';
        m->names[m->n_params] = m->name_buf[m->n_params];
        m->values[m->n_params] = m->buf + used;
        m->n_params++;
        used += out_len + 1;
    }
    m->route = best;
    return best;
}

int tt__query_parse(const char *qs, size_t len, struct tt__query *q)
{
    q->n = 0;
    if (len > TT__QUERY_MAX)
        return -TT_E_BAD_PARAM;
    size_t used = 0;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && qs[end] != '&')
            end++;
        if (end > i) {
            if (q->n == TT__QUERY_ARGS_MAX)
                return -TT_E_BAD_PARAM;
            size_t eq = i;
            while (eq < end && qs[eq] != '=')
                eq++;
            size_t klen = 0, vlen = 0;
            char *k = q->buf + used;
            if (tt__url_decode(qs + i, eq - i, 1, k, sizeof q->buf - used, &klen) < 0)
                return -TT_E_BAD_PARAM;
            used += klen + 1;
            char *v = q->buf + used;
            size_t vstart = eq < end ? eq + 1 : end;
            if (tt__url_decode(qs + vstart, end - vstart, 1, v, sizeof q->buf - used, &vlen) < 0)
                return -TT_E_BAD_PARAM;
            used += vlen + 1;
            q->keys[q->n] = k;
            q->values[q->n] = v;
            q->n++;
        }
        i = end + 1;
    }
    return 0;
}

const char *tt__query_get(const struct tt__query *q, const char *key)
{
    for (int i = 0; i < q->n; i++)
        if (strcmp(q->keys[i], key) == 0)
            return q->values[i];
    return NULL;
}
