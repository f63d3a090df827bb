// SPDX-License-Identifier: Apache-2.0
// retention.test.mjs — the console's retention view in a real browser (issue 6): sign in with an
// API key (session cookie), the 30-day SVG bar chart of rows due per day drawn from
// GET /v1/retention/upcoming over data seeded through the API, the legal holds in force; English
// and French. Screenshots go to TUTELA_ARTIFACTS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launch, shot, startServer } from './lib/browser.mjs';
import { openPage, signInWith } from './lib/pages.mjs';
import { smsRecord, subject, tenant } from '../api/lib/fixtures.mjs';

const DAY = 86400000;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
let srv;
let browser;
let t;
let dpo;
const due = { 3: 2, 7: 5, 12: 1 }; // days ahead → sms rows whose 6 months end then

before(async () => {
  srv = await startServer();
  browser = await launch();
  t = await tenant(srv, 'Retention Console BV');
  const k = await srv.request('POST', '/v1/keys', { key: t.keys.admin, body: { role: 'dpo' } });
  assert.equal(k.status, 201, k.text);
  dpo = k.json.token;
  for (const [ahead, rows] of Object.entries(due)) {
    const s = await subject(srv, t.keys.service);
    const collected = new Date();
    collected.setUTCMonth(collected.getUTCMonth() - 6);
    for (let i = 0; i < rows; i++) {
      const r = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: t.keys.service,
        body: smsRecord({ collected_at: iso(collected.getTime() + Number(ahead) * DAY + 3600000) }),
      });
      assert.equal(r.status, 201, r.text);
    }
  }
  const h = await srv.request('POST', '/v1/holds', {
    key: dpo, body: { service: 'sms', reason: 'case 2026/42 (tax audit)' },
  });
  assert.equal(h.status, 201, h.text);
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

const open = (tt, lang) =>
  openPage(browser, tt, { base: srv.base, locale: lang, viewport: { width: 960, height: 1000 } });

test('chart_of_rows_due_per_day_and_holds_after_sign_in_en', async (tt) => {
  const p = await open(tt, 'en-GB');
  await p.goto(`${srv.base}/web/console/retention.html?lang=en`);
  await signInWith(p, 'tt_wrong_key', '#status.error');
  assert.equal(await p.textContent('h1'), 'Retention');
  await signInWith(p, t.keys.readonly, '#due-box:not([hidden])');
  const cookies = await p.context().cookies();
  assert.ok(cookies.some((c) => c.httpOnly), 'the session is an HttpOnly cookie');
  assert.equal(await p.evaluate(() => JSON.stringify(sessionStorage).includes('tt_')), false,
    'the key is kept nowhere in the page');
  const bars = await p.$$eval('#chart svg rect.bar', (rs) => rs.map((r) => ({
    date: r.dataset.date, rows: Number(r.dataset.rows), h: Number(r.getAttribute('height')),
  })));
  assert.equal(bars.length, 30, 'one bar per day');
  for (const [ahead, rows] of Object.entries(due)) {
    const end = new Date(Date.now() + Number(ahead) * DAY); // collected 6 months before that
    const bar = bars.find((b) => b.rows === rows);
    assert.ok(bar, `a bar of ${rows} rows`);
    assert.ok(Math.abs(new Date(`${bar.date}T00:00:00Z`) - end) <= 4 * DAY, `${rows} rows due near ${iso(end)}`);
  }
  assert.equal(bars.reduce((a, b) => a + b.rows, 0), 8);
  const five = bars.find((b) => b.rows === 5);
  const one = bars.find((b) => b.rows === 1);
  assert.ok(five.h > one.h * 3, 'bar heights follow the counts');
  assert.match(await p.textContent('#due-total'), /^8 rows/);
  const holds = await p.$$eval('#holds tbody tr', (rs) => rs.map((r) => r.textContent));
  assert.equal(holds.length, 1);
  assert.match(holds[0], /service sms/);
  assert.match(holds[0], /case 2026\/42/);
  await shot(p, 'retention-console-en');
  await p.click('#signout');
  await p.waitForSelector('#signin-box:not([hidden])');
});

test('the_same_view_in_french', async (tt) => {
  const p = await open(tt, 'fr-FR');
  await p.goto(`${srv.base}/web/console/retention.html?lang=fr`);
  await signInWith(p, t.keys.readonly, '#due-box:not([hidden])');
  assert.equal(await p.textContent('h1'), 'Conservation');
  assert.equal(await p.textContent('#holds-box h2'), 'Gels juridiques en vigueur');
  assert.match(await p.textContent('#due-total'), /^8 lignes/);
  assert.match(await p.$eval('#chart svg title', (e) => e.textContent), /par jour/);
  assert.equal(await p.$$eval('#chart svg rect.bar', (rs) => rs.length), 30);
  await shot(p, 'retention-console-fr');
});
