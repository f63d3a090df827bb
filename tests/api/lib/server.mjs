// SPDX-License-Identifier: Apache-2.0
// server.mjs — starts a real `tutela serve` for the API tests: a temporary directory with its
// master key and database (SQLite, or a fresh PostgreSQL database per server when
// TUTELA_TEST_PG_URL is set), an ephemeral port, the platform admin key from `tutela keys
// create`, and a small fetch client that returns status, headers and parsed body.
import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = process.env.TUTELA_SOURCE_ROOT || path.resolve(import.meta.dirname, '../../..');
export const BIN = process.env.TUTELA_BIN || path.join(ROOT, 'build', 'tutela');
export const POLICY = path.join(ROOT, 'policy', 'default.yaml');
export const PROBLEM = 'https://tutela.dev/problems/';

/** The store backends every suite runs against: SQLite always, PostgreSQL when configured. */
export function backends() {
  const list = ['sqlite'];
  if (process.env.TUTELA_TEST_PG_URL) list.push('postgres');
  return list;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function psql(url, sql) {
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: 'pipe' });
}

/** A database URL for a new server: a SQLite file in dir, or a new PostgreSQL database. */
function makeDb(backend, dir) {
  if (backend === 'sqlite') return { url: `sqlite:${path.join(dir, 't.db')}`, drop() {} };
  const base = new URL(process.env.TUTELA_TEST_PG_URL);
  const name = `tt_api_${randomBytes(6).toString('hex')}`;
  psql(base.href, `CREATE DATABASE ${name}`);
  const u = new URL(base.href);
  u.pathname = `/${name}`;
  return {
    url: u.href,
    drop() {
      try {
        psql(base.href, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } catch {
        // the cluster may already be gone at the end of a run
      }
    },
  };
}

/**
 * Starts a server. Returns { base, adminKey, db, dir, request(), keyFor(), stop() }.
 * env: extra environment for the server (e.g. TUTELA_CLOCK_OFFSET); args: extra flags (later
 * flags win, so `args: ['--policy', file]` replaces the default policy).
 */
export async function startServer(backend = 'sqlite', { env = {}, args: extraArgs = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tutela-api-'));
  const db = makeDb(backend, dir);
  const mk = path.join(dir, 'mk');
  const port = await freePort();
  const args = ['serve', '--db', db.url, '--master-key', mk, '--policy', POLICY,
    '--listen', `127.0.0.1:${port}`, ...extraArgs];
  const child = spawn(BIN, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (d) => { logs += d; });
  child.stderr.on('data', (d) => { logs += d; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (exited) throw new Error(`tutela serve exited (${JSON.stringify(exited)}):\n${logs}`);
    try {
      // bounded: a fetch on a kept-alive connection that the server's start-up listener closed
      // was seen to stay pending for good (node 20's fetch); it is simply asked again
      const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`tutela serve not ready after 20 s:\n${logs}`);
    }
    await sleep(50);
  }

  const cli = (...a) => execFileSync(BIN, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const keyFor = (tenant, role) =>
    cli('keys', 'create', '--db', db.url, '--master-key', mk, '--tenant', tenant, '--role', role)
      .trim();
  const adminKey = keyFor('ten_platform', 'admin');

  // Runs one SQL statement on the server's database (for states no endpoint of this issue
  // creates, e.g. an erased subject); returns stdout (rows as text, '|'-separated for SQLite).
  // On SQLite the shell waits up to 5 s for the server's write lock (its default is not to wait:
  // a statement that met one of the server's own commits failed with "database is locked").
  const sql = (statement) => (backend === 'sqlite'
    ? execFileSync('sqlite3', ['-cmd', '.timeout 5000', db.url.slice('sqlite:'.length), statement],
      { encoding: 'utf8' })
    : execFileSync('psql', [db.url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', statement],
      { encoding: 'utf8' }));

  const server = {
    base,
    pid: child.pid,
    child,
    sql,
    // runs a tutela subcommand on this server's store: cli('audit', 'verify')
    cli: (...a) => cli(...a, '--db', db.url, '--master-key', mk),
    dir,
    db: db.url,
    adminKey,
    keyFor,
    logs: () => logs,
    request: (method, p, opts = {}) => request(base, method, p, opts),
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const until = Date.now() + 10000;
        while (!exited && Date.now() < until) await sleep(25);
        if (!exited) child.kill('SIGKILL');
      }
      db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
      // under ASan/UBSan (the sanitizer build runs this same suite) a report fails the suite
      const report = logs.match(/ERROR: (Address|Leak)Sanitizer[^\n]*|runtime error:[^\n]*/);
      if (report) throw new Error(`sanitizer report from tutela serve: ${report[0]}\n${logs.slice(-4000)}`);
      return exited;
    },
  };
  return server;
}

const REQUEST_TIMEOUT_MS = Number(process.env.TUTELA_TEST_REQUEST_TIMEOUT_MS || 120000);

/**
 * One HTTP request. opts: key (Bearer token), body (JSON-encoded), raw (sent as is),
 * contentType, headers. Returns { status, headers, type, json, text }; throws when no answer
 * came in REQUEST_TIMEOUT_MS (120 s unless TUTELA_TEST_REQUEST_TIMEOUT_MS says otherwise).
 */
export async function request(base, method, p, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['content-type'] = opts.contentType || 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = opts.contentType || 'application/json';
  }
  // a bounded wait: an answer that never comes fails the test naming the request, instead of
  // leaving a promise pending until the suite's limit (seen once in CI, no socket left open)
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let r;
  let text;
  try {
    r = await fetch(base + p, { method, headers, body, signal });
    text = await r.text();
  } catch (e) {
    if (e.name === 'TimeoutError') throw new Error(`${method} ${p}: no answer in ${REQUEST_TIMEOUT_MS} ms`);
    throw e;
  }
  let json = null;
  const ct = r.headers.get('content-type') || '';
  if (ct.includes('json') && text.length > 0) json = JSON.parse(text);
  return { status: r.status, headers: r.headers, type: ct, json, text };
}

/**
 * Announces a JSON body of size bytes (Content-Length, Expect: 100-continue) and sends it only
 * if the server asks for it: a server that refuses the size answers at once, before the upload
 * (fetch would report that early close as a network error). Returns { status, type, json, text }.
 */
export function requestOversized(base, method, p, { key, size }) {
  const u = new URL(base + p);
  return new Promise((resolve, reject) => {
    const headers = {
      'content-type': 'application/json',
      'content-length': String(size),
      expect: '100-continue',
    };
    if (key) headers.authorization = `Bearer ${key}`;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method, headers });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        const type = res.headers['content-type'] || '';
        resolve({ status: res.statusCode, type, json: type.includes('json') ? JSON.parse(text) : null, text });
      });
    });
    req.on('error', (e) => { if (!answered) reject(e); });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let left = size;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    req.on('continue', pump);
    req.flushHeaders();
  });
}

/**
 * Everything a tenant's key can see of its subjects, for "nothing changed" checks: each
 * subject's view (flags, identities, record count, timestamps).
 */
export async function snapshot(srv, key) {
  const list = await srv.request('GET', '/v1/subjects?limit=1000', { key });
  if (list.status !== 200) throw new Error(`snapshot list: ${list.status} ${list.text}`);
  const out = [];
  for (const s of list.json.items) {
    if (s.erased_at) {
      out.push(s); // an erased subject answers 410: its list entry is all there is
      continue;
    }
    const one = await srv.request('GET', `/v1/subjects/${s.id}`, { key });
    if (one.status !== 200) throw new Error(`snapshot ${s.id}: ${one.status} ${one.text}`);
    out.push(one.json);
  }
  return out;
}
