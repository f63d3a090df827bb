/* SPDX-License-Identifier: Apache-2.0 */
/* decisions_reply.c — the answer of POST /v1/decisions written straight into one buffer
 * (decisions_int.h): reason and basis names are fixed codes, copied as they are; the policy
 * version is escaped once by jansson and reused while it stays the same. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "decisions_int.h"

struct out {
    char *p;
    size_t len, cap;
};

static int out_reserve(struct out *o, size_t cap)
{
    if (cap <= o->cap)
        return 0;
    char *np = realloc(o->p, cap);
    if (!np)
        return -1;
    o->p = np;
    o->cap = cap;
    return 0;
}

static int out_put(struct out *o, const char *s, size_t n)
{
    if (n > o->cap - o->len) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap - o->len < n)
            cap *= 2;
        if (out_reserve(o, cap) < 0)
            return -1;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    return 0;
}

#define OUT_LIT(o, lit) out_put((o), (lit), sizeof(lit) - 1)

/* pv as a JSON string literal (quotes included), escaped by jansson; malloc'd, NULL on failure. */
static char *quoted(const char *pv, size_t *len)
{
    json_t *j = json_string(pv ? pv : "");
    size_t n = j ? json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
    char *q = n ? malloc(n) : NULL;
    if (q && json_dumpb(j, q, n, JSON_COMPACT | JSON_ENCODE_ANY) != n) {
        free(q);
        q = NULL;
    }
    json_decref(j);
    *len = q ? n : 0;
    return q;
}

/* One decision object. */
static int put_decision(struct out *o, const struct tt_decision *d, const char *pvq, size_t pvq_len)
{
    int bad = d->allow ? OUT_LIT(o, "{\"allow\":true,\"legal_basis\":\"")
                       : OUT_LIT(o, "{\"allow\":false,\"legal_basis\":\"");
    const char *basis = tt_decision_basis_name(d->legal_basis);
    bad |= out_put(o, basis, strlen(basis));
    bad |= OUT_LIT(o, "\",\"reasons\":[");
    const char *names[TT_REASON__COUNT];
    unsigned k = tt_reason_names(d->reasons, names);
    for (unsigned j = 0; j < k; j++) {
        bad |= out_put(o, j ? ",\"" : "\"", j ? 2 : 1);
        bad |= out_put(o, names[j], strlen(names[j]));
        bad |= OUT_LIT(o, "\"");
    }
    bad |= OUT_LIT(o, "],\"policy_version\":");
    bad |= out_put(o, pvq, pvq_len);
    bad |= OUT_LIT(o, "}");
    return bad;
}

int tt__decisions_reply(const struct tt_decision *d, size_t n, int batch, struct tt_resp *resp)
{
    const char *pv = NULL;
    char *pvq = NULL;
    size_t pvq_len = 0;
    struct out o = {0};
    int bad = batch ? OUT_LIT(&o, "{\"results\":[") : 0;
    for (size_t i = 0; i < n && !bad; i++) {
        const char *v = d[i].policy_version ? d[i].policy_version : "";
        if (!pvq || v != pv) {
            free(pvq);
            pv = v;
            if (!(pvq = quoted(pv, &pvq_len))) {
                bad = 1;
                break;
            }
        }
        if (i == 0) /* one allocation for the whole answer in the usual case */
            bad |= out_reserve(&o, n * (160 + pvq_len) + 16);
        if (i)
            bad |= OUT_LIT(&o, ",");
        bad |= put_decision(&o, &d[i], pvq, pvq_len);
    }
    if (!bad && batch)
        bad = OUT_LIT(&o, "]}");
    free(pvq);
    if (bad) {
        free(o.p);
        return tt__api_nomem(resp);
    }
    resp->status = 200;
    resp->raw = o.p;
    resp->raw_len = o.len;
    resp->content_type = "application/json";
    return 0;
}
