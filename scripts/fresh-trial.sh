#!/usr/bin/env bash
# The main job as a newcomer's first run, on this machine: `scripts/run.sh` with nothing of
# coldbench's installed or cached — a fresh tools dir, empty Go, cargo, npm and pip caches, and an
# empty coldbench cache (a tmpfs over /var/cache/coldbench in a mount namespace of its own, so the
# machine's own caches are neither read nor touched). Prints when the first table and the full
# one came. Debian's packages stay as they are (they cannot be uninstalled for a trial): on a
# machine without them, add the apt-get step that setup.sh prints.
#
#   sudo scripts/fresh-trial.sh [run.sh arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "fresh-trial.sh: run it as root (a mount namespace, the sandbox's users)" >&2; exit 2; }
trial=$(mktemp -d /tmp/coldbench-fresh-XXXXXX)
chmod 755 "$trial"
trap 'rm -rf "$trial"' EXIT
mkdir -p "$trial/out"
echo "fresh-trial: everything in $trial (removed at the end)" >&2
start=$EPOCHREALTIME
since() { awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# run.sh's stderr, with the seconds since the start before each line.
rc=0
# shellcheck disable=SC2016 # expanded by the inner shell
unshare -m bash -c '
  set -euo pipefail
  mkdir -p /var/cache/coldbench && mount -t tmpfs -o mode=755 coldbench-fresh /var/cache/coldbench
  # A fresh machine'"'"'s rustup has the x86_64 std only: the trial'"'"'s rustup home is a copy of this
  # one'"'"'s (hard links, but copies of the small files rustup rewrites) without the aarch64 std
  # someone added here, which setup.sh then adds again, as on a fresh machine.
  home=${RUSTUP_HOME:-$HOME/.rustup}
  if [ -d "$home" ]; then
    cp -al "$home" "$1/rustup"
    for f in "$1"/rustup/settings.toml "$1"/rustup/update-hashes/* "$1"/rustup/toolchains/*/lib/rustlib/*; do
      if [ -f "$f" ] && [ ! -L "$f" ]; then cp -p "$f" "$f.copy" && mv "$f.copy" "$f"; fi
    done
    export RUSTUP_HOME="$1/rustup"
    (cd / && rustup target remove aarch64-unknown-linux-gnu >/dev/null 2>&1) || true
  fi
  export COLDBENCH_TOOLS="$1/tools" GOCACHE="$1/gocache" GOMODCACHE="$1/gomodcache" CARGO_HOME="$1/cargo" \
    npm_config_cache="$1/npm" PIP_CACHE_DIR="$1/pip"
  shift
  exec scripts/run.sh "$@"
' fresh-trial "$trial" "$@" > "$trial/out/stdout" 2> >(while IFS= read -r line; do
  printf '%7ss %s\n' "$(since)" "$line"
done | tee "$trial/out/stderr" >&2) || rc=$?
wait
cat "$trial/out/stdout"
first=$(grep -m1 -E 'Cold starts of the reference|a first table \(' "$trial/out/stderr" | awk '{print $1}' || true)
printf 'fresh-trial: first table at %s, full table at %ss (exit %d)\n' "${first:-never}" "$(since)" "$rc" >&2
exit "$rc"
