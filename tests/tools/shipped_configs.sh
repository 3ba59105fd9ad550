#!/usr/bin/env bash
# Every config in configs/ loads and trains: each configs/*.yaml is trained for 2 steps (plus an
# evaluation of 8 examples and a checkpoint) from an empty working directory, so a new config is
# covered without editing this test, and a broken one fails it with heed's one-line error.
# Usage: shipped_configs.sh HEED_BINARY SOURCE_DIR
set -euo pipefail
heed=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "${0##*/}: $*" >&2; exit 1; }

n=0
for cfg in "$src"/configs/*.yaml; do
  name=$(basename "$cfg" .yaml)
  (cd "$work" && "$heed" train "$cfg" --set out_dir="$work/$name" --set train.steps=2 \
    --set train.eval_examples=8 --set threads=1) >/dev/null 2>"$work/err" ||
    fail "configs/$name.yaml does not train: $(tail -1 "$work/err")"
  [ -d "$work/$name/checkpoints/step_00000002" ] || fail "configs/$name.yaml: no checkpoint of step 2"
  echo "ok: configs/$name.yaml"
  n=$((n + 1))
  rm -rf "${work:?}/$name"
done
[ "$n" -ge 10 ] || fail "found only $n configs in $src/configs"
echo "shipped_configs: all $n configs train"
