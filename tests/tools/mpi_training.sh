#!/usr/bin/env bash
# Data-parallel training under mpirun (docs/distributed.md) on tests/data/crash_tiny.yaml (dropout
# on, batch 16):
#  - 2 and 3 ranks (3: an uneven split 6/5/5) give the single-process loss curve and evaluations
#    within 1e-5 relative over 50 steps, with one set of outputs;
#  - two runs on 2 ranks are bitwise identical;
#  - a checkpoint written by 2 ranks resumes on 1, and one written by 1 resumes on 2, ending as
#    the uninterrupted run (within 1e-5);
#  - a rank killed mid-run ends the job at once, and a hung rank within dist.timeout_s, with one
#    line naming the cause; the last checkpoint resumes;
#  - SIGTERM to mpirun (a scheduler's preemption) and SIGINT (Ctrl-C) give one checkpoint and a
#    clean stop; a model whose dropout is not batch-major is refused with one line;
#  - `mpirun -np 2 heed experiment` spreads the runs over the ranks (each a process of its own)
#    and writes the results a single process writes.
# Usage: mpi_training.sh HEED_BINARY SOURCE_DIR
set -euo pipefail
source "$2/tests/tools/run_lib.sh"
# Containers often forbid the cross-memory-attach single-copy transfers of OpenMPI's shared-memory
# transport.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpirun=(mpirun --oversubscribe --allow-run-as-root)
mpi() { "${mpirun[@]}" -np "$1" "${@:2}"; }
short=(--set train.steps=50)

# Fails unless the metrics of runs $1 and $2 agree within 1e-5 relative, line by line.
close_runs() {
  local what=$3
  paste -d'\n' <(metrics_without_timing "$1") <(metrics_without_timing "$2") | awk -v what="$what" '
    function nums(s, out,   n, m) {
      n = 0
      while (match(s, /-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) {
        out[++n] = substr(s, RSTART, RLENGTH) + 0; s = substr(s, RSTART + RLENGTH)
      }
      return n
    }
    NR % 2 == 1 { a = $0; next }
    {
      na = nums(a, x); nb = nums($0, y)
      if (na != nb) { print what ": line " NR / 2 " differs in shape: " a " / " $0; bad = 1; exit }
      for (i = 1; i <= na; i++) {
        d = x[i] - y[i]; if (d < 0) d = -d
        m = x[i] < 0 ? -x[i] : x[i]
        if (d > 1e-5 * m + 1e-9) { print what ": line " NR / 2 ": " a " / " $0; bad = 1; exit }
      }
      lines++
    }
    END { if (!bad && lines == 0) { print what ": no metrics"; bad = 1 } exit bad }' >&2 ||
    fail "$what: metrics differ beyond 1e-5"
}

"$heed" train "$cfg" --set out_dir="$work/one" "${short[@]}" >/dev/null 2>"$work/err" ||
  fail "single process: $(tail -1 "$work/err")"
for n in 2 3; do
  mpi "$n" "$heed" train "$cfg" --set out_dir="$work/np$n" "${short[@]}" >"$work/out" \
    2>"$work/err" || fail "$n ranks: $(tail -3 "$work/err")"
  close_runs "$work/one" "$work/np$n" "$n ranks against one process"
  [ "$(grep -c '^steps after 50 steps' "$work/out")" -eq 1 ] ||
    fail "$n ranks: want one summary line, got: $(cat "$work/out")"
done

# Bitwise reproducible on the same number of ranks.
mpi 2 "$heed" train "$cfg" --set out_dir="$work/np2b" "${short[@]}" >/dev/null 2>"$work/err" ||
  fail "2 ranks, again: $(tail -3 "$work/err")"
same_run "$work/np2" "$work/np2b" "two runs on 2 ranks"

# Resume across rank counts: killed at step 23 (checkpoint 20), resumed on the other count.
kill23() { (HEED_TEST_KILL_AT=after_step:23 "$@" >/dev/null 2>&1 || true) 2>/dev/null; }
kill23 mpi 2 -x HEED_TEST_KILL_AT "$heed" train "$cfg" --set out_dir="$work/r21" "${short[@]}"
[ -d "$work/r21/checkpoints/step_00000020" ] || fail "2 ranks killed at step 23: no checkpoint 20"
"$heed" train --resume "$work/r21" >/dev/null 2>"$work/err" || fail "2 -> 1: $(tail -1 "$work/err")"
close_runs "$work/one" "$work/r21" "resumed from 2 ranks on 1"
kill23 "$heed" train "$cfg" --set out_dir="$work/r12" "${short[@]}"
mpi 2 "$heed" train --resume "$work/r12" >/dev/null 2>"$work/err" ||
  fail "1 -> 2: $(tail -3 "$work/err")"
close_runs "$work/one" "$work/r12" "resumed from 1 rank on 2"

# start_long NAME [ARGS]: a long run on 2 ranks in the background; $job is mpirun's pid, once the
# run has logged step 30.
start_long() {
  "${mpirun[@]}" -np 2 "$heed" train "$cfg" --set out_dir="$work/$1" --set train.steps=1000000 \
    "${@:2}" >"$work/$1.out" 2>"$work/$1.err" &
  job=$!
  for _ in $(seq 600); do
    grep -q '"step":30,' "$work/$1/metrics.jsonl" 2>/dev/null && return
    sleep 0.1
  done
  fail "$1: the run never logged step 30: $(tail -3 "$work/$1.err")"
}
# ends_within SECONDS NAME: mpirun ($job) exits, non-zero, within SECONDS.
ends_within() {
  for _ in $(seq $(($1 * 10))); do
    kill -0 "$job" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$job" 2>/dev/null; then
    kill -9 "$job"
    fail "$2: the job still runs after $1 s"
  fi
  set +e
  wait "$job"
  rc=$?
  set -e
}

# A rank killed: the job ends, and the last checkpoint resumes.
start_long dead
kill -9 "$(pgrep -P "$job" | tail -1)"
ends_within 30 "a rank killed"
[ "$rc" -ne 0 ] || fail "a rank killed: mpirun exited 0"
"$heed" train --resume "$work/dead" --set train.steps=200 >/dev/null 2>"$work/err" ||
  fail "a rank killed: the last checkpoint does not resume: $(tail -1 "$work/err")"

# A rank that hangs (stopped): the other gives up after dist.timeout_s with one line.
start_long hung --set dist.timeout_s=3
kill -STOP "$(pgrep -P "$job" | tail -1)"
ends_within 30 "a hung rank"
grep -q "no answer from the other ranks for [0-9]* s during step" "$work/hung.err" ||
  fail "a hung rank: no timeout line: $(tail -3 "$work/hung.err")"
pkill -9 -f "out_dir=$work/hung" 2>/dev/null || true

# SIGTERM to mpirun: every rank stops at the same step; rank 0 checkpoints it and says so.
start_long term
kill -TERM "$job"
ends_within 30 "SIGTERM"
grep -q "Continue with: heed train --resume $work/term" "$work/term.err" ||
  fail "SIGTERM: no resume line: $(tail -3 "$work/term.err")"
last=$(sed -nE 's/.*"step":([0-9]+).*/\1/p' "$work/term/metrics.jsonl" | tail -1)
[ -d "$work/term/checkpoints/$(printf 'step_%08d' "$last")" ] ||
  fail "SIGTERM: no checkpoint of the last step ($last)"
# Ctrl-C under mpirun: the same coordinated stop.
start_long int
kill -INT "$job"
ends_within 30 "SIGINT"
grep -q "Continue with: heed train --resume $work/int" "$work/int.err" ||
  fail "SIGINT: no resume line: $(tail -3 "$work/int.err")"

# Dropout over a tensor that is not batch-major (child_attention composes the nodes of a tree
# level across the batch) cannot be split: one line, and the job ends.
set +e
mpi 2 "$heed" train "$2/configs/listops_child.yaml" --set out_dir="$work/child" \
  --set model.dropout=0.1 --set train.steps=2 >/dev/null 2>"$work/child.err"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "child_attention with dropout on 2 ranks: exit 0"
grep -q "not batch-major" "$work/child.err" ||
  fail "child_attention with dropout on 2 ranks: no line naming why: $(tail -3 "$work/child.err")"

# An experiment spread over 2 ranks: each trains its share, rank 0 writes the results.
cat >"$work/exp.yaml" <<YAML
base: $cfg
set: {train.steps: 20, train.eval_every: 10}
grid: {model.attention.type: [mha, alibi]}
seeds: [0, 1]
YAML
"$heed" experiment "$work/exp.yaml" --out "$work/e1" >/dev/null 2>"$work/err" ||
  fail "experiment, one process: $(tail -1 "$work/err")"
mpi 2 "$heed" experiment "$work/exp.yaml" --out "$work/e2" >"$work/e2.out" 2>"$work/err" ||
  fail "experiment, 2 ranks: $(tail -3 "$work/err")"
diff <(results "$work/e1") <(results "$work/e2") >&2 ||
  fail "experiment: 2 ranks' results.csv differs from one process's"
echo "mpi_training: ok"
