// SPDX-License-Identifier: Apache-2.0
// account.test.mjs — the account pages in a real browser (issue 8; S6.1): sign in with email and
// password, set up two-factor authentication from the QR page (code from Debian's oathtool),
// recovery codes shown once, sign out, sign in again through the code step, list and revoke
// sessions; English and French. Every state is screenshotted into TUTELA_ARTIFACTS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import { launch, shot, startServer } from './lib/browser.mjs';
import { openPage } from './lib/pages.mjs';

const PW = 'Correct-Horse-9x';
let srv;
let browser;

before(async () => {
  srv = await startServer();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

const totp = (secret, offset = 0) => execFileSync('oathtool',
  ['--totp', '-b', '-N', `@${Math.floor(Date.now() / 1000) + offset}`, secret], { encoding: 'utf8' }).trim();

async function account(role = 'admin') {
  const addr = `page.${process.pid}.${Date.now()}@example.com`;
  const r = await srv.request('POST', '/v1/accounts', {
    key: srv.adminKey, body: { email: addr, password: PW, role },
  });
  assert.equal(r.status, 201, r.text);
  return addr;
}

async function page(t, lang) {
  const p = await openPage(browser, t, { base: srv.base, locale: lang, viewport: { width: 900, height: 900 } });
  return { ctx: p.context(), p };
}

async function signIn(p, addr, lang = 'en') {
  await p.goto(`${srv.base}/web/account/index.html?lang=${lang}`);
  await p.fill('#email', addr);
  await p.fill('#password', PW);
  await p.click('#submit');
}

test('sign_in_two_factor_set_up_and_second_sign_in_with_the_code', async (t) => {
  const addr = await account();
  const { p } = await page(t, 'en-GB');
  await p.goto(`${srv.base}/web/account/index.html`);
  await p.waitForFunction(() => document.querySelector('h1').textContent === 'Sign in');
  await shot(p, 'account-signin-en');
  await p.fill('#email', addr);
  await p.fill('#password', 'Wrong-Horse-9x');
  await p.click('#submit');
  await p.waitForSelector('#status.error');
  assert.match(await p.textContent('#status'), /refused/);
  assert.ok(!(await p.textContent('body')).includes('exist'), 'nothing says whether the account exists');
  await signIn(p, addr);
  await p.waitForSelector('#signed-in:not([hidden])');
  assert.match(await p.textContent('#status'), /signed in \(administrator\)/);
  const cookies = await p.context().cookies();
  const c = cookies.find((x) => x.name === 'tt_session');
  assert.ok(c && c.httpOnly && c.sameSite === 'Strict', JSON.stringify(c));
  assert.equal(await p.evaluate(() => document.cookie), '', 'the session cookie is not readable by scripts');

  await p.click('a[href*="2fa.html"]');
  await p.waitForSelector('#start:not([hidden])');
  await p.click('#start');
  await p.waitForSelector('#qr svg');
  const box = await p.locator('#qr svg').boundingBox();
  assert.ok(box.width > 150, 'the QR code is drawn');
  await shot(p, 'account-2fa-qr-en');
  const secret = (await p.textContent('#secret')).replace(/\s+/g, '');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await p.fill('#code', '000000');
  await p.click('#confirm button');
  await p.waitForSelector('#status.error');
  await p.fill('#code', totp(secret));
  await p.click('#confirm button');
  await p.waitForSelector('#done:not([hidden])');
  const codes = await p.locator('#codes li').allTextContents();
  assert.equal(codes.length, 10);
  await shot(p, 'account-2fa-recovery-en');

  await p.goto(`${srv.base}/web/account/sessions.html`);
  await p.waitForSelector('#signout:not([hidden])');
  await p.click('#signout');
  await p.waitForFunction(() => document.querySelector('#who').textContent.includes('not signed in'));

  await signIn(p, addr);
  await p.waitForSelector('#step-totp:not([hidden])');
  assert.match(await p.textContent('#status'), /two-factor/);
  await shot(p, 'account-signin-totp-step-en');
  await p.fill('#totp', totp(secret, 30));
  await p.click('#submit');
  await p.waitForSelector('#signed-in:not([hidden])');
});

test('sessions_page_lists_and_revokes_own_sessions_in_french', async (t) => {
  const addr = await account('readonly');
  // another session of the same account, opened elsewhere
  const other = await srv.request('POST', '/v1/sessions', { body: { email: addr, password: PW } });
  assert.equal(other.status, 201);
  const { p } = await page(t, 'fr-FR');
  await signIn(p, addr, 'fr');
  await p.waitForSelector('#signed-in:not([hidden])');
  assert.match(await p.textContent('#status'), /Vous êtes connecté \(lecture seule\)/);
  await p.goto(`${srv.base}/web/account/sessions.html?lang=fr`);
  await p.waitForSelector('#list:not([hidden]) tbody tr');
  assert.equal(await p.textContent('h1'), 'Vos sessions');
  assert.equal(await p.locator('#list tbody tr').count(), 2);
  assert.equal(await p.locator('button.revoke').count(), 1);
  await shot(p, 'account-sessions-fr');
  await p.click('button.revoke');
  await p.waitForFunction(() => document.querySelectorAll('#list tbody tr').length === 1);
  assert.match(await p.textContent('#status'), /révoquée/);
  const cookie = other.headers.get('set-cookie').match(/tt_session=([^;]*)/)[1];
  const gone = await srv.request('GET', '/v1/tenant', { headers: { cookie: `tt_session=${cookie}` } });
  assert.equal(gone.status, 401, 'the revoked session no longer works');
  await shot(p, 'account-sessions-revoked-fr');
});
