/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_requests.h — the requests area's handlers (declared here, routed in routes_requests.inc). */
#ifndef TT_API_HANDLERS_REQUESTS_H
#define TT_API_HANDLERS_REQUESTS_H

#include "../http/http.h"

#endif
