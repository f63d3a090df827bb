// SPDX-License-Identifier: Apache-2.0
// subprocessors.test.mjs — the public sub-processor page in a real browser (issue 7 part B;
// S14.1): it lists the approved processors and sub-processors only, subscribes by email with the
// keyboard alone (the confirm mail read from the real SMTP receiver, its link confirming the
// subscription), renders in French, and stays usable at 360 px. No request leaves the server.
// Screenshots go to TUTELA_ARTIFACTS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { launch, request, shot, startServer } from './lib/browser.mjs';
import { openPage } from './lib/pages.mjs';
import { email, tenant } from '../api/lib/fixtures.mjs';
import { smtpReceiver, until } from '../tools/receivers.mjs';

const PUBLIC = 'http://public.example';
let srv;
let smtp;
let browser;
let t;
let tmp;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-subs-web-'));
  smtp = await smtpReceiver(path.join(tmp, 'mail'));
  srv = await startServer('sqlite', {
    env: {
      TUTELA_JOBS: 'outbox.deliver', TUTELA_SMTP_URL: smtp.url, TUTELA_SMTP_FROM: 'privacy@tutela.example',
      TUTELA_PUBLIC_URL: PUBLIC,
    },
  });
  browser = await launch();
  t = await tenant(srv, 'Sub Processor Page BV');
  // one entry the list must not show: suspended
  await srv.request('GET', `/v1/public/${t.id}/subprocessors`); // seeds the registry
  for (let i = 0; ; i++) { // the sqlite3 shell has no busy timeout: retry while the server writes
    try {
      srv.sql(`UPDATE recipients SET status = 'suspended' WHERE tenant_id = '${t.id}' AND rkey = 'affiliate_uk'`);
      break;
    } catch (e) {
      if (i >= 100) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
  await smtp?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function open(tt, { lang = 'en', width = 1100 } = {}) {
  const p = await openPage(browser, tt, { base: srv.base, locale: lang, viewport: { width, height: 900 } });
  await p.goto(`${srv.base}/web/subprocessors/?tenant=${t.id}&lang=${lang}`);
  await p.waitForSelector('#list tbody tr');
  return p;
}

test('list_shows_approved_processors_only', async (tt) => {
  const p = await open(tt);
  const keys = await p.$$eval('#list tbody tr', (rows) => rows.map((r) => r.dataset.key));
  assert.deepEqual(keys, ['example_cloud_eu', 'example_cloud_us']);
  const us = await p.textContent('#list tbody tr[data-key="example_cloud_us"]');
  assert.match(us, /Example cloud hosting \(US region\)/);
  assert.match(us, /Standard contractual clauses/);
  assert.match(us, /US/);
  assert.match(await p.textContent('#org'), /Sub Processor Page BV/);
  assert.equal(await p.textContent('h1'), 'Our sub-processors');
  await shot(p, 'subprocessors-list-en');
});

test('subscribe_with_the_keyboard_and_confirm_by_the_mailed_link', async (tt) => {
  const p = await open(tt);
  const addr = email('web');
  // keyboard only: tab to the field, type, Enter submits
  await p.focus('body');
  for (let i = 0; i < 30; i++) {
    await p.keyboard.press('Tab');
    if (await p.evaluate(() => document.activeElement?.id === 'email')) break;
  }
  assert.equal(await p.evaluate(() => document.activeElement?.id), 'email', 'the field is reachable by Tab');
  await p.keyboard.type('not an email');
  await p.keyboard.press('Enter');
  await p.waitForSelector('#subscribe-result.error');
  assert.equal(await p.getAttribute('#email', 'aria-invalid'), 'true');
  await p.fill('#email', addr);
  await p.keyboard.press('Enter');
  await p.waitForSelector('#subscribe-result.ok');
  assert.match(await p.textContent('#subscribe-result'), /check your inbox/);
  await shot(p, 'subprocessors-subscribed');
  const mail = await until(() => smtp.messages().find((m) => m.includes(`To: ${addr}`)));
  assert.ok(mail, 'the confirm mail arrived');
  const body = Buffer.from(mail.split(/\r?\n\r?\n/).slice(1).join('').replace(/\s+/g, ''), 'base64').toString('utf8');
  const link = body.match(/http:\/\/public\.example(\S+\/confirm\/\S+)/)[1];
  await p.goto(srv.base + link);
  assert.match(await p.textContent('h1'), /Subscription confirmed/);
  const again = await request(srv.base, 'GET', link);
  assert.equal(again.status, 400, 'the link works once');
  assert.equal(srv.sql(`SELECT status FROM sub_subscribers WHERE tenant_id = '${t.id}'`).trim(), 'confirmed');
});

test('french_rendering', async (tt) => {
  const p = await open(tt, { lang: 'fr' });
  assert.equal(await p.textContent('h1'), 'Nos sous-traitants');
  assert.equal(await p.getAttribute('html', 'lang'), 'fr');
  assert.match(await p.textContent('#list tbody tr[data-key="example_cloud_us"]'), /Clauses contractuelles types/);
  assert.equal(await p.textContent('#subscribe-submit'), "S'abonner");
  const missing = await p.$$eval('[data-i18n]', (els) => els.filter((e) => e.textContent === e.dataset.i18n).length);
  assert.equal(missing, 0, 'every text comes from the catalogue');
  await shot(p, 'subprocessors-list-fr');
});

test('usable_at_360px', async (tt) => {
  const p = await open(tt, { width: 360 });
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scroll (${overflow}px)`);
  const label = await p.$eval('#list tbody td', (td) => getComputedStyle(td, '::before').content);
  assert.match(label, /Name/, 'each cell says what it is when the table stacks');
  const box = await p.$eval('#subscribe-submit', (b) => b.getBoundingClientRect().width);
  assert.ok(box > 40);
  await shot(p, 'subprocessors-360');
});
