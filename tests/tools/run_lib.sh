# Shared by the CLI reliability, experiment and MPI tests (determinism.sh, e2e_experiment.sh, ...):
# sourced with the test's arguments (HEED_BINARY SOURCE_DIR), it sets $heed, $cfg (their run,
# tests/data/crash_tiny.yaml) and $work (a scratch directory removed on exit).
heed=$1
cfg=$2/tests/data/crash_tiny.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "${0##*/}: $*" >&2; exit 1; }

# The run's metrics without the fields that measure time: what must be equal between runs.
metrics_without_timing() {
  sed -E 's/"elapsed_s":[^,}]*,?//; s/,?"tokens_per_s":[^,}]*//' "$1/metrics.jsonl"
}

# Fails unless runs $1 and $2 have byte-identical final and best parameters and the same metrics
# (timing fields aside). $3 names the comparison in the failure message.
same_run() {
  local a=$1 b=$2 what=$3 last
  last=$(cd "$a/checkpoints" && ls -d step_* | grep -v '\.' | sort | tail -1)
  [ -n "$last" ] || fail "$what: $a has no step checkpoint"
  cmp -s "$a/checkpoints/$last/model.safetensors" "$b/checkpoints/$last/model.safetensors" ||
    fail "$what: $last/model.safetensors differs"
  cmp -s "$a/checkpoints/best/model.safetensors" "$b/checkpoints/best/model.safetensors" ||
    fail "$what: best/model.safetensors differs"
  diff <(metrics_without_timing "$a") <(metrics_without_timing "$b") >"$work/metrics.diff" ||
    fail "$what: metrics.jsonl differs: $(head -4 "$work/metrics.diff")"
}

# An experiment's results.csv ($1/results.csv) without its timing and resource columns (names
# ending in _s or _mb): what must be equal between runs of one experiment.
results() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) keep[i] = ($i !~ /_(s|mb)$/) }
           { line = ""; for (i = 1; i <= NF; i++) if (keep[i]) line = line $i ","; print line }' \
    "$1/results.csv"
}
