/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_consent.h — the consent area's handlers (declared here, routed in routes_consent.inc). */
#ifndef TT_API_HANDLERS_CONSENT_H
#define TT_API_HANDLERS_CONSENT_H

#include "../http/http.h"

#endif
