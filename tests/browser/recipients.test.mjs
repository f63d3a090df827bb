// SPDX-License-Identifier: Apache-2.0
// recipients.test.mjs — the console's recipient registry in a real browser (issue 7): sign in
// with a DPO key (session cookie), the registry seeded from the policy, add a recipient with the
// keyboard only, vet it, see the approval refused while it lacks a TIA (the API's reasons shown),
// approve it once fixed, suspend it with a reason, see a flagged recipient, log a government
// request under a gag (S4.3, S4.8, S5.2); a readonly key reads but cannot change; English and
// French. Screenshots go to TUTELA_ARTIFACTS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { launch, shot, startServer, ROOT } from './lib/browser.mjs';
import { openPage, signInWith } from './lib/pages.mjs';
import { tenant } from '../api/lib/fixtures.mjs';

let srv;
let browser;
let t;
let dpo;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-rcpt-browser-'));

before(async () => {
  const policy = path.join(dir, 'policy.yaml');
  fs.copyFileSync(path.join(ROOT, 'policy', 'default.yaml'), policy);
  fs.copyFileSync(path.join(ROOT, 'policy', 'adequacy.yaml'), path.join(dir, 'adequacy.yaml'));
  srv = await startServer('sqlite', { args: ['--policy', policy] });
  browser = await launch();
  t = await tenant(srv, 'Recipients Console BV');
  const k = await srv.request('POST', '/v1/keys', { key: t.keys.admin, body: { role: 'dpo' } });
  assert.equal(k.status, 201, k.text);
  dpo = k.json.token;
  // a recipient relying on a decision that lapses: flagged by `tutela recipients reevaluate`
  const add = await srv.request('POST', '/v1/recipients', {
    key: dpo,
    body: {
      key: 'shield_vendor', name: 'Shield Vendor Inc.', category: 'service_provider', role: 'processor',
      country: 'US', dpa_ref: 'DPA-9', transfer_mechanism: 'adequacy', adequacy_key: 'us_privacy_shield',
    },
  });
  assert.equal(add.status, 201, add.text);
  assert.match(srv.cli('recipients', 'reevaluate', '--policy', policy, '--tenant', t.id), /flagged 1/);
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const open = (tt, lang) => openPage(browser, tt, { base: srv.base, locale: lang });

const signInAs = (p, key) => signInWith(p, key, '#registry-box:not([hidden])');

/** Focuses a field with Tab presses from the one before, so the form is keyboard usable. */
async function typeInto(p, selector, text) {
  await p.focus(selector);
  await p.keyboard.type(text);
}

/** The text of a registry row, once the row is there (the box shows before its first load ends). */
const rowOf = async (p, key) => (await p.waitForSelector(`#registry tr[data-key="${key}"]`)).textContent();
const statusLine = (p) => p.textContent('#status');
/** Waits until the status line reads as re says (it is written after the rows it speaks of). */
const statusReads = (p, re) => p.waitForFunction((src) => new RegExp(src).test(document.querySelector('#status').textContent), re.source);

test('dpo_adds_vets_approves_suspends_and_logs_a_government_request_en', async (tt) => {
  const p = await open(tt, 'en-GB');
  await p.goto(`${srv.base}/web/console/recipients.html?lang=en`);
  await signInAs(p, dpo);
  assert.equal(await p.textContent('h1'), 'Recipients');
  const cookies = await p.context().cookies();
  assert.ok(cookies.some((c) => c.httpOnly), 'the session is an HttpOnly cookie');
  // the seeded registry: the payment providers as independent controllers (S4.3)
  assert.match(await rowOf(p, 'stripe'), /Payment service provider.*Independent controller.*US.*Approved/);
  // the flagged one is listed as such (S5.2)
  await p.waitForFunction(() => /Shield Vendor/.test(document.querySelector('#flagged').textContent));
  assert.match(await p.textContent('#flagged'), /Shield Vendor Inc\.: adequacy_lapsed:us_privacy_shield/);
  assert.match(await rowOf(p, 'shield_vendor'), /Flagged/);

  // add with the keyboard only: type into each field, Tab between them, Enter submits
  await typeInto(p, '#add-key', 'acme_mail');
  await p.keyboard.press('Tab');
  await p.keyboard.type('Acme Mail Ltd');
  await p.keyboard.press('Tab');
  await p.keyboard.press('Tab'); // category: service provider (first), role: processor (first)
  await p.keyboard.press('Tab');
  await p.keyboard.type('US');
  await p.keyboard.press('Tab');
  await p.keyboard.type('DPA-2026-11');
  await p.selectOption('#add-mechanism', 'scc');
  await p.focus('#add-purposes');
  await p.keyboard.type('essential.service, finance.billing');
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => document.querySelector('#registry tr[data-key="acme_mail"]'));
  await statusReads(p, /Acme Mail Ltd added as proposed/);
  // the outcome line stays once the sign-in load has ended (its last read shows #gov-box), even
  // when that load ends after the add (slow under ASan)
  await p.waitForSelector('#gov-box:not([hidden])');
  assert.match(await statusLine(p), /Acme Mail Ltd added as proposed/);
  assert.match(await rowOf(p, 'acme_mail'), /Processor.*US.*Standard contractual clauses.*Proposed/);

  // manage it: its row's button, reached by keyboard
  await p.focus('#registry tr[data-key="acme_mail"] button');
  await p.keyboard.press('Enter');
  await p.waitForSelector('#manage-box:not([hidden])');
  assert.equal(await p.textContent('#manage-title'), 'Manage Acme Mail Ltd');
  await p.fill('#vet-notes', 'ISO 27001 certificate seen');
  await p.click('#vet-submit');
  await p.waitForFunction(() => /Vetting of/.test(document.querySelector('#status').textContent));
  assert.match(await rowOf(p, 'acme_mail'), /Vetted/);
  // no TIA for a SCC transfer: the approval is refused and says why
  await p.click('#approve');
  await p.waitForSelector('#status.error');
  assert.match(await statusLine(p), /transfer impact assessment/);
  assert.match(await rowOf(p, 'acme_mail'), /Vetted/);
  const fix = await srv.request('PATCH', '/v1/recipients/acme_mail', { key: dpo, body: { tia_done: true } });
  assert.equal(fix.status, 200, fix.text);
  await p.click('#approve');
  await p.waitForFunction(() => /approved\./.test(document.querySelector('#status').textContent));
  assert.match(await rowOf(p, 'acme_mail'), /Approved/);
  await p.fill('#suspend-reason', 'data breach under review');
  await p.press('#suspend-reason', 'Enter');
  await p.waitForFunction(() => /suspended/.test(document.querySelector('#status').textContent));
  assert.match(await rowOf(p, 'acme_mail'), /Suspended/);
  const stored = await srv.request('GET', '/v1/recipients/acme_mail', { key: dpo });
  assert.equal(stored.json.status, 'suspended');
  assert.equal(stored.json.status_reason, 'data breach under review');
  assert.equal(stored.json.vetting_notes, 'ISO 27001 certificate seen');

  // the filter shows one status
  await p.selectOption('#filter', 'status=suspended');
  await p.waitForFunction(() => document.querySelectorAll('#registry tbody tr').length === 1);

  // a government request under a gag (S4.8)
  await p.waitForSelector('#gov-box:not([hidden])');
  await p.fill('#gov-authority', 'Rotterdam District Court');
  await p.fill('#gov-instrument', 'Court order 2026/118');
  await p.fill('#gov-scope', 'Billing records of one account');
  await p.fill('#gov-data', 'user.financial');
  await p.fill('#gov-approved', 'DPO on duty');
  await p.check('#gov-gag');
  await p.click('#gov-submit');
  await p.waitForFunction(() => document.querySelectorAll('#govreqs tbody tr').length === 1);
  assert.match(await p.textContent('#govreqs tbody'), /Rotterdam District Court.*Court order 2026\/118.*yes/);
  const gov = await srv.request('GET', '/v1/government-requests', { key: dpo });
  assert.equal(gov.json.items[0].gag, true);
  await shot(p, 'recipients-console-en');
  await p.click('#signout');
  await p.waitForSelector('#signin-box:not([hidden])');
});

test('a_load_that_ends_after_an_add_leaves_the_add_s_rows_and_line', async (tt) => {
  const p = await open(tt, 'en-GB');
  // hold the sign-in load's registry read until the add has been shown
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let first = true;
  await p.route((u) => u.pathname === '/v1/recipients' && u.search === '', async (route) => {
    if (route.request().method() === 'GET' && first) {
      first = false;
      await held;
    }
    await route.continue();
  });
  await p.goto(`${srv.base}/web/console/recipients.html?lang=en`);
  await signInWith(p, dpo, '#add-box:not([hidden])');
  await p.fill('#add-key', 'late_load_mail');
  await p.fill('#add-name', 'Late Load Mail BV');
  await p.fill('#add-country', 'NL');
  await p.fill('#add-dpa', 'DPA-7');
  await p.press('#add-purposes', 'Enter');
  await p.waitForFunction(() => document.querySelector('#registry tr[data-key="late_load_mail"]'));
  await statusReads(p, /Late Load Mail BV added as proposed/);
  assert.equal(await p.isHidden('#gov-box'), true, 'the sign-in load is still held');
  const rows = await p.$$eval('#registry tbody tr', (r) => r.length);
  // the held load now ends (its registry, flagged list and government requests read) ...
  const done = p.waitForResponse((r) => new URL(r.url()).pathname === '/v1/government-requests');
  release();
  await done;
  await p.waitForSelector('#gov-box:not([hidden])');
  await p.evaluate(() => new Promise((resolve) => { setTimeout(resolve, 200); }));
  // ... and writes nothing: the add's rows and line stay
  assert.match(await statusLine(p), /Late Load Mail BV added as proposed/);
  assert.equal(await p.$$eval('#registry tbody tr', (r) => r.length), rows);
  assert.match(await rowOf(p, 'late_load_mail'), /Proposed/);
  // a fresh load shows the count of the rows it lists
  await p.reload();
  await statusReads(p, /recipients in the registry/);
  assert.equal(await statusLine(p), `${rows} recipients in the registry.`);
  assert.equal(await p.$$eval('#registry tbody tr', (r) => r.length), rows);
});

test('a_readonly_key_reads_the_registry_but_cannot_change_it', async (tt) => {
  const p = await open(tt, 'en-GB');
  await p.goto(`${srv.base}/web/console/recipients.html?lang=en`);
  await signInAs(p, t.keys.readonly);
  assert.match(await rowOf(p, 'mollie'), /Approved/);
  assert.equal(await p.isHidden('#gov-box'), true, 'government requests are for the DPO only');
  await p.focus('#registry tr[data-key="example_analytics_unvetted"] button');
  await p.keyboard.press('Enter');
  await p.click('#approve');
  await p.waitForSelector('#status.error');
  assert.match(await statusLine(p), /DPO role needed/);
  const r = await srv.request('GET', '/v1/recipients/example_analytics_unvetted', { key: dpo });
  assert.equal(r.json.status, 'proposed', 'nothing changed');
});

test('the_same_view_in_french', async (tt) => {
  const p = await open(tt, 'fr-FR');
  await p.goto(`${srv.base}/web/console/recipients.html?lang=fr`);
  await signInAs(p, dpo);
  assert.equal(await p.textContent('h1'), 'Destinataires');
  assert.equal(await p.textContent('#flagged-box h2'), 'Signalés par une réévaluation des transferts');
  assert.match(await rowOf(p, 'stripe'), /Prestataire de services de paiement.*Responsable de traitement indépendant/);
  assert.match(await rowOf(p, 'stripe'), /Approuvé/);
  await statusReads(p, /destinataires dans le registre/); // written after the rows
  await p.focus('#registry tr[data-key="shield_vendor"] button');
  await p.keyboard.press('Enter');
  await p.click('#approve');
  await p.waitForSelector('#status.error');
  assert.match(await statusLine(p), /^Refusé : /);
  await shot(p, 'recipients-console-fr');
  // the console's other pages link here, keeping the language
  for (const page of ['requests', 'retention']) {
    await p.goto(`${srv.base}/web/console/${page}.html?lang=fr`);
    await p.waitForFunction(() => document.querySelector('#console-nav a[href*="recipients"]').textContent === 'Destinataires');
  }
  await p.click('#console-nav a[href*="recipients"]');
  await p.waitForSelector('#registry-box:not([hidden])');
  assert.match(p.url(), /recipients\.html\?lang=fr$/);
  assert.equal(await p.textContent('h1'), 'Destinataires');
});
