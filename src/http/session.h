/* SPDX-License-Identifier: Apache-2.0 */
/* session.h — browser sessions (issue 8): the tt_session cookie ("ses_<id>.<secret>": a public
 * id and a 256-bit secret of which only the BLAKE2b hash is stored), its CSRF token (a keyed hash
 * of the cookie under the master's token key, so it is never stored and cannot be derived
 * without the cookie), idle and absolute expiry, and the check the server runs for routes with
 * auth=1 when no Authorization header is sent. Thread safe. */
#ifndef TT_HTTP_SESSION_H
#define TT_HTTP_SESSION_H

#include <stddef.h>

#include "http.h"

#define TT_SESSION_COOKIE "tt_session"
#define TT_SESSION_SECRET_MAX 64
#define TT_SESSION_VALUE_MAX (TT_ID_MAX + 1 + TT_SESSION_SECRET_MAX + 1)
#define TT_CSRF_MAX 64

/* Idle and absolute lifetimes (seconds): TUTELA_SESSION_IDLE (default 1800) and
 * TUTELA_SESSION_ABSOLUTE (default 43200), read once; values below 60 s are raised to 60. */
long tt_session_idle_s(void);
long tt_session_absolute_s(void);

/* Splits a cookie value "ses_….secret" into id and secret. Returns 0 or -TT_E_UNAUTHORIZED. */
int tt_session_value_parse(const char *value, char id[TT_ID_MAX],
                           char secret[TT_SESSION_SECRET_MAX + 1]);
/* The tt_session value of a Cookie header (NULL when absent) into out. 1 when found, else 0. */
int tt_session_cookie_find(const char *cookie_header, char *out, size_t out_size);

/* The CSRF token of a session (base64url) from its id and secret. */
void tt_session_csrf(const struct tt_app *app, const char *id, const char *secret,
                     char out[TT_CSRF_MAX]);

/* The Set-Cookie value that installs value (max_age seconds; 0 expires it). Secure is left out
 * only when local_plain is set (plain http to 127.0.0.1/localhost). */
void tt_session_set_cookie(char *out, size_t size, const char *value, long max_age,
                           int local_plain);

/* Checks the session of a request: cookie_header (may be NULL), the method (unsafe methods need
 * csrf_header equal to the session's token). On success fills out (authenticated, tenant,
 * tenant kind, role, key_id = the account id or, for a key session, the key id, session_id) and
 * returns 0; -TT_E_UNAUTHORIZED (no, unknown, revoked, expired or forged session, or its account
 * disabled or locked, or its key revoked), -TT_E_CSRF, -TT_E_UNAVAILABLE or -TT_E_STORE. May
 * record the session's last use (idle expiry), at most once a minute. */
int tt_session_check(struct tt_app *app, const char *cookie_header, const char *method,
                     const char *csrf_header, struct tt_auth *out);

#endif
