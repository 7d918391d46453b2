#!/usr/bin/env bash
# Installs code-server (pinned by test/e2e/package-lock.json) into test/e2e/node_modules. Idempotent: skips when the
# installed code-server already matches the lockfile. Needs (apt): libkrb5-dev ripgrep, plus gcc/g++/make/python3.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
want=$(node -p "require('$E2E_DIR/package-lock.json').packages['node_modules/code-server'].version")
have=$(node -p "try { require('$E2E_DIR/node_modules/code-server/package.json').version } catch { '' }" 2>/dev/null || true)
if [[ "$have" == "$want" && -x "$E2E_DIR/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]]; then
  echo "code-server $have already installed"; exit 0
fi
t0=$(now)
# @vscode/ripgrep's postinstall downloads rg from GitHub (no internet here): pre-fill its download cache with
# Debian's rg under the file name it looks for (ripgrep 13.0.0-10 for @vscode/ripgrep 1.15.x).
# The version is pinned by code-server 4.100.3's npm-shrinkwrap (lib/vscode), which exists only after the install.
rgver=1.15.11
mkdir -p "$TMPDIR/vscode-ripgrep-cache-$rgver"
tar czf "$TMPDIR/vscode-ripgrep-cache-$rgver/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg
# Native modules build against Debian's Node headers (nodedir) rather than downloading them; code-server's postinstall
# insists on unsafe-perm as root; node-pty's postinstall runs `npx node-gyp` (yes); npm 11 blocks dependency install
# scripts when strict-allow-scripts is on, and code-server's postinstall runs nested `npm install`s that need them.
cd "$E2E_DIR"
if ! env npm_config_unsafe_perm=true npm_config_nodedir=/usr npm_config_yes=true \
    npm_config_dangerously_allow_all_scripts=true \
    npm ci --no-audit --no-fund > "$R/code-server-install.log" 2>&1; then
  tail -40 "$R/code-server-install.log"; echo "code-server install failed (log: $R/code-server-install.log)"; exit 1
fi
echo "TIMING install code-server $want: $(since "$t0")s"
