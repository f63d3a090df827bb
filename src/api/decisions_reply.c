/* SPDX-License-Identifier: Apache-2.0 */
/* decisions_reply.c — the answer of POST /v1/decisions written straight into one buffer
 * (decisions_int.h): reason and basis names are fixed codes, copied as they are; the policy
 * version is escaped once by jansson and reused while it stays the same. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "decisions_int.h"
#include "json_buf.h"

#define PUT_LIT(o, lit) tt_jbuf_put((o), (lit), sizeof(lit) - 1)

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
static void put_decision(struct tt_jbuf *o, const struct tt_decision *d, const char *pvq,
                         size_t pvq_len)
{
    if (d->allow)
        PUT_LIT(o, "{\"allow\":true,\"legal_basis\":\"");
    else
        PUT_LIT(o, "{\"allow\":false,\"legal_basis\":\"");
    tt_jbuf_lit(o, tt_decision_basis_name(d->legal_basis));
    PUT_LIT(o, "\",\"reasons\":[");
    const char *names[TT_REASON__COUNT];
    unsigned k = tt_reason_names(d->reasons, names);
    for (unsigned j = 0; j < k; j++) {
        tt_jbuf_put(o, j ? ",\"" : "\"", j ? 2 : 1);
        tt_jbuf_lit(o, names[j]);
        PUT_LIT(o, "\"");
    }
    PUT_LIT(o, "],\"policy_version\":");
    tt_jbuf_put(o, pvq, pvq_len);
    PUT_LIT(o, "}");
}

int tt__decisions_reply(const struct tt_decision *d, size_t n, int batch, struct tt_resp *resp)
{
    const char *pv = NULL;
    char *pvq = NULL;
    size_t pvq_len = 0;
    struct tt_jbuf o;
    tt_jbuf_init(&o, 0);
    if (batch)
        PUT_LIT(&o, "{\"results\":[");
    for (size_t i = 0; i < n && o.ok; i++) {
        const char *v = d[i].policy_version ? d[i].policy_version : "";
        if (!pvq || v != pv) {
            free(pvq);
            pv = v;
            if (!(pvq = quoted(pv, &pvq_len))) {
                o.ok = 0;
                break;
            }
        }
        if (i == 0) /* one allocation for the whole answer in the usual case */
            tt_jbuf_reserve(&o, n * (160 + pvq_len) + 16);
        if (i)
            PUT_LIT(&o, ",");
        put_decision(&o, &d[i], pvq, pvq_len);
    }
    if (batch)
        PUT_LIT(&o, "]}");
    free(pvq);
    if (tt_jbuf_reply(&o, resp, 200) != 0)
        return tt__api_nomem(resp);
    return 0;
}
