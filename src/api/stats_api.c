/* SPDX-License-Identifier: Apache-2.0 */
/* stats_api.c — GET /v1/stats?from&to&service (issue 6; S7.8, S8.4): the anonymised statistics
 * the sweep folded expired rows into, per service, country and day. Only cells with at least k
 * distinct subjects are served (k = 5 by default; ?k= may raise it, never lower it); no cell has
 * a subject column, so none can be joined back to a person. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/stats.h"
#include "../store/retention_store.h"
#include "app.h"
#include "common.h"
#include "handlers_retention.h"

#define DAY 86400
#define STATS_SPAN_MAX_DAYS 3660

static int day_param(const struct tt_req *req, const char *name, int64_t dflt, int64_t *out,
                     struct tt_resp *resp)
{
    const char *v = tt_req_query(req, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    tt_time t;
    if (strlen(v) > 40 || tt_time_parse(v, &t) < 0)
        return tt_problem(resp, TT_E_BAD_PARAM, name, "'%s' must be a date (YYYY-MM-DD)", name);
    *out = tt_stats_day(t);
    return 0;
}

static int cell_cb(void *cls, const struct tt_stat_cell *x)
{
    char date[32];
    tt_time_format(x->day * DAY, date, sizeof date);
    date[10] = '\0';
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I}", "date", date, "service", x->service,
                          "country", x->country, "messages", (json_int_t)x->messages,
                          "subjects_at_least", (json_int_t)x->subjects);
    return !o || json_array_append_new(cls, o) < 0;
}

int tt_api_stats(struct tt_req *req, struct tt_resp *resp)
{
    int64_t today = tt_stats_day(tt_now(&req->app->clock));
    int64_t from, to;
    int rc = day_param(req, "from", today - 365, &from, resp);
    if (rc == 0)
        rc = day_param(req, "to", today, &to, resp);
    if (rc < 0)
        return rc;
    if (to < from || to - from > STATS_SPAN_MAX_DAYS)
        return tt_problem(resp, TT_E_BAD_PARAM, "to",
                          "'to' must be on or after 'from', at most "
                          "%d days later",
                          STATS_SPAN_MAX_DAYS);
    const char *service = tt_req_query(req, "service");
    if (service && !tt__api_id_ok(service, ""))
        return tt_problem(resp, TT_E_BAD_PARAM, "service", "'service' is too long");
    long k = TT_STATS_K_DEFAULT;
    const char *kq = tt_req_query(req, "k");
    if (kq) {
        char *end = NULL;
        k = strtol(kq, &end, 10);
        if (!kq[0] || *end || k < TT_STATS_K_DEFAULT || k > TT_STATS_K_MAX)
            return tt_problem(resp, TT_E_BAD_PARAM, "k", "'k' must be %d to %d", TT_STATS_K_DEFAULT,
                              TT_STATS_K_MAX);
    }
    json_t *items = json_array();
    if (!items)
        return tt__api_nomem(resp);
    struct tt_store_conn *c = tt_store_acquire(req->app->store);
    enum tt_qs qs = tt_store_ops_of(c)->retention->stat_list(
        c, req->auth.tenant_id, from, to, service ? service : "", k, cell_cb, items);
    tt_store_release(c);
    if (qs < 0) {
        json_decref(items);
        return tt__api_store_err(resp, qs);
    }
    char f[32], t[32];
    tt_time_format(from * DAY, f, sizeof f);
    tt_time_format(to * DAY, t, sizeof t);
    f[10] = t[10] = '\0';
    json_t *body =
        json_pack("{s:s, s:s, s:i, s:o}", "from", f, "to", t, "k", (int)k, "items", items);
    return body ? tt_reply(resp, 200, body) : tt__api_nomem(resp);
}
