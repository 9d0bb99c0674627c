#!/usr/bin/env bash
# One llama.cpp parity case (see llamacpp_parity.mjs): checks that Node.js and node-llama-cpp are
# there, failing with what to install when they are not, then runs the comparison.
#
#   llamacpp_parity.sh DEPS_DIR CASE MODEL_DIR MAKE_GGUF LOGITS WORK_DIR [MAKE_MODEL -- flags...]
# With MAKE_MODEL, MODEL_DIR is first written by `MAKE_MODEL --out MODEL_DIR flags...`.
set -euo pipefail
deps="$1" case_name="$2" model="$3" make_gguf="$4" logits="$5" work="$6"
shift 6
if ! command -v node >/dev/null 2>&1; then
  echo "FAILED: the llama.cpp parity test needs Node.js >= 20 (node) and npm: install them, then run" \
       "'bash tools/deps-llamacpp.sh $deps' (tools/test.sh does this)" >&2
  exit 1
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "FAILED: Node.js $(node --version) is too old for node-llama-cpp 3: install Node.js >= 20" >&2
  exit 1
fi
if [ ! -f "$deps/node_modules/node-llama-cpp/package.json" ] || [ ! -d "$deps/node_modules/@node-llama-cpp/linux-x64" ]; then
  echo "FAILED: node-llama-cpp is not installed in $deps: run 'bash tools/deps-llamacpp.sh $deps'" \
       "(tools/test.sh does this before the tests)" >&2
  exit 1
fi
if [ $# -gt 0 ]; then
  make_model="$1"
  shift
  [ "${1:-}" = "--" ] && shift
  rm -rf "$model"
  "$make_model" --out "$model" "$@" >/dev/null
fi
here="$(cd "$(dirname "$0")" && pwd)"
exec node "$here/llamacpp_parity.mjs" --deps "$deps" --case "$case_name" --model "$model" \
  --make-gguf "$make_gguf" --logits "$logits" --work "$work"
