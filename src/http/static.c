/* SPDX-License-Identifier: Apache-2.0 */
/* static.c — GET /web/… served from the configured web root (banner script, dashboard,
 * console). The path is decoded once and refused when it could leave the root: "..", dot-files,
 * NUL, backslashes, and symlinks that resolve outside are all 404. */
#include "internal.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/error.h"

#define STATIC_FILE_MAX (64ull << 20)

const char *tt__static_content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".gif", "image/gif"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(name, '.');
    const char *slash = strrchr(name, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* Every segment must be a plain name: not empty (except a trailing one), not starting with '.',
 * no backslash. */
static int rel_ok(const char *rel)
{
    if (rel[0] == '/')
        return 0;
    if (strchr(rel, '\\'))
        return 0;
    const char *p = rel;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || p[0] == '.')
            return 0;
        if (!slash)
            break;
        p = slash + 1;
    }
    return 1;
}

static int open_inside(const char *rroot, const char *path, int *fd, struct stat *st)
{
    char resolved[PATH_MAX];
    if (!realpath(path, resolved))
        return -TT_E_NOT_FOUND;
    size_t rl = strlen(rroot);
    if (strncmp(resolved, rroot, rl) != 0 || (resolved[rl] != '/' && resolved[rl] != '\0'))
        return -TT_E_NOT_FOUND;
    int f = open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0)
        return -TT_E_NOT_FOUND;
    if (fstat(f, st) < 0) {
        close(f);
        return -TT_E_NOT_FOUND;
    }
    *fd = f;
    return 0;
}

int tt__static_open(const char *root, const char *rel, int *fd, uint64_t *size, const char **ctype)
{
    if (!root || !*root || !rel)
        return -TT_E_NOT_FOUND;
    char dec[TT_HTTP_PATH_MAX + 1];
    size_t dlen = 0;
    if (tt__url_decode(rel, strlen(rel), 0, dec, sizeof dec, &dlen) < 0)
        return -TT_E_NOT_FOUND;
    if (dlen > 0 && !rel_ok(dec))
        return -TT_E_NOT_FOUND;
    char rroot[PATH_MAX];
    if (!realpath(root, rroot))
        return -TT_E_NOT_FOUND;
    char path[PATH_MAX + TT_HTTP_PATH_MAX + 16];
    int dir_hint = dlen == 0 || dec[dlen - 1] == '/';
    snprintf(path, sizeof path, "%s/%s%s", rroot, dec, dir_hint ? "index.html" : "");
    int f = -1;
    struct stat st;
    if (open_inside(rroot, path, &f, &st) < 0)
        return -TT_E_NOT_FOUND;
    if (S_ISDIR(st.st_mode)) {
        close(f);
        snprintf(path, sizeof path, "%s/%s/index.html", rroot, dec);
        if (open_inside(rroot, path, &f, &st) < 0)
            return -TT_E_NOT_FOUND;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > STATIC_FILE_MAX) {
        close(f);
        return -TT_E_NOT_FOUND;
    }
    *fd = f;
    *size = (uint64_t)st.st_size;
    *ctype = tt__static_content_type(path);
    return 0;
}
