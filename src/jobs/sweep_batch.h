/* SPDX-License-Identifier: Apache-2.0 */
/* sweep_batch.h — what one sweep batch deleted, gathered for the statistics fold and the counts
 * per rule (issue 6, S7.8): strings are interned once per batch (subjects, services, categories,
 * purposes), rows are kept as small index tuples, and the batch's distinct
 * subjects are listed for one lookup each. Nothing outlives tt__sb_reset. Internal to src/jobs;
 * one thread at a time. */
#ifndef TT_JOBS_SWEEP_BATCH_H
#define TT_JOBS_SWEEP_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "../store/retention_store.h"

/* One group of deleted rows; the u32 fields are interned strings (tt__sb_str). */
struct tt__sb_row {
    uint32_t subject, service, category, purpose;
    tt_time collected_at;
    int64_t rows;
    int child;
};

struct tt__sweep_batch;

struct tt__sweep_batch *tt__sb_new(void);     /* NULL when out of memory */
void tt__sb_free(struct tt__sweep_batch *b);  /* NULL is a no-op */
void tt__sb_reset(struct tt__sweep_batch *b); /* empties it, keeping its memory */

/* Adds a group handed back by the store's expired_take. 0 or -TT_E_NOMEM. */
int tt__sb_add(struct tt__sweep_batch *b, const struct tt_swept_rows *g);

size_t tt__sb_count(const struct tt__sweep_batch *b); /* groups added */
const struct tt__sb_row *tt__sb_row(const struct tt__sweep_batch *b, size_t i);
const char *tt__sb_str(const struct tt__sweep_batch *b, uint32_t id); /* an interned string */
int64_t tt__sb_rows(const struct tt__sweep_batch *b);                 /* rows in all groups */

/* The batch's distinct subject ids (valid until the next add or reset), *n of them. */
const char *const *tt__sb_subjects(struct tt__sweep_batch *b, size_t *n);

/* Records what the store said of a subject of the batch (tt_sweep_subject_cb shape: cls is the
 * batch; never allocates, so the ids of tt__sb_subjects stay valid). Returns 0. */
int tt__sb_subject_info(void *cls, const struct tt_sweep_subject *s);

/* The jurisdiction ("" when the subject was not found) and horizon of an interned subject. */
const char *tt__sb_jurisdiction(const struct tt__sweep_batch *b, uint32_t subject);
tt_time tt__sb_horizon(const struct tt__sweep_batch *b, uint32_t subject);
/* 1 when the store marks the subject a child (S10.1). */
int tt__sb_child(const struct tt__sweep_batch *b, uint32_t subject);
/* The interned id of the i-th distinct subject (the order of tt__sb_subjects). */
uint32_t tt__sb_subject_at(const struct tt__sweep_batch *b, size_t i);

#endif
