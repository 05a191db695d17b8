#!/usr/bin/env bash
# How long a pull request's check takes: a Go (or Rust) handler PR with the default inputs
# (references go,rust,deno prebuilt as in the action's image, samples auto), run twice on fresh
# caches: cold (empty cache dir: module downloads, first builds) and warm (the cache dir kept, as
# actions/cache keeps it). Prints the total and per-phase seconds of each.
#   scripts/bench-pr.sh [go|rust]   (REFERENCES=go,rust,deno to run with other references than the default)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null 2>&1
. scripts/tools-dir.sh
export PATH="$tools/bin:$PATH"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 711 "$tmp"
go build -o "$tmp/coldbench" ./cmd/coldbench
# The image's prebuilt references (built at image build time, not part of a check).
"$tmp/coldbench" build-references --handlers-dir handlers --out "$tmp/refs" >/dev/null
export COLDBENCH_REFERENCES_DIR="$tmp/refs" COLDBENCH_HANDLERS_DIR="$PWD/handlers"  # as the image sets them

# A handler in a repository: main has it as it is; the PR's branch adds an eager init (Go) or
# only a comment (Rust).
lang=${1:-go}
repo="$tmp/repo"
mkdir -p "$repo/functions/api"
case "$lang" in
  go) cp handlers/go/go.sum handlers/go/main.go "$repo/functions/api/"
      printf 'module example.com/api\n\ngo 1.26\n\nrequire %s\n' "$(head -1 handlers/go/go.sum | cut -d' ' -f1-2)" > "$repo/functions/api/go.mod" ;;
  rust) cp -r handlers/rust/Cargo.toml handlers/rust/Cargo.lock handlers/rust/src "$repo/functions/api/" ;;
  *) echo "bench-pr.sh: language $lang: valid values are go, rust" >&2; exit 2 ;;
esac
git -C "$repo" init -q -b main
git -C "$repo" add .
git -C "$repo" -c user.name=pr -c user.email=pr@example.com commit -qm "handler"
git -C "$repo" checkout -q -b feature
if [ "$lang" = rust ]; then
  echo "// a reviewed change" >> "$repo/functions/api/src/main.rs"
else
cat >> "$repo/functions/api/main.go" <<'GO'

// A heavier init, as a new dependency brings one.
var table = func() map[int]int {
	m := map[int]int{}
	for i := 0; i < 200000; i++ {
		m[i] = i * i
	}
	return m
}()
GO
fi
git -C "$repo" -c user.name=pr -c user.email=pr@example.com commit -qam "eager init"

run() {
  local label=$1 start end
  start=$(date +%s.%N)
  (cd "$repo" && HOME="$tmp/home" "$tmp/coldbench" run --handler functions/api ${REFERENCES:+--references "$REFERENCES"} --cache-dir "$tmp/cache" --quiet --json "$tmp/$label.json" >/dev/null) || true
  end=$(date +%s.%N)
  python3 - "$tmp/$label.json" "$label" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); p = r.get("phases_ms", {})
total = float(sys.argv[4]) - float(sys.argv[3])
builds = ", ".join(f"{v['name']} {v['artifact']['build_ms']/1000:.1f}s" for v in r["variants"] if v.get("artifact") and v["artifact"].get("build_ms"))
print(f"{sys.argv[2]:5} total {total:6.1f} s | plan {p.get('plan',0)/1000:.1f} s, build {p.get('build',0)/1000:.1f} s, sample {p.get('sample',0)/1000:.1f} s, analyze {p.get('analyze',0)/1000:.1f} s | verdict {r['verdict']} after {r['config']['samples']} rounds | timed builds: {builds or 'none (all prebuilt or cached)'}")
PY
}
run cold
run warm
