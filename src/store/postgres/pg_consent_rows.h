/* SPDX-License-Identifier: Apache-2.0 */
/* pg_consent_rows.h — PostgreSQL array literals in text form ('{"a","b"}', '{1,2}',
 * '{"\\x00ff",NULL}'), so a batch of consent rows travels as one parameter per column and is
 * inserted by one statement with unnest() (issue 4: one round trip per batch, not per event). */
#ifndef TT_STORE_PG_CONSENT_ROWS_H
#define TT_STORE_PG_CONSENT_ROWS_H

#include <stddef.h>
#include <stdint.h>

/* A growing array literal. Zero-initialise; free with pg_array_free. After an allocation
 * failure every call is a no-op and pg_array_text returns NULL. */
struct pg_array {
    char *p;
    size_t len, cap;
    size_t n; /* elements so far */
    int oom;
};

/* Appends a text element (quoted; '"' and '\' escaped). */
void pg_array_text(struct pg_array *a, const char *s);
/* Appends a BIGINT element. */
void pg_array_int(struct pg_array *a, int64_t v);
/* Appends a BYTEA element in hex form, or NULL when p is NULL or len 0. */
void pg_array_bytes(struct pg_array *a, const uint8_t *p, size_t len);
/* The literal ("{…}", NUL-terminated), owned by a; NULL after an allocation failure. */
const char *pg_array_text_of(struct pg_array *a);
/* Appends the n texts of s (an id list for "= ANY ($k::text[])") and returns the literal, as
 * pg_array_text_of. */
const char *pg_array_of_texts(struct pg_array *a, const char *const *s, size_t n);
void pg_array_free(struct pg_array *a);

#endif
