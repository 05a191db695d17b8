#!/usr/bin/env bash
# Compares a run of every function of a template in one `coldbench run` against one run per
# function, on the same machine, in the same session: wall time and the comments a pull request
# would get (the action posts one marked comment per run). Prints the figures the README quotes.
#
#   scripts/multifn-compare.sh [fixture-dir] [rounds]
#
# fixture-dir defaults to pkg/cli/testdata/apps/products (five Go functions under one go.mod);
# it is copied to a temporary git repository (main, and a branch whose base is main). rounds is
# the fixed number of rounds each function gets in both set-ups (default 10), so both measure the
# same samples of every function; the references are sampled once a round in each run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fixture=${1:-$here/pkg/cli/testdata/apps/products}
rounds=${2:-10}
coldbench=${COLDBENCH:-$(mktemp -d)/coldbench}
[ -x "$coldbench" ] || (cd "$here" && go build -o "$coldbench" ./cmd/coldbench)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$fixture/." "$work/app"
cd "$work/app"
git init -q -b main && git add . && git -c user.email=c@b -c user.name=cb commit -qm app && git checkout -qb pr
fns=$(awk '/^  [A-Za-z0-9]+:$/ {name=$1} /Type: AWS::Serverless::Function/ {sub(":","",name); print name}' template.yaml)
n=$(echo "$fns" | wc -w)
common=(--base main --samples "$rounds" --references go,rust,deno --quiet)

echo "warming the caches (not timed) ..." >&2
"$coldbench" run --function all --samples 1 --init-samples 0 --base main --quiet --json "$work/warm.json" >/dev/null 2>&1 || true

t0=$(date +%s.%N)
"$coldbench" run --function all "${common[@]}" --json "$work/all.json" --markdown "$work/all.md" >/dev/null 2>"$work/all.log" || true
t1=$(date +%s.%N)
for f in $fns; do
	"$coldbench" run --function "$f" "${common[@]}" --json "$work/$f.json" --markdown "$work/$f.md" >/dev/null 2>"$work/$f.log" || true
done
t2=$(date +%s.%N)

one=$(echo "$t1 - $t0" | bc)
sep=$(echo "$t2 - $t1" | bc)
reports_one=$(ls "$work"/all.md | wc -l)
reports_sep=$(ls "$work"/*.md | grep -vc '/all.md$')
# samples and the build and sample phases, summed over the results files given
figures() {
	python3 -c '
import json, sys
rs = [json.load(open(p)) for p in sys.argv[1:]]
ph = lambda k: sum(r.get("phases_ms", {}).get(k, 0) for r in rs) / 1000
print("%d samples (build %.1f s, sample %.1f s)" % (sum(len(r["samples"]) for r in rs), ph("build"), ph("sample")))' "$@"
}
printf '%d functions, %d rounds each, references go,rust,deno\n' "$n" "$rounds"
printf 'one run of all:    %6.1f s, %d comment, %s\n' "$one" "$reports_one" "$(figures "$work/all.json")"
printf '%d separate runs:   %6.1f s, %d comments, %s\n' "$n" "$sep" "$reports_sep" "$(figures $(ls "$work"/*.json | grep -v -e /all.json -e /warm.json))"
printf 'one run / separate: %.2f of the wall time\n' "$(echo "$one / $sep" | bc -l)"
