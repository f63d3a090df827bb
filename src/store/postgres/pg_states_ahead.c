/* SPDX-License-Identifier: Apache-2.0 */
/* pg_states_ahead.c — a subject read outside a transaction brings its purpose states along, in
 * the same statement and round trip, and the connection keeps them for a purpose_state_list of
 * that subject that follows on it (issue 9). Recording a consent reads the subject and then its
 * states; two round trips on the pool before the event reaches the committer become one.
 *
 * Kept states answer only what a list sent at the subject's read would have answered: they are
 * dropped by the next statement sent on the connection, by the next acquisition of it (both pass
 * tt__pg_usable) and by a transaction (never used inside one), so a connection never answers
 * from a copy older than one of its own writes, and what any other session committed in between
 * is a write concurrent with the read, as it would be with two reads. */
#include "pg_internal.h"

#include <stdlib.h>
#include <string.h>

/* the subject's columns (SUBJECT_COLS of pg_subjects.c, in its order), then its states: one row
 * per state, or one with NULL states when it has none. Not ordered here: a sort in the plan cost
 * the backend more than the join itself (a Sort node set up per request); keep() orders the
 * few rows by purpose as purpose_state_list answers them. */
const struct pg_stmt tt__pg_st_subject_get_ahead = {
    PG_SUBJECT_GET_AHEAD, "tt_subject_get_ahead", "tt",
    "SELECT s.tenant_id, s.subject_id, s.kind, s.jurisdiction, s.has_birth_date, s.is_child,"
    " s.contract_active, s.contract_ended_at, s.restricted, s.retention_until, s.created_at,"
    " s.updated_at, s.erased_at, p.purpose, p.consent, p.objection, p.updated_at"
    " FROM subjects s LEFT JOIN subject_purposes p"
    " ON p.tenant_id = s.tenant_id AND p.subject_id = s.subject_id"
    " WHERE s.tenant_id = $1 AND s.subject_id = $2",
    NULL};

enum { COL_PURPOSE = 13, COL_CONSENT, COL_OBJECTION, COL_UPDATED };

/* purpose order, byte by byte (the column's collation is "C") */
static int by_purpose(const void *a, const void *b)
{
    return strcmp(((const struct tt_purpose_state *)a)->purpose,
                  ((const struct tt_purpose_state *)b)->purpose);
}

void tt__pg_states_ahead_keep(struct pg_conn *c, const PGresult *r, const struct tt_subject *s)
{
    int rows = PQntuples(r);
    if (rows == 1 && PQgetisnull(r, 0, COL_PURPOSE))
        rows = 0;
    if (rows > PG_STATES_AHEAD)
        return;
    for (int i = 0; i < rows; i++) {
        struct tt_purpose_state *ps = &c->ahead.rows[i];
        memset(ps, 0, sizeof *ps);
        memcpy(ps->tenant_id, s->tenant_id, sizeof ps->tenant_id);
        memcpy(ps->subject_id, s->id, sizeof ps->subject_id);
        if (tt__pg_text(r, i, COL_PURPOSE, ps->purpose, sizeof ps->purpose) < 0)
            return;
        ps->consent = (enum tt_consent_state)tt__pg_int(r, i, COL_CONSENT);
        ps->objection = (int)tt__pg_int(r, i, COL_OBJECTION);
        ps->updated_at = tt__pg_int(r, i, COL_UPDATED);
    }
    qsort(c->ahead.rows, (size_t)rows, sizeof c->ahead.rows[0], by_purpose);
    memcpy(c->ahead.tenant_id, s->tenant_id, sizeof c->ahead.tenant_id);
    memcpy(c->ahead.subject_id, s->id, sizeof c->ahead.subject_id);
    c->ahead.n = rows;
    c->ahead.valid = 1;
}

int tt__pg_states_ahead_take(struct pg_conn *c, const char *tenant_id, const char *subject_id,
                             tt_purpose_state_cb cb, void *cls, enum tt_qs *qs)
{
    if (!c->ahead.valid || c->in_txn || c->n_pending)
        return 0;
    if (strcmp(c->ahead.tenant_id, tenant_id) != 0 || strcmp(c->ahead.subject_id, subject_id) != 0)
        return 0;
    c->ahead.valid = 0; /* answered once */
    int seen = 0;
    for (int i = 0; i < c->ahead.n; i++) {
        seen++;
        if (cb && cb(cls, &c->ahead.rows[i]))
            break;
    }
    *qs = (enum tt_qs)seen;
    return 1;
}
