// SPDX-License-Identifier: Apache-2.0
// records.test.mjs — records under the policy: the data map (S3.5), purposes (S1.1), legal bases
// by jurisdiction (S2.1), sources (S3.2), retention ends (S7.1, S7.2), batches of up to 1,000 in
// one transaction (all or nothing), and reads that need a purpose and return only what it may use.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer, snapshot } from './lib/server.mjs';
import { assertProblem, smsRecord, subject, tenant } from './lib/fixtures.mjs';

function addMonths(iso, months) {
  const d = new Date(iso);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

for (const backend of backends()) {
  describe(`records (${backend})`, () => {
    let srv;
    let t;
    before(async () => {
      srv = await startServer(backend);
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
    });

    test('sms_record_gets_contract_basis_and_6_month_retention_S7_1', async () => {
      const s = await subject(srv, t.keys.service);
      const collected = '2026-01-31T10:00:00Z';
      const r = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: t.keys.service,
        body: smsRecord({ collected_at: collected }),
      });
      assert.equal(r.status, 201, r.text);
      assert.match(r.json.id, /^rec_/);
      assert.equal(r.json.legal_basis, 'contract');
      assert.equal(r.json.source, 'direct');
      assert.equal(r.json.collected_at, collected);
      assert.equal(r.json.retention_until, addMonths(collected, 6));
      assert.equal(r.json.value, undefined, 'no value in the write answer');
      const v = await srv.request('GET', `/v1/subjects/${s.id}`, { key: t.keys.readonly });
      assert.equal(v.json.record_count, 1);
      assert.equal(v.json.retention_until, r.json.retention_until, 'subject horizon follows');
    });

    test('jurisdiction_override_extends_sms_retention_S7_1', async () => {
      const s = await subject(srv, t.keys.service, { jurisdiction: 'IT' });
      const collected = '2026-02-10T00:00:00Z';
      const r = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: t.keys.service,
        body: smsRecord({ collected_at: collected }),
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.retention_until, addMonths(collected, 24));
    });

    test('contract_anchored_retention_stays_open_S7_2', async () => {
      const s = await subject(srv, t.keys.service);
      const r = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: t.keys.service,
        body: {
          service: 'email',
          data_category: 'user.contact.email',
          purpose: 'essential.service',
          value: 'someone@example.com',
        },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.retention_until, null);
    });

    test('contract_purpose_needs_an_active_contract_S2_1', async () => {
      // a customer of the platform without a contract in force (an end user's data runs under
      // the tenant's own contract instead, S1.4)
      const s = await subject(srv, t.keys.service, { kind: 'customer', contract_active: false });
      const w = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: t.keys.service,
        body: smsRecord({ value: 'no contract' }),
      });
      assert.equal(w.status, 201, w.text);
      const r = await srv.request('GET', `/v1/subjects/${s.id}/records?purpose=essential.service`, {
        key: t.keys.service,
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.items, []);
      assert.equal(r.json.denied, 1);
      const e = await subject(srv, t.keys.service, { kind: 'end_user', contract_active: false });
      await srv.request('POST', `/v1/subjects/${e.id}/records`, {
        key: t.keys.service, body: smsRecord({ value: 'under the customer contract' }) });
      const er = await srv.request('GET', `/v1/subjects/${e.id}/records?purpose=essential.service`, {
        key: t.keys.service });
      assert.equal(er.json.items.length, 1, er.text);
    });

    test('legal_basis_follows_jurisdiction_S2_1', async () => {
      // essential.fraud_detection: legal obligation in the EEA, legitimate interest elsewhere
      const eu = await subject(srv, t.keys.service, { jurisdiction: 'NL' });
      const us = await subject(srv, t.keys.service, { jurisdiction: 'US-CA' });
      const body = smsRecord({ purpose: 'essential.fraud_detection' });
      const a = await srv.request('POST', `/v1/subjects/${eu.id}/records`, { key: t.keys.service, body });
      const b = await srv.request('POST', `/v1/subjects/${us.id}/records`, { key: t.keys.service, body });
      assert.equal(a.json.legal_basis, 'legal_obligation', a.text);
      assert.equal(b.json.legal_basis, 'legitimate_interest', b.text);
      const before = await snapshot(srv, t.keys.readonly);
      const wrong = await srv.request('POST', `/v1/subjects/${eu.id}/records`, {
        key: t.keys.service,
        body: { ...body, legal_basis: 'consent' },
      });
      assertProblem(wrong, 422, 'not-allowed-by-policy', 'legal_basis');
      assert.deepEqual(await snapshot(srv, t.keys.readonly), before);
      const right = await srv.request('POST', `/v1/subjects/${eu.id}/records`, {
        key: t.keys.service,
        body: { ...body, legal_basis: 'legal_obligation' },
      });
      assert.equal(right.status, 201, right.text);
    });

    test('third_party_source_is_recorded_S3_2', async () => {
      const s = await subject(srv, t.keys.service);
      const r = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: t.keys.service,
        body: {
          service: 'cdp',
          data_category: 'user.professional_information',
          purpose: 'essential.service',
          source: 'business_info_provider',
          value: 'Head of Messaging',
        },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.source, 'business_info_provider');
    });

    test('read_requires_a_purpose_and_returns_only_what_it_may_use_S1_1', async () => {
      const s = await subject(srv, t.keys.service);
      const ops = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: t.keys.service,
        body: smsRecord({ value: 'operations datum' }),
      });
      const mkt = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: t.keys.service,
        body: smsRecord({ purpose: 'marketing.communications', value: 'marketing datum' }),
      });
      assert.equal(ops.status, 201, ops.text);
      assert.equal(mkt.status, 201, mkt.text);
      assert.equal(mkt.json.legal_basis, 'consent');

      const none = await srv.request('GET', `/v1/subjects/${s.id}/records`, { key: t.keys.service });
      assertProblem(none, 400, 'invalid-parameter', 'purpose');
      const unknown = await srv.request('GET', `/v1/subjects/${s.id}/records?purpose=x.y`, {
        key: t.keys.service,
      });
      assertProblem(unknown, 422, 'unknown-purpose', 'purpose');

      // without consent, marketing may use neither record (S1.3, S2.1)
      const m = await srv.request('GET', `/v1/subjects/${s.id}/records?purpose=marketing.communications`, {
        key: t.keys.service,
      });
      assert.equal(m.status, 200, m.text);
      assert.deepEqual(m.json.items, []);
      assert.equal(m.json.denied, 2);
      assert.equal(m.headers.get('cache-control'), 'no-store');

      // the service purpose reaches the record collected for it, not the marketing one (S1.1)
      const r = await srv.request('GET', `/v1/subjects/${s.id}/records?purpose=essential.service`, {
        key: t.keys.service,
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.items.map((i) => i.value), ['operations datum']);
      assert.equal(r.json.denied, 1);

      // storage is restriction-exempt: it reaches every record (S8.3)
      const all = await srv.request('GET', `/v1/subjects/${s.id}/records?purpose=storage`, {
        key: t.keys.service,
      });
      assert.deepEqual(all.json.items.map((i) => i.value).sort(), ['marketing datum', 'operations datum']);

      const ro = await srv.request('GET', `/v1/subjects/${s.id}/records?purpose=storage`, {
        key: t.keys.readonly,
      });
      assertProblem(ro, 403, 'forbidden');
    });

    test('records_page_through', async () => {
      const s = await subject(srv, t.keys.service);
      const items = Array.from({ length: 5 }, (_, i) => ({ subject: s.id, ...smsRecord({ value: `v${i}` }) }));
      const b = await srv.request('POST', '/v1/records', { key: t.keys.service, body: { items } });
      assert.equal(b.status, 201, b.text);
      const values = [];
      let after = '';
      for (let guard = 0; guard < 10; guard += 1) {
        const r = await srv.request('GET',
          `/v1/subjects/${s.id}/records?purpose=storage&limit=2${after ? `&after=${after}` : ''}`,
          { key: t.keys.service });
        assert.equal(r.status, 200, r.text);
        values.push(...r.json.items.map((i) => i.value));
        if (!r.json.next_after) break;
        after = r.json.next_after;
      }
      assert.deepEqual(values.sort(), ['v0', 'v1', 'v2', 'v3', 'v4']);
    });

    test('batch_writes_all_items_in_one_transaction', async () => {
      const a = await subject(srv, t.keys.service);
      const b = await subject(srv, t.keys.service, { jurisdiction: 'US' });
      const items = [];
      for (let i = 0; i < 1000; i += 1) {
        items.push({ subject: i % 2 ? a.id : b.id, ...smsRecord({ value: `m${i}` }) });
      }
      const r = await srv.request('POST', '/v1/records', { key: t.keys.service, body: { items } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.count, 1000);
      assert.equal(r.json.items.length, 1000);
      assert.equal(new Set(r.json.items.map((i) => i.id)).size, 1000);
      const va = await srv.request('GET', `/v1/subjects/${a.id}`, { key: t.keys.readonly });
      const vb = await srv.request('GET', `/v1/subjects/${b.id}`, { key: t.keys.readonly });
      assert.equal(va.json.record_count, 500);
      assert.equal(vb.json.record_count, 500);
    });

    test('batch_is_all_or_nothing_and_names_the_item', async () => {
      const a = await subject(srv, t.keys.service);
      const before = await snapshot(srv, t.keys.readonly);
      const good = { subject: a.id, ...smsRecord() };
      const cases = [
        [{ ...good, purpose: 'no.such.purpose' }, 422, 'unknown-purpose', 'items/2/purpose'],
        [{ ...good, subject: 'sub_doesnotexist00000000000000' }, 404, 'not-found', 'items/2/subject'],
        [{ ...good, extra: 1 }, 400, 'unknown-field', 'items/2/extra'],
        [{ ...good, value: 5 }, 400, 'wrong-type', 'items/2/value'],
        [{ ...good, legal_basis: 'consent' }, 422, 'not-allowed-by-policy', 'items/2/legal_basis'],
      ];
      for (const [bad, status, slug, field] of cases) {
        const r = await srv.request('POST', '/v1/records', {
          key: t.keys.service,
          body: { items: [good, good, bad, good] },
        });
        assertProblem(r, status, slug, field);
      }
      const tooMany = Array.from({ length: 1001 }, () => good);
      assertProblem(await srv.request('POST', '/v1/records', { key: t.keys.service, body: { items: tooMany } }),
        413, 'batch-too-large', 'items');
      assertProblem(await srv.request('POST', '/v1/records', { key: t.keys.service, body: { items: [] } }),
        400, 'invalid-field', 'items');
      assert.deepEqual(await snapshot(srv, t.keys.readonly), before);
    });

    test('erased_subject_is_410_for_every_use_and_gets_no_record', async () => {
      const mail = `erased.${Date.now()}@example.com`;
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: mail }] });
      const w = await srv.request('POST', `/v1/subjects/${s.id}/records`, { key: t.keys.service, body: smsRecord() });
      assert.equal(w.status, 201, w.text);
      // the erasure workflow is a later issue: mark the subject erased as it will
      srv.sql(`UPDATE subjects SET erased_at = 1700000000 WHERE subject_id = '${s.id}'`);
      const count = () => srv.sql(`SELECT count(*) FROM records WHERE subject_id = '${s.id}'`).trim();
      assert.equal(count(), '1');
      const tries = [
        ['GET', `/v1/subjects/${s.id}`, undefined, 'id'],
        ['GET', `/v1/subjects/${s.id}/records?purpose=storage`, undefined, 'id'],
        ['GET', `/v1/subjects/${s.id}/identities`, undefined, 'id'],
        ['POST', `/v1/subjects/${s.id}/records`, smsRecord(), 'id'],
        ['POST', `/v1/subjects/${s.id}/identities`, { type: 'phone', value: '+31612340000' }, 'id'],
        ['POST', '/v1/records', { items: [{ subject: s.id, ...smsRecord() }] }, 'items/0/subject'],
        ['POST', '/v1/subjects/lookup', { type: 'email', value: mail }, 'value'],
      ];
      for (const [method, p, body, field] of tries) {
        assertProblem(await srv.request(method, p, { key: t.keys.service, body }), 410, 'gone', field);
      }
      assert.equal(count(), '1');
    });

    test('value_up_to_64_KiB_is_accepted_and_beyond_refused', async () => {
      const s = await subject(srv, t.keys.service);
      const big = 'x'.repeat(64 * 1024);
      const ok = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: t.keys.service,
        body: smsRecord({ service: 'sms', data_category: 'user.comms.content', value: big }),
      });
      assert.equal(ok.status, 201, ok.text.slice(0, 300));
      const before = await snapshot(srv, t.keys.readonly);
      const no = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: t.keys.service,
        body: smsRecord({ data_category: 'user.comms.content', value: `${big}y` }),
      });
      assertProblem(no, 400, 'invalid-field', 'value');
      assert.deepEqual(await snapshot(srv, t.keys.readonly), before);
      const back = await srv.request('GET', `/v1/subjects/${s.id}/records?purpose=essential.service`, {
        key: t.keys.service,
      });
      assert.equal(back.json.items[0].value.length, 64 * 1024);
    });
  });
}
