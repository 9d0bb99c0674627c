#!/usr/bin/env bash
# The default study on a model (issue 16 point 5): runs `tempo-lab-cli study run` into a fresh
# notebook and prints its wall time, the time inside forward passes (the decoder's own timer,
# summed over every run), the fraction spent outside the model, and that fraction against the 10%
# target. Run by hand on a quiet machine, never from ctest:
#
#   bash bench/bench_study.sh [build/src/cli/tempo-lab-cli] [extra study-run flags...]
#
# Without flags: the bundled model, its default suite (32 prompts), thresholds
# 0.001,0.01,0.05,0.1,0.3,0.5, presets 1a-5 and the artifact control (7 sweeps, 1920 runs).
set -euo pipefail
cli=${1:-build/src/cli/tempo-lab-cli}
shift || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s.%N)
"$cli" study run --notebook "$work/study.sqlite" --json "$@" > "$work/run.json"
end=$(date +%s.%N)
"$cli" study show 1 --notebook "$work/study.sqlite" --json > "$work/show.json"
size=$(du -b "$work/study.sqlite" | cut -f1)
python3 - "$work/show.json" "$start" "$end" "$size" "$(nproc)" <<'PY'
import json, sys
show = json.load(open(sys.argv[1]))
s = show["summary"]
process = float(sys.argv[3]) - float(sys.argv[2])
wall, forward = s["wall_seconds"], s["forward_seconds"]
outside = 1 - forward / wall
print(f"study: {s['points_done']}/{s['points']} points, {s['runs_made']} runs, {sys.argv[5]} cores")
print(f"wall {wall:.1f} s (process {process:.1f} s), inside forward passes {forward:.1f} s")
print(f"outside the model: {outside * 100:.1f}% of wall (target < 10%: ratio {outside / 0.10:.2f}x the target)")
print(f"notebook {int(sys.argv[4]) / 2**20:.1f} MiB")
PY
