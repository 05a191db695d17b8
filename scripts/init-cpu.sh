#!/usr/bin/env bash
# Init and invoke CPU as Lambda gives them: measures the reference handlers at 128 MB and at
# 1,769 MB with the default init CPU model (init not throttled by memory), and at 128 MB with the
# memory's share throughout (--init-cpu memory), all on this machine, and prints init and invoke
# p50 with their ratios. Lambda's own figures (lambda-perf, arm64, 2026-08-22): init flat from 128
# to 1,024 MB (Go 42.4 / 44.1 ms, Rust 13.1 / 13.9 ms), so init at 128 MB / 1,769 MB should be
# about 1; the CPU-bound invoke should scale with memory, 1769/128 = 13.8.
#   scripts/init-cpu.sh [samples]   (default 20 a variant)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null 2>&1
. scripts/tools-dir.sh
export PATH="$tools/bin:$PATH"
n=${1:-20}
out=$(mktemp -d)
go build -o "$out/coldbench" ./cmd/coldbench
run() { "$out/coldbench" run --handlers-dir handlers --quiet --samples "$n" --timeout 60s --json "$out/$1.json" "${@:2}" >/dev/null; }
run m1769 --memory 1769
run m128 --memory 128
run m128mem --memory 128 --init-cpu memory
python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
runs = {k: json.load(open(f"{d}/{k}.json")) for k in ("m1769", "m128", "m128mem")}
def p50(run, name, metric):
    for v in runs[run]["variants"]:
        if v["name"] == name and v["summary"].get(metric):
            return v["summary"][metric]["p50"]
    return float("nan")
print("runtime  init p50 1769 MB  init p50 128 MB  ratio  invoke p50 1769 MB  invoke p50 128 MB  ratio  init p50 128 MB (memory share)  ratio")
for name in ("go", "rust", "deno"):
    i1, i128, im = p50("m1769", name, "init_ms"), p50("m128", name, "init_ms"), p50("m128mem", name, "init_ms")
    d1, d128 = p50("m1769", name, "duration_ms"), p50("m128", name, "duration_ms")
    print(f"{name:8} {i1:14.2f} ms {i128:13.2f} ms {i128/i1:6.2f} {d1:16.1f} ms {d128:15.1f} ms {d128/d1:6.2f} {im:27.2f} ms {im/i1:7.2f}")
PY
rm -rf "$out"
