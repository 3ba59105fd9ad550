#!/usr/bin/env bash
# The hostile-input corpus (issue 6, promise 6): every case in cases.sh runs the real heed binary
# on one broken input and must end with
#   - exit code exactly 2 (bad input; never 1, an internal error, nor >= 128, a signal),
#   - exactly one non-empty line on stderr, starting "heed: " and containing the case's needle
#     (the file, key or argument at fault),
#   - no file created, changed or removed: neither in the fixtures nor in the empty working
#     directory the case runs in (so no run directory for a config refused up front, no *.tmp).
# Usage: run.sh HEED_BINARY SOURCE_DIR
set -euo pipefail
heed=$(realpath "$1")
src=$(realpath "$2")
C=$src/tests/hostile/inputs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
F=$work/fixtures
mkdir -p "$F"

# Fixtures the cases point at: a trained run, and damaged copies of its checkpoint.
(cd "$F" && "$heed" train "$src/tests/hostile/tiny_run.yaml" >/dev/null 2>"$F/train.err") ||
  { echo "hostile: cannot train the fixture run: $(cat "$F/train.err")" >&2; exit 1; }
(cd "$F" && "$heed" train "$src/tests/data/listops_tiny.yaml" --set train.steps=3 \
  --set train.schedule.warmup=0 --set train.eval_every=3 --set train.eval_examples=8 \
  --set out_dir=tree_run >/dev/null 2>"$F/train.err") ||
  { echo "hostile: cannot train the fixture tree run: $(cat "$F/train.err")" >&2; exit 1; }
rm "$F/train.err"
RUN=$F/run
TREE=$F/tree_run  # a ListOps tree-encoder run: predict reads S-expressions
: >"$F/regular_file"
ck() { cp -r "$RUN/checkpoints/best" "$F/$1"; }
ck truncated_model && truncate -s 100 "$F/truncated_model/model.safetensors"
ck flipped_trainer && printf '\x5a' | dd of="$F/flipped_trainer/trainer.safetensors" bs=1 \
  seek=$(($(stat -c %s "$F/flipped_trainer/trainer.safetensors") - 9)) conv=notrunc status=none
ck no_model && rm "$F/no_model/model.safetensors"
ck garbage_trainer && cp "$C/binary_garbage.yaml" "$F/garbage_trainer/trainer.safetensors"
ck empty_model && : >"$F/empty_model/model.safetensors"
mkdir -p "$F/no_checkpoint_run" && cp "$RUN/config.yaml" "$F/no_checkpoint_run/"
cp -r "$RUN" "$F/bad_metrics_run" && echo '{"step":"x","loss":1}' >>"$F/bad_metrics_run/metrics.jsonl"
cp -r "$RUN" "$F/bad_config_run" && cp "$C/unclosed_flow.yaml" "$F/bad_config_run/config.yaml"

snapshot() { find "$F" "$1" -printf '%p %y %s %T@\n' | sort; }
failures=0
count=0
# hostile NAME NEEDLE HEED_ARGS...
hostile() {
  local name=$1 needle=$2
  shift 2
  count=$((count + 1))
  local cwd=$work/cwd_$name
  mkdir "$cwd"
  local before rc=0
  before=$(snapshot "$cwd")
  (cd "$cwd" && exec timeout 120 "$heed" "$@") >"$work/out" 2>"$work/err" || rc=$?
  local err lines problem=""
  err=$(cat "$work/err")
  lines=$(wc -l <"$work/err")
  if [ "$rc" -ne 2 ]; then
    problem="exit code $rc, want 2"
  elif [ "$lines" -ne 1 ] || [ "${err#heed: }" = "$err" ] || [ -z "${err#heed: }" ]; then
    problem="stderr is not one line 'heed: ...'"
  elif [[ "$err" != *"$needle"* ]]; then
    problem="message does not name '$needle'"
  elif [ "$(snapshot "$cwd")" != "$before" ]; then
    problem="files changed: $(diff <(echo "$before") <(snapshot "$cwd") | grep '^[<>]' | head -3)"
  fi
  if [ -n "$problem" ]; then
    failures=$((failures + 1))
    echo "FAIL $name: $problem" >&2
    echo "     heed $*" >&2
    head -5 "$work/err" | sed 's/^/     stderr: /' >&2
  fi
  rm -rf "$cwd"
}

source "$src/tests/hostile/cases.sh"

[ "$count" -ge 40 ] || { echo "hostile: only $count cases, the corpus promises at least 40" >&2; exit 1; }
if [ "$failures" -ne 0 ]; then
  echo "hostile: $failures of $count cases failed" >&2
  exit 1
fi
echo "hostile: all $count cases exit 2 with one line naming the fault, leaving no file behind"
