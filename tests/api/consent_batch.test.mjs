// SPDX-License-Identifier: Apache-2.0
// consent_batch.test.mjs — POST /v1/consents over a real `tutela serve` (issue 4; S1.3, S7.5,
// S8.2): many subjects' grants and withdrawals in one request, by subject id or identifier,
// with features and sealed evidence; every event readable back in order, the state and the next
// decision following the last change, an audit event, and `tutela consent verify` passing. A
// bad item anywhere is a problem naming items/N/field and nothing is recorded (checked in the
// database); too many items is 413.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer } from './lib/server.mjs';
import { assertProblem, subject, tenant } from './lib/fixtures.mjs';

const MKT = 'marketing.communications.email';
const NOTICE = '2022.1';

for (const backend of backends()) {
  describe(`consent batch (${backend})`, () => {
    let srv;
    let t;
    before(async () => {
      srv = await startServer(backend);
      t = await tenant(srv);
    });
    after(async () => {
      await srv?.stop();
    });

    const batch = (items, key = t.keys.service) =>
      srv.request('POST', '/v1/consents', { key, body: { items } });
    const history = (id) =>
      srv.request('GET', `/v1/subjects/${id}/consents/history`, { key: t.keys.readonly });
    const decide = (id) =>
      srv.request('POST', '/v1/decisions', { key: t.keys.service, body: { subject: id, purpose: MKT } });
    const count = (sql) => Number(srv.sql(sql).trim());
    const events = () => count(`SELECT count(*) FROM consent_events WHERE tenant_id = '${t.id}'`);
    const verify = () => {
      try {
        return { code: 0, out: srv.cli('consent', 'verify') };
      } catch (e) {
        return { code: e.status, out: String(e.stdout) + String(e.stderr) };
      }
    };

    test('many_subjects_in_one_request_all_recorded_in_order', async () => {
      const email = `batch-${Date.now()}@example.org`;
      const a = await subject(srv, t.keys.service);
      const b = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: email }] });
      const c = await subject(srv, t.keys.service);
      const audits = count(`SELECT count(*) FROM audit_events WHERE tenant_id = '${t.id}' AND action = 'consent.record'`);
      const base = { method: 'import', notice_version: NOTICE };
      const items = [
        { ...base, subject: a.id, purpose: MKT, action: 'grant' },
        { ...base, identifier: { type: 'email', value: email.toUpperCase() }, purpose: MKT, action: 'grant',
          evidence: { page: '/crm', user_agent: 'cdp-sync/1', ip: '198.51.100.7' } },
        { ...base, subject: c.id, feature: 'newsletter', action: 'grant' },
        { ...base, subject: a.id, purpose: MKT, action: 'withdraw' },
      ];
      const r = await batch(items);
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.recorded, 4);
      assert.deepEqual(r.json.events.map((e) => e.subject_id), [a.id, b.id, c.id, a.id]);
      for (const e of r.json.events) assert.match(e.id, /^cev_/);
      // one transaction: consecutive places in the tenant's chain, in the items' order
      const seqs = r.json.events.map((e) => e.seq);
      assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i));
      // the proof reads back per subject, evidence opened, the IP never kept
      const ha = (await history(a.id)).json.events;
      assert.deepEqual(ha.map((e) => e.action), ['grant', 'withdraw']);
      assert.deepEqual(ha.map((e) => e.id), [r.json.events[0].id, r.json.events[3].id]);
      assert.deepEqual(ha.map((e) => e.seq), [r.json.events[0].seq, r.json.events[3].seq]);
      for (const e of ha) assert.match(e.hash, /^[0-9a-f]{64}$/);
      const hb = (await history(b.id)).json.events;
      assert.equal(hb.length, 1);
      assert.equal(hb[0].method, 'import');
      assert.equal(hb[0].evidence.page, '/crm');
      assert.match(hb[0].evidence.ip_hash, /^[0-9a-f]{64}$/);
      assert.ok(!JSON.stringify(hb).includes('198.51.100.7'));
      const hc = (await history(c.id)).json.events;
      assert.equal(hc[0].target_kind, 'feature');
      assert.equal(hc[0].target, 'newsletter');
      // the state follows the last change of each subject, and the very next decision too
      const st = await srv.request('GET', `/v1/subjects/${a.id}/consents`, { key: t.keys.readonly });
      assert.equal(st.json.purposes.find((p) => p.purpose === MKT).consent, 'withdrawn');
      let d = await decide(a.id);
      assert.equal(d.json.allow, false, d.text);
      d = await decide(b.id);
      assert.equal(d.json.allow, true, d.text);
      assert.ok(count(`SELECT count(*) FROM audit_events WHERE tenant_id = '${t.id}' AND action = 'consent.record'`) > audits);
      const v = verify();
      assert.equal(v.code, 0, v.out);
    });

    test('a_bad_item_is_named_and_nothing_is_recorded', async () => {
      const s = await subject(srv, t.keys.service);
      const ok = { subject: s.id, purpose: MKT, action: 'grant', method: 'api', notice_version: NOTICE };
      const before = events();
      assertProblem(await batch([ok, ok, { ...ok, action: 'maybe' }]), 400, 'invalid-field', 'items/2/action');
      assertProblem(await batch([ok, { ...ok, purpose: 'no.such' }]), 422, 'unknown-purpose', 'items/1/purpose');
      assertProblem(await batch([ok, { ...ok, subject: 'sub_nosuchsubjectatall' }]), 404, 'not-found', 'items/1/subject');
      assertProblem(await batch([ok, { ...ok, subject: 'nope' }]), 400, 'invalid-field', 'items/1/subject');
      const { subject: _, ...noSubject } = ok;
      assertProblem(await batch([ok, noSubject]), 400, 'missing-field', 'items/1/subject');
      assertProblem(await batch([ok, { ...ok, identifier: { type: 'email', value: 'x@example.org' } }]), 400, 'invalid-field', 'items/1/subject');
      assertProblem(await batch([{ ...noSubject, identifier: { type: 'email', value: 'nobody@example.org' } }, ok]), 404, 'not-found', 'items/0/identifier');
      assertProblem(await batch([ok, { ...ok, evidence: { page: 1 } }]), 400, 'wrong-type', 'items/1/evidence/page');
      assertProblem(await batch([ok, { ...ok, extra: true }]), 400, 'unknown-field', 'items/1/extra');
      assertProblem(await batch([ok, { ...ok, notice_version: 'v 1' }]), 422, 'invalid-notice-version', 'items/1/notice_version');
      assertProblem(await batch([]), 400, 'invalid-field', 'items');
      assertProblem(await batch([ok, 5]), 400, 'wrong-type', 'items/1');
      const big = await batch(Array.from({ length: 1001 }, () => ok));
      assert.equal(big.status, 413, big.text);
      assert.equal(events(), before, 'nothing recorded');
      assert.deepEqual((await history(s.id)).json.events, []);
      // a subject of another tenant is not found either
      const other = await tenant(srv);
      const foreign = await subject(srv, other.keys.service);
      assertProblem(await batch([ok, { ...ok, subject: foreign.id }]), 404, 'not-found', 'items/1/subject');
      assert.equal(events(), before, 'nothing recorded');
    });

    test('a_body_outside_the_scanners_subset_is_taken_and_checked_the_same', async () => {
      // the usual body is scanned without a JSON tree; an escape, a null member or other
      // whitespace sends it through jansson: the same events, the same problems (issue 4)
      const s = await subject(srv, t.keys.service);
      const raw = (text) => srv.request('POST', '/v1/consents', { key: t.keys.service, raw: text });
      const before = events();
      const escaped = s.id.replace('sub_', 'sub\\u005f');
      const slow = await raw(`{ "items" : [ {"subject":"${escaped}","purpose":"${MKT}","feature":null,` +
        `"action":"grant","method":"api","notice_version":"${NOTICE}"} ] }`);
      assert.equal(slow.status, 201, slow.text);
      const fast = await raw(`{"items":[{"subject":"${s.id}","purpose":"${MKT}","action":"withdraw",` +
        `"method":"api","notice_version":"${NOTICE}","evidence":{"page":"/p?q=1","ip":"198.51.100.9"}}]}`);
      assert.equal(fast.status, 201, fast.text);
      assert.equal(fast.type, 'application/json');
      assert.equal(fast.json.recorded, 1);
      assert.equal(fast.json.events[0].subject_id, s.id);
      assert.equal(fast.json.events[0].seq, slow.json.events[0].seq + 1);
      const h = (await history(s.id)).json.events;
      assert.deepEqual(h.map((e) => [e.id, e.action]), [[slow.json.events[0].id, 'grant'], [fast.json.events[0].id, 'withdraw']]);
      assert.equal(h[1].evidence.page, '/p?q=1');
      // problems found after a scan name the field as the jansson path does; nothing recorded
      const item = (extra) => `{"items":[{"subject":"${s.id}","purpose":"${MKT}","action":"grant",` +
        `"method":"api","notice_version":"${NOTICE}"}, {"action":"grant","method":"api",` +
        `"notice_version":"${NOTICE}",${extra}}]}`;
      assertProblem(await raw(item(`"subject":"${s.id}","purpose":"no.such"`)), 422, 'unknown-purpose', 'items/1/purpose');
      assertProblem(await raw(item(`"identifier":{"type":"email","value":"not-an-email"},"purpose":"${MKT}"`)), 422, 'invalid-email', 'items/1/identifier/value');
      assertProblem(await raw(item(`"identifier":{"type":"email"},"purpose":"${MKT}"`)), 400, 'missing-field', 'items/1/identifier/value');
      assertProblem(await raw(item(`"subject":"${s.id}","purpose":"${MKT}","evidence":{"ip":"${'1'.repeat(65)}"}`)), 400, 'invalid-field', 'items/1/evidence/ip');
      const broken = await raw(`{"items":[{"subject":"${s.id}"`);
      assert.equal(broken.status, 400, broken.text);
      assert.equal(events(), before + 2, 'only the two good requests recorded');
    });

    test('a_full_batch_of_1000_is_durable', async () => {
      const subjects = [];
      for (let i = 0; i < 20; i++) subjects.push(await subject(srv, t.keys.service));
      const items = Array.from({ length: 1000 }, (_, i) => ({
        subject: subjects[i % 20].id, purpose: MKT, action: i % 3 ? 'grant' : 'withdraw',
        method: 'api', notice_version: NOTICE,
      }));
      const before = events();
      const r = await batch(items);
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.recorded, 1000);
      assert.equal(events(), before + 1000);
      // each subject's state is its last item's: items 980..999
      for (let k = 980; k < 1000; k++) {
        const st = await srv.request('GET', `/v1/subjects/${items[k].subject}/consents`, { key: t.keys.readonly });
        assert.equal(st.json.purposes.find((p) => p.purpose === MKT).consent,
          items[k].action === 'grant' ? 'given' : 'withdrawn');
      }
      const v = verify();
      assert.equal(v.code, 0, v.out);
    });
  });
}
