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
. scripts/tools-dir.sh
export PATH="$tools/bin:$PATH"
mkdir -p .coldbench
if [ "$runtimes" = all ]; then
  scripts/setup.sh >&2
else
  runtimes=${runtimes//-hello/}
  # Go needs nothing but its modules. On a machine that lacks the other runtimes' tools, their
  # set-up (minutes on a fresh machine) runs in the background while the Go reference is built and
  # sampled: a first table within a minute or two, then the full one once everything is installed.
  if [ "$runtimes" != go ] && [[ ",$runtimes," == *,go,* ]] && ! scripts/setup.sh --for "$runtimes" --check 2>/dev/null; then
    scripts/setup.sh --for go >&2
    echo "run.sh: installing ${runtimes/go,/} in the background (log: .coldbench/setup.log); Go first" >&2
    # At the lowest CPU priority: its downloads take the network, aws-lambda-ric's native build
    # takes what CPU the first table leaves.
    nice -n 19 scripts/setup.sh --for "$runtimes" > .coldbench/setup.log 2>&1 &
    setup_pid=$!
    go build -o .coldbench/coldbench ./cmd/coldbench
    # The first table: the Go reference alone, on stderr (stdout is the full run's). It was sampled
    # beside the set-up, so its figures are a first look, not the measurement.
    echo "run.sh: Go first, sampled while the other runtimes install (a first look; the full table follows)" >&2
    .coldbench/coldbench run --handlers-dir handlers --references go --samples 20 --quiet >&2 ||
      echo "run.sh: the first table failed; the full run follows" >&2
    if ! wait "$setup_pid"; then
      tail -30 .coldbench/setup.log >&2
      echo "run.sh: set-up failed (.coldbench/setup.log)" >&2
      exit 1
    fi
    grep '^setup: .*: [0-9]* s' .coldbench/setup.log >&2 || true
  else
    scripts/setup.sh --for "$runtimes" >&2
  fi
fi
go build -o .coldbench/coldbench ./cmd/coldbench
exec .coldbench/coldbench run --handlers-dir handlers \
  --json .coldbench/results.json --markdown .coldbench/report.md --html .coldbench/report.html "$@"
