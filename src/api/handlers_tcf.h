/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_tcf.h — the tcf area's handlers (declared here, routed in routes_tcf.inc). */
#ifndef TT_API_HANDLERS_TCF_H
#define TT_API_HANDLERS_TCF_H

#include "../http/http.h"

#endif
