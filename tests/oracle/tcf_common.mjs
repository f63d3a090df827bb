// SPDX-License-Identifier: Apache-2.0
// tcf_common.mjs — shared by the TCF oracle test and the TCF benchmark: a seeded PRNG, a
// synthetic Global Vendor List (GVL JSON object) and randomised @iabtcf/core TCModels, and the
// conversion of a TCModel into tutela's TcfModel JSON.
import { GVL, TCModel, PurposeRestriction, SemanticPreEncoder, SegmentSequence } from '@iabtcf/core';

/** mulberry32: small, fast, seeded; the same seed gives the same models on every run. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const bool = (p = 0.5) => next() < p;
  const subset = (ids, p) => ids.filter(() => next() < p);
  return { next, int, bool, subset };
}

const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** A GVL JSON object with n vendors spread over ids 1.. with gaps (about 1 id in 5 unused). */
export function makeGvlJson(n, seed = 1) {
  const r = prng(seed);
  const vendors = {};
  let id = 0;
  for (let count = 0; count < n;) {
    id++;
    if (r.bool(0.2)) continue;
    count++;
    const kind = r.int(0, 9);
    let purposes = r.subset(range(1, 11), 0.4);
    let legInt = r.subset(range(2, 11), 0.3).filter((p) => !purposes.includes(p) && (p < 3 || p > 6));
    const specialPurposes = r.subset([1, 2], 0.5);
    if (kind === 0) { // declares special purposes only
      purposes = [];
      legInt = [];
      if (specialPurposes.length === 0) specialPurposes.push(1);
    } else if (kind === 1) {
      legInt = [];
    }
    const flexiblePurposes = r.subset([...purposes, ...legInt].filter((p) => p > 1), 0.5);
    vendors[id] = {
      id, name: `Vendor ${id}`, purposes, legIntPurposes: legInt, flexiblePurposes, specialPurposes,
      features: r.subset([1, 2, 3], 0.4), specialFeatures: r.subset([1, 2], 0.3),
      policyUrl: `https://vendor${id}.example.com/privacy`, cookieMaxAgeSeconds: 86400, usesCookies: true,
      cookieRefresh: false, usesNonCookieAccess: false, deviceStorageDisclosureUrl: null,
    };
  }
  const named = (k, m) => Object.fromEntries(range(1, k).map((i) => [i, { id: i, name: `${m} ${i}`, description: `${m} ${i}.`, illustrations: [] }]));
  return {
    gvlSpecificationVersion: 3, vendorListVersion: 137, tcfPolicyVersion: 4,
    lastUpdated: '2024-01-04T16:00:00Z',
    purposes: named(11, 'Purpose'), specialPurposes: named(2, 'Special purpose'),
    features: named(3, 'Feature'), specialFeatures: named(2, 'Special feature'),
    stacks: {}, dataCategories: {}, vendors,
  };
}

/**
 * A GVL on json. shared: its clone() returns itself, which the oracle uses to skip the library
 * deep-copying 800 vendors on every encode (the list is never changed, so the strings are the
 * same); the benchmark leaves the library as shipped.
 */
export function makeGvl(json, { shared = false } = {}) {
  const gvl = new GVL(structuredClone(json));
  if (shared) gvl.clone = () => gvl;
  return gvl;
}

/** Vendor ids for a vector: sparse, dense, runs, everything or nothing (beyond the GVL too). */
function vendorPick(r, maxId) {
  const mode = r.int(0, 5);
  if (mode === 0) return [];
  if (mode === 1) return r.subset(range(1, maxId + 20), r.next() * 0.05);
  if (mode === 2) return r.subset(range(1, maxId), 0.5 + r.next() * 0.5);
  if (mode === 3) return range(1, maxId);
  const out = [];
  for (let id = r.int(1, 30); id <= maxId; id += r.int(1, 120)) {
    const len = r.int(1, 60);
    for (let k = 0; k < len && id <= maxId; k++) out.push(id++);
  }
  return out;
}

/** One random TCModel on gvl and the encoding options to use with it. */
export function randomModel(r, gvl) {
  const gvlIds = Object.keys(gvl.vendors).map(Number);
  const maxId = Math.max(...gvlIds);
  const tc = new TCModel(gvl);
  tc.cmpId = r.int(2, 4095);
  tc.cmpVersion = r.int(0, 4095);
  tc.consentScreen = r.int(0, 63);
  tc.publisherCountryCode = String.fromCharCode(65 + r.int(0, 25), 65 + r.int(0, 25));
  tc.isServiceSpecific = r.bool(0.3);
  tc.useNonStandardStacks = r.bool(0.2);
  tc.purposeOneTreatment = r.bool(0.2);
  tc.supportOOB = r.bool(0.5);
  tc.created = new Date(r.int(0, 2 ** 36 - 1) * 100);
  tc.lastUpdated = new Date(r.int(0, 2 ** 36 - 1) * 100);
  tc.specialFeatureOptins.set(r.subset(range(1, 12), 0.4));
  tc.purposeConsents.set(r.subset(range(1, 24), 0.5));
  // TCF 2.2: never purpose 1, nor 3-6, on legitimate interest
  tc.purposeLegitimateInterests.set(r.subset([2, ...range(7, 24)], 0.4));
  tc.vendorConsents.set(vendorPick(r, maxId));
  tc.vendorLegitimateInterests.set(vendorPick(r, maxId));
  if (r.bool(0.5)) {
    const groups = r.int(1, 6);
    for (let g = 0; g < groups; g++) {
      const pr = new PurposeRestriction(r.int(1, 11), r.int(0, 2));
      const p = r.next() * 0.6;
      for (const id of gvlIds) if (r.next() < p) tc.publisherRestrictions.add(id, pr);
    }
  }
  tc.publisherConsents.set(r.subset(range(1, 24), 0.4));
  tc.publisherLegitimateInterests.set(r.subset([2, ...range(7, 24)], 0.3));
  const ncp = r.bool(0.5) ? r.int(1, 20) : 0;
  tc.numCustomPurposes = ncp;
  if (ncp) {
    tc.publisherCustomConsents.set(r.subset(range(1, ncp), 0.5));
    tc.publisherCustomLegitimateInterests.set(r.subset(range(1, ncp), 0.3));
  }
  if (tc.supportOOB && r.bool(0.5)) tc.vendorsAllowed.set(r.subset(gvlIds, 0.3));
  const options = { isForVendors: r.bool(0.5) };
  return { tc, options };
}

const ids = (vec, limit = Infinity) => {
  const out = [];
  vec.forEach((v, id) => { if (v && id <= limit) out.push(id); });
  return out;
};

/** The model @iabtcf/core encodes (after its semantic pre-encoding) as tutela's JSON. */
export function toTutela(tc, options) {
  const p = SemanticPreEncoder.process(tc, options);
  const segs = new SegmentSequence(p, options)['2'];
  const ncp = Number(p.numCustomPurposes);
  return {
    version: 2,
    created_ds: Math.round(p.created.getTime() / 100),
    last_updated_ds: Math.round(p.lastUpdated.getTime() / 100),
    cmp_id: p.cmpId,
    cmp_version: p.cmpVersion,
    consent_screen: p.consentScreen,
    consent_language: p.consentLanguage.toUpperCase(),
    vendor_list_version: p.vendorListVersion,
    policy_version: p.policyVersion,
    is_service_specific: p.isServiceSpecific,
    use_non_standard_texts: p.useNonStandardStacks,
    special_feature_optins: ids(p.specialFeatureOptins, 12),
    purpose_consents: ids(p.purposeConsents, 24),
    purpose_legitimate_interests: ids(p.purposeLegitimateInterests, 24),
    purpose_one_treatment: p.purposeOneTreatment,
    publisher_cc: p.publisherCountryCode,
    vendor_consents: ids(p.vendorConsents),
    vendor_legitimate_interests: ids(p.vendorLegitimateInterests),
    publisher_restrictions: p.publisherRestrictions.getRestrictions().map((pr) => ({
      purpose_id: pr.purposeId, restriction_type: pr.restrictionType,
      vendors: p.publisherRestrictions.getVendors(pr),
    })),
    disclosed_vendors: segs.includes('vendorsDisclosed') ? ids(p.vendorsDisclosed) : null,
    allowed_vendors: segs.includes('vendorsAllowed') ? ids(p.vendorsAllowed) : null,
    publisher_tc: segs.includes('publisherTC') ? {
      purpose_consents: ids(p.publisherConsents, 24),
      purpose_legitimate_interests: ids(p.publisherLegitimateInterests, 24),
      num_custom_purposes: ncp,
      custom_purpose_consents: ids(p.publisherCustomConsents, ncp),
      custom_purpose_legitimate_interests: ids(p.publisherCustomLegitimateInterests, ncp),
    } : null,
  };
}
