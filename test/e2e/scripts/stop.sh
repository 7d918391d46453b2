#!/usr/bin/env bash
# Stops the code-server process group started by start.sh: TERM to the group, then KILL whatever is left after 5 s.
# Killing only the wrapper would leave the server and extension-host children running.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
[[ -f $R/cs.pid ]] || { rm -f "$R/port"; echo "code-server not running (no $R/cs.pid)"; exit 0; }
pg=$(cat "$R/cs.pid")
kill -TERM -- "-$pg" 2>/dev/null
for _ in $(seq 1 50); do
  [[ -z $(ps -o pid= -g "$pg") ]] && break
  sleep 0.1
done
left=$(ps -o pid= -g "$pg" | tr -s ' \n' ' ')
[[ -n ${left// /} ]] && kill -KILL -- "-$pg" 2>/dev/null
rm -f "$R/cs.pid" "$R/port"
echo "stopped code-server group $pg${left:+ (killed leftovers:$left)}"
