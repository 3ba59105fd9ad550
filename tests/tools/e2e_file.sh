#!/usr/bin/env bash
# End-to-end through the CLI on the `file` task (configs/file_example.yaml, English number words
# to French): 1. train to >= 99% exact-sequence accuracy on the validation file, 2. `heed predict`
# maps words to ids and back, 3. `heed eval --data` scores another file in the run's vocabulary,
# 4. `heed export` carries the vocabulary, 5. a broken data file is one "FILE:LINE: ..." line and
# exit code 2.
# Usage: e2e_file.sh HEED_BINARY SOURCE_DIR
set -euo pipefail
source "$2/tests/tools/e2e_lib.sh"
cfg=$src/configs/file_example.yaml

train_run "$cfg"
expect_stop_at
[ -s "$work/run/vocab.txt" ] || fail "run directory lacks vocab.txt"

out=$("$heed" predict "$work/run" "three one four" 2>/dev/null)
[ "$out" = "trois un quatre" ] || fail "predict gave '$out', want 'trois un quatre'"

printf 'seven three eight\tsept trois huit\nfour nine two six\tquatre neuf deux six\nfive zebra\tcinq zebra\n' >"$work/other.tsv"
json=$("$heed" eval "$work/run" --data "$work/other.tsv" --json)
"$py" - "$json" <<'PY' || fail "eval --data: $json"
import json, sys
d = json.loads(sys.argv[1])["data"]
assert d["examples"] == 3 and abs(d["exact_seq_acc"] - 2 / 3) < 1e-9, d
PY

"$heed" export "$work/run" --to "$work/model.safetensors" >/dev/null
"$py" "$src/tests/tools/safetensors_py.py" dump "$work/model.safetensors" >"$work/dump.json"
"$py" - "$work/dump.json" <<'PY' || fail "exported file lacks the vocabulary"
import json, sys
words = json.load(open(sys.argv[1]))["metadata"]["vocab"].split("\n")
assert words[:5] == ["<pad>", "<bos>", "<eos>", "<unk>", "cinq"], words[:5]
PY

printf 'one\tun\ntwo deux\n' >"$work/bad.tsv"
set +e
"$heed" train "$cfg" --set task.train="$work/bad.tsv" --set out_dir="$work/bad" >/dev/null 2>"$work/bad.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "a broken data file exited $rc, want 2"
want="heed: $work/bad.tsv:2: no TAB between source and target (expected source<TAB>target)"
[ "$(cat "$work/bad.err")" = "$want" ] || fail "broken data file said: $(cat "$work/bad.err")"
echo "e2e_file: all passed"
