#!/usr/bin/env bash
# Installs what is missing, builds, and starts TEMPO Lab on the default model.
# Until the notebook window (issue 8) and the bundled trained model (issue 6) exist, this runs
# preset 2 (isolated + visible pair, analyses, verdict) through tempo-lab-cli on a generated tiny
# "peaked" model, records it in the default notebook and lists the notebook's newest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh
model_dir="build/models/tiny-peaked"
if [ ! -f "$model_dir/model.safetensors" ]; then
  ./build/tools/tempo_make_model --out "$model_dir" --seed 42 --peaked
fi
cli=./build/src/cli/tempo-lab-cli
echo "== preset 2 (isolated + visible pair, threshold 0.10, 10 steps) on $model_dir =="
"$cli" preset run 2 --model "$model_dir" "$@"
echo
echo "== newest runs in the default notebook (tempo-lab-cli runs) =="
"$cli" runs | head -n 12
