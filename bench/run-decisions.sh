#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run-decisions.sh — the decision benchmarks in one run: Cedar (cedar_bench.mjs) first, then
# decide_bench with Cedar's figure, so each of our lines prints beside Cedar's with the ratio.
# Usage: bench/run-decisions.sh [BUILD_DIR]   (about 2 minutes)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cedar_line=$(cd "$root" && node bench/cedar_bench.mjs 5)
echo "$cedar_line"
rate=$(sed -n 's/^cedar-wasm decisions: \([0-9]*\) .*/\1/p' <<<"$cedar_line")
"$root/$build/bench/decide_bench" --seconds 3 --cedar "${rate:-0}"
