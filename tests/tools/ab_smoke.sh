#!/usr/bin/env bash
# Smoke test of benchmarks/ab.sh: one short round of copy-tiny, the same build at 1 and at 2
# threads; checks the table's header and row, the same build at fp32 against bf16, and that bad
# options exit 2. Times nothing worth reading (two steps are noise).
# Usage: ab_smoke.sh HEED_BINARY SOURCE_DIR
set -uo pipefail
heed=${1:?usage: ab_smoke.sh HEED_BINARY SOURCE_DIR}
src=${2:?usage: ab_smoke.sh HEED_BINARY SOURCE_DIR}
fail() {
  echo "FAIL: $*"
  exit 1
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$src/benchmarks/ab.sh" --a "$heed" --a-threads 1 --b "$heed" --rounds 1 --steps 2 --warmup 0 \
  copy-tiny >"$out"
rc=$?
cat "$out"
[ "$rc" -eq 0 ] || fail "ab.sh exited $rc"
grep -q "^A: $heed (.*), 1 threads, fp32\$" "$out" || fail "no line naming A"
grep -q "^B: $heed (.*), 2 threads, fp32\$" "$out" || fail "no line naming B"
grep -q '^workload .*A tok/s.*B tok/s.*B/A.*A min-max.*B min-max.*final loss A / B' "$out" ||
  fail "no table header"
num='[0-9]+(\.[0-9]+)?'
row=$(grep -E "^copy-tiny +$num +$num +$num""x +$num-$num +$num-$num +$num / $num\$" "$out") ||
  fail "no well-formed copy-tiny row"
# One build at two thread counts computes the same thing: the same final loss.
read -r -a cols <<<"$row"
[ "${cols[6]}" = "${cols[8]}" ] || fail "final losses differ: ${cols[6]} / ${cols[8]}"

# fp32 against bf16: named on the B line, and the bf16 products give another final loss.
"$src/benchmarks/ab.sh" --a "$heed" --b "$heed" --b-precision bf16 --rounds 1 --steps 2 \
  --warmup 0 copy-tiny >"$out" || fail "ab.sh with --b-precision bf16 failed"
grep -q "^B: $heed (.*), 2 threads, bf16\$" "$out" || fail "no line naming B's precision"
read -r -a cols <<<"$(grep '^copy-tiny ' "$out")"
[ "${cols[6]}" != "${cols[8]}" ] || fail "bf16 gave fp32's final loss ${cols[6]}"

for bad in "--a $heed" "--a $heed --b $heed --rounds 0" "--a $heed --b $heed no-such-workload" \
  "--a /nonexistent --b $heed" "--a $heed --b $heed --frobnicate 1" \
  "--a $heed --b $heed --b-precision fp16"; do
  # shellcheck disable=SC2086  # word splitting of the option list is the point
  "$src/benchmarks/ab.sh" $bad >/dev/null 2>"$out.err"
  rc=$?
  [ "$rc" -eq 2 ] || fail "ab.sh $bad exited $rc, not 2"
  [ -s "$out.err" ] || fail "ab.sh $bad said nothing"
done
rm -f "$out.err"
echo "PASS: ab.sh printed the table; bad options exit 2"
