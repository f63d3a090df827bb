// SPDX-License-Identifier: Apache-2.0
// decisions.test.mjs — POST /v1/decisions over a real `tutela serve` (issue 3; S1.1, S2.1, S8.2,
// S8.3): a single decision with its basis, reasons and policy version; a batch answered item by
// item in order and equal to the single answers (the batch path and the single path agree);
// lookup by identifier; an unknown subject as a clean allow:false; another tenant's subject as
// 404 naming the item; the 10,000-item limit (413 one past it); a withdrawal and an erasure seen
// by the very next batch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, startServer } from './lib/server.mjs';
import { assertProblem, email, subject, tenant } from './lib/fixtures.mjs';
import { until } from '../tools/receivers.mjs';

const MKT = 'marketing.communications.email';
const NOTICE = '2022.1';
const SMS = { purpose: 'essential.service', data_category: 'user.contact.phone_number', service: 'sms' };
const NOBODY = 'sub_000000000000000000000000';

for (const backend of backends()) {
  describe(`decisions (${backend})`, () => {
    let srv;
    let t;
    let other;
    before(async () => {
      srv = await startServer(backend);
      t = await tenant(srv, 'Decide BV');
      other = await tenant(srv, 'Other BV');
    });
    after(async () => {
      await srv?.stop();
    });

    const decide = (body, key = t.keys.service) => srv.request('POST', '/v1/decisions', { key, body });
    // The decision events in the trail, counted once the denials' journal holds none beyond its
    // mark: on SQLite a denial's event reaches the trail up to ~10 ms after its answer
    // (docs/audit.md), so a count taken at once could still grow by the requests before it.
    const decisionAudits = async () => {
      assert.ok(await until(() => !/wait in/.test(srv.cli('audit', 'verify')), 5000, 20),
        "the denials' journal drains");
      return srv.sql("SELECT count(*) FROM audit_events WHERE action LIKE 'decision%'").trim();
    };
    const grant = async (id, action = 'grant') => {
      const r = await srv.request('POST', `/v1/subjects/${id}/consents`, {
        key: t.keys.service, body: { purpose: MKT, action, method: 'api', notice_version: NOTICE } });
      assert.equal(r.status, 201, r.text);
    };

    test('single_decision_answers_basis_reasons_and_policy_version', async () => {
      const s = await subject(srv, t.keys.service);
      let r = await decide({ subject: s.id, ...SMS });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { allow: true, legal_basis: 'contract', reasons: [], policy_version: '2022.1' });
      r = await decide({ subject: s.id, purpose: MKT });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.allow, false);
      assert.equal(r.json.legal_basis, 'consent');
      assert.deepEqual(r.json.reasons, ['consent_missing']);
      r = await decide({ subject: s.id, purpose: 'no.such.purpose' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.allow, false);
      assert.ok(r.json.reasons.includes('unknown_purpose'), r.text);
    });

    test('batch_answers_every_item_in_order_as_single_decisions_do', async () => {
      const addr = email('dec');
      const a = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: addr }] });
      const b = await subject(srv, t.keys.service, { kind: 'customer', contract_active: false });
      await grant(a.id);
      const shapes = [{ purpose: MKT }, SMS, { purpose: 'storage' }, { purpose: 'no.such.purpose' }];
      const items = [];
      for (let i = 0; i < 120; i++) {
        const who = [{ subject: a.id }, { subject: b.id }, { subject: NOBODY },
          { identifier: { type: 'email', value: addr } }][i % 4];
        items.push({ ...who, ...shapes[Math.floor(i / 4) % shapes.length] });
      }
      const r = await decide({ items });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.results.length, items.length);
      for (let i = 0; i < items.length; i += 1) {
        const one = await decide(items[i]);
        assert.equal(one.status, 200, one.text);
        assert.deepEqual(r.json.results[i], one.json, `item ${i}: ${JSON.stringify(items[i])}`);
      }
      assert.equal(r.json.results[0].allow, true, 'subject a has consent for marketing email');
      assert.deepEqual(r.json.results[5].reasons, ['no_legal_basis'], 'a customer without a contract');
      assert.deepEqual(r.json.results[2].reasons, ['unknown_subject']);
    });

    test('identifier_finds_the_subject_and_an_unknown_one_is_a_clean_refusal', async () => {
      const addr = email('idn');
      const s = await subject(srv, t.keys.service, { identities: [{ type: 'email', value: addr }] });
      await grant(s.id);
      let r = await decide({ identifier: { type: 'email', value: addr.toUpperCase() }, purpose: MKT });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.allow, true, r.text);
      r = await decide({ identifier: { type: 'email', value: email('nobody') }, purpose: MKT });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.allow, false);
      assert.deepEqual(r.json.reasons, ['unknown_subject']);
      // the same address in another tenant is nobody there (the blind index is per tenant)
      r = await decide({ identifier: { type: 'email', value: addr }, purpose: MKT }, other.keys.service);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.reasons, ['unknown_subject']);
      r = await decide({ subject: NOBODY, purpose: MKT });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { allow: false, legal_basis: 'consent', reasons: ['unknown_subject'], policy_version: '2022.1' });
      r = await decide({ identifier: { type: 'email', value: 'not-an-email' }, purpose: MKT });
      assertProblem(r, 422, 'invalid-email', 'identifier/value');
      r = await decide({ subject: NOBODY, identifier: { type: 'email', value: addr }, purpose: MKT });
      assertProblem(r, 400, 'invalid-field', 'subject');
    });

    test('another_tenants_subject_is_404_naming_the_item_and_nothing_is_decided', async () => {
      const mine = await subject(srv, t.keys.service);
      const theirs = await subject(srv, other.keys.service);
      const before = await decisionAudits();
      assertProblem(await decide({ subject: theirs.id, ...SMS }), 404, 'not-found', 'subject');
      assertProblem(await decide({ items: [{ subject: mine.id, ...SMS }, { subject: theirs.id, purpose: MKT }] }),
        404, 'not-found', 'items/1/subject');
      assert.equal(await decisionAudits(), before, 'a refused request audits no decision');
      const r = await decide({ subject: theirs.id, ...SMS }, other.keys.service);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.allow, true, r.text);
    });

    test('a_batch_holds_at_most_10000_items', async () => {
      const s = await subject(srv, t.keys.service);
      const items = Array.from({ length: 10000 }, () => ({ subject: s.id, ...SMS }));
      let r = await decide({ items });
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.equal(r.json.results.length, 10000);
      assert.ok(r.json.results.every((d) => d.allow));
      items.push({ subject: s.id, ...SMS });
      r = await decide({ items });
      assertProblem(r, 413, 'batch-too-large', 'items');
    });

    // issue 3: the usual body is read by the fast scanner; any other spelling of the same items
    // (escapes, spaces, other member order) goes through jansson and must answer the same, and
    // a bad item anywhere is named by index and field, with nothing decided or audited
    test('any_spelling_of_a_body_answers_the_same_and_bad_items_are_named', async () => {
      const s = await subject(srv, t.keys.service);
      const items = [{ subject: s.id, purpose: MKT }, { subject: s.id, ...SMS }, { subject: NOBODY, purpose: 'storage' }];
      const fast = await decide({ items });
      assert.equal(fast.status, 200, fast.text);
      const spelled = JSON.stringify({ items }, null, 2).replace('"storage"', '"st\\u006frage"');
      const slow = await srv.request('POST', '/v1/decisions', { key: t.keys.service, raw: spelled });
      assert.equal(slow.status, 200, slow.text);
      assert.deepEqual(slow.json, fast.json);
      const one = await srv.request('POST', '/v1/decisions', { key: t.keys.service,
        raw: ` { "purpose" : "${MKT}" ,\n "subject" : "${s.id}" } ` });
      assert.deepEqual(one.json, fast.json.results[0], one.text);
      const before = await decisionAudits();
      const bad = (i, patch) => ({ items: items.map((it, k) => (k === i ? { ...it, ...patch } : it)) });
      assertProblem(await decide(bad(1, { service: 'pigeon' })), 422, 'unknown-service', 'items/1/service');
      assertProblem(await decide(bad(2, { data_category: 'no.such' })), 422, 'unknown-data-category', 'items/2/data_category');
      assertProblem(await decide(bad(0, { purpose: 5 })), 400, 'wrong-type', 'items/0/purpose');
      assertProblem(await decide(bad(2, { colour: 'red' })), 400, 'unknown-field', 'items/2/colour');
      assertProblem(await decide(bad(1, { subject: 'sub_NOT-AN-ID' })), 400, 'invalid-field', 'items/1/subject');
      assertProblem(await decide({ items: [items[0], 'x'] }), 400, 'wrong-type', 'items/1');
      assertProblem(await decide({ items: [items[0], { subject: s.id }] }), 400, 'missing-field', 'items/1/purpose');
      assertProblem(await decide({ items: [items[0], { ...items[1], identifier: { type: 'fax', value: '1' } }] }),
        400, 'invalid-field', 'items/1/subject');
      for (const raw of [`{"items":[{"subject":"${s.id}","purpose":"storage","purpose":"storage"}]}`,
        `{"items":[{"subject":"${s.id}","purpose":"storage"}]} trailing`, `{"items":[`, '']) {
        const r = await srv.request('POST', '/v1/decisions', { key: t.keys.service, raw });
        assertProblem(r, 400, 'malformed-json');
      }
      assert.equal(await decisionAudits(), before, 'a refused request audits no decision');
    });

    // S6.3: a denied decision's event is durable when the answer arrives, also when many
    // requests share one group commit; the chain stays intact
    test('denied_decisions_are_audited_before_the_answer_even_when_many_share_a_commit', async () => {
      const s = await subject(srv, t.keys.service);
      const audits = () => Number(srv.sql(`SELECT count(*) FROM audit_events WHERE action = 'decision.denied' AND target = '${s.id}'`).trim());
      // on PostgreSQL the event is in the trail when the answer arrives; on SQLite (audit_denials
      // = os, the default) it is in the denials' journal then and chained into the trail
      // milliseconds later (decisions_crash: none lost to kill -9), so there it is waited for
      const inTrail = async (n) => {
        if (backend === 'sqlite') await until(() => audits() >= n, 5000, 10);
        return audits();
      };
      let r = await decide({ subject: s.id, purpose: MKT });
      assert.equal(r.json.allow, false, r.text);
      assert.equal(await inTrail(1), 1, 'the event is there once the answer is (or chained from the journal)');
      const answers = await Promise.all(Array.from({ length: 40 }, () => decide({ subject: s.id, purpose: MKT })));
      for (const a of answers) assert.deepEqual(a.json.reasons, ['consent_missing'], a.text);
      assert.equal(await inTrail(41), 41);
      r = await decide({ subject: s.id, ...SMS });
      assert.equal(r.json.allow, true, r.text);
      assert.equal(audits(), 41, 'an allowed decision is not audited');
      srv.cli('audit', 'verify');
    });

    test('withdrawal_and_erasure_are_seen_by_the_next_batch', async () => {
      const s = await subject(srv, t.keys.service);
      const keep = await subject(srv, t.keys.service);
      await grant(s.id);
      await grant(keep.id);
      const batch = () => decide({ items: [{ subject: s.id, purpose: MKT }, { subject: keep.id, purpose: MKT },
        { subject: s.id, ...SMS }] });
      let r = await batch();
      assert.deepEqual(r.json.results.map((d) => d.allow), [true, true, true], r.text);
      await grant(s.id, 'withdraw'); // S8.2
      r = await batch();
      assert.deepEqual(r.json.results.map((d) => d.allow), [false, true, true], r.text);
      assert.deepEqual(r.json.results[0].reasons, ['consent_withdrawn']);
      const c = await srv.request('POST', '/v1/requests', { key: t.keys.service, body: { type: 'erasure', subject: s.id } });
      assert.equal(c.status, 201, c.text);
      const v = await srv.request('POST', `/v1/requests/${c.json.id}/verify`, {
        key: t.keys.service, body: { method: 'controller', reason: 'verified in app' } });
      assert.equal(v.status, 200, v.text);
      r = await batch();
      assert.deepEqual(r.json.results.map((d) => d.allow), [false, true, false], r.text);
      assert.ok(r.json.results[0].reasons.includes('erased'), r.text);
      assert.deepEqual(r.json.results[2].reasons, ['erased']);
    });
  });
}
