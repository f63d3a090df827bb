// SPDX-License-Identifier: Apache-2.0
// readme_tour.test.mjs — the README's five-minute curl tour works as written (issue 2): every
// ```sh block of that section runs, in order, in one bash with `set -euo pipefail`, against a real
// server, with TUTELA and KEY set as the README tells the reader to set them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, ROOT } from './lib/server.mjs';

function tourBlocks() {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## A five-minute tour with curl');
  const end = readme.indexOf('\n## ', start + 10);
  assert.ok(start >= 0 && end > start, 'README has the tour section');
  const section = readme.slice(start, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

test('the README curl tour runs as written', async () => {
  const blocks = tourBlocks();
  assert.ok(blocks.length >= 6, `found ${blocks.length} sh blocks`);
  // the first block only sets TUTELA and KEY: the test sets them to its own server
  assert.match(blocks[0], /export TUTELA=/);
  const srv = await startServer('sqlite');
  try {
    const script = ['set -euo pipefail', ...blocks.slice(1)].join('\n');
    const r = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: { ...process.env, TUTELA: srv.base, KEY: srv.adminKey },
      timeout: 60000,
    });
    assert.equal(r.status, 0, `tour failed:\n${r.stdout}\n${r.stderr}`);
    // what the reader is told they will see
    assert.match(r.stdout, /"status":"ok"/);
    assert.match(r.stdout, /^\/v1\/subjects\/lookup$/m);
    assert.match(r.stdout, /unknown-purpose/);
    assert.match(r.stdout, /"results"/);
    assert.match(r.stdout, /sale_prohibited/);
    assert.match(r.stdout, /consent_missing/);
    // the record just written is readable for the purpose it was collected for
    assert.match(r.stdout, /"items":\[\{"id":"rec_/);
    assert.match(r.stdout, /"results":\[\{"allow":true/);
    assert.match(r.stdout, /tutela_http_requests_total/);
  } finally {
    await srv.stop();
  }
});
