// SPDX-License-Identifier: Apache-2.0
// console.test.mjs — the staff console in a real browser (issue 5; S8.1b, S8.3, S8.4): sign in
// with an API key, the queue by due date with overdue rows marked, a request's detail and
// timeline, verify by staff, extend with notice, complete, reject with grounds and the complaint
// text; a rectification request's corrections (S1.5) with former values for a role that may read
// them and withheld for a read-only one; English and French. Screenshots of each state go to
// TUTELA_ARTIFACTS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launch, shot, startServer } from './lib/browser.mjs';
import { openPage } from './lib/pages.mjs';
import { email, smsRecord, subject, tenant } from '../api/lib/fixtures.mjs';

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

const page = (tc, locale) =>
  openPage(browser, tc, { base: srv.base, locale, viewport: { width: 1100, height: 900 } });

async function signIn(p, lang, key = t.keys.admin) {
  await p.goto(`${srv.base}/web/console/index.html?lang=${lang}`);
  await p.fill('#api-key', key);
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

test('rectification_request_shows_its_corrections_values_only_for_a_role_that_may_read_them_S1_5', async (tc) => {
  const before = email('console-old');
  const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: before }] });
  const rec = await srv.request('POST', `/v1/subjects/${s.id}/records`, { key: t.keys.service, body: smsRecord({ value: '+31600000111' }) });
  assert.equal(rec.status, 201, rec.text);
  const idn = (await srv.request('GET', `/v1/subjects/${s.id}/identities`, { key: t.keys.service })).json.items[0].id;
  const c = await post('/v1/requests', { type: 'rectification', subject: s.id, channel: 'staff', original: 'My number and address are wrong.' });
  assert.equal((await post(`/v1/requests/${c.json.id}/verify`, { method: 'staff', reason: 'letter checked' })).status, 200);
  const fix = (record, value, reason) => srv.request('POST', `/v1/subjects/${s.id}/rectifications`,
    { key: t.keys.service, body: { record, value, reason, request: c.json.id } });
  assert.equal((await fix(rec.json.id, '+31600000222', 'number ported')).status, 201);
  assert.equal((await fix(idn, email('console-new'), 'typo in the address')).status, 201);

  // an admin may read record values: who, when, why, what, and the former values
  const p = await page(tc, 'en-GB');
  await signIn(p, 'en');
  await p.goto(`${srv.base}/web/console/requests.html?lang=en#${c.json.id}`);
  await p.waitForSelector('#corrections-list li .former');
  const items = await p.$$eval('#corrections-list li', (li) => li.map((x) => x.textContent));
  assert.equal(items.length, 2, items.join('\n'));
  assert.match(items[0], /corrected user\.contact\.phone_number \(rec_.*number ported.*Former value: \+31600000111/);
  assert.match(items[1], new RegExp(`corrected user\\.contact\\.email \\(${idn}\\).*typo in the address.*Former value: ${before.replace(/\./g, '\\.')}`));
  assert.match(await p.textContent('#corrections-purpose'), /legal\.privacy_compliance.*audit trail/);
  const steps = await p.$$eval('#timeline li', (li) => li.map((x) => x.textContent));
  assert.equal(steps.filter((x) => /Corrected \(In progress\)/.test(x)).length, 2, steps.join('\n'));
  await shot(p, 'console-corrections-en');
  // the reading is audited with its purpose
  const audit = srv.sql(`SELECT detail FROM audit_events WHERE tenant_id = '${t.id}' AND action = 'rectification.read' AND target = '${s.id}'`).trim();
  assert.match(audit, /legal\.privacy_compliance/);

  // a read-only staff member sees the corrections without the former values, in French
  const q = await page(tc, 'fr-FR');
  await signIn(q, 'fr', t.keys.readonly);
  await q.goto(`${srv.base}/web/console/requests.html?lang=fr#${c.json.id}`);
  await q.waitForSelector('#corrections-list li .former');
  const masked = await q.$$eval('#corrections-list li', (li) => li.map((x) => x.textContent));
  assert.equal(masked.length, 2, masked.join('\n'));
  for (const m of masked) {
    assert.match(m, /a rectifié .*Ancienne valeur masquée \(votre rôle\)/);
    assert.ok(!m.includes('+31600000111') && !m.includes(before), m);
  }
  assert.match(await q.textContent('#corrections-purpose'), /votre rôle ne permet pas/);
  await shot(q, 'console-corrections-readonly-fr');
});

test('a_sign_in_clicked_before_the_texts_arrive_still_signs_in', async (tc) => {
  // the catalogue is slow to come: the form must already be the script's, not submitted natively
  const p = await page(tc, 'fr-FR');
  let release;
  const held = new Promise((r) => { release = r; });
  await p.route('**/web/i18n/console.*.json', async (route) => { await held; await route.continue(); });
  await p.goto(`${srv.base}/web/console/index.html?lang=fr`, { waitUntil: 'domcontentloaded' });
  await p.waitForFunction(() => !!document.getElementById('signin'));
  await p.fill('#api-key', t.keys.admin);
  setTimeout(release, 300); // the texts arrive after the click
  await p.click('#signin-submit');
  await p.waitForURL(/requests\.html/);
  await p.waitForSelector('#queue');
  assert.doesNotMatch(p.url(), /api-key|key=/);
});
