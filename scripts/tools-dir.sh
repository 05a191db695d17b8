# shellcheck shell=bash disable=SC2034
# Sourced by the other scripts: where tools that are not Debian packages live. Root's go to
# /opt/coldbench/tools (as in the action's image), where the sandbox user that runs builds can
# reach them; other users' to ~/.cache/coldbench/tools. $COLDBENCH_TOOLS overrides both.
if [ -n "${COLDBENCH_TOOLS:-}" ]; then
  tools=$COLDBENCH_TOOLS
elif [ "$(id -u)" = 0 ]; then
  tools=/opt/coldbench/tools
else
  tools=$HOME/.cache/coldbench/tools
fi
