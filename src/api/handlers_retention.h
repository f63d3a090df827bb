/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_retention.h — the retention area's handlers (declared here, routed in routes_retention.inc). */
#ifndef TT_API_HANDLERS_RETENTION_H
#define TT_API_HANDLERS_RETENTION_H

#include "../http/http.h"

#endif
