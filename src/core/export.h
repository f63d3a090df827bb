/* SPDX-License-Identifier: Apache-2.0 */
/* export.h — the portable export format (S8.1, docs/export.md): CSV cells as RFC 4180 wants
 * them, with spreadsheet formula prefixes neutralised. Pure: writes into caller buffers.
 * Thread safe. */
#ifndef TT_CORE_EXPORT_H
#define TT_CORE_EXPORT_H

#include <stddef.h>

#define TT_EXPORT_FORMAT "tutela-export/1"

/* Writes src (len bytes) as one CSV cell into out (size bytes, NUL-terminated): quoted when it
 * holds a comma, quote, CR or LF, quotes doubled; a cell starting with = + - @ TAB or CR gets a
 * leading apostrophe (CSV injection). Returns the cell length, or -1 when out is too small
 * (out then holds ""). At most 2 * len + 4 bytes are ever needed. */
long tt_export_csv_cell(const char *src, size_t len, char *out, size_t size);

#endif
