/* SPDX-License-Identifier: Apache-2.0 */
/* adequacy.h — where personal data may go without further safeguards (S5.1, S5.2), as data with
 * effective dates (policy/adequacy.yaml): the EEA countries and the adequacy decisions, including
 * those struck down. Loaded once, then immutable and safe to share between threads. */
#ifndef TT_CORE_ADEQUACY_H
#define TT_CORE_ADEQUACY_H

#include <stddef.h>

#include "types.h"

#define TT_ADEQUACY_ERR_MAX 512

struct tt_adequacy_entry {
    const char *key;     /* "us_dpf" */
    const char *country; /* ISO alpha-2 */
    const char *name;
    const char *instrument; /* the legal act or judgment */
    tt_time from;           /* in force from (UTC midnight of the date) */
    tt_time until;          /* no longer in force from then; 0 = open-ended */
};

struct tt_adequacy {
    const char **eea;
    size_t n_eea;
    const struct tt_adequacy_entry *entries;
    size_t n_entries;
    void *arena; /* private: owns everything above */
};

/* Loads an adequacy file. On success *out owns a new table (free with tt_adequacy_free). On
 * failure returns a negative code, *out untouched, err holds "FILE:LINE: reason". */
int tt_adequacy_load(const char *path, struct tt_adequacy **out, char err[TT_ADEQUACY_ERR_MAX]);
int tt_adequacy_load_buffer(const char *name, const char *yaml, size_t len,
                            struct tt_adequacy **out, char err[TT_ADEQUACY_ERR_MAX]);
void tt_adequacy_free(struct tt_adequacy *a); /* NULL is a no-op */

/* 1 when the country (alpha-2; "US-CA" counts as "US") is in the EEA, else 0. */
int tt_adequacy_in_eea(const struct tt_adequacy *a, const char *country);
/* The adequacy decision in force for country at time at, or NULL (none, or only expired ones). */
const struct tt_adequacy_entry *tt_adequacy_in_force(const struct tt_adequacy *a,
                                                     const char *country, tt_time at);
/* The entry with that key, or NULL. */
const struct tt_adequacy_entry *tt_adequacy_get(const struct tt_adequacy *a, const char *key);

#endif
