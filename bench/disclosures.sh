#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# disclosures.sh — the sharing gate over HTTP (issue 7) against a real `tutela serve` (SQLite in
# a temporary directory, N end users seeded with `tutela demo seed`): POST /v1/disclosures in
# batches of 1,000 subjects to Stripe for finance.billing (registry load, transfer rules, one
# decision per subject, 1,000 rows and one audit event in one transaction), beside its baseline
# from the same run on the same server and subjects: POST /v1/decisions with the same 1,000
# subjects and purpose (the decision engine alone, nothing written). Stops by itself in well
# under a minute and kills its server. Usage: bench/disclosures.sh [BUILD_DIR]
#   (env: DISCLOSURE_BENCH_SUBJECTS, DISCLOSURE_BENCH_BATCHES)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init "${1:-build}" disclosures sqlite3 python3 curl
N=${DISCLOSURE_BENCH_SUBJECTS:-5000}
BATCHES=${DISCLOSURE_BENCH_BATCHES:-20}
bench_tmp tutela-disclose
bench_seed "$N"
bench_serve TUTELA_JOBS=none

timeout 120 python3 - "http://127.0.0.1:$PORT" "$KEY" "$TMP/ids" "$BATCHES" <<'PY'
import json, sys, time, urllib.request, urllib.error
url, key, ids_file, batches = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ids = open(ids_file).read().split()
def post(path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
# the subjects the engine allows for finance.billing (children and the like are refused)
ok = []
for i in range(0, len(ids), 1000):
    items = [{"subject": s, "purpose": "finance.billing"} for s in ids[i:i + 1000]]
    st, body = post("/v1/decisions", {"items": items})
    assert st == 200, (st, body)
    ok += [s for s, r in zip(ids[i:i + 1000], body["results"]) if r["allow"]]
if len(ok) < 1000:
    sys.exit(f"disclosures: only {len(ok)} subjects allowed; need 1000")
groups = [ok[(j * 1000) % (len(ok) - 999):][:1000] for j in range(batches)]
def run(path, make):
    t0, n = time.perf_counter(), 0
    for g in groups:
        st, body = post(path, make(g))
        assert st in (200, 201), (path, st, body)
        n += len(g)
    return n / (time.perf_counter() - t0)
base = run("/v1/decisions", lambda g: {"items": [{"subject": s, "purpose": "finance.billing"} for s in g]})
gate = run("/v1/disclosures", lambda g: {"recipient": "stripe", "purpose": "finance.billing", "subjects": g})
print(f"HTTP sharing gate (batches of 1000 subjects, 1 connection, SQLite): {gate:.0f} subjects disclosed/s "
      f"({1000 / gate * 1000:.1f} ms/batch) (baseline: POST /v1/decisions on the same subjects {base:.0f} decisions/s, "
      f"{1000 / base * 1000:.1f} ms/batch; ratio {gate / base:.3f}x)")
PY
if ! kill -0 "$SERVER" 2>/dev/null; then
  echo "disclosures: the server died: $(tail -5 "$TMP/serve.log")" >&2
  exit 1
fi
