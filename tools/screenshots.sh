#!/usr/bin/env bash
# Saves a PNG of every page of the TEMPO Lab window (1280x800) into docs/screenshots/, from a
# fixture notebook made here: presets 1a, 2 (isolated + visible group) and 3 run on the bundled
# model (or a generated tiny model until it is in the tree), one run tagged and annotated.
# Needs a built tree (tools/build.sh, or BUILD_DIR=build-x). Uses Xvfb when present, else Qt's
# offscreen platform.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
app="$build/src/gui/tempo-lab"
cli="${CLI:-$build/src/cli/tempo-lab-cli}" # CLI=path: a CLI built elsewhere
out="${1:-docs/screenshots}"
fixture="$(mktemp -d)"
trap 'rm -rf "$fixture"' EXIT

model="resources/models/tempo-kjv-small"
if [ -n "${TEMPO_LAB_MODEL:-}" ]; then
  model="$TEMPO_LAB_MODEL"
elif [ ! -f "$model/config.json" ]; then
  model="$fixture/tiny-peaked"
  "$build/tools/tempo_make_model" --out "$model" --seed 42 --peaked >/dev/null
  export TEMPO_LAB_MODEL="$PWD/$model"
  case "$model" in /*) export TEMPO_LAB_MODEL="$model" ;; esac
fi
notebook="$fixture/lab.sqlite"
# A small sweep (2 categories x 2 prompts x 2 thresholds) for the Sweeps page.
grep -m2 '"narrative"' resources/suites/default.jsonl > "$fixture/suite.jsonl"
grep -m2 -v '"narrative"' resources/suites/default.jsonl >> "$fixture/suite.jsonl"
"$cli" sweep 1b --model "$model" --suite "$fixture/suite.jsonl" --thresholds 0.05,0.1 --notebook "$notebook" \
  --threads 2 >/dev/null || true
for preset in 3 2 1a; do
  "$cli" preset run "$preset" --model "$model" --notebook "$notebook" --threads 2 >/dev/null || true
done
newest="$("$cli" runs --notebook "$notebook" --limit 1 --json | sed -n 's/.*"id": *\([0-9]*\).*/\1/p' | head -n 1)"
if [ -n "$newest" ]; then
  "$cli" tag "$newest" baseline --notebook "$notebook" >/dev/null
  "$cli" note "$newest" --notebook "$notebook" \
    --text $'First look at **1a** on the bundled model.\n\n- every check green\n- compare with the 1b run next' >/dev/null
fi

mkdir -p "$out"
# Fresh settings, so the screenshots do not depend on this machine's window state.
export XDG_CONFIG_HOME="$fixture/config"
export TEMPO_LAB_THEME="${TEMPO_LAB_THEME:-light}"
if command -v xvfb-run >/dev/null; then
  xvfb-run -a -s "-screen 0 1280x800x24" "$app" --notebook "$notebook" --screenshots "$out" --size 1280x800
else
  QT_QPA_PLATFORM=offscreen "$app" --notebook "$notebook" --screenshots "$out" --size 1280x800
fi
echo "screenshots in $out:"
ls -1 "$out"
