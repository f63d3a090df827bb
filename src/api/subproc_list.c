/* SPDX-License-Identifier: Apache-2.0 */
/* subproc_list.c — a tenant's public sub-processor list (S14.1) from the recipient registry:
 * approved, publicly listed processors and sub-processors only; its public JSON; the snapshot
 * document the change job compares against; the tenant check of the public routes. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "common.h"
#include "recipients_doc.h"
#include "subproc_int.h"

struct collect {
    struct tt_subproc *l;
    size_t n, cap;
    int bad;
};

static int listed(const struct tt_rcpt *r)
{
    return r->status == TT_RSTATUS_APPROVED && r->public_listed &&
           (r->role == TT_RROLE_PROCESSOR || r->role == TT_RROLE_SUBPROCESSOR);
}

static int collect_cb(void *cls, const struct tt_rcpt_row *row)
{
    struct collect *x = cls;
    struct tt_rcpt r;
    if (tt__rcpt_from_row(row, &r) != 0) {
        x->bad = 1;
        return 1;
    }
    if (!listed(&r))
        return 0;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        struct tt_subproc *l = realloc(x->l, cap * sizeof *l);
        if (!l) {
            x->bad = 1;
            return 1;
        }
        x->l = l;
        x->cap = cap;
    }
    struct tt_subproc *e = &x->l[x->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", r.key);
    snprintf(e->name, sizeof e->name, "%s", r.name);
    snprintf(e->role, sizeof e->role, "%s", tt_rrole_name(r.role));
    snprintf(e->category, sizeof e->category, "%s", r.category);
    snprintf(e->country, sizeof e->country, "%s", r.country);
    snprintf(e->mechanism, sizeof e->mechanism, "%s", tt_mechanism_name(r.mechanism));
    size_t used = 0;
    for (int i = 0; i < r.n_purposes && used < sizeof e->purposes; i++) {
        int w = snprintf(e->purposes + used, sizeof e->purposes - used, "%s%s", i ? "," : "",
                         r.purposes[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    e->since = r.vetted_at ? r.vetted_at : r.created_at;
    return 0;
}

enum tt_qs tt__subproc_collect(struct tt_store_conn *c, const char *tenant_id,
                               struct tt_subproc **out, size_t *n)
{
    struct collect x = {0};
    /* rcpt_list walks the registry in key order: the list comes out sorted */
    enum tt_qs qs = tt_store_ops_of(c)->recipients->rcpt_list(c, tenant_id, collect_cb, &x);
    if (qs >= 0 && x.bad)
        qs = TT_QS_HARD;
    if (qs < 0) {
        free(x.l);
        return qs;
    }
    *out = x.l;
    *n = x.n;
    return TT_QS_ONE;
}

static int snap_seen(void *cls, const struct tt_subs_snapshot *s)
{
    (void)s;
    *(int *)cls = 1;
    return 0;
}

enum tt_qs tt__subproc_prepare(struct tt_app *app, struct tt_store_conn *c, const char *tenant_id,
                               tt_time now)
{
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    enum tt_qs qs = tt__rcpt_seed(c, ref->policy, tenant_id, now);
    tt_app_policy_release(ref);
    if (qs < 0)
        return qs;
    int have = 0;
    qs = tt_store_ops_of(c)->subscriptions->snap_get(c, tenant_id, snap_seen, &have);
    if (qs < 0 || have)
        return qs < 0 ? qs : TT_QS_ONE;
    struct tt_subproc *l = NULL;
    size_t n = 0;
    qs = tt__subproc_collect(c, tenant_id, &l, &n);
    if (qs < 0)
        return qs;
    struct tt_subs_snapshot s = {.updated_at = now};
    snprintf(s.tenant_id, sizeof s.tenant_id, "%s", tenant_id);
    char *doc = tt__subproc_snapshot_doc(l, n, s.digest);
    free(l);
    if (!doc)
        return TT_QS_HARD;
    s.doc = doc;
    qs = tt_store_ops_of(c)->subscriptions->snap_put(c, &s, NULL);
    free(doc);
    /* NONE: another writer took the first snapshot meanwhile, which is as good */
    return qs < 0 ? qs : TT_QS_ONE;
}

json_t *tt__subproc_entry_json(const struct tt_subproc *e, const struct tt_policy *p)
{
    json_t *purposes = json_array();
    char buf[TT_SUBPROC_PURPOSES_MAX];
    snprintf(buf, sizeof buf, "%s", e->purposes);
    for (char *save = NULL, *k = strtok_r(buf, ",", &save); purposes && k;
         k = strtok_r(NULL, ",", &save)) {
        const struct tt_purpose *pu = p ? tt_policy_purpose(p, k) : NULL;
        json_array_append_new(purposes,
                              json_pack("{s:s, s:s}", "key", k, "name", pu ? pu->name : k));
    }
    char since[32] = "";
    if (e->since) {
        time_t t = (time_t)e->since;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(since, sizeof since, "%Y-%m-%d", &tm);
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s?}", "key", e->key, "name", e->name,
                     "role", e->role, "category", e->category, "country", e->country,
                     "transfer_mechanism", e->mechanism, "purposes", purposes, "since",
                     e->since ? since : NULL);
}

char *tt__subproc_snapshot_doc(const struct tt_subproc *l, size_t n, char digest[TT_HASH_HEX])
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "key", l[i].key, "name",
                              l[i].name, "role", l[i].role, "category", l[i].category, "country",
                              l[i].country, "transfer_mechanism", l[i].mechanism, "purposes",
                              l[i].purposes, "since", (json_int_t)l[i].since);
        if (!o || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    char *doc = a ? json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(a);
    if (!doc)
        return NULL;
    uint8_t h[32];
    crypto_generichash(h, sizeof h, (const uint8_t *)doc, strlen(doc), NULL, 0);
    sodium_bin2hex(digest, TT_HASH_HEX, h, sizeof h);
    return doc;
}

static int field(const json_t *o, const char *k, char *dst, size_t size)
{
    const char *s = json_string_value(json_object_get(o, k));
    if (!s || strlen(s) >= size)
        return -1;
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

int tt__subproc_snapshot_parse(const char *doc, struct tt_subproc **out, size_t *n)
{
    json_t *a = json_loads(doc, 0, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return -1;
    }
    size_t len = json_array_size(a);
    struct tt_subproc *l = calloc(len ? len : 1, sizeof *l);
    int rc = l ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < len; i++) {
        const json_t *o = json_array_get(a, i);
        rc = field(o, "key", l[i].key, sizeof l[i].key) |
             field(o, "name", l[i].name, sizeof l[i].name) |
             field(o, "role", l[i].role, sizeof l[i].role) |
             field(o, "category", l[i].category, sizeof l[i].category) |
             field(o, "country", l[i].country, sizeof l[i].country) |
             field(o, "transfer_mechanism", l[i].mechanism, sizeof l[i].mechanism) |
             field(o, "purposes", l[i].purposes, sizeof l[i].purposes);
        l[i].since = json_integer_value(json_object_get(o, "since"));
    }
    json_decref(a);
    if (rc != 0) {
        free(l);
        return -1;
    }
    *out = l;
    *n = len;
    return 0;
}

int tt__subproc_tenant(struct tt_store_conn *c, const char *tenant_id, struct tt_tenant *out,
                       struct tt_resp *resp)
{
    if (!tenant_id || strncmp(tenant_id, "ten_", 4) != 0 || strlen(tenant_id) >= TT_ID_MAX)
        return tt_problem(resp, TT_E_UNKNOWN_TENANT, "tenant", "no such tenant");
    enum tt_qs qs = tt_store_ops_of(c)->tenant_get(c, tenant_id, out);
    if (qs < 0)
        return tt__api_store_err(resp, qs);
    if (qs == TT_QS_NONE)
        return tt_problem(resp, TT_E_UNKNOWN_TENANT, "tenant", "no such tenant");
    return 0;
}
