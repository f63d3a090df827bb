// SPDX-License-Identifier: Apache-2.0
// subjects.test.mjs — subjects and identities: creation in one transaction (subject, key,
// identities, birth date record), views without personal values, paging, lookup by identifier in
// a body, identities added and listed (values only for a purpose that may see them, S1.1),
// S10.1 children, and identity conflicts that leave the store as it was.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer, snapshot } from './lib/server.mjs';
import { assertProblem, email, phone, subject, tenant } from './lib/fixtures.mjs';

for (const backend of backends()) {
  describe(`subjects (${backend})`, () => {
    let srv;
    let t;
    before(async () => {
      srv = await startServer(backend);
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
    });

    test('create_subject_with_identities_returns_no_personal_value', async () => {
      const mail = email();
      const tel = phone();
      const r = await srv.request('POST', '/v1/subjects', {
        key: t.keys.service,
        body: {
          kind: 'customer',
          jurisdiction: 'nl',
          contract_active: true,
          identities: [{ type: 'email', value: `  ${mail.toUpperCase()} ` }, { type: 'phone', value: tel }],
        },
      });
      assert.equal(r.status, 201, r.text);
      const s = r.json;
      assert.match(s.id, /^sub_[a-z0-9]+$/);
      assert.equal(s.kind, 'customer');
      assert.equal(s.jurisdiction, 'NL');
      assert.equal(s.contract_active, true);
      assert.equal(s.is_child, false);
      assert.equal(s.has_birth_date, false);
      assert.equal(s.record_count, 0);
      assert.deepEqual(s.identities.map((i) => i.type).sort(), ['email', 'phone']);
      for (const i of s.identities) assert.match(i.id, /^idn_/);
      assert.ok(!r.text.includes(mail) && !r.text.includes(tel.slice(1)), 'no value in the view');
      assert.equal(r.headers.get('location'), `/v1/subjects/${s.id}`);
      const g = await srv.request('GET', `/v1/subjects/${s.id}`, { key: t.keys.readonly });
      assert.equal(g.status, 200);
      assert.deepEqual(g.json, s);
    });

    test('lookup_finds_subject_by_normalised_identifier', async () => {
      const mail = email('look');
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: mail }] });
      const r = await srv.request('POST', '/v1/subjects/lookup', {
        key: t.keys.readonly,
        body: { type: 'email', value: ` ${mail.toUpperCase()}` },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.id, s.id);
      const tel = phone();
      const p = await subject(srv, t.keys.service, { identities: [{ type: 'phone', value: tel }] });
      const spaced = `${tel.slice(0, 3)} ${tel.slice(3, 4)} ${tel.slice(4, 8)} ${tel.slice(8)}`;
      const r2 = await srv.request('POST', '/v1/subjects/lookup', {
        key: t.keys.readonly,
        body: { type: 'phone', value: spaced.replace('+', '00') },
      });
      assert.equal(r2.status, 200, r2.text);
      assert.equal(r2.json.id, p.id);
      const none = await srv.request('POST', '/v1/subjects/lookup', {
        key: t.keys.readonly,
        body: { type: 'email', value: email('nobody') },
      });
      assertProblem(none, 404, 'not-found', 'value');
    });

    test('birth_date_sets_is_child_and_is_kept_sealed', async () => {
      const year = new Date().getUTCFullYear();
      const child = await subject(srv, t.keys.service, { birth_date: `${year - 10}-03-04` });
      assert.equal(child.is_child, true);
      assert.equal(child.has_birth_date, true);
      assert.equal(child.record_count, 1);
      const adult = await subject(srv, t.keys.service, { birth_date: `${year - 40}-03-04` });
      assert.equal(adult.is_child, false);
      const view = await srv.request('GET', `/v1/subjects/${child.id}`, { key: t.keys.readonly });
      assert.ok(!view.text.includes(`${year - 10}-03-04`));
      // the date comes back only as a record, for a purpose that may use it, and never for a
      // child's data (S10.1: the services are not for people under 18)
      const path = (id) => `/v1/subjects/${id}/records?purpose=essential.service.identity_verification`;
      const recs = await srv.request('GET', path(adult.id), { key: t.keys.service });
      assert.equal(recs.status, 200, recs.text);
      assert.equal(recs.json.items.length, 1);
      assert.equal(recs.json.items[0].data_category, 'user.demographic.date_of_birth');
      assert.equal(recs.json.items[0].value, `${year - 40}-03-04`);
      const kid = await srv.request('GET', path(child.id), { key: t.keys.service });
      assert.equal(kid.status, 200, kid.text);
      assert.deepEqual(kid.json.items, []);
      // refused, or already deleted by the retention sweep running in the server (S10.1: a
      // child's data goes at the next sweep, ahead of any rule)
      if (kid.json.denied !== 1) {
        const again = await srv.request('GET', `/v1/subjects/${child.id}`, { key: t.keys.readonly });
        assert.equal(again.json.record_count, 0, 'the record was swept, not returned');
      }
    });

    test('future_or_malformed_birth_date_is_400', async () => {
      const before = await snapshot(srv, t.keys.readonly);
      for (const d of ['2999-01-01', '1990-13-01', '01/02/1990', '1990-02-30x']) {
        const r = await srv.request('POST', '/v1/subjects', {
          key: t.keys.service,
          body: { kind: 'end_user', jurisdiction: 'NL', birth_date: d },
        });
        assertProblem(r, 400, 'invalid-field', 'birth_date');
      }
      assert.deepEqual(await snapshot(srv, t.keys.readonly), before);
    });

    test('list_pages_through_subjects', async () => {
      const tt = await tenant(srv, 'Pager');
      const ids = [];
      for (let i = 0; i < 5; i += 1) ids.push((await subject(srv, tt.keys.service)).id);
      const seen = [];
      let after = '';
      for (let guard = 0; guard < 10; guard += 1) {
        const r = await srv.request('GET', `/v1/subjects?limit=2${after ? `&after=${after}` : ''}`, {
          key: tt.keys.readonly,
        });
        assert.equal(r.status, 200, r.text);
        assert.ok(r.json.items.length <= 2);
        seen.push(...r.json.items.map((s) => s.id));
        if (!r.json.next_after) break;
        after = r.json.next_after;
      }
      assert.deepEqual([...seen].sort(), [...ids].sort());
      assert.equal(new Set(seen).size, 5);
    });

    test('list_limit_is_capped', async () => {
      for (const l of ['0', '1001', 'abc', '-1', '']) {
        const r = await srv.request('GET', `/v1/subjects?limit=${l}`, { key: t.keys.readonly });
        assertProblem(r, 400, 'invalid-parameter', 'limit');
      }
      const ok = await srv.request('GET', '/v1/subjects?limit=1000', { key: t.keys.readonly });
      assert.equal(ok.status, 200);
    });

    test('add_and_list_identities_values_only_for_a_purpose', async () => {
      const s = await subject(srv, t.keys.service);
      const mail = email('add');
      const a = await srv.request('POST', `/v1/subjects/${s.id}/identities`, {
        key: t.keys.service,
        body: { type: 'email', value: mail },
      });
      assert.equal(a.status, 201, a.text);
      assert.equal(a.json.type, 'email');
      assert.ok(!a.text.includes(mail));
      const c = await srv.request('POST', `/v1/subjects/${s.id}/identities`, {
        key: t.keys.service,
        body: { type: 'cookie_id', value: 'c0ffee00-1234-4abc-9def-0123456789ab' },
      });
      assert.equal(c.status, 201, c.text);

      const plain = await srv.request('GET', `/v1/subjects/${s.id}/identities`, { key: t.keys.readonly });
      assert.equal(plain.status, 200);
      assert.equal(plain.json.items.length, 2);
      assert.ok(plain.json.items.every((i) => i.value === undefined));
      assert.ok(!plain.text.includes(mail));

      // essential.service.account_creation may use email but not cookie ids
      const v = await srv.request('GET',
        `/v1/subjects/${s.id}/identities?purpose=essential.service.account_creation`,
        { key: t.keys.service });
      assert.equal(v.status, 200, v.text);
      const byType = Object.fromEntries(v.json.items.map((i) => [i.type, i]));
      assert.equal(byType.email.value, mail);
      assert.equal(byType.cookie_id.value, undefined);
      assert.equal(v.json.withheld, 1);
      assert.equal(v.headers.get('cache-control'), 'no-store');

      const ro = await srv.request('GET',
        `/v1/subjects/${s.id}/identities?purpose=essential.service.account_creation`,
        { key: t.keys.readonly });
      assertProblem(ro, 403, 'forbidden', 'purpose');
      const unknown = await srv.request('GET', `/v1/subjects/${s.id}/identities?purpose=nope.nope`,
        { key: t.keys.service });
      assertProblem(unknown, 422, 'unknown-purpose', 'purpose');
    });

    test('identity_in_use_is_409_naming_it_and_nothing_changes', async () => {
      const mail = email('dup');
      const first = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: mail }] });
      const before = await snapshot(srv, t.keys.readonly);
      const r = await srv.request('POST', '/v1/subjects', {
        key: t.keys.service,
        body: {
          kind: 'end_user',
          jurisdiction: 'DE',
          identities: [{ type: 'phone', value: phone() }, { type: 'email', value: mail.toUpperCase() }],
        },
      });
      assertProblem(r, 409, 'conflict', 'identities/1');
      const other = await subject(srv, t.keys.service);
      const after1 = await snapshot(srv, t.keys.readonly);
      assert.deepEqual(after1.filter((s) => s.id !== other.id), before);
      const add = await srv.request('POST', `/v1/subjects/${other.id}/identities`, {
        key: t.keys.service,
        body: { type: 'email', value: mail },
      });
      assertProblem(add, 409, 'conflict', 'value');
      assert.deepEqual(await snapshot(srv, t.keys.readonly), after1);
      const again = await srv.request('POST', '/v1/subjects/lookup', {
        key: t.keys.readonly,
        body: { type: 'email', value: mail },
      });
      assert.equal(again.json.id, first.id);
    });

    test('same_identifier_in_two_tenants_is_two_subjects', async () => {
      const mail = email('shared');
      const other = await tenant(srv, 'Other');
      const a = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: mail }] });
      const b = await subject(srv, other.keys.service, { identities: [{ type: 'email', value: mail }] });
      assert.notEqual(a.id, b.id);
      const la = await srv.request('POST', '/v1/subjects/lookup', {
        key: t.keys.readonly, body: { type: 'email', value: mail } });
      const lb = await srv.request('POST', '/v1/subjects/lookup', {
        key: other.keys.readonly, body: { type: 'email', value: mail } });
      assert.equal(la.json.id, a.id);
      assert.equal(lb.json.id, b.id);
    });
  });
}
