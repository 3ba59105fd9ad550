#!/usr/bin/env bash
# `heed experiment` killed and continued (issue 14): a 2x2 grid x 2 seeds of
# tests/data/crash_tiny.yaml, shortened, run uninterrupted with --jobs 2 as the reference; then
#   1. SIGKILL to `heed experiment` alone, twice, at moments when runs are under way: its
#      children die with it (every run directory's lock is free at once), and the same command
#      run again (--jobs 1) ends with results.csv equal to the reference's apart from the _s/_mb
#      columns, and with byte-identical plots;
#   2. SIGTERM to `heed experiment`: exit code 143, its running children checkpoint and stop, and
#      the same command continues to the reference's results.
# Usage: e2e_experiment.sh HEED_BINARY SOURCE_DIR
set -euo pipefail
source "$2/tests/tools/run_lib.sh"

cat >"$work/exp.yaml" <<YAML
base: $cfg
set: {train.steps: 60, train.eval_every: 30}
grid:
  model.attention.type: [mha, alibi]
  train.optimizer.lr: [3.0e-3, 1.0e-2]
seeds: [0, 1]
YAML

"$heed" experiment "$work/exp.yaml" --out "$work/ref" --jobs 2 >/dev/null 2>"$work/err" ||
  fail "the reference experiment failed: $(tail -1 "$work/err")"
[ "$(grep -c ',finished,60,' "$work/ref/results.csv")" = 8 ] ||
  fail "the reference has not 8 finished runs: $(cat "$work/ref/results.csv")"

# Starts the experiment into $work/k in the background; waits until $1 runs have a checkpoint.
start_and_wait() {
  "$heed" experiment "$work/exp.yaml" --out "$work/k" --jobs "$2" >"$work/k.out" 2>&1 &
  pid=$!
  until [ "$(compgen -G "$work/k/runs/*/checkpoints/step_*" | wc -l)" -ge "$1" ] ||
    ! kill -0 $pid 2>/dev/null; do
    sleep 0.01
  done
  kill -0 $pid 2>/dev/null || fail "the experiment ended before it could be stopped"
}

# No run directory stays locked: the children died with (or stopped for) the experiment.
all_unlocked() {
  for lock in "$work"/k/runs/*/train.lock; do
    flock -w 2 "$lock" true || fail "$1: $lock is still held: a run outlived its experiment"
  done
}

for kill_at in 2 5; do
  start_and_wait $kill_at 2
  kill -KILL $pid
  wait $pid 2>/dev/null || true
  all_unlocked "SIGKILL with $kill_at runs started"
done
"$heed" experiment "$work/exp.yaml" --out "$work/k" --jobs 1 >"$work/k.out" 2>&1 ||
  fail "the continued experiment failed: $(tail -2 "$work/k.out")"
grep -q 'resuming' "$work/k.out" || fail "nothing was resumed: the kills came too late"
diff <(results "$work/ref") <(results "$work/k") >"$work/diff" ||
  fail "killed and continued, results.csv differs: $(head -5 "$work/diff")"
for plot in length.png curves.png; do
  cmp -s "$work/ref/plots/$plot" "$work/k/plots/$plot" ||
    fail "killed and continued, plots/$plot differs from the reference's"
done
echo "e2e_experiment: SIGKILLed twice and continued with --jobs 1: the --jobs 2 reference's results and plots"

rm -rf "$work/k"
start_and_wait 3 2
kill -TERM $pid
rc=0
wait $pid || rc=$?
[ $rc = 143 ] || fail "SIGTERM: exit code $rc, want 143: $(tail -2 "$work/k.out")"
all_unlocked "SIGTERM"
grep -q 'interrupted' "$work/k.out" || fail "SIGTERM: no run reported interrupted: $(cat "$work/k.out")"
"$heed" experiment "$work/exp.yaml" --out "$work/k" --jobs 2 >"$work/k.out" 2>&1 ||
  fail "the experiment continued after SIGTERM failed: $(tail -2 "$work/k.out")"
diff <(results "$work/ref") <(results "$work/k") >"$work/diff" ||
  fail "stopped by SIGTERM and continued, results.csv differs: $(head -5 "$work/diff")"
echo "e2e_experiment: SIGTERM stopped the runs with checkpoints (exit 143); continued to the same results"
