/* SPDX-License-Identifier: Apache-2.0 */
/* totp.h — time-based one-time passwords (RFC 6238, HMAC-SHA1, 30 s steps) over liboath for
 * the optional second factor (S6.1): secrets, otpauth URIs, codes, verification with a window of
 * one step either side and refusal of a code whose step was already used (replay), and recovery
 * codes. Pure: the time is passed in. Thread safe. Secrets live in caller buffers (wipe them). */
#ifndef TT_CORE_TOTP_H
#define TT_CORE_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#define TT_TOTP_SECRET_BYTES 20 /* 160 bits, RFC 4226's recommendation for SHA1 */
#define TT_TOTP_B32_MAX 40      /* base32 of 20 bytes is 32 chars; NUL and room */
#define TT_TOTP_STEP 30         /* seconds */
#define TT_TOTP_DIGITS 6
#define TT_TOTP_URI_MAX 512
#define TT_TOTP_RECOVERY_LEN 11 /* "xxxxx-xxxxx" */
#define TT_TOTP_RECOVERY_COUNT 10

/* A new random secret. */
void tt_totp_secret_new(uint8_t secret[TT_TOTP_SECRET_BYTES]);
/* RFC 4648 base32 without padding, upper case, into out. Returns 0 or -TT_E_BAD_PARAM when out
 * is too small. */
int tt_totp_base32(const uint8_t *secret, size_t len, char *out, size_t out_size);
/* Decodes base32 (case-insensitive, spaces and '=' ignored) into out (out_size bytes).
 * Returns 0 with *len set, or -TT_E_BAD_PARAM. */
int tt_totp_base32_decode(const char *b32, uint8_t *out, size_t out_size, size_t *len);

/* "otpauth://totp/ISSUER:LABEL?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30" with
 * issuer and label percent-encoded. Returns 0 or -TT_E_BAD_PARAM (does not fit). */
int tt_totp_uri(const char *issuer, const char *label, const char *secret_b32, char *out,
                size_t out_size);

/* The code of secret at unix time t with digits (6..8) digits, NUL-terminated into out (>= 9).
 * Returns 0 or -TT_E_CRYPTO. */
int tt_totp_code(const uint8_t *secret, size_t len, tt_time t, unsigned digits, char out[9]);

/* Checks code (6 digits) against the steps now-1, now, now+1. A step <= last_step (the last one
 * accepted for this secret; 0 = none) is a replay. Returns 0 with *step set to the matched step
 * (store it as the new last_step), -TT_E_CODE_EXPIRED for a replay, -TT_E_BAD_CODE otherwise.
 * Comparisons are constant time. */
int tt_totp_verify(const uint8_t *secret, size_t len, tt_time now, const char *code,
                   int64_t last_step, int64_t *step);

/* A new recovery code "xxxxx-xxxxx" (base32 lower case, 50 bits) into out. */
void tt_totp_recovery_new(char out[TT_TOTP_RECOVERY_LEN + 1]);
/* Canonical form of a typed recovery code (lower case, '-' restored, spaces dropped) into out.
 * Returns 0, or -TT_E_BAD_CODE when it cannot be one. */
int tt_totp_recovery_normalise(const char *in, char out[TT_TOTP_RECOVERY_LEN + 1]);

#endif
