/* SPDX-License-Identifier: Apache-2.0 */
/* yaml_doc.h — private to core: what the small YAML documents beside the policy (adequacy.yaml,
 * notices.yaml) share when loaded through the policy loader's YAML tree (policy_int.h): reading
 * the file, parsing it into an arena that then owns the document, and looking values up (the
 * lookups also serve the policy's retention checks).
 * Nothing here keeps state; each call is safe on its own thread. */
#ifndef TT_CORE_YAML_DOC_H
#define TT_CORE_YAML_DOC_H

#include <stddef.h>

#include "policy_int.h"

/* The value node of key in mapping m (keys that are not scalars are skipped), or NULL when m is
 * NULL, not a mapping, or has no such key. */
const struct tt__ynode *tt__ydoc_get(const struct tt__ynode *m, const char *key);

/* The text of a scalar node without embedded NULs, or NULL (not a scalar, or NULL). */
const char *tt__ydoc_scalar(const struct tt__ynode *n);

/* Fills the zeroed document obj (allocated in ar) from root, recording every problem in e;
 * returns 0, or a negative TT_E_ code. */
typedef int (*tt__ydoc_build_fn)(struct tt__arena *ar, const struct tt__ynode *root, void *obj,
                                 struct tt__perr *e);

/* Parses yaml (len bytes) into a new arena, allocates a zeroed document of obj_size bytes in it,
 * stores the arena in the document's `void *` member at arena_off (the arena owns the document
 * and everything it points to: tt__arena_free on that member frees it all) and fills it with
 * build. Returns 0 and sets *obj; or returns a negative TT_E_ code, frees the arena and writes
 * "NAME:LINE: reason" (or "NAME: cannot load (code N)") into err (err_size bytes; err may be
 * NULL). name is the file name for messages. */
int tt__ydoc_parse(const char *name, const char *yaml, size_t len, size_t obj_size,
                   size_t arena_off, tt__ydoc_build_fn build, void **obj, char *err,
                   size_t err_size);

/* Reads the file at path, at most max_mib MiB, into a new NUL-terminated buffer (*buf, *len; the
 * caller frees *buf). Returns 0; -TT_E_NOT_FOUND ("PATH: cannot open"), -TT_E_INTERNAL ("PATH:
 * cannot read"), -TT_E_BAD_FIELD ("PATH: larger than N MiB") or -TT_E_NOMEM, the message (if
 * any) in err (err_size bytes; err may be NULL). */
int tt__ydoc_read(const char *path, unsigned max_mib, char **buf, size_t *len, char *err,
                  size_t err_size);

#endif
