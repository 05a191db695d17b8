#!/bin/bash
# An external extension in bash (the demo's extension1.sh shape): it initializes (here: loads a
# configuration, 100 ms), registers under its file name for INVOKE and SHUTDOWN, then long-polls
# /extension/event/next until SHUTDOWN.
set -euo pipefail
NAME="$(basename "$0")" # the extension name has to match the file name
API="http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension"
sleep 0.1
HEADERS="$(mktemp)"
curl -sS -LD "$HEADERS" -XPOST "$API/register" -H "Lambda-Extension-Name: $NAME" -d '{"events":["INVOKE","SHUTDOWN"]}' >/dev/null
ID=$(grep -Fi Lambda-Extension-Identifier "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
rm -f "$HEADERS"
while true; do
  EVENT=$(curl -sS "$API/event/next" -H "Lambda-Extension-Identifier: $ID")
  echo "[$NAME] $EVENT"
  case "$EVENT" in *SHUTDOWN*) exit 0 ;; esac
done
