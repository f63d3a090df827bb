// SPDX-License-Identifier: Apache-2.0
// restart.mjs — another `tutela serve` on the database and master key of a server from
// startServer() (after that one was killed or stopped), for crash and job tests of issue 5.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';

import { BIN, POLICY } from './server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () => new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

/** Starts `tutela serve` on srv's store; returns { base, logs(), stop() }. env: extra variables. */
export async function restart(srv, env = {}) {
  const port = await freePort();
  const child = spawn(BIN, ['serve', '--db', srv.db, '--master-key', `${srv.dir}/mk`, '--policy',
    POLICY, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let logs = '';
  child.stdout.on('data', (d) => { logs += d; });
  child.stderr.on('data', (d) => { logs += d; });
  let exited = false;
  child.on('exit', () => { exited = true; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    assert.ok(!exited && i < 400, `restarted server not ready:\n${logs}`);
    try {
      if ((await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  return {
    base,
    logs: () => logs,
    async stop() {
      child.kill('SIGTERM');
      for (let i = 0; i < 200 && !exited; i++) await sleep(50);
      if (!exited) child.kill('SIGKILL');
      assert.doesNotMatch(logs, /ERROR: (Address|Leak)Sanitizer|runtime error:/);
    },
  };
}

/** Stops srv's own process (SIGTERM) without dropping its store, so restart() can reopen it. */
export async function stopKeepingStore(srv) {
  srv.child.kill('SIGTERM');
  for (let i = 0; i < 200 && srv.child.exitCode === null && srv.child.signalCode === null; i++) await sleep(50);
}
