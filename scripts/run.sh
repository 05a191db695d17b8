#!/usr/bin/env bash
# The main job: installs what is missing (idempotent), builds coldbench, and runs a local
# cold-start benchmark of the reference handlers (no cloud account, no token). Extra arguments go
# to `coldbench run`, e.g. scripts/run.sh --handler ./my-fn --samples 100.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/tools-dir.sh
export PATH="$tools/bin:$PATH"
mkdir -p .coldbench
go build -o .coldbench/coldbench ./cmd/coldbench
exec .coldbench/coldbench run --handlers-dir handlers \
  --json .coldbench/results.json --markdown .coldbench/report.md --html .coldbench/report.html "$@"
