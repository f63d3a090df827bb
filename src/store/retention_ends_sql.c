/* SPDX-License-Identifier: Apache-2.0 */
/* retention_ends_sql.c — the set-based recomputation statement (retention_ends_sql.h). Each level
 * is a subquery fenced by OFFSET 0, so both engines compute its columns once per row instead of
 * repeating the rule's CASE inside every later expression. Calendar arithmetic is integer
 * arithmetic on the anchor's YYYYMMDD (one date conversion per row): SQLite's date functions
 * cost several times more per call than the whole rest of the row. */
#include "retention_ends_sql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/types.h"

struct sql {
    char *p;
    size_t n, cap;
    int oom;
};

static void put(struct sql *s, const char *fmt, ...)
{
    if (s->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int len = vsnprintf(s->p ? s->p + s->n : NULL, s->p ? s->cap - s->n : 0, fmt, ap);
        va_end(ap);
        if (len < 0) {
            s->oom = 1;
            return;
        }
        if (s->p && s->n + (size_t)len < s->cap) {
            s->n += (size_t)len;
            return;
        }
        size_t cap = (s->cap ? s->cap * 2 : 4096) + (size_t)len;
        char *np = realloc(s->p, cap);
        if (!np) {
            s->oom = 1;
            return;
        }
        s->p = np;
        s->cap = cap;
    }
}

/* a policy key followed by suffix, as an SQL literal (quotes doubled) */
static void lit_suffix(struct sql *s, const char *v, const char *suffix)
{
    put(s, "'");
    for (const char *q = v; *q; q++)
        put(s, *q == '\'' ? "''" : "%c", *q);
    put(s, "%s'", suffix);
}

/* a policy key as an SQL literal */
static void lit(struct sql *s, const char *v)
{
    lit_suffix(s, v, "");
}

/* closes a level, fenced so its columns are computed once per row */
static void close_level(struct sql *s, enum tt_ends_dialect d, const char *alias)
{
    put(s, "%s) %s", d == TT_ENDS_SQLITE ? " LIMIT -1 OFFSET 0" : " OFFSET 0", alias);
}

/* K: the index of the record's rule, -1 when no case matches */
static void rule_case(struct sql *s, const struct tt_end_plan *plan)
{
    put(s, "CASE");
    for (size_t i = 0; i < plan->n_cases; i++) {
        const struct tt_end_case *c = &plan->cases[i];
        const char *and = "";
        put(s, " WHEN ");
        if (c->service) {
            put(s, "r.service = ");
            lit(s, c->service);
            and = " AND ";
        }
        if (c->category) {
            put(s, "%sr.data_category = ", and);
            lit(s, c->category);
            and = " AND ";
        }
        if (c->purpose) {
            put(s, "%sr.purpose = ", and);
            lit(s, c->purpose);
        }
        put(s, " THEN %zu", c->rule);
    }
    put(s, " ELSE -1 END");
}

/* M: the rule's months for the subject's jurisdiction j, in byte order on both engines
 * (core/retention.c) */
static void months_case(struct sql *s, const struct tt_policy *p)
{
    put(s, "CASE k");
    for (size_t i = 0; i < p->n_retention; i++) {
        const struct tt_retention *r = &p->retention[i];
        put(s, " WHEN %zu THEN ", i);
        if (r->n_overrides == 0) {
            put(s, "%d", r->months);
            continue;
        }
        put(s, "CASE");
        for (size_t j = 0; j < r->n_overrides; j++) {
            const char *jur = r->overrides[j].jurisdiction;
            put(s, " WHEN j = ");
            lit(s, jur);
            /* "US" covers "US-CA": j starts with "US-", i.e. "US-" <= j < "US." in byte order
             * (plain comparisons: SQLite's substr costs a function call per row) */
            put(s, " OR (j >= ");
            lit_suffix(s, jur, "-");
            put(s, " AND j < ");
            lit_suffix(s, jur, ".");
            put(s, ") THEN %d", r->overrides[j].months);
        }
        put(s, " ELSE %d END", r->months);
    }
    put(s, " ELSE 0 END");
}

/* "k IN (…)" over the rules that pred selects; 0 when none does */
static void rules_in(struct sql *s, const struct tt_policy *p,
                     int (*pred)(const struct tt_retention *))
{
    const char *sep = "k IN (";
    for (size_t i = 0; i < p->n_retention; i++)
        if (pred(&p->retention[i])) {
            put(s, "%s%zu", sep, i);
            sep = ", ";
        }
    put(s, *sep == 'k' ? "0 = 1" : ")");
}

static int ends_on_withdrawal(const struct tt_retention *r)
{
    return r->ends_on_withdrawal;
}

/* B: the time the months count from, NULL while the anchor has not happened */
static void base_case(struct sql *s, const struct tt_policy *p, enum tt_ends_dialect d)
{
    put(s, "CASE k");
    for (size_t i = 0; i < p->n_retention; i++) {
        put(s, " WHEN %zu THEN ", i);
        switch (p->retention[i].anchor) {
        case TT_ANCHOR_COLLECTED:
        case TT_ANCHOR_EVENT:
        case TT_ANCHOR_LAST_INTERACTION:
            put(s, "c");
            break;
        case TT_ANCHOR_FINANCIAL_YEAR_END: /* 31 December 23:59:59 UTC of the collection year */
            put(s, d == TT_ENDS_SQLITE
                       ? "CAST(strftime('%%s', c, 'unixepoch', 'start of year', '+1 years',"
                         " '-1 seconds') AS INTEGER)"
                       : "extract(epoch FROM date_trunc('year', to_timestamp(c) AT TIME ZONE"
                         " 'UTC') + interval '1 year' - interval '1 second')::bigint");
            break;
        case TT_ANCHOR_CONTRACT_END:
            put(s, "CASE WHEN ce <> 0 THEN CASE WHEN ce > c THEN ce ELSE c END END");
            break;
        case TT_ANCHOR_CONSENT_WITHDRAWN:
            put(s, "CASE WHEN w <> 0 THEN CASE WHEN w > c THEN w ELSE c END END");
            break;
        }
    }
    put(s, " END");
}

/* the anchor's date as the integer YYYYMMDD (UTC), its seconds into the day, and whether it is
 * open (b: the anchor's expression) */
static void anchor_cols(struct sql *s, enum tt_ends_dialect d, const char *b)
{
    if (d == TT_ENDS_SQLITE)
        put(s, "CAST(strftime('%%Y%%m%%d', %s, 'unixepoch') AS INTEGER) AS ymd", b);
    else
        put(s, "to_char(to_timestamp(%s) AT TIME ZONE 'UTC', 'YYYYMMDD')::bigint AS ymd", b);
    put(s, ", ((%s) %% 86400 + 86400) %% 86400 AS sod, (%s) IS NULL AS open", b, b);
}
char *tt__retention_ends_sql(const struct tt_end_plan *plan, enum tt_ends_dialect d, int by_subject)
{
    const struct tt_policy *p = plan->policy;
    int lite = d == TT_ENDS_SQLITE;
    struct sql s = {0};
    const char *P1 = lite ? "?1" : "$1::text", *P2 = lite ? "?2" : "$2::text",
               *P3 = lite ? "?3" : "$3::text", *P4 = lite ? "?4" : "$4::text";
    if (lite)
        put(&s, "UPDATE records SET retention_until = n.e FROM (");
    else
        put(&s, "UPDATE records u SET retention_until = n.e FROM (");
    /* level 5: the end, cut short by a withdrawal (S7.3) */
    put(&s, "SELECT rid, old, CASE WHEN ");
    rules_in(&s, p, ends_on_withdrawal);
    put(&s, " AND w <> 0 AND (e0 = 0 OR w < e0) THEN CASE WHEN w > c THEN w ELSE c END"
            " ELSE e0 END AS e FROM (");
    /* b plus m calendar months, the day clamped to the month's last (tt_time_add_months), in
     * integer arithmetic: t counts months from year 0, (yy, mm) is the March-based year and month
     * of days_from_civil (H. Hinnant), day 0 = 1970-01-01 */
    put(&s, "SELECT rid, old, c, k, w, CASE WHEN open THEN 0 ELSE ((yy / 400) * 146097"
            " + (yy %% 400) * 365 + (yy %% 400) / 4 - (yy %% 400) / 100 + (153 * mm + 2) / 5"
            " + CASE WHEN d < dim THEN d ELSE dim END - 1 - 719468) * 86400 + sod END AS e0"
            " FROM (");
    put(&s, "SELECT rid, old, c, k, w, open, d, sod, CASE t %% 12 WHEN 1 THEN CASE WHEN"
            " (t / 12) %% 4 = 0 AND ((t / 12) %% 100 <> 0 OR (t / 12) %% 400 = 0) THEN 29 ELSE 28"
            " END WHEN 3 THEN 30 WHEN 5 THEN 30 WHEN 8 THEN 30 WHEN 10 THEN 30 ELSE 31 END AS dim,"
            " t / 12 - CASE WHEN t %% 12 < 2 THEN 1 ELSE 0 END AS yy,"
            " CASE WHEN t %% 12 >= 2 THEN t %% 12 - 2 ELSE t %% 12 + 10 END AS mm FROM (");
    put(&s, "SELECT rid, old, c, k, w, open, (ymd / 10000) * 12 + (ymd / 100) %% 100 - 1 + m"
            " AS t, ymd %% 100 AS d, sod FROM (");
    /* level 3: the anchor (NULL while it has not happened), as a date and a time of day */
    struct sql b = {0};
    base_case(&b, p, d);
    put(&s, "SELECT rid, old, c, k, m, w, ");
    anchor_cols(&s, d, b.oom ? "" : b.p);
    s.oom |= b.oom;
    free(b.p);
    put(&s, " FROM (");
    /* level 2: months and the withdrawal, looked up only for rules that need it */
    put(&s, "SELECT rid, old, c, ce, k, ");
    months_case(&s, p);
    put(&s, " AS m, CASE WHEN ");
    rules_in(&s, p, tt_end_rule_needs_withdrawal);
    put(&s,
        " THEN COALESCE((SELECT sp.updated_at FROM subject_purposes sp WHERE sp.tenant_id = tid"
        " AND sp.subject_id = sid AND sp.purpose = pu AND (sp.consent = %d"
        " OR sp.objection <> 0)), 0) ELSE 0 END AS w FROM (",
        (int)TT_CONSENT_WITHDRAWN);
    /* level 1: the records of the range with their subject, and their rule */
    put(&s,
        "SELECT r.%s AS rid, r.retention_until AS old, r.collected_at AS c,"
        " s.contract_ended_at AS ce, s.jurisdiction%s AS j, r.tenant_id AS tid,"
        " r.subject_id AS sid, r.purpose AS pu, ",
        lite ? "rowid" : "record_id", lite ? "" : " COLLATE \"C\"");
    rule_case(&s, plan);
    /* records first (CROSS JOIN keeps SQLite's order): a range of an index, never a scan */
    put(&s,
        " AS k FROM records r %s subjects s ON s.tenant_id = r.tenant_id"
        " AND s.subject_id = r.subject_id WHERE r.tenant_id = %s AND r.record_id > %s",
        lite ? "CROSS JOIN" : "JOIN", P1, P2);
    if (by_subject)
        put(&s, " AND r.subject_id = %s", P3);
    else
        put(&s, " AND r.record_id <= %s", P3);
    put(&s, " AND (%s = '' OR r.service = %s)", P4, P4);
    close_level(&s, d, "x1");
    close_level(&s, d, "x2");
    close_level(&s, d, "x3");
    close_level(&s, d, "x4");
    close_level(&s, d, "x5");
    close_level(&s, d, "x6");
    if (lite)
        put(&s, ") AS n WHERE records.rowid = n.rid AND n.e <> n.old");
    else
        put(&s, ") AS n WHERE u.tenant_id = %s AND u.record_id = n.rid AND n.e <> n.old", P1);
    if (s.oom) {
        free(s.p);
        return NULL;
    }
    return s.p;
}
