/* SPDX-License-Identifier: Apache-2.0 */
/* file_read.h — reading a whole file of bounded size into memory: the policy pack, the notices
 * and adequacy lists, a message imported from the command line. */
#ifndef TT_CORE_FILE_READ_H
#define TT_CORE_FILE_READ_H

#include <stddef.h>

/* Reads the file at path into *buf (malloc'd, NUL-terminated after its *len bytes). Returns 0;
 * -TT_E_NOT_FOUND when it cannot be opened and -TT_E_INTERNAL when reading fails (errno tells
 * why); -TT_E_BODY_TOO_LARGE when it holds more than max bytes; -TT_E_NOMEM. On failure *buf
 * and *len are left as they were. */
int tt_file_read(const char *path, size_t max, char **buf, size_t *len);

#endif
