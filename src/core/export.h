/* SPDX-License-Identifier: Apache-2.0 */
/* export.h — the portable export format (S8.1, docs/export.md): CSV cells as RFC 4180 wants
 * them, with spreadsheet formula prefixes neutralised; JSON strings and RFC 3339 times written
 * straight into the export's buffer (100,000 records without a JSON tree). Pure: writes into
 * caller buffers.
 * Thread safe. */
#ifndef TT_CORE_EXPORT_H
#define TT_CORE_EXPORT_H

#include <stddef.h>

#include "types.h"

#define TT_EXPORT_FORMAT "tutela-export/1"

/* Writes src (len bytes) as one CSV cell into out (size bytes, NUL-terminated): quoted when it
 * holds a comma, quote, CR or LF, quotes doubled; a cell starting with = + - @ TAB or CR gets a
 * leading apostrophe (CSV injection). Returns the cell length, or -1 when out is too small
 * (out then holds ""). At most 2 * len + 4 bytes are ever needed. */
long tt_export_csv_cell(const char *src, size_t len, char *out, size_t size);

/* Writes src (len bytes of UTF-8) as a quoted JSON string into out (size bytes, NUL-terminated):
 * '"' and '\\' escaped, control characters as \\u00hh, two hex digits (\\n, \\r, \\t short).
 * Returns its length, or -1 when out is too small (out then holds ""). At most 6 * len + 3 bytes
 * are ever needed. */
long tt_export_json_string(const char *src, size_t len, char *out, size_t size);

/* Writes t (unix seconds, UTC) as the JSON value of a time: "YYYY-MM-DDTHH:MM:SSZ" with its
 * quotes (the text tt_time_format gives), or null when t is 0; NUL-terminated. Years are clamped
 * to 0..9999. Returns the length written (22, or 4 for null). */
size_t tt_export_json_time(tt_time t, char out[24]);

#endif
