#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# http_decisions.sh — decisions over HTTP against a real `tutela serve` (SQLite in a temporary
# directory, N end users seeded with `tutela demo seed`), each figure beside its baseline from
# the same run: (a) POST /v1/decisions in batches of 1,000 from several connections for ~10 s
# (decisions/s; beside the in-process batch rate of decide_bench on the same subject count);
# (b) single decisions paced at a fixed rate with wrk (p50/p99 latency; beside GET /healthz
# paced the same way on the same server), then the same bodies split by their answer: allowed
# only, and denied only (answered once their audit event is written to the OS: on SQLite to the
# denials' journal beside the database — audit_denials = os, the default; chained into the trail
# just after, on disk within audit_flush_ms, docs/audit.md),
# beside the disk's own fdatasync latency measured right after (bench/fsync_latency.py), what
# a denied answer would wait for with audit_denials = sync, then (c) the denied bodies on the
# server restarted with audit_denials = sync, the baseline of the default. The machine has 2 cores and wrk shares them with the
# server, so each line also gives the server's own CPU time over the run (user + system, from
# /proc) and the decisions per server CPU-second: the figure that does not depend on what else
# runs. Stops by itself in under 2 minutes and kills its server.
# Usage: bench/http_decisions.sh [BUILD_DIR]   (env: HTTP_BENCH_SUBJECTS, RATE, SECONDS_PER_RUN)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init "${1:-build}" http_decisions wrk sqlite3 python3
N=${HTTP_BENCH_SUBJECTS:-20000}
RATE=${RATE:-10000}
SECS=${SECONDS_PER_RUN:-10}
bench_tmp tutela-httpdec
bench_seed "$N" 'random()'

# request bodies: 16 batches of 1,000 and 4,096 single decisions over the seeded subjects, the
# purposes and services of the default policy
python3 - "$TMP" <<'PY'
import json, random, sys
tmp = sys.argv[1]
ids = open(f"{tmp}/ids").read().split()
random.seed(7)
shapes = [
    {"purpose": "marketing.communications", "data_category": "user.contact.phone_number", "service": "sms"},
    {"purpose": "essential.service", "data_category": "user.contact.phone_number", "service": "sms"},
    {"purpose": "analytics.reporting"},
    {"purpose": "storage"},
]
def item():
    return {"subject": random.choice(ids), **random.choice(shapes)}
with open(f"{tmp}/batch.bodies", "w") as f:
    for _ in range(16):
        f.write(json.dumps({"items": [item() for _ in range(1000)]}, separators=(",", ":")) + "\n")
with open(f"{tmp}/single.bodies", "w") as f:
    for _ in range(4096):
        f.write(json.dumps(item(), separators=(",", ":")) + "\n")
PY
echo "-" >"$TMP/none.bodies"

bench_serve
# one request of each kind must succeed before anything is measured
code=$(curl -s -o "$TMP/check.json" -w '%{http_code}' -H "authorization: Bearer $KEY" \
  -H 'content-type: application/json' --data-binary @<(head -1 "$TMP/batch.bodies") "$URL/v1/decisions")
if [ "$code" != 200 ] || ! grep -q '"results"' "$TMP/check.json"; then
  echo "http_decisions: a batch of 1000 answered $code: $(head -c 300 "$TMP/check.json")" >&2
  exit 1
fi

# the server's CPU time so far (user + system), in clock ticks
server_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER/stat"; }
TICKS=$(getconf CLK_TCK)
# runs wrk; prints "requests/s p50_ms p99_ms errors server_cpu_s"
run_wrk() { # threads conns url bodies delay_ms [get]
  local t0
  t0=$(server_ticks)
  wrk -t"$1" -c"$2" -d"${SECS}s" --timeout 10s --latency -s bench/http_decisions.lua "$3" -- \
    "$4" "$5" "$KEY" "${6:-}" >"$TMP/wrk.out" 2>&1 || true
  python3 - "$TMP/wrk.out" "$(( $(server_ticks) - t0 ))" "$TICKS" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
cpu = int(sys.argv[2]) / int(sys.argv[3])
def ms(label):
    m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", t, re.M)
    if not m: return float("nan")
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
err = re.search(r"Socket errors:.*", t)
errors = int(bad.group(1)) if bad else 0
if err: errors += sum(int(x) for x in re.findall(r"\d+", err.group(0)))
secs = re.search(r"requests in ([\d.]+)(ms|s|m),", t)
dur = float(secs.group(1)) * {"ms": 1e-3, "s": 1, "m": 60}[secs.group(2)] if secs else 1
# server CPU-seconds per wall second of the run
print(f"{float(rps.group(1)) if rps else 0:.0f} {ms('50')} {ms('99')} {errors} {cpu / dur:.3f}")
PY
}

# the single bodies split by their answer (one batch of all 4,096 asks), so the allowed ones,
# answered at once, and the denied ones, answered once their audit event is committed, are
# timed apart
curl -s -H "authorization: Bearer $KEY" -H 'content-type: application/json' --data-binary \
  @<(python3 -c 'import json,sys; print(json.dumps({"items": [json.loads(l) for l in open(sys.argv[1])]}))' \
    "$TMP/single.bodies") "$URL/v1/decisions" >"$TMP/split.json"
python3 - "$TMP" <<'PY'
import json, sys
tmp = sys.argv[1]
bodies = open(f"{tmp}/single.bodies").read().split("\n")[:4096]
results = json.load(open(f"{tmp}/split.json"))["results"]
with open(f"{tmp}/allowed.bodies", "w") as a, open(f"{tmp}/denied.bodies", "w") as d:
    for body, r in zip(bodies, results):
        (a if r["allow"] else d).write(body + "\n")
PY
DENIED=$(wc -l <"$TMP/denied.bodies")

# (a) batches of 1,000 from 4 connections, as fast as the server answers
read -r rps _ p99 errs bcpu <<<"$(run_wrk 2 4 "$URL/v1/decisions" "$TMP/batch.bodies" 0)"
inproc=$("$BUILD/bench/decide_bench" --subjects "$N" --seconds 2 --only batch 2>/dev/null |
  sed -n 's/.*batches of 1000.*: \([0-9]*\) decisions\/s\/core.*/\1/p')
awk -v r="$rps" -v e="$errs" -v p="$p99" -v i="${inproc:-0}" -v c="$bcpu" 'BEGIN {
  d = r * 1000; pc = (c > 0 ? d / c : 0);
  printf "HTTP batch decisions (1000/request, 4 connections, 2 cores shared with wrk): %.0f decisions/s, p99 %.1f ms/request, %d errors; server busy %.2f cores, %.0f decisions per server CPU-second (baseline: in-process tt_decide_batch %.0f decisions/s/core, ratio %.3fx; goal 500000/s, ratio %.2fx)\n", d, p, e, c, pc, i, (i > 0 ? pc / i : 0), d / 500000 }'

# (b) single decisions paced at RATE/s, beside /healthz paced the same way. Each connection
# pauses PAUSE ms after each answer, so a connection's cycle is the pause plus the answer's
# latency plus wrk's own timer slack: 50 connections at 5 ms make about 8,600/s, not RATE. Short
# runs of the single decisions measure the cycle, and the connections are scaled (up to three
# times, as more connections lengthen the cycle a little) until they offer at least RATE
# requests a second (/healthz, answered faster, then a little more).
CONNS=50
PAUSE=$(( CONNS * 1000 / RATE ))
SECS_RUN=$SECS
SECS=3
pacing=""
for _ in 1 2 3; do
  read -r crps _ <<<"$(run_wrk 2 "$CONNS" "$URL/v1/decisions" "$TMP/single.bodies" "$PAUSE")"
  pacing="$pacing ${CONNS} connections made ${crps}/s;"
  next=$(awk -v c="$CONNS" -v r="$RATE" -v a="$crps" 'BEGIN { n = (a > 0 ? int(c * r * 1.01 / a + 0.5) : c); print (n < c ? c : n > 200 ? 200 : n) }')
  awk -v r="$RATE" -v a="$crps" 'BEGIN { exit !(a >= r) }' && break
  CONNS=$next
done
SECS=$SECS_RUN
echo "  pacing (each connection pausing ${PAUSE} ms):${pacing} the paced runs use ${CONNS} connections"
read -r srps sp50 sp99 serrs scpu <<<"$(run_wrk 2 "$CONNS" "$URL/v1/decisions" "$TMP/single.bodies" "$PAUSE")"
read -r hrps hp50 hp99 herrs hcpu <<<"$(run_wrk 2 "$CONNS" "$URL/healthz" "$TMP/none.bodies" "$PAUSE" get)"
read -r arps ap50 ap99 aerrs acpu <<<"$(run_wrk 2 "$CONNS" "$URL/v1/decisions" "$TMP/allowed.bodies" "$PAUSE")"
read -r drps dp50 dp99 derrs dcpu <<<"$(run_wrk 2 "$CONNS" "$URL/v1/decisions" "$TMP/denied.bodies" "$PAUSE")"
fsync=$(python3 bench/fsync_latency.py "$TMP" 200)
awk -v r="$srps" -v a="$sp50" -v b="$sp99" -v e="$serrs" -v c="$scpu" -v hr="$hrps" -v ha="$hp50" -v hb="$hp99" -v hc="$hcpu" -v R="$RATE" 'BEGIN {
  printf "HTTP single decisions paced at %d/s (achieved %.0f/s, %d errors): p50 %.2f ms, p99 %.2f ms, server %.0f us CPU/request (baseline: GET /healthz at %.0f/s p50 %.2f ms, p99 %.2f ms, %.0f us CPU/request; goal p99 < 2 ms, ratio %.2fx)\n", R, r, e, a, b, (r > 0 ? c / r * 1e6 : 0), hr, ha, hb, (hr > 0 ? hc / hr * 1e6 : 0), b / 2 }'
MODE=${TUTELA_AUDIT_DENIALS:-os}
awk -v r="$arps" -v a="$ap50" -v b="$ap99" -v e="$aerrs" -v c="$acpu" -v dr="$drps" -v da="$dp50" -v db="$dp99" -v de="$derrs" -v dc="$dcpu" -v R="$RATE" -v dn="$DENIED" -v f="$fsync" -v m="$MODE" 'BEGIN {
  printf "  the same split by answer (%d of 4096 bodies denied), each paced at %d/s: allowed only: achieved %.0f/s, %d errors, p50 %.2f ms, p99 %.2f ms, %.0f us CPU/request; denied only (answered once the event is in the journal, audit_denials = %s): achieved %.0f/s, %d errors, p50 %.2f ms, p99 %.2f ms, %.0f us CPU/request; fdatasync of 4 KiB on this disk right after: %s\n", dn, R, r, e, a, b, (r > 0 ? c / r * 1e6 : 0), m, dr, de, da, db, (dr > 0 ? dc / dr * 1e6 : 0), f }'
# (c) the denied bodies again on a server restarted with audit_denials = sync (each answer
# waits for its event's fdatasync): the baseline of the default's OS-level durability
if [ "$MODE" = os ]; then
  kill "$SERVER" && wait "$SERVER" 2>/dev/null || true
  bench_serve TUTELA_AUDIT_DENIALS=sync
  read -r yrps yp50 yp99 yerrs ycpu <<<"$(run_wrk 2 "$CONNS" "$URL/v1/decisions" "$TMP/denied.bodies" "$PAUSE")"
  awk -v r="$yrps" -v a="$yp50" -v b="$yp99" -v e="$yerrs" -v c="$ycpu" -v R="$RATE" 'BEGIN {
  printf "  baseline: denied only with audit_denials = sync (answered once the event is on disk), paced at %d/s, same run: achieved %.0f/s, %d errors, p50 %.2f ms, p99 %.2f ms, %.0f us CPU/request\n", R, r, e, a, b, (r > 0 ? c / r * 1e6 : 0) }'
fi
if ! kill -0 "$SERVER" 2>/dev/null; then
  echo "http_decisions: the server died: $(tail -5 "$TMP/serve.log")" >&2
  exit 1
fi
