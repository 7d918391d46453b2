#!/usr/bin/env bash
# Installs a VSIX into the e2e code-server's extensions dir the way a user would (--install-extension).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
vsix=${1:?usage: install-vsix.sh <file.vsix>}
t0=$(now)
# A config file of its own: without one, code-server writes (and announces) a default config on its first run.
[[ -f $R/install-config.yaml ]] || printf 'auth: none\n' > "$R/install-config.yaml"
"$CODE_SERVER" --config "$R/install-config.yaml" --user-data-dir "$R/ud" --extensions-dir "$MI_E2E_EXTS" --install-extension "$vsix" --force 2>&1 | tail -3
echo "TIMING install VSIX: $(since "$t0")s"
