// SPDX-License-Identifier: Apache-2.0
// dashboard.test.mjs — the privacy dashboard in a real browser (issue 5; S8.1): sign in with an API
// key (session cookie + CSRF), find an end user by email, see their data and consents, download
// the export once, ask for a correction, delete with the legal-obligation record named (S7.6),
// see their data by service and category and change their choices (S8.1, S8.2); English and
// French. Screenshots of each state go to TUTELA_ARTIFACTS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launch, shot, startServer } from './lib/browser.mjs';
import { openPage, signInWith } from './lib/pages.mjs';
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

const page = (tc, locale) => openPage(browser, tc,
  { base: srv.base, locale, viewport: { width: 1000, height: 900 }, acceptDownloads: true });

async function signIn(p, lang) {
  await p.goto(`${srv.base}/web/dashboard/index.html?lang=${lang}`);
  await signInWith(p, t.keys.service, '#find-box:not([hidden])');
}

test('find_an_end_user_download_the_export_once_and_ask_a_correction', async (tc) => {
  const addr = email('dash');
  const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: addr }] });
  const rec = await srv.request('POST', `/v1/subjects/${s.id}/records`, { key: t.keys.service, body: smsRecord() });
  assert.equal(rec.status, 201, rec.text);
  const p = await page(tc, 'en-GB');
  await signIn(p, 'en');
  // the API key is not kept in the page: the session cookie is HttpOnly
  assert.equal(await p.evaluate(() => document.cookie.includes('tt_session')), false);
  assert.equal(await p.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage })), '{}');
  await p.fill('#who', addr);
  await p.click('#find-submit');
  await p.waitForSelector('#person:not([hidden])');
  assert.equal(await p.textContent('dd.records'), '1');
  assert.equal(await p.textContent('dd.identities'), 'email');
  assert.ok(!(await p.content()).includes(addr.split('@')[0] + '</dd>'));
  await shot(p, 'dashboard-person-en');

  await p.click('#export');
  await p.waitForSelector('#download:not([hidden])');
  await shot(p, 'dashboard-export-en');
  const [dl] = await Promise.all([p.waitForEvent('download'), p.click('#download')]);
  const file = await dl.path();
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(file).subarray(0, 2).toString(), 'PK');
  const href = await p.getAttribute('#download', 'href');
  const again = await p.evaluate(async (u) => (await fetch(u)).status, href);
  assert.equal(again, 410); // downloadable once

  await p.click('#correct');
  await p.waitForFunction(() => /Correction request req_/.test(document.getElementById('status').textContent));
  const q = await srv.request('GET', '/v1/requests?status=received', { key: t.keys.service });
  assert.ok(q.json.items.some((r) => r.subject === s.id && r.type === 'rectification'));
});

test('data_by_service_and_category_and_choices_changed_from_the_dashboard_S8_1_S8_2', async (tc) => {
  const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: email('map') }] });
  const add = (body) => srv.request('POST', `/v1/subjects/${s.id}/records`, { key: t.keys.service, body });
  for (let i = 0; i < 2; i++) assert.equal((await add(smsRecord())).status, 201);
  const v = await add(smsRecord({ service: 'voice' }));
  assert.equal(v.status, 201, v.text);
  const p = await page(tc, 'en-GB');
  await signIn(p, 'en');
  await p.fill('#who', s.id);
  await p.click('#find-submit');
  await p.waitForSelector('#person:not([hidden])');
  // one row per service and category with its count, no value shown
  const rows = await p.$$eval('#datamap tbody tr', (trs) => trs.map((tr) => [
    tr.querySelector('.service').textContent, tr.querySelector('.category').textContent, tr.querySelector('.count').textContent]));
  assert.deepEqual(rows, [['sms', 'user.contact.phone_number', '2'], ['voice', 'user.contact.phone_number', '1']]);
  assert.ok(!(await p.textContent('#datamap')).includes('+3161234'));
  // correct one value of the voice row: the server keeps the former one with who, when and why
  await p.click('#datamap tbody tr:nth-child(2) button.fix');
  await p.waitForSelector('#fix:not([hidden])');
  assert.deepEqual(await p.$$eval('#fix-record option', (o) => o.map((x) => x.value)), [v.json.id]);
  await p.fill('#fix-value', '+31687654321');
  await p.fill('#fix-reason', 'number ported');
  await shot(p, 'dashboard-correct-en');
  await p.click('#fix-submit');
  await p.waitForFunction(() => /Corrected/.test(document.getElementById('status').textContent));
  const hist = await srv.request('GET', `/v1/subjects/${s.id}/rectifications?purpose=essential.service`, { key: t.keys.service });
  assert.deepEqual(hist.json.items.map((h) => [h.record, h.old_value, h.reason]), [[v.json.id, '+31612345678', 'number ported']]);
  const now = await srv.request('GET', `/v1/subjects/${s.id}/records?purpose=essential.service`, { key: t.keys.service });
  assert.equal(now.json.items.find((r) => r.id === v.json.id).value, '+31687654321');
  // a choice changed here is a consent event, seen by the API and the next decision
  const box = '#feature-marketing_email';
  assert.equal(await p.isChecked(box), false);
  await p.check(box);
  await p.click('#prefs-save');
  await p.waitForFunction(() => /choices were saved/.test(document.getElementById('status').textContent));
  await shot(p, 'dashboard-choices-en');
  const prefs = await srv.request('GET', `/v1/subjects/${s.id}/preferences`, { key: t.keys.service });
  assert.equal(prefs.json.preferences.marketing_email, true, prefs.text);
  assert.match(await p.textContent('#consents'), /given/);
  assert.equal(await p.isChecked(box), true);
  await p.uncheck(box);
  await p.click('#prefs-save');
  await p.waitForFunction(() => /withdrawn/.test(document.querySelector('#consents').textContent));
  const after = await srv.request('GET', `/v1/subjects/${s.id}/preferences`, { key: t.keys.service });
  assert.equal(after.json.preferences.marketing_email, false);
  const proof = await srv.request('GET', `/v1/subjects/${s.id}/consents/history`, { key: t.keys.service });
  assert.deepEqual(proof.json.events.map((e) => e.action), ['grant', 'withdraw']);
  // saving with nothing changed records nothing
  await p.click('#prefs-save');
  await p.waitForFunction(() => /Nothing was changed/.test(document.getElementById('status').textContent));
  const again = await srv.request('GET', `/v1/subjects/${s.id}/consents/history`, { key: t.keys.service });
  assert.equal(again.json.events.length, 2);
});

test('delete_names_what_the_law_keeps_in_french', async (tc) => {
  const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: email('del') }] });
  const ids = [];
  for (let i = 0; i < 2; i++) {
    const r = await srv.request('POST', `/v1/subjects/${s.id}/records`, { key: t.keys.service, body: smsRecord() });
    ids.push(r.json.id);
  }
  srv.sql(`UPDATE records SET legal_basis = 3, retention_until = 4102444800 WHERE record_id = '${ids[0]}'`);
  const p = await page(tc, 'fr-FR');
  await signIn(p, 'fr');
  assert.equal(await p.textContent('h1'), 'Tableau de bord de confidentialité');
  await p.fill('#who', s.id);
  await p.click('#find-submit');
  await p.waitForSelector('#person:not([hidden])');
  assert.equal(await p.textContent('#datamap thead th:nth-child(2)'), 'Catégorie');
  // the record kept under a legal obligation is its own row, its basis in French
  assert.deepEqual(await p.$$eval('#datamap tbody .count', (c) => c.map((x) => x.textContent)), ['1', '1']);
  assert.match(await p.textContent('#datamap tbody'), /obligation légale/);
  assert.equal(await p.textContent('label[for="feature-marketing_email"]'), 'E-mails de marketing');
  await p.click('#erase'); // not confirmed: nothing happens
  await p.waitForFunction(() => document.getElementById('status').className.includes('error'));
  assert.equal((await srv.request('GET', `/v1/subjects/${s.id}`, { key: t.keys.service })).status, 200);
  await p.fill('#erase-confirm', 'DELETE');
  await p.click('#erase');
  await p.waitForFunction(() => /Effacé/.test(document.getElementById('status').textContent));
  assert.match(await p.textContent('#status'), /legal_obligation \(S7\.4\)/);
  await shot(p, 'dashboard-erased-fr');
  assert.equal((await srv.request('GET', `/v1/subjects/${s.id}`, { key: t.keys.service })).status, 410);
  await p.click('#signout');
  await p.waitForSelector('#signin-box:not([hidden])');
  assert.equal(await p.evaluate(async () => (await fetch('/v1/sessions/current')).status), 401);
});
