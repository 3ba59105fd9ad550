#!/usr/bin/env bash
# Two heed configurations side by side: builds (today's main against a change), or thread counts
# or product precisions (fp32 | bf16) of one build, on the reference workloads, alternating A
# and B (ABBA) so that drift in the machine's speed hits both alike.
#
#   benchmarks/ab.sh --a PATH --b PATH [--a-threads N] [--b-threads N] [--a-precision P]
#                    [--b-precision P] [--rounds N] [--steps N] [--warmup N] [WORKLOAD...]
#
# Defaults: 5 rounds, 20 timed steps after 3 warm-up steps, 2 threads and fp32 for both, all three
# workloads (copy-tiny sort-small long-lm). Prints per workload the median tokens/s of A and B
# over the rounds, B/A, and the min-max of each, then the final losses of the last round (equal
# when the two compute the same thing). The machine must be otherwise idle.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/args.sh"

usage() {
  sed -n '6,7p' "$0" | sed 's/^# \{0,3\}//' >&2
  exit 2
}

a="" b="" a_threads=2 b_threads=2 a_precision=fp32 b_precision=fp32 rounds=5 steps=20 warmup=3
workloads=()
while [ $# -gt 0 ]; do
  case "$1" in
    --a) a=${2:?--a needs a path}; shift 2 ;;
    --b) b=${2:?--b needs a path}; shift 2 ;;
    --a-threads) a_threads=${2:?}; shift 2 ;;
    --b-threads) b_threads=${2:?}; shift 2 ;;
    --a-precision) a_precision=${2:?}; shift 2 ;;
    --b-precision) b_precision=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --steps) steps=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    -*) echo "ab.sh: unknown option $1" >&2; usage ;;
    *) workloads+=("$1"); shift ;;
  esac
done
[ -n "$a" ] && [ -n "$b" ] || { echo "ab.sh: --a and --b are required" >&2; usage; }
check_counts ab.sh "$a_threads" "$b_threads" "$rounds" "$steps" "$warmup"
check_at_least_one ab.sh "--rounds, --steps and the thread counts" "$rounds" "$steps" \
  "$a_threads" "$b_threads"
for p in "$a_precision" "$b_precision"; do
  case "$p" in
    fp32 | bf16) ;;
    *) echo "ab.sh: precision '$p' is not fp32 or bf16" >&2; exit 2 ;;
  esac
done
for bin in "$a" "$b"; do
  [ -x "$bin" ] || { echo "ab.sh: no heed binary at $bin" >&2; exit 2; }
done
[ ${#workloads[@]} -gt 0 ] || workloads=("${heed_workloads[@]}")
check_workloads ab.sh "${workloads[@]}"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run NAME BINARY THREADS PRECISION WORKLOAD: one `heed bench --json` line appended to
# $out/NAME.jsonl. fp32, the default, is not passed, so builds older than --precision compare too.
run() {
  local precision=()
  [ "$4" = fp32 ] || precision=(--precision "$4")
  if ! "$2" bench --workload "$5" --threads "$3" "${precision[@]}" --steps "$steps" \
    --warmup "$warmup" --json >"$out/stdout" 2>"$out/stderr"; then
    echo "ab.sh: failed: $2 bench --workload $5" >&2
    cat "$out/stderr" >&2
    exit 1
  fi
  tail -n 1 "$out/stdout" >>"$out/$1.jsonl"
}

# Odd rounds run A first, even rounds B first (ABBA...), so neither side always runs second.
for w in "${workloads[@]}"; do
  for r in $(seq "$rounds"); do
    echo "ab.sh: $w round $r/$rounds" >&2
    if [ $((r % 2)) -eq 1 ]; then
      run "a-$w" "$a" "$a_threads" "$a_precision" "$w"
      run "b-$w" "$b" "$b_threads" "$b_precision" "$w"
    else
      run "b-$w" "$b" "$b_threads" "$b_precision" "$w"
      run "a-$w" "$a" "$a_threads" "$a_precision" "$w"
    fi
  done
done

python3 - "$out" "$rounds" "$a" "$a_threads" "$a_precision" "$b" "$b_threads" "$b_precision" \
  "${workloads[@]}" <<'PY'
import json, os, statistics, sys

out, rounds, a, a_threads, a_precision, b, b_threads, b_precision = sys.argv[1:9]
workloads = sys.argv[9:]


def runs(name):
    with open(os.path.join(out, name + ".jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def commit(rs):
    return rs[-1].get("heed_commit", "?")


first = runs("a-" + workloads[0]), runs("b-" + workloads[0])
print(f"A: {a} ({commit(first[0])}), {a_threads} threads, {a_precision}")
print(f"B: {b} ({commit(first[1])}), {b_threads} threads, {b_precision}")
print(f"median target tokens/s over {rounds} alternating round(s)")
print(f"{'workload':<11} {'A tok/s':>9} {'B tok/s':>9} {'B/A':>6}  {'A min-max':>15}  "
      f"{'B min-max':>15}  final loss A / B")
for w in workloads:
    ra, rb = runs("a-" + w), runs("b-" + w)
    ta = [r["tokens_per_s"] for r in ra]
    tb = [r["tokens_per_s"] for r in rb]
    ma, mb = statistics.median(ta), statistics.median(tb)
    span = lambda t: f"{min(t):.0f}-{max(t):.0f}"
    print(f"{w:<11} {ma:>9.0f} {mb:>9.0f} {mb / ma:>5.2f}x  {span(ta):>15}  {span(tb):>15}  "
          f"{ra[-1]['final_loss']:.5f} / {rb[-1]['final_loss']:.5f}")
PY
