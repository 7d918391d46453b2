# Sourced by the e2e scripts: one place for paths, and everything code-server/Chromium write kept under .e2e/.
# (bash; no side effects besides exports and mkdir)
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
export ROOT E2E_DIR
export R=${MI_E2E_DIR:-$ROOT/.e2e}
export MI_E2E_PORT=${MI_E2E_PORT:-8080}
# Extensions go outside the repository: installed there, the extension cannot resolve a package from the repo's
# node_modules, so one missing from the VSIX fails the tests instead of passing unnoticed.
export MI_E2E_EXTS=${MI_E2E_EXTS:-/tmp/model-inspector-e2e-exts-$(id -u)}
mkdir -p "$R"/{tmp,xdg/config,xdg/data,xdg/cache,home,ud/User,ws} "$MI_E2E_EXTS"
export TMPDIR=$R/tmp XDG_CONFIG_HOME=$R/xdg/config XDG_DATA_HOME=$R/xdg/data XDG_CACHE_HOME=$R/xdg/cache
export npm_config_cache=${npm_config_cache:-$R/npm-cache}
CODE_SERVER=$E2E_DIR/node_modules/.bin/code-server
export CODE_SERVER
# Seconds since the epoch with decimals, for the TIMING lines.
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
