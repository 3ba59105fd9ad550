#!/usr/bin/env bash
# Smoke test of benchmarks/compare.sh: one short round of copy-tiny (2 timed steps, no warm-up)
# through heed and the PyTorch reference, then checks that the table, the BLAS line and, for
# netlib's reference BLAS, the warning are printed. Times nothing worth reading: the figures of
# two steps are noise; docs/benchmarks.md has the real measurement.
# Without PyTorch it skips (exit 77), except under CI=true, where it fails: CI must run it.
# Usage: compare_smoke.sh HEED_BINARY SOURCE_DIR
set -uo pipefail
heed=${1:?usage: compare_smoke.sh HEED_BINARY SOURCE_DIR}
src=${2:?usage: compare_smoke.sh HEED_BINARY SOURCE_DIR}

if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  if [ "${CI:-}" = true ]; then
    echo "FAIL: python3-torch is missing in CI (apt-get install python3-torch)"
    exit 1
  fi
  echo "SKIP: python3-torch not installed"
  exit 77
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$src/benchmarks/compare.sh" --heed "$heed" --rounds 1 --steps 2 --warmup 0 --threads 2 \
  copy-tiny >"$out"
rc=$?
cat "$out"
fail() {
  echo "FAIL: $*"
  exit 1
}
[ "$rc" -eq 0 ] || fail "compare.sh exited $rc"

header='^workload .*heed tok/s.*torch tok/s.*torch tuned.*heed/best.*heed RSS MB.*torch RSS MB'
grep -q "$header" "$out" || fail "no table header"
# copy-tiny  heed  torch  tuned  ratio x  heed-RSS  torch-RSS  loss / loss / loss
num='[0-9]+(\.[0-9]+)?'
grep -Eq "^copy-tiny +$num +$num +$num +$num""x +$num +$num +$num / $num / $num\$" "$out" ||
  fail "no well-formed copy-tiny row"
blas=$(grep -E '^PyTorch .* BLAS: .+' "$out") || fail "no line naming PyTorch's BLAS"
if grep -q 'netlib' <<<"$blas"; then
  grep -q '^WARNING: .*reference BLAS.*apt-get install libopenblas0-pthread' "$out" ||
    fail "netlib's reference BLAS in use but no warning printed"
else
  ! grep -q '^WARNING' "$out" || fail "a BLAS warning printed for: $blas"
fi
echo "PASS: compare.sh printed the table and the BLAS line ($blas)"
