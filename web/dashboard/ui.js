// SPDX-License-Identifier: Apache-2.0
// ui.js — shared by the privacy dashboard, the staff console (issue 5) and the account pages
// (issue 8, through web/account/account.js): texts from the message catalogue
// web/i18n/<area>.<lang>.json (English fallback), sign-in with an API key into a session
// (HttpOnly cookie; the CSRF token goes back on unsafe methods), API calls, status line.

const LANGS = ['en', 'fr'];

/** The page language: ?lang=, else the browser's, else English. */
export function lang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (LANGS.includes(q)) return q;
  const b = (navigator.language || 'en').slice(0, 2).toLowerCase();
  return LANGS.includes(b) ? b : 'en';
}

let texts = {};

/** Loads the area's catalogue and fills every [data-i18n] element. */
export async function loadTexts(area) {
  const l = lang();
  const get = async (x) => {
    const r = await fetch(`/web/i18n/${area}.${x}.json`);
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
    a.href = u.pathname + u.search + u.hash;
  }
}

/** The text of key, with {name} placeholders filled from vars. */
export function t(key, vars = {}) {
  const s = texts[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

let csrf = null;

/**
 * Calls the API with the session cookie; unsafe methods carry the CSRF token (a session's, read
 * first when not yet known, except to open a session). Returns { status, body, retryAfter }.
 */
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

/** Signs in with an API key; the key itself is kept nowhere in the page. */
export async function signIn(key) {
  return api('POST', '/v1/sessions', { api_key: key });
}

export async function signOut() {
  await api('DELETE', '/v1/sessions/current');
  csrf = null;
}

/** Shows a message in the page's status line (role=alert for errors). */
export function say(key, vars = {}, isError = false) {
  const el = document.getElementById('status');
  el.textContent = t(key, vars);
  el.className = isError ? 'status error' : 'status';
  el.setAttribute('role', isError ? 'alert' : 'status');
}

/** Says what a problem answer means: its catalogue text, with the field it names. */
export function sayProblem(res) {
  const type = (res.body && res.body.type) || '';
  const slug = type.slice(type.lastIndexOf('/') + 1) || 'unknown';
  say('error', { what: t(`error.${slug}`), field: (res.body && res.body.field) || '-' }, true);
}

/** A date-time as the reader's local date and time, or a dash. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString(lang()) : '—';
}

/** Creates an element with text content (never HTML from data). */
export function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
