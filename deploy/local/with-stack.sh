#!/usr/bin/env bash
# Run a command with the local stack up; stop afterwards only what this script started.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stack=$here/stack.sh

started=()
for name in kafka ferretdb; do
  "$stack" status | grep -q "$name running" || started+=("$name")
done
"$stack" start || exit 1
"$@"
status=$?
if ((${#started[@]})); then "$stack" stop "${started[@]}"; fi
exit $status
