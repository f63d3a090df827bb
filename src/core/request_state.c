/* SPDX-License-Identifier: Apache-2.0 */
/* request_state.c — the rights-request state machine (request_state.h): one transition table,
 * names for the API. */
#include "request_state.h"

#include <string.h>

#include "error.h"

static const char *const type_names[TT_RQ__TYPE_COUNT] = {
    "access",    "rectification",      "erasure", "portability", "restriction",
    "objection", "consent_withdrawal",
};
static const char *const channel_names[TT_RQ__CHANNEL_COUNT] = {"dashboard", "api", "staff"};
static const char *const state_names[TT_RQS__COUNT] = {
    "received",  "identity_verification", "verified", "in_progress", "extended",
    "completed", "partially_completed",   "rejected",
};
static const char *const event_names[TT_RQE__COUNT] = {
    "code_sent", "verify", "start", "extend", "complete", "partial", "reject",
};

#define S(x) (1u << TT_RQS_##x)
/* For each event: the states it may leave, and where it goes. */
static const struct {
    unsigned from;
    enum tt_rq_state to;
} table[TT_RQE__COUNT] = {
    [TT_RQE_CODE_SENT] = {S(RECEIVED) | S(IDENTITY_VERIFICATION), TT_RQS_IDENTITY_VERIFICATION},
    [TT_RQE_VERIFY] = {S(RECEIVED) | S(IDENTITY_VERIFICATION), TT_RQS_VERIFIED},
    [TT_RQE_START] = {S(VERIFIED), TT_RQS_IN_PROGRESS},
    [TT_RQE_EXTEND] = {S(VERIFIED) | S(IN_PROGRESS), TT_RQS_EXTENDED},
    [TT_RQE_COMPLETE] = {S(VERIFIED) | S(IN_PROGRESS) | S(EXTENDED), TT_RQS_COMPLETED},
    [TT_RQE_PARTIAL] = {S(VERIFIED) | S(IN_PROGRESS) | S(EXTENDED), TT_RQS_PARTIALLY_COMPLETED},
    [TT_RQE_REJECT] = {S(RECEIVED) | S(IDENTITY_VERIFICATION) | S(VERIFIED) | S(IN_PROGRESS) |
                           S(EXTENDED),
                       TT_RQS_REJECTED},
};
#undef S

static const char *name_of(const char *const *names, int n, int v)
{
    return v >= 0 && v < n ? names[v] : "unknown";
}

static int parse(const char *const *names, int n, const char *s, int *out)
{
    for (int i = 0; s && i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = i;
            return 0;
        }
    }
    return -TT_E_BAD_FIELD;
}

const char *tt_rq_type_name(enum tt_rq_type t)
{
    return name_of(type_names, TT_RQ__TYPE_COUNT, (int)t);
}

const char *tt_rq_channel_name(enum tt_rq_channel c)
{
    return name_of(channel_names, TT_RQ__CHANNEL_COUNT, (int)c);
}

const char *tt_rq_state_name(enum tt_rq_state s)
{
    return name_of(state_names, TT_RQS__COUNT, (int)s);
}

const char *tt_rq_event_name(enum tt_rq_event e)
{
    return name_of(event_names, TT_RQE__COUNT, (int)e);
}

int tt_rq_type_parse(const char *s, enum tt_rq_type *out)
{
    int v;
    int rc = parse(type_names, TT_RQ__TYPE_COUNT, s, &v);
    if (rc == 0)
        *out = (enum tt_rq_type)v;
    return rc;
}

int tt_rq_channel_parse(const char *s, enum tt_rq_channel *out)
{
    int v;
    int rc = parse(channel_names, TT_RQ__CHANNEL_COUNT, s, &v);
    if (rc == 0)
        *out = (enum tt_rq_channel)v;
    return rc;
}

int tt_rq_state_parse(const char *s, enum tt_rq_state *out)
{
    int v;
    int rc = parse(state_names, TT_RQS__COUNT, s, &v);
    if (rc == 0)
        *out = (enum tt_rq_state)v;
    return rc;
}

int tt_rq_state_terminal(enum tt_rq_state s)
{
    return s == TT_RQS_COMPLETED || s == TT_RQS_PARTIALLY_COMPLETED || s == TT_RQS_REJECTED;
}

int tt_rq_next(enum tt_rq_state s, enum tt_rq_event e, enum tt_rq_state *next)
{
    if ((int)e < 0 || e >= TT_RQE__COUNT || (int)s < 0 || s >= TT_RQS__COUNT)
        return -TT_E_CONFLICT;
    if (!(table[e].from & (1u << s)))
        return -TT_E_CONFLICT;
    *next = table[e].to;
    return 0;
}
