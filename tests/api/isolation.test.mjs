// SPDX-License-Identifier: Apache-2.0
// isolation.test.mjs — tenant isolation is absolute (S1.4, issue 2 item 7): no key of tenant B,
// whatever its role, reads, writes, looks up or revokes anything of tenant A; every attempt is a
// 404 (never 403, so ids do not leak) and reading back shows nothing changed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer, snapshot } from './lib/server.mjs';
import { assertProblem, email, phone, smsRecord, subject, tenant } from './lib/fixtures.mjs';

for (const backend of backends()) {
  describe(`tenant isolation (${backend})`, () => {
    let srv;
    let a;
    let b;
    let sub;
    let mail;
    let tel;
    before(async () => {
      srv = await startServer(backend);
      a = await tenant(srv, 'Alpha');
      b = await tenant(srv, 'Beta');
      mail = email('alpha');
      tel = phone();
      sub = await subject(srv, a.keys.service, {
        identities: [{ type: 'email', value: mail }, { type: 'phone', value: tel }],
      });
      const r = await srv.request('POST', `/v1/subjects/${sub.id}/records`, {
        key: a.keys.service,
        body: smsRecord({ value: 'alpha secret' }),
      });
      assert.equal(r.status, 201, r.text);
    });
    after(async () => {
      await srv?.stop();
    });

    test('tenant_b_keys_cannot_touch_tenant_a', async () => {
      const beforeA = await snapshot(srv, a.keys.readonly);
      const beforeB = await snapshot(srv, b.keys.readonly);
      for (const role of ['admin', 'service', 'readonly']) {
        const key = b.keys[role];
        const tries = [
          ['GET', `/v1/subjects/${sub.id}`, undefined, 'id'],
          ['GET', `/v1/subjects/${sub.id}/identities`, undefined, 'id'],
          ['GET', `/v1/subjects/${sub.id}/records?purpose=storage`, undefined, 'id'],
          ['POST', `/v1/subjects/${sub.id}/records`, smsRecord(), 'id'],
          ['POST', `/v1/subjects/${sub.id}/identities`, { type: 'email', value: email('b') }, 'id'],
          ['POST', '/v1/records', { items: [{ subject: sub.id, ...smsRecord() }] }, 'items/0/subject'],
          ['POST', '/v1/subjects/lookup', { type: 'email', value: mail }, 'value'],
          ['POST', '/v1/subjects/lookup', { type: 'phone', value: tel }, 'value'],
          ['GET', `/v1/tenants/${a.id}`, undefined, 'id'],
        ];
        for (const [method, p, body, field] of tries) {
          const res = await srv.request(method, p, { key, body });
          if (res.status === 403) {
            // a role too weak for the route is refused before any lookup: still nothing leaks
            assert.equal(role, 'readonly', `${role} ${method} ${p}`);
            assert.ok(!p.includes('lookup') && !p.endsWith(sub.id), `${method} ${p} is a read`);
            continue;
          }
          assertProblem(res, 404, 'not-found', field);
          assert.ok(!res.text.includes('alpha secret'));
        }
      }
      const list = await srv.request('GET', '/v1/subjects?limit=1000', { key: b.keys.readonly });
      assert.ok(!list.json.items.some((s) => s.id === sub.id));
      assert.deepEqual(await snapshot(srv, a.keys.readonly), beforeA);
      assert.deepEqual(await snapshot(srv, b.keys.readonly), beforeB);
    });

    test('tenant_b_cannot_revoke_tenant_a_keys', async () => {
      const k = await srv.request('POST', '/v1/keys', { key: a.keys.admin, body: { role: 'readonly' } });
      assert.equal(k.status, 201);
      const d = await srv.request('DELETE', `/v1/keys/${k.json.id}`, { key: b.keys.admin });
      assertProblem(d, 404, 'not-found', 'id');
      const still = await srv.request('GET', '/v1/tenant', { key: k.json.token });
      assert.equal(still.status, 200);
      assert.equal(still.json.id, a.id);
    });

    test('tenant_a_still_reads_its_own_data', async () => {
      const r = await srv.request('GET', `/v1/subjects/${sub.id}/records?purpose=essential.service`, {
        key: a.keys.service,
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.items.map((i) => i.value), ['alpha secret']);
      const l = await srv.request('POST', '/v1/subjects/lookup', {
        key: a.keys.readonly,
        body: { type: 'phone', value: tel },
      });
      assert.equal(l.json.id, sub.id);
    });
  });
}
