/* SPDX-License-Identifier: Apache-2.0 */
/* common.h — helpers shared by the resource handlers of src/api: store status to problem,
 * tenant-scoped subject loading (another tenant's id is 404, never 403), subject keys, the
 * associated data that binds sealed values to their owner, JSON renderings without personal
 * values, and paging parameters. */
#ifndef TT_API_COMMON_H
#define TT_API_COMMON_H

#include <jansson.h>
#include <stdint.h>

#include "../core/ident.h"
#include "../core/vault.h"
#include "app.h"

#define TT_VALUE_AD_MAX (3 * TT_ID_MAX + 4)
#define TT_PAGE_DEFAULT 100
#define TT_PAGE_MAX 1000

/* A failed store status as a problem: TT_QS_SOFT (retries exhausted) is 503, anything else 500.
 * Returns the negative code. */
int tt__api_store_err(struct tt_resp *resp, enum tt_qs qs);

/* 1 when id has the prefix ("sub_") and fits TT_ID_MAX, else 0. */
int tt__api_id_ok(const char *id, const char *prefix);

/* Loads subject id of tenant_id: 404 naming field when it does not exist in that tenant (or is
 * not an id at all), 410 when erased. Returns 0 and fills out, or a negative code. */
int tt__api_subject_load(struct tt_store_conn *c, const char *tenant_id, const char *id,
                         const char *field, struct tt_subject *out, struct tt_resp *resp);

/* Unwraps the subject's MAIN key into key. 410 when it was destroyed, 500 when missing or
 * not unwrappable. The caller wipes key (sodium_memzero) when done. */
int tt__api_subject_key(struct tt_app *app, struct tt_store_conn *c, const struct tt_subject *s,
                        uint8_t key[TT_KEY_BYTES], struct tt_resp *resp);

/* The associated data of a sealed value: "tenant/subject/value-id" (record or identity id). */
void tt__api_value_ad(const char *tenant_id, const char *subject_id, const char *value_id,
                      char out[TT_VALUE_AD_MAX]);

/* The taxonomy category an identity type belongs to ("user.contact.email", …). */
const char *tt__api_identity_category(enum tt_identity_type t);

/* RFC 3339 string, or JSON null for 0. New reference (NULL on allocation failure). */
json_t *tt__api_time(tt_time t);

/* Renderings (new references, NULL on allocation failure). No personal value in any. */
json_t *tt__api_subject_json(const struct tt_subject *s);
json_t *tt__api_identity_json(const struct tt_identity *i);
json_t *tt__api_record_json(const struct tt_record *r);

/* Reads ?after= and ?limit= (default TT_PAGE_DEFAULT, 1..TT_PAGE_MAX) into page.
 * Returns 0 or a 400 problem naming the parameter. */
int tt__api_page(const struct tt_req *req, struct tt_page *page, struct tt_resp *resp);

/* Copies src into dst (size bytes) if it fits; 1 on success, 0 when too long. */
int tt__api_copy(char *dst, size_t size, const char *src);

/* Shorthand for an allocation failure. */
int tt__api_nomem(struct tt_resp *resp);

/* An identity on its way to the store: parsed and normalised (core/ident.h), then blind-indexed
 * and sealed under the subject key. sealed backs i.value_enc. */
struct tt__api_identity {
    struct tt_identity i;
    char norm[TT_IDENT_MAX]; /* wiped by tt__api_identity_seal */
    uint8_t sealed[TT_IDENT_MAX + TT_SEAL_OVERHEAD];
};

/* Checks one identity object {type, value} (prefix names it in problems: "identities/2/") and
 * normalises it into out. Returns 0 or a 400/422 problem naming the field (invalid email or
 * phone: 422 naming "<prefix>value"); never echoes the value. */
int tt__api_identity_parse(const json_t *obj, const char *prefix, struct tt__api_identity *out,
                           struct tt_resp *resp);
/* Gives out an id, its blind index and its sealed value for subject s under key; wipes the
 * normalised text. Returns 0 or a 500 problem. */
int tt__api_identity_seal(struct tt_app *app, const struct tt_subject *s,
                          const uint8_t key[TT_KEY_BYTES], tt_time now,
                          struct tt__api_identity *out, struct tt_resp *resp);

#endif
