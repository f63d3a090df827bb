// SPDX-License-Identifier: Apache-2.0
// requests_code.test.mjs — one-time verification codes of rights requests (issue 5, S8.1): sent
// through the outbox to the email or phone on file (the email read back from the SMTP receiver),
// six digits kept hashed, working once, expiring, locked after 5 wrong tries; an unverified
// request reveals nothing, and the processor-mode channel never contacts the end user (S1.4).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, startServer } from './lib/server.mjs';
import { assertProblem, email, phone, subject, tenant } from './lib/fixtures.mjs';
import { smtpReceiver, until } from '../tools/receivers.mjs';

/** The six digits of the last code email to addr (body base64, as the outbox sends it). */
function codeIn(messages, addr) {
  const msg = messages.filter((m) => m.includes(`To: ${addr}`)).pop();
  if (!msg) return null;
  const body = msg.split(/\r?\n\r?\n/).slice(1).join('');
  const text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  const m = text.match(/\b(\d{6})\b/);
  return m ? m[1] : null;
}

for (const backend of backends()) {
  describe(`request codes (${backend})`, () => {
    let srv;
    let smtp;
    let t;
    before(async () => {
      const dir = fs.mkdtempSync('/tmp/tutela-smtp-');
      smtp = await smtpReceiver(path.join(dir, 'mail'));
      srv = await startServer(backend, {
        env: { TUTELA_JOBS: 'outbox.deliver', TUTELA_SMTP_URL: smtp.url, TUTELA_SMTP_FROM: 'privacy@tutela.example' },
      });
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
      await smtp?.close();
      if (smtp) fs.rmSync(path.dirname(smtp.dir), { recursive: true, force: true });
    });

    const post = (p, body, key = t.keys.service) => srv.request('POST', p, { key, body });
    const get = (p, key = t.keys.service) => srv.request('GET', p, { key });

    async function sentCode(addr) {
      return until(() => codeIn(smtp.messages(), addr));
    }

    test('code_by_email_verifies_once_and_unverified_reveals_nothing', async () => {
      const addr = email('code');
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: addr }] });
      const c = await post('/v1/requests', { type: 'access', subject: s.id, channel: 'dashboard' });
      assert.equal(c.status, 201, c.text);
      const sent = await post(`/v1/requests/${c.json.id}/verification`, { channel: 'email', lang: 'fr' });
      assert.equal(sent.status, 202, sent.text);
      assert.equal(sent.json.state, 'identity_verification');
      const ttl = new Date(sent.json.expires_at) - Date.now();
      assert.ok(ttl > 14 * 60e3 && ttl <= 15 * 60e3 + 2e3, sent.text);
      assert.ok(!sent.text.includes(addr)); // nothing personal in the reply
      const pending = await get(`/v1/requests/${c.json.id}`);
      assert.equal(pending.json.verified_at, null);
      assert.equal(pending.json.download, undefined);

      const code = await sentCode(addr);
      assert.match(code, /^\d{6}$/);
      const msg = smtp.messages().filter((m) => m.includes(`To: ${addr}`)).pop();
      const subj = msg.match(/^Subject: =\?UTF-8\?B\?([^?]+)\?=$/m);
      assert.equal(Buffer.from(subj[1], 'base64').toString('utf8'), 'Votre code de vérification');
      // hashed at rest: the row holds neither the code nor anything that starts like it
      const row = srv.sql(`SELECT code_hash FROM requests WHERE request_id = '${c.json.id}'`).trim();
      assert.match(row, /^[0-9a-f]{64}$/);
      assert.ok(!row.includes(code));

      const wrongCode = code === '000000' ? '111111' : '000000';
      const bad = await post(`/v1/requests/${c.json.id}/verify`, { code: wrongCode });
      assertProblem(bad, 422, 'invalid-code', 'code');
      assert.match(bad.json.detail, /4 tries left/);
      assert.equal(srv.sql(`SELECT code_attempts FROM requests WHERE request_id = '${c.json.id}'`).trim(), '1');
      assertProblem(await post(`/v1/requests/${c.json.id}/verify`, { code: '12ab56' }), 400, 'invalid-field', 'code');
      assertProblem(await post(`/v1/requests/${c.json.id}/verify`, {}), 400, 'missing-field', 'code');

      const ok = await post(`/v1/requests/${c.json.id}/verify`, { code });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.verify_method, 'code');
      assert.equal(ok.json.state, 'completed');
      assert.ok(ok.json.download.url);
      assert.deepEqual(ok.json.timeline.map((e) => e.event),
        ['created', 'code_sent', 'code_failed', 'verify', 'start', 'complete']);
      const reused = await post(`/v1/requests/${c.json.id}/verify`, { code });
      assertProblem(reused, 410, 'code-expired', 'code');
      // neither the code nor the address in the audit trail or the log
      const audit = srv.sql(`SELECT detail FROM audit_events WHERE tenant_id = '${t.id}'`);
      assert.ok(!audit.includes(code) && !audit.includes(addr));
      assert.ok(!srv.logs().includes(code) && !srv.logs().includes(addr));
    });

    test('expired_code_is_refused_and_a_new_one_works', async () => {
      const addr = email('exp');
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: addr }] });
      const c = await post('/v1/requests', { type: 'restriction', subject: s.id, channel: 'dashboard' });
      await post(`/v1/requests/${c.json.id}/verification`, { channel: 'email' });
      const code = await sentCode(addr);
      srv.sql(`UPDATE requests SET code_expires_at = 1 WHERE request_id = '${c.json.id}'`);
      assertProblem(await post(`/v1/requests/${c.json.id}/verify`, { code }), 410, 'code-expired', 'code');
      assert.equal((await get(`/v1/subjects/${s.id}`)).json.restricted, false);
      const before = smtp.messages().length;
      const again = await post(`/v1/requests/${c.json.id}/verification`, { channel: 'email' });
      assert.equal(again.status, 202, again.text);
      await until(() => smtp.messages().length > before);
      const fresh = await sentCode(addr);
      const ok = await post(`/v1/requests/${c.json.id}/verify`, { code: fresh });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.state, 'in_progress');
      assert.equal((await get(`/v1/subjects/${s.id}`)).json.restricted, true);
    });

    test('five_wrong_codes_lock_verification_sms_goes_through_the_outbox', async () => {
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'phone', value: phone() }] });
      const c = await post('/v1/requests', { type: 'erasure', subject: s.id, channel: 'dashboard' });
      assertProblem(await post(`/v1/requests/${c.json.id}/verification`, { channel: 'email' }), 400, 'invalid-field', 'channel');
      const sent = await post(`/v1/requests/${c.json.id}/verification`, { channel: 'sms' });
      assert.equal(sent.status, 202, sent.text);
      // queued for the SMS gateway: one sealed message about this request, no clear payload
      const q = srv.sql(`SELECT kind, channel, ref FROM outbox WHERE ref = '${c.json.id}'`).trim();
      assert.equal(q.replace(/\|/g, ' '), `request.code 2 ${c.json.id}`);
      for (let i = 1; i <= 5; i++) {
        const r = await post(`/v1/requests/${c.json.id}/verify`, { code: '000000' });
        if (r.status === 200) assert.fail('a guessed code verified');
        if (i < 5) assertProblem(r, 422, 'invalid-code', 'code');
        else assertProblem(r, 423, 'verification-locked', 'code');
      }
      assertProblem(await post(`/v1/requests/${c.json.id}/verify`, { code: '123456' }), 423, 'verification-locked', 'code');
      assertProblem(await post(`/v1/requests/${c.json.id}/verification`, { channel: 'sms' }), 423, 'verification-locked', 'code');
      const r = await get(`/v1/requests/${c.json.id}`);
      assert.equal(r.json.verified_at, null);
      assert.ok(r.json.timeline.some((e) => e.event === 'code_locked'));
      // the subject is untouched: nothing was erased
      assert.equal((await get(`/v1/subjects/${s.id}`)).status, 200);
    });

    test('processor_mode_and_bad_input_send_nothing', async () => {
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: email('api') }] });
      const c = await post('/v1/requests', { type: 'access', subject: s.id });
      assert.equal(c.json.channel, 'api');
      const n = srv.sql('SELECT count(*) FROM outbox').trim();
      assertProblem(await post(`/v1/requests/${c.json.id}/verification`, { channel: 'email' }), 409, 'invalid-state', 'channel');
      assertProblem(await post(`/v1/requests/${c.json.id}/verification`, { channel: 'fax' }), 400, 'invalid-field', 'channel');
      assertProblem(await post('/v1/requests/req_nope/verification', { channel: 'email' }), 404, 'not-found', 'id');
      assertProblem(await post(`/v1/requests/${c.json.id}/verify`, { code: '123456' }), 409, 'invalid-state', 'state');
      assert.equal(srv.sql('SELECT count(*) FROM outbox').trim(), n);
      assert.equal((await get(`/v1/requests/${c.json.id}`)).json.state, 'received');
    });
  });
}
