// SPDX-License-Identifier: Apache-2.0
// fixtures.mjs — small builders shared by the API tests: a customer tenant with a key per role,
// subjects, and record bodies that the default policy (policy/default.yaml) accepts.
import assert from 'node:assert/strict';

import { PROBLEM } from './server.mjs';

let seq = 0;
/** A unique, valid email for this run (the domain is reserved for examples). */
export function email(tag = 'u') {
  seq += 1;
  return `${tag}.${process.pid}.${Date.now()}.${seq}@example.com`;
}

/** A unique, valid E.164 phone number. */
export function phone() {
  seq += 1;
  const n = String((Date.now() * 7 + seq * 7919 + process.pid) % 1e8).padStart(8, '0');
  return `+3161${n}`;
}

/** An SMS record for essential.service: contract basis, 6 months from collection (S7.1). */
export function smsRecord(extra = {}) {
  return {
    service: 'sms',
    data_category: 'user.contact.phone_number',
    purpose: 'essential.service',
    value: '+31612345678',
    ...extra,
  };
}

/** Creates a customer tenant through the platform admin; returns { id, keys: {role: token} }. */
export async function tenant(srv, name = 'Acme BV') {
  const t = await srv.request('POST', '/v1/tenants', { key: srv.adminKey, body: { name } });
  assert.equal(t.status, 201, t.text);
  const k = await srv.request('POST', `/v1/tenants/${t.json.id}/keys`, {
    key: srv.adminKey,
    body: { role: 'admin' },
  });
  assert.equal(k.status, 201, k.text);
  const keys = { admin: k.json.token };
  for (const role of ['service', 'readonly']) {
    const r = await srv.request('POST', '/v1/keys', { key: keys.admin, body: { role } });
    assert.equal(r.status, 201, r.text);
    keys[role] = r.json.token;
  }
  return { id: t.json.id, keys };
}

/** Creates a subject (an end user in NL whose contract with the customer is in force, so
 * contract-based purposes apply: S2.1); returns the response JSON. */
export async function subject(srv, key, body = {}) {
  const r = await srv.request('POST', '/v1/subjects', {
    key,
    body: { kind: 'end_user', jurisdiction: 'NL', contract_active: true, ...body },
  });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

/** Asserts a problem+json answer with status, type slug and (when given) field. */
export function assertProblem(res, status, slug, field) {
  assert.equal(res.status, status, `status (${res.text})`);
  assert.match(res.type, /application\/problem\+json/, 'content type');
  assert.equal(res.json.type, PROBLEM + slug, `type (${res.text})`);
  assert.equal(res.json.status, status);
  if (field !== undefined) assert.equal(res.json.field, field, `field (${res.text})`);
}
