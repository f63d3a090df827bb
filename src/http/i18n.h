/* SPDX-License-Identifier: Apache-2.0 */
/* i18n.h — message catalogues: people meet tutela in their own language. Catalogues are JSON
 * files web/i18n/<area>.<lang>.json (flat {"key": "text"}), shared by server-rendered pages and
 * the browser scripts (served under /web/i18n/). English is the fallback for a missing key or
 * language; a key missing everywhere renders as the key itself (and tests catch it). */
#ifndef TT_HTTP_I18N_H
#define TT_HTTP_I18N_H

#include <stddef.h>

#define TT_I18N_LANG_MAX 8

/* Loads every catalogue file DIR/i18n/AREA.LANG.json (may be called again to reload; thread safe
 * against readers only at start). Returns the number of files loaded, or a negative code with a
 * reason in err (file name and the JSON error line). */
int tt_i18n_load(const char *dir, char *err, size_t err_size);
void tt_i18n_unload(void);

/* The text for key in lang ("en", "fr"), falling back to English, then to key. Never NULL;
 * valid until tt_i18n_unload. */
const char *tt_i18n(const char *lang, const char *key);

/* Picks a supported language from an Accept-Language header value (may be NULL) or an explicit
 * "?lang=" value (wins when supported). Writes "en" when nothing matches. */
void tt_i18n_pick(const char *explicit_lang, const char *accept_language,
                  char out[TT_I18N_LANG_MAX]);

/* 1 when some catalogue has that language. */
int tt_i18n_supported(const char *lang);

#endif
