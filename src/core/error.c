/* SPDX-License-Identifier: Apache-2.0 */
/* error.c — the error table built from errors.def. */
#include "error.h"

#include <stdlib.h>

static const struct {
    int status;
    const char *type;
    const char *msg;
} table[] = {
#define TT_ERR(name, status, type, msg) {status, type, msg},
#include "errors.def"
#undef TT_ERR
};

static int slot(int code)
{
    code = abs(code);
    return (code >= 0 && code < TT_E__COUNT) ? code : TT_E_INTERNAL;
}

int tt_err_status(int code)
{
    return table[slot(code)].status;
}

const char *tt_err_type(int code)
{
    return table[slot(code)].type;
}

const char *tt_err_message(int code)
{
    return table[slot(code)].msg;
}
