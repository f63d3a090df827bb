// SPDX-License-Identifier: Apache-2.0
// tcf_bench.mjs — @iabtcf/core's side of the TC string benchmark (bench/tcf.sh): makes the
// strings (800-vendor synthetic GVL, seeded random models, the library as shipped), writes them
// one per line to argv[2] for bench_tcf, and prints "js_decode_per_s N" and "js_encode_per_s N".
import fs from 'node:fs';
import { TCString } from '@iabtcf/core';
import { prng, makeGvlJson, makeGvl, randomModel } from '../tests/oracle/tcf_common.mjs';

const out = process.argv[2];
const seconds = Number(process.argv[3] || 3);
const gvl = makeGvl(makeGvlJson(800, 42));
const r = prng(42);
const models = Array.from({ length: 200 }, () => randomModel(r, gvl));
const strings = models.map(({ tc, options }) => TCString.encode(tc, options));
fs.writeFileSync(out, strings.join('\n') + '\n');

function rate(fn, n) {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const t0 = performance.now();
  while (performance.now() < until) {
    for (let i = 0; i < n; i++) fn(i);
    done += n;
  }
  return done / ((performance.now() - t0) / 1000);
}

const dec = rate((i) => TCString.decode(strings[i]), strings.length);
const enc = rate((i) => TCString.encode(models[i].tc, models[i].options), 20);
const avg = Math.round(strings.reduce((a, s) => a + s.length, 0) / strings.length);
console.log(`strings ${strings.length} avg_chars ${avg}`);
console.log(`js_decode_per_s ${Math.round(dec)}`);
console.log(`js_encode_per_s ${Math.round(enc)}`);
