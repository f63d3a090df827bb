/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_recipients.h — the recipients area's handlers (declared here, routed in
 * routes_recipients.inc). */
#ifndef TT_API_HANDLERS_RECIPIENTS_H
#define TT_API_HANDLERS_RECIPIENTS_H

#include "../http/http.h"

/* recipients_api.c — the registry (S4.1-S4.3): add, list, read, edit */
int tt_api_recipient_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_recipient_list(struct tt_req *req, struct tt_resp *resp);
int tt_api_recipient_get(struct tt_req *req, struct tt_resp *resp);
int tt_api_recipient_patch(struct tt_req *req, struct tt_resp *resp);

/* recipients_state_api.c — vet, approve, suspend (S4.3, S5.2) */
int tt_api_recipient_vet(struct tt_req *req, struct tt_resp *resp);
int tt_api_recipient_approve(struct tt_req *req, struct tt_resp *resp);
int tt_api_recipient_suspend(struct tt_req *req, struct tt_resp *resp);

/* disclosures.c — the sharing gate and a subject's disclosures (S4.3, S4.4, S5.1, S4.8) */
int tt_api_disclosure_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_subject_disclosures(struct tt_req *req, struct tt_resp *resp);

/* govreqs.c — government requests (S4.8) */
int tt_api_govreq_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_govreq_list(struct tt_req *req, struct tt_resp *resp);

#endif
