// SPDX-License-Identifier: Apache-2.0
// audit_trail.test.mjs — every change and every read of personal values leaves an audit event
// in the tenant's hash chain (S6.3), committed with the change; a refused request leaves none;
// no event carries a personal value; `tutela audit verify` accepts the chains.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer } from './lib/server.mjs';
import { email, phone, smsRecord, subject, tenant } from './lib/fixtures.mjs';

function events(srv, tenantId) {
  return srv
    .cli('audit', 'export', '--tenant', tenantId)
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .filter((e) => e.action);
}

for (const backend of backends()) {
  describe(`audit trail of the API (${backend})`, () => {
    let srv;
    before(async () => {
      srv = await startServer(backend);
    });
    after(async () => {
      await srv?.stop();
    });

    test('writes_and_reads_are_audited_without_personal_values', async () => {
      const t = await tenant(srv);
      const mail = email('audit');
      const tel = phone();
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: mail }] });
      const add = await srv.request('POST', `/v1/subjects/${s.id}/identities`, {
        key: t.keys.service,
        body: { type: 'phone', value: tel },
      });
      assert.equal(add.status, 201);
      const rec = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: t.keys.service,
        body: smsRecord({ value: 'audited value' }),
      });
      assert.equal(rec.status, 201);
      const batch = await srv.request('POST', '/v1/records', {
        key: t.keys.service,
        body: { items: [{ subject: s.id, ...smsRecord({ value: 'batched value' }) }] },
      });
      assert.equal(batch.status, 201);
      await srv.request('GET', `/v1/subjects/${s.id}/records?purpose=essential.service`, { key: t.keys.service });
      await srv.request('GET', `/v1/subjects/${s.id}/records?purpose=marketing.communications`, { key: t.keys.service });
      await srv.request('GET', `/v1/subjects/${s.id}/identities?purpose=essential.service.account_creation`, {
        key: t.keys.service,
      });

      const ev = events(srv, t.id);
      const actions = ev.map((e) => e.action);
      for (const a of ['tenant.created', 'key.create', 'subject.create', 'identity.add', 'record.create',
        'record.read', 'record.read.denied', 'identity.read']) {
        assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
      }
      const create = ev.find((e) => e.action === 'subject.create');
      assert.equal(create.target, s.id);
      assert.equal(create.actor, t.keys.service.split('_').slice(1, 3).join('_'));
      assert.equal(ev.filter((e) => e.action === 'record.create').length, 2);
      const text = JSON.stringify(ev);
      for (const secret of [mail, tel, tel.slice(1), 'audited value', 'batched value']) {
        assert.ok(!text.includes(secret), 'no personal value in the audit trail');
      }
      srv.cli('audit', 'verify');
    });

    test('refused_requests_leave_no_event', async () => {
      const t = await tenant(srv);
      const s = await subject(srv, t.keys.service);
      const before = events(srv, t.id).length;
      const bad = [
        ['POST', `/v1/subjects/${s.id}/records`, smsRecord({ purpose: 'no.such' })],
        ['POST', '/v1/records', { items: [{ subject: s.id, ...smsRecord() }, { subject: s.id, value: 1 }] }],
        ['POST', '/v1/subjects', { kind: 'end_user', jurisdiction: 'NL', identities: [{ type: 'email', value: 'x' }] }],
      ];
      for (const [method, p, body] of bad) {
        const r = await srv.request(method, p, { key: t.keys.service, body });
        assert.ok(r.status >= 400 && r.status < 500, r.text);
      }
      assert.equal(events(srv, t.id).length, before);
    });
  });
}
