#!/usr/bin/env bash
# End-to-end through the CLI on the small copy config (tests/data/copy_small.yaml):
#  1. train to >= 99% exact-sequence accuracy (stop_at) and write its report (report.html linking
#  plots/ and attention/ PNGs), 2. evaluate the run from its checkpoint with `heed eval`, 3. export the parameters and read them back with the stdlib reader,
#  4. Ctrl-C (SIGINT) a run: exit 130 with a checkpoint, then resume it to the end,
#  5. a run stopped at step 80 and resumed to 120 ends with parameters byte-identical to an
#  uninterrupted 120-step run (dropout on, so the generator state is resumed too).
# Usage: e2e_copy.sh HEED_BINARY SOURCE_DIR
set -euo pipefail
source "$2/tests/tools/e2e_lib.sh"
cfg=$src/tests/data/copy_small.yaml

train_run "$cfg"
expect_stop_at
for f in config.yaml run.json metrics.jsonl checkpoints/best/model.safetensors; do
  [ -e "$work/run/$f" ] || fail "run directory lacks $f"
done
# The report: curves, attention maps and a page whose every picture exists and is a PNG.
"$py" - "$work/run" <<'PY' || fail "report incomplete: $(ls -R "$work/run")"
import os, re, sys
run = sys.argv[1]
html = open(os.path.join(run, "report.html")).read()
srcs = set(re.findall(r'src="([^"]+)"', html))
need = {"plots/loss.png", "plots/accuracy.png", "attention/layer0_head0.png"}
assert need <= srcs, srcs
for s in srcs:
    assert open(os.path.join(run, s), "rb").read(8) == b"\x89PNG\r\n\x1a\n", s
PY

json=$("$heed" eval "$work/run" --json --examples 1000)
"$py" - "$json" <<'PY' || fail "eval below target: $json"
import json, sys
d = json.loads(sys.argv[1])
assert d["eval"]["examples"] == 1000 and d["eval"]["exact_seq_acc"] >= 0.99, d
PY

"$heed" export "$work/run" --to "$work/model.safetensors" >/dev/null
"$py" "$src/tests/tools/safetensors_py.py" dump "$work/model.safetensors" >"$work/dump.json"
"$py" - "$work/dump.json" <<'PY' || fail "exported file has the wrong tensors"
import json, sys
d = json.load(open(sys.argv[1]))
names = [t["name"] for t in d["tensors"]]
assert "embed.embed.weight" in names and "out.weight" in names, names
assert not any(n.startswith("optimizer") or n in ("step", "rng") for n in names), names
PY

# Ctrl-C: a long run interrupted after a few seconds writes a checkpoint and exits 130.
set +e
timeout --preserve-status -s INT 4 "$heed" train "$cfg" --set out_dir="$work/int" --set train.steps=1000000 \
  --set 'train.stop_at={}' >"$work/int.out" 2>"$work/int.err"
rc=$?
set -e
[ $rc -eq 130 ] || fail "interrupted run exited $rc, want 130: $(tail -2 "$work/int.err")"
ls -d "$work"/int/checkpoints/step_* >/dev/null 2>&1 || fail "no checkpoint after Ctrl-C"
step=$(basename "$(ls -d "$work"/int/checkpoints/step_* | sort | tail -1)" | sed 's/step_0*//')
"$heed" train --resume "$work/int" --set train.steps=$((step + 20)) >"$work/res.out" 2>"$work/res.err" ||
  fail "resume failed: $(tail -2 "$work/res.err")"
grep -q "after $((step + 20)) steps" "$work/res.out" || fail "resume did not finish: $(cat "$work/res.out")"

# Resume equals uninterrupted, byte for byte. The schedule is constant because a cosine schedule
# depends on train.steps, which the two legs of run b set differently.
common=(--set model.dropout=0.1 --set train.schedule.type=constant --set 'train.stop_at={}' --set train.checkpoint_every=40
  --set train.eval_every=40 --set train.eval_examples=50 --set train.keep_checkpoints=10)
"$heed" train "$cfg" "${common[@]}" --set out_dir="$work/a" --set train.steps=120 >/dev/null 2>&1
"$heed" train "$cfg" "${common[@]}" --set out_dir="$work/b" --set train.steps=80 >/dev/null 2>&1
"$heed" train --resume "$work/b" --set train.steps=120 >/dev/null 2>&1
cmp -s "$work/a/checkpoints/step_00000120/model.safetensors" "$work/b/checkpoints/step_00000120/model.safetensors" ||
  fail "resumed parameters differ from the uninterrupted run"
"$py" - "$work/a/metrics.jsonl" "$work/b/metrics.jsonl" <<'PY' || fail "resumed losses differ"
import json, sys
def losses(p):
    return [(j["step"], j["loss"]) for j in map(json.loads, open(p)) if "loss" in j and "eval" not in j]
a, b = losses(sys.argv[1]), losses(sys.argv[2])
assert a == b, (a, b)
PY
echo "e2e: all passed"
