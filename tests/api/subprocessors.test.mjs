// SPDX-License-Identifier: Apache-2.0
// subprocessors.test.mjs — the public sub-processor list and its subscriptions (issue 7 part B;
// S14.1, S12.1), through a real `tutela serve` on SQLite and PostgreSQL with the real SMTP and
// webhook receivers: the list holds approved processors and sub-processors only; email
// subscriptions are double opt-in (the confirm link works once; pending subscribers get no
// change notices) with one-click unsubscribe (RFC 8058) that wipes the address; a webhook
// subscriber gets a change notice signed per Standard Webhooks (verified here), retried after a
// 500, and nothing is lost across a restart; bad input names the field and stores nothing; a
// substantial notice version is announced once to customer accounts.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { POLICY, backends, request, startServer } from './lib/server.mjs';
import { assertProblem, email, tenant } from './lib/fixtures.mjs';
import { freePort, smtpReceiver, startNode, until, webhookReceiver } from '../tools/receivers.mjs';

const PUBLIC = 'http://public.example';
const JOBS = 'outbox.deliver,subscriptions.changes,subscriptions.notices';
// the change and notice jobs every second (5 s and 10 s by default), so waits are short
const FAST_JOBS = 'subscriptions.changes=1,subscriptions.notices=1';

/** The notices file the server reads at every pass (TUTELA_NOTICES): the shipped one, or with
 * a future version flagged substantial added (what a policy reload with a new version brings). */
function writeNotices(f, substantial) {
  const shipped = fs.readFileSync(path.join(import.meta.dirname, '../../policy/notices.yaml'), 'utf8');
  const next = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
  fs.writeFileSync(f, substantial ? shipped.replace('contacts:\n', `  - version: "2099.test"\n    effective_date: "${next}"\n`
    + '    summary: A new purpose and a longer retention.\n    substantial: true\ncontacts:\n') : shipped);
}

/** Text of a message from the SMTP receiver: headers as they are, the body decoded. */
function decode(msg) {
  const [head, ...rest] = msg.split(/\r?\n\r?\n/);
  const raw = rest.join('\n\n');
  const body = /Content-Transfer-Encoding: base64/i.test(head)
    ? Buffer.from(raw.replace(/\s+/g, ''), 'base64').toString('utf8') : raw;
  const s = head.match(/^Subject: =\?UTF-8\?B\?([^?]+)\?=$/m);
  const subject = s ? Buffer.from(s[1], 'base64').toString('utf8') : (head.match(/^Subject: (.*)$/m) || [])[1];
  return { head, body, subject };
}

const mailsTo = (smtp, addr) => smtp.messages().filter((m) => m.includes(`To: ${addr}`)).map(decode);
const local = (srv, url) => url.replace(PUBLIC, srv.base);
/** Waits until `job` has run `n` more passes on srv (job_leases.runs): what a job would do after
 * a change has been done by then, so "nothing more arrived" is checked without a fixed sleep. */
async function waitPasses(srv, job, n) {
  const runs = () => Number(srv.sql(`SELECT coalesce(max(runs), 0) FROM job_leases WHERE job = '${job}'`).trim());
  const target = runs() + n;
  assert.ok(await until(() => runs() >= target, 30000), `${n} passes of ${job}`);
}

function verify(got, secret) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signed = `${got.headers['webhook-id']}.${got.headers['webhook-timestamp']}.${got.body}`;
  return got.headers['webhook-signature'] === `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
}

for (const backend of backends()) {
  describe(`sub-processor list (${backend})`, () => {
    let srv;
    let smtp;
    let t;
    let tmp;
    const env = {
      TUTELA_JOBS: JOBS, TUTELA_PUBLIC_URL: PUBLIC, TUTELA_OUTBOX_BACKOFF_S: '1',
      TUTELA_OUTBOX_BACKOFF_CAP_S: '2', TUTELA_OUTBOX_MAX_ATTEMPTS: '8', TUTELA_SUBS_RATE: '1000',
      TUTELA_JOB_INTERVALS: FAST_JOBS,
    };
    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-subs-'));
      smtp = await smtpReceiver(path.join(tmp, 'mail'));
      env.TUTELA_SMTP_URL = smtp.url;
      env.TUTELA_SMTP_FROM = 'privacy@tutela.example';
      env.TUTELA_NOTICES = path.join(tmp, 'notices.yaml');
      writeNotices(env.TUTELA_NOTICES, false);
      srv = await startServer(backend, { env });
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
      await smtp?.close();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    const pub = (method, p, opts) => srv.request(method, `/v1/public/${t.id}${p}`, opts);
    const subscribe = (body) => pub('POST', '/subprocessors/subscriptions', { body });
    const keys = async () => (await pub('GET', '/subprocessors')).json.items.map((i) => i.key);
    const q = (s) => `'${s}'`;
    const rows = (where = '') => Number(srv.sql(`SELECT count(*) FROM sub_subscribers WHERE tenant_id = ${q(t.id)} ${where}`).trim());
    const digest = () => srv.sql(`SELECT digest FROM sub_snapshots WHERE tenant_id = ${q(t.id)}`).trim();
    const sealedHas = (text) => Number(srv.sql(backend === 'sqlite'
      ? `SELECT count(*) FROM sub_subscribers WHERE instr(to_enc, CAST(${q(text)} AS BLOB)) > 0`
      : `SELECT count(*) FROM sub_subscribers WHERE position(convert_to(${q(text)}, 'UTF8') in to_enc) > 0`).trim());
    /** Waits until `job` has run `n` more passes on the server (job_leases.runs). */
    const passes = (job, n) => waitPasses(srv, job, n);
    /** Changes the registry behind the list (what part A's API does), then waits for the job. */
    async function change(sql) {
      const before = digest();
      srv.sql(sql);
      assert.ok(await until(() => digest() !== before, 20000), 'the change job took a new snapshot');
    }
    let added = 0;
    const addEntry = () => {
      added++;
      return change(`INSERT INTO recipients SELECT tenant_id, 'rcp_added${added}', 'added_${added}', status, flagged_at,`
        + ` replace(doc, 'Example cloud hosting (EU region)', 'Added mailer ${added}'), created_at, updated_at`
        + ` FROM recipients WHERE tenant_id = ${q(t.id)} AND rkey = 'example_cloud_eu'`);
    };

    test('list_shows_approved_processors_only_and_follows_status', async () => {
      const r = await pub('GET', '/subprocessors');
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers.get('cache-control'), /public, max-age=60/);
      assert.deepEqual(r.json.items.map((i) => i.key), ['affiliate_uk', 'example_cloud_eu', 'example_cloud_us']);
      const us = r.json.items.find((i) => i.key === 'example_cloud_us');
      assert.equal(us.country, 'US');
      assert.equal(us.transfer_mechanism, 'scc');
      assert.equal(us.role, 'subprocessor');
      assert.ok(us.purposes.some((p) => p.key === 'storage' && p.name));
      assert.match(us.since, /^\d{4}-\d{2}-\d{2}$/);
      // controllers (Stripe), conduits (carriers) and unvetted entries are not on the list
      assert.ok(!r.text.includes('stripe') && !r.text.includes('example_carrier') && !r.text.includes('unvetted'));
      assert.equal(r.json.subscribe_url, `${PUBLIC}/v1/public/${t.id}/subprocessors/subscriptions`);
      srv.sql(`UPDATE recipients SET status = 'suspended' WHERE tenant_id = ${q(t.id)} AND rkey = 'affiliate_uk'`);
      assert.deepEqual(await keys(), ['example_cloud_eu', 'example_cloud_us']);
      srv.sql(`UPDATE recipients SET status = 'vetted' WHERE tenant_id = ${q(t.id)} AND rkey = 'affiliate_uk'`);
      assert.deepEqual(await keys(), ['example_cloud_eu', 'example_cloud_us']);
      srv.sql(`UPDATE recipients SET status = 'approved' WHERE tenant_id = ${q(t.id)} AND rkey = 'affiliate_uk'`);
      assert.deepEqual(await keys(), ['affiliate_uk', 'example_cloud_eu', 'example_cloud_us']);
      assertProblem(await srv.request('GET', '/v1/public/ten_nosuchtenant/subprocessors'), 404, 'unknown-tenant', 'tenant');
    });

    test('notice_version_json_html_and_markdown_in_two_languages', async () => {
      const j = await pub('GET', '/notice?lang=fr');
      assert.equal(j.status, 200, j.text);
      assert.equal(j.json.version, '2022.1');
      assert.equal(j.json.substantial, false);
      assert.equal(j.json.lang, 'fr');
      assert.match(j.json.statement.md, /format=md/);
      const h = await pub('GET', '/notice', { headers: { Accept: 'text/html' } });
      assert.equal(h.status, 200);
      assert.match(h.headers.get('content-type'), /text\/html/);
      assert.match(h.text, /<html lang="en"/);
      const m = await pub('GET', '/notice?format=md&lang=fr');
      assert.match(m.headers.get('content-type'), /text\/markdown/);
      assert.match(m.text, /^# Déclaration de confidentialité/);
      assertProblem(await pub('GET', '/notice?format=pdf'), 400, 'invalid-field', 'format');
    });

    test('email_double_opt_in_confirm_once_notices_and_one_click_unsubscribe', async () => {
      const addr = email('subs');
      const s = await subscribe({ email: addr, lang: 'fr' });
      assert.equal(s.status, 202, s.text);
      assert.equal(s.json.status, 'pending');
      assert.ok(!s.text.includes(addr));
      assert.equal(rows(`AND status = 'pending'`), 1);
      assert.equal(sealedHas(addr), 0, 'the address is sealed at rest');
      const confirmMail = await until(() => mailsTo(smtp, addr)[0]);
      assert.ok(confirmMail, 'the confirm mail arrived');
      assert.match(confirmMail.subject, /^Confirmez votre abonnement/);
      const link = confirmMail.body.match(/http:\/\/public\.example\S+\/confirm\/\S+/)[0];

      // a pending subscriber is told nothing
      await addEntry();
      await passes('outbox.deliver', 2);
      assert.equal(mailsTo(smtp, addr).length, 1, 'only the confirm mail');

      const ok = await request(local(srv, link), 'GET', '');
      assert.equal(ok.status, 200, ok.text);
      assert.match(ok.text, /Abonnement confirmé/);
      const again = await request(local(srv, link), 'GET', '');
      assert.equal(again.status, 400, 'the confirm link works once');
      assert.equal(rows(`AND status = 'confirmed'`), 1);

      // a change now reaches the subscriber, in French, with RFC 8058 headers
      // two changes in one transaction: the job sees both at once and tells them in one message
      await change(`BEGIN; UPDATE recipients SET doc = replace(doc, '"country":"US"', '"country":"CA"') WHERE tenant_id = ${q(t.id)} AND rkey = 'example_cloud_us';`
        + ` UPDATE recipients SET status = 'suspended' WHERE tenant_id = ${q(t.id)} AND rkey = 'affiliate_uk'; COMMIT;`);
      const notice = await until(() => mailsTo(smtp, addr)[1]);
      assert.ok(notice, 'the change notice arrived');
      assert.match(notice.subject, /^Changements des sous-traitants de Acme BV/);
      assert.match(notice.body, /Retiré: Affiliate \(United Kingdom\)/);
      assert.match(notice.body, /Modifié: Example cloud hosting \(US region\) \(CA, scc\) — country/);
      assert.ok(!notice.body.includes('Added mailer'), 'the change before confirmation is not repeated');
      const unsub = notice.head.match(/^List-Unsubscribe: <([^>]+)>/m)[1];
      assert.match(notice.head, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);

      const page = await request(local(srv, unsub), 'GET', '');
      assert.equal(page.status, 200);
      assert.match(page.text, /<form method="post"/);
      const bad = await request(local(srv, unsub), 'POST', '', { raw: 'List-Unsubscribe=Nope', contentType: 'application/x-www-form-urlencoded' });
      assert.equal(bad.status, 400);
      assert.equal(rows(`AND status = 'confirmed'`), 1, 'a wrong body changes nothing');
      const one = await request(local(srv, unsub), 'POST', '', { raw: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' });
      assert.equal(one.status, 200, one.text);
      assert.equal(rows(`AND status = 'unsubscribed' AND to_enc IS NULL AND blind LIKE 'gone:%'`), 1, 'address wiped');
      await addEntry();
      await passes('outbox.deliver', 2);
      assert.equal(mailsTo(smtp, addr).length, 2, 'nothing after unsubscribing');
    });

    test('webhook_notice_signed_retried_after_500_then_deleted_by_token', async () => {
      const rx = await webhookReceiver({ answers: [500] });
      try {
        const s = await subscribe({ webhook_url: rx.url });
        assert.equal(s.status, 201, s.text);
        assert.match(s.json.secret, /^whsec_[A-Za-z0-9+/=]{32}$/);
        assert.equal(s.json.status, 'confirmed');
        assert.equal(sealedHas(rx.url), 0, 'the URL is sealed at rest');
        assertProblem(await subscribe({ webhook_url: rx.url }), 409, 'conflict', 'webhook_url');
        await addEntry();
        await until(() => rx.got.length >= 2, 20000);
        assert.equal(rx.got[0].status, 500);
        assert.equal(rx.got[1].status, 200);
        assert.equal(rx.got[0].headers['webhook-id'], rx.got[1].headers['webhook-id'], 'the same message retried');
        assert.ok(verify(rx.got[1], s.json.secret), 'the Standard Webhooks signature verifies');
        const p = JSON.parse(rx.got[1].body);
        assert.equal(p.type, 'subprocessors.changed');
        assert.equal(p.subscription, s.json.id);
        assert.equal(p.changes.length, 1);
        assert.equal(p.changes[0].change, 'added');
        assert.equal(p.changes[0].after.name, `Added mailer ${added}`);
        // deleted by its token; a second delete and a made-up token are refused
        const del = await request(local(srv, s.json.delete_url), 'DELETE', '');
        assert.equal(del.status, 200, del.text);
        assert.equal(del.json.status, 'unsubscribed');
        assertProblem(await request(local(srv, s.json.delete_url), 'DELETE', ''), 400, 'invalid-link', 'token');
        const n = rx.got.length;
        await addEntry();
        await passes('outbox.deliver', 2);
        assert.equal(rx.got.length, n, 'nothing after the delete');
      } finally {
        await rx.close();
      }
    });

    test('registry_api_approval_and_suspension_reach_webhook_subscribers', async () => {
      // the recipients API (part A): only an approved entry is public; each step told once
      const k = await srv.request('POST', '/v1/keys', { key: t.keys.admin, body: { role: 'dpo' } });
      assert.equal(k.status, 201, k.text);
      const dpo = k.json.token;
      const act = (id, verb, body = {}) => srv.request('POST', `/v1/recipients/${id}/${verb}`, { key: dpo, body });
      const rx = await webhookReceiver();
      try {
        const s = await subscribe({ webhook_url: rx.url });
        assert.equal(s.status, 201, s.text);
        const r = await srv.request('POST', '/v1/recipients', {
          key: dpo,
          body: {
            key: 'api_mailer', name: 'API Mailer Inc.', category: 'service_provider', role: 'subprocessor',
            country: 'US', dpa_ref: 'DPA-2026-11', toms: 'encryption at rest', transfer_mechanism: 'scc',
            tia_done: true, purposes: ['essential.service'], public_listed: true,
          },
        });
        assert.equal(r.status, 201, r.text);
        assert.equal((await act(r.json.id, 'vet', { passed: true })).status, 200);
        await passes('subscriptions.changes', 2); // a whole pass of the job after the vetting
        assert.ok(!(await keys()).includes('api_mailer'), 'proposed and vetted entries are not public');
        assert.equal(rx.got.length, 0, 'nothing to tell yet');
        assert.equal((await act(r.json.id, 'approve')).status, 200);
        assert.ok((await keys()).includes('api_mailer'));
        await until(() => rx.got.length >= 1, 20000);
        const added = JSON.parse(rx.got[0].body).changes;
        assert.deepEqual(added.map((c) => [c.change, c.key]), [['added', 'api_mailer']]);
        assert.equal(added[0].after.transfer_mechanism, 'scc');
        const sus = await act(r.json.id, 'suspend', { reason: 'audit failed' });
        assert.equal(sus.status, 200, sus.text);
        await until(() => rx.got.length >= 2, 20000);
        const removed = JSON.parse(rx.got[1].body).changes;
        assert.deepEqual(removed.map((c) => [c.change, c.key]), [['removed', 'api_mailer']]);
        assert.ok(rx.got.every((g) => verify(g, s.json.secret)));
        assert.equal((await request(local(srv, s.json.delete_url), 'DELETE', '')).status, 200);
      } finally {
        await rx.close();
      }
    });

    test('bad_input_is_refused_naming_the_field_and_stores_nothing', async () => {
      const before = rows();
      const outbox = srv.sql('SELECT count(*) FROM outbox').trim();
      assertProblem(await subscribe({ email: 'not-an-email' }), 422, 'invalid-email', 'email');
      assertProblem(await subscribe({ webhook_url: 'ftp://example.com/hook' }), 422, 'invalid-webhook-url', 'webhook_url');
      assertProblem(await subscribe({ webhook_url: 'https://user:pw@example.com/hook' }), 422, 'invalid-webhook-url', 'webhook_url');
      assertProblem(await subscribe({ webhook_url: 'javascript:alert(1)' }), 422, 'invalid-webhook-url', 'webhook_url');
      assertProblem(await subscribe({ email: email('x'), webhook_url: 'https://example.com/h' }), 400, 'invalid-field');
      assertProblem(await subscribe({}), 400, 'invalid-field', 'email');
      assertProblem(await subscribe({ email: email('x'), lang: 'de' }), 400, 'invalid-field', 'lang');
      assertProblem(await subscribe({ email: email('x'), extra: 1 }), 400, 'unknown-field');
      assertProblem(await srv.request('POST', '/v1/public/ten_nosuchtenant/subprocessors/subscriptions', { body: { email: email('x') } }), 404, 'unknown-tenant', 'tenant');
      const confirm = await pub('GET', `/subprocessors/confirm/${'A'.repeat(43)}`);
      assert.equal(confirm.status, 400);
      const malformed = await pub('GET', '/subprocessors/confirm/short');
      assert.equal(malformed.status, 400);
      assertProblem(await pub('DELETE', `/subprocessors/subscriptions/${'B'.repeat(43)}`), 400, 'invalid-link', 'token');
      assert.equal(rows(), before, 'no subscriber stored');
      assert.equal(srv.sql('SELECT count(*) FROM outbox').trim(), outbox, 'nothing queued');
    });

    test('substantial_notice_version_announced_once_to_customer_accounts', async () => {
      const addrs = [email('acct'), email('acct2')];
      for (const [i, addr] of addrs.entries()) {
        const a = await srv.request('POST', '/v1/accounts', { key: t.keys.admin, body: { email: addr, password: 'Correct-Horse-Battery-9', role: i ? 'readonly' : 'admin' } });
        assert.equal(a.status, 201, a.text);
      }
      const announced = (addr) => mailsTo(smtp, addr).filter((m) => /2099\.test/.test(m.body));
      await passes('subscriptions.notices', 2);
      assert.equal(announced(addrs[0]).length, 0, 'nothing substantial yet');
      writeNotices(env.TUTELA_NOTICES, true); // the new version arrives
      for (const addr of addrs) assert.ok(await until(() => announced(addr)[0], 30000), 'each account got the announcement');
      const mail = announced(addrs[0])[0];
      assert.match(mail.subject, /^Our privacy statement changes on \d{4}-\d{2}-\d{2} \/ Notre déclaration/);
      assert.match(mail.body, /A new purpose and a longer retention\./);
      assert.match(mail.body, /Lire la nouvelle déclaration/);
      assert.equal(srv.sql(`SELECT accounts FROM sub_announcements WHERE version = '2099.test'`).trim(), '2');
      // later passes announce nothing again
      await passes('subscriptions.notices', 3);
      await passes('outbox.deliver', 2);
      for (const addr of addrs) assert.equal(announced(addr).length, 1, 'exactly once');
      const j = await pub('GET', '/notice');
      assert.equal(j.json.version, '2022.1', 'the version in effect is still the old one');
    });

    test('webhook_receiver_down_across_a_restart_loses_nothing', async () => {
      const port = await freePort();
      const s = await subscribe({ webhook_url: `http://127.0.0.1:${port}/hook` });
      assert.equal(s.status, 201, s.text);
      await addEntry();
      const outbox = async (base) => (await request(base, 'GET', '/v1/outbox', { key: t.keys.admin })).json.items
        .find((m) => m.ref === s.json.id && m.kind === 'subprocessor.change');
      const m = await until(async () => { const x = await outbox(srv.base); return x?.attempts >= 1 && x; }, 20000);
      assert.equal(m.status, 'pending');
      srv.child.kill('SIGTERM');
      await until(() => srv.child.exitCode !== null || srv.child.signalCode !== null, 10000, 25);
      const rx = await webhookReceiver({ port });
      const node = await startNode({ db: srv.db, mk: path.join(srv.dir, 'mk'), env });
      try {
        await until(() => rx.got.length > 0, 20000);
        assert.equal(rx.got.length, 1, 'delivered once');
        assert.ok(verify(rx.got[0], s.json.secret));
        assert.equal(JSON.parse(rx.got[0].body).changes[0].change, 'added');
        const d = await until(async () => { const x = await outbox(node.base); return x?.status === 'delivered' && x; });
        assert.ok(d);
      } finally {
        await node.stop();
        await rx.close();
      }
    });
  });

  describe(`notice version flagged auto (${backend})`, () => {
    let srv;
    let smtp;
    let t;
    let tmp;
    let policy;
    let notices;
    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-auto-'));
      for (const f of fs.readdirSync(path.dirname(POLICY))) {
        if (f.endsWith('.yaml')) fs.copyFileSync(path.join(path.dirname(POLICY), f), path.join(tmp, f));
      }
      policy = path.join(tmp, 'default.yaml');
      notices = path.join(tmp, 'notices.yaml');
      smtp = await smtpReceiver(path.join(tmp, 'mail'));
      srv = await startServer(backend, {
        env: {
          TUTELA_JOBS: 'outbox.deliver,subscriptions.notices', TUTELA_SMTP_URL: smtp.url,
          TUTELA_SMTP_FROM: 'privacy@tutela.example', TUTELA_JOB_INTERVALS: FAST_JOBS,
        },
        args: ['--policy', policy],
      });
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
      await smtp?.close();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** A new policy version (edit applied to the file), its notices entry flagged auto, reload. */
    let days = 20;
    async function release(version, edit) {
      const text = fs.readFileSync(policy, 'utf8').replace(/version: "[^"]+"(\s+# bump)/, `version: "${version}"$1`);
      fs.writeFileSync(policy, edit(text));
      const next = new Date(Date.now() + days++ * 86400e3).toISOString().slice(0, 10);
      fs.writeFileSync(notices, fs.readFileSync(notices, 'utf8').replace('contacts:\n',
        `  - version: "${version}"\n    effective_date: "${next}"\n    summary: Release ${version}.\n    substantial: auto\ncontacts:\n`));
      srv.child.kill('SIGHUP');
      const seen = () => srv.sql(`SELECT count(*) FROM sub_policy_texts WHERE version = '${version}'`).trim() === '1';
      assert.ok(await until(seen, 20000), `the policy of ${version} was seen`);
    }

    test('auto_version_announced_only_when_the_diff_finds_it_substantial', async () => {
      const addr = email('auto');
      const a = await srv.request('POST', '/v1/accounts', { key: t.keys.admin, body: { email: addr, password: 'Correct-Horse-Battery-9', role: 'admin' } });
      assert.equal(a.status, 201, a.text);
      assert.ok(await until(() => srv.sql("SELECT count(*) FROM sub_policy_texts WHERE version = '2022.1'").trim() === '1', 20000));
      // a new version that changes nothing that affects rights: not announced
      await release('2099.same', (x) => x);
      await waitPasses(srv, 'subscriptions.notices', 3);
      await waitPasses(srv, 'outbox.deliver', 2);
      assert.equal(srv.sql("SELECT count(*) FROM sub_announcements").trim(), '0');
      // a longer retention is substantial (S12.1): announced once
      await release('2099.auto', (x) => x.replace(/(key: sms_voice[\s\S]*?months: )6\n/, '$112\n'));
      const mail = await until(() => mailsTo(smtp, addr).find((m) => /2099\.auto/.test(m.body)), 30000);
      assert.ok(mail, 'the account was told');
      assert.match(mail.body, /Release 2099\.auto\./);
      assert.equal(srv.sql("SELECT version FROM sub_announcements").trim(), '2099.auto');
      assert.equal(mailsTo(smtp, addr).filter((m) => /2099\.same/.test(m.body)).length, 0);
    });
  });

  describe(`sub-processor subscriptions rate limit (${backend})`, () => {
    let srv;
    let t;
    before(async () => {
      srv = await startServer(backend, { env: { TUTELA_JOBS: 'subscriptions.changes', TUTELA_SUBS_RATE: '3' } });
      t = await tenant(srv);
    });
    after(async () => { await srv?.stop(); });

    test('subscribe_is_rate_limited_per_client', async () => {
      for (let i = 0; i < 3; i++) {
        const r = await srv.request('POST', `/v1/public/${t.id}/subprocessors/subscriptions`, { body: { webhook_url: `https://hooks.example.com/${i}` } });
        assert.equal(r.status, 201, r.text);
      }
      const r = await srv.request('POST', `/v1/public/${t.id}/subprocessors/subscriptions`, { body: { webhook_url: 'https://hooks.example.com/x' } });
      assertProblem(r, 429, 'rate-limited');
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      assert.equal(srv.sql(`SELECT count(*) FROM sub_subscribers WHERE tenant_id = '${t.id}'`).trim(), '3');
    });
  });
}
