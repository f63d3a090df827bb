// SPDX-License-Identifier: Apache-2.0
// recipients.test.mjs — the recipient registry, the sharing gate, government requests and the
// S5.2 re-evaluation over HTTP (issue 7), on every backend: the registry seeded from the policy
// (the payment providers as independent controllers, S4.3), every bad field refused naming it,
// the life cycle (vet, approve only when compliant, suspend), every gate rule (unknown,
// unvetted, unapproved, suspended, flagged recipient, no DPA, no mechanism or TIA outside the
// EEA, a sale purpose, a purpose or category the recipient does not receive, the decision engine
// refusing a subject, S4.3, S4.4, S5.1), nothing recorded on any refusal (read back from the
// store), government requests hidden from the subject under a gag but always audited (S4.8),
// and a lapsed adequacy decision flagging the recipients relying on it after a policy reload or
// `tutela recipients reevaluate` until a DPO gives them a new mechanism (S5.2).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { POLICY, ROOT, backends, startServer } from './lib/server.mjs';
import { assertProblem, subject, tenant } from './lib/fixtures.mjs';

const ADEQUACY = path.join(ROOT, 'policy', 'adequacy.yaml');

/** A processor in the US under SCC with a TIA and a DPA: compliant once vetted. */
function usProcessor(key, extra = {}) {
  return {
    key, name: `Processor ${key}`, category: 'service_provider', role: 'processor', country: 'US',
    dpa_ref: 'DPA-2026-7', toms: 'encryption at rest; SOC 2', transfer_mechanism: 'scc',
    tia_done: true, purposes: ['essential.service', 'finance.billing'], ...extra,
  };
}

for (const backend of backends()) {
  describe(`recipients (${backend})`, () => {
    let srv;
    let t;
    let dpo;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-rcpt-policy-'));
    const policyCopy = path.join(dir, 'policy.yaml');
    const adequacyCopy = path.join(dir, 'adequacy.yaml');
    const count = (table, where = '') => Number(srv.sql(
      `SELECT count(*) FROM ${table} WHERE tenant_id = '${t.id}'${where ? ` AND ${where}` : ''}`,
    ).trim());
    const disclose = (body, key = t.keys.service) => srv.request('POST', '/v1/disclosures', { key, body });
    const add = (body) => srv.request('POST', '/v1/recipients', { key: dpo, body });
    const act = (id, verb, body = {}) => srv.request('POST', `/v1/recipients/${id}/${verb}`, { key: dpo, body });
    /** Adds, vets and approves a recipient; returns it. */
    async function approved(body) {
      const r = await add(body);
      assert.equal(r.status, 201, r.text);
      assert.equal((await act(r.json.id, 'vet', { passed: true })).status, 200);
      const a = await act(r.json.id, 'approve');
      assert.equal(a.status, 200, a.text);
      return a.json;
    }

    before(async () => {
      fs.copyFileSync(POLICY, policyCopy);
      fs.copyFileSync(ADEQUACY, adequacyCopy);
      srv = await startServer(backend, { args: ['--policy', policyCopy] });
      t = await tenant(srv);
      const k = await srv.request('POST', '/v1/keys', { key: t.keys.admin, body: { role: 'dpo' } });
      assert.equal(k.status, 201, k.text);
      dpo = k.json.token;
    });
    after(async () => {
      await srv?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('registry_is_seeded_with_the_payment_providers_as_independent_controllers_S4_3', async () => {
      const r = await srv.request('GET', '/v1/recipients', { key: t.keys.readonly });
      assert.equal(r.status, 200, r.text);
      for (const key of ['stripe', 'mollie', 'adyen']) {
        const e = r.json.items.find((x) => x.key === key);
        assert.ok(e, `${key} seeded`);
        assert.equal(e.role, 'controller');
        assert.equal(e.category, 'payment_provider');
        assert.equal(e.status, 'approved');
        assert.notEqual(e.legal_basis, 'none', 'an independent controller has its own basis');
      }
      const p = await srv.request('GET', '/v1/recipients?status=proposed', { key: t.keys.readonly });
      assert.deepEqual(p.json.items.map((x) => x.key), ['example_analytics_unvetted']);
      assertProblem(await srv.request('GET', '/v1/recipients?status=open', { key: t.keys.readonly }),
        400, 'invalid-parameter', 'status');
      assertProblem(await srv.request('GET', '/v1/recipients?flagged=maybe', { key: t.keys.readonly }),
        400, 'invalid-parameter', 'flagged');
      const one = await srv.request('GET', '/v1/recipients/stripe', { key: t.keys.readonly });
      assert.equal(one.status, 200);
      const byId = await srv.request('GET', `/v1/recipients/${one.json.id}`, { key: t.keys.readonly });
      assert.equal(byId.json.key, 'stripe');
      assertProblem(await srv.request('GET', '/v1/recipients/rcp_nobody', { key: t.keys.readonly }),
        404, 'not-found', 'id');
      assert.equal(count('audit_events', "action = 'recipient.seed'"), r.json.items.length, 'seed audited, once');
      // another tenant sees its own registry, never this one's entries
      const u = await tenant(srv, 'Other BV');
      const o = await srv.request('GET', `/v1/recipients/${one.json.id}`, { key: u.keys.readonly });
      assertProblem(o, 404, 'not-found', 'id');
    });

    test('add_refuses_every_bad_field_naming_it_and_changes_nothing', async () => {
      const before = count('recipients');
      const cases = [
        [{ ...usProcessor('a1'), name: undefined }, 400, 'missing-field', 'name'],
        [{ ...usProcessor('a1'), key: undefined }, 400, 'missing-field', 'key'],
        [usProcessor('Bad Key'), 400, 'invalid-field', 'key'],
        [usProcessor('rcp_x'), 400, 'invalid-field', 'key'],
        [usProcessor('a1', { role: 'reseller' }), 400, 'invalid-field', 'role'],
        [usProcessor('a1', { country: 'usa' }), 400, 'invalid-field', 'country'],
        [usProcessor('a1', { country: 'us' }), 400, 'invalid-field', 'country'],
        [usProcessor('a1', { category: 'friends' }), 400, 'invalid-field', 'category'],
        [usProcessor('a1', { transfer_mechanism: 'trust' }), 400, 'invalid-field', 'transfer_mechanism'],
        [usProcessor('a1', { legal_basis: 'whim' }), 400, 'invalid-field', 'legal_basis'],
        [usProcessor('a1', { tia_done: 'yes' }), 400, 'wrong-type', 'tia_done'],
        [usProcessor('a1', { purposes: ['no.such'] }), 422, 'unknown-purpose', 'purposes/0'],
        [usProcessor('a1', { purposes: ['essential.service', 'sales.personal_data'] }), 422, 'sale-prohibited', 'purposes/1'],
        [usProcessor('a1', { data_categories: ['user.nothing'] }), 422, 'unknown-data-category', 'data_categories/0'],
        [usProcessor('a1', { adequacy_key: 'us_nothing' }), 400, 'invalid-field', 'adequacy_key'],
        [usProcessor('a1', { adequacy_key: 'us_dpf' }), 400, 'invalid-field', 'adequacy_key'],
        [usProcessor('a1', { transfer_mechanism: 'adequacy', adequacy_key: 'jp' }), 400, 'invalid-field', 'adequacy_key'],
        [usProcessor('a1', { role: 'authority' }), 400, 'invalid-field', 'role'],
        [usProcessor('a1', { status: 'approved' }), 400, 'unknown-field', 'status'],
        [usProcessor('stripe'), 409, 'conflict', 'key'],
      ];
      for (const [body, status, slug, field] of cases) {
        assertProblem(await add(body), status, slug, field);
      }
      for (const role of ['readonly', 'service', 'admin']) {
        const key = role === 'admin' ? t.keys.admin : t.keys[role];
        const r = await srv.request('POST', '/v1/recipients', { key, body: usProcessor('a1') });
        assert.equal(r.status, role === 'admin' ? 201 : 403, `${role}: ${r.text}`);
        if (r.status === 201) assert.equal(r.json.status, 'proposed');
      }
      assert.equal(count('recipients'), before + 1, 'only the admin one was added');
    });

    test('life_cycle_vet_approve_suspend_and_every_change_audited_S4_3', async () => {
      const r = await add(usProcessor('acme', { dpa_ref: '', tia_done: false }));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.status, 'proposed');
      assert.equal(r.headers.get('location'), `/v1/recipients/${r.json.id}`);
      const id = r.json.id;
      assertProblem(await act(id, 'approve'), 409, 'invalid-state', 'id');
      assertProblem(await act(id, 'vet', {}), 400, 'missing-field', 'passed');
      assertProblem(await act(id, 'vet', { passed: true, vetted_at: '2999-01-01' }), 400, 'invalid-field', 'vetted_at');
      assertProblem(await act(id, 'vet', { passed: true, vetted_at: 'soon' }), 400, 'invalid-field', 'vetted_at');
      let v = await act(id, 'vet', { passed: false, notes: 'no audit report' });
      assert.equal(v.json.status, 'proposed');
      v = await act(id, 'vet', { passed: true, vetted_at: '2026-01-15', notes: 'SOC 2 seen' });
      assert.equal(v.status, 200, v.text);
      assert.equal(v.json.status, 'vetted');
      assert.equal(v.json.vetted_at, '2026-01-15T00:00:00Z');
      // a processor without a DPA, a SCC transfer without a TIA: approval names both
      const a = await act(id, 'approve');
      assertProblem(a, 422, 'recipient-without-dpa', 'id');
      assert.match(a.json.detail, /no_dpa/);
      assert.match(a.json.detail, /no_tia/);
      assert.equal((await srv.request('GET', `/v1/recipients/${id}`, { key: dpo })).json.status, 'vetted');
      // fields that do not hang together are refused; others are edited
      assertProblem(await srv.request('PATCH', `/v1/recipients/${id}`, { key: dpo, body: { key: 'x' } }),
        400, 'invalid-field', 'key');
      assertProblem(await srv.request('PATCH', `/v1/recipients/${id}`, { key: dpo, body: {} }), 400, 'malformed-json');
      const p = await srv.request('PATCH', `/v1/recipients/${id}`, {
        key: dpo, body: { dpa_ref: 'DPA-2026-9', tia_done: true },
      });
      assert.equal(p.status, 200, p.text);
      assert.equal((await act(id, 'approve')).json.status, 'approved');
      assertProblem(await act(id, 'approve'), 409, 'invalid-state', 'id');
      // an approved entry cannot be edited into breaking the rules
      assertProblem(await srv.request('PATCH', `/v1/recipients/${id}`, { key: dpo, body: { transfer_mechanism: 'none' } }),
        422, 'transfer-without-mechanism', 'id');
      assertProblem(await srv.request('PATCH', `/v1/recipients/${id}`, { key: t.keys.readonly, body: { toms: 'x' } }), 403, 'forbidden');
      assertProblem(await act(id, 'suspend', {}), 400, 'missing-field', 'reason');
      assertProblem(await act(id, 'suspend', { reason: '  ' }), 400, 'invalid-field', 'reason');
      const s = await act(id, 'suspend', { reason: 'contract terminated' });
      assert.equal(s.json.status, 'suspended');
      assert.equal(s.json.status_reason, 'contract terminated');
      assertProblem(await act(id, 'suspend', { reason: 'again' }), 409, 'invalid-state', 'id');
      for (const action of ['create', 'vet', 'update', 'approve', 'suspend']) {
        assert.ok(count('audit_events', `action = 'recipient.${action}'`) >= 1, `recipient.${action} audited`);
      }
      const audit = srv.cli('audit', 'export', '--tenant', t.id);
      assert.ok(!audit.includes('contract terminated'), 'reasons are not copied into the audit detail');
    });

    test('the_gate_refuses_every_rule_and_records_nothing_S4_3_S4_4_S5_1', async () => {
      const s = await subject(srv, t.keys.service);
      const ok = await approved(usProcessor('gate_ok'));
      const before = count('disclosures');
      // bad input
      assertProblem(await disclose({ purpose: 'finance.billing', subject: s.id }), 400, 'missing-field', 'recipient');
      assertProblem(await disclose({ recipient: 'gate_ok', subject: s.id }), 400, 'missing-field', 'purpose');
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'finance.billing' }), 400, 'missing-field', 'subject');
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'finance.billing', subject: 'bob' }), 400, 'invalid-field', 'subject');
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'finance.billing', subject: s.id, subjects: [s.id] }),
        400, 'invalid-field', 'subjects');
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'finance.billing', subjects: [] }), 400, 'invalid-field', 'subjects');
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'finance.billing', subjects: [s.id, s.id] }),
        400, 'invalid-field', 'subjects/1');
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'finance.billing', subject: s.id, extra: 1 }),
        400, 'unknown-field', 'extra');
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'no.such', subject: s.id }), 422, 'unknown-purpose', 'purpose');
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'finance.billing', subject: s.id, data_categories: ['x.y'] }),
        422, 'unknown-data-category', 'data_categories/0');
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'finance.billing', subject: s.id }, t.keys.readonly), 403, 'forbidden');
      // unknown recipient, unknown subject
      assertProblem(await disclose({ recipient: 'nobody', purpose: 'finance.billing', subject: s.id }), 404, 'not-found', 'recipient');
      assertProblem(await disclose({ recipient: 'rcp_nobody', purpose: 'finance.billing', subject: s.id }), 404, 'not-found', 'recipient');
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'finance.billing', subject: 'sub_nobody' }), 404, 'not-found', 'subject');
      // unvetted (proposed), vetted but not approved
      assertProblem(await disclose({ recipient: 'example_analytics_unvetted', purpose: 'analytics.reporting', subject: s.id }),
        422, 'recipient-not-approved', 'recipient');
      const v = await add(usProcessor('gate_vetted'));
      await act(v.json.id, 'vet', { passed: true });
      assertProblem(await disclose({ recipient: 'gate_vetted', purpose: 'finance.billing', subject: s.id }),
        422, 'recipient-not-approved', 'recipient');
      // outside the EEA without a mechanism: never approved, never receives
      const nm = await add(usProcessor('gate_nomech', { transfer_mechanism: 'none', tia_done: false }));
      await act(nm.json.id, 'vet', { passed: true });
      assertProblem(await act(nm.json.id, 'approve'), 422, 'transfer-without-mechanism', 'id');
      const r = await disclose({ recipient: 'gate_nomech', purpose: 'finance.billing', subject: s.id });
      assertProblem(r, 422, 'recipient-not-approved', 'recipient');
      assert.match(r.json.detail, /no_transfer_mechanism/);
      // a sale, whoever the recipient (S4.4)
      assertProblem(await disclose({ recipient: 'stripe', purpose: 'sales.personal_data', subject: s.id }),
        422, 'sale-prohibited', 'purpose');
      // a purpose the recipient does not receive data for
      assertProblem(await disclose({ recipient: 'stripe', purpose: 'essential.service', subject: s.id }),
        422, 'not-received-by-recipient', 'purpose');
      // the decision engine: saved payment methods need the subject's consent
      assertProblem(await disclose({ recipient: 'stripe', purpose: 'finance.saved_payment_methods', subject: s.id }),
        422, 'decision-denied', 'subject');
      // a batch is all or nothing: one subject the engine refuses keeps the others out too
      const s2 = await subject(srv, t.keys.service);
      const kid = await subject(srv, t.keys.service, { birth_date: '2016-05-01' }); // a child (S10.1)
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'finance.billing', subjects: [s2.id, kid.id] }),
        422, 'decision-denied', 'subjects/1');
      assertProblem(await disclose({ recipient: 'gate_ok', purpose: 'finance.billing', subjects: [s2.id, 'sub_nobody'] }),
        404, 'not-found', 'subjects/1');
      assert.equal(count('disclosures'), before, 'nothing recorded by any refusal');
      const none = await srv.request('GET', `/v1/subjects/${s2.id}/disclosures`, { key: t.keys.readonly });
      assert.deepEqual(none.json.items, []);
      // and what passes is recorded: one subject, a batch, a whole flow
      const one = await disclose({ recipient: ok.id, purpose: 'finance.billing', subject: s.id });
      assert.equal(one.status, 201, one.text);
      assert.equal(one.json.count, 1);
      assert.equal(one.json.items[0].basis, 'contract');
      assert.equal(one.json.items[0].recipient_key, 'gate_ok');
      const batch = await disclose({ recipient: 'stripe', purpose: 'finance.billing', subjects: [s.id, s2.id] });
      assert.equal(batch.status, 201, batch.text);
      assert.equal(batch.json.count, 2);
      const flow = await disclose({ recipient: 'gate_ok', purpose: 'essential.service', flow: 'nightly invoice run' });
      assert.equal(flow.status, 201, flow.text);
      assert.equal(flow.json.items[0].subject, null);
      assert.equal(count('disclosures'), before + 4);
      const l = await srv.request('GET', `/v1/subjects/${s.id}/disclosures`, { key: t.keys.readonly });
      assert.deepEqual(l.json.items.map((d) => d.recipient_key).sort(), ['gate_ok', 'stripe']);
      assert.ok(count('audit_events', "action = 'disclosure.create'") >= 3);
      // suspended: refused from then on
      await act(ok.id, 'suspend', { reason: 'breach under review' });
      assertProblem(await disclose({ recipient: ok.id, purpose: 'finance.billing', subject: s.id }),
        422, 'recipient-suspended', 'recipient');
      assert.equal(count('disclosures'), before + 4);
    });

    test('a_batch_of_450_subjects_is_recorded_whole_and_audited_in_parts', async () => {
      const batch = await approved(usProcessor('batch_vendor'));
      const ids = [];
      for (let i = 0; i < 450; i++) ids.push((await subject(srv, t.keys.service)).id);
      const r = await disclose({ recipient: batch.id, purpose: 'finance.billing', subjects: ids });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.count, 450);
      assert.equal(count('disclosures', `recipient_id = '${batch.id}'`), 450);
      // every subject named in the audit trail, in events small enough for the ledger
      const details = srv.sql(`SELECT detail FROM audit_events WHERE tenant_id = '${t.id}' AND action = 'disclosure.create' AND target = '${batch.id}' ORDER BY seq`)
        .trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(details.length, 3);
      assert.deepEqual(details.flatMap((d) => d.subjects), ids);
      assert.deepEqual(details.map((d) => d.first), [0, 200, 400]);
    });

    test('government_requests_hidden_under_a_gag_but_always_audited_S4_8', async () => {
      const s = await subject(srv, t.keys.service);
      const body = {
        authority: 'Rotterdam District Court', legal_instrument: 'Court order 2026/118 (art. 126nc Sv)',
        scope: 'Billing records of one account, 2026', disclosed_data: ['user.financial'],
        approved_by: 'DPO on duty', gag: true, recipient: 'nl_authorities',
      };
      const gov = (b, key = dpo) => srv.request('POST', '/v1/government-requests', { key, body: b });
      assertProblem(await gov(body, t.keys.service), 403, 'forbidden');
      assertProblem(await gov({ ...body, legal_instrument: undefined }), 400, 'missing-field', 'legal_instrument');
      assertProblem(await gov({ ...body, approved_by: ' ' }), 400, 'invalid-field', 'approved_by');
      assertProblem(await gov({ ...body, disclosed_data: ['x.y'] }), 422, 'unknown-data-category', 'disclosed_data/0');
      assertProblem(await gov({ ...body, recipient: 'stripe' }), 400, 'invalid-field', 'recipient');
      assert.equal(count('gov_requests'), 0);
      const g = await gov(body);
      assert.equal(g.status, 201, g.text);
      assert.match(g.json.id, /^gov_/);
      assert.equal(g.json.hidden, true);
      const list = await srv.request('GET', '/v1/government-requests', { key: dpo });
      assert.deepEqual(list.json.items.map((x) => x.id), [g.json.id]);
      const d = { recipient: 'nl_authorities', purpose: 'essential.legal_obligation', subject: s.id };
      assertProblem(await disclose(d, dpo), 422, 'government-request-required', 'government_request');
      assertProblem(await disclose({ ...d, government_request: g.json.id }), 403, 'forbidden', 'government_request');
      assertProblem(await disclose({ ...d, government_request: 'gov_nothing' }, dpo), 404, 'not-found', 'government_request');
      assertProblem(await disclose({ recipient: 'stripe', purpose: 'finance.billing', subject: s.id, government_request: g.json.id }, dpo),
        400, 'invalid-field', 'government_request');
      const ok = await disclose({ ...d, government_request: g.json.id }, dpo);
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.json.items[0].hidden, true);
      // the subject's views leave it out; the DPO sees it; the audit names it
      const seen = await srv.request('GET', `/v1/subjects/${s.id}/disclosures`, { key: t.keys.readonly });
      assert.deepEqual(seen.json.items, []);
      assertProblem(await srv.request('GET', `/v1/subjects/${s.id}/disclosures?include_hidden=true`, { key: t.keys.readonly }),
        403, 'forbidden', 'include_hidden');
      const all = await srv.request('GET', `/v1/subjects/${s.id}/disclosures?include_hidden=true`, { key: dpo });
      assert.equal(all.json.items[0].government_request, g.json.id);
      const audit = srv.cli('audit', 'export', '--tenant', t.id);
      assert.match(audit, /"govreq\.create"/);
      assert.match(audit, new RegExp(`"disclosure\\.government".*${s.id}`));
      // an ungagged request is visible to the subject
      const open = await gov({ ...body, gag: false });
      const ok2 = await disclose({ ...d, government_request: open.json.id }, dpo);
      assert.equal(ok2.json.items[0].hidden, false);
      const seen2 = await srv.request('GET', `/v1/subjects/${s.id}/disclosures`, { key: t.keys.readonly });
      assert.equal(seen2.json.items.length, 1);
      // the access export says with whom and why, leaving the gagged one out
      const c = await srv.request('POST', '/v1/requests', { key: t.keys.service, body: { type: 'access', subject: s.id } });
      assert.equal(c.status, 201, c.text);
      const v = await srv.request('POST', `/v1/requests/${c.json.id}/verify`, {
        key: t.keys.service, body: { method: 'controller', reason: 'signed in to the customer app' },
      });
      assert.equal(v.status, 200, v.text);
      const zip = await fetch(srv.base + v.json.download.url, { headers: { Authorization: `Bearer ${t.keys.service}` } });
      const file = path.join(dir, 'export.zip');
      fs.writeFileSync(file, Buffer.from(await zip.arrayBuffer()));
      const doc = JSON.parse(execFileSync('python3', ['-c',
        'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("export.json").decode())', file], { encoding: 'utf8' }));
      assert.deepEqual(doc.disclosures.map((x) => [x.recipient_name, x.purpose, x.government_request]),
        [['Dutch authorities (court orders, subpoenas)', 'essential.legal_obligation', open.json.id]]);
    });

    test('ropa_and_the_statement_follow_the_tenants_registry_with_tenant', async () => {
      await approved(usProcessor('ropa_vendor', { purposes: ['essential.service'] }));
      const ropa = (...extra) => JSON.parse(srv.cli('ropa', 'export', '--policy', policyCopy,
        '--adequacy', adequacyCopy, ...extra));
      const keys = (doc) => new Set(doc.activities.filter((a) => a.purpose === 'essential.service')
        .flatMap((a) => a.recipients.map((r) => r.key)));
      const mine = keys(ropa('--tenant', t.id));
      assert.ok(mine.has('ropa_vendor'), 'the approved registry entry is a recipient');
      assert.ok(mine.has('example_cloud_eu'), 'the policy recipients stay');
      assert.ok(!mine.has('acme'), 'a suspended entry is not');
      assert.ok(!keys(ropa()).has('ropa_vendor'), 'without --tenant: the policy table only');
      const withTransfer = ropa('--tenant', t.id).activities.find((a) => a.recipients.some((r) => r.key === 'ropa_vendor'));
      assert.ok(withTransfer.transfers.some((x) => x.recipient === 'ropa_vendor' && x.mechanism === 'scc'));
      const md = srv.cli('notice', 'render', '--policy', policyCopy, '--format', 'md', '--tenant', t.id);
      assert.match(md, /Processor ropa\\?_vendor/);
      assert.doesNotMatch(srv.cli('notice', 'render', '--policy', policyCopy, '--format', 'md'), /ropa\\?_vendor/);
      assert.throws(() => srv.cli('ropa', 'export', '--policy', policyCopy, '--adequacy', adequacyCopy, '--tenant', 'ten_nobody'),
        /no tenant/);
    });

    test('a_lapsed_adequacy_decision_flags_its_recipients_until_fixed_S5_2', async () => {
      const s = await subject(srv, t.keys.service);
      const dpf = await approved(usProcessor('dpf_vendor', { transfer_mechanism: 'adequacy', adequacy_key: 'us_dpf', tia_done: false }));
      assert.equal(dpf.flagged, false);
      const d = { recipient: 'dpf_vendor', purpose: 'finance.billing', subject: s.id };
      assert.equal((await disclose(d)).status, 201);
      // the Commission's decision is struck down: the list changes and the server reloads
      const text = fs.readFileSync(adequacyCopy, 'utf8');
      const struck = text.replace(/(key: us_dpf,[^}]*from: "2023-07-10")/, '$1, until: "2026-01-01"');
      assert.notEqual(struck, text);
      fs.writeFileSync(adequacyCopy, struck);
      process.kill(srv.pid, 'SIGHUP');
      let e = dpf;
      for (let i = 0; i < 100 && !e.flagged; i++) {
        await new Promise((ok) => setTimeout(ok, 100));
        e = (await srv.request('GET', '/v1/recipients/dpf_vendor', { key: dpo })).json;
      }
      assert.equal(e.flagged, true, 'flagged after the reload');
      assert.equal(e.flag_reason, 'adequacy_lapsed:us_dpf');
      assert.ok(count('audit_events', "action = 'recipient.flag'") >= 1);
      const flagged = await srv.request('GET', '/v1/recipients?flagged=true', { key: dpo });
      assert.deepEqual(flagged.json.items.map((x) => x.key), ['dpf_vendor'], 'only those relying on it');
      const before = count('disclosures');
      assertProblem(await disclose(d), 422, 'recipient-flagged', 'recipient');
      assert.equal(count('disclosures'), before);
      // re-approval alone cannot fix it; a new mechanism with its TIA does
      assertProblem(await act('dpf_vendor', 'approve'), 422, 'adequacy-lapsed', 'id');
      assertProblem(await srv.request('PATCH', '/v1/recipients/dpf_vendor', { key: dpo, body: { transfer_mechanism: 'scc', adequacy_key: '' } }),
        422, 'transfer-without-tia', 'id');
      const fix = await srv.request('PATCH', '/v1/recipients/dpf_vendor', {
        key: dpo, body: { transfer_mechanism: 'scc', adequacy_key: '', tia_done: true },
      });
      assert.equal(fix.status, 200, fix.text);
      assert.equal(fix.json.flagged, false);
      assert.equal((await disclose(d)).status, 201);
      // `tutela recipients reevaluate` against another list: the UK decision lapses
      const noGb = path.join(dir, 'adequacy-no-gb.yaml');
      fs.writeFileSync(noGb, struck.replace(/(key: gb,[^}]*from: "2021-06-28")/, '$1, until: "2026-02-01"'));
      const out = srv.cli('recipients', 'reevaluate', '--policy', policyCopy, '--adequacy', noGb, '--tenant', t.id);
      assert.match(out, /flagged 1 recipient/);
      const uk = (await srv.request('GET', '/v1/recipients/affiliate_uk', { key: dpo })).json;
      assert.equal(uk.flagged, true);
      assertProblem(await disclose({ recipient: 'affiliate_uk', purpose: 'finance.billing', subject: s.id }),
        422, 'recipient-flagged', 'recipient');
      assert.match(srv.cli('recipients', 'list', '--policy', policyCopy, '--tenant', t.id), /affiliate_uk .*adequacy_lapsed:GB/);
    });
  });
}
