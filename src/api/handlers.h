/* SPDX-License-Identifier: Apache-2.0 */
/* handlers.h — the resource handlers of src/api, one file per resource, gathered in the route
 * table (routes.c). Each follows http.h: fill resp and return 0, or return a negative tt_err
 * code through tt_problem. A failed request changes nothing in the store. */
#ifndef TT_API_HANDLERS_H
#define TT_API_HANDLERS_H

#include "../http/http.h"
#include "handlers_jobs.h"
#include "handlers_consent.h"
#include "handlers_tcf.h"
#include "handlers_requests.h"
#include "handlers_retention.h"
#include "handlers_recipients.h"
#include "handlers_accounts.h"
#include "handlers_subprocessors.h"

/* The component schemas named by the route table: the core's (src/api/openapi/core.json) then
 * each area's (src/api/openapi/<area>.json), embedded at build time, a NULL-terminated list of
 * JSON object texts {"schemas": {…}} merged into the document. */
extern const char *const tt_api_openapi_area_components[];

/* health.c: liveness, readiness, metrics, the OpenAPI document (public) */
int tt_api_healthz(struct tt_req *req, struct tt_resp *resp);
int tt_api_readyz(struct tt_req *req, struct tt_resp *resp);
int tt_api_metrics(struct tt_req *req, struct tt_resp *resp);
int tt_api_openapi(struct tt_req *req, struct tt_resp *resp);

/* tenants.c (S1.4) */
int tt_api_tenant_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_tenant_get(struct tt_req *req, struct tt_resp *resp);
int tt_api_tenant_self(struct tt_req *req, struct tt_resp *resp);

/* keys.c */
int tt_api_key_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_tenant_key_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_key_revoke(struct tt_req *req, struct tt_resp *resp);

/* subjects.c */
int tt_api_subject_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_subject_get(struct tt_req *req, struct tt_resp *resp);
int tt_api_subject_list(struct tt_req *req, struct tt_resp *resp);
int tt_api_subject_lookup(struct tt_req *req, struct tt_resp *resp);

/* identities.c */
int tt_api_identity_add(struct tt_req *req, struct tt_resp *resp);
int tt_api_identity_list(struct tt_req *req, struct tt_resp *resp);

/* decisions.c (S1.1, S2.1, S4.3, S4.4, S5.1, S7, S8.2, S8.3, S10.1) */
int tt_api_decide(struct tt_req *req, struct tt_resp *resp);

/* records.c (S1.1, S2.1, S3.2, S3.5) */
int tt_api_record_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_record_batch(struct tt_req *req, struct tt_resp *resp);
int tt_api_record_list(struct tt_req *req, struct tt_resp *resp);

#endif
