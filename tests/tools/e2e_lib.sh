# Shared by the CLI end-to-end tests (e2e_copy.sh, e2e_file.sh, e2e_listops.sh): sourced with the
# test's arguments (HEED_BINARY SOURCE_DIR), it sets $heed, $src, $py and $work (a scratch
# directory removed on exit) and defines fail, train_run and expect_stop_at.
heed=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3

fail() { echo "${0##*/}: $*" >&2; exit 1; }

# Trains config $1 into $work/run, its output in $work/train.out and $work/train.err.
train_run() {
  "$heed" train "$1" --set out_dir="$work/run" >"$work/train.out" 2>"$work/train.err" ||
    fail "train failed: $(tail -3 "$work/train.err")"
}

# Fails unless that run ended by reaching its stop_at target.
expect_stop_at() {
  grep -q '^stop_at after' "$work/train.out" || fail "did not reach stop_at: $(cat "$work/train.out")"
}
