// SPDX-License-Identifier: Apache-2.0
// jobs_outbox.test.mjs — the outbox through a real `tutela serve` (issue 9): a webhook arrives
// signed per Standard Webhooks (the signature is recomputed here); a receiver answering 500 then
// 200 gets the message on the retry; an email reaches an SMTP receiver as a proper RFC 5322
// message with its extra headers; a receiver that is down is retried with backoff and nothing is
// lost across a server restart; a message given up is visible as failed and can be retried;
// listings never show an address or a body; bad input names the field and queues nothing.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, request, startServer } from './lib/server.mjs';
import { assertProblem, tenant } from './lib/fixtures.mjs';
import { freePort, smtpReceiver, startNode, until, webhookReceiver } from '../tools/receivers.mjs';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
// only this area's jobs run: other areas' jobs are not what this file tests
const OUR_JOBS = { TUTELA_JOBS: 'outbox.deliver,outbox.prune,feed.prune' };

function verify(got) {
  const id = got.headers['webhook-id'];
  const ts = got.headers['webhook-timestamp'];
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const expected = `v1,${createHmac('sha256', key).update(`${id}.${ts}.${got.body}`).digest('base64')}`;
  return got.headers['webhook-signature'] === expected;
}

for (const backend of backends()) {
  describe(`outbox (${backend})`, () => {
    let srv;
    let smtp;
    let t;
    const env = { ...OUR_JOBS, TUTELA_OUTBOX_BACKOFF_S: '1', TUTELA_OUTBOX_BACKOFF_CAP_S: '2', TUTELA_OUTBOX_MAX_ATTEMPTS: '3' };
    before(async () => {
      const dir = fs.mkdtempSync('/tmp/tutela-smtp-');
      smtp = await smtpReceiver(path.join(dir, 'mail'));
      env.TUTELA_SMTP_URL = smtp.url;
      env.TUTELA_SMTP_FROM = 'privacy@tutela.example';
      srv = await startServer(backend, { env });
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
      await smtp?.close();
      if (smtp) fs.rmSync(path.dirname(smtp.dir), { recursive: true, force: true });
    });

    const queue = (body, key = t.keys.admin, base = srv.base) => request(base, 'POST', '/v1/outbox', { key, body });
    const list = async (status, base = srv.base) => {
      const r = await request(base, 'GET', `/v1/outbox${status ? `?status=${status}` : ''}`, { key: t.keys.admin });
      assert.equal(r.status, 200, r.text);
      return r;
    };
    const find = async (id, base = srv.base) => (await list(undefined, base)).json.items.find((m) => m.id === id);

    test('webhook_arrives_signed_per_standard_webhooks', async () => {
      const rx = await webhookReceiver();
      try {
        const body = JSON.stringify({ type: 'subprocessor.change', n: 1 });
        const q = await queue({ channel: 'webhook', to: rx.url, body, secret: SECRET, kind: 'subprocessor.change' });
        assert.equal(q.status, 202, q.text);
        assert.match(q.json.id, /^msg_/);
        await until(() => rx.got.length > 0);
        assert.equal(rx.got.length, 1);
        const got = rx.got[0];
        assert.equal(got.body, body);
        assert.equal(got.headers['webhook-id'], q.json.id);
        assert.ok(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000) < 600);
        assert.ok(verify(got), 'the signature verifies with the secret');
        const m = await until(async () => { const x = await find(q.json.id); return x?.status === 'delivered' && x; });
        assert.equal(m.attempts, 1);
        assert.equal(m.retryable, false);
      } finally {
        await rx.close();
      }
    });

    test('receiver_500_then_200_gets_it_on_retry', async () => {
      const rx = await webhookReceiver({ answers: [500] });
      try {
        const q = await queue({ channel: 'webhook', to: rx.url, body: '{"k":2}', secret: SECRET });
        assert.equal(q.status, 202, q.text);
        const m = await until(async () => { const x = await find(q.json.id); return x?.status === 'delivered' && x; }, 20000);
        assert.ok(m, 'delivered after the retry');
        assert.equal(m.attempts, 2);
        assert.deepEqual(rx.got.map((g) => g.status), [500, 200]);
        assert.equal(rx.got[0].headers['webhook-id'], rx.got[1].headers['webhook-id'], 'same id: receivers can dedupe');
        assert.ok(verify(rx.got[1]));
      } finally {
        await rx.close();
      }
    });

    test('email_arrives_with_date_message_id_mime_and_list_unsubscribe', async () => {
      const before = smtp.messages().length;
      const q = await queue({
        channel: 'email',
        to: 'person@example.org',
        subject: 'Votre demande reçue',
        body: 'Bonjour,\nvotre demande est enregistrée.\n',
        headers: 'List-Unsubscribe: <https://tutela.example/u/abc>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n',
        kind: 'request.code',
      });
      assert.equal(q.status, 202, q.text);
      await until(() => smtp.messages().length > before);
      const msg = smtp.messages()[before];
      const [head, body] = msg.split(/\r?\n\r?\n/, 2);
      assert.match(head, /^Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/m);
      assert.match(head, new RegExp(`^Message-ID: <${q.json.id}@tutela\\.example>$`, 'm'));
      assert.match(head, /^From: privacy@tutela\.example$/m);
      assert.match(head, /^To: person@example\.org$/m);
      assert.match(head, /^MIME-Version: 1\.0$/m);
      assert.match(head, /^Content-Type: text\/plain; charset=UTF-8$/m);
      assert.match(head, /^List-Unsubscribe: <https:\/\/tutela\.example\/u\/abc>$/m);
      assert.match(head, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
      const subj = head.match(/^Subject: =\?UTF-8\?B\?([^?]+)\?=$/m);
      assert.ok(subj, head);
      assert.equal(Buffer.from(subj[1], 'base64').toString('utf8'), 'Votre demande reçue');
      assert.equal(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8'),
        'Bonjour,\nvotre demande est enregistrée.\n');
      const m = await until(async () => { const x = await find(q.json.id); return x?.status === 'delivered' && x; });
      assert.ok(m);
      // the delivery record holds no address and no body
      const all = await list();
      assert.ok(!all.text.includes('person@example.org'));
      assert.ok(!all.text.includes('Bonjour'));
    });

    test('given_up_message_is_failed_visible_and_retryable', async () => {
      const port = await freePort(); // nothing listens there
      const q = await queue({ channel: 'webhook', to: `http://127.0.0.1:${port}/hook`, body: '{"k":3}', secret: SECRET });
      assert.equal(q.status, 202, q.text);
      const m = await until(async () => { const x = await find(q.json.id); return x?.status === 'failed' && x; }, 30000);
      assert.ok(m, 'failed after the last attempt');
      assert.equal(m.attempts, 3);
      assert.match(m.last_error, /^curl 7 /);
      assert.equal(m.retryable, true);
      assert.ok(!JSON.stringify(m).includes(String(port)), 'no address in the record');
      const failed = await list('failed');
      assert.ok(failed.json.items.some((x) => x.id === q.json.id));
      // the receiver comes up; an operator retries
      const rx = await webhookReceiver({ port });
      try {
        const r = await request(srv.base, 'POST', `/v1/outbox/${q.json.id}/retry`, { key: t.keys.admin });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.status, 'pending');
        assert.equal(r.json.attempts, 0);
        await until(() => rx.got.length > 0);
        assert.ok(verify(rx.got[0]));
        const d = await until(async () => { const x = await find(q.json.id); return x?.status === 'delivered' && x; });
        assert.ok(d);
        const again = await request(srv.base, 'POST', `/v1/outbox/${q.json.id}/retry`, { key: t.keys.admin });
        assertProblem(again, 409, 'conflict', 'id');
      } finally {
        await rx.close();
      }
      const trail = srv.sql(`SELECT action FROM audit_events WHERE target = '${q.json.id}' ORDER BY seq`);
      assert.deepEqual(trail.trim().split('\n'), ['outbox.queue', 'outbox.retry']);
    });

    test('receiver_down_is_retried_with_backoff_and_survives_a_restart', async () => {
      const port = await freePort();
      const q = await queue({ channel: 'webhook', to: `http://127.0.0.1:${port}/hook`, body: '{"k":4}', secret: SECRET });
      assert.equal(q.status, 202, q.text);
      const m = await until(async () => { const x = await find(q.json.id); return x?.attempts >= 1 && x; });
      assert.equal(m.status, 'pending');
      assert.ok(m.next_attempt_at, 'a next attempt is scheduled');
      // restart the server on the same database; then the receiver comes up
      srv.child.kill('SIGTERM');
      await until(() => srv.child.exitCode !== null || srv.child.signalCode !== null, 10000, 25);
      const rx = await webhookReceiver({ port });
      const node = await startNode({ db: srv.db, mk: path.join(srv.dir, 'mk'), env });
      try {
        await until(() => rx.got.length > 0, 20000);
        assert.equal(rx.got.length, 1, 'delivered once');
        assert.equal(rx.got[0].headers['webhook-id'], q.json.id);
        const d = await until(async () => { const x = await find(q.json.id, node.base); return x?.status === 'delivered' && x; });
        assert.ok(d);
        assert.ok(d.attempts >= 2 && d.attempts <= 3, `attempts ${d.attempts}`);
      } finally {
        await node.stop();
        await rx.close();
      }
      // later tests in this file use a fresh server of their own
    });
  });

  describe(`outbox input (${backend})`, () => {
    let srv;
    let t;
    before(async () => {
      srv = await startServer(backend, { env: OUR_JOBS });
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
    });

    test('bad_input_names_the_field_and_queues_nothing', async () => {
      const cases = [
        [{ channel: 'fax', to: 'x@example.org', body: 'b' }, 'channel'],
        [{ channel: 'email', to: 'not an address', body: 'b' }, 'to'],
        [{ channel: 'webhook', to: 'ftp://example.org/x', body: '{}' }, 'to'],
        [{ channel: 'sms', to: '0612345678', body: 'b' }, 'to'],
        [{ channel: 'email', to: 'a@example.org', subject: 'a\r\nBcc: b@example.org', body: 'b' }, 'subject'],
        [{ channel: 'email', to: 'a@example.org', body: 'b', headers: 'X: 1\nBcc: b@example.org\r\n' }, 'headers'],
        [{ channel: 'webhook', to: 'http://127.0.0.1:9/x', body: 'not json' }, 'body'],
        [{ channel: 'webhook', to: 'http://127.0.0.1:9/x', body: '{}', secret: 'plain' }, 'secret'],
        [{ channel: 'email', to: 'a@example.org' }, 'body'],
        [{ channel: 'email', to: 'a@example.org', body: 'x'.repeat(300 * 1024) }, 'body'],
      ];
      for (const [body, field] of cases) {
        const r = await request(srv.base, 'POST', '/v1/outbox', { key: t.keys.admin, body });
        assert.equal(r.status, 400, `${field}: ${r.text}`);
        assert.equal(r.json.field, field, r.text);
      }
      const l = await request(srv.base, 'GET', '/v1/outbox', { key: t.keys.admin });
      assert.deepEqual(l.json.items, []);
      assertProblem(await request(srv.base, 'GET', '/v1/outbox?status=lost', { key: t.keys.admin }), 400, 'invalid-parameter', 'status');
      assertProblem(await request(srv.base, 'POST', '/v1/outbox/msg_nope/retry', { key: t.keys.admin }), 404, 'not-found', 'id');
    });

    test('outbox_is_admin_only_and_tenant_scoped', async () => {
      const svc = await request(srv.base, 'GET', '/v1/outbox', { key: t.keys.service });
      assert.equal(svc.status, 403, svc.text);
      const q = await request(srv.base, 'POST', '/v1/outbox', {
        key: t.keys.admin, body: { channel: 'sms', to: '+31612345678', body: 'code 1234' } });
      assert.equal(q.status, 202, q.text);
      const other = await tenant(srv, 'Other BV');
      const l = await request(srv.base, 'GET', '/v1/outbox', { key: other.keys.admin });
      assert.deepEqual(l.json.items, []);
      const r = await request(srv.base, 'POST', `/v1/outbox/${q.json.id}/retry`, { key: other.keys.admin });
      assertProblem(r, 404, 'not-found', 'id');
    });
  });
}
