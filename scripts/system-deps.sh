#!/usr/bin/env bash
# Installs the Debian packages the project uses, if missing: Fashion-MNIST (dataset-fashion-mnist)
# and Chromium (chromium; the explorer's end-to-end tests drive it headless through playwright-core).
# Needs root (CI runs as root); without it, says what to install and goes on (tests that need a
# missing package skip with a message).
set -euo pipefail
need=()
for pkg in dataset-fashion-mnist chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing Debian packages: ${need[*]} (run as root: apt-get install ${need[*]})" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
