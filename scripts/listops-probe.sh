#!/usr/bin/env bash
# Which ListOps operators a trained model computes: scores a run on single-level lists, one file
# per operator and argument count (`[SM 3 8 1 ]`), with `heed eval RUN --data`. Prints a markdown
# table of accuracy per operator (rows) and argument count 2..5 (columns).
#
#   scripts/listops-probe.sh RUN [--examples 200] [--seed 1] [--heed build/bin/heed]
#
# RUN is a run directory or checkpoint of task listops (any model). The lists are drawn with
# awk's seeded generator, values uniform in 0-9; targets follow datasets/tree_tasks.h (MED of an
# even count is the mean of the two middle values, rounded down; SM is the sum mod 10).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 && $1 != -* ]] || { sed -n 2,10p "$0"; exit 2; }
run=$1
shift
examples=200
seed=1
heed=build/bin/heed
while [[ $# -gt 0 ]]; do
  case "$1" in
    --examples) examples="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --heed) heed="$2"; shift 2 ;;
    *) echo "listops-probe.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| operator | 2 args | 3 args | 4 args | 5 args |"
echo "|---|---|---|---|---|"
for op in MIN MAX MED SM; do
  row="| $op |"
  for k in 2 3 4 5; do
    awk -v op="$op" -v k="$k" -v n="$examples" -v seed="$seed$k" 'BEGIN {
      srand(seed + 0)
      for (e = 0; e < n; e++) {
        line = "[" op; sum = 0
        for (i = 1; i <= k; i++) { v[i] = int(rand() * 10); line = line " " v[i]; sum += v[i] }
        for (i = 2; i <= k; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        if (op == "MIN") y = v[1]
        else if (op == "MAX") y = v[k]
        else if (op == "MED") y = (k % 2) ? v[(k + 1) / 2] : int((v[k / 2] + v[k / 2 + 1]) / 2)
        else y = sum % 10
        print line " ]\t" y
      }
    }' >"$work/$op$k.tsv"
    acc=$("$heed" eval "$run" --data "$work/$op$k.tsv" --json | grep -o '"accuracy":[0-9.e-]*' | cut -d: -f2)
    row+=" $(awk -v a="$acc" 'BEGIN { printf "%.0f%%", 100 * a }') |"
  done
  echo "$row"
done
