# Sourced by the e2e scripts: one place for paths, and everything code-server/Chromium write kept under .e2e/.
# (bash; no side effects besides exports and mkdir)
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
export ROOT E2E_DIR
export R=${MI_E2E_DIR:-$ROOT/.e2e}
# Two clones on one machine must not share an extensions folder or a port: both default from a number derived from
# this clone's state folder. MI_E2E_EXTS and MI_E2E_PORT override them.
CLONE_ID=$(printf %s "$R" | cksum | cut -d' ' -f1)
export CLONE_ID
# Extensions go outside the repository: installed there, the extension cannot resolve a package from the repo's
# node_modules, so one missing from the VSIX fails the tests instead of passing unnoticed.
export MI_E2E_EXTS=${MI_E2E_EXTS:-/tmp/model-inspector-e2e-exts-$(id -u)-$CLONE_ID}
# The port is chosen once per start by start.sh (MI_E2E_PORT, else the first free one from 20000 + CLONE_ID % 10000)
# and recorded in $R/port, which everything else reads (stop, the demo's message, the e2e driver).
e2e_port() { cat "$R/port" 2>/dev/null || { echo "code-server is not running (no $R/port)" >&2; return 1; }; }
mkdir -p "$R"/{tmp,xdg/config,xdg/data,xdg/cache,home,ud/User,ws} "$MI_E2E_EXTS"
export TMPDIR=$R/tmp XDG_CONFIG_HOME=$R/xdg/config XDG_DATA_HOME=$R/xdg/data XDG_CACHE_HOME=$R/xdg/cache
export npm_config_cache=${npm_config_cache:-$R/npm-cache}
CODE_SERVER=$E2E_DIR/node_modules/.bin/code-server
export CODE_SERVER
# Seconds since the epoch with decimals, for the TIMING lines.
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
