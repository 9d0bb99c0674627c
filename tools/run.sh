#!/usr/bin/env bash
# Installs what is missing, builds, and starts TEMPO Lab on the default model.
# Until the notebook window (issue 8) and the bundled trained model (issue 6) exist, this runs
# preset 1a's settings through tempo-lab-cli on a generated tiny "peaked" model, in both modes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh
model_dir="build/models/tiny-peaked"
if [ ! -f "$model_dir/model.safetensors" ]; then
  ./build/tools/tempo_make_model --out "$model_dir" --seed 42 --peaked
fi
for mode in isolated visible; do
  echo "== TEMPO run, mode $mode, threshold 0.10, 10 steps on $model_dir =="
  ./build/src/cli/tempo-lab-cli run --model "$model_dir" --prompt "The cat sat on the" \
    --threshold 0.1 --mode "$mode" --readout mean --max-steps 10 "$@"
done
