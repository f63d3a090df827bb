// SPDX-License-Identifier: Apache-2.0
// bad_input.test.mjs — issue 2 "Bad input", data-driven from tests/data/api/bad_input.json:
// malformed JSON, wrong types, unknown fields, oversized bodies, invalid email/phone, unknown
// taxonomy keys, missing auth, another tenant's ids. Each answers a 4xx problem+json with the
// right type and field, and reading back shows neither tenant's data changed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, requestOversized, ROOT, startServer, snapshot } from './lib/server.mjs';
import { assertProblem, email, smsRecord, subject, tenant } from './lib/fixtures.mjs';

const { cases } = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'tests', 'data', 'api', 'bad_input.json'), 'utf8'),
);

function fill(value, vars) {
  if (typeof value === 'string') {
    if (value === 'REPEAT17') {
      return Array.from({ length: 17 }, (_, i) => ({ type: 'email', value: `p${i}@example.org` }));
    }
    if (value === 'LONG300') return 'k'.repeat(300);
    return value.replace(/\{(subject|email)\}/g, (_, k) => vars[k]);
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
  }
  return value;
}

for (const backend of backends()) {
  describe(`bad input (${backend})`, () => {
    let srv;
    let a;
    let b;
    const vars = {};
    let beforeA;
    let beforeB;
    before(async () => {
      srv = await startServer(backend);
      a = await tenant(srv, 'Tenant A');
      b = await tenant(srv, 'Tenant B');
      vars.email = email('victim');
      const s = await subject(srv, a.keys.service, {
        identities: [{ type: 'email', value: vars.email }],
      });
      vars.subject = s.id;
      const r = await srv.request('POST', `/v1/subjects/${s.id}/records`, {
        key: a.keys.service,
        body: smsRecord(),
      });
      assert.equal(r.status, 201, r.text);
      await subject(srv, b.keys.service);
      beforeA = await snapshot(srv, a.keys.readonly);
      beforeB = await snapshot(srv, b.keys.readonly);
    });
    after(async () => {
      await srv?.stop();
    });

    for (const c of cases) {
      test(`bad_input_${c.name}`, async () => {
        const keys = { none: undefined, bogus: 'tt_key_nope_AAAAAAAAAAAAAAAAAAAAAA', other: b?.keys.service };
        const key = c.key in keys ? keys[c.key] : a.keys[c.key];
        const opts = { key };
        if (c.raw !== undefined) opts.raw = c.raw;
        else if (c.body !== undefined) opts.body = fill(c.body, vars);
        const res = c.oversize !== undefined
          ? await requestOversized(srv.base, c.method, fill(c.path, vars), { key, size: c.oversize })
          : await srv.request(c.method, fill(c.path, vars), opts);
        assertProblem(res, c.status, c.type, c.field);
        assert.ok(!res.text.includes(vars.email), 'the problem never echoes a personal value');
        assert.deepEqual(await snapshot(srv, a.keys.readonly), beforeA, 'tenant A unchanged');
        assert.deepEqual(await snapshot(srv, b.keys.readonly), beforeB, 'tenant B unchanged');
      });
    }

    test('bad_input_records_still_readable_after_all_cases', async () => {
      const r = await srv.request('GET', `/v1/subjects/${vars.subject}/records?purpose=storage`, {
        key: a.keys.service,
      });
      assert.equal(r.status, 200);
      assert.equal(r.json.items.length, 1);
    });
  });
}
