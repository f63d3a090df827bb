/* SPDX-License-Identifier: Apache-2.0 */
/* health.c — the public operational endpoints: GET /healthz (the process answers), GET /readyz
 * (store open and policy loaded), GET /metrics (Prometheus text) and GET /v1/openapi.json (the
 * API described from the route table). No auth, no personal data. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"

#include "app.h"
#include "common.h"
#include "handlers.h"

#ifndef TT_VERSION
#define TT_VERSION "0.0.0"
#endif

int tt_api_healthz(struct tt_req *req, struct tt_resp *resp)
{
    (void)req;
    snprintf(resp->cache_control, sizeof(resp->cache_control), "no-store");
    json_t *body = json_pack("{s:s}", "status", "ok");
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 200, body);
}

int tt_api_readyz(struct tt_req *req, struct tt_resp *resp)
{
    snprintf(resp->cache_control, sizeof(resp->cache_control), "no-store");
    if (!atomic_load(&req->app->ready))
        return tt_problem(resp, TT_E_UNAVAILABLE, "", "starting up or shutting down");
    json_t *body = json_pack("{s:s}", "status", "ready");
    if (!body)
        return tt__api_nomem(resp);
    return tt_reply(resp, 200, body);
}

int tt_api_metrics(struct tt_req *req, struct tt_resp *resp)
{
    size_t len = 0;
    char *text = tt_metrics_render(req->app->server, &len);
    if (!text)
        return tt__api_nomem(resp);
    snprintf(resp->cache_control, sizeof(resp->cache_control), "no-store");
    return tt_resp_raw(resp, 200, text, len, "text/plain; version=0.0.4; charset=utf-8");
}

/* The core's and every area's component schemas merged, as one JSON text (malloc'd); NULL when
 * out of memory. */
static char *components_text(void)
{
    json_t *schemas = json_object();
    json_t *all = json_pack("{s:o}", "schemas", schemas);
    if (!all)
        return NULL;
    for (size_t i = 0; tt_api_openapi_area_components[i]; i++) {
        json_t *area = json_loads(tt_api_openapi_area_components[i], 0, NULL);
        json_object_update(schemas, json_object_get(area, "schemas"));
        json_decref(area);
    }
    char *text = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    return text;
}

int tt_api_openapi(struct tt_req *req, struct tt_resp *resp)
{
    (void)req;
    char *components = components_text();
    json_t *doc = components ? tt_openapi_build(tt_api_routes, TT_VERSION, components) : NULL;
    free(components);
    if (!doc)
        return tt_problem(resp, TT_E_INTERNAL, "", "the OpenAPI document cannot be built");
    return tt_reply(resp, 200, doc);
}
