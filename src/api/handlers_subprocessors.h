/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_subprocessors.h — the public sub-processor list and its subscriptions (issue 7 part
 * B; S14.1, S12.1, S15.1), no API key: routes_subprocessors.inc. */
#ifndef TT_API_HANDLERS_SUBPROCESSORS_H
#define TT_API_HANDLERS_SUBPROCESSORS_H

#include "../http/http.h"

/* subproc_public.c: the list (JSON) and the current notice version (JSON, HTML or Markdown) */
int tt_api_subproc_list(struct tt_req *req, struct tt_resp *resp);
int tt_api_subproc_notice(struct tt_req *req, struct tt_resp *resp);
/* subproc_subscribe.c: subscribe by email (double opt-in) or webhook (secret shown once) */
int tt_api_subproc_subscribe(struct tt_req *req, struct tt_resp *resp);
/* subproc_confirm.c: the confirm link, one-click unsubscribe (page and RFC 8058 POST), and the
 * deletion of a webhook subscription by its token */
int tt_api_subproc_confirm(struct tt_req *req, struct tt_resp *resp);
int tt_api_subproc_unsubscribe_page(struct tt_req *req, struct tt_resp *resp);
int tt_api_subproc_unsubscribe_post(struct tt_req *req, struct tt_resp *resp);
int tt_api_subproc_webhook_delete(struct tt_req *req, struct tt_resp *resp);

#endif
