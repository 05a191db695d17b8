#!/usr/bin/env bash
# The managed runtimes coldbench emulates, into the tools dir (run by setup.sh; idempotent):
#   runtimes/nodejs22.x, nodejs24.x
#                        Node.js from the npm registry's per-platform package, with AWS's Node.js
#                        runtime interface client (aws-lambda-ric, its native client compiled
#                        here against that Node's own headers), and a bootstrap like Lambda's
#   runtimes/python3.11  AWS's Python runtime interface client (awslambdaric) for this machine's
#                        CPython 3.11 (Debian's: Lambda's python3.11), and a bootstrap
#   bun/                 Bun for both arches (bun build --compile of Bun handlers)
#   esbuild/             esbuild (bundles TypeScript Node.js handlers, as SAM and CDK do)
#   pnpm/, yarn/         pnpm and Yarn classic (v1), JavaScript run by Node.js: the installs of
#                        functions whose lock file is pnpm-lock.yaml or yarn.lock
# Each runtime is for this machine's arch: it is what times the handler here. The arm64 package a
# function ships holds its code alone, as on Lambda, where the runtime is Lambda's.
# COLDBENCH_RUNTIMES (nodejs22.x,nodejs24.x,python3.11,bun,esbuild,pnpm,yarn; all when unset) installs only
# those: setup.sh runs one of these at a time, side by side.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/tools-dir.sh"
log() { printf 'setup: %s\n' "$*" >&2; }
# installing WHAT: called before anything is installed; with COLDBENCH_SETUP_CHECK set (setup.sh
# --check) it says what is missing and exits 1 instead.
installing() { log "$*"; [ -z "${COLDBENCH_SETUP_CHECK:-}" ] || exit 1; }
only=${COLDBENCH_RUNTIMES:-all}
# wanted NAME: whether COLDBENCH_RUNTIMES asks for NAME.
wanted() { [ "$only" = all ] || case ",$only," in *",$1,"*) true ;; *) false ;; esac; }

node_versions=${COLDBENCH_NODE_VERSIONS:-"22.23.5 24.22.3"}
ric_version=${COLDBENCH_NODE_RIC_VERSION:-4.0.2}
pyric_version=${COLDBENCH_PYTHON_RIC_VERSION:-4.2.2}
bun_version=${COLDBENCH_BUN_VERSION:-1.4.4}
esbuild_version=${COLDBENCH_ESBUILD_VERSION:-0.28.2}
pnpm_version=${COLDBENCH_PNPM_VERSION:-10.34.9}
yarn_version=${COLDBENCH_YARN_VERSION:-1.22.22}
case "$(uname -m)" in
  x86_64) npm_arch=x64 bun_arch=x64 ;;
  aarch64|arm64) npm_arch=arm64 bun_arch=aarch64 ;;
  *) log "no managed runtimes for $(uname -m)"; exit 0 ;;
esac

# npm_unpack PKG@VERSION DIR: the package's files in DIR (no install scripts run).
npm_unpack() {
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$1" >/dev/null && tar -xzf ./*.tgz)
  rm -rf "$2" && mkdir -p "$(dirname "$2")" && mv "$tmp/package" "$2"
  rm -rf "$tmp"
}

# Node.js: the binary and headers for each of Lambda's Node.js runtimes the registry has, then
# AWS's runtime interface client. Its native client is a Node-API addon (node-addon-api): one
# build, against the first Node.js asked for, loads in every Node.js since Node-API 8, so the
# other runtimes copy it rather than compile curl and aws-lambda-cpp again (about 40 s of CPU).
ric_built=
for node_version in $node_versions; do
major=${node_version%%.*}
node_rt="$tools/runtimes/nodejs$major.x"
wanted "nodejs$major.x" || continue
if [ "$(cat "$node_rt/.version" 2>/dev/null)" = "$node_version $ric_version" ]; then
  ric_built=${ric_built:-$node_rt/ric}
  continue
fi
installing "Node.js $node_version (npm node-linux-$npm_arch) + aws-lambda-ric $ric_version"
rm -rf "$node_rt"
npm_unpack "node-linux-$npm_arch@$node_version" "$node_rt/node"
chmod +x "$node_rt/node/bin/node"
if [ -n "$ric_built" ]; then
  cp -a "$ric_built" "$node_rt/ric"
else
  mkdir -p "$node_rt/ric"
  echo '{"private":true}' > "$node_rt/ric/package.json"
  # aws-lambda-ric's install scripts build curl and aws-lambda-cpp from the sources it ships and
  # its native client with node-gyp, against this Node's headers (no download from nodejs.org).
  (cd "$node_rt/ric" && PATH="$node_rt/node/bin:$PATH" npm_config_nodedir="$node_rt/node" \
    npm install --no-audit --no-fund --silent "aws-lambda-ric@$ric_version" >/dev/null 2>"$node_rt/ric/install.log") ||
    { log "aws-lambda-ric did not build (needs cmake, autoconf, automake, libtool, g++): $(tail -5 "$node_rt/ric/install.log")"; exit 1; }
fi
# The addon must load in this Node.js (a Node-API it lacks would fail here, not in a sample); it
# reads the Runtime API's address as it loads (nothing is dialled).
AWS_LAMBDA_RUNTIME_API=127.0.0.1:9 "$node_rt/node/bin/node" -e 'require(process.argv[1])' "$node_rt/ric/node_modules/aws-lambda-ric/rapid-client.node" ||
  { log "aws-lambda-ric's native client does not load in Node.js $node_version"; exit 1; }
ric_built=${ric_built:-$node_rt/ric}
sed "s/@MAJOR@/$major/g" > "$node_rt/bootstrap" <<'SH'
#!/bin/sh
# coldbench's nodejs@MAJOR@.x runtime, as Lambda's /var/runtime/bootstrap starts it: Node with its
# heap sized from the function's memory, AWS's runtime interface client loading $_HANDLER.
here=$(dirname "$0")
mem=${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-128}
semi=$(( mem <= 512 ? 1 : (mem <= 2048 ? 8 : 16) ))
old=$(( mem * 9 / 10 - semi * 3 ))
export NODE_PATH="/opt/nodejs/node@MAJOR@/node_modules:/opt/nodejs/node_modules:$here/ric/node_modules:$LAMBDA_TASK_ROOT"
exec "$here/node/bin/node" --expose-gc --max-http-header-size 81920 \
  --max-semi-space-size=$semi --max-old-space-size=$old \
  "$here/ric/node_modules/aws-lambda-ric/index.mjs" "$_HANDLER"
SH
chmod +x "$node_rt/bootstrap"
echo "$node_version $ric_version" > "$node_rt/.version"
done

# Python: awslambdaric's wheel for this machine's CPython 3.11.
py_rt="$tools/runtimes/python3.11"
if wanted python3.11 && [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' &&
  [ "$(cat "$py_rt/.version" 2>/dev/null)" != "$pyric_version" ]; then
  installing "awslambdaric $pyric_version for $(/usr/bin/python3 --version)"
  rm -rf "$py_rt" && mkdir -p "$py_rt"
  /usr/bin/python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --break-system-packages \
    --only-binary=:all: --target "$py_rt/site-packages" "awslambdaric==$pyric_version" >/dev/null
  # Compiled ahead, as Lambda's /var/runtime is: the sandbox user cannot write __pycache__ there.
  /usr/bin/python3 -m compileall -q "$py_rt/site-packages" >/dev/null
  cat > "$py_rt/bootstrap" <<'SH'
#!/bin/sh
# coldbench's python3.11 runtime, as Lambda's starts it: the function's code first on the path,
# then the runtime's own packages; AWS's runtime interface client loading $_HANDLER.
here=$(dirname "$0")
export PYTHONPATH="$LAMBDA_TASK_ROOT:/opt/python/lib/python3.11/site-packages:/opt/python:$here/site-packages"
exec /usr/bin/python3 -m awslambdaric "$_HANDLER"
SH
  chmod +x "$py_rt/bootstrap"
  echo "$pyric_version" > "$py_rt/.version"
fi

# Bun for both arches: the host's runs `bun build`; each arch's is the base of its executables.
if wanted bun; then
  for a in x64 aarch64; do
    if [ "$(cat "$tools/bun/$a/.version" 2>/dev/null)" != "$bun_version" ]; then
      installing "Bun $bun_version ($a)"
      npm_unpack "@oven/bun-linux-$a@$bun_version" "$tools/bun/$a"
      chmod +x "$tools/bun/$a/bin/bun"
      echo "$bun_version" > "$tools/bun/$a/.version"
    fi
  done
  mkdir -p "$tools/bin"
  ln -sf "$tools/bun/$bun_arch/bin/bun" "$tools/bin/bun"
fi

# esbuild for this machine.
if wanted esbuild; then
  if [ "$(cat "$tools/esbuild/.version" 2>/dev/null)" != "$esbuild_version" ]; then
    installing "esbuild $esbuild_version"
    npm_unpack "@esbuild/linux-$npm_arch@$esbuild_version" "$tools/esbuild"
    chmod +x "$tools/esbuild/bin/esbuild"
    echo "$esbuild_version" > "$tools/esbuild/.version"
  fi
  ln -sf "$tools/esbuild/bin/esbuild" "$tools/bin/esbuild"
fi
# pnpm and Yarn classic: each npm package's files as they are (their bin scripts run on Node.js).
for spec in "pnpm $pnpm_version bin/pnpm.cjs" "yarn $yarn_version bin/yarn.js"; do
  read -r pm version bin <<<"$spec"
  wanted "$pm" || continue
  if [ "$(cat "$tools/$pm/.version" 2>/dev/null)" != "$version" ]; then
    installing "$pm $version"
    npm_unpack "$pm@$version" "$tools/$pm"
    echo "$version" > "$tools/$pm/.version"
  fi
  mkdir -p "$tools/bin"
  chmod +x "$tools/$pm/$bin"
  ln -sf "$tools/$pm/$bin" "$tools/bin/$pm"
done
# Readable by the sandbox users that build and run handlers (setup.sh does it again once every
# step is done: steps beside this one may still be writing).
for d in "$tools/runtimes" "$tools/bun" "$tools/esbuild" "$tools/pnpm" "$tools/yarn"; do
  if [ -d "$d" ]; then chmod -R a+rX "$d" 2>/dev/null || true; fi
done
