// SPDX-License-Identifier: Apache-2.0
// verify_export.mjs — an independent verifier of `tutela audit export` files (S6.3), written
// from docs/audit.md alone: BLAKE2b-256 (blakejs) over the canonical encoding, Ed25519
// (node:crypto) with only the public key. Shares no code with tutela.
//   node tests/audit/verify_export.mjs EXPORT.jsonl --public-key HEX
// Exit 0 and "ok: …" when every chain section holds and its checkpoint is signed by the key;
// exit 1 and "FAIL line N: reason" otherwise; exit 2 on usage errors.
import blakejs from 'blakejs';
import { createPublicKey, verify as edVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const EVENT_TAG = 'tt-audit-event-v1';
const CHECKPOINT_TAG = 'tt-audit-checkpoint-v1';
const ZERO_HASH = '0'.repeat(64);
const EVENT_KEYS = ['tenant', 'seq', 'at', 'actor', 'action', 'target', 'detail', 'prev_hash',
  'hash'];
const utf8 = new TextEncoder();

// field(x) = u32 big-endian length of x, then x
function field(bytes) {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length, false);
  out.set(bytes, 4);
  return out;
}

function int64(n) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(n), false);
  return b;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const fromHex = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b) => Buffer.from(b).toString('hex');
const isHex = (s, bytes) => typeof s === 'string' && new RegExp(`^[0-9a-f]{${2 * bytes}}$`).test(s);

/** The canonical encoding of an event line (docs/audit.md). */
export function encodeEvent(ev) {
  return concat([
    field(utf8.encode(EVENT_TAG)),
    field(utf8.encode(ev.tenant)),
    field(int64(ev.seq)),
    field(int64(ev.at)),
    field(utf8.encode(ev.actor)),
    field(utf8.encode(ev.action)),
    field(utf8.encode(ev.target)),
    field(utf8.encode(ev.detail)),
    field(fromHex(ev.prev_hash)),
  ]);
}

/** The message a checkpoint's signature covers. */
export function checkpointMessage(cp) {
  return concat([
    field(utf8.encode(CHECKPOINT_TAG)),
    field(utf8.encode(cp.tenant)),
    field(int64(cp.seq)),
    field(fromHex(cp.hash)),
    field(int64(cp.at)),
  ]);
}

export function eventHash(ev) {
  return toHex(blakejs.blake2b(encodeEvent(ev), undefined, 32));
}

function publicKeyObject(hex) {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') },
    format: 'jwk',
  });
}

function checkEventShape(ev) {
  if (typeof ev !== 'object' || ev === null || Array.isArray(ev)) return 'not an object';
  const keys = Object.keys(ev);
  if (keys.length !== EVENT_KEYS.length || !EVENT_KEYS.every((k) => keys.includes(k)))
    return `fields must be exactly ${EVENT_KEYS.join(', ')}`;
  for (const k of ['tenant', 'actor', 'action', 'target', 'detail'])
    if (typeof ev[k] !== 'string') return `${k} is not a string`;
  if (!Number.isSafeInteger(ev.seq) || ev.seq < 1) return 'seq is not a positive integer';
  if (!Number.isSafeInteger(ev.at)) return 'at is not an integer';
  if (!isHex(ev.prev_hash, 32) || !isHex(ev.hash, 32)) return 'hashes must be 64 hex digits';
  return null;
}

function checkCheckpointShape(line) {
  const keys = Object.keys(line);
  if (keys.length !== 3 || !['checkpoint', 'signature', 'public_key'].every((k) => keys.includes(k)))
    return 'checkpoint line must hold exactly checkpoint, signature, public_key';
  const cp = line.checkpoint;
  if (typeof cp !== 'object' || cp === null) return 'checkpoint is not an object';
  const ck = Object.keys(cp);
  if (ck.length !== 4 || !['tenant', 'seq', 'hash', 'at'].every((k) => ck.includes(k)))
    return 'checkpoint must hold exactly tenant, seq, hash, at';
  if (typeof cp.tenant !== 'string' || !Number.isSafeInteger(cp.seq) ||
      !Number.isSafeInteger(cp.at) || !isHex(cp.hash, 32))
    return 'checkpoint fields have the wrong types';
  if (!isHex(line.signature, 64) || !isHex(line.public_key, 32))
    return 'signature must be 128 and public_key 64 hex digits';
  return null;
}

/**
 * Verifies an export's text with the trusted public key (hex). Returns
 * { ok: true, events, chains, sections: [{tenant, from, to}] } or { ok: false, line, reason }.
 */
export function verifyExport(text, publicKeyHex) {
  if (!isHex(publicKeyHex, 32)) return { ok: false, line: 0, reason: 'public key must be 64 hex digits' };
  const key = publicKeyObject(publicKeyHex);
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') return { ok: false, line: lines.length, reason: 'no final newline' };
  lines.pop();
  const fail = (i, reason) => ({ ok: false, line: i + 1, reason });
  const sections = [];
  let cur = null; // { tenant, from, seq, hash }
  let events = 0;
  for (let i = 0; i < lines.length; i++) {
    let obj;
    try {
      obj = JSON.parse(lines[i]);
    } catch {
      return fail(i, 'not JSON');
    }
    if (obj && typeof obj === 'object' && 'checkpoint' in obj) {
      const bad = checkCheckpointShape(obj);
      if (bad) return fail(i, bad);
      if (!cur) return fail(i, 'checkpoint without events');
      const cp = obj.checkpoint;
      if (cp.tenant !== cur.tenant) return fail(i, 'checkpoint names another tenant');
      if (cp.seq !== cur.seq || cp.hash !== cur.hash)
        return fail(i, 'checkpoint does not name the last event');
      if (obj.public_key !== publicKeyHex) return fail(i, 'signed by another key');
      if (!edVerify(null, checkpointMessage(cp), key, fromHex(obj.signature)))
        return fail(i, 'bad signature');
      sections.push({ tenant: cur.tenant, from: cur.from, to: cur.seq });
      cur = null;
      continue;
    }
    const bad = checkEventShape(obj);
    if (bad) return fail(i, bad);
    if (eventHash(obj) !== obj.hash) return fail(i, `seq ${obj.seq}: hash does not match (edited)`);
    if (!cur) {
      // a section starts at its anchor: the hash of the event before it (zeros before seq 1)
      if (obj.seq === 1 && obj.prev_hash !== ZERO_HASH) return fail(i, 'seq 1 must follow zeros');
      cur = { tenant: obj.tenant, from: obj.seq, seq: obj.seq - 1, hash: obj.prev_hash };
    }
    if (obj.tenant !== cur.tenant) return fail(i, 'another tenant before the checkpoint');
    if (obj.seq !== cur.seq + 1) return fail(i, `seq ${obj.seq} after ${cur.seq} (deleted or reordered)`);
    if (obj.prev_hash !== cur.hash) return fail(i, `seq ${obj.seq}: does not follow its predecessor`);
    cur.seq = obj.seq;
    cur.hash = obj.hash;
    events++;
  }
  if (cur) return fail(lines.length - 1, 'events after the last checkpoint are not signed');
  if (sections.length === 0) return { ok: false, line: 0, reason: 'no signed chain in the export' };
  return { ok: true, events, chains: sections.length, sections };
}

function main(argv) {
  let file = null;
  let pk = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--public-key' && i + 1 < argv.length) pk = argv[++i];
    else if (!file && !argv[i].startsWith('--')) file = argv[i];
    else {
      console.error(`usage: verify_export.mjs EXPORT.jsonl --public-key HEX`);
      return 2;
    }
  }
  if (!file || !pk) {
    console.error(`usage: verify_export.mjs EXPORT.jsonl --public-key HEX`);
    return 2;
  }
  const r = verifyExport(readFileSync(file, 'utf8'), pk.toLowerCase());
  if (!r.ok) {
    console.log(`FAIL line ${r.line}: ${r.reason}`);
    return 1;
  }
  for (const s of r.sections) console.log(`tenant ${s.tenant}: seq ${s.from}..${s.to} signed`);
  console.log(`ok: ${r.events} events in ${r.chains} chains`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
