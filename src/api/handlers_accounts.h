/* SPDX-License-Identifier: Apache-2.0 */
/* handlers_accounts.h — the accounts area's handlers (declared here, routed in routes_accounts.inc). */
#ifndef TT_API_HANDLERS_ACCOUNTS_H
#define TT_API_HANDLERS_ACCOUNTS_H

#include "../http/http.h"

#endif
