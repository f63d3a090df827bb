// SPDX-License-Identifier: Apache-2.0
// preferences.test.mjs — the preference centre (GET/POST /p/{token}) in a real browser over a
// real `tutela serve`, on every backend (issue 4; S3.3, S4.6, S9.6, S8.2, S1.3): a signed link
// issued through the API opens the subject's page; choices saved there are ledger events with
// their proof and evidence, read back through the API and verified by `tutela consent verify`; a
// reload shows what is stored and posts nothing again; French; keyboard only; a 360 px phone; a
// refused save (form not of this link) and a failed save (the store refusing the write) show an
// alert and change nothing; forged links are refused. Screenshots go to TUTELA_ARTIFACTS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { backends, launch, shot, startServer } from './lib/browser.mjs';
import { subject, tenant } from '../api/lib/fixtures.mjs';

const FEATURES = ['newsletter', 'product_information', 'marketing_email', 'marketing_sms',
  'email_tracking', 'surveys', 'saved_payment_methods', 'auto_top_up'];

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

// A store failure for the next writes: a trigger that refuses every consent event.
const FAIL_ON = {
  sqlite: ['CREATE TRIGGER tt_test_fail BEFORE INSERT ON consent_events'
    + " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"],
  postgres: ['CREATE FUNCTION tt_test_fail() RETURNS trigger LANGUAGE plpgsql AS'
    + " $$BEGIN RAISE EXCEPTION 'injected failure'; END$$",
  'CREATE TRIGGER tt_test_fail BEFORE INSERT ON consent_events'
    + ' FOR EACH ROW EXECUTE FUNCTION tt_test_fail()'],
};
const FAIL_OFF = {
  sqlite: ['DROP TRIGGER tt_test_fail'],
  postgres: ['DROP TRIGGER tt_test_fail ON consent_events', 'DROP FUNCTION tt_test_fail()'],
};

for (const backend of backends()) {
  describe(`preference centre (${backend})`, () => {
    let srv;
    let t;
    before(async () => {
      srv = await startServer(backend);
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
    });

    /** A new subject and the path of its preference page (a signed link from the API). */
    async function linked() {
      const s = await subject(srv, t.keys.service);
      const r = await srv.request('POST', '/v1/preference-links', {
        key: t.keys.service, body: { subject_id: s.id, ttl_days: 30 },
      });
      assert.equal(r.status, 201, r.text);
      assert.match(r.json.url, /^\/p\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      return { id: s.id, path: r.json.url, token: r.json.token };
    }

    async function open(tt, path, context = {}) {
      const ctx = await browser.newContext({ viewport: { width: 1024, height: 800 }, ...context });
      tt.after(() => ctx.close());
      const page = await ctx.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e));
      const thirdParty = [];
      page.on('request', (q) => { if (!q.url().startsWith(srv.base)) thirdParty.push(q.url()); });
      const res = await page.goto(srv.base + path);
      return { ctx, page, res, errors, thirdParty };
    }

    /** The boxes as the page shows them: { feature: checked }. */
    const boxes = (page) => page.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll('input[type=checkbox][name=on]')].map((b) => [b.value, b.checked])));
    const prefs = async (id) => {
      const r = await srv.request('GET', `/v1/subjects/${id}/preferences`, { key: t.keys.readonly });
      assert.equal(r.status, 200, r.text);
      return r.json.preferences;
    };
    const history = async (id) => {
      const r = await srv.request('GET', `/v1/subjects/${id}/consents/history`, { key: t.keys.readonly });
      assert.equal(r.status, 200, r.text);
      return r.json.events;
    };
    /** Clicks save and waits for the page it leads to; returns its main response. */
    const save = async (page, how = () => page.locator('button[type=submit]').click()) => {
      const nav = page.waitForNavigation();
      await how();
      return nav;
    };

    test('a signed link opens the page; choices saved there are ledger events with proof, read back through the API; a reload shows them and posts nothing', async (tt) => {
      const s = await linked();
      const { page, res, errors, thirdParty } = await open(tt, s.path);
      assert.equal(res.status(), 200);
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      assert.equal(await page.locator('h1').innerText(), 'Your communication preferences');
      assert.equal(await page.locator('meta[name=robots]').getAttribute('content'), 'noindex');
      const before = await boxes(page);
      assert.deepEqual(Object.keys(before).sort(), [...FEATURES].sort());
      // what the API says is what the page shows
      assert.deepEqual(before, await prefs(s.id));
      assert.equal(before.newsletter, false);
      assert.equal(before.product_information, true, 'legitimate interest: on until objected');
      // every box has a label and a description tied to it
      for (const f of FEATURES) {
        assert.equal(await page.locator(`label[for="f-${f}"]`).count(), 1, f);
        const d = await page.locator(`#f-${f}`).getAttribute('aria-describedby');
        assert.ok((await page.locator(`#${d}`).innerText()).length > 10, f);
      }
      await shot(page, `preferences-${backend}-first`);

      await page.locator('label[for="f-newsletter"]').click(); // the label toggles its box
      await page.locator('#f-marketing_sms').check();
      await page.locator('#f-product_information').uncheck();
      const after = await save(page);
      assert.equal(after.status(), 200);
      assert.match(page.url(), /\?lang=en&saved=1$/, 'answered by a redirect back to the page');
      assert.equal(await page.locator('[role=status]').innerText(), 'Your preferences have been saved.');
      const shown = await boxes(page);
      assert.deepEqual(shown, { ...before, newsletter: true, marketing_sms: true, product_information: false });
      await shot(page, `preferences-${backend}-saved`);

      // the API and the ledger
      assert.deepEqual(await prefs(s.id), shown);
      const ev = await history(s.id);
      assert.equal(ev.length, 3, JSON.stringify(ev));
      const byTarget = Object.fromEntries(ev.map((e) => [e.target, e]));
      assert.equal(byTarget.newsletter.action, 'grant');
      assert.equal(byTarget.marketing_sms.action, 'grant');
      assert.equal(byTarget.product_information.action, 'withdraw');
      for (const e of ev) {
        assert.equal(e.method, 'dashboard');
        assert.equal(e.target_kind, 'feature');
        assert.match(e.hash, /^[0-9a-f]{64}$/);
        assert.match(e.prev_hash, /^[0-9a-f]{64}$/);
        const proof = JSON.parse(e.proof);
        assert.equal(proof.id, e.id);
        assert.equal(proof.subject_id, s.id);
        assert.equal(proof.target, e.target);
        assert.match(proof.evidence, /^[0-9a-f]{64}$/, 'the proof commits to the sealed evidence');
        assert.match(e.evidence.user_agent, /Chrome/);
        assert.match(e.evidence.ip_hash, /^[0-9a-f]{64}$/);
        assert.ok(!JSON.stringify(e.evidence).includes('127.0.0.1'), 'the IP is kept only as a keyed hash');
      }
      // one save is one run of the chain: consecutive, each linked to the one before
      const seqs = ev.map((e) => e.seq).sort((a, b) => a - b);
      assert.deepEqual(seqs, [seqs[0], seqs[0] + 1, seqs[0] + 2]);
      const inSeq = [...ev].sort((a, b) => a.seq - b.seq);
      assert.equal(inSeq[1].prev_hash, inSeq[0].hash);
      assert.equal(inSeq[2].prev_hash, inSeq[1].hash);
      assert.match(srv.cli('consent', 'verify'), /ok/);

      // the decision index saw the withdrawal before the page was answered
      const d = await srv.request('POST', '/v1/decisions', {
        key: t.keys.service, body: { subject: s.id, purpose: 'marketing.product_information' },
      });
      assert.equal(d.status, 200, d.text);
      assert.equal(d.json.allow, false, d.text);

      // a reload shows the stored state and records nothing
      const again = await page.reload();
      assert.equal(again.status(), 200);
      assert.deepEqual(await boxes(page), shown);
      assert.equal((await history(s.id)).length, 3);
      // saving without a change records nothing either
      await save(page);
      assert.equal((await history(s.id)).length, 3);
      assert.deepEqual(errors, []);
      assert.deepEqual(thirdParty, [], 'no request leaves tutela');
    });

    test('French: ?lang=fr and Accept-Language render the page, the save and its answer in French', async (tt) => {
      const s = await linked();
      const { page } = await open(tt, `${s.path}?lang=fr`);
      assert.equal(await page.getAttribute('html', 'lang'), 'fr');
      assert.equal(await page.locator('h1').innerText(), 'Vos préférences de communication');
      assert.equal(await page.locator('button[type=submit]').innerText(), 'Enregistrer mes préférences');
      assert.equal(await page.locator('label[for="f-newsletter"]').innerText(), "Lettre d'information");
      assert.equal(await page.locator('legend').innerText(), 'Ce que nous pouvons vous envoyer');
      await page.locator('#f-surveys').check();
      await save(page);
      assert.match(page.url(), /lang=fr&saved=1$/);
      assert.equal(await page.locator('[role=status]').innerText(), 'Vos préférences ont été enregistrées.');
      assert.equal((await prefs(s.id)).surveys, true);
      await shot(page, `preferences-${backend}-fr`);

      const viaHeader = await open(tt, s.path, { locale: 'fr-FR', extraHTTPHeaders: { 'Accept-Language': 'fr-FR,fr;q=0.9' } });
      assert.equal(await viaHeader.page.getAttribute('html', 'lang'), 'fr');
      assert.equal((await boxes(viaHeader.page)).surveys, true);
    });

    test('keyboard only: Tab reaches every box and the button with a visible focus, Space toggles, Enter saves', async (tt) => {
      const s = await linked();
      const { page } = await open(tt, s.path);
      const active = () => page.evaluate(() => {
        const el = document.activeElement;
        const st = getComputedStyle(el);
        return { tag: el.tagName, value: el.value, type: el.type, outline: st.outlineStyle, width: st.outlineWidth };
      });
      const reached = [];
      for (let i = 0; i < FEATURES.length; i++) {
        await page.keyboard.press('Tab');
        const a = await active();
        assert.equal(a.type, 'checkbox', JSON.stringify(a));
        assert.notEqual(a.outline, 'none', `a visible focus on ${a.value}`);
        reached.push(a.value);
        if (a.value === 'email_tracking' || a.value === 'marketing_email') await page.keyboard.press('Space');
      }
      assert.deepEqual(reached, FEATURES, 'in the order of the page');
      await page.keyboard.press('Tab');
      const b = await active();
      assert.equal(b.tag, 'BUTTON');
      assert.notEqual(b.outline, 'none');
      await shot(page, `preferences-${backend}-keyboard`);
      await save(page, () => page.keyboard.press('Enter'));
      assert.match(page.url(), /saved=1$/);
      const p = await prefs(s.id);
      assert.equal(p.email_tracking, true);
      assert.equal(p.marketing_email, true);
      assert.equal(p.newsletter, false);
    });

    test('a 360 px phone: nothing wider than the screen, readable text, boxes and button large enough to tap', async (tt) => {
      const s = await linked();
      const { page } = await open(tt, s.path, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
      const m = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
        font: parseFloat(getComputedStyle(document.body).fontSize),
        desc: parseFloat(getComputedStyle(document.querySelector('.pref span')).fontSize),
      }));
      assert.ok(m.scroll <= m.client, `no horizontal scroll (${m.scroll} > ${m.client})`);
      assert.ok(m.font >= 16 && m.desc >= 14, JSON.stringify(m));
      for (const sel of ['button[type=submit]', '#f-newsletter', 'label[for="f-newsletter"]']) {
        const bb = await page.locator(sel).boundingBox();
        assert.ok(bb.x >= 0 && bb.x + bb.width <= 360, `${sel} within the screen: ${JSON.stringify(bb)}`);
        assert.ok(bb.height >= 24, `${sel} tall enough to tap (24 px): ${JSON.stringify(bb)}`);
      }
      await page.locator('label[for="f-auto_top_up"]').tap();
      await save(page, () => page.locator('button[type=submit]').tap());
      assert.equal((await prefs(s.id)).auto_top_up, true);
      await shot(page, `preferences-${backend}-360px`);
    });

    test('a failed save shows an alert and changes nothing: a form not of this link (403), the store refusing the write (5xx); then saving works again', async (tt) => {
      const s = await linked();
      const { page } = await open(tt, s.path);
      const stored = await prefs(s.id);

      // the form token of another link
      await page.locator('#f-newsletter').check();
      await page.evaluate(() => { document.querySelector('input[name=csrf]').value = '0'.repeat(64); });
      let res = await save(page);
      assert.equal(res.status(), 403);
      let alert = page.locator('[role=alert]');
      assert.match(await alert.innerText(), /could not be saved.*Nothing was changed/s);
      assert.equal(await page.locator('form').getAttribute('aria-describedby'), 'form-error');
      assert.deepEqual(await boxes(page), stored, 'the page shows what is stored');
      assert.deepEqual(await prefs(s.id), stored);
      assert.equal((await history(s.id)).length, 0);
      await shot(page, `preferences-${backend}-refused`);

      // the store refuses every consent event: two changes, neither recorded
      for (const q of FAIL_ON[backend]) srv.sql(q);
      await page.locator('#f-newsletter').check();
      await page.locator('#f-marketing_sms').check();
      res = await save(page);
      assert.ok(res.status() >= 500, `status ${res.status()}`);
      alert = page.locator('[role=alert]');
      assert.match(await alert.innerText(), /problem on our side.*Nothing was changed/s);
      assert.deepEqual(await boxes(page), stored);
      assert.deepEqual(await prefs(s.id), stored, 'all of the save or none of it');
      assert.equal((await history(s.id)).length, 0);
      await shot(page, `preferences-${backend}-failed`);

      // French alert
      await page.goto(`${srv.base}${s.path}?lang=fr`);
      await page.locator('#f-newsletter').check();
      res = await save(page);
      assert.ok(res.status() >= 500);
      assert.match(await page.locator('[role=alert]').innerText(), /n'ont pas pu être enregistrés.*Rien n'a été modifié/s);
      assert.equal(await page.getAttribute('html', 'lang'), 'fr');

      for (const q of FAIL_OFF[backend]) srv.sql(q);
      await page.goto(srv.base + s.path);
      await page.locator('#f-newsletter').check();
      res = await save(page);
      assert.equal(res.status(), 200);
      assert.equal((await prefs(s.id)).newsletter, true);
      assert.equal((await history(s.id)).length, 1);
      assert.match(srv.cli('consent', 'verify'), /ok/);
    });

    test('a forged or altered link shows an error page and records nothing', async (tt) => {
      const s = await linked();
      const [payload, mac] = s.token.split('.');
      const flip = (c) => (c === 'A' ? 'B' : 'A');
      for (const bad of [`${payload}.${flip(mac[0])}${mac.slice(1)}`, `${flip(payload[0])}${payload.slice(1)}.${mac}`]) {
        const { page, res } = await open(tt, `/p/${bad}`);
        assert.equal(res.status(), 400);
        assert.equal(await page.locator('h1').innerText(), 'This link is not valid');
        assert.equal(await page.locator('form').count(), 0);
      }
      const r = await fetch(`${srv.base}/p/${payload}.${flip(mac[0])}${mac.slice(1)}`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'on=newsletter',
      });
      assert.equal(r.status, 400);
      assert.equal((await history(s.id)).length, 0);
    });
  });
}
