/* SPDX-License-Identifier: Apache-2.0 */
/* request_state.h — the rights-request workflow as a pure state machine (S8.0–S8.4, S8.1b):
 * request types, channels, states and the events that move a request between states. No I/O,
 * no clock: callers pass the current state and an event and get the next state or a refusal.
 * Thread safe (no state). */
#ifndef TT_CORE_REQUEST_STATE_H
#define TT_CORE_REQUEST_STATE_H

enum tt_rq_type {
    TT_RQ_ACCESS = 0,
    TT_RQ_RECTIFICATION = 1,
    TT_RQ_ERASURE = 2,
    TT_RQ_PORTABILITY = 3,
    TT_RQ_RESTRICTION = 4,
    TT_RQ_OBJECTION = 5,
    TT_RQ_CONSENT_WITHDRAWAL = 6,
    TT_RQ__TYPE_COUNT
};

/* How the request arrived: the account holder's dashboard, a customer tenant's API acting for
 * its end users (processor mode, S1.4: the platform never contacts the end user), or staff
 * registering a letter or email (S8.1b). */
enum tt_rq_channel { TT_RQ_DASHBOARD = 0, TT_RQ_API = 1, TT_RQ_STAFF = 2, TT_RQ__CHANNEL_COUNT };

enum tt_rq_state {
    TT_RQS_RECEIVED = 0,
    TT_RQS_IDENTITY_VERIFICATION = 1, /* a one-time code is out */
    TT_RQS_VERIFIED = 2,
    TT_RQS_IN_PROGRESS = 3,
    TT_RQS_EXTENDED = 4, /* in progress under the extended deadline (S8.4) */
    TT_RQS_COMPLETED = 5,
    TT_RQS_PARTIALLY_COMPLETED = 6, /* e.g. erasure with data kept for a legal reason (S7.6) */
    TT_RQS_REJECTED = 7,
    TT_RQS__COUNT
};

enum tt_rq_event {
    TT_RQE_CODE_SENT = 0, /* received / identity_verification -> identity_verification */
    TT_RQE_VERIFY = 1,    /* received / identity_verification -> verified */
    TT_RQE_START = 2,     /* verified -> in_progress */
    TT_RQE_EXTEND = 3,    /* verified / in_progress -> extended (once) */
    TT_RQE_COMPLETE = 4,  /* verified / in_progress / extended -> completed */
    TT_RQE_PARTIAL = 5,   /* verified / in_progress / extended -> partially_completed */
    TT_RQE_REJECT = 6,    /* any open state -> rejected */
    TT_RQE__COUNT
};

/* Names as they appear in the API ("consent_withdrawal", "identity_verification", …). */
const char *tt_rq_type_name(enum tt_rq_type t);
const char *tt_rq_channel_name(enum tt_rq_channel c);
const char *tt_rq_state_name(enum tt_rq_state s);
const char *tt_rq_event_name(enum tt_rq_event e);
/* Parse a name; 0 and *out set, or -TT_E_BAD_FIELD (out untouched). */
int tt_rq_type_parse(const char *s, enum tt_rq_type *out);
int tt_rq_channel_parse(const char *s, enum tt_rq_channel *out);
int tt_rq_state_parse(const char *s, enum tt_rq_state *out);

/* 1 for completed, partially_completed and rejected. */
int tt_rq_state_terminal(enum tt_rq_state s);

/* The state after event e in state s. Returns 0 and writes *next, or -TT_E_CONFLICT when the
 * event is not allowed in s (*next untouched). An extension happens once: EXTEND from EXTENDED
 * is refused like any other invalid transition. */
int tt_rq_next(enum tt_rq_state s, enum tt_rq_event e, enum tt_rq_state *next);

#endif
