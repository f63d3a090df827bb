/* SPDX-License-Identifier: Apache-2.0 */
/* mime_route.h — where a message sent to the privacy, security or legal address goes, from its
 * decoded subject line and text (S6.2, S10.1, S13.1, S8.1b). English and French subjects,
 * case- and accent-insensitive, tolerant of reply/forward prefixes ("Re:", "TR:", "Fwd:", …)
 * and of French spacing before ':'. Also finds the email addresses a text names. Pure: no
 * allocation, no I/O. Thread safe. */
#ifndef TT_CORE_MIME_ROUTE_H
#define TT_CORE_MIME_ROUTE_H

#include <stddef.h>

enum tt_inbox_route {
    TT_ROUTE_OTHER = 0,    /* nothing recognised: staff triage */
    TT_ROUTE_SECURITY = 1, /* "Urgent: account credentials" / "Urgent : identifiants du compte" */
    TT_ROUTE_CHILDREN = 2, /* "Children" / "Enfants" */
    TT_ROUTE_LEGAL = 3,    /* "Dispute" / "Litige" */
    TT_ROUTE_RIGHTS = 4, /* asks for a right (access, erasure, droit d'accès, suppression, …) */
};

/* Classifies a message from its subject (UTF-8, RFC 2047 already decoded) and text body (may be
 * NULL; only its first 64 KiB are read). The subject decides first; the rights keywords are
 * looked for in subject and body. */
enum tt_inbox_route tt_mime_route(const char *subject, const char *body);
/* "security", "children", "legal", "rights", "other". */
const char *tt_inbox_route_name(enum tt_inbox_route r);

/* The folded form used for matching: prefixes stripped, lower case ASCII, French accents
 * folded, runs of blanks as one space, no space before ':'. Written into out (NUL-terminated,
 * truncated to size - 1). Returns out. */
char *tt_mime_fold_subject(const char *subject, char *out, size_t size);

/* Calls cb(cls, addr, len) for each address-looking token (local@domain.tld) of text in order,
 * at most max times; cb returns non-zero to stop. Returns the number reported. */
typedef int (*tt_addr_cb)(void *cls, const char *addr, size_t len);
int tt_mime_addresses(const char *text, size_t len, int max, tt_addr_cb cb, void *cls);

#endif
