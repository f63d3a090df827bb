/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_recipients.h — the recipients area's handlers (declared here, routed in
 * routes_recipients.inc). */
#ifndef TT_API_HANDLERS_RECIPIENTS_H
#define TT_API_HANDLERS_RECIPIENTS_H

#include "../http/http.h"

#endif
