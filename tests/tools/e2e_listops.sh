#!/usr/bin/env bash
# End-to-end through the CLI on a tree task (tests/data/listops_tiny.yaml: ListOps, a one-layer
# child_attention tree encoder): 1. train, 2. `heed eval --json` reports `accuracy`, 3. `heed
# predict` reads an S-expression and prints a class 0-9, and a bad one is one "input:LINE:COL"
# line with exit 2, 4. the report draws attention maps, 5. a tree variant with a sequence model is
# a config error naming the key (exit 2), 6. `heed list` shows the tree tasks and models, 7. `heed
# data` writes the examples a run draws as a tree file that the shipped tree-file config
# (configs/listops_file.yaml, shortened) trains on, and its run predicts and scores files.
# Usage: e2e_listops.sh HEED_BINARY SOURCE_DIR
set -euo pipefail
source "$2/tests/tools/e2e_lib.sh"
cfg=$src/tests/data/listops_tiny.yaml

train_run "$cfg"
grep -q 'tree_encoder model, [0-9]* parameters' "$work/train.err" || fail "no parameter count"

json=$("$heed" eval "$work/run" --json)
"$py" - "$json" <<'PY' || fail "eval: $json"
import json, sys
d = json.loads(sys.argv[1])["eval"]
assert d["examples"] == 500 and d["accuracy"] == d["exact_seq_acc"] and d["accuracy"] > 0.5, d
PY

out=$("$heed" predict "$work/run" "[MAX 2 9 [MIN 4 7 ] 0 ]" 2>/dev/null)
[[ "$out" =~ ^[0-9]$ ]] || fail "predict printed '$out', want one class 0-9"
set +e
"$heed" predict "$work/run" "[MAX 2 9 [MIN 4 7 ] 0" >/dev/null 2>"$work/bad.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "a bad S-expression exited $rc, want 2"
grep -q '^heed: predict: input:1:[0-9]*: ' "$work/bad.err" || fail "bad S-expression: $(cat "$work/bad.err")"
[ "$(wc -l <"$work/bad.err")" -eq 1 ] || fail "bad S-expression: more than one line"

[ -s "$work/run/attention/layer0_head0.png" ] || fail "no attention picture"

set +e
"$heed" train "$cfg" --set model.type=classifier --set model.attention.type=tree_mask \
  --set out_dir="$work/bad" >/dev/null 2>"$work/cfg.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "a tree variant with a sequence model exited $rc, want 2"
grep -q 'model.attention.type' "$work/cfg.err" || fail "config error: $(cat "$work/cfg.err")"

"$heed" list tasks | grep -q '^listops ' || fail "heed list tasks lacks listops"
"$heed" list models | grep -q '^tree_encoder ' || fail "heed list models lacks tree_encoder"
# 7. Trees through files: heed data -> task file, format tree.
"$heed" data "$cfg" --examples 300 >"$work/train.tsv"
"$heed" data "$cfg" --split valid --examples 100 >"$work/valid.tsv"
[ "$(wc -l <"$work/train.tsv")" -eq 300 ] || fail "heed data wrote $(wc -l <"$work/train.tsv") lines"
grep -qP '^\[(MIN|MAX|MED|SM) .*\]\t[0-9]$' "$work/train.tsv" || fail "heed data: $(head -2 "$work/train.tsv")"
"$heed" train "$src/configs/listops_file.yaml" --set task.train="$work/train.tsv" \
  --set task.valid="$work/valid.tsv" --set train.steps=60 --set train.eval_every=30 \
  --set out_dir="$work/file_run" >/dev/null 2>"$work/file.err" || fail "tree-file train: $(tail -3 "$work/file.err")"
[ -s "$work/file_run/vocab.txt" ] || fail "tree-file run lacks vocab.txt"
out=$("$heed" predict "$work/file_run" "[SM 3 [MAX 4 8 ] ]" 2>/dev/null)
[[ "$out" =~ ^[0-9]$ ]] || fail "tree-file predict printed '$out'"
json=$("$heed" eval "$work/file_run" --data "$work/valid.tsv" --json)
"$py" - "$json" <<'PY' || fail "tree-file eval --data: $json"
import json, sys
d = json.loads(sys.argv[1])["data"]
assert d["examples"] == 100 and 0 <= d["accuracy"] <= 1, d
PY
echo "e2e_listops: all passed"
