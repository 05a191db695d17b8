#!/usr/bin/env bash
# Renders an HTML report with headless Chromium (Debian's `chromium`) into a PNG, to check the page
# in a real browser and for the README's screenshot.
#   scripts/screenshot.sh [report.html] [out.png] [width]
# Without a report it renders pkg/report/testdata/dependency.html (the golden page of a head that
# brings in aws-sdk-go-v2) into docs/report.png, the README's screenshot, the page's top 1,560 px.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 0 ] && export COLDBENCH_SCREENSHOT_MAX_HEIGHT=${COLDBENCH_SCREENSHOT_MAX_HEIGHT:-1560}
in=${1:-pkg/report/testdata/dependency.html}
out=${2:-docs/report.png}
width=${3:-1040}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "screenshot.sh: no chromium on PATH: apt-get install chromium" >&2
  exit 2
fi
[ -f "$in" ] || { echo "screenshot.sh: $in: no such report" >&2; exit 2; }
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$in" "$tmp/report.html"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile")
# Chromium's --screenshot takes the window: measure the page's height at this width first (a copy
# of the page that writes its height into the DOM, which --dump-dom prints after load).
{ cat "$in"; echo '<script>document.body.setAttribute("data-height", document.documentElement.scrollHeight)</script>'; } > "$tmp/measure.html"
height=$("$browser" "${flags[@]}" --window-size="$width,1000" --dump-dom "file://$tmp/measure.html" 2>/dev/null |
  sed -n 's/.*data-height="\([0-9]*\)".*/\1/p' | head -1)
height=${height:-2400}
# COLDBENCH_SCREENSHOT_MAX_HEIGHT keeps the top of a long page (the README's screenshot).
[ -n "${COLDBENCH_SCREENSHOT_MAX_HEIGHT:-}" ] && [ "$height" -gt "$COLDBENCH_SCREENSHOT_MAX_HEIGHT" ] && height=$COLDBENCH_SCREENSHOT_MAX_HEIGHT
"$browser" "${flags[@]}" --window-size="$width,$height" --screenshot="$out" "file://$tmp/report.html" >/dev/null 2>&1
echo "$out: ${width}x$height, $(wc -c <"$out") bytes"
