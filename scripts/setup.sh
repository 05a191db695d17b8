#!/usr/bin/env bash
# Installs the toolchains coldbench's builds and tests need on a fresh Debian machine, idempotently.
#
#   scripts/setup.sh                 # everything the tests need (every runtime, Node.js 22 and 24, qemu, valgrind...)
#   scripts/setup.sh --for go,rust   # what building and running these references needs, and no more
#   scripts/setup.sh --minimal       # Go modules only (what the emulator and stats tests need)
#   scripts/setup.sh --for go,rust --check   # installs nothing: exit 0 when all of it is there
#
# The steps that download or compile (Debian packages first, then Deno, cargo-lambda, each
# Node.js with its runtime client, Python's, Bun, esbuild, the Rust crates) run side by side, each
# logging to a file; each prints how long it took. Tools that are not Debian packages go under
# $COLDBENCH_TOOLS (default /opt/coldbench/tools for root, where the sandbox user that runs builds
# can reach them, else ~/.cache/coldbench/tools), never into the repository. Prints one line per
# tool with its version at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/tools-dir.sh"
deno_version=${COLDBENCH_DENO_VERSION:-2.9.6}
all_runtimes=go,rust,deno,node,python,bun
minimal=false want=all check=false
while [ $# -gt 0 ]; do
  case "$1" in
    --minimal) minimal=true ;;
    --check) check=true ;;
    --for) want=${2:?--for needs a list of runtimes ($all_runtimes)}; shift ;;
    --for=*) want=${1#--for=} ;;
    *) echo "setup.sh: unknown argument $1: valid are --minimal, --check, --for RUNTIMES ($all_runtimes)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$want" != all ]; then
  bad=()
  for r in ${want//,/ }; do
    case ",$all_runtimes," in *",$r,"*) ;; *) bad+=("$r") ;; esac
  done
  [ ${#bad[@]} -eq 0 ] || { echo "setup.sh: --for ${bad[*]}: valid runtimes are $all_runtimes" >&2; exit 2; }
fi
# needs RUNTIME: whether the chosen runtimes include it (everything without --for: the tests).
needs() { [ "$want" = all ] || case ",$want," in *",$1,"*) true ;; *) false ;; esac; }
everything() { [ "$want" = all ]; }

log() { printf 'setup: %s\n' "$*" >&2; }
# installing WHAT: called before anything is installed; with --check it says what is missing and
# fails the step instead.
installing() { log "$*"; if $check; then exit 1; fi; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
started=$SECONDS

# Go modules: the only thing the pure-Go packages need.
t0=$SECONDS
$check || (cd "$here" && go mod download)
$check || log "go modules: $((SECONDS - t0)) s"

$minimal && exit 0

# arm64 Rust builds: rustup's compiler with its aarch64 std, linked by cargo-lambda's zig. rustup
# adds the target in seconds where it lacks it (a fresh machine's has the x86_64 std only). Only
# where there is no rustup, Debian's cross toolchain: rustc-web with libstd-rust-web-dev:arm64
# (an arm64 dpkg architecture and its package lists: the slowest part of a fresh set-up) and the
# aarch64 GNU linker. The tests use both.
debian_cross=false
if needs rust; then
  aarch64="aarch64-unknown-linux-gnu"
  if everything || ! command -v rustup >/dev/null; then
    debian_cross=true
  fi
  if command -v rustup >/dev/null && ! (cd / && rustup target list --installed 2>/dev/null) | grep -qx "$aarch64"; then
    $check && { log "missing: rustup's $aarch64 std"; exit 1; }
    log "rustup target add $aarch64"
    (cd / && rustup target add "$aarch64") >&2 || debian_cross=true
  fi
fi

# Debian packages: curl (the custom-runtime tutorial bootstrap), make (SAM's makefile build method),
# cmake, autotools and g++ (aws-lambda-ric's native client), pip (Python wheels, cargo-lambda), the
# aarch64 cross toolchain for C and Rust (above), qemu-user for arm64 smoke checks, valgrind
# (--instructions counts init's instructions with its cachegrind), and venv (moto).
apt_for=()
everything && apt_for+=(curl make zip unzip musl-tools shellcheck valgrind qemu-user-static python3-pip python3-venv)
needs node && apt_for+=(make cmake autoconf automake libtool g++)
{ needs python || needs rust; } && apt_for+=(python3-pip)
$debian_cross && apt_for+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross rustc-web cargo-web)
need_apt=()
for p in $(printf '%s\n' "${apt_for[@]}" | sort -u); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if $debian_cross; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $check && { log "missing: dpkg architecture arm64"; exit 1; }
    as_root dpkg --add-architecture arm64
    : # the next apt-get install runs apt-get update first
  fi
  dpkg-query -W -f='${Status}' libstd-rust-web-dev:arm64 2>/dev/null | grep -q "install ok installed" || need_apt+=("libstd-rust-web-dev:arm64")
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  $check && { log "missing: ${need_apt[*]}"; exit 1; }
  t0=$SECONDS
  log "apt-get install ${need_apt[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  log "apt-get: $((SECONDS - t0)) s"
fi
$check || mkdir -p "$tools/bin"

# The rest, side by side: each step in the background with its output in a log, waited for below.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
steps=() pids=()
step() { # step NAME FUNCTION: runs FUNCTION in the background, timed
  local name=$1
  shift
  if $check; then # one at a time, quietly: whether it would install anything
    ( COLDBENCH_SETUP_CHECK=1 "$@" >/dev/null ) || { log "missing: $name"; exit 1; }
    return
  fi
  ( t0=$SECONDS; "$@" >"$logs/$name.log" 2>&1; rc=$?; log "$name: $((SECONDS - t0)) s$([ $rc = 0 ] || echo ", failed (exit $rc)")"; exit $rc ) &
  steps+=("$name") pids+=($!)
}

# Deno from npm (deno's own installer downloads from its servers, which are not reachable everywhere).
# The x64 package runs here; the arm64 one is what goes into arm64 run-packages.
install_deno() {
  if [ ! -x "$tools/deno/node_modules/@deno/linux-x64-glibc/deno" ] && [ ! -x "$tools/deno/node_modules/@deno/linux-arm64-glibc/deno" ]; then
    installing "npm install deno@$deno_version"
    mkdir -p "$tools/deno"
    (cd "$tools/deno" && echo '{"private":true}' > package.json &&
      npm install --no-audit --no-fund --silent "deno@$deno_version" >/dev/null)
  fi
  if [ ! -x "$tools/deno-arm64/deno" ]; then
    installing "npm pack @deno/linux-arm64-glibc@$deno_version"
    mkdir -p "$tools/deno-arm64"
    (cd "$tools/deno-arm64" && npm pack --silent "@deno/linux-arm64-glibc@$deno_version" >/dev/null &&
      tar -xzf deno-linux-arm64-glibc-*.tgz && mv package/deno . && chmod +x deno && rm -rf package ./*.tgz)
  fi
  for d in "$tools/deno/node_modules/@deno/linux-x64-glibc/deno" "$tools/deno/node_modules/@deno/linux-arm64-glibc/deno"; do
    if [ -x "$d" ]; then ln -sf "$d" "$tools/bin/deno"; fi
  done
}

# cargo-lambda (with zig) from PyPI, into the tools dir: arm64 Rust builds that link against an
# old glibc, so they start on every Lambda runtime, as most Rust Lambda projects build them. zig
# is linked beside it so cargo-lambda finds it on PATH without Python.
install_cargo_lambda() {
  local version=${COLDBENCH_CARGO_LAMBDA_VERSION:-1.9.2}
  if [ ! -x "$tools/bin/cargo-lambda" ] && command -v pip3 >/dev/null; then
    installing "pip install cargo-lambda==$version --target $tools/cargo-lambda"
    rm -rf "$tools/cargo-lambda"
    if pip3 install --quiet --disable-pip-version-check --target "$tools/cargo-lambda" "cargo-lambda==$version" >/dev/null 2>&1; then
      ln -sf "$tools/cargo-lambda/bin/cargo-lambda" "$tools/bin/cargo-lambda"
      ln -sf "$tools/cargo-lambda/ziglang/zig" "$tools/bin/zig"
    else
      log "cargo-lambda not installed; arm64 Rust builds use aarch64-linux-gnu-gcc"
    fi
  fi
}

# rustup's toolchain, where the sandbox user that builds can run it. rustup keeps toolchains in
# the installing user's home, and root's is closed to others, so the sandbox's builds fell back to
# Debian's rustc: built without PGO, it took 1.7x the CPU for the Rust reference here (96 s against
# rustup's 58 s, x86_64, `cargo build --release` in an empty target dir). Hard links when the tools
# dir is on the same filesystem (no space; rustup replaces files when it updates, so the links keep
# the old toolchain whole), else a copy. Only the compiler's parts: bin, lib, libexec, not the docs.
dir_reachable() { # whether every directory from / to $1 may be searched by others
  local p=$1
  while [ "$p" != / ]; do
    [ $((8#$(stat -c %a "$p") & 1)) -ne 0 ] || return 1
    p=$(dirname "$p")
  done
}
link_rust_toolchain() {
  command -v rustc >/dev/null || return 0
  local sysroot version
  sysroot=$(cd / && rustc --print sysroot 2>/dev/null) || return 0
  [ -x "$sysroot/bin/cargo" ] && [ "$sysroot" != "$tools/rust" ] || return 0
  # The sandbox runs it where it is when it reaches both it and rustup's proxies (the action's
  # image: /usr/local/rustup, /usr/local/cargo).
  dir_reachable "$sysroot" && dir_reachable "$(dirname "$(command -v cargo)")" && return 0
  version=$(cd / && rustc --version)
  # Up to date: the same compiler with the same targets' std.
  [ "$("$tools/rust/bin/rustc" --version 2>/dev/null)" = "$version" ] &&
    [ "$(ls "$sysroot/lib/rustlib")" = "$(ls "$tools/rust/lib/rustlib" 2>/dev/null)" ] && return 0
  installing "rustup's toolchain ($version) into $tools/rust"
  rm -rf "$tools/rust.new"
  mkdir -p "$tools/rust.new"
  for d in bin lib libexec; do
    [ -d "$sysroot/$d" ] || continue
    cp -al "$sysroot/$d" "$tools/rust.new/" 2>/dev/null || { rm -rf "${tools:?}/rust.new/$d"; cp -a "$sysroot/$d" "$tools/rust.new/"; }
  done
  rm -rf "$tools/rust"
  mv "$tools/rust.new" "$tools/rust"
}

# moto's server (PyPI), in a venv in the tools dir: an independent AWS fake the aws-sdk-go-v2
# tests of mode aws run against (Lambda's control plane and states, logs, S3, STS); never live AWS.
# The tests' alone.
install_moto() {
  local version=${COLDBENCH_MOTO_VERSION:-5.2.5}
  # grep reads all of pip's output (-q would exit at the match, pip then dies of SIGPIPE, and
  # pipefail made every run reinstall moto: 52 s of each test command).
  if [ ! -x "$tools/moto/bin/moto_server" ] || ! "$tools/moto/bin/pip" show moto 2>/dev/null | grep -x "Version: $version" >/dev/null; then
    installing "pip install moto[server]==$version into $tools/moto"
    rm -rf "$tools/moto"
    python3 -m venv "$tools/moto"
    "$tools/moto/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$version" >/dev/null
  fi
}

# Rust crates for the reference handler, fetched once so its own tests (scripts/test.sh, as root)
# can run offline later. The sandbox's builds fetch into a cargo home of their own.
fetch_crates() {
  if ! $check && command -v cargo >/dev/null; then
    (cd "$here/handlers/rust" && cargo fetch -q) || log "cargo fetch failed; Rust builds will fetch on demand"
  fi
}

needs deno && step deno install_deno
needs rust && step cargo-lambda install_cargo_lambda
everything && step crates fetch_crates
needs rust && step rust-toolchain link_rust_toolchain
everything && step moto install_moto
# The managed runtimes (Node.js, Python) with AWS's runtime interface clients, Bun and esbuild:
# one step each (scripts/setup-runtimes.sh ONLY), Node.js 22 for the tests alone (the reference
# runs on nodejs24.x).
# Both Node.js runtimes are one step: they share one build of aws-lambda-ric's native client.
runtime_steps=()
if everything; then runtime_steps+=("nodejs22.x,nodejs24.x"); elif needs node; then runtime_steps+=(nodejs24.x); fi
needs python && runtime_steps+=(python3.11)
needs bun && runtime_steps+=(bun)
{ needs node || needs deno || needs bun; } && runtime_steps+=(esbuild)
needs node && runtime_steps+=(pnpm yarn) # functions whose lock file is pnpm's or Yarn's
for rt in "${runtime_steps[@]}"; do
  step "$rt" env COLDBENCH_RUNTIMES="$rt" "$here/scripts/setup-runtimes.sh"
done
if $check; then exit 0; fi # every step found its tools
failed=()
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    failed+=("${steps[$i]}")
    log "${steps[$i]} failed; its output:"
    tail -20 "$logs/${steps[$i]}.log" >&2
  fi
done
[ ${#failed[@]} -eq 0 ] || { log "failed: ${failed[*]}"; exit 1; }
chmod -R a+rX "$tools" # the sandbox users that build and run handlers read the tools
log "done in $((SECONDS - started)) s"

log "versions:"
go version >&2
command -v cargo >/dev/null && cargo --version >&2
[ -x /usr/bin/cargo ] && needs rust && /usr/bin/rustc --version >&2
needs deno && { "$tools/bin/deno" --version 2>/dev/null | head -1 >&2 || true; }
command -v qemu-aarch64-static >/dev/null && qemu-aarch64-static --version | head -1 >&2
[ -x "$tools/bin/cargo-lambda" ] && needs rust && "$tools/bin/cargo-lambda" lambda --version >&2
[ -x "$tools/moto/bin/moto_server" ] && echo "moto $("$tools/moto/bin/pip" show moto | sed -n 's/^Version: //p')" >&2
needs node && { "$tools/runtimes/nodejs24.x/node/bin/node" --version >&2 || true; }
needs bun && { "$tools/bin/bun" --version >&2 || true; }
needs node && { echo "pnpm $("$tools/bin/pnpm" --version 2>/dev/null), yarn $("$tools/bin/yarn" --version 2>/dev/null)" >&2 || true; }
command -v aarch64-linux-gnu-gcc >/dev/null && needs rust && aarch64-linux-gnu-gcc --version | head -1 >&2
echo "export PATH=\"$tools/bin:\$PATH\"  # add to your shell to use this deno"
