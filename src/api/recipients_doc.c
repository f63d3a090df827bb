/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_doc.c — registry entries between store rows and core (struct tt_rcpt), their JSON,
 * the first-use seed from the policy (S4.3: Stripe, Mollie, Adyen as independent controllers)
 * and the adequacy table kept in step with the policy (S5.1, S5.2). */
#include "recipients_doc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "audit.h"
#include "common.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void set(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static int strs_in(const json_t *arr, char (*out)[TT_KEY_MAX], int *n)
{
    size_t i;
    json_t *v;
    *n = 0;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || *n >= TT_RCPT_LIST_MAX)
            return -1;
        set(out[(*n)++], TT_KEY_MAX, json_string_value(v));
    }
    return 0;
}

static json_t *strs_out(const char (*list)[TT_KEY_MAX], int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

int tt__rcpt_from_row(const struct tt_rcpt_row *row, struct tt_rcpt *out)
{
    json_t *d = json_loads(row->doc, 0, NULL);
    if (!json_is_object(d)) {
        json_decref(d);
        return -TT_E_STORE;
    }
    struct tt_rcpt r;
    memset(&r, 0, sizeof r);
    set(r.tenant_id, sizeof r.tenant_id, row->tenant_id);
    set(r.id, sizeof r.id, row->id);
    set(r.key, sizeof r.key, row->key);
    int rc = tt_rcpt_status_parse(row->status, &r.status);
    set(r.name, sizeof r.name, jstr(d, "name"));
    set(r.category, sizeof r.category, jstr(d, "category"));
    set(r.country, sizeof r.country, jstr(d, "country"));
    rc |= tt_rrole_parse(jstr(d, "role"), &r.role);
    rc |= tt_mechanism_parse(jstr(d, "transfer_mechanism"), &r.mechanism);
    r.vetted_at = json_integer_value(json_object_get(d, "vetted_at"));
    r.vetting_passed = json_is_true(json_object_get(d, "vetting_passed"));
    set(r.vetting_notes, sizeof r.vetting_notes, jstr(d, "vetting_notes"));
    set(r.dpa_ref, sizeof r.dpa_ref, jstr(d, "dpa_ref"));
    set(r.toms, sizeof r.toms, jstr(d, "toms"));
    set(r.adequacy_key, sizeof r.adequacy_key, jstr(d, "adequacy_key"));
    r.tia_done = json_is_true(json_object_get(d, "tia_done"));
    if (tt_basis_parse(jstr(d, "legal_basis"), &r.basis) != 0)
        r.basis = TT_BASIS_NONE;
    rc |= strs_in(json_object_get(d, "purposes"), r.purposes, &r.n_purposes);
    rc |= strs_in(json_object_get(d, "data_categories"), r.categories, &r.n_categories);
    r.public_listed = json_is_true(json_object_get(d, "public"));
    r.flagged_at = row->flagged_at;
    set(r.flag_reason, sizeof r.flag_reason, jstr(d, "flag_reason"));
    set(r.status_reason, sizeof r.status_reason, jstr(d, "status_reason"));
    r.created_at = row->created_at;
    r.updated_at = row->updated_at;
    json_decref(d);
    if (rc)
        return -TT_E_STORE;
    *out = r;
    return 0;
}

/* The descriptive fields (everything but ids, key, status and times). */
static json_t *doc_json(const struct tt_rcpt *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:o, "
                     "s:b, s:s, s:s}",
                     "name", r->name, "category", r->category, "role", tt_rrole_name(r->role),
                     "country", r->country, "vetted_at", (json_int_t)r->vetted_at, "vetting_passed",
                     r->vetting_passed, "vetting_notes", r->vetting_notes, "dpa_ref", r->dpa_ref,
                     "toms", r->toms, "transfer_mechanism", tt_mechanism_name(r->mechanism),
                     "adequacy_key", r->adequacy_key, "tia_done", r->tia_done, "legal_basis",
                     tt_basis_name(r->basis), "purposes", strs_out(r->purposes, r->n_purposes),
                     "data_categories", strs_out(r->categories, r->n_categories), "public",
                     r->public_listed, "flag_reason", r->flag_reason, "status_reason",
                     r->status_reason);
}

int tt__rcpt_to_row(const struct tt_rcpt *r, struct tt_rcpt_row *row, char **doc)
{
    json_t *d = doc_json(r);
    char *text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    if (!text)
        return -TT_E_NOMEM;
    memset(row, 0, sizeof *row);
    set(row->tenant_id, sizeof row->tenant_id, r->tenant_id);
    set(row->id, sizeof row->id, r->id);
    set(row->key, sizeof row->key, r->key);
    set(row->status, sizeof row->status, tt_rcpt_status_name(r->status));
    row->flagged_at = r->flagged_at;
    row->doc = text;
    row->created_at = r->created_at;
    row->updated_at = r->updated_at;
    *doc = text;
    return 0;
}

json_t *tt__rcpt_json(const struct tt_rcpt *r)
{
    json_t *j = doc_json(r);
    if (!j)
        return NULL;
    json_object_del(j, "public");
    json_object_set_new(j, "public_listed", json_boolean(r->public_listed));
    json_object_set_new(j, "vetted_at", tt__api_time(r->vetted_at));
    json_object_set_new(j, "id", json_string(r->id));
    json_object_set_new(j, "key", json_string(r->key));
    json_object_set_new(j, "status", json_string(tt_rcpt_status_name(r->status)));
    json_object_set_new(j, "flagged", json_boolean(r->flagged_at != 0));
    json_object_set_new(j, "flagged_at", tt__api_time(r->flagged_at));
    json_object_set_new(j, "created_at", tt__api_time(r->created_at));
    json_object_set_new(j, "updated_at", tt__api_time(r->updated_at));
    return j;
}

struct load_ctx {
    struct tt_rcpt *out;
    int bad;
};

static int load_row(void *cls, const struct tt_rcpt_row *row)
{
    struct load_ctx *l = cls;
    l->bad = tt__rcpt_from_row(row, l->out) != 0;
    return 0;
}

enum tt_qs tt__rcpt_load(struct tt_store_conn *c, const char *tenant_id, const char *id,
                         const char *key, struct tt_rcpt *out)
{
    struct tt_rcpt r;
    struct load_ctx l = {&r, 0};
    enum tt_qs qs = tt_store_ops_of(c)->recipients->rcpt_get(c, tenant_id, id, key, load_row, &l);
    if (qs == TT_QS_ONE && l.bad)
        return TT_QS_HARD;
    if (qs == TT_QS_ONE)
        *out = r;
    return qs;
}

static int count_row(void *cls, const struct tt_rcpt_row *row)
{
    (void)row;
    ++*(int *)cls;
    return 1; /* one is enough */
}

enum tt_qs tt__rcpt_seed(struct tt_store_conn *c, const struct tt_policy *p, const char *tenant_id,
                         tt_time now)
{
    const struct tt_recipients_store_ops *ops = tt_store_ops_of(c)->recipients;
    int n = 0;
    enum tt_qs qs = ops->rcpt_list(c, tenant_id, count_row, &n);
    if (qs < 0 || n > 0)
        return qs < 0 ? qs : TT_QS_NONE;
    for (size_t i = 0; i < p->n_recipients; i++) {
        struct tt_rcpt r;
        tt_rcpt_from_policy(p, &p->recipients[i], tenant_id, now, &r);
        tt_id_new("rcp_", r.id);
        struct tt_rcpt_row row;
        char *doc = NULL;
        if (tt__rcpt_to_row(&r, &row, &doc) != 0)
            return TT_QS_HARD;
        qs = ops->rcpt_put(c, &row);
        free(doc);
        if (qs <= 0) /* NONE: another request seeded the tenant meanwhile */
            return qs;
        json_t *detail = json_pack("{s:s, s:s, s:s}", "key", r.key, "status",
                                   tt_rcpt_status_name(r.status), "policy_version", p->version);
        qs = detail ? tt_audit_emit(c, tenant_id, now, "system", "recipient.seed", r.id, detail)
                    : TT_QS_HARD;
        json_decref(detail);
        if (qs < 0)
            return qs;
    }
    return TT_QS_ONE;
}

/* ---- adequacy that follows the policy ---- */

void tt__rcpt_adequacy_path(const struct tt_policy *p, char *out, size_t size)
{
    const char *src = p->source_path ? p->source_path : "";
    const char *slash = strrchr(src, '/');
    int dir = slash ? (int)(slash - src) : 0;
    snprintf(out, size, "%.*s%sadequacy.yaml", dir, src, slash ? "/" : "");
}

static pthread_mutex_t ad_mu = PTHREAD_MUTEX_INITIALIZER;
static const struct tt_policy *ad_policy; /* the policy the table was loaded with */
static struct tt_adequacy *ad_table;

int tt__rcpt_with_adequacy(struct tt_app *app, int (*fn)(void *cls, const struct tt_adequacy *a),
                           void *cls)
{
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    pthread_mutex_lock(&ad_mu);
    if (ad_policy != ref->policy) {
        /* S5.2: a policy reload re-reads adequacy.yaml beside it */
        char path[1024];
        tt__rcpt_adequacy_path(ref->policy, path, sizeof path);
        struct tt_adequacy *fresh = NULL;
        if (tt_adequacy_load(path, &fresh, NULL) == 0) {
            tt_adequacy_free(ad_table);
            ad_table = fresh;
        }
        ad_policy = ref->policy;
    }
    int rc = fn(cls, ad_table);
    pthread_mutex_unlock(&ad_mu);
    tt_app_policy_release(ref);
    return rc;
}
