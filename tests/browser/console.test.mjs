// SPDX-License-Identifier: Apache-2.0
// console.test.mjs — the staff console in a real browser (issue 5; S8.1b, S8.3, S8.4): sign in
// with an API key, the queue by due date with overdue rows marked, a request's detail and
// timeline, verify by staff, extend with notice, complete, reject with grounds and the complaint
// text; English and French. Screenshots of each state go to TUTELA_ARTIFACTS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launch, shot, startServer } from './lib/browser.mjs';
import { subject, tenant } from '../api/lib/fixtures.mjs';

let srv;
let browser;
let t;

before(async () => {
  srv = await startServer();
  browser = await launch();
  t = await tenant(srv);
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

async function page(tc, locale) {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale });
  tc.after(() => ctx.close());
  const p = await ctx.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(e));
  tc.after(() => assert.deepEqual(errors.map(String), [], 'no script errors'));
  return p;
}

async function signIn(p, lang) {
  await p.goto(`${srv.base}/web/console/index.html?lang=${lang}`);
  await p.fill('#api-key', t.keys.admin);
  await p.click('#signin-submit');
  await p.waitForURL(/requests\.html/);
  await p.waitForSelector('#queue tbody tr');
}

const post = (path, body) => srv.request('POST', path, { key: t.keys.admin, body });

test('queue_by_due_date_detail_verify_extend_complete', async (tc) => {
  const s = await subject(srv, t.keys.service);
  const late = await post('/v1/requests', { type: 'rectification', subject: s.id, channel: 'staff', original: 'Dear DPO, please fix my name.' });
  assert.equal(late.status, 201, late.text);
  const soon = await post('/v1/requests', { type: 'objection', subject: s.id, purpose: 'marketing.advertising' });
  // one request is overdue (its deadline set in the past)
  srv.sql(`UPDATE requests SET due_at = 1000, original_due_at = 1000 WHERE request_id = '${soon.json.id}'`);
  const p = await page(tc, 'en-GB');
  await signIn(p, 'en');
  const order = await p.$$eval('#queue tbody tr', (rows) => rows.map((r) => r.dataset.id));
  assert.ok(order.indexOf(soon.json.id) < order.indexOf(late.json.id), order.join());
  assert.equal(await p.getAttribute(`tr[data-id="${soon.json.id}"]`, 'class'), 'overdue');
  await shot(p, 'console-queue-en');

  await p.click(`a[href="#${late.json.id}"]`);
  await p.waitForSelector('#detail:not([hidden])');
  assert.match(await p.textContent('#detail-title'), /Rectification request req_/);
  await p.fill('#reason', 'signed letter checked against the account');
  await p.click('#verify');
  await p.waitForFunction(() => document.getElementById('status').textContent === 'Verified.');
  assert.equal(await p.textContent('dd.fact-state'), 'In progress');
  await p.fill('#reason', 'many systems to correct');
  await p.click('#extend');
  await p.waitForFunction(() => /Extended/.test(document.getElementById('status').textContent));
  assert.equal(await p.textContent('dd.fact-state'), 'Extended');
  await p.fill('#reason', 'name corrected in CRM');
  await p.click('#complete');
  await p.waitForFunction(() => document.getElementById('status').textContent === 'Completed.');
  const steps = await p.$$eval('#timeline li', (li) => li.map((x) => x.textContent));
  assert.equal(steps.length, 5, steps.join('\n'));
  assert.match(steps[0], /Registered/);
  assert.match(steps[4], /Completed .*name corrected in CRM/);
  assert.equal(await p.isHidden('#actions'), true);
  await shot(p, 'console-detail-completed-en');
});

test('reject_an_objection_with_grounds_names_where_to_complain_in_french', async (tc) => {
  const s = await subject(srv, t.keys.service);
  const c = await post('/v1/requests', { type: 'objection', subject: s.id, purpose: 'marketing.advertising', channel: 'staff', original: 'Je m’oppose.' });
  const p = await page(tc, 'fr-FR');
  await signIn(p, 'fr');
  await p.goto(`${srv.base}/web/console/requests.html?lang=fr#${c.json.id}`);
  await p.waitForSelector('#detail:not([hidden])');
  await p.fill('#reason', 'pièces vérifiées');
  await p.click('#verify');
  await p.waitForFunction(() => document.getElementById('status').textContent === 'Vérifiée.');
  // S8.3: manifestly_unfounded is not enough to refuse an objection
  await p.selectOption('#grounds', 'manifestly_unfounded');
  await p.fill('#reason', 'x');
  await p.click('#reject');
  await p.waitForFunction(() => /champ : grounds/.test(document.getElementById('status').textContent));
  await p.selectOption('#grounds', 'legal_claim');
  await p.fill('#reason', 'procédure en cours');
  await p.click('#reject');
  await p.waitForFunction(() => /Rejetée/.test(document.getElementById('status').textContent));
  assert.match(await p.textContent('#complaint'), /Autoriteit Persoonsgegevens/);
  await shot(p, 'console-rejected-fr');
  assert.equal((await srv.request('GET', `/v1/requests/${c.json.id}`, { key: t.keys.admin })).json.state, 'rejected');
});
