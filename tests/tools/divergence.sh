#!/usr/bin/env bash
# Promise 5 of docs/reliability.md: `lr: 1e6` makes tests/data/crash_tiny.yaml diverge.
#  - By default training stops: exit 2, one line naming the step, the first parameter whose
#    gradient is not finite and the last checkpoint, which is kept and loads.
#  - With train.on_nonfinite: skip the run finishes, and metrics.jsonl counts the skipped steps.
# Usage: divergence.sh HEED_BINARY SOURCE_DIR
set -euo pipefail
source "$2/tests/tools/run_lib.sh"

set +e
"$heed" train "$cfg" --set train.optimizer.lr=1e6 --set train.checkpoint_every=1 \
  --set out_dir="$work/stop" >/dev/null 2>"$work/err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "a diverging run exited $rc, want 2: $(tail -1 "$work/err")"
line=$(tail -1 "$work/err")
[[ $line =~ training\ diverged\ at\ step\ ([0-9]+):\ loss\ .*first\ non-finite\ gradient:\ ([a-z0-9_.]+)\ \(last\ checkpoint\ kept:\ ([^\;]+)\; ]] ||
  fail "the message does not name the step, the parameter and the checkpoint: $line"
step=${BASH_REMATCH[1]} param=${BASH_REMATCH[2]} kept=${BASH_REMATCH[3]}
[ "$kept" = "$work/stop/checkpoints/$(printf 'step_%08d' $((step - 1)))" ] ||
  fail "kept checkpoint $kept is not the one before step $step"
"$heed" eval "$kept" --examples 4 >/dev/null 2>"$work/err" ||
  fail "the kept checkpoint does not load: $(tail -1 "$work/err")"
grep -q "\"$param\"" "$kept/model.safetensors" || fail "$param is not a parameter of the model"
echo "divergence: stopped at step $step naming $param; $kept kept and loads"

"$heed" train "$cfg" --set train.optimizer.lr=1e6 --set train.on_nonfinite=skip \
  --set out_dir="$work/skip" >"$work/out" 2>"$work/err" ||
  fail "on_nonfinite: skip did not finish: $(tail -1 "$work/err")"
skipped=$(grep -o '"skipped_steps":[0-9]*' "$work/skip/metrics.jsonl" | tail -1 | cut -d: -f2 || true)
[ "${skipped:-0}" -gt 0 ] || fail "metrics.jsonl counts no skipped steps"
grep -q "($skipped steps skipped: non-finite)" "$work/out" || fail "the summary does not say $skipped steps were skipped"
echo "divergence: on_nonfinite: skip finished, $skipped steps skipped and counted"
