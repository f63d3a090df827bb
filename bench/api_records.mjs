// SPDX-License-Identifier: Apache-2.0
// api_records.mjs — records written per second through the HTTP API (POST /v1/records, batches
// of 1,000, a few concurrent clients) against a running `tutela serve`.
// Usage: node bench/api_records.mjs URL KEY N   → prints "api records: R records/s".
const [url, key, nArg] = process.argv.slice(2);
const n = Number(nArg || 100000);
const H = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };

async function post(path, body) {
  const r = await fetch(url + path, { method: 'POST', headers: H, body: JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

const subjects = [];
for (let i = 0; i < 100; i++) {
  const s = await post('/v1/subjects', { kind: 'end_user', jurisdiction: 'NL' });
  subjects.push(s.id);
}
const batch = 1000, clients = 4;
let next = 0;
const t0 = process.hrtime.bigint();
async function worker() {
  for (;;) {
    const from = next; next += batch;
    if (from >= n) return;
    const items = [];
    for (let i = from; i < Math.min(n, from + batch); i++) {
      items.push({ subject: subjects[i % subjects.length], service: 'sms',
        data_category: 'user.contact.phone_number', purpose: 'essential.service',
        value: '{"to":"+31612345678","carrier":"KPN","segments":1}' });
    }
    await post('/v1/records', { items });
  }
}
await Promise.all(Array.from({ length: clients }, worker));
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`api records (POST /v1/records, batches of ${batch}, ${clients} clients): ${Math.round(n / secs)} records/s`);
