/* SPDX-License-Identifier: Apache-2.0 */
/* retention_ends_sql.h — the set-based recomputation of retention ends (issue 6, S7.0–S7.3):
 * renders, from a plan of the policy's rules (core/retention_plan.h), ONE UPDATE that computes the
 * new end of every record of a range in SQL and writes only the ends that move. Shared by the
 * SQLite and PostgreSQL backends; each gives its dialect.
 *
 * The statement follows tt_retention_rule_for and tt_retention_end_ev exactly: the rule is the
 * first case the record's (service, category, purpose) matches; the months are the rule's
 * jurisdiction override for the subject ("US" covers "US-CA", in the rule's order) or its
 * default; the anchor is the collection (collected, last interaction, event), the end of the
 * collection's year (financial year), the subject's contract end or the withdrawal of the
 * record's purpose (never before collection; open, 0, until it happens); a rule ended by
 * withdrawal ends at the withdrawal when that comes first (S7.3). A withdrawal is the time the
 * subject's state of the record's purpose last changed to withdrawn consent or an objection.
 * Legal holds do not move ends: the sweep passes held rows by (S7.6).
 *
 * Parameters: 1 tenant id, 2 the range's exclusive lower record id, 3 its inclusive upper
 * record id (by subject: the subject id), 4 a service ("" = all). */
#ifndef TT_STORE_RETENTION_ENDS_SQL_H
#define TT_STORE_RETENTION_ENDS_SQL_H

#include "../core/retention_plan.h"

enum tt_ends_dialect { TT_ENDS_SQLITE, TT_ENDS_POSTGRES };

/* The UPDATE for plan in dialect d, over a range of record ids (by_subject = 0) or over one
 * subject's records after a record id (by_subject = 1). Returns a malloc'd string the caller
 * frees, or NULL when out of memory. Policy keys are quoted as SQL literals. */
char *tt__retention_ends_sql(const struct tt_end_plan *plan, enum tt_ends_dialect d,
                             int by_subject);

#endif
