// SPDX-License-Identifier: Apache-2.0
// tenants.test.mjs — S1.4 tenants and API keys: the platform admin creates customer tenants and
// bootstraps their first key; admins create keys no stronger than their own and revoke them;
// roles gate routes; a customer never sees another tenant.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer } from './lib/server.mjs';
import { assertProblem, tenant } from './lib/fixtures.mjs';

for (const backend of backends()) {
  describe(`tenants and keys (${backend})`, () => {
    let srv;
    before(async () => {
      srv = await startServer(backend);
    });
    after(async () => {
      await srv?.stop();
    });

    test('platform_admin_creates_customer_tenant', async () => {
      const r = await srv.request('POST', '/v1/tenants', {
        key: srv.adminKey,
        body: { name: 'Zeta Messaging GmbH' },
      });
      assert.equal(r.status, 201, r.text);
      assert.match(r.json.id, /^ten_[a-z0-9]+$/);
      assert.equal(r.json.kind, 'customer');
      assert.equal(r.json.name, 'Zeta Messaging GmbH');
      assert.equal(r.headers.get('location'), `/v1/tenants/${r.json.id}`);
      const g = await srv.request('GET', `/v1/tenants/${r.json.id}`, { key: srv.adminKey });
      assert.equal(g.status, 200);
      assert.deepEqual(g.json, r.json);
    });

    test('own_tenant_is_readable_by_every_role', async () => {
      const t = await tenant(srv);
      for (const role of ['admin', 'service', 'readonly']) {
        const r = await srv.request('GET', '/v1/tenant', { key: t.keys[role] });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.id, t.id);
        const g = await srv.request('GET', `/v1/tenants/${t.id}`, { key: t.keys[role] });
        assert.equal(g.status, 200);
      }
      const p = await srv.request('GET', '/v1/tenant', { key: srv.adminKey });
      assert.equal(p.json.id, 'ten_platform');
      assert.equal(p.json.kind, 'platform');
    });

    test('customer_cannot_see_other_tenants_404', async () => {
      const a = await tenant(srv, 'A');
      const b = await tenant(srv, 'B');
      const r = await srv.request('GET', `/v1/tenants/${b.id}`, { key: a.keys.admin });
      assertProblem(r, 404, 'not-found');
      const p = await srv.request('GET', '/v1/tenants/ten_platform', { key: a.keys.admin });
      assertProblem(p, 404, 'not-found');
    });

    test('customer_admin_cannot_create_tenants_or_bootstrap_keys', async () => {
      const a = await tenant(srv);
      const b = await tenant(srv);
      const r = await srv.request('POST', '/v1/tenants', { key: a.keys.admin, body: { name: 'X' } });
      assertProblem(r, 403, 'forbidden');
      const k = await srv.request('POST', `/v1/tenants/${b.id}/keys`, {
        key: a.keys.admin,
        body: { role: 'admin' },
      });
      assertProblem(k, 403, 'forbidden');
    });

    test('bootstrap_key_for_unknown_tenant_is_404', async () => {
      const r = await srv.request('POST', '/v1/tenants/ten_doesnotexist0000000000000/keys', {
        key: srv.adminKey,
        body: { role: 'admin' },
      });
      assertProblem(r, 404, 'not-found', 'id');
    });

    test('key_token_is_returned_once_and_works', async () => {
      const t = await tenant(srv);
      const r = await srv.request('POST', '/v1/keys', { key: t.keys.admin, body: { role: 'service' } });
      assert.equal(r.status, 201);
      assert.match(r.json.id, /^key_/);
      assert.equal(r.json.role, 'service');
      assert.equal(r.json.tenant, t.id);
      assert.ok(r.json.token.startsWith(`tt_${r.json.id}_`));
      assert.equal(r.headers.get('cache-control'), 'no-store');
      const me = await srv.request('GET', '/v1/tenant', { key: r.json.token });
      assert.equal(me.json.id, t.id);
    });

    test('key_role_cannot_exceed_the_creator', async () => {
      const t = await tenant(srv);
      const r = await srv.request('POST', '/v1/keys', { key: t.keys.admin, body: { role: 'owner' } });
      assertProblem(r, 403, 'forbidden', 'role');
      const bad = await srv.request('POST', '/v1/keys', { key: t.keys.admin, body: { role: 'root' } });
      assertProblem(bad, 400, 'invalid-field', 'role');
    });

    test('roles_gate_routes', async () => {
      const t = await tenant(srv);
      const ro = await srv.request('POST', '/v1/keys', { key: t.keys.readonly, body: { role: 'readonly' } });
      assertProblem(ro, 403, 'forbidden');
      const svc = await srv.request('POST', '/v1/keys', { key: t.keys.service, body: { role: 'readonly' } });
      assertProblem(svc, 403, 'forbidden');
      const w = await srv.request('POST', '/v1/subjects', {
        key: t.keys.readonly,
        body: { kind: 'end_user', jurisdiction: 'NL' },
      });
      assertProblem(w, 403, 'forbidden');
      const list = await srv.request('GET', '/v1/subjects', { key: t.keys.readonly });
      assert.equal(list.status, 200);
      assert.deepEqual(list.json.items, []);
    });

    test('revoked_key_is_refused_and_revoke_is_tenant_scoped', async () => {
      const a = await tenant(srv);
      const b = await tenant(srv);
      const k = await srv.request('POST', '/v1/keys', { key: a.keys.admin, body: { role: 'service' } });
      // tenant B's admin cannot revoke A's key: 404, and the key keeps working
      const other = await srv.request('DELETE', `/v1/keys/${k.json.id}`, { key: b.keys.admin });
      assertProblem(other, 404, 'not-found', 'id');
      assert.equal((await srv.request('GET', '/v1/tenant', { key: k.json.token })).status, 200);
      const d = await srv.request('DELETE', `/v1/keys/${k.json.id}`, { key: a.keys.admin });
      assert.equal(d.status, 200, d.text);
      assert.equal(d.json.id, k.json.id);
      assert.ok(d.json.revoked_at);
      const after = await srv.request('GET', '/v1/tenant', { key: k.json.token });
      assertProblem(after, 401, 'unauthorized');
      const again = await srv.request('DELETE', `/v1/keys/${k.json.id}`, { key: a.keys.admin });
      assertProblem(again, 404, 'not-found', 'id');
    });

    test('missing_or_bad_auth_is_401', async () => {
      assertProblem(await srv.request('GET', '/v1/tenant'), 401, 'unauthorized');
      assertProblem(await srv.request('GET', '/v1/tenant', { key: 'tt_key_abc_notasecretatall' }),
        401, 'unauthorized');
      assertProblem(await srv.request('GET', '/v1/tenant', { headers: { authorization: 'Basic eA==' } }),
        401, 'unauthorized');
    });

    test('tenant_name_is_checked', async () => {
      const before = await srv.request('GET', '/v1/tenant', { key: srv.adminKey });
      assertProblem(await srv.request('POST', '/v1/tenants', { key: srv.adminKey, body: {} }),
        400, 'missing-field', 'name');
      assertProblem(await srv.request('POST', '/v1/tenants', { key: srv.adminKey, body: { name: 7 } }),
        400, 'wrong-type', 'name');
      assertProblem(await srv.request('POST', '/v1/tenants', {
        key: srv.adminKey,
        body: { name: 'x'.repeat(200) },
      }), 400, 'invalid-field', 'name');
      assertProblem(await srv.request('POST', '/v1/tenants', {
        key: srv.adminKey,
        body: { name: 'ok', kind: 'platform' },
      }), 400, 'unknown-field', 'kind');
      const after = await srv.request('GET', '/v1/tenant', { key: srv.adminKey });
      assert.deepEqual(after.json, before.json);
    });
  });
}
