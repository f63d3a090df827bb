/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_requests.h — the requests area's handlers (declared here, routed in
 * routes_requests.inc): rights requests (requests.c), one-time export downloads (exports.c) and
 * rectification with its history (rectifications.c).
 * Each follows http.h's handler contract: 0 after filling resp, or a negative tt_err code with a
 * problem in resp. */
#ifndef TT_API_HANDLERS_REQUESTS_H
#define TT_API_HANDLERS_REQUESTS_H

#include "../http/http.h"

int tt_api_request_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_request_list(struct tt_req *req, struct tt_resp *resp);
int tt_api_request_get(struct tt_req *req, struct tt_resp *resp);
int tt_api_request_verify(struct tt_req *req, struct tt_resp *resp);
int tt_api_request_code_send(struct tt_req *req, struct tt_resp *resp); /* requests_code.c */
int tt_api_request_extend(struct tt_req *req, struct tt_resp *resp);
int tt_api_request_complete(struct tt_req *req, struct tt_resp *resp);
int tt_api_request_reject(struct tt_req *req, struct tt_resp *resp);
int tt_api_export_download(struct tt_req *req, struct tt_resp *resp);
int tt_api_rectification_create(struct tt_req *req, struct tt_resp *resp); /* rectifications.c */
int tt_api_rectification_list(struct tt_req *req, struct tt_resp *resp);
int tt_api_subject_data_map(struct tt_req *req, struct tt_resp *resp); /* datamap.c */

#endif
