#!/usr/bin/env bash
# Ctrl-C (SIGINT) and SIGTERM at any moment (docs/reliability.md, promise 4) on real runs of
# tests/data/crash_tiny.yaml:
#  - a signal delivered at an exact point (HEED_TEST_KILL_AT=POINT:N:INT|TERM, train/kill_point.h):
#    mid-evaluation, mid-report, mid-checkpoint, between steps. Each run exits 130 (SIGINT) or
#    143 (SIGTERM), prints the resume command, keeps a checkpoint of the step it stopped at, and
#    `heed train --resume` then ends byte-identical to an uninterrupted run (an evaluation cut off
#    by the signal reruns on resume);
#  - a real SIGTERM and SIGINT during a long evaluation stop the run within a few seconds instead
#    of when the evaluation would end.
# Usage: stop_signals.sh HEED_BINARY SOURCE_DIR
set -euo pipefail
source "$2/tests/tools/run_lib.sh"

"$heed" train "$cfg" --set out_dir="$work/ref" >/dev/null 2>"$work/err" ||
  fail "the uninterrupted run failed: $(tail -1 "$work/err")"

# signal_at POINT:N:SIG EXIT_CODE: the run stops there; its resume ends as the reference.
signal_at() {
  local at=$1 want=$2 run="$work/run" rc
  set +e
  HEED_TEST_KILL_AT=$at "$heed" train "$cfg" --set out_dir="$run" >/dev/null 2>"$work/err"
  rc=$?
  set -e
  [ "$rc" -eq "$want" ] || fail "$at: exited $rc, want $want: $(tail -1 "$work/err")"
  grep -q "Continue with: heed train --resume $run" "$work/err" ||
    fail "$at: no resume command printed: $(tail -1 "$work/err")"
  ls -d "$run"/checkpoints/step_* >/dev/null 2>&1 || fail "$at: no step checkpoint"
  "$heed" train --resume "$run" >/dev/null 2>"$work/err" ||
    fail "$at: resume failed: $(tail -1 "$work/err")"
  same_run "$work/ref" "$run" "$at, resumed"
  rm -rf "$run"
}

# Evaluations (2 batches each) come at steps 20, 40, ...: batch 3 is the first of step 40's.
signal_at evaluation_batch:3:INT 130
signal_at evaluation_batch:4:TERM 143
signal_at report:2:INT 130                 # the report after step 40's evaluation
signal_at checkpoint_before_swap:5:TERM 143  # a checkpoint being written is completed
signal_at checkpoint_after_swap:2:INT 130
signal_at after_step:33:TERM 143           # between steps, off the checkpoint grid

# A real signal during an evaluation of 200,000 examples (one after every step): the run must
# stop long before that evaluation could end.
for sig in TERM INT; do
  run="$work/long_$sig"
  "$heed" train "$cfg" --set out_dir="$run" --set train.steps=1000000 --set train.eval_every=1 \
    --set train.eval_examples=200000 >/dev/null 2>"$work/err" &
  pid=$!
  for _ in $(seq 600); do  # the first evaluation starts once step 1 is logged
    grep -q '"step":1,' "$run/metrics.jsonl" 2>/dev/null && break
    sleep 0.1
  done
  grep -q '"step":1,' "$run/metrics.jsonl" || fail "SIG$sig: the run never logged step 1"
  sleep 1
  t0=$(date +%s%N)
  kill -s "$sig" "$pid"
  set +e
  wait "$pid"
  rc=$?
  set -e
  ms=$((($(date +%s%N) - t0) / 1000000))
  want=$([ "$sig" = TERM ] && echo 143 || echo 130)
  [ "$rc" -eq "$want" ] || fail "SIG$sig during an evaluation: exited $rc, want $want"
  [ "$ms" -le 5000 ] || fail "SIG$sig during an evaluation: took $ms ms to stop (want <= 5000)"
  grep -q '"eval"' "$run/metrics.jsonl" && fail "SIG$sig: the cut-off evaluation was recorded"
  [ -d "$run/checkpoints/step_00000001" ] || fail "SIG$sig: no checkpoint of step 1"
  echo "SIG$sig during an evaluation: stopped in $ms ms"
done
echo "stop_signals: all passed"
