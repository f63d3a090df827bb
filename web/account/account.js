// SPDX-License-Identifier: Apache-2.0
// account.js — shared by the account pages (sign-in, two-factor set-up, sessions): the staff
// pages' helpers (web/dashboard/ui.js: language, texts, API calls with the session cookie and its
// CSRF token, status line) over the account catalogue web/i18n/account.<lang>.json, and the
// catalogue key of a problem answer.
import { loadTexts as loadArea } from '/web/dashboard/ui.js';

export { api, current, lang, say, t } from '/web/dashboard/ui.js';

/** Loads the account catalogue and fills every [data-i18n] element (and placeholders). */
export async function loadTexts() {
  return loadArea('account');
}

/** The catalogue key for a problem answer. */
export function problemKey(res) {
  const type = (res.body && res.body.type) || '';
  const slug = type.slice(type.lastIndexOf('/') + 1);
  return `error.${slug || 'unknown'}`;
}
