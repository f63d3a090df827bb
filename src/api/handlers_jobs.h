/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_jobs.h — the jobs area's handlers (declared here, routed in routes_jobs.inc): the
 * outbox (api/jobs_outbox.c). Each answers its request in resp; see http.h for the contract. */
#ifndef TT_API_HANDLERS_JOBS_H
#define TT_API_HANDLERS_JOBS_H

#include "../http/http.h"

int tt_api_outbox_queue(struct tt_req *req, struct tt_resp *resp);
int tt_api_outbox_list(struct tt_req *req, struct tt_resp *resp);
int tt_api_outbox_retry(struct tt_req *req, struct tt_resp *resp);

#endif
