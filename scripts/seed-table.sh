#!/usr/bin/env bash
# The seed's experiment, run with coldbench: every reference runtime at 512 MB doing the seed's
# workload (about 100 ms of CPU and one 50 ms outbound call), as many cold starts as fit in a few
# minutes, in one interleaved run on this machine; then their hello variants, whose init is what
# lambda-perf publishes. Prints mean / p50 / p90 cold start (init + first invoke) and package size
# per runtime next to the seed's claims and lambda-perf's medians.
#   scripts/seed-table.sh [samples]   (default 40 a runtime)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null 2>&1
. scripts/tools-dir.sh
export PATH="$tools/bin:$PATH"
samples=${1:-40}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 711 "$tmp"
go build -o "$tmp/coldbench" ./cmd/coldbench
"$tmp/coldbench" run --references go,rust,deno,node,python,bun --memory 512 --outbound-delay 50ms \
  --samples "$samples" --quiet --json "$tmp/work.json" >/dev/null
"$tmp/coldbench" run --references go-hello,rust-hello,deno-hello,node-hello,python-hello,bun-hello --memory 512 \
  --samples "$samples" --quiet --json "$tmp/hello.json" >/dev/null
python3 - "$tmp/work.json" "$tmp/hello.json" <<'PY'
import json, sys
work, hello = (json.load(open(p)) for p in sys.argv[1:3])
# The seed's claims (cold start mean / P90 in ms, package MB) and lambda-perf's medians (init ms,
# arm64 zip, hello world, 2026-08-22).
seed = {"deno": (87, 102, 18.3), "rust": (92, 115, 3.1), "go": (134, 168, 11.7)}
perf = {"rust": 13.1, "go": 42.4, "python": 101.8, "node": 121.3, "bun": 290.4}
hv = {v["name"].removesuffix("-hello"): v for v in hello["variants"]}
e = work["environment"]
print(f"{e['cpu']}, {e['cores']} cores, {e['arch']} (timing the {e['arch']} build), 512 MB, "
      f"{work['config']['samples']} cold starts a runtime, {work['config']['outbound_delay_ms']:.0f} ms outbound delay")
print()
print("| runtime | cold mean | cold p50 | cold p90 | arm64 zip | seed: mean / p90 / zip | hello init p50 | lambda-perf init (hello) |")
print("|---|--:|--:|--:|--:|--:|--:|--:|")
for v in work["variants"]:
    n, s = v["name"], v["summary"].get("cold_ms")
    zb = v["deploy_artifact"]["zip_bytes"] if v.get("deploy_artifact") else 0
    size = f"{zb / 1e6:.1f} MB" if zb >= 100_000 else f"{zb / 1e3:.0f} KB"
    cold = f"{s['mean']:.0f} | {s['p50']:.0f} | {s['p90']:.0f}" if s else "– | – | –"
    sd = seed.get(n)
    claim = f"{sd[0]} / {sd[1]} ms / {sd[2]} MB" if sd else "–"
    h = hv.get(n, {}).get("summary", {}).get("init_ms")
    init = f"{h['p50']:.1f} ms" if h else "–"
    published = f"{perf[n]} ms" if n in perf else "–"
    print(f"| {n} | {cold} | {size} | {claim} | {init} | {published} |")
PY
