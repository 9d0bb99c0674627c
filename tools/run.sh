#!/usr/bin/env bash
# Installs what is missing, builds, and opens the TEMPO Lab window on the bundled model and the
# default notebook (~/.local/share/tempo-lab/notebook.sqlite unless the settings name another).
# Extra arguments go to tempo-lab (e.g. --notebook FILE, --model DIR).
# Without a display (a headless server), the window is started under Xvfb, a PNG of every page is
# saved into build/screenshots/ and the script ends (the GUI needs a screen to be used).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh
build="${TEMPO_BUILD_DIR:-build}"
app="$build/src/gui/tempo-lab"
if [ ! -f resources/models/tempo-kjv-small/config.json ] && [ -z "${TEMPO_LAB_MODEL:-}" ]; then
  # Until the bundled trained model is in the tree: a generated tiny model with peaked weights.
  model_dir="$build/models/tiny-peaked"
  if [ ! -f "$model_dir/model.safetensors" ]; then
    "./$build/tools/tempo_make_model" --out "$model_dir" --seed 42 --peaked
  fi
  export TEMPO_LAB_MODEL="$PWD/$model_dir"
fi
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec "$app" "$@"
fi
echo "run.sh: no display; starting the window under Xvfb and saving every page into $build/screenshots/"
xvfb-run -a -s "-screen 0 1280x800x24" "$app" --screenshots "$build/screenshots" "$@"
