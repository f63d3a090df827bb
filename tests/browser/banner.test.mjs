// SPDX-License-Identifier: Apache-2.0
// banner.test.mjs — the cookie banner (web/tutela-consent.js) in a real browser over the demo site
// served by a real `tutela serve` (issue 4; S9.1–S9.7, S4.5, S1.3). Every state is screenshotted
// into TUTELA_ARTIFACTS. Tests that need the consent API (GET /v1/sites/{t}/banner,
// POST /v1/sites/{t}/cookie-consents, /.well-known/gpc.json) fail with a message naming it when the
// server does not serve it: they never pass without the server's record.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, shot, startServer } from './lib/browser.mjs';

const TENANT = 'ten_platform';
const DEMO = '/web/demo/index.html';
const CONSENTS = `/v1/sites/${TENANT}/cookie-consents`;
let srv;
let browser;
let banner = null; // the server's banner configuration, null when the consent API is missing

before(async () => {
  srv = await startServer();
  browser = await launch();
  const r = await srv.request('GET', `/v1/sites/${TENANT}/banner?lang=en`);
  if (r.status === 200 && r.json) banner = r.json;
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

function needApi() {
  assert.ok(banner, 'this test needs the consent API of issue 4 (GET /v1/sites/{tenant}/banner '
    + 'answered no JSON 200): the server-side record of the choice cannot be checked without it');
}

/** A fresh browser context (no cookies) on a demo page; the banner's configuration loaded. */
async function open(t, { path = DEMO, gpc = false, context = {} } = {}) {
  const opts = { viewport: { width: 1280, height: 800 }, ...context };
  if (gpc) opts.extraHTTPHeaders = { 'Sec-GPC': '1' };
  const ctx = await browser.newContext(opts);
  t.after(() => ctx.close());
  if (gpc) {
    await ctx.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl',
      { get: () => true, configurable: true }));
  }
  const page = await ctx.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(srv.base + path);
  await page.evaluate(() => window.tutela.consent.ready);
  return { ctx, page, requests, errors };
}

/**
 * Runs action and returns the consent POST it causes: { body, status, id }. The request is sent
 * with keepalive, whose response body the browser does not hand to playwright: the event id is
 * read where the banner keeps it (window.tutela.consent.get().recorded, also in the cookie).
 */
async function recorded(page, action) {
  const res = page.waitForResponse((r) => r.url().endsWith(CONSENTS) && r.request().method() === 'POST');
  await action();
  const r = await res;
  let id = null;
  if (r.status() === 201) {
    id = await (await page.waitForFunction(() => window.tutela.consent.get().recorded)).jsonValue();
  }
  return { body: JSON.parse(r.request().postData()), status: r.status(), id };
}

/** Asserts the server recorded the event (201, and the event id it answered). */
function assertRecorded(post) {
  needApi();
  assert.equal(post.status, 201, `POST ${CONSENTS} answered ${post.status}`);
  assert.match(String(post.id), /^cev_/);
}

const names = async (ctx) => (await ctx.cookies()).map((c) => c.name).sort();
const ran = (page) => page.evaluate(() => window.demoRan || []);
const stored = async (ctx) => {
  const c = (await ctx.cookies()).find((k) => k.name === 'tutela_consent');
  return c ? { cookie: c, value: JSON.parse(decodeURIComponent(c.value)) } : null;
};
const consentCalls = (page) => page.evaluate(() => (window.dataLayer || [])
  .filter((e) => e && e[0] === 'consent').map((e) => [e[1], e[2]]));
const button = (page, text) => page.locator('#tutela-consent button', { hasText: text }).first();

test('first visit: a banner (not a wall) with equal-weight choices; no non-necessary cookie, no blocked tag, no third party (S9.4, S9.7)', async (t) => {
  const { ctx, page, requests, errors } = await open(t);
  const box = page.locator('#tutela-consent');
  await box.waitFor();
  assert.equal(await box.getAttribute('role'), 'dialog');
  assert.equal(await box.getAttribute('aria-modal'), 'false');
  assert.equal(await page.locator('#tt-t').innerText(), 'Cookies on this site');
  assert.equal(await page.locator('.tt-o').count(), 0, 'no overlay: the page stays usable');
  await shot(page, 'banner-first-visit');

  // equal weight: same size, colours and font for accept, refuse and choose
  const looks = [];
  for (const label of ['Accept all', 'Refuse all', 'Choose']) {
    const b = button(page, label);
    const bb = await b.boundingBox();
    const st = await b.evaluate((el) => {
      const s = getComputedStyle(el);
      return [s.backgroundColor, s.color, s.fontSize, s.fontWeight, s.borderTopWidth].join('|');
    });
    looks.push({ w: Math.round(bb.width), h: Math.round(bb.height), st });
  }
  assert.ok(looks.every((l) => l.st === looks[0].st && Math.abs(l.h - looks[0].h) <= 1
    && Math.abs(l.w - looks[0].w) <= 2), JSON.stringify(looks));

  assert.deepEqual(await names(ctx), [], 'no cookie at all before a choice');
  assert.deepEqual(await ran(page), []);
  assert.equal(await page.locator('#ran-marketing').count(), 0);
  assert.equal(await page.locator('#embed').getAttribute('src'), null);
  assert.equal(await page.locator('#pixel').getAttribute('src'), null);
  assert.deepEqual((await consentCalls(page))[0], ['default', {
    ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied',
    ad_personalization: 'denied', functionality_storage: 'denied',
    personalization_storage: 'denied', security_storage: 'granted', wait_for_update: 500,
  }]);
  assert.equal((await consentCalls(page)).length, 1, 'no update before a choice');
  const foreign = requests.filter((u) => !u.startsWith(srv.base));
  assert.deepEqual(foreign, [], 'no third-party request');
  assert.deepEqual(await page.evaluate(() => window.tutela.consent.get().decided), false);
  assert.deepEqual(errors, []);
});

test('accept all runs every blocked tag, keeps the choice in a strictly necessary cookie and is recorded by the server (S1.3, S9.4)', async (t) => {
  const { ctx, page } = await open(t);
  const events = page.evaluate(() => new Promise((r) => {
    document.addEventListener('tutela:consent', (e) => r(e.detail), { once: true });
  }));
  const post = await recorded(page, () => button(page, 'Accept all').click());
  assert.deepEqual(post.body.choices,
    { functional: true, performance: true, marketing: true, unclassified: true });
  assert.equal(post.body.method, 'accept_all');
  assert.equal(post.body.page, DEMO);
  assert.equal(post.body.gpc, false);
  assert.equal(post.body.language, 'en');
  assert.match(post.body.cookie_id, /^[A-Za-z0-9_-]{16,64}$/);
  assert.ok(post.body.notice_version, 'notice version sent');
  assert.ok(post.body.banner_version, 'banner version sent');
  if (banner) assert.equal(post.body.notice_version, banner.notice_version);

  await page.waitForSelector('#ran-late');
  await page.waitForSelector('#ran-marketing');
  assert.deepEqual((await ran(page)).sort(), ['functional', 'late', 'marketing', 'performance']);
  assert.equal(await page.locator('#tutela-consent').count(), 0, 'banner gone');
  const n = await names(ctx);
  for (const c of ['demo_func', 'demo_perf', 'demo_mkt', '_fbp', '_ga', 'tutela_consent']) assert.ok(n.includes(c), `${c} in ${n}`);
  assert.equal(await page.locator('#embed').getAttribute('src'), 'embed.html');
  assert.equal(await page.locator('#pixel').getAttribute('src'), 'pixel.svg');
  const detail = await events;
  assert.equal(detail.method, 'accept_all');
  assert.equal(detail.categories.marketing, true);

  // the consent cookie: first party, SameSite=Lax, at most 13 months, what/when/which notice
  const { cookie, value } = await stored(ctx);
  assert.equal(cookie.sameSite, 'Lax');
  assert.equal(cookie.path, '/');
  assert.ok(cookie.expires * 1000 - Date.now() <= 395 * 86400e3, 'at most 13 months');
  assert.ok(cookie.expires * 1000 - Date.now() > 86400e3, 'persistent');
  assert.equal(value.id, post.body.cookie_id);
  assert.equal(value.nv, post.body.notice_version);
  assert.deepEqual(value.c, post.body.choices);
  assert.ok(Date.parse(value.t) > Date.now() - 60e3);

  // Consent Mode v2 follows the choice
  const calls = await consentCalls(page);
  assert.deepEqual(calls.at(-1), ['update', {
    ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted',
    analytics_storage: 'granted', functionality_storage: 'granted',
    personalization_storage: 'granted', security_storage: 'granted',
  }]);
  // a blocked tag added after the choice runs at once
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.type = 'text/plain';
    s.dataset.category = 'marketing';
    s.text = 'window.addedLater = 1;';
    document.body.appendChild(s);
  });
  await page.waitForFunction(() => window.addedLater === 1);
  await shot(page, 'banner-accepted');

  // the next page: no banner, the tags run straight away
  await page.reload();
  await page.evaluate(() => window.tutela.consent.ready);
  await page.waitForSelector('#ran-marketing');
  assert.equal(await page.locator('#tutela-consent').count(), 0);

  assertRecorded(post);
  assert.equal((await stored(ctx)).value.r, post.id, 'the cookie keeps the event id');
});

test('refuse all: nothing but the consent cookie, no blocked tag, Consent Mode denied, recorded (S9.7)', async (t) => {
  const { ctx, page } = await open(t);
  const post = await recorded(page, () => button(page, 'Refuse all').click());
  assert.equal(post.body.method, 'refuse_all');
  assert.deepEqual(post.body.choices,
    { functional: false, performance: false, marketing: false, unclassified: false });
  await page.waitForFunction(() => (window.demoRan || []).includes('no-marketing'));
  assert.deepEqual(await ran(page), ['no-marketing'], 'only the "!marketing" tag ran');
  assert.deepEqual(await names(ctx), ['tutela_consent']);
  assert.equal((await consentCalls(page)).at(-1)[1].ad_storage, 'denied');
  assert.equal((await consentCalls(page)).at(-1)[1].analytics_storage, 'denied');
  await shot(page, 'banner-refused');
  await page.reload();
  await page.evaluate(() => window.tutela.consent.ready);
  assert.equal(await page.locator('#tutela-consent').count(), 0, 'not asked again');
  assert.deepEqual(await names(ctx), ['tutela_consent']);
  assertRecorded(post);
});

test('choose: each category explained with the consequence of accepting; strictly necessary always on; a custom choice (S9.1, S9.3, S9.7)', async (t) => {
  const { ctx, page } = await open(t);
  await button(page, 'Choose').click();
  const box = page.locator('#tutela-consent');
  assert.equal(await box.getAttribute('aria-modal'), 'true');
  const sn = page.locator('input[name="strictly_necessary"]');
  assert.ok(await sn.isChecked());
  assert.ok(await sn.isDisabled());
  for (const k of ['functional', 'performance', 'marketing', 'unclassified']) {
    assert.equal(await page.locator(`input[name="${k}"]`).isChecked(), false, `${k} off by default`);
  }
  const text = await box.innerText();
  assert.match(text, /Always on/);
  assert.equal((text.match(/If you accept:/g) || []).length, 4, 'a consequence for each optional category');
  assert.match(text, /Let advertising parties/);
  // the cookie list says where each cookie is set, for how long and why (S9.1, S9.3)
  await page.locator('#tt-k-marketing + details summary').click();
  const mk = await page.locator('#tt-k-marketing + details').innerText();
  assert.match(mk, /_fbp/);
  assert.match(mk, /kept 90 days/);
  assert.match(mk, /set by another site/, 'li_fat_id is third party');
  await page.locator('#tt-k-strictly_necessary + details summary').click();
  assert.match(await page.locator('#tt-k-strictly_necessary + details').innerText(),
    /session_id.*deleted when you close the browser/s);
  await shot(page, 'banner-choose');

  await page.locator('input[name="performance"]').check();
  const post = await recorded(page, () => button(page, 'Save my choices').click());
  assert.equal(post.body.method, 'custom');
  assert.deepEqual(post.body.choices,
    { functional: false, performance: true, marketing: false, unclassified: false });
  await page.waitForSelector('#ran-late');
  assert.deepEqual((await ran(page)).sort(), ['late', 'no-marketing', 'performance']);
  const n = await names(ctx);
  assert.ok(n.includes('demo_perf') && !n.includes('demo_mkt') && !n.includes('demo_func'), String(n));
  const last = (await consentCalls(page)).at(-1)[1];
  assert.equal(last.analytics_storage, 'granted');
  assert.equal(last.ad_storage, 'denied');
  assert.equal(last.ad_user_data, 'denied');
  assert.equal(last.ad_personalization, 'denied');
  assertRecorded(post);
});

test('settings link: changing later withdraws marketing and deletes its first-party cookies (S9.7)', async (t) => {
  const { ctx, page } = await open(t);
  await button(page, 'Accept all').click();
  await page.waitForSelector('#ran-marketing');
  await page.waitForFunction(() => document.cookie.includes('demo_mkt'));
  const link = page.locator('[data-tutela-settings]');
  await link.click();
  await page.locator('#tutela-consent.tt-s').waitFor();
  for (const k of ['functional', 'performance', 'marketing', 'unclassified']) {
    assert.equal(await page.locator(`input[name="${k}"]`).isChecked(), true, `${k} shows as granted`);
  }
  await page.locator('input[name="marketing"]').uncheck();
  await page.locator('input[name="functional"]').uncheck();
  await shot(page, 'banner-settings-withdraw');
  const post = await recorded(page, () => button(page, 'Save my choices').click());
  assert.equal(post.body.method, 'settings');
  assert.deepEqual(post.body.choices,
    { functional: false, performance: true, marketing: false, unclassified: true });
  const n = await names(ctx);
  for (const gone of ['demo_mkt', '_fbp', 'demo_func']) assert.ok(!n.includes(gone), `${gone} deleted: ${n}`);
  for (const kept of ['demo_perf', '_ga', 'tutela_consent']) assert.ok(n.includes(kept), `${kept} kept: ${n}`);
  assert.equal(await page.locator('#embed').getAttribute('src'), 'about:blank', 'functional iframe unloaded');
  assert.equal(await page.locator('#pixel').getAttribute('src'), null, 'marketing pixel unloaded');
  assert.equal((await consentCalls(page)).at(-1)[1].ad_storage, 'denied');
  assert.equal(await page.evaluate(() => document.activeElement.hasAttribute('data-tutela-settings')), true,
    'focus back on the settings link');
  await page.reload();
  await page.evaluate(() => window.tutela.consent.ready);
  assert.ok(!(await ran(page)).includes('marketing'), 'marketing stays blocked');
  assert.ok(!(await names(ctx)).includes('demo_mkt'));
  await shot(page, 'banner-withdrawn');
  // window.tutela.openSettings() reopens it too
  await page.evaluate(() => window.tutela.openSettings());
  await page.locator('#tutela-consent.tt-s').waitFor();
  assertRecorded(post);
});

test('Global Privacy Control pre-refuses marketing, recorded as gpc; an explicit later choice wins (S4.5)', async (t) => {
  const { ctx, page } = await open(t, { gpc: true });
  assert.equal(await page.evaluate(() => navigator.globalPrivacyControl), true);
  const first = await page.evaluate(() => window.tutela.consent.get());
  assert.equal(first.gpc, true);
  assert.equal(first.decided, false, 'the visitor still chooses the rest');
  await page.locator('#tutela-consent .tt-g').waitFor();
  assert.match(await page.locator('#tutela-consent').innerText(), /Global Privacy Control/);
  const { value } = await stored(ctx);
  assert.equal(value.m, 'gpc');
  assert.equal(value.c.marketing, false);
  assert.deepEqual((await names(ctx)), ['tutela_consent']);
  await shot(page, 'banner-gpc');
  await button(page, 'Choose').click();
  assert.equal(await page.locator('input[name="marketing"]').isChecked(), false);
  await page.locator('input[name="functional"]').check();
  const post = await recorded(page, () => button(page, 'Save my choices').click());
  assert.equal(post.body.method, 'custom');
  assert.equal(post.body.gpc, true);
  assert.equal(post.body.choices.marketing, false);
  assert.equal(post.body.choices.functional, true);
  await page.waitForSelector('#ran-functional');
  assert.ok(!(await ran(page)).includes('marketing'));
  // later the visitor explicitly grants marketing: that wins over the signal
  await page.locator('[data-tutela-settings]').click();
  await page.locator('input[name="marketing"]').check();
  const again = await recorded(page, () => button(page, 'Save my choices').click());
  assert.equal(again.body.choices.marketing, true);
  assert.equal(again.body.method, 'settings');
  await page.waitForSelector('#ran-marketing');

  // the server's side: the gpc event itself, and the site's declaration
  needApi();
  const ctx2 = await browser.newContext({ extraHTTPHeaders: { 'Sec-GPC': '1' } });
  t.after(() => ctx2.close());
  await ctx2.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl',
    { get: () => true, configurable: true }));
  const p2 = await ctx2.newPage();
  const gpcPost = await recorded(p2, () => p2.goto(srv.base + DEMO));
  assert.equal(gpcPost.body.method, 'gpc');
  assert.equal(gpcPost.body.gpc, true);
  assert.equal(gpcPost.body.choices.marketing, false);
  assertRecorded(gpcPost);
  assertRecorded(post);
  const wk = await srv.request('GET', '/.well-known/gpc.json');
  assert.equal(wk.status, 200);
  assert.equal(wk.json.gpc, true);
});

test('a new notice version asks again and blocks the tags until the visitor answers (S9.7)', async (t) => {
  const { ctx, page } = await open(t);
  await button(page, 'Accept all').click();
  await page.waitForSelector('#ran-marketing');
  const { cookie, value } = await stored(ctx);
  // the stored choice was given under an older notice
  value.nv = '1999.1';
  await ctx.addCookies([{ ...cookie, value: encodeURIComponent(JSON.stringify(value)) }]);
  await page.reload();
  await page.evaluate(() => window.tutela.consent.ready);
  await page.locator('#tutela-consent').waitFor();
  assert.deepEqual(await ran(page), [], 'nothing runs under the new notice before a choice');
  assert.equal(await page.evaluate(() => window.tutela.consent.get().decided), false);
  await shot(page, 'banner-notice-bump');
  const post = await recorded(page, () => button(page, 'Refuse all').click());
  assert.notEqual(post.body.notice_version, '1999.1');
  assert.equal(post.body.cookie_id, value.id, 'same pseudonymous consent id');
  assert.ok(!(await names(ctx)).includes('demo_mkt'), 'marketing cookies deleted on refusal');

  // the served configuration changes its notice version: asked again as well
  await page.route((u) => u.pathname.endsWith('/banner') || u.pathname.endsWith('/banner-config.json'),
    async (route) => {
      const res = await route.fetch();
      const json = await res.json();
      json.notice_version = '2099.9';
      await route.fulfill({ response: res, json });
    });
  await page.reload();
  await page.evaluate(() => window.tutela.consent.ready);
  await page.locator('#tutela-consent').waitFor();
  const bumped = await recorded(page, () => button(page, 'Accept all').click());
  assert.equal(bumped.body.notice_version, '2099.9');
  assertRecorded(post);
});

test('keyboard only: Tab reaches the buttons with a visible focus, Enter chooses, Escape closes, focus stays in the settings', async (t) => {
  const { page } = await open(t);
  await page.locator('#tutela-consent').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tutela-consent', 'focus moved to the banner');
  await page.keyboard.press('Tab');
  const active = () => page.evaluate(() => {
    const a = document.activeElement;
    const s = getComputedStyle(a);
    return { text: a.textContent, name: a.name || '', outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
  });
  let a = await active();
  assert.equal(a.text, 'Accept all');
  assert.notEqual(a.outline, 'none', 'focus is visible');
  assert.ok(a.width >= 2, `outline ${a.width}px`);
  await page.keyboard.press('Tab');
  assert.equal((await active()).text, 'Refuse all');
  await page.keyboard.press('Tab');
  assert.equal((await active()).text, 'Choose');
  await page.keyboard.press('Enter');
  await page.locator('#tutela-consent.tt-s').waitFor();
  // Tab to the performance switch, Space, Tab to save, Enter
  for (let i = 0; i < 20 && (await active()).name !== 'performance'; i++) await page.keyboard.press('Tab');
  assert.equal((await active()).name, 'performance');
  await page.keyboard.press('Space');
  await shot(page, 'banner-keyboard');
  // Shift-Tab from the first control wraps to the last one (the dialog keeps the focus)
  await page.locator('input[name="functional"]').focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.getElementById('tutela-consent').contains(document.activeElement)), true);
  // Escape goes back to the first layer (nothing chosen yet); Choose again keeps nothing half-done
  await page.keyboard.press('Escape');
  await page.locator('#tutela-consent:not(.tt-s)').waitFor();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('#tutela-consent.tt-s').waitFor();
  for (let i = 0; i < 20 && (await active()).name !== 'performance'; i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  for (let i = 0; i < 30 && (await active()).text !== 'Save my choices'; i++) await page.keyboard.press('Tab');
  assert.equal((await active()).text, 'Save my choices');
  const post = await recorded(page, () => page.keyboard.press('Enter'));
  assert.equal(post.body.method, 'custom');
  assert.equal(post.body.choices.performance, true);
  assert.equal(post.body.choices.marketing, false);
  await page.waitForSelector('#ran-performance');
  // reopen from the settings link with the keyboard; Escape closes and gives the focus back
  await page.locator('[data-tutela-settings]').focus();
  await page.keyboard.press('Enter');
  await page.locator('#tutela-consent.tt-s').waitFor();
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#tutela-consent').count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement.hasAttribute('data-tutela-settings')), true);
});

test('French: texts in the page language, recorded with language fr', async (t) => {
  const { page } = await open(t, { path: '/web/demo/fr.html' });
  await page.locator('#tutela-consent').waitFor();
  assert.equal(await page.locator('#tt-t').innerText(), 'Les cookies sur ce site');
  assert.equal(await page.locator('#tutela-consent').getAttribute('lang'), 'fr');
  for (const label of ['Tout accepter', 'Tout refuser', 'Choisir']) {
    assert.equal(await button(page, label).count(), 1, label);
  }
  await shot(page, 'banner-fr');
  await button(page, 'Choisir').click();
  assert.match(await page.locator('#tutela-consent').innerText(), /Si vous acceptez/);
  assert.match(await page.locator('#tutela-consent').innerText(), /Toujours actifs/);
  await shot(page, 'banner-fr-choose');
  const post = await recorded(page, () => button(page, 'Tout refuser').click());
  assert.equal(post.body.language, 'fr');
  assertRecorded(post);
});

test('language: the page lang wins over the browser; without one, navigator.languages decides', async (t) => {
  const { ctx, page } = await open(t, { context: { locale: 'fr-FR' } });
  assert.match(await page.evaluate(() => navigator.languages[0]), /^fr/);
  assert.equal(await page.locator('#tt-t').innerText(), 'Cookies on this site', 'lang="en" page');
  const p2 = await ctx.newPage();
  await p2.route((u) => u.pathname === DEMO, async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, body: (await res.text()).replace('<html lang="en">', '<html>') });
  });
  await p2.goto(srv.base + DEMO);
  await p2.evaluate(() => window.tutela.consent.ready);
  assert.equal(await p2.locator('#tt-t').innerText(), 'Les cookies sur ce site');
});

test('a 360 px phone: the banner and the settings fit the screen, buttons are large enough', async (t) => {
  const { page } = await open(t, {
    context: { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
  });
  const box = page.locator('#tutela-consent');
  await box.waitFor();
  const fits = async () => {
    const bb = await box.boundingBox();
    assert.ok(bb.x >= 0 && bb.x + bb.width <= 360.5, `banner within the screen: ${JSON.stringify(bb)}`);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 360), true, 'no sideways scroll');
  };
  await fits();
  for (const label of ['Accept all', 'Refuse all', 'Choose']) {
    const bb = await button(page, label).boundingBox();
    assert.ok(bb.height >= 44, `${label} is ${bb.height}px tall`);
    assert.ok(bb.y + bb.height <= 740, `${label} on screen`);
  }
  assert.ok(await page.evaluate(() => parseFloat(getComputedStyle(document.getElementById('tt-d')).fontSize) >= 14));
  await shot(page, 'banner-360');
  await button(page, 'Choose').tap();
  await page.locator('#tutela-consent.tt-s').waitFor();
  await fits();
  await shot(page, 'banner-360-choose');
  const save = button(page, 'Save my choices');
  await save.scrollIntoViewIfNeeded();
  const post = await recorded(page, () => save.tap());
  assert.equal(post.body.method, 'custom');
});

test('the JS API: get(), has(), the tutela:consent event and acceptAll() from code', async (t) => {
  const { page } = await open(t);
  const got = await page.evaluate(async () => {
    const seen = [];
    window.addEventListener('tutela:consent', (e) => seen.push(e.detail.method));
    const before = window.tutela.consent.has('marketing');
    await window.tutela.consent.set({ performance: true });
    return { before, after: window.tutela.consent.has('performance'), mk: window.tutela.consent.has('marketing'),
      sn: window.tutela.consent.has('strictly_necessary'), seen, get: window.tutela.consent.get() };
  });
  assert.equal(got.before, false);
  assert.equal(got.after, true);
  assert.equal(got.mk, false);
  assert.equal(got.sn, true);
  assert.deepEqual(got.seen, ['custom']);
  assert.equal(got.get.decided, true);
  assert.equal(got.get.categories.strictly_necessary, true);
});
