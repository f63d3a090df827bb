/* SPDX-License-Identifier: Apache-2.0 */
/* pg_batched.c — a pipelined transaction's purpose states and change-feed rows as multi-row
 * statements (pg_batched.h; issue 9). A consent batch writes one purpose state and one feed row
 * per event; sent one statement each they cost the backend that holds the chain's lock two
 * statements' overhead per event. Kept here instead, they go out as one guarded unnest()
 * statement per table when the next statement of any other kind is sent. */
#include "pg_batched.h"

#include <stdlib.h>
#include <string.h>

#include "pg_consent_rows.h"

struct feed_row {
    char tenant_id[TT_ID_MAX];
    char subject_id[TT_ID_MAX];
    int kind;
    tt_time at;
};

struct pg_batched {
    struct tt_purpose_state *ps;
    size_t n_ps, cap_ps;
    struct feed_row *feed;
    size_t n_feed, cap_feed;
    char *node; /* the writing node of every kept feed row */
    int sending;
};

/* Inserts or replaces every state whose subject exists, all of one kind of put ($8: changes,
 * types.h: the whole row, or one field kept as stored for a subject not erased); where fewer
 * rows were written than states sent (a subject missing or erased), it divides by zero. */
static const struct pg_stmt ST_PURPOSES = {
    TT_PG_BATCHED_SLOT, "tt_batched_purposes", "ttttttii",
    "WITH g AS (INSERT INTO subject_purposes (tenant_id, subject_id, purpose, consent, objection,"
    " updated_at) SELECT u.* FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[],"
    " $5::bigint[], $6::bigint[]) AS u (t, s, p, c, o, a)"
    " WHERE EXISTS (SELECT 1 FROM subjects WHERE tenant_id = u.t AND subject_id = u.s"
    " AND ($8 = 0 OR erased_at = 0))"
    " ON CONFLICT (tenant_id, subject_id, purpose) DO UPDATE SET"
    " consent = CASE WHEN $8 = 2 THEN subject_purposes.consent ELSE EXCLUDED.consent END,"
    " objection = CASE WHEN $8 = 1 THEN subject_purposes.objection ELSE EXCLUDED.objection END,"
    " updated_at = EXCLUDED.updated_at RETURNING 1)"
    " SELECT 1 / (count(*) = $7)::int FROM g",
    NULL};
/* The rows in order (the commit is announced after it, pg_announce.c); a row short divides by
 * zero. */
static const struct pg_stmt ST_FEED = {
    TT_PG_BATCHED_SLOT + 1, "tt_batched_feed", "ttttti",
    "WITH f AS (INSERT INTO change_feed (tenant_id, kind, subject_id, node_id, at)"
    " SELECT u.t, u.k, u.s, $4, u.a FROM unnest($1::text[], $2::bigint[], $3::text[],"
    " $5::bigint[]) AS u (t, k, s, a) RETURNING 1)"
    " SELECT 1 / ((SELECT count(*) FROM f) = $6)::int",
    NULL};

static struct pg_batched *of(struct pg_conn *c)
{
    if (!c->batched)
        c->batched = calloc(1, sizeof *c->batched);
    return c->batched;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t want = *cap ? 2 * *cap : 64;
    void *q = realloc(*p, want * size);
    if (!q)
        return -1;
    *p = q;
    *cap = want;
    return 0;
}

enum tt_qs tt__pg_batched_purpose(struct pg_conn *c, const struct tt_purpose_state *ps)
{
    struct pg_batched *b = of(c);
    if (!b || grow((void **)&b->ps, &b->cap_ps, b->n_ps, sizeof *b->ps) < 0)
        return TT_QS_HARD;
    b->ps[b->n_ps++] = *ps;
    return TT_QS_ONE;
}

enum tt_qs tt__pg_batched_feed(struct pg_conn *c, const char *tenant_id, int kind,
                               const char *subject_id, const char *node, tt_time at)
{
    struct pg_batched *b = of(c);
    if (!b || strlen(tenant_id) >= TT_ID_MAX || strlen(subject_id) >= TT_ID_MAX)
        return TT_QS_HARD;
    if (b->node && strcmp(b->node, node) != 0) { /* one node per statement */
        enum tt_qs qs = tt__pg_batched_flush(c);
        if (qs < 0)
            return qs;
    }
    if (!b->node && !(b->node = strdup(node)))
        return TT_QS_HARD;
    if (grow((void **)&b->feed, &b->cap_feed, b->n_feed, sizeof *b->feed) < 0)
        return TT_QS_HARD;
    struct feed_row *r = &b->feed[b->n_feed++];
    memcpy(r->tenant_id, tenant_id, strlen(tenant_id) + 1);
    memcpy(r->subject_id, subject_id, strlen(subject_id) + 1);
    r->kind = kind;
    r->at = at;
    return TT_QS_ONE;
}

static int key_cmp(const struct tt_purpose_state *a, const struct tt_purpose_state *b)
{
    int d = strcmp(a->tenant_id, b->tenant_id);
    if (d == 0)
        d = strcmp(a->subject_id, b->subject_id);
    return d ? d : strcmp(a->purpose, b->purpose);
}

/* by key, then by arrival (the states are one array): the last of each key is the one kept */
static int by_key(const void *x, const void *y)
{
    const struct tt_purpose_state *a = *(const struct tt_purpose_state *const *)x;
    const struct tt_purpose_state *b = *(const struct tt_purpose_state *const *)y;
    int d = key_cmp(a, b);
    return d ? d : (a > b) - (a < b);
}

/* The states to write in place of b's, one per (tenant, subject, purpose) — an upsert may not
 * touch one row twice in a statement — in key order: a row's puts folded in arrival order (a
 * later whole-row put replaces; a later one-field put keeps the field it does not change from
 * the earlier puts, and writes both when they changed both). Returns the number, or -1. */
static long fold_states(struct pg_batched *b)
{
    struct tt_purpose_state **ix = malloc(b->n_ps * sizeof *ix);
    struct tt_purpose_state *out = malloc(b->n_ps * sizeof *out);
    if (!ix || !out) {
        free(ix);
        free(out);
        return -1;
    }
    for (size_t i = 0; i < b->n_ps; i++)
        ix[i] = &b->ps[i];
    qsort(ix, b->n_ps, sizeof *ix, by_key);
    size_t n = 0;
    for (size_t k = 0; k < b->n_ps; k++) {
        const struct tt_purpose_state *ps = ix[k];
        if (n > 0 && key_cmp(&out[n - 1], ps) == 0) {
            struct tt_purpose_state *o = &out[n - 1];
            int was = o->changes;
            tt_time at = ps->updated_at;
            if (ps->changes == TT_PS_WHOLE)
                *o = *ps;
            else if (ps->changes == TT_PS_CONSENT)
                o->consent = ps->consent;
            else
                o->objection = ps->objection;
            if (ps->changes != TT_PS_WHOLE && was != ps->changes)
                o->changes = TT_PS_WHOLE; /* both fields (or a whole row, then one field) */
            o->updated_at = at;
        } else {
            out[n++] = *ps;
        }
    }
    free(ix);
    memcpy(b->ps, out, n * sizeof *out);
    free(out);
    return (long)n;
}

/* Text arrays of the folded states whose put is of kind `changes`. Returns the rows. */
static long purpose_arrays(const struct pg_batched *b, size_t n, int changes,
                           struct pg_array col[6])
{
    long rows = 0;
    for (size_t k = 0; k < n; k++) {
        const struct tt_purpose_state *ps = &b->ps[k];
        if (ps->changes != changes)
            continue;
        pg_array_text(&col[0], ps->tenant_id);
        pg_array_text(&col[1], ps->subject_id);
        pg_array_text(&col[2], ps->purpose);
        pg_array_int(&col[3], ps->consent);
        pg_array_int(&col[4], ps->objection);
        pg_array_int(&col[5], ps->updated_at);
        rows++;
    }
    return rows;
}

/* Sends the n columns' literals and the trailing parameters (rows, then `changes` when >= 0)
 * as one guarded statement. */
static enum tt_qs send_cols(struct pg_conn *c, const struct pg_stmt *st, struct pg_array *col,
                            int n, const char *node, long rows, int changes)
{
    struct pg_args a = {0};
    int oom = 0;
    for (int k = 0; k < n; k++) {
        const char *lit = pg_array_text_of(&col[k]);
        oom |= !lit;
        tt__pg_arg_text(&a, lit ? lit : "{}");
        if (node && k == 2)
            tt__pg_arg_text(&a, node); /* the feed's $4, between its columns */
    }
    tt__pg_arg_int(&a, rows);
    if (changes >= 0)
        tt__pg_arg_int(&a, changes);
    enum tt_qs qs = oom ? TT_QS_HARD : tt__pg_defer_guarded(c, st, st->sql, &a, TT_QS_HARD);
    for (int k = 0; k < n; k++)
        pg_array_free(&col[k]);
    return qs;
}

/* One statement per kind of put among the kept states (a consent batch's are all of one). */
static enum tt_qs flush_purposes(struct pg_conn *c, struct pg_batched *b)
{
    long n = fold_states(b);
    b->n_ps = 0;
    if (n < 0)
        return TT_QS_HARD;
    static const int kinds[] = {TT_PS_WHOLE, TT_PS_CONSENT, TT_PS_OBJECTION};
    enum tt_qs qs = TT_QS_ONE;
    for (size_t k = 0; qs >= 0 && k < sizeof kinds / sizeof kinds[0]; k++) {
        struct pg_array col[6];
        memset(col, 0, sizeof col);
        long rows = purpose_arrays(b, (size_t)n, kinds[k], col);
        if (rows > 0)
            qs = send_cols(c, &ST_PURPOSES, col, 6, NULL, rows, kinds[k]);
        else
            for (int i = 0; i < 6; i++)
                pg_array_free(&col[i]);
    }
    return qs;
}

static enum tt_qs flush_feed(struct pg_conn *c, struct pg_batched *b)
{
    struct pg_array col[4];
    memset(col, 0, sizeof col);
    for (size_t i = 0; i < b->n_feed; i++) {
        pg_array_text(&col[0], b->feed[i].tenant_id);
        pg_array_int(&col[1], b->feed[i].kind);
        pg_array_text(&col[2], b->feed[i].subject_id);
        pg_array_int(&col[3], b->feed[i].at);
    }
    long rows = (long)b->n_feed;
    b->n_feed = 0;
    enum tt_qs qs = send_cols(c, &ST_FEED, col, 4, b->node, rows, -1);
    free(b->node);
    b->node = NULL;
    return qs;
}

enum tt_qs tt__pg_batched_flush(struct pg_conn *c)
{
    struct pg_batched *b = c->batched;
    if (!b || b->sending || (b->n_ps == 0 && b->n_feed == 0))
        return TT_QS_ONE;
    b->sending = 1; /* the statements below go out through the senders that call us */
    enum tt_qs qs = b->n_ps ? flush_purposes(c, b) : TT_QS_ONE;
    if (qs >= 0 && b->n_feed)
        qs = flush_feed(c, b);
    b->sending = 0;
    if (qs < 0)
        tt__pg_batched_drop(c);
    return qs;
}

void tt__pg_batched_drop(struct pg_conn *c)
{
    struct pg_batched *b = c->batched;
    if (!b)
        return;
    b->n_ps = b->n_feed = 0;
    free(b->node);
    b->node = NULL;
}

void tt__pg_batched_free(struct pg_conn *c)
{
    struct pg_batched *b = c->batched;
    if (!b)
        return;
    free(b->ps);
    free(b->feed);
    free(b->node);
    free(b);
    c->batched = NULL;
}
