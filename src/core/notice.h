/* SPDX-License-Identifier: Apache-2.0 */
/* notice.h — the privacy statement as people read it (S12.1, S1.6, S15.1): notice versions with
 * effective dates (policy/notices.yaml) and the human-readable statement rendered from the policy
 * in Markdown or HTML with the jurisdiction's terms, every sentence from a message catalogue. Pure
 * apart from tt_notices_load; results are new allocations owned by the caller. */
#ifndef TT_CORE_NOTICE_H
#define TT_CORE_NOTICE_H

#include <stddef.h>

#include "policy.h"
#include "transfer.h"

#define TT_NOTICE_ERR_MAX 512

/* One version of the statement. substantial: 1 yes, 0 no, -1 "auto" (propose from the diff). */
struct tt_notice_version {
    const char *version;
    tt_time effective;
    const char *summary;
    int substantial;
};

/* notices.yaml: the versions (oldest first) and the contacts of S15.1. */
struct tt_notices {
    const struct tt_notice_version *versions;
    size_t n_versions;
    const char *dpo_email;
    const char *head_office;    /* postal address */
    const char **local_offices; /* "US: …" lines; NULL-terminated */
    const char *authority;      /* the lead supervisory authority */
    void *arena;
};

int tt_notices_load(const char *path, struct tt_notices **out, char err[TT_NOTICE_ERR_MAX]);
int tt_notices_load_buffer(const char *name, const char *yaml, size_t len, struct tt_notices **out,
                           char err[TT_NOTICE_ERR_MAX]);
void tt_notices_free(struct tt_notices *n); /* NULL is a no-op */
/* The version in effect at time at (the latest with effective <= at), or NULL. */
const struct tt_notice_version *tt_notices_current(const struct tt_notices *n, tt_time at);

/* A message catalogue lookup: the text for key, or NULL. */
typedef const char *(*tt_notice_text_fn)(void *cls, const char *key);

enum tt_notice_format { TT_NOTICE_MD = 0, TT_NOTICE_HTML = 1 };

/* Renders the statement of policy p: data map per service, purposes and bases, retention table,
 * recipients (rs/n, the registry; the policy's own table when rs is NULL), rights and deadlines,
 * contacts (from notices, may be NULL), using the terms of jurisdiction (S1.6; "" = the
 * policy's default) and the texts of text(cls, key); lang goes into <html lang>. Returns a
 * malloc'd NUL-terminated document (length in *len if non-NULL) or NULL when memory runs out.
 * Every value from the policy or registry is escaped for the format. */
char *tt_notice_render(const struct tt_policy *p, const struct tt_notices *notices,
                       const struct tt_rcpt *rs, size_t n, const char *jurisdiction,
                       const char *lang, enum tt_notice_format fmt, tt_notice_text_fn text,
                       void *cls, size_t *len);

#endif
