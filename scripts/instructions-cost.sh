#!/usr/bin/env bash
# What --instructions costs and how repeatable its counts are, per runtime: each reference handler
# as a user's function in a repository, head against an identical base (an A/A run), 10 rounds,
# with init's instructions counted under valgrind on 3 extra cold starts a side. Prints the
# seconds the counting took (per counted start, and against the timed sampling), and each side's
# median count and spread (max - min over the median), which an A/A run must show unchanged.
#   scripts/instructions-cost.sh [runtime...]   (default: go rust python node deno bun)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null 2>&1
. scripts/tools-dir.sh
export PATH="$tools/bin:$PATH"
command -v valgrind >/dev/null || { echo "instructions-cost.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 711 "$tmp"
go build -o "$tmp/coldbench" ./cmd/coldbench
runtimes=("$@")
[ ${#runtimes[@]} -gt 0 ] || runtimes=(go rust python node deno bun)
echo "| runtime | counted starts | count s | s a start | timed sampling s | base instructions (spread) | head instructions (spread) | A/A verdict |"
echo "|---|--:|--:|--:|--:|--:|--:|---|"
for rt in "${runtimes[@]}"; do
  repo="$tmp/$rt"
  mkdir -p "$repo/fn"
  cp -r "handlers/$rt/." "$repo/fn/"
  find "$repo/fn" \( -name '*_test.*' -o -name '*.test.*' -o -name 'test_*' -o -name target -o -name node_modules \) -prune -exec rm -rf {} +
  if [ "$rt" = go ]; then
    printf 'module example.com/fn\n\ngo 1.26\n\nrequire %s\n' "$(head -1 handlers/go/go.sum | cut -d' ' -f1-2)" > "$repo/fn/go.mod"
  fi
  git -C "$repo" init -q -b main
  git -C "$repo" add .
  git -C "$repo" -c user.name=cb -c user.email=cb@example.com commit -qm "handler"
  case "$rt" in # the references' work handler, as a function's handler setting
    node) runtime=nodejs handler=index.work ;;
    bun) runtime=bun handler=index.work ;;
    python) runtime=python handler=lambda_function.work ;;
    *) runtime=$rt handler=work ;;
  esac
  (cd "$repo" && "$tmp/coldbench" run --handler fn --runtime "$runtime" --function-handler "$handler" --base main --samples 10 --init-samples 0 --references none \
    --instructions --quiet --json "$tmp/$rt.json" >/dev/null 2>"$tmp/$rt.log") || true
  python3 - "$tmp/$rt.json" "$rt" <<'PY' || { echo "| $rt | run failed: $(tail -1 "$tmp/$rt.log") |"; }
import json, sys
r = json.load(open(sys.argv[1]))
counts = r.get("init_instructions") or []
ph = r.get("phases_ms", {})
def side(name):
    v = sorted(c["instructions"] for c in counts if c["variant"] == name and c.get("instructions"))
    if not v:
        return "no count"
    med = v[len(v) // 2]
    return f"{med:,} (±{(v[-1] - v[0]) / 2 / med * 100:.2f}%)"
row = next((c for c in (r.get("init_breakdown") or {}).get("counters", []) if c["name"] == "instructions"), None)
aa = "no change" if row and not row.get("changed") else ("CHANGED (false alarm)" if row else "no counts")
n = len(counts)
count_s = ph.get("count", 0) / 1000
timed_s = (ph.get("sample", 0) - ph.get("trace", 0) - ph.get("count", 0)) / 1000
print(f"| {sys.argv[2]} | {n} | {count_s:.1f} | {count_s / max(n, 1):.1f} | {timed_s:.1f} | {side('base')} | {side('head')} | {aa} |")
PY
done
