/* SPDX-License-Identifier: Apache-2.0 */
/* datamap.c — a subject's data by service and category (S8.1 "see their data by category and
 * service"; issue 5): GET /v1/subjects/{id}/data-map groups the subject's records by service,
 * data category, purpose and legal basis with how many there are, when the first was collected
 * and until when the last is kept (S7). No value is opened: this is what the dashboard shows
 * before anyone asks for an export. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "common.h"
#include "handlers_requests.h"

#define GROUPS_MAX 4096 /* distinct (service, category, purpose, basis) of one subject */

struct group {
    char service[TT_KEY_MAX], category[TT_KEY_MAX], purpose[TT_KEY_MAX];
    enum tt_basis basis;
    int64_t records;
    tt_time first_collected, kept_until;
};

struct map_ctx {
    struct group *g;
    size_t n, cap;
    char last[TT_ID_MAX];
    int page_n, failed;
};

static int group_cmp(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    int c = strcmp(x->service, y->service);
    if (!c)
        c = strcmp(x->category, y->category);
    if (!c)
        c = strcmp(x->purpose, y->purpose);
    return c ? c : (int)x->basis - (int)y->basis;
}

static int map_cb(void *cls, const struct tt_record *r)
{
    struct map_ctx *x = cls;
    tt__api_copy(x->last, sizeof x->last, r->id);
    x->page_n++;
    struct group *g = NULL;
    for (size_t i = x->n; i-- > 0 && !g;) /* few groups per subject: a linear scan */
        if (x->g[i].basis == r->legal_basis && strcmp(x->g[i].service, r->service) == 0 &&
            strcmp(x->g[i].category, r->data_category) == 0 &&
            strcmp(x->g[i].purpose, r->purpose) == 0)
            g = &x->g[i];
    if (!g) {
        if (x->n == GROUPS_MAX) {
            x->failed = TT_E_INTERNAL;
            return 1;
        }
        if (x->n == x->cap) {
            size_t cap = x->cap ? 2 * x->cap : 16;
            struct group *p = realloc(x->g, cap * sizeof *p);
            if (!p) {
                x->failed = TT_E_NOMEM;
                return 1;
            }
            x->g = p;
            x->cap = cap;
        }
        g = &x->g[x->n++];
        memset(g, 0, sizeof *g);
        tt__api_copy(g->service, sizeof g->service, r->service);
        tt__api_copy(g->category, sizeof g->category, r->data_category);
        tt__api_copy(g->purpose, sizeof g->purpose, r->purpose);
        g->basis = r->legal_basis;
        g->first_collected = r->collected_at;
    }
    g->records++;
    if (r->collected_at < g->first_collected)
        g->first_collected = r->collected_at;
    if (r->retention_until > g->kept_until)
        g->kept_until = r->retention_until;
    return 0;
}

int tt_api_subject_data_map(struct tt_req *req, struct tt_resp *resp)
{
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    struct tt_subject s;
    struct map_ctx x = {0};
    int rc = tt__api_subject_load(c, req->auth.tenant_id, tt_req_param(req, "id"), "id", &s, resp);
    struct tt_page page = {.after_id = "", .limit = TT_PAGE_MAX};
    while (rc == 0) {
        x.page_n = 0;
        enum tt_qs qs = tt_store_ops_of(c)->record_list(c, s.tenant_id, s.id, &page, map_cb, &x);
        if (qs < 0)
            rc = tt__api_store_err(resp, qs);
        else if (x.failed)
            rc = tt_problem(resp, x.failed, "", "the subject's data map cannot be built");
        if (rc < 0 || x.page_n < page.limit)
            break;
        tt__api_copy(page.after_id, sizeof page.after_id, x.last);
    }
    tt_store_release(c);
    json_t *items = rc == 0 ? json_array() : NULL;
    if (x.n > 1)
        qsort(x.g, x.n, sizeof *x.g, group_cmp);
    for (size_t i = 0; items && i < x.n; i++) {
        const struct group *g = &x.g[i];
        if (json_array_append_new(
                items, json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "service", g->service,
                                 "data_category", g->category, "purpose", g->purpose, "legal_basis",
                                 tt_basis_name(g->basis), "records", (json_int_t)g->records,
                                 "first_collected_at", tt__api_time(g->first_collected),
                                 "kept_until", tt__api_time(g->kept_until))) < 0) {
            json_decref(items);
            items = NULL;
        }
    }
    free(x.g);
    if (rc < 0)
        return rc;
    json_t *body = items ? json_pack("{s:s, s:o}", "subject", s.id, "items", items) : NULL;
    if (!body)
        return tt__api_nomem(resp);
    snprintf(resp->cache_control, sizeof resp->cache_control, "no-store");
    return tt_reply(resp, 200, body);
}
