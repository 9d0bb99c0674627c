#!/usr/bin/env bash
# Our forward against llama.cpp's on the same weights, alternating (bench_vs_llamacpp.mjs explains
# what is measured). Run by hand on a quiet machine, from the repository root, after a build with
# benchmarks on (the default) and tools/deps-llamacpp.sh:
#
#   bash bench/bench_vs_llamacpp.sh [BUILD_DIR] [--shapes bundled,0.5b,1b] [--dtypes f32,bf16] [--rounds 3]
#                                   [--threads N] [--prompt 64] [--steps 16] [--width 8]
# Models (~15 GB for the 1B shape in f32 and bf16, both formats) are written once under
# BUILD_DIR/bench-models and reused; results also go to BUILD_DIR/bench-models/results.json.
set -euo pipefail
build="${1:-build}"
[ $# -gt 0 ] && shift
here="$(cd "$(dirname "$0")" && pwd)"
for tool in bench/bench_forward tools/tempo_make_model tools/tempo_make_gguf; do
  [ -x "$build/$tool" ] || { echo "bench_vs_llamacpp: $build/$tool is missing: build it first (cmake --build $build --target $(basename $tool))" >&2; exit 2; }
done
[ -d "$build/llamacpp/node_modules/node-llama-cpp" ] || bash "$here/../tools/deps-llamacpp.sh" "$build/llamacpp"
exec node "$here/bench_vs_llamacpp.mjs" --deps "$build/llamacpp" --bench-forward "$build/bench/bench_forward" \
  --make-model "$build/tools/tempo_make_model" --make-gguf "$build/tools/tempo_make_gguf" \
  --work "$build/bench-models" --bundled "$here/../resources/models/tempo-kjv-small" \
  --out "$build/bench-models/results.json" "$@"
