/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_consent.h — the consent area's handlers (declared here, routed in routes_consent.inc):
 * consents and their proof, preferences, signed links (unsubscribe, beacon, preference page),
 * the banner's public endpoints (issue 4). Each follows http.h. */
#ifndef TT_API_HANDLERS_CONSENT_H
#define TT_API_HANDLERS_CONSENT_H

#include "../http/http.h"

/* consents.c */
int tt_api_consent_record(struct tt_req *req, struct tt_resp *resp);
int tt_api_consent_state(struct tt_req *req, struct tt_resp *resp);
int tt_api_consent_history(struct tt_req *req, struct tt_resp *resp);
/* consents_batch.c */
int tt_api_consent_batch(struct tt_req *req, struct tt_resp *resp);
/* preferences.c */
int tt_api_preferences_get(struct tt_req *req, struct tt_resp *resp);
int tt_api_preferences_put(struct tt_req *req, struct tt_resp *resp);
int tt_api_preferences_page(struct tt_req *req, struct tt_resp *resp);
int tt_api_preferences_post(struct tt_req *req, struct tt_resp *resp);
/* consent_links.c */
int tt_api_unsubscribe_link(struct tt_req *req, struct tt_resp *resp);
int tt_api_beacon_link(struct tt_req *req, struct tt_resp *resp);
int tt_api_preference_link(struct tt_req *req, struct tt_resp *resp);
/* unsubscribe.c */
int tt_api_unsubscribe_page(struct tt_req *req, struct tt_resp *resp);
int tt_api_unsubscribe_post(struct tt_req *req, struct tt_resp *resp);
/* beacon.c */
int tt_api_beacon(struct tt_req *req, struct tt_resp *resp);
/* sites.c */
int tt_api_site_banner(struct tt_req *req, struct tt_resp *resp);
int tt_api_site_cookie_consent(struct tt_req *req, struct tt_resp *resp);
int tt_api_gpc(struct tt_req *req, struct tt_resp *resp);

#endif
