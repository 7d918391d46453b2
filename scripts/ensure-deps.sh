#!/usr/bin/env bash
# Makes a fresh machine ready to build and test: Debian packages, the root npm install, code-server for the e2e tests.
# Idempotent and quick when everything is there, so `npm run demo`, `npm test` and `.ci/run` all start with it.
set -euo pipefail
cd "$(dirname "$0")/.."
# chromium: browser + e2e tests (driven by playwright-core, no browser download); libkrb5-dev, g++, make, python3:
# code-server's native modules compile against Node's headers; ripgrep: seeds @vscode/ripgrep (no GitHub download);
# libonnx-testdata: the ONNX conformance models the tests use; python3-numpy: the array tests check files NumPy writes
# (skipped without it); python3-torch, python3-onnx, python3-h5py: the tests build and train small models (language
# models, transformers, Keras files) with Debian's /usr/bin/python3 (not a pyenv python3 on PATH); curl: waits for code-server's /healthz.
pkgs=(chromium libkrb5-dev ripgrep libonnx-testdata g++ make python3 python3-numpy python3-torch python3-onnx python3-h5py curl ca-certificates)
need=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if (( ${#need[@]} )); then
  if [[ $(id -u) != 0 ]]; then echo "missing system packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2; exit 1; fi
  echo "== apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Another apt (unattended-upgrades after boot, say) may hold the locks: wait for it, saying so, rather than fail.
  source scripts/apt-lock.sh
  wait_for_apt_locks || exit 1
  # If one takes the lock between our check and apt's start, apt waits for it too (same limit).
  lockwait=(-o "DPkg::Lock::Timeout=${MI_APT_LOCK_WAIT:-600}")
  apt-get "${lockwait[@]}" update -qq
  apt-get "${lockwait[@]}" install -y -qq --no-install-recommends "${need[@]}" > /tmp/mi-apt.log 2>&1 || { tail -30 /tmp/mi-apt.log; exit 1; }
fi
[[ -f /usr/include/node/node.h ]] || { echo "Node headers missing in /usr/include/node (install Node 20 with its headers)" >&2; exit 1; }
# onnxruntime-node's install script would download CUDA pieces; the CPU and WebGPU binaries are in its npm tarball.
if [[ ! -d node_modules/onnxruntime-node || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "== npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
bash test/e2e/scripts/setup.sh
