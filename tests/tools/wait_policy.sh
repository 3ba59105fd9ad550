#!/usr/bin/env bash
# heed's OpenMP workers spin briefly before they sleep unless the user chose (framework/runtime.h):
# `heed info` reports the policy in effect; the re-executed program keeps its arguments.
# Usage: wait_policy.sh HEED_BINARY SOURCE_DIR
set -uo pipefail
heed=${1:?usage: wait_policy.sh HEED_BINARY SOURCE_DIR}
fail() {
  echo "FAIL: $*"
  exit 1
}
clean=(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT)

out=$("${clean[@]}" "$heed" info) || fail "heed info failed"
grep -qx 'OpenMP waits: spin 1000, then sleep (GOMP_SPINCOUNT)' <<<"$out" ||
  fail "not short spins by default: $out"
out=$("${clean[@]}" OMP_WAIT_POLICY=active "$heed" info)
grep -qx 'OpenMP waits: OMP_WAIT_POLICY=active' <<<"$out" ||
  fail "the user's OMP_WAIT_POLICY not kept: $out"
out=$("${clean[@]}" GOMP_SPINCOUNT=42 "$heed" info)
grep -qx 'OpenMP waits: spin 42, then sleep (GOMP_SPINCOUNT)' <<<"$out" ||
  fail "the user's GOMP_SPINCOUNT not kept: $out"
# The arguments survive the re-exec: a version flag and a refused option with its exit code.
"${clean[@]}" "$heed" --version | grep -q '^heed ' || fail "--version lost"
"${clean[@]}" "$heed" bench --workload long-lm --seq-len 7 --steps 1 2>"${TMPDIR:-/tmp}/wp.$$"
rc=$?
grep -q 'even sequence length (got 7)' "${TMPDIR:-/tmp}/wp.$$" || fail "arguments lost: $(cat "${TMPDIR:-/tmp}/wp.$$")"
rm -f "${TMPDIR:-/tmp}/wp.$$"
[ "$rc" -eq 2 ] || fail "bad input exited $rc, not 2"
echo "PASS: short spins by default, the user's choice kept, arguments survive"
