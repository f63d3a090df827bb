// SPDX-License-Identifier: Apache-2.0
// receivers.mjs — what the outbox delivers to, for the API tests and benchmarks: a webhook
// receiver (node:http) whose answers a test scripts (e.g. 500 then 200) and that records every
// request, and the SMTP receiver (tests/tools/smtp_receiver.py, Debian python3-aiosmtpd) that
// stores each message as a file; plus `startNode`, a `tutela serve` on a given database, so a
// test can restart a node or run two on one database.
import { spawn } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { BIN, POLICY, ROOT } from '../api/lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A webhook receiver. answers: statuses to give in turn (then 200). Returns { url, got, close }. */
export async function webhookReceiver({ answers = [], port = 0 } = {}) {
  const got = [];
  const queue = [...answers];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const status = queue.length ? queue.shift() : 200;
      got.push({ path: req.url, headers: req.headers, body, status, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'no');
    });
  });
  server.keepAliveTimeout = 30000;
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    port: server.address().port,
    url: `http://127.0.0.1:${server.address().port}/hook`,
    got,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/** The SMTP receiver in dir. Returns { url, dir, messages(), close }. */
export async function smtpReceiver(dir) {
  const child = spawn('/usr/bin/python3', [path.join(ROOT, 'tests/tools/smtp_receiver.py'), dir, '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const until = Date.now() + 10000;
  while (!/listening (\d+)/.test(out)) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`smtp receiver: ${out}`);
    await sleep(50);
  }
  const port = Number(out.match(/listening (\d+)/)[1]);
  return {
    url: `smtp://127.0.0.1:${port}`,
    dir,
    messages: () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort()
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8')) : []),
    close: async () => {
      child.kill('SIGTERM');
      for (let i = 0; i < 40 && child.exitCode === null && child.signalCode === null; i++) await sleep(25);
    },
  };
}

/** Starts `tutela serve` on an existing database url with master key mk. Waits for /readyz
 * unless wait is false. Returns { base, child, logs(), kill(sig), stop(), exited() }. */
export async function startNode({ db, mk, env = {}, wait = true, port }) {
  const p = port || await freePort();
  const child = spawn(BIN, ['serve', '--db', db, '--master-key', mk, '--policy', POLICY,
    '--listen', `127.0.0.1:${p}`], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout.on('data', (d) => { logs += d; });
  child.stderr.on('data', (d) => { logs += d; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const base = `http://127.0.0.1:${p}`;
  const node = {
    base,
    port: p,
    child,
    logs: () => logs,
    exited: () => exited,
    async ready(ms = 30000) {
      const until = Date.now() + ms;
      for (;;) {
        if (exited) throw new Error(`tutela serve exited (${JSON.stringify(exited)}):\n${logs}`);
        try {
          const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) });
          if (r.status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > until) throw new Error(`not ready after ${ms} ms:\n${logs}`);
        await sleep(50);
      }
    },
    kill(sig = 'SIGKILL') { if (!exited) child.kill(sig); },
    async stop() {
      if (!exited) child.kill('SIGTERM');
      for (let i = 0; i < 400 && !exited; i++) await sleep(25);
      if (!exited) child.kill('SIGKILL');
      const report = logs.match(/ERROR: (Address|Leak)Sanitizer[^\n]*|runtime error:[^\n]*/);
      if (report) throw new Error(`sanitizer report from tutela serve: ${report[0]}`);
    },
  };
  if (wait) await node.ready();
  return node;
}

export async function until(fn, ms = 15000, step = 100) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return v;
    await sleep(step);
  }
}
