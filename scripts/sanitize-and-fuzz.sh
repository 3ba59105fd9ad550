#!/usr/bin/env bash
# CI's second stage (.ci/run, after ./run-tests): one clang build with AddressSanitizer and
# UndefinedBehaviorSanitizer (+ libFuzzer coverage), the caching allocator bypassed so ASan sees
# every tensor buffer; runs the unit, hostile-input and crash tests there, then each libFuzzer target
# from its seed corpus in fuzz/corpus/ with a fixed seed and run count. Any sanitizer report,
# failed test or fuzzer finding fails the stage. docs/reliability.md records what it runs.
# The build leaves MPI out (HEED_MPI=OFF), so the single-process path stays built and tested.
#
# Environment (all optional):
#   HEED_ASAN_BUILD     build directory (default: build-asan beside this script's repo)
#   HEED_ASAN_LAUNCHER  compiler launcher for a developer's build, e.g. ccache (CI uses none)
#   HEED_FUZZ_SCALE     multiplies every fuzzer's run count (default 1)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/deps.sh"
heed_install_missing "${heed_packages[@]}" clang-14 libclang-rt-14-dev libomp-14-dev
build=${HEED_ASAN_BUILD:-$root/build-asan}
scale=${HEED_FUZZ_SCALE:-1}
stage_start=$SECONDS
phase() { echo "sanitize-and-fuzz: $1 (${2}s)" >&2; }

# Every report is fatal, and a stack trace says where.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

if [ ! -f "$build/build.ninja" ]; then
  launcher=()
  [ -n "${HEED_ASAN_LAUNCHER:-}" ] && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER="$HEED_ASAN_LAUNCHER")
  # Release optimizes as CI's main build does; line tables make the reports name source lines.
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -gline-tables-only" \
    -DHEED_SANITIZE=ON -DHEED_BUILD_FUZZERS=ON -DHEED_NATIVE=ON -DHEED_MPI=OFF \
    -DHEED_BUILD_BENCHMARKS=OFF -DHEED_BUILD_EXAMPLES=OFF >/dev/null
fi
t=$SECONDS
cmake --build "$build"
phase "build" $((SECONDS - t))

# Unit tests, the hostile-input corpus and the crash tests (SIGKILL + resume, determinism,
# divergence). A test labelled "slow" would stay out: none needs it today.
t=$SECONDS
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" -L 'unit|hostile|crash' -LE slow
phase "tests" $((SECONDS - t))

# One fuzzer: from a scratch directory (libFuzzer adds the inputs it finds to the first corpus
# directory; the committed seeds must stay as they are) and the committed seeds, deterministic
# (-seed, -runs, one process), fatal on any crash, leak, timeout or out-of-memory.
fuzz() {
  local name=$1 runs=$(($2 * scale)) work
  work=$(mktemp -d)
  local t=$SECONDS
  if ! "$build/bin/fuzz_$name" -seed=1 -runs="$runs" -max_len=8192 -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" \
    "$work" "$root/fuzz/corpus/$name" >"$work/log" 2>&1; then
    tail -60 "$work/log" >&2
    echo "sanitize-and-fuzz: fuzz_$name found a failure; the input is in $work" >&2
    exit 1
  fi
  phase "fuzz_$name -seed=1 -runs=$runs: $(grep -o 'stat::number_of_executed_units: *[0-9]*' \
    "$work/log" | grep -o '[0-9]*$') executions" $((SECONDS - t))
  rm -rf "$work"
}
# Run counts chosen for 1-3 minutes each on this machine (docs/reliability.md has the times).
fuzz config 250000
fuzz safetensors 800000
fuzz tree_parser 1200000  # the tree S-expression parser (datasets/sexpr.h)

phase "whole stage" $((SECONDS - stage_start))
