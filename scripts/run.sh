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
# background NICE COMMAND...: COMMAND in the background at CPU priority NICE, in a session of its
# own that is ended, every process of it, when this script ends, however it ends (a script's
# background jobs ignore Ctrl-C). A session is an autogroup of its own to the scheduler, weighed
# against this one whatever its processes' nice values, so the autogroup's is set too.
background_pids=()
background() {
  local n=$1
  shift
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c 'echo "$0" > /proc/self/autogroup 2>/dev/null || true; exec nice -n "$0" "$@"' "$n" "$@" &
  background_pids+=("$!")
}
stop_background() {
  for pid in "${background_pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
}
trap stop_background EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ "$runtimes" = all ]; then
  scripts/setup.sh >&2
else
  runtimes=${runtimes//-hello/}
  # Go needs nothing but its modules. On a machine that lacks the other runtimes' tools, their
  # set-up (minutes on a fresh machine) runs in the background while the Go reference is built and
  # sampled: a first table within a minute or two, then the full one once everything is installed.
  # Rust's reference is the long pole (two cold builds of its crates, one an arm64 cross build):
  # it is built in the background as soon as its tools are in, beside the rest of set-up and the
  # first table, into the cache where the full run finds it (or waits for it).
  if [ "$runtimes" != go ] && [[ ",$runtimes," == *,go,* ]] && ! scripts/setup.sh --for "$runtimes" --check 2>/dev/null; then
    scripts/setup.sh --for go >&2
    echo "run.sh: installing ${runtimes/go,/} in the background (log: .coldbench/setup.log); Go first" >&2
    # Below the first table's CPU priority (its downloads take the network, aws-lambda-ric's
    # native build what CPU the first table leaves), above Rust's build: aws-lambda-ric's build
    # (curl's configure, then make) is mostly one core's work that the full run waits for, and
    # Rust's fills what CPU is left. (At the first table's priority, coldbench's own compile took
    # 104 s instead of 50-75; at 19, below Rust's build, aws-lambda-ric's build took 234 s.)
    background 5 scripts/setup.sh --for "$runtimes" > .coldbench/setup.log 2>&1
    setup_pid=$!
    go build -o .coldbench/coldbench ./cmd/coldbench
    if [[ ",$runtimes," == *,rust,* ]]; then
      echo "run.sh: Rust's reference builds in the background once its tools are in (log: .coldbench/build-rust.log)" >&2
      # Below the first table's and the set-up's priority: the most parallel work, it fills what
      # CPU they leave.
      # shellcheck disable=SC2016 # expanded by the inner shell
      background 10 bash -c '
        until scripts/setup.sh --for rust --check 2>/dev/null; do
          kill -0 "$1" 2>/dev/null || exit 0 # set-up ended without them: the full run says why
          sleep 2
        done
        exec .coldbench/coldbench build-references --handlers-dir handlers --references rust
      ' build-rust "$setup_pid" > .coldbench/build-rust.log 2>&1
    fi
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
run=(.coldbench/coldbench run --handlers-dir handlers
  --json .coldbench/results.json --markdown .coldbench/report.md --html .coldbench/report.html "$@")
if [ ${#background_pids[@]} -eq 0 ]; then
  exec "${run[@]}"
fi
# A background Rust build is still going (the run waits for it): this script stays to end it, and
# passes a signal on to the run, which keeps what it measured and stops (bash runs its traps only
# between commands, so the run waits in the background).
"${run[@]}" < /dev/stdin &
run_pid=$!
trap 'kill -INT "$run_pid" 2>/dev/null; wait "$run_pid"; exit 130' INT
trap 'kill -TERM "$run_pid" 2>/dev/null; wait "$run_pid"; exit 143' TERM
wait "$run_pid"
