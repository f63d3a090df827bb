/* SPDX-License-Identifier: Apache-2.0 */
/* token.c — the API token format "tt_<key_id>_<secret>" (http.h), shared by the HTTP auth, the
 * CLI that prints new keys and the API that creates them. Only the hash of the secret is
 * stored; this file never logs or keeps either half. */
#include "http.h"

#include <string.h>

#include "../core/error.h"

static int is_lower_alpha(char c)
{
    return c >= 'a' && c <= 'z';
}

static int is_id_char(char c)
{
    return is_lower_alpha(c) || (c >= '0' && c <= '9');
}

static int is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || is_lower_alpha(c) || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Length of a key id at s ("prefix_idchars"), stopping before the next '_' or the end; 0 when
 * s does not start with one. */
static size_t key_id_len(const char *s)
{
    size_t i = 0;
    while (is_lower_alpha(s[i]))
        i++;
    if (i == 0 || s[i] != '_')
        return 0;
    size_t start = ++i;
    while (is_id_char(s[i]))
        i++;
    if (i == start || i >= TT_ID_MAX)
        return 0;
    return i;
}

static size_t secret_len(const char *s)
{
    size_t i = 0;
    while (i <= TT_API_SECRET_MAX && is_b64url(s[i]))
        i++;
    if (s[i] != '\0' || i < 16 || i > TT_API_SECRET_MAX)
        return 0;
    return i;
}

int tt_api_token_parse(const char *token, char key_id[TT_ID_MAX], char *secret, size_t secret_size)
{
    if (!token || strncmp(token, "tt_", 3) != 0)
        return -TT_E_UNAUTHORIZED;
    const char *k = token + 3;
    size_t klen = key_id_len(k);
    if (klen == 0 || k[klen] != '_')
        return -TT_E_UNAUTHORIZED;
    const char *sec = k + klen + 1;
    size_t slen = secret_len(sec);
    if (slen == 0 || slen >= secret_size)
        return -TT_E_UNAUTHORIZED;
    memcpy(key_id, k, klen);
    key_id[klen] = '\0';
    memcpy(secret, sec, slen + 1);
    return 0;
}

int tt_api_token_format(const char *key_id, const char *secret, char *out, size_t out_size)
{
    if (!key_id || !secret || !out)
        return -TT_E_BAD_PARAM;
    size_t klen = key_id_len(key_id);
    if (klen == 0 || key_id[klen] != '\0')
        return -TT_E_BAD_PARAM;
    size_t slen = secret_len(secret);
    if (slen == 0)
        return -TT_E_BAD_PARAM;
    size_t need = 3 + klen + 1 + slen + 1;
    if (need > out_size)
        return -TT_E_BAD_PARAM;
    memcpy(out, "tt_", 3);
    memcpy(out + 3, key_id, klen);
    out[3 + klen] = '_';
    memcpy(out + 4 + klen, secret, slen + 1);
    return 0;
}
