// SPDX-License-Identifier: Apache-2.0
// inbox.test.mjs — reports into the inbox (S6.2, S10.1, S13.1, S8.1b): a credentials report locks
// the named account, ends its sessions and the keys it made; a children report flags the subject
// as a child; disputes and rights requests open cases for staff; cases are listed, assigned,
// moved and closed with every step audited; malformed, subject-less and oversized messages are
// refused with nothing stored; DPO role required; `tutela inbox import` does the same.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ROOT, backends, startServer } from './lib/server.mjs';
import { assertProblem, email, tenant } from './lib/fixtures.mjs';

const PW = 'Correct-Horse-9x';
const DATA = path.join(ROOT, 'tests', 'data', 'inbox');

const eml = (from, subject, body) =>
  `From: ${from}\r\nTo: privacy@tutela.example\r\nSubject: ${subject}\r\n\r\n${body}\r\n`;

function post(srv, key, raw, contentType = 'message/rfc822') {
  return srv.request('POST', '/v1/inbox', { key, raw, contentType });
}

for (const backend of backends()) {
  describe(`inbox and cases (${backend})`, () => {
    let srv;
    let t;
    let dpoKey;
    before(async () => {
      srv = await startServer(backend);
      t = await tenant(srv, 'Inbox Test BV');
      const k = await srv.request('POST', '/v1/keys', { key: t.keys.admin, body: { role: 'dpo' } });
      dpoKey = k.json.token;
    });
    after(async () => {
      await srv?.stop();
    });

    test('credentials_report_locks_the_account_revokes_sessions_and_its_keys', async () => {
      const addr = email('victim');
      const acc = await srv.request('POST', '/v1/accounts', {
        key: t.keys.admin, body: { email: addr, password: PW, role: 'admin' },
      });
      assert.equal(acc.status, 201, acc.text);
      const s = await srv.request('POST', '/v1/sessions', { body: { email: addr, password: PW } });
      const cookie = s.headers.get('set-cookie').match(/tt_session=([^;]*)/)[1];
      const headers = { cookie: `tt_session=${cookie}`, 'x-csrf-token': s.json.csrf_token };
      const made = await srv.request('POST', '/v1/keys', { headers, body: { role: 'readonly' } });
      assert.equal(made.status, 201, made.text);
      const other = await srv.request('POST', '/v1/keys', { key: t.keys.admin, body: { role: 'readonly' } });
      const r = await post(srv, dpoKey, eml(`Victim <${addr.toUpperCase()}>`,
        '=?UTF-8?Q?Re:_Urgent_:_identifiants_du_compte?=', 'Mon mot de passe a été volé.'));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.route, 'security');
      assert.equal(r.json.case.account, acc.json.id);
      assert.equal(r.json.sessions_revoked, 1);
      assert.equal(r.json.keys_revoked, 1);
      assert.equal(r.json.notified, true, 'the owner\'s notice is queued in the outbox (S6.2)');
      assert.ok(!r.text.includes(addr), 'no address in the answer');
      const ob = await srv.request('GET', '/v1/outbox', { key: t.keys.admin });
      assert.equal(ob.status, 200, ob.text);
      assert.ok(ob.json.items.some((m) => m.kind === 'security.lockout' && m.channel === 'email'), ob.text);
      assert.ok(!ob.text.includes(addr), 'the outbox lists no address');
      assert.equal((await srv.request('GET', '/v1/tenant', { headers })).status, 401);
      assert.equal((await srv.request('GET', '/v1/tenant', { key: made.json.token })).status, 401);
      assert.equal((await srv.request('GET', '/v1/tenant', { key: other.json.token })).status, 200,
        'keys the account did not make stay');
      const again = await srv.request('POST', '/v1/sessions', { body: { email: addr, password: PW } });
      assertProblem(again, 423, 'account-locked');
      const got = await srv.request('GET', `/v1/accounts/${acc.json.id}`, { key: t.keys.admin });
      assert.equal(got.json.status, 'locked');
      const audit = srv.cli('audit', 'export', '--tenant', t.id);
      assert.match(audit, /"account\.lock"/);
      assert.match(audit, /"inbox\.import"/);
      assert.ok(!audit.includes(addr.split('@')[0]), 'no address in the audit trail');
    });

    test('children_report_flags_the_named_subject_as_a_child', async () => {
      const kid = email('kid');
      const sub = await srv.request('POST', '/v1/subjects', {
        key: t.keys.service,
        body: { kind: 'end_user', jurisdiction: 'FR', identities: [{ type: 'email', value: kid }] },
      });
      assert.equal(sub.status, 201, sub.text);
      const r = await post(srv, dpoKey, eml('parent@example.net', 'Enfants',
        `Mon enfant (${kid}) a 12 ans et a un compte.`));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.route, 'children');
      assert.equal(r.json.case.subject, sub.json.id);
      const g = await srv.request('GET', `/v1/subjects/${sub.json.id}`, { key: t.keys.readonly });
      assert.equal(g.json.is_child, true);
      const d = await srv.request('POST', '/v1/decisions', {
        key: t.keys.service,
        body: { subject: sub.json.id, purpose: 'marketing.communications' },
      });
      assert.equal(d.status, 200, d.text);
      assert.equal(d.json.allow, false, `a child gets no marketing (S10.1): ${d.text}`);
    });

    test('every_sample_message_opens_the_case_of_its_route', async () => {
      for (const f of fs.readdirSync(DATA).filter((x) => x.endsWith('.eml')).sort()) {
        const raw = fs.readFileSync(path.join(DATA, f));
        const r = await post(srv, dpoKey, raw);
        if (f.startsWith('bad_')) {
          assertProblem(r, 422, 'malformed-message', f.split('_')[1]);
          continue;
        }
        assert.equal(r.status, 201, `${f}: ${r.text}`);
        assert.equal(r.json.route, f.split('_')[0], f);
        assert.equal(r.json.case.state, ['rights', 'other'].includes(r.json.route) ? 'triage' : 'open');
      }
    });

    test('cases_are_assigned_moved_closed_and_audited', async () => {
      const r = await post(srv, dpoKey, eml('counsel@lawfirm.example', 'Dispute', 'We contest.'));
      const id = r.json.case.id;
      const sup = await srv.request('POST', '/v1/keys', { key: t.keys.admin, body: { role: 'support' } });
      const list = await srv.request('GET', '/v1/cases?state=open', { key: sup.json.token });
      assert.equal(list.status, 200, list.text);
      assert.ok(list.json.items.some((c) => c.id === id && c.kind === 'legal'));
      const due = new Date(Date.now() + 7 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
      const p = await srv.request('PATCH', `/v1/cases/${id}`, {
        key: sup.json.token,
        body: { state: 'in_progress', owner: sup.json.id, due_at: due, note: 'sent to legal team' },
      });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.json.owner, sup.json.id);
      assert.equal(p.json.due_at, due);
      const c = await srv.request('PATCH', `/v1/cases/${id}`, { key: sup.json.token, body: { state: 'closed' } });
      assert.equal(c.json.state, 'closed');
      assert.ok(c.json.closed_at);
      assertProblem(await srv.request('PATCH', `/v1/cases/${id}`, { key: sup.json.token, body: { note: 'x' } }),
        409, 'invalid-state', 'state');
      assertProblem(await srv.request('PATCH', `/v1/cases/${id}`, { key: sup.json.token, body: { state: 'lost' } }),
        400, 'invalid-field', 'state');
      const audit = srv.cli('audit', 'export', '--tenant', t.id);
      assert.equal((audit.match(new RegExp(`"case\\.update","target":"${id}"`, 'g')) || []).length, 2);
      assert.ok(!audit.includes('sent to legal team'), 'notes stay out of the audit trail');
      const other = await tenant(srv, 'Other BV');
      assertProblem(await srv.request('GET', `/v1/cases/${id}`, { key: other.keys.admin }), 404, 'not-found');
    });

    test('bad_messages_are_refused_and_nothing_is_stored', async () => {
      const before = (await srv.request('GET', '/v1/cases?limit=1000', { key: dpoKey })).json.items.length;
      assertProblem(await post(srv, dpoKey, eml('a@example.com', 'Children', 'x'), 'text/plain'), 415,
        'unsupported-media-type', 'Content-Type');
      assertProblem(await post(srv, dpoKey, 'garbage without headers'), 422, 'malformed-message', 'body');
      assertProblem(await post(srv, dpoKey, 'From: a@example.com\r\n\r\nno subject'), 422,
        'malformed-message', 'subject');
      assertProblem(await post(srv, dpoKey, `From: a@example.com\r\nSubject: x\r\n\r\n${'a'.repeat(5 * 1024 * 1024)}`),
        413, 'body-too-large');
      assertProblem(await srv.request('POST', '/v1/inbox', { key: dpoKey }), 400, 'missing-field', 'body');
      assertProblem(await post(srv, t.keys.service, eml('a@example.com', 'Litige', 'x')), 403, 'forbidden');
      const after = (await srv.request('GET', '/v1/cases?limit=1000', { key: dpoKey })).json.items.length;
      assert.equal(after, before);
      const n = srv.sql('SELECT count(*) FROM inbox_messages').trim();
      assert.equal(Number(n), before);
      const raw = srv.sql(backend === 'sqlite'
        ? 'SELECT hex(substr(raw_enc, 1, 200)) FROM inbox_messages LIMIT 1'
        : "SELECT encode(substr(raw_enc, 1, 200), 'hex') FROM inbox_messages LIMIT 1");
      assert.ok(!Buffer.from(raw.trim(), 'hex').toString().includes('From:'), 'messages are sealed');
    });

    test('cli_inbox_import_routes_a_file_like_the_api', async () => {
      const out = srv.cli('inbox', 'import', '--tenant', t.id, path.join(DATA, 'legal_fr.eml'));
      assert.match(out, /^legal cas_[a-z0-9]+ inb_[a-z0-9]+\n$/);
      const id = out.split(' ')[1];
      const g = await srv.request('GET', `/v1/cases/${id}`, { key: dpoKey });
      assert.equal(g.status, 200, g.text);
      assert.equal(g.json.created_by, 'cli');
      assert.throws(() => srv.cli('inbox', 'import', '--tenant', t.id, path.join(DATA, 'bad_subject_missing.eml')),
        (e) => e.status === 3 && /no subject/.test(String(e.stderr)));
      // a file over the 5 MiB a message may have is refused before it is read whole
      const big = path.join(fs.mkdtempSync('/tmp/tt-inbox-'), 'big.eml');
      fs.writeFileSync(big, Buffer.alloc(5 * 1024 * 1024 + 1, 'a'));
      const cases = (await srv.request('GET', '/v1/cases?limit=1000', { key: dpoKey })).json.items.length;
      assert.throws(() => srv.cli('inbox', 'import', '--tenant', t.id, big),
        (e) => e.status === 3 && /big\.eml: larger than 5242880 bytes/.test(String(e.stderr)));
      assert.equal((await srv.request('GET', '/v1/cases?limit=1000', { key: dpoKey })).json.items.length, cases);
      fs.rmSync(path.dirname(big), { recursive: true });
    });
  });
}
