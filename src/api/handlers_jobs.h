/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_jobs.h — the jobs area's handlers (declared here, routed in routes_jobs.inc). */
#ifndef TT_API_HANDLERS_JOBS_H
#define TT_API_HANDLERS_JOBS_H

#include "../http/http.h"

#endif
