// SPDX-License-Identifier: Apache-2.0
// pages.mjs — steps the browser tests share: a fresh page that fails its test on a script error
// or on anything fetched from outside the server, and signing in through the staff pages' sign-in
// box (web/dashboard/signin.js: #signin-box, #api-key, #signin-submit).
import assert from 'node:assert/strict';

/**
 * A new page in its own browser context (closed after the test tt). After the test it asserts
 * that the page raised no script error and, when base is given, fetched nothing but from base.
 * context: extra browser.newContext options (viewport, locale, acceptDownloads…).
 */
export async function openPage(browser, tt, { base, ...context } = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 1000 }, ...context });
  tt.after(() => ctx.close());
  const p = await ctx.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(e));
  const outside = [];
  if (base) p.on('request', (r) => { if (!r.url().startsWith(base)) outside.push(r.url()); });
  tt.after(() => {
    assert.deepEqual(errors.map(String), [], 'no script errors');
    assert.deepEqual(outside, [], 'nothing fetched from outside the server');
  });
  return p;
}

/**
 * Signs in on a page showing its sign-in box: waits for the box, types key, submits, then waits
 * for the selector until (the first thing the page shows once signed in) when given.
 */
export async function signInWith(p, key, until) {
  await p.waitForSelector('#signin-box:not([hidden])');
  await p.fill('#api-key', key);
  await p.click('#signin-submit');
  if (until) await p.waitForSelector(until);
}
