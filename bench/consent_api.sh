#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# consent_api.sh BUILD — durable consent events/s through the API (issue 4): a real `tutela
# serve`, 200 subjects, then wrk for ~10 s twice: many connections POSTing one event each to
# /v1/subjects/{id}/consents, then a few connections POSTing batches of BENCH_CONSENT_ITEMS
# (1000) events to /v1/consents (each 201 is sent only after the group commit's COMMIT
# returned; requests wait parked, so the server's default threads serve every connection).
# Durable events are counted in the database afterwards, not from responses. Both printed
# beside the direct-ledger figure (bench_consent_ledger) and its raw SQLite baselines, run just
# before and just after the API runs, and their mean; the server's CPU per event too. With TUTELA_BENCH_DB=postgres://… the server and the ledger bench run on PostgreSQL.
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
command -v wrk >/dev/null || { echo "consent_api: wrk not installed (scripts/install-deps.sh)"; exit 0; }
TMP=$(mktemp -d -p /tmp --suffix=.tutela-bench-consent)
PID=
PGDB=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  wait 2>/dev/null
  [ -n "$PGDB" ] && psql "${TUTELA_BENCH_DB}" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
DUR=${BENCH_CONSENT_SECONDS:-10}
CONNS=${BENCH_CONSENT_CONNECTIONS:-256}
BATCH_CONNS=${BENCH_CONSENT_BATCH_CONNECTIONS:-8}
ITEMS=${BENCH_CONSENT_ITEMS:-1000}
if [ -n "${TUTELA_BENCH_DB:-}" ]; then
  PGDB="tt_bench_consent_$$"
  psql "$TUTELA_BENCH_DB" -qc "CREATE DATABASE $PGDB" >/dev/null || exit 1
  DB=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$TUTELA_BENCH_DB" "$PGDB")
  count() { psql "$DB" -qAtc "SELECT count(*) FROM consent_events"; }
else
  DB="sqlite:$TMP/c.db"
  count() { sqlite3 "$TMP/c.db" "SELECT count(*) FROM consent_events"; }
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
U=http://127.0.0.1:$PORT
TUTELA_LOG_LEVEL=error "$BUILD/tutela" serve --db "$DB" --master-key "$TMP/mk" \
  --listen "127.0.0.1:$PORT" --policy policy/default.yaml >"$TMP/serve.log" 2>&1 &
PID=$!
for _ in $(seq 200); do curl -fsS "$U/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
ADMIN=$("$BUILD/tutela" keys create --db "$DB" --master-key "$TMP/mk" --tenant ten_platform --role admin)
# tenant, keys and 200 subjects in one process; then the two wrk scripts
python3 - "$U" "$ADMIN" "$ITEMS" "$TMP" <<'PY' || { echo "consent_api: set-up failed"; tail -5 "$TMP/serve.log"; exit 1; }
import json, sys, urllib.request
u, admin, items, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def post(path, body, key):
    r = urllib.request.Request(u + path, data=json.dumps(body).encode(), method="POST",
                               headers={"Authorization": "Bearer " + key,
                                        "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(r))
tenant = post("/v1/tenants", {"name": "Bench BV"}, admin)["id"]
tadmin = post(f"/v1/tenants/{tenant}/keys", {"role": "admin"}, admin)["token"]
key = post("/v1/keys", {"role": "service"}, tadmin)["token"]
ids = [post("/v1/subjects", {"kind": "end_user", "jurisdiction": "NL", "contract_active": True},
            key)["id"] for _ in range(200)]
head = "local ids = {%s}\nlocal key = %s\n" % (",".join(json.dumps(i) for i in ids), json.dumps(key))
open(tmp + "/post.lua", "w").write(head + """
local n = 0
request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  local action = (n % 3 == 0) and "withdraw" or "grant"
  return wrk.format("POST", "/v1/subjects/" .. id .. "/consents",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"},
    '{"purpose":"marketing.communications.email","action":"' .. action ..
    '","method":"api","notice_version":"2022.1"}')
end
""")
batch = json.dumps({"items": [{"subject": ids[k % len(ids)],
                              "purpose": "marketing.communications.email",
                              "action": "withdraw" if k % 3 == 0 else "grant",
                              "method": "import", "notice_version": "2022.1"}
                             for k in range(items)]}, separators=(",", ":"))
open(tmp + "/batch.lua", "w").write(head + "local body = %s\n" % json.dumps(batch) + """
request = function()
  return wrk.format("POST", "/v1/consents",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end
""")
PY
# wrk's output: seconds and non-2xx answers
run_wrk() { # CONNECTIONS SCRIPT -> "SECONDS NON2XX"
  local out
  out=$(wrk -t2 -c"$1" -d"${DUR}s" --timeout 30s -s "$2" "$U" 2>&1)
  echo "$(echo "$out" | awk '/requests in/ {print $(NF-2)}' | tr -d 's,') $(echo "$out" | awk '/Non-2xx/ {print $NF}')"
}
# the server's CPU seconds (user + system) so far: CPU per event beside the wall-clock rates,
# as the shared machine's load moves between runs
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$PID/stat"; }
# the direct ledger and its raw SQLite baseline run once before and once after the API runs, and
# the API is compared with their mean (the shared machine's load moves within a minute)
ledger_run() { "$BUILD/bench/bench_consent_ledger" --seconds 3 ${TUTELA_BENCH_DB:+--db "$TUTELA_BENCH_DB"} 2>&1; }
LEDGER0=$(ledger_run)
C0=$(count)
T0=$(cpu)
read -r SECS1 BAD1 <<<"$(run_wrk "$CONNS" "$TMP/post.lua")"
C1=$(count)
T1=$(cpu)
# BENCH_CONSENT_PERF=FILE: the server's CPU profile during the batch run (perf report -i FILE)
PERF=
[ -n "${BENCH_CONSENT_PERF:-}" ] && { perf record ${BENCH_CONSENT_PERF_CG:--g} -e cpu-clock -p "$PID" -o "$BENCH_CONSENT_PERF" >/dev/null 2>&1 & PERF=$!; }
read -r SECS2 BAD2 <<<"$(run_wrk "$BATCH_CONNS" "$TMP/batch.lua")"
[ -n "$PERF" ] && { kill -INT "$PERF"; wait "$PERF" 2>/dev/null; }
C2=$(count)
T2=$(cpu)
kill "$PID" 2>/dev/null; wait 2>/dev/null; PID=
LEDGER1=$(ledger_run)
python3 - "$C0" "$C1" "$C2" "${SECS1:-$DUR}" "${SECS2:-$DUR}" "${BAD1:-0}" "${BAD2:-0}" "$CONNS" "$BATCH_CONNS" "$ITEMS" "${TUTELA_BENCH_DB:+postgres}" "$T0" "$T1" "$T2" <<PY
import re, sys
c0, c1, c2, s1, s2, bad1, bad2, conns, bconns, items, backend, t0, t1, t2 = sys.argv[1:]
def us_per(t_a, t_b, n):
    return f"{(float(t_b) - float(t_a)) / n * 1e6:.0f}" if n > 0 else "n/a"
cpu1 = us_per(t0, t1, int(c1) - int(c0))
cpu2 = us_per(t1, t2, int(c2) - int(c1))
single = (int(c1) - int(c0)) / float(s1)
batch = (int(c2) - int(c1)) / float(s2)
runs = ["""$LEDGER0""", """$LEDGER1"""]
ms = [re.search(r": (\d+) durable events/s", r) for r in runs]
raws = [re.search(r"(\d+) rows/txn: (\d+) rows/s", r) for r in runs]
directs = [float(m.group(1)) for m in ms if m]
rawrates = [float(r.group(2)) for r in raws if r]
raw = raws[0] or raws[1]
direct = sum(directs) / len(directs) if directs else 0
rawrate = sum(rawrates) / len(rawrates) if rawrates else 0
both = lambda xs: " and ".join(f"{x:.0f}" for x in xs)
def of(x, base):
    return f"{x / base:.2f}" if base else "n/a"
be = backend or "sqlite"
print(f"consent API ({be}, POST /v1/subjects/{{id}}/consents, one event a request, {conns} connections):"
      f" {single:.0f} durable events/s (counted in the database; {bad1} non-2xx;"
      f" server CPU {cpu1} us/event)")
print(f"consent API ({be}, POST /v1/consents, {items} events a request, {bconns} connections):"
      f" {batch:.0f} durable events/s (counted in the database; {bad2} non-2xx;"
      f" server CPU {cpu2} us/event)")
print(f"direct ledger (group commit, before and after): {both(directs)}, mean {direct:.0f} durable events/s"
      f"  (API single = {of(single, direct)}, batch = {of(batch, direct)} of it)")
if raw:
    print(f"raw SQLite, {raw.group(1)} rows/txn, synchronous=FULL, before and after:"
          f" {both(rawrates)}, mean {rawrate:.0f} rows/s"
          f"  (API single = {of(single, rawrate)}, batch = {of(batch, rawrate)} of it; goal >= 0.5)")
best = max(single, batch)
print(f"goal: >= 50000 events/s through the API: {'met' if best >= 50000 else 'not met'}"
      f" (batch endpoint); >= 0.5 of raw: "
      f"{'met' if rawrate and best >= 0.5 * rawrate else 'not met' if rawrate else 'n/a'}")
PY
