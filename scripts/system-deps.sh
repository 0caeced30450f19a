#!/usr/bin/env bash
# Installs the Debian packages the project uses, if missing: Fashion-MNIST (dataset-fashion-mnist),
# Chromium (chromium; the explorer's end-to-end tests drive it headless through playwright-core)
# OpenBLAS and oneDNN (libopenblas-dev, libdnnl-dev; `npm ci` then builds the native engine, see native/build.mjs;
# without it training runs on the slower wasm path).
# Not installed here (large): PyTorch for the peer benchmark `npm run bench -- --peer`
# (apt-get install python3-torch libopenblas0-pthread).
# Needs root (CI runs as root); without it, says what to install and goes on (tests that need a
# missing package skip with a message; in CI, CI=true, the native tests fail instead).
# `--native`: only what the native engine needs (OpenBLAS, a C compiler, make); `npm ci` runs this
# through native/build.mjs when OpenBLAS is missing, so the README's main command gets the fast path.
set -euo pipefail
pkgs=(dataset-fashion-mnist chromium libopenblas-dev libdnnl-dev gcc make libc6-dev)
why="the native engine (OpenBLAS, oneDNN for convolutions, a C compiler) trains and evaluates several times faster than tfjs-wasm; Fashion-MNIST and Chromium are for --dataset fashion-mnist and the end-to-end tests"
if [ "${1:-}" = "--native" ]; then
  pkgs=(libopenblas-dev libdnnl-dev gcc make libc6-dev)
  why="the native engine (OpenBLAS, oneDNN for convolutions, a C compiler) trains and evaluates several times faster than tfjs-wasm"
fi
need=()
for pkg in "${pkgs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing Debian packages: ${need[*]}; as root: apt-get install ${need[*]} ($why)" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
