// SPDX-License-Identifier: Apache-2.0
// account.js — shared by the account pages (sign-in, two-factor set-up, sessions): texts from the
// message catalogue web/i18n/account.<lang>.json (English fallback), calls to the API with the
// session cookie and its CSRF token, and problem details shown by their field.

const LANGS = ['en', 'fr'];

/** The page language: ?lang=, else the browser's, else English. */
export function lang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (LANGS.includes(q)) return q;
  const b = (navigator.language || 'en').slice(0, 2).toLowerCase();
  return LANGS.includes(b) ? b : 'en';
}

let texts = {};

/** Loads the catalogue and fills every [data-i18n] element (and [data-i18n-placeholder]). */
export async function loadTexts() {
  const l = lang();
  const get = async (x) => {
    const r = await fetch(`/web/i18n/account.${x}.json`);
    return r.ok ? r.json() : {};
  };
  texts = { ...(await get('en')), ...(l === 'en' ? {} : await get(l)) };
  document.documentElement.lang = l;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const a of document.querySelectorAll('a[data-keep-lang]')) {
    const u = new URL(a.href, location.href);
    u.searchParams.set('lang', l);
    a.href = u.pathname + u.search;
  }
}

/** The text of key, with {name} placeholders filled from vars. */
export function t(key, vars = {}) {
  const s = texts[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

let csrf = null;

/** Calls the API; unsafe methods carry the session's CSRF token. Returns { status, body }. */
export async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET') {
    if (!csrf && path !== '/v1/sessions') await current();
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(path, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (json && json.csrf_token) csrf = json.csrf_token;
  return { status: r.status, body: json, retryAfter: r.headers.get('retry-after') };
}

/** The current session, or null when signed out. */
export async function current() {
  const r = await fetch('/v1/sessions/current', { credentials: 'same-origin' });
  if (r.status !== 200) return null;
  const s = await r.json();
  csrf = s.csrf_token;
  return s;
}

/** Shows a message in the page's status line (role=alert for errors). */
export function say(key, vars, isError = false) {
  const el = document.getElementById('status');
  el.textContent = t(key, vars);
  el.className = isError ? 'status error' : 'status';
  el.setAttribute('role', isError ? 'alert' : 'status');
}

/** The catalogue key for a problem answer. */
export function problemKey(res) {
  const type = (res.body && res.body.type) || '';
  const slug = type.slice(type.lastIndexOf('/') + 1);
  return `error.${slug || 'unknown'}`;
}
