#!/usr/bin/env bash
# Reproduces the table of docs/tree-attention.md: every model of configs/{listops,tree_eval}_*.yaml
# trained with the same learning-rate sweep and seeds; per model the learning rate with the best
# mean validation accuracy is chosen, and its runs' best checkpoints are scored on a seeded test
# set (`heed eval --test`, disjoint from training and validation streams). Accuracy is
# exact-sequence accuracy: for the classification tasks the class accuracy, for tree_traversal
# (`--tasks tree_traversal --models "seq tree"`) whole post-orders right.
#
#   scripts/tree-attention-table.sh [--tasks "listops tree_eval"] [--lrs "3e-4 1e-3 3e-3"]
#                                   [--seeds "0 1 2"] [--jobs 1] [--out runs/tree-table]
#                                   [--test-examples 2000] [--heed build/bin/heed]
#                                   [--set KEY=VALUE ...]
#
# Runs use `threads: 1` so that a run's numbers do not depend on --jobs (a run is deterministic
# for a given thread count: docs/reliability.md). Finished runs (a results line exists) are
# skipped, so an interrupted sweep continues where it stopped. Prints the markdown table. --set
# (repeatable) overrides a config key of every run, e.g. --set train.steps=10000 for a longer
# budget (use another --out: results lines do not record overrides).
set -euo pipefail
cd "$(dirname "$0")/.."

tasks="listops tree_eval"
lrs="3e-4 1e-3 3e-3"
seeds="0 1 2"
jobs=1
out=runs/tree-table
test_examples=2000
heed=build/bin/heed
models="seq tree_mask tree_distance tree_position child"
overrides=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tasks) tasks="$2"; shift 2 ;;
    --lrs) lrs="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --test-examples) test_examples="$2"; shift 2 ;;
    --heed) heed="$2"; shift 2 ;;
    --set) overrides+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "tree-attention-table.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -x "$heed" ]] || { echo "tree-attention-table.sh: no heed binary at $heed (build first)" >&2; exit 2; }
mkdir -p "$out"
results="$out/results.tsv"
[[ -f "$results" ]] || printf 'task\tmodel\tlr\tseed\tparams\tsteps\twall_s\tvalid_acc\ttest_acc\n' >"$results"

# One run: train, then score its best checkpoint on validation and test data; append one line.
run_one() {
  local task=$1 model=$2 lr=$3 seed=$4
  local dir="$out/${task}_${model}_lr${lr}_s${seed}"
  grep -q "^${task}	${model}	${lr}	${seed}	" "$results" && return 0
  rm -rf "$dir"
  local t0 t1
  t0=$(date +%s.%N)
  "$heed" train "configs/${task}_${model}.yaml" --set "seed=$seed" --set "train.optimizer.lr=$lr" \
    --set threads=1 --set "out_dir=$dir" "${overrides[@]}" >"$dir.log" 2>&1 ||
    { echo "run failed: $dir (see $dir.log)" >&2; return 1; }
  t1=$(date +%s.%N)
  local params steps valid test
  params=$(grep -o '[0-9]* parameters' "$dir.log" | head -1 | cut -d' ' -f1)
  steps=$(grep -o 'after [0-9]* steps' "$dir.log" | tail -1 | cut -d' ' -f2)
  valid=$("$heed" eval "$dir" --json | grep -o '"exact_seq_acc":[0-9.e-]*' | cut -d: -f2)
  test=$("$heed" eval "$dir" --test --examples "$test_examples" --json |
    grep -o '"exact_seq_acc":[0-9.e-]*' | cut -d: -f2)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\n' "$task" "$model" "$lr" "$seed" "$params" \
    "$steps" "$(echo "$t1 - $t0" | bc)" "$valid" "$test" >>"$results"
  echo "done: $task $model lr $lr seed $seed: valid $valid test $test" >&2
}

for task in $tasks; do
  for model in $models; do
    for lr in $lrs; do
      for seed in $seeds; do
        while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do wait -n || true; done
        run_one "$task" "$model" "$lr" "$seed" &
      done
    done
  done
done
wait

# Per (task, model): the lr with the best mean validation accuracy; its test accuracy mean ± std
# (population std over seeds), parameters, steps and mean wall time.
awk -F'\t' 'NR > 1 {
    k = $1 SUBSEP $2 SUBSEP $3
    n[k]++; v[k] += $8; t[k] += $9; tt[k] += $9 * $9; w[k] += $7; p[k] = $5; s[k] = $6
    if (!(($1 SUBSEP $2) in seen)) { seen[$1 SUBSEP $2] = 1; order[++m] = $1 SUBSEP $2 }
  }
  END {
    print "| task | model | parameters | steps | lr (best of sweep) | runs | validation acc | test acc (mean ± std) | wall s / run |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= m; i++) {
      split(order[i], tm, SUBSEP); best = ""
      for (k in n) { split(k, f, SUBSEP)
        if (f[1] == tm[1] && f[2] == tm[2] && (best == "" || v[k] / n[k] > v[best] / n[best])) best = k }
      split(best, f, SUBSEP); c = n[best]; mean = t[best] / c
      var = tt[best] / c - mean * mean; if (var < 0) var = 0
      printf "| %s | %s | %s | %s | %s | %d | %.1f%% | %.1f ± %.1f%% | %.0f |\n", tm[1], tm[2],
        p[best], s[best], f[3], c, 100 * v[best] / c, 100 * mean, 100 * sqrt(var), w[best] / c
    }
  }' "$results"
