// SPDX-License-Identifier: Apache-2.0
// tcf.test.mjs — POST /v1/tcf/decode and /v1/tcf/encode (issue 4): a readonly key decodes the
// IAB example string to its fields and encodes the model back to the same string; bad strings and
// models are 422/400 problems naming the field; no key is 401.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startServer } from './lib/server.mjs';
import { assertProblem, tenant } from './lib/fixtures.mjs';

const IAB_EXAMPLE = 'COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw';
const ALL_SEGMENTS = 'COw4XqLOw4XqLAAAAAENAXCf-v-gAAAfwIAAACngAI8AEFABgACAA4A.IAPPwAPrwA.QAPPwAPrwA.cAEAPAAAC7gAHw4AAA';

describe('tcf', () => {
  let srv;
  let t;
  before(async () => {
    srv = await startServer('sqlite');
    t = await tenant(srv);
  });
  after(async () => {
    await srv?.stop();
  });

  test('decode_iab_example_with_a_readonly_key', async () => {
    const r = await srv.request('POST', '/v1/tcf/decode', { key: t.keys.readonly, body: { tc_string: IAB_EXAMPLE } });
    assert.equal(r.status, 200, r.text);
    const m = r.json;
    assert.equal(m.version, 2);
    assert.equal(m.cmp_id, 27);
    assert.equal(m.vendor_list_version, 15);
    assert.equal(m.policy_version, 2);
    assert.equal(m.created, '2020-02-20T23:57:39.3Z');
    assert.deepEqual(m.purpose_consents, [1, 2, 3]);
    assert.deepEqual(m.vendor_consents, [2, 6, 8]);
    assert.deepEqual(m.vendor_legitimate_interests, [2, 6, 8]);
    assert.equal(m.disclosed_vendors.length, 79);
    assert.equal(m.allowed_vendors, null);
    assert.equal(m.publisher_tc, null);
    assert.deepEqual(m.violations, []);
  });

  test('decode_then_encode_gives_the_same_string', async () => {
    const d = await srv.request('POST', '/v1/tcf/decode', { key: t.keys.readonly, body: { tc_string: ALL_SEGMENTS } });
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.json.publisher_restrictions, [{ purpose_id: 1, restriction_type: 1, ranges: [[1, 7]] }]);
    assert.equal(d.json.publisher_tc.num_custom_purposes, 23);
    // publisher purpose 1 on legitimate interest: reported, and the encoder refuses it
    assert.deepEqual(d.json.violations, ['purpose_1_legitimate_interest']);
    const refused = await srv.request('POST', '/v1/tcf/encode', { key: t.keys.readonly, body: { model: d.json } });
    assertProblem(refused, 422, 'tcf-policy-violation', 'model');
    const model = { ...d.json, publisher_tc: { ...d.json.publisher_tc, purpose_legitimate_interests: [2, 3] }, policy_version: 2 };
    const e = await srv.request('POST', '/v1/tcf/encode', { key: t.keys.readonly, body: { model } });
    assert.equal(e.status, 200, e.text);
    const back = await srv.request('POST', '/v1/tcf/decode', { key: t.keys.readonly, body: { tc_string: e.json.tc_string } });
    assert.deepEqual(back.json.publisher_tc.purpose_legitimate_interests, [2, 3]);
    assert.deepEqual(back.json.disclosed_vendors, d.json.disclosed_vendors);
  });

  test('encode_joins_restriction_ranges_across_ids_absent_from_the_vendor_list', async () => {
    const model = { created_ds: 17000000000, last_updated_ds: 17000000000, cmp_id: 10, publisher_cc: 'de',
      publisher_restrictions: [{ purpose_id: 2, restriction_type: 0, vendors: [1, 2, 3, 5, 8] }] };
    const joined = await srv.request('POST', '/v1/tcf/encode', { key: t.keys.readonly, body: { model, gvl_vendor_ids: [1, 2, 3, 5, 8] } });
    assert.equal(joined.status, 200, joined.text);
    const d = await srv.request('POST', '/v1/tcf/decode', { key: t.keys.readonly, body: { tc_string: joined.json.tc_string } });
    assert.deepEqual(d.json.publisher_restrictions[0].ranges, [[1, 8]]);
    assert.equal(d.json.publisher_cc, 'DE');
    const apart = await srv.request('POST', '/v1/tcf/encode', { key: t.keys.readonly, body: { model } });
    const d2 = await srv.request('POST', '/v1/tcf/decode', { key: t.keys.readonly, body: { tc_string: apart.json.tc_string } });
    assert.deepEqual(d2.json.publisher_restrictions[0].ranges, [[1, 3], [5, 5], [8, 8]]);
  });

  test('bad_strings_and_models_are_problems_naming_the_field', async () => {
    const key = t.keys.readonly;
    const bad = await srv.request('POST', '/v1/tcf/decode', { key, body: { tc_string: 'COvFyGBOvFyGBAbAAAENAPC+' } });
    assertProblem(bad, 422, 'malformed-tc-string', 'tc_string');
    assert.match(bad.json.detail, /base64url/);
    const v1 = await srv.request('POST', '/v1/tcf/decode', { key, body: { tc_string: 'BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA' } });
    assertProblem(v1, 422, 'unsupported-tc-version', 'tc_string');
    const missing = await srv.request('POST', '/v1/tcf/decode', { key, body: {} });
    assertProblem(missing, 400, 'missing-field', 'tc_string');
    const wrong = await srv.request('POST', '/v1/tcf/encode', { key, body: { model: { cmp_id: 'x' } } });
    assertProblem(wrong, 400, 'wrong-type', 'model/cmp_id');
    const range = await srv.request('POST', '/v1/tcf/encode', { key, body: { model: { purpose_consents: [25] } } });
    assertProblem(range, 400, 'invalid-field', 'model/purpose_consents');
    const unknown = await srv.request('POST', '/v1/tcf/encode', { key, body: { model: { vendors: [] } } });
    assertProblem(unknown, 400, 'unknown-field', 'model/vendors');
    const li = await srv.request('POST', '/v1/tcf/encode', { key, body: { model: { purpose_legitimate_interests: [4] } } });
    assertProblem(li, 422, 'tcf-policy-violation', 'model');
    const nokey = await srv.request('POST', '/v1/tcf/decode', { body: { tc_string: IAB_EXAMPLE } });
    assert.equal(nokey.status, 401);
  });
});
