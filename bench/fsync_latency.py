#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# fsync_latency.py — the disk's commit cost, the floor under any answer that waits for a
# durable write (bench/http_decisions.sh prints it beside the denied decisions): N writes of
# 4 KiB to a new file in DIR, each followed by fdatasync. Prints "p50 X ms, p99 Y ms".
# Usage: fsync_latency.py DIR [N]   (not a benchmark of its own: scripts/run-bench.sh runs *.sh)
import os
import sys
import time

path = os.path.join(sys.argv[1], "fsync_latency.bin")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
lat = []
try:
    for _ in range(n):
        os.write(fd, b"x" * 4096)
        t = time.perf_counter()
        os.fdatasync(fd)
        lat.append((time.perf_counter() - t) * 1e3)
finally:
    os.close(fd)
    os.unlink(path)
lat.sort()
q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))]
print(f"p50 {q(0.5):.2f} ms, p99 {q(0.99):.2f} ms")
