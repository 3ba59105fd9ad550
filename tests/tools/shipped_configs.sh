#!/usr/bin/env bash
# Every config in configs/ loads and trains: each configs/*.yaml is trained for 2 steps (plus an
# evaluation of 8 examples and a checkpoint) from an empty working directory, so a new config is
# covered without editing this test, and a broken one fails it with heed's one-line error. Every
# experiment in configs/experiments/ plans: `heed experiment --dry-run` from the repository root
# (where its base paths point) resolves and checks each of its runs' configs, whose bases the loop
# above trains.
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

e=0
for exp in "$src"/configs/experiments/*.yaml; do
  [ -e "$exp" ] || continue
  name=$(basename "$exp" .yaml)
  (cd "$src" && "$heed" experiment "configs/experiments/$name.yaml" --dry-run --no-probe \
    --out "$work/exp-$name") >/dev/null 2>"$work/err" ||
    fail "configs/experiments/$name.yaml does not plan: $(tail -1 "$work/err")"
  echo "ok: configs/experiments/$name.yaml"
  e=$((e + 1))
done
echo "shipped_configs: all $e experiments plan"
