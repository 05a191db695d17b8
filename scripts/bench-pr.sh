#!/usr/bin/env bash
# How long a pull request's check takes: a Go (or Rust) handler PR with the default inputs
# (references go,rust,deno prebuilt as in the action's image, samples auto), run twice on fresh
# caches: cold (empty cache dir: module downloads, first builds) and warm (the cache dir kept, as
# actions/cache keeps it). Prints the total and per-phase seconds of each.
#   scripts/bench-pr.sh [go|rust|sam]   (REFERENCES=go,rust,deno to run with other references than the default)
# sam is a SAM project laid out like `sam init`'s Go hello world (template.yaml at the root,
# MemorySize 128 in Globals, BuildMethod go1.x), its PR the same eager init as go's.
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
  sam) rmdir "$repo/functions/api" "$repo/functions"
      mkdir -p "$repo/hello-world"
      cp handlers/go/go.sum "$repo/hello-world/"
      printf 'module hello-world\n\ngo 1.26\n\nrequire %s\n' "$(head -1 handlers/go/go.sum | cut -d' ' -f1-2)" > "$repo/hello-world/go.mod"
      cat > "$repo/template.yaml" <<'YAML'
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: hello-world, as sam init lays out its Go sample
Globals:
  Function:
    Timeout: 5
    MemorySize: 128
Resources:
  HelloWorldFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: go1.x
    Properties:
      CodeUri: hello-world/
      Handler: bootstrap
      Runtime: provided.al2023
      Architectures: [arm64]
      Events:
        CatchAll:
          Type: Api
          Properties:
            Path: /hello
            Method: GET
YAML
      cat > "$repo/hello-world/main.go" <<'GO'
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handler(ctx context.Context, request events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return events.APIGatewayProxyResponse{Body: "Hello, World!", StatusCode: 200}, nil
}

func main() {
	lambda.Start(handler)
}
GO
      ;;
  *) echo "bench-pr.sh: language $lang: valid values are go, rust, sam" >&2; exit 2 ;;
esac
src="$repo/functions/api/main.go" handler_flag=(--handler functions/api)
[ "$lang" = sam ] && src="$repo/hello-world/main.go" handler_flag=()
git -C "$repo" init -q -b main
git -C "$repo" add .
git -C "$repo" -c user.name=pr -c user.email=pr@example.com commit -qm "handler"
git -C "$repo" checkout -q -b feature
if [ "$lang" = rust ]; then
  echo "// a reviewed change" >> "$repo/functions/api/src/main.rs"
else
cat >> "$src" <<'GO'

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
  (cd "$repo" && HOME="$tmp/home" "$tmp/coldbench" run "${handler_flag[@]}" ${REFERENCES:+--references "$REFERENCES"} --cache-dir "$tmp/cache" --quiet --json "$tmp/$label.json" >/dev/null) || true
  end=$(date +%s.%N)
  python3 - "$tmp/$label.json" "$label" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); p = r.get("phases_ms", {})
total = float(sys.argv[4]) - float(sys.argv[3])
builds = ", ".join(f"{v['name']} {v['artifact']['build_ms']/1000:.1f}s" for v in r["variants"] if v.get("artifact") and v["artifact"].get("build_ms"))
roles = {v["name"]: v["role"] for v in r["variants"]}
wall = {}
for s in r.get("samples", []):
    k = roles.get(s["variant"]) == "reference" and "references" or "head+base"
    wall[k] = wall.get(k, 0) + s.get("wall_ms", 0) / 1000
share = " / ".join(f"{k} {v:.1f} s" for k, v in sorted(wall.items()))
print(f"{sys.argv[2]:5} total {total:6.1f} s | plan {p.get('plan',0)/1000:.1f} s, build {p.get('build',0)/1000:.1f} s, sample {p.get('sample',0)/1000:.1f} s ({share}), analyze {p.get('analyze',0)/1000:.1f} s | memory {r['config']['memory_mb']} MB | verdict {r['verdict']} after {r['config']['samples']} rounds | timed builds: {builds or 'none (all prebuilt or cached)'}")
PY
}
run cold
run warm
