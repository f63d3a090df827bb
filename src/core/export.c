/* SPDX-License-Identifier: Apache-2.0 */
/* export.c — CSV cells of the export format (export.h). */
#include "export.h"

#include <string.h>

long tt_export_csv_cell(const char *src, size_t len, char *out, size_t size)
{
    int quote = 0, guard = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = src[i];
        if (ch == ',' || ch == '"' || ch == '\r' || ch == '\n')
            quote = 1;
    }
    if (len > 0 && strchr("=+-@\t\r", src[0]))
        guard = 1;
    size_t n = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (n + 1 >= size)                                                                         \
            goto small;                                                                            \
        out[n++] = (ch);                                                                           \
    } while (0)
    if (!out || size == 0)
        return -1;
    if (quote)
        PUT('"');
    if (guard)
        PUT('\'');
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '"')
            PUT('"');
        PUT(src[i]);
    }
    if (quote)
        PUT('"');
#undef PUT
    out[n] = '\0';
    return (long)n;
small:
    out[0] = '\0';
    return -1;
}
