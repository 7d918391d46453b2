#!/usr/bin/env bash
# Starts code-server in its own process group (setsid) serving FOLDER (default .e2e/ws) on 127.0.0.1 at a free port
# (recorded in .e2e/port), waits until /healthz answers, and writes the group id to .e2e/cs.pid (stop.sh kills the
# whole group).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
folder=${1:-$R/ws}
if [[ -f $R/cs.pid ]] && kill -0 "$(cat "$R/cs.pid")" 2>/dev/null; then
  echo "code-server already running (group $(cat "$R/cs.pid")); run stop.sh first" >&2; exit 1
fi
# A free port (MI_E2E_PORT if given, else this clone's own; see pick-port.mjs), recorded for the other scripts.
port=$(node "$E2E_DIR/scripts/pick-port.mjs" "$CLONE_ID")
echo "$port" > "$R/port"
MI_E2E_PORT=$port
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$MI_E2E_PORT" > "$R/cs-config.yaml"
[[ -f $R/ud/User/settings.json ]] || cp "$E2E_DIR/settings.json" "$R/ud/User/settings.json"
t0=$(now)
setsid "$CODE_SERVER" --config "$R/cs-config.yaml" --user-data-dir "$R/ud" --extensions-dir "$MI_E2E_EXTS" \
  --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  --ignore-last-opened "$folder" > "$R/code-server.log" 2>&1 < /dev/null &
echo $! > "$R/cs.pid"
for _ in $(seq 1 300); do
  if curl -sf -o /dev/null "http://127.0.0.1:$MI_E2E_PORT/healthz"; then
    echo "TIMING code-server ready: $(since "$t0")s (group $(cat "$R/cs.pid"), http://127.0.0.1:$MI_E2E_PORT, log $R/code-server.log)"
    exit 0
  fi
  if ! kill -0 "$(cat "$R/cs.pid")" 2>/dev/null; then break; fi
  sleep 0.1
done
tail -20 "$R/code-server.log" >&2; echo "code-server did not become ready on port $MI_E2E_PORT" >&2
"$E2E_DIR/scripts/stop.sh" >/dev/null 2>&1 || true
exit 1
