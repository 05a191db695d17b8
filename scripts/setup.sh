#!/usr/bin/env bash
# Installs every toolchain coldbench's builds and tests need on a fresh Debian machine, idempotently.
#
#   scripts/setup.sh            # everything: Go modules, Deno, Rust deps, aarch64 cross tools, qemu
#   scripts/setup.sh --minimal  # Go modules only (what the emulator and stats tests need)
#
# Tools that are not Debian packages go under $COLDBENCH_TOOLS (default /opt/coldbench/tools for
# root, where the sandbox user that runs builds can reach them, else ~/.cache/coldbench/tools),
# never into the repository. Prints one line per tool with its version at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/tools-dir.sh"
deno_version=${COLDBENCH_DENO_VERSION:-2.9.6}
minimal=false
[ "${1:-}" = "--minimal" ] && minimal=true

log() { printf 'setup: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Go modules: the only thing the pure-Go packages need.
log "go modules"
(cd "$here" && go mod download)

$minimal && exit 0

# Debian packages: curl (the custom-runtime tutorial bootstrap), make (SAM's makefile build method),
# cmake, autotools and g++ (aws-lambda-ric's native client), pip (Python wheels), the aarch64 cross toolchain for C
# and Rust (rustup here only has the x86_64 std), qemu-user for arm64 smoke checks, and valgrind
# (--instructions counts init's instructions with its cachegrind).
need_apt=()
for p in curl make cmake autoconf automake libtool g++ python3-pip python3-venv zip unzip musl-tools shellcheck valgrind gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static rustc-web cargo-web; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  as_root dpkg --add-architecture arm64
  : # the next apt-get install runs apt-get update first
fi
dpkg-query -W -f='${Status}' libstd-rust-web-dev:arm64 2>/dev/null | grep -q "install ok installed" || need_apt+=("libstd-rust-web-dev:arm64")
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Deno from npm (deno's own installer downloads from its servers, which are not reachable everywhere).
# The x64 package runs here; the arm64 one is what goes into arm64 run-packages.
mkdir -p "$tools"
if [ ! -x "$tools/deno/node_modules/@deno/linux-x64-glibc/deno" ] && [ ! -x "$tools/deno/node_modules/@deno/linux-arm64-glibc/deno" ]; then
  log "npm install deno@$deno_version"
  mkdir -p "$tools/deno"
  (cd "$tools/deno" && echo '{"private":true}' > package.json &&
    npm install --no-audit --no-fund --silent "deno@$deno_version" >/dev/null)
fi
if [ ! -x "$tools/deno-arm64/deno" ]; then
  log "npm pack @deno/linux-arm64-glibc@$deno_version"
  mkdir -p "$tools/deno-arm64"
  (cd "$tools/deno-arm64" && npm pack --silent "@deno/linux-arm64-glibc@$deno_version" >/dev/null &&
    tar -xzf deno-linux-arm64-glibc-*.tgz && mv package/deno . && chmod +x deno && rm -rf package ./*.tgz)
fi
mkdir -p "$tools/bin"
for d in "$tools/deno/node_modules/@deno/linux-x64-glibc/deno" "$tools/deno/node_modules/@deno/linux-arm64-glibc/deno"; do
  [ -x "$d" ] && ln -sf "$d" "$tools/bin/deno"
done

# cargo-lambda (with zig) from PyPI, into the tools dir: arm64 Rust builds that link against an
# old glibc, so they start on every Lambda runtime, as most Rust Lambda projects build them. zig
# is linked beside it so cargo-lambda finds it on PATH without Python.
cargo_lambda_version=${COLDBENCH_CARGO_LAMBDA_VERSION:-1.9.2}
if [ ! -x "$tools/bin/cargo-lambda" ] && command -v pip3 >/dev/null; then
  log "pip install cargo-lambda==$cargo_lambda_version --target $tools/cargo-lambda"
  rm -rf "$tools/cargo-lambda"
  if pip3 install --quiet --disable-pip-version-check --target "$tools/cargo-lambda" "cargo-lambda==$cargo_lambda_version" >/dev/null 2>&1; then
    ln -sf "$tools/cargo-lambda/bin/cargo-lambda" "$tools/bin/cargo-lambda"
    ln -sf "$tools/cargo-lambda/ziglang/zig" "$tools/bin/zig"
  else
    log "cargo-lambda not installed; arm64 Rust builds use aarch64-linux-gnu-gcc"
  fi
fi
# moto's server (PyPI), in a venv in the tools dir: an independent AWS fake the aws-sdk-go-v2
# tests of mode aws run against (Lambda's control plane and states, logs, S3, STS); never live AWS.
moto_version=${COLDBENCH_MOTO_VERSION:-5.2.5}
if [ ! -x "$tools/moto/bin/moto_server" ] || ! "$tools/moto/bin/pip" show moto 2>/dev/null | grep -qx "Version: $moto_version"; then
  log "pip install moto[server]==$moto_version into $tools/moto"
  rm -rf "$tools/moto"
  python3 -m venv "$tools/moto"
  "$tools/moto/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$moto_version" >/dev/null
fi
chmod -R a+rX "$tools"

# The managed runtimes (Node.js, Python) with AWS's runtime interface clients, Bun and esbuild.
"$here/scripts/setup-runtimes.sh"

# Rust crates for the reference handler, fetched once so builds can run offline later.
if command -v cargo >/dev/null; then
  log "cargo fetch (handlers/rust)"
  (cd "$here/handlers/rust" && cargo fetch -q) || log "cargo fetch failed; Rust builds will fetch on demand"
fi

log "versions:"
go version >&2
command -v cargo >/dev/null && cargo --version >&2
[ -x /usr/bin/cargo ] && /usr/bin/rustc --version >&2
"$tools/bin/deno" --version 2>/dev/null | head -1 >&2 || true
command -v qemu-aarch64-static >/dev/null && qemu-aarch64-static --version | head -1 >&2
[ -x "$tools/bin/cargo-lambda" ] && "$tools/bin/cargo-lambda" lambda --version >&2
[ -x "$tools/moto/bin/moto_server" ] && echo "moto $("$tools/moto/bin/pip" show moto | sed -n 's/^Version: //p')" >&2
"$tools/runtimes/nodejs24.x/node/bin/node" --version >&2 || true
"$tools/bin/bun" --version >&2 || true
command -v aarch64-linux-gnu-gcc >/dev/null && aarch64-linux-gnu-gcc --version | head -1 >&2
echo "export PATH=\"$tools/bin:\$PATH\"  # add to your shell to use this deno"
