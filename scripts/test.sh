#!/usr/bin/env bash
# The test command: installs what the tests need (idempotent), then vets and tests everything.
# Every toolchain test runs here; a missing toolchain would be a skip, so CI sets COLDBENCH_REQUIRE_TOOLCHAINS.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/tools-dir.sh
export PATH="$tools/bin:$PATH"
go vet ./...
# One package at a time (-p 1): on 2 cores the timing-sensitive end-to-end tests of pkg/cli
# otherwise share the machine with pkg/build's first Rust builds (a fresh machine's CI left the
# CPU-bound +10% test undecided that way). Each package's own parallel tests run four at a time:
# pkg/cli's end-to-end runs mostly wait (on sleeps, sandboxed starts, downloads); those that need
# the machine to themselves (CPU-bound verdicts, a daemon posting to every loopback port, t.Setenv)
# are not parallel, so they run first, alone.
go test -count=1 -p 1 -parallel 4 -timeout 30m "$@" ./...
# The attack tests whose control turns a protection off inside the test binary: again, built with
# the test hooks, so that each control is seen to succeed (pkg/cli's build a hooked coldbench of
# their own).
go test -count=1 -p 1 -tags coldbench_testhooks -timeout 10m \
  -run 'TestTaskRootCannotBeChangedForTheNextSample|TestHostileAdapterDialLeavesTheSampleNetwork|TestHostileWebServerIsConfinedToItsNetwork|TestHandlerPrintedLambdaLines' \
  ./pkg/runner ./pkg/awslambda
# The reference handlers' own tests (the shared checksum vectors); the Go one is a package of
# this module, tested by go test ./... above.
# Its debug build in a target dir that outlives the checkout (CI tests a fresh clone each time:
# in the clone's own target/ every run would compile tokio and reqwest again, ~30 s).
(cd handlers/rust && CARGO_TARGET_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/coldbench/handlers-rust-test-target" cargo test --quiet)
(cd handlers/deno && NO_COLOR=1 deno test --quiet)
(cd handlers/node && "$tools/runtimes/nodejs24.x/node/bin/node" --test)
(cd handlers/python && /usr/bin/python3 -m unittest -q)
(cd handlers/bun && bun test)
# The workflows, with actionlint (the version pinned here; not a dependency of coldbench itself).
go run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 -no-color .github/workflows/*.yml
echo "actionlint: workflows ok"
