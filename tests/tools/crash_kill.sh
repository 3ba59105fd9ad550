#!/usr/bin/env bash
# Promises 2 and 3 of docs/reliability.md on real training runs of tests/data/crash_tiny.yaml
# (200 steps, a checkpoint every 5, an evaluation every 20, dropout on):
#  - SIGKILL at every fault point of the write protocol and the loop (HEED_TEST_KILL_AT, see
#    train/kill_point.h), several occurrences each, including mid-evaluation and steps k that
#    are and are not checkpoint steps;
#  - SIGKILL at >= 20 seeded random moments (delays drawn from $RANDOM seeded with 20261124).
# After each kill: every checkpoint directory left (step_* and best) loads with `heed eval`, so
# nothing visible is half-written, and at least one step checkpoint exists; then
# `heed train --resume` finishes the run, which must end with parameters (final and best)
# byte-identical to an uninterrupted run and the same metrics.jsonl (timings aside).
# Usage: crash_kill.sh HEED_BINARY SOURCE_DIR [RANDOM_KILLS]
set -euo pipefail
source "$2/tests/tools/run_lib.sh"
random_kills=${3:-20}

t0=$(date +%s%N)
"$heed" train "$cfg" --set out_dir="$work/ref" >/dev/null 2>"$work/err" ||
  fail "the uninterrupted run failed: $(tail -1 "$work/err")"
ref_ms=$((($(date +%s%N) - t0) / 1000000))

# After a kill of run $1: what is on disk is complete, and a resume ends where the reference did.
check_killed_run() {
  local run=$1 what=$2 d n=0
  for d in "$run"/checkpoints/*; do
    case "${d##*/}" in *.*) continue ;; esac  # .tmp / .old: the protocol's own, cleaned up later
    "$heed" eval "$d" --examples 4 >/dev/null 2>"$work/err" ||
      fail "$what: checkpoint ${d##*/} does not load: $(tail -1 "$work/err")"
    case "${d##*/}" in step_*) n=$((n + 1)) ;; esac
  done
  [ $n -ge 1 ] || fail "$what: no step checkpoint left"
  "$heed" train --resume "$run" >/dev/null 2>"$work/err" ||
    fail "$what: resume failed: $(tail -1 "$work/err")"
  same_run "$work/ref" "$run" "$what, resumed"
  rm -rf "$run"
}

# Fault points: POINT:N kills at the N-th time the point is reached. Writes happen for
# config.yaml, run.json and metrics.jsonl at the start, for both files of each checkpoint and
# for the report after each evaluation, so small N land early and large N mid-run.
points="after_temp_write:7 after_temp_write:40 before_rename:12 before_rename:61
before_dir_fsync:9 before_dir_fsync:50 checkpoint_before_swap:3 checkpoint_before_swap:17
checkpoint_after_swap:2 checkpoint_between_renames:2 evaluation_batch:2 evaluation_batch:5
evaluation_batch:10 after_step:5 after_step:7 after_step:20 after_step:63 after_step:199"
# The two checkpoint saves at the run's last improving evaluation (`best` and the step's own),
# counted from the reference: one save per 5 steps plus one `best` per improving evaluation. A
# kill between them must not lose that best checkpoint, which the run never writes again.
pair=$(grep '"eval"' "$work/ref/metrics.jsonl" | sed -E 's/.*"exact_seq_acc":([0-9.e-]+).*"step":([0-9]+).*/\2 \1/' |
  awk 'BEGIN { b = -1; n = 0 } $2 > b { b = $2; last = $1 / 5 + n; n++ } END { print last }')
points="$points checkpoint_before_swap:$pair checkpoint_before_swap:$((pair + 1))"
kills=0
for p in $points; do
  set +e
  # In a subshell, so that bash does not report each expected SIGKILL on stderr.
  { (HEED_TEST_KILL_AT=$p exec "$heed" train "$cfg" --set out_dir="$work/run" >/dev/null 2>"$work/err"); } 2>/dev/null
  rc=$?
  set -e
  if [ $rc -eq 0 ] && [ "${p%%:*}" = checkpoint_between_renames ]; then
    # Reached only where renameat2(RENAME_EXCHANGE) is unsupported (the two-rename fallback);
    # Checkpoint.ACrashAtAnyPointLeavesTheOldOrTheNewCheckpoint forces that path.
    echo "crash_kill: $p not reached (this filesystem swaps checkpoints atomically)"
    rm -rf "$work/run"
    continue
  fi
  [ $rc -eq 137 ] || fail "HEED_TEST_KILL_AT=$p: exit $rc, want 137 (SIGKILL): $(tail -1 "$work/err")"
  check_killed_run "$work/run" "killed at $p"
  kills=$((kills + 1))
done
echo "crash_kill: $kills kills at fault points, each resumed to the uninterrupted result"

# Seeded random moments in [first checkpoint, end of an uninterrupted run].
RANDOM=20261124
done_kills=0
attempts=0
while [ $done_kills -lt "$random_kills" ]; do
  attempts=$((attempts + 1))
  [ $attempts -le $((random_kills * 3)) ] || fail "only $done_kills of $random_kills kills landed"
  "$heed" train "$cfg" --set out_dir="$work/run" >/dev/null 2>&1 &
  pid=$!
  # Wait for the first checkpoint, then a seeded delay within the reference run's duration.
  until compgen -G "$work/run/checkpoints/step_*/trainer.safetensors" >/dev/null ||
    ! kill -0 $pid 2>/dev/null; do
    sleep 0.005
  done
  delay_ms=$((RANDOM % (ref_ms + 1)))
  sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
  if kill -KILL $pid 2>/dev/null; then
    wait $pid 2>/dev/null || true
    check_killed_run "$work/run" "killed after ${delay_ms} ms"
    done_kills=$((done_kills + 1))
  else
    wait $pid || fail "an unkilled run failed"
    rm -rf "$work/run"  # it finished first: draw another moment
  fi
done
echo "crash_kill: $done_kills kills at seeded random moments ($attempts runs), each resumed" \
  "to the uninterrupted result"
