#!/usr/bin/env bash
# Installs llama.cpp for the parity tests (tests/parity): the npm packages pinned in
# tests/parity/package-lock.json (node-llama-cpp and its prebuilt Linux x64 CPU backend) into
# DIR/node_modules, default build/llamacpp. Needs Node.js >= 20 and npm (Debian 12's own nodejs
# is 18: install Node.js 20 or later, e.g. the NodeSource package). Runs nothing from the packages
# (--ignore-scripts: node-llama-cpp's install script would download or build llama.cpp) and skips
# the GPU backends (--omit=optional). Does nothing when DIR already holds this lockfile's install.
#
#   bash tools/deps-llamacpp.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build/llamacpp}"
lock="tests/parity/package-lock.json"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "deps-llamacpp: node and npm not found: install Node.js >= 20 with npm to run the llama.cpp parity tests" >&2
  exit 1
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  echo "deps-llamacpp: Node.js $(node --version) is too old: node-llama-cpp 3 needs Node.js >= 20" >&2
  exit 1
fi
stamp="$dir/installed-lock.sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dir/node_modules/@node-llama-cpp/linux-x64" ]; then
  echo "deps-llamacpp: node-llama-cpp already installed in $dir"
  exit 0
fi
mkdir -p "$dir"
cp tests/parity/package.json "$lock" "$dir/"
echo "deps-llamacpp: installing node-llama-cpp (prebuilt CPU backend) into $dir"
# `npm install` over the copied lockfile, not `npm ci`: the lockfile npm writes leaves out the
# other platforms' optional backends, which `npm ci` then reports as out of sync.
(cd "$dir" && npm install --ignore-scripts --omit=optional --no-audit --no-fund --loglevel=error)
echo "$want" > "$stamp"
