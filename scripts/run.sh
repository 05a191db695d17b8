#!/usr/bin/env bash
# The main job: installs what is missing (idempotent), builds coldbench, and runs a local
# cold-start benchmark of the reference handlers (no cloud account, no token). Extra arguments go
# to `coldbench run`, e.g. scripts/run.sh --handler ./my-fn --samples 100.
set -euo pipefail
cd "$(dirname "$0")/.."
# Install what the references it runs need, and no more: all six by default (not the tests' extras:
# Node.js 22, qemu, valgrind), those --references names, everything when a handler of yours runs.
runtimes=go,rust,deno,node,python,bun
prev=
for a in "$@"; do
  case "$prev|$a" in
    "--references|"*) runtimes=$a ;;
    *"|--references="*) runtimes=${a#--references=} ;;
    *"|--handler"*|*"|--template"*|*"|--artifact"*|*"|--binary"*) runtimes=all ;;
  esac
  prev=$a
done
if [ "$runtimes" = all ]; then
  scripts/setup.sh
else
  runtimes=${runtimes//-hello/}
  scripts/setup.sh --for "$runtimes"
fi
. scripts/tools-dir.sh
export PATH="$tools/bin:$PATH"
mkdir -p .coldbench
go build -o .coldbench/coldbench ./cmd/coldbench
exec .coldbench/coldbench run --handlers-dir handlers \
  --json .coldbench/results.json --markdown .coldbench/report.md --html .coldbench/report.html "$@"
