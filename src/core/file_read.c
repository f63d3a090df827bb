/* SPDX-License-Identifier: Apache-2.0 */
/* file_read.c — a whole file into memory (file_read.h): read in growing pieces, never more
 * than one byte past the limit, so a file too large is refused without being read whole. */
#include "file_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"

#define FIRST_CAP (64u * 1024u)

int tt_file_read(const char *path, size_t max, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -TT_E_NOT_FOUND;
    size_t cap = max < FIRST_CAP ? max + 1 : FIRST_CAP, n = 0;
    char *b = malloc(cap + 1); /* + 1: room for the NUL */
    int rc = b ? 0 : -TT_E_NOMEM;
    while (rc == 0) {
        if (n == cap) {
            if (n > max) {
                rc = -TT_E_BODY_TOO_LARGE;
                break;
            }
            size_t next = cap > max / 2 ? max + 1 : cap * 2;
            char *nb = realloc(b, next + 1);
            if (!nb) {
                rc = -TT_E_NOMEM;
                break;
            }
            b = nb;
            cap = next;
        }
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            if (ferror(f))
                rc = -TT_E_INTERNAL;
            break;
        }
    }
    int saved = errno;
    fclose(f);
    errno = saved;
    if (rc == 0 && n > max)
        rc = -TT_E_BODY_TOO_LARGE;
    if (rc != 0) {
        free(b);
        return rc;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}
