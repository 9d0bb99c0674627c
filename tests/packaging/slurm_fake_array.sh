#!/bin/bash
# packaging.slurm_fake_array: the Slurm path reproduces a single-machine sweep.
#   1. a generated tiny peaked model and a 3-prompt suite (2 categories);
#   2. the reference: `tempo-lab-cli sweep 2 ...` on this machine into single.sqlite;
#   3. the same sweep with --emit-slurm DIR --tasks 4, run by a fake `sbatch` that loops
#      SLURM_ARRAY_TASK_ID over the script's --array range (in reverse order: slices must not depend
#      on the order tasks run in), then one task again (a requeued task resumes its shard: no new run);
#   4. merge.sh brings the shards into merged.sqlite (run twice: merging again changes nothing);
#   5. packaging_sweep_compare checks every run, group and the sweep aggregate against the reference.
# Usage: slurm_fake_array.sh CLI MAKE_MODEL COMPARE WORKDIR
set -euo pipefail
cli=$1 make_model=$2 compare=$3 work=$4
rm -rf "$work" && mkdir -p "$work/bin"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$make_model" --out "$work/model" --peaked > /dev/null
cat > "$work/suite.jsonl" <<'SUITE'
{"category": "animals", "prompt": "The cat sat on the"}
{"category": "animals", "prompt": "A dog ran to"}
{"category": "places", "prompt": "The quick brown"}
SUITE
sweep_args=(2 --model "$work/model" --suite "$work/suite.jsonl" --thresholds 0.05,0.1 --set max_steps=4 --threads 1)

echo "== reference sweep on one machine"
"$cli" sweep "${sweep_args[@]}" --notebook "$work/single.sqlite" --json > "$work/single.json"

echo "== emit the array job"
"$cli" sweep "${sweep_args[@]}" --notebook "$work/emit.sqlite" --emit-slurm "$work/slurm" --tasks 4
for file in sweep.sbatch sweep.json merge.sh; do [ -f "$work/slurm/$file" ] || fail "--emit-slurm wrote no $file"; done
grep -q '^#SBATCH --array=0-3$' "$work/slurm/sweep.sbatch" || fail "sweep.sbatch has no '#SBATCH --array=0-3' line"
if "$cli" sweep "${sweep_args[@]}" --notebook "$work/emit.sqlite" --emit-slurm "$work/slurm" 2> "$work/again.err"; then
  fail "--emit-slurm overwrote an existing manifest"
fi

# The fake scheduler: runs every array task of the script in this shell's environment, one by one.
cat > "$work/bin/sbatch" <<'SBATCH'
#!/bin/bash
set -euo pipefail
script=${!#}
range=$(sed -n 's/^#SBATCH --array=\([0-9]*-[0-9]*\)$/\1/p' "$script")
[ -n "$range" ] || { echo "fake sbatch: no #SBATCH --array=A-B in $script" >&2; exit 1; }
for task in $(seq "${range#*-}" -1 "${range%-*}"); do
  echo "fake sbatch: task $task"
  SLURM_ARRAY_JOB_ID=1 SLURM_ARRAY_TASK_ID=$task SLURM_JOB_ID=$((100 + task)) bash "$script" > /dev/null
done
echo "Submitted batch job 1"
SBATCH
chmod +x "$work/bin/sbatch"

echo "== fake sbatch"
PATH="$work/bin:$PATH" sbatch "$work/slurm/sweep.sbatch"
for task in 0 1 2 3; do [ -f "$work/slurm/shards/shard-$task.sqlite" ] || fail "task $task wrote no shard"; done
expect_in_requeue() { grep -q "\"$1\": $2" "$work/requeue.out" || fail "requeued task 2: expected \"$1\": $2 in its output"; }
"$cli" sweep --manifest "$work/slurm/sweep.json" --slice 2/4 --notebook "$work/slurm/shards/shard-2.sqlite" --json \
  > "$work/requeue.out"
expect_in_requeue runs_made 0
expect_in_requeue resumed true

echo "== merge the shards home"
bash "$work/slurm/merge.sh" "$work/merged.sqlite" | tee "$work/merge.out"
grep -q "6 of 6 points complete, aggregate recomputed (finished)" "$work/merge.out" \
  || fail "the last merge did not report the complete sweep"
bash "$work/slurm/merge.sh" "$work/merged.sqlite" > "$work/merge-again.out"
grep -q "^0 run(s) copied" "$work/merge-again.out" || fail "merging again printed no transfer summary"
! grep -q "^[1-9][0-9]* run(s) copied" "$work/merge-again.out" || fail "merging again copied runs"

echo "== compare with the reference"
"$compare" "$work/single.sqlite" "$work/merged.sqlite"
