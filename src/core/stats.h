/* SPDX-License-Identifier: Apache-2.0 */
/* stats.h — the anonymised statistics fold (S7.8, S8.4): before expired rows go, they are
 * counted into cells per (service, country, day) with the number of distinct subjects, and
 * nothing else — no subject id, no value, no finer time than the day. Cells are published only
 * when at least k distinct subjects stand behind them. Pure: no I/O, no clock.
 * A fold is used by one thread at a time. */
#ifndef TT_CORE_STATS_H
#define TT_CORE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

#define TT_STATS_K_DEFAULT 5 /* the smallest published crowd (issue 6) */
#define TT_STATS_K_MAX 1000
#define TT_STATS_MAX_CELLS 262144 /* per fold (one sweep batch: at least TT_SWEEP_BATCH_MAX) */

struct tt_stats_fold;

/* One cell of a fold, as handed out by tt_stats_fold_each. */
struct tt_stats_out {
    const char *service;
    const char *country; /* ISO alpha-2, "ZZ" when unknown */
    int64_t day;         /* unix day: seconds / 86400, floor */
    int64_t messages;    /* rows folded */
    int64_t subjects;    /* distinct subjects among them (a hash collision only lowers it) */
};

/* A new empty fold, or NULL when out of memory. */
struct tt_stats_fold *tt_stats_fold_new(void);
void tt_stats_fold_free(struct tt_stats_fold *f); /* NULL is a no-op */
/* Empties the fold for the next batch, keeping its memory. */
void tt_stats_fold_reset(struct tt_stats_fold *f);

/* Counts one row of subject_id (used only to count distinct subjects, never kept: the fold
 * stores a keyed hash of it that tt_stats_fold_reset forgets) collected at collected_at, for a
 * subject of that jurisdiction. Returns 0, -TT_E_NOMEM, or -TT_E_BATCH_TOO_LARGE past
 * TT_STATS_MAX_CELLS cells. */
int tt_stats_fold_add(struct tt_stats_fold *f, const char *service, const char *jurisdiction,
                      const char *subject_id, tt_time collected_at);

/* The same for rows (>= 1) rows of one subject, service and day at once (a group the store
 * counted); -TT_E_BAD_PARAM when rows < 1. */
int tt_stats_fold_add_n(struct tt_stats_fold *f, const char *service, const char *jurisdiction,
                        const char *subject_id, tt_time collected_at, int64_t rows);

/* Calls cb for each cell (order unspecified); cb returns non-zero to stop. Returns the number of
 * cells. */
size_t tt_stats_fold_each(const struct tt_stats_fold *f,
                          int (*cb)(void *cls, const struct tt_stats_out *cell), void *cls);

/* Rows folded since the last reset. */
int64_t tt_stats_fold_rows(const struct tt_stats_fold *f);

/* The country of a jurisdiction ("US-CA" → "US", "nl" → "NL"; "" or malformed → "ZZ"). */
void tt_stats_country(const char *jurisdiction, char out[3]);
/* The unix day of t (floor, also for times before 1970). */
int64_t tt_stats_day(tt_time t);
/* 1 when a cell with that many distinct subjects may be published under k, else 0. */
int tt_stats_publishable(int64_t subjects, int k);

#endif
