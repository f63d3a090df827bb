/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_accounts.h — the accounts area's handlers (declared here, routed in
 * routes_accounts.inc): sessions (sessions.c), accounts (accounts.c), TOTP (accounts_totp.c), the
 * inbox (inbox.c) and cases (cases.c). Each follows http.h. */
#ifndef TT_API_HANDLERS_ACCOUNTS_H
#define TT_API_HANDLERS_ACCOUNTS_H

#include "../http/http.h"

/* sessions.c (S6.1) */
int tt_api_session_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_session_current(struct tt_req *req, struct tt_resp *resp);
int tt_api_session_delete_current(struct tt_req *req, struct tt_resp *resp);
int tt_api_session_list(struct tt_req *req, struct tt_resp *resp);
int tt_api_session_revoke(struct tt_req *req, struct tt_resp *resp);

/* accounts.c */
int tt_api_account_create(struct tt_req *req, struct tt_resp *resp);
int tt_api_account_list(struct tt_req *req, struct tt_resp *resp);
int tt_api_account_get(struct tt_req *req, struct tt_resp *resp);
int tt_api_account_update(struct tt_req *req, struct tt_resp *resp);
int tt_api_account_me(struct tt_req *req, struct tt_resp *resp);

/* accounts_totp.c */
int tt_api_totp_enrol(struct tt_req *req, struct tt_resp *resp);
int tt_api_totp_confirm(struct tt_req *req, struct tt_resp *resp);

/* inbox.c (S6.2, S10.1, S13.1, S8.1b) and cases.c */
int tt_api_inbox_post(struct tt_req *req, struct tt_resp *resp);
int tt_api_case_list(struct tt_req *req, struct tt_resp *resp);
int tt_api_case_get(struct tt_req *req, struct tt_resp *resp);
int tt_api_case_update(struct tt_req *req, struct tt_resp *resp);

#endif
