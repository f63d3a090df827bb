// SPDX-License-Identifier: Apache-2.0
// tcf_oracle.test.mjs — tutela's TC string codec against @iabtcf/core (the official library)
// over thousands of seeded random models on a synthetic 800-vendor GVL: every string the library
// encodes decodes in tutela to the fields the library decodes; tutela encodes the same model
// (the library's, after its semantic pre-encoding) to the same string byte for byte; and
// tutela's decode -> encode returns the string unchanged. Seed: TCF_ORACLE_SEED (default 2204).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TCString } from '@iabtcf/core';
import { prng, makeGvlJson, makeGvl, randomModel, toTutela } from './tcf_common.mjs';

const ROOT = process.env.TUTELA_SOURCE_ROOT || path.resolve(import.meta.dirname, '../..');
const TOOL = process.env.TUTELA_TCF_TOOL || path.join(ROOT, 'build', 'tests', 'tcf_tool');
const SEED = Number(process.env.TCF_ORACLE_SEED || 2204);
const N = Number(process.env.TCF_ORACLE_N || 3000);

function tool(args, lines) {
  const out = execFileSync(TOOL, args, { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 30 });
  const res = out.split('\n');
  res.pop();
  assert.equal(res.length, lines.length, 'tcf_tool answers one line per line');
  return res;
}

const ids = (vec) => {
  const out = [];
  vec.forEach((v, id) => { if (v) out.push(id); });
  return out;
};
const expand = (ranges) => ranges.flatMap(([s, e]) => Array.from({ length: e - s + 1 }, (_, i) => s + i));
const vendorIds = (x) => (Array.isArray(x) ? x : x.ids);

/** Field by field: tutela's decoded JSON against @iabtcf/core's own decode of the string. */
function compareDecoded(got, js, expected, what) {
  assert.equal(got.version, js.version, `${what}: version`);
  assert.equal(got.created_ds * 100, js.created.getTime(), `${what}: created`);
  assert.equal(got.last_updated_ds * 100, js.lastUpdated.getTime(), `${what}: lastUpdated`);
  assert.equal(got.cmp_id, js.cmpId, `${what}: cmpId`);
  assert.equal(got.cmp_version, js.cmpVersion, `${what}: cmpVersion`);
  assert.equal(got.consent_screen, js.consentScreen, `${what}: consentScreen`);
  assert.equal(got.consent_language, js.consentLanguage, `${what}: consentLanguage`);
  assert.equal(got.vendor_list_version, js.vendorListVersion, `${what}: vendorListVersion`);
  assert.equal(got.policy_version, js.policyVersion, `${what}: policyVersion`);
  assert.equal(got.is_service_specific, js.isServiceSpecific, `${what}: isServiceSpecific`);
  assert.equal(got.use_non_standard_texts, js.useNonStandardStacks, `${what}: useNonStandardTexts`);
  assert.deepEqual(got.special_feature_optins, ids(js.specialFeatureOptins), `${what}: specialFeatureOptins`);
  assert.deepEqual(got.purpose_consents, ids(js.purposeConsents), `${what}: purposeConsents`);
  assert.deepEqual(got.purpose_legitimate_interests, ids(js.purposeLegitimateInterests), `${what}: purposeLI`);
  assert.equal(got.purpose_one_treatment, js.purposeOneTreatment, `${what}: purposeOneTreatment`);
  assert.equal(got.publisher_cc, js.publisherCountryCode, `${what}: publisherCC`);
  assert.deepEqual(vendorIds(got.vendor_consents), ids(js.vendorConsents), `${what}: vendorConsents`);
  assert.deepEqual(vendorIds(got.vendor_legitimate_interests), ids(js.vendorLegitimateInterests), `${what}: vendorLI`);
  const jsr = js.publisherRestrictions.getRestrictions().map((pr) => ({
    purpose_id: pr.purposeId, restriction_type: pr.restrictionType, vendors: js.publisherRestrictions.getVendors(pr),
  }));
  assert.deepEqual(got.publisher_restrictions.map((g) => ({
    purpose_id: g.purpose_id, restriction_type: g.restriction_type, vendors: expand(g.ranges),
  })), jsr, `${what}: publisherRestrictions`);
  // segments: presence from the library's segment sequence; contents from its decode
  assert.equal(got.disclosed_vendors !== null, expected.disclosed_vendors !== null, `${what}: DV segment`);
  if (got.disclosed_vendors) assert.deepEqual(vendorIds(got.disclosed_vendors), ids(js.vendorsDisclosed), `${what}: vendorsDisclosed`);
  assert.equal(got.allowed_vendors !== null, expected.allowed_vendors !== null, `${what}: VA segment`);
  if (got.allowed_vendors) assert.deepEqual(vendorIds(got.allowed_vendors), ids(js.vendorsAllowed), `${what}: vendorsAllowed`);
  assert.equal(got.publisher_tc !== null, expected.publisher_tc !== null, `${what}: PubTC segment`);
  if (got.publisher_tc) {
    const p = got.publisher_tc;
    assert.deepEqual(p.purpose_consents, ids(js.publisherConsents), `${what}: publisherConsents`);
    assert.deepEqual(p.purpose_legitimate_interests, ids(js.publisherLegitimateInterests), `${what}: publisherLI`);
    assert.equal(p.num_custom_purposes, Number(js.numCustomPurposes), `${what}: numCustomPurposes`);
    assert.deepEqual(p.custom_purpose_consents, ids(js.publisherCustomConsents), `${what}: customConsents`);
    assert.deepEqual(p.custom_purpose_legitimate_interests, ids(js.publisherCustomLegitimateInterests), `${what}: customLI`);
  }
  assert.deepEqual(got.violations, [], `${what}: no TCF 2.2 violation`);
  // and the fields the library was asked to encode (after its pre-encoding) are what came back
  for (const k of ['created_ds', 'last_updated_ds', 'cmp_id', 'purpose_consents', 'publisher_cc', 'is_service_specific'])
    assert.deepEqual(got[k], expected[k], `${what}: ${k} as encoded`);
  assert.deepEqual(vendorIds(got.vendor_consents), expected.vendor_consents, `${what}: vendor_consents as encoded`);
}

test(`@iabtcf/core and tutela agree on ${N} random TC strings (seed ${SEED})`, () => {
  const gvlJson = makeGvlJson(800, SEED);
  const gvl = makeGvl(gvlJson, { shared: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcf-oracle-'));
  const gvlFile = path.join(dir, 'gvl-ids.json');
  fs.writeFileSync(gvlFile, JSON.stringify(Object.keys(gvlJson.vendors).map(Number)));
  const r = prng(SEED);
  const cases = [];
  const counts = { restrictions: 0, disclosed: 0, allowed: 0, publisherTC: 0 };
  for (let i = 0; i < N; i++) {
    const { tc, options } = randomModel(r, gvl);
    const s = TCString.encode(tc, options);
    const expected = toTutela(tc, options);
    cases.push({ s, expected, options });
    if (expected.publisher_restrictions.length) counts.restrictions++;
    if (expected.disclosed_vendors) counts.disclosed++;
    if (expected.allowed_vendors) counts.allowed++;
    if (expected.publisher_tc) counts.publisherTC++;
  }
  // the random models cover every segment and publisher restrictions
  for (const [k, v] of Object.entries(counts)) assert.ok(v > N / 20, `${k}: ${v} of ${N}`);

  // 1. decode: tutela's fields = the library's decode of the same string
  const decoded = tool(['decode'], cases.map((c) => c.s)).map((l) => JSON.parse(l));
  decoded.forEach((got, i) => {
    const what = `case ${i} (seed ${SEED}) ${cases[i].s.slice(0, 40)}…`;
    assert.equal(got.error, undefined, `${what}: ${got.reason}`);
    compareDecoded(got, TCString.decode(cases[i].s), cases[i].expected, what);
  });

  // 2. encode the library's model: byte for byte the library's string
  const encoded = tool(['encode', '--gvl', gvlFile], cases.map((c) => JSON.stringify(c.expected)));
  encoded.forEach((got, i) => assert.equal(got, cases[i].s, `case ${i} (seed ${SEED}): tutela encode`));

  // 3. tutela decode -> tutela encode (no vendor list needed): the string unchanged
  const again = tool(['encode'], decoded.map((d) => JSON.stringify(d)));
  again.forEach((got, i) => assert.equal(got, cases[i].s, `case ${i} (seed ${SEED}): round trip`));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('strings of the library that bend TCF 2.2 decode with the violation reported, and encode refuses', () => {
  const gvl = makeGvl(makeGvlJson(50, 3));
  const r = prng(5);
  const { tc } = randomModel(r, gvl);
  tc.unsetAllPurposeLegitimateInterests();
  tc.purposeLegitimateInterests.set([2, 4]);
  const s = TCString.encode(tc);
  const [line] = tool(['decode'], [s]);
  const got = JSON.parse(line);
  assert.deepEqual(got.violations, ['purposes_3_6_legitimate_interest']);
  assert.deepEqual(got.purpose_legitimate_interests, [2, 4]);
  const [enc] = tool(['encode'], [JSON.stringify(got)]);
  assert.equal(JSON.parse(enc).error, 'tcf-policy-violation');
});
