/* SPDX-License-Identifier: Apache-2.0 */
/* error.h — error codes shared by every layer, generated from errors.def.
 * Functions that can fail return 0 or a negative tt_err value (-TT_E_...). */
#ifndef TT_CORE_ERROR_H
#define TT_CORE_ERROR_H

enum tt_err {
#define TT_ERR(name, status, type, msg) TT_E_##name,
#include "errors.def"
#undef TT_ERR
    TT_E__COUNT
};

/* HTTP status for an error code (positive or negated). Unknown codes map to 500. */
int tt_err_status(int code);
/* Stable problem type slug, e.g. "unknown-purpose"; never NULL. */
const char *tt_err_type(int code);
/* Default human message; never NULL. */
const char *tt_err_message(int code);

#endif
