/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_retention.h — the retention area's handlers (declared here, routed in
 * routes_retention.inc). */
#ifndef TT_API_HANDLERS_RETENTION_H
#define TT_API_HANDLERS_RETENTION_H

#include <jansson.h>

#include "../http/http.h"

struct tt_hold;

/* holds.c — legal holds (S7.6), DPO role */
int tt_api_hold_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_hold_list(struct tt_req *req, struct tt_resp *resp);
int tt_api_hold_release(struct tt_req *req, struct tt_resp *resp);
/* A hold as JSON (new reference, NULL on allocation failure). */
json_t *tt__api_hold_json(const struct tt_hold *h);

/* retention_api.c — what is due per day, and a subject's contract end (S7.2) */
int tt_api_retention_upcoming(struct tt_req *req, struct tt_resp *resp);
int tt_api_contract_end(struct tt_req *req, struct tt_resp *resp);

/* stats_api.c — anonymised statistics (S7.8), cells of at least k subjects only */
int tt_api_stats(struct tt_req *req, struct tt_resp *resp);

#endif
