#!/usr/bin/env bash
# Promise 1 of docs/reliability.md: the same config, seed and thread count give byte-identical
# metrics.jsonl losses and byte-identical parameters, run after run. Trains
# tests/data/crash_tiny.yaml (dropout on) twice with 1 thread and twice with 2 threads and
# compares each pair; then reports (without failing) whether 1 and 2 threads agree.
# Usage: determinism.sh HEED_BINARY SOURCE_DIR
set -euo pipefail
source "$2/tests/tools/run_lib.sh"

for threads in 1 2; do
  for n in a b; do
    "$heed" train "$cfg" --set threads=$threads --set out_dir="$work/t$threads$n" \
      >/dev/null 2>"$work/err" || fail "training failed: $(tail -1 "$work/err")"
  done
  same_run "$work/t${threads}a" "$work/t${threads}b" "two runs with $threads thread(s)"
  echo "determinism: two runs with $threads thread(s): identical parameters and metrics"
done
if cmp -s "$work/t1a/checkpoints/step_00000200/model.safetensors" \
  "$work/t2a/checkpoints/step_00000200/model.safetensors"; then
  echo "determinism: 1 and 2 threads: identical parameters as well"
else
  echo "determinism: 1 and 2 threads: parameters differ (expected: reductions split by thread)"
fi
