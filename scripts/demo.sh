#!/usr/bin/env bash
# One command from a fresh machine to a running VS Code (code-server) with Model Inspector installed from its VSIX
# and the example models open. Installs system packages with apt when run as root (else says what is missing).
# Env: MI_E2E_PORT (default: a free port picked for this clone), MI_E2E_EXTS (default: a folder for this clone).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
bash scripts/ensure-deps.sh
echo "== npm run package"; npm run --silent package >/dev/null
vsix=dist-vsix/model-inspector-linux-x64.vsix
echo "VSIX: $vsix ($(du -h "$vsix" | cut -f1))"
source test/e2e/scripts/env.sh
bash test/e2e/scripts/stop.sh >/dev/null 2>&1 || true
bash test/e2e/scripts/install-vsix.sh "$vsix"
# A workspace with the committed examples (and a conformance model when Debian's libonnx-testdata is installed).
ws=$R/ws/demo
rm -rf "$ws" && mkdir -p "$ws"
cp -r examples/tiny-cnn.onnx examples/tiny-mlp-tfjs examples/shapes "$ws/"
conv=/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx
[[ -f $conv ]] && cp "$conv" "$ws/conv2d.onnx"
[[ -f $R/ud/User/settings.json ]] || { mkdir -p "$R/ud/User"; cp test/e2e/settings.json "$R/ud/User/settings.json"; }
bash test/e2e/scripts/start.sh "$ws"
port=$(e2e_port)
mkdir -p test-artifacts/demo
node --import tsx test/e2e/demo-shot.ts "$ws" test-artifacts/demo/overview.png
cat <<MSG

Model Inspector is running in VS Code (code-server) after $(( $(date +%s) - t0 ))s.
  Open:        http://127.0.0.1:$port/?folder=$ws
               (remote machine: ssh -L $port:127.0.0.1:$port <host>, then open the same URL locally)
  Try:         click tiny-cnn.onnx or shapes/model.onnx (Explain tab: example inputs beside it); right-click tiny-mlp-tfjs/model.json → Inspect Model
  Screenshot:  test-artifacts/demo/overview.png
  Logs:        $R/code-server.log and $R/ud/logs/ (extension: exthost*/model-inspector.model-inspector/)
  Stop:        bash test/e2e/scripts/stop.sh
MSG
