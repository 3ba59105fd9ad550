#!/usr/bin/env bash
# heed against the PyTorch reference (benchmarks/torch_reference.py), side by side on this machine.
#
#   benchmarks/compare.sh [--heed PATH] [--rounds N] [--steps N] [--warmup N] [--threads N]
#                         [WORKLOAD...]
#
# Defaults: --heed build/bin/heed (of this checkout), 3 rounds, 60 timed steps after 10 warm-up
# steps, 2 threads, all three workloads (copy-tiny sort-small long-lm). Each round runs, one after
# the other, `heed bench`, the reference as shipped (OMP_WAIT_POLICY unset) and the reference
# tuned (OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset: idle OpenMP
# workers sleep instead of spinning against OpenBLAS's threads, and OpenBLAS picks its kernels
# for this CPU), so that drift in the machine's speed hits all three alike. It prints, per
# workload, the median tokens/s over the rounds, heed's ratio to the better PyTorch, the peak RSS
# of each and the last round's final losses (same seed: the two PyTorch runs give the same loss).
# It also prints which BLAS PyTorch calls, with a warning when it is netlib's reference BLAS.
#
# Needs /usr/bin/python3 with torch (Debian: apt-get install python3-torch libopenblas0-pthread).
# The machine must be otherwise idle: never run it while a build runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/args.sh"

usage() {
  sed -n '4,5p' "$0" | sed 's/^# \{0,3\}//' >&2
  exit 2
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
heed="$root/build/bin/heed"
rounds=3 steps=60 warmup=10 threads=2
workloads=()
while [ $# -gt 0 ]; do
  case "$1" in
    --heed) heed=${2:?--heed needs a path}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --steps) steps=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    -*) echo "compare.sh: unknown option $1" >&2; usage ;;
    *) workloads+=("$1"); shift ;;
  esac
done
[ ${#workloads[@]} -gt 0 ] || workloads=("${heed_workloads[@]}")
check_counts compare.sh "$rounds" "$steps" "$warmup" "$threads"
check_at_least_one compare.sh "--rounds, --steps and --threads" "$rounds" "$steps" "$threads"
check_workloads compare.sh "${workloads[@]}"

py=/usr/bin/python3   # Debian's torch; another python3 on PATH may lack it
reference="$root/benchmarks/torch_reference.py"
if [ ! -x "$heed" ]; then
  echo "compare.sh: no heed binary at $heed (build it, or pass --heed)" >&2
  exit 1
fi
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "compare.sh: $py cannot import torch" \
    "(apt-get install python3-torch libopenblas0-pthread)" >&2
  exit 1
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run NAME COMMAND...: one JSON line from COMMAND appended to $out/NAME.jsonl; stops on failure.
run() {
  local name=$1
  shift
  if ! "$@" >"$out/stdout" 2>"$out/stderr"; then
    echo "compare.sh: failed: $*" >&2
    cat "$out/stderr" >&2
    exit 1
  fi
  tail -n 1 "$out/stdout" >>"$out/$name.jsonl"
}

common=(--threads "$threads" --steps "$steps" --warmup "$warmup" --json)
for w in "${workloads[@]}"; do
  for r in $(seq "$rounds"); do
    echo "compare.sh: $w round $r/$rounds" >&2
    run "heed-$w" "$heed" bench --workload "$w" "${common[@]}"
    run "shipped-$w" env -u OMP_WAIT_POLICY "$py" "$reference" --workload "$w" "${common[@]}"
    run "tuned-$w" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE \
      "$py" "$reference" --workload "$w" "${common[@]}"
  done
done

"$py" - "$out" "$rounds" "$steps" "$warmup" "$threads" "${workloads[@]}" <<'PY'
import json, os, statistics, sys

out, rounds, steps, warmup, threads, workloads = sys.argv[1], *sys.argv[2:6], sys.argv[6:]


def runs(name):
    with open(os.path.join(out, name + ".jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


print(f"heed vs PyTorch: {threads} threads, {steps} timed steps after {warmup} warm-up, "
      f"median tokens/s over {rounds} round(s)")
header = (f"{'workload':<11} {'heed tok/s':>10} {'torch tok/s':>11} {'torch tuned':>11} "
          f"{'heed/best':>9} {'heed RSS MB':>11} {'torch RSS MB':>12}  "
          "final loss heed / torch / tuned")
print(header)
blas = {"as shipped": set(), "tuned": set()}
for w in workloads:
    heed, shipped, tuned = runs("heed-" + w), runs("shipped-" + w), runs("tuned-" + w)
    speed = [statistics.median(r["tokens_per_s"] for r in rs) for rs in (heed, shipped, tuned)]
    heed_rss = max(r["peak_rss_mb"] for r in heed)
    torch_rss = max(r["peak_rss_mb"] for r in shipped + tuned)
    losses = " / ".join(f"{rs[-1]['final_loss']:.5f}" for rs in (heed, shipped, tuned))
    ratio = speed[0] / max(speed[1], speed[2])
    print(f"{w:<11} {speed[0]:>10.0f} {speed[1]:>11.0f} {speed[2]:>11.0f} {ratio:>8.2f}x "
          f"{heed_rss:>11.0f} {torch_rss:>12.0f}  {losses}")
    blas["as shipped"].update(r.get("blas", "unknown") for r in shipped)
    blas["tuned"].update(r.get("blas", "unknown") for r in tuned)
    torch_version = shipped[-1].get("torch_version", "?")
print(f"PyTorch {torch_version} BLAS: " +
      "; ".join(f"{how} {', '.join(sorted(names))}" for how, names in blas.items()))
if any(b.startswith("netlib") for names in blas.values() for b in names):
    print("WARNING: PyTorch is calling netlib's reference BLAS (libblas.so.3), 5-10x slower "
          "than OpenBLAS, so these PyTorch figures understate it. Fix: "
          "apt-get install libopenblas0-pthread (then rerun).")
PY
