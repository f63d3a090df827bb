/* SPDX-License-Identifier: Apache-2.0 */
/* tt_pgdb.h — a PostgreSQL database of a test's own, beside $TUTELA_TEST_DB's (tests only): made
 * and dropped through libpq, so the test sees no other suite's rows or notifications. */
#ifndef TT_TEST_PGDB_H
#define TT_TEST_PGDB_H

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Runs one command on url; a failure fails the test (cmocka's fail_msg). */
#define tt_pgdb_exec(url, sql)                                                                     \
    do {                                                                                           \
        PGconn *tt_pq_ = PQconnectdb(url);                                                         \
        PGresult *tt_r_ = PQexec(tt_pq_, sql);                                                     \
        if (PQresultStatus(tt_r_) != PGRES_COMMAND_OK)                                             \
            fail_msg("%s: %s", sql, PQerrorMessage(tt_pq_));                                       \
        PQclear(tt_r_);                                                                            \
        PQfinish(tt_pq_);                                                                          \
    } while (0)

/* Names a new database "<prefix>_<pid>_<n>" (db, db_size), creates it through base and writes
 * the URL of base with that database into url. Returns 0, or -1 when a name does not fit. */
static inline int tt_pgdb_create(const char *base, const char *prefix, char *db, size_t db_size,
                                 char *url, size_t url_size)
{
    static unsigned n;
    const char *slash = strrchr(base, '/');
    if (!slash || snprintf(db, db_size, "%s_%ld_%u", prefix, (long)getpid(), ++n) >= (int)db_size)
        return -1;
    char sql[128];
    if (snprintf(sql, sizeof sql, "CREATE DATABASE %s", db) >= (int)sizeof sql)
        return -1;
    tt_pgdb_exec(base, sql);
    int len = snprintf(url, url_size, "%.*s/%s", (int)(slash - base), base, db);
    return len < (int)url_size ? 0 : -1;
}

/* Drops the database db through base (its sessions ended by force). */
static inline void tt_pgdb_drop(const char *base, const char *db)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", db);
    tt_pgdb_exec(base, sql);
}

#endif
