/* SPDX-License-Identifier: Apache-2.0 */
/* types.c — names of the domain enums, both ways. Parsers return 0 or -TT_E_BAD_FIELD. */
#include "types.h"

#include <string.h>

#include "error.h"

static const char *const subject_kinds[] = {"customer", "prospect", "end_user", "visitor"};
static const char *const identity_types[] = {"email", "phone", "channel_id", "cookie_id"};
static const char *const bases[] = {"none", "consent", "contract", "legal_obligation",
                                    "legitimate_interest"};
static const char *const roles[] = {"readonly", "service", "support", "dpo", "admin", "owner"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, int v)
{
    return (v >= 0 && (size_t)v < n) ? names[v] : "unknown";
}

static int parse(const char *const *names, size_t n, const char *s, int *out)
{
    if (!s)
        return -TT_E_BAD_FIELD;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    return -TT_E_BAD_FIELD;
}

const char *tt_subject_kind_name(enum tt_subject_kind k)
{
    return name_of(subject_kinds, N(subject_kinds), (int)k);
}

int tt_subject_kind_parse(const char *s, enum tt_subject_kind *out)
{
    int v, rc = parse(subject_kinds, N(subject_kinds), s, &v);
    if (rc == 0)
        *out = (enum tt_subject_kind)v;
    return rc;
}

const char *tt_identity_type_name(enum tt_identity_type t)
{
    return name_of(identity_types, N(identity_types), (int)t);
}

int tt_identity_type_parse(const char *s, enum tt_identity_type *out)
{
    int v, rc = parse(identity_types, N(identity_types), s, &v);
    if (rc == 0)
        *out = (enum tt_identity_type)v;
    return rc;
}

const char *tt_basis_name(enum tt_basis b)
{
    return name_of(bases, N(bases), (int)b);
}

int tt_basis_parse(const char *s, enum tt_basis *out)
{
    int v, rc = parse(bases, N(bases), s, &v);
    if (rc == 0 && v != TT_BASIS_NONE)
        *out = (enum tt_basis)v;
    return rc == 0 && v == TT_BASIS_NONE ? -TT_E_BAD_FIELD : rc;
}

const char *tt_role_name(enum tt_role r)
{
    return name_of(roles, N(roles), (int)r);
}

int tt_role_parse(const char *s, enum tt_role *out)
{
    int v, rc = parse(roles, N(roles), s, &v);
    if (rc == 0)
        *out = (enum tt_role)v;
    return rc;
}
