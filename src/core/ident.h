/* SPDX-License-Identifier: Apache-2.0 */
/* ident.h — normalisation of identifiers before they are blind-indexed, so the same person is
 * found whatever the spelling: emails trimmed and lower-cased (domain IDNA left as is), phones to
 * E.164, channel ids trimmed, cookie ids checked for shape. Pure functions, no allocation. */
#ifndef TT_CORE_IDENT_H
#define TT_CORE_IDENT_H

#include <stddef.h>

#include "types.h"

#define TT_IDENT_MAX 256 /* longest normalised identifier accepted, NUL included */

/* Normalises value of the given type into out (TT_IDENT_MAX bytes).
 * Returns 0, or -TT_E_BAD_EMAIL / -TT_E_BAD_PHONE / -TT_E_BAD_FIELD naming what was wrong;
 * out is untouched on failure.
 * Phones: "+31 6 1234 5678", "0031612345678", "+1 (415) 555-0100" → "+31612345678"; a number
 * without country prefix is refused unless default_cc (e.g. "31", may be NULL) is given and the
 * number starts with a single 0 (national format). E.164: 8 to 15 digits after '+'. */
int tt_ident_normalise(enum tt_identity_type type, const char *value, const char *default_cc,
                       char out[TT_IDENT_MAX]);

int tt_ident_email(const char *value, char out[TT_IDENT_MAX]);
int tt_ident_phone(const char *value, const char *default_cc, char out[TT_IDENT_MAX]);

#endif
