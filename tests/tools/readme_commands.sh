#!/usr/bin/env bash
# Everything the README shows runs: every `./heed ...` command in the code blocks of README.md
# (or the Markdown files given) runs as written, in README order, in an empty temporary
# directory that holds a copy of configs/ and datasets/data/ — what a clone has. `./heed` there is
# a stand-in for the repository's wrapper that runs the built binary; training commands get
# overrides appended that shorten them (6 steps, or 12 for a resume, and small evaluations), so a
# command that trains a run prepares it for the commands after it (eval, predict, export, ...).
# Each command must exit 0.
# Usage: readme_commands.sh HEED_BINARY SOURCE_DIR [MARKDOWN...]
set -euo pipefail
heed=$1
src=$2
shift 2
[ $# -gt 0 ] || set -- "$src/README.md"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "${0##*/}: $*" >&2; exit 1; }

cp -r "$src/configs" "$work/configs"
mkdir -p "$work/datasets" && cp -r "$src/datasets/data" "$work/datasets/data"
cat >"$work/heed" <<WRAPPER
#!/usr/bin/env bash
if [ "\${1:-}" = train ]; then
  steps=6
  for a in "\$@"; do [ "\$a" = --resume ] && steps=12; done
  exec "$heed" "\$@" --set train.steps=\$steps --set train.eval_examples=16
fi
exec "$heed" "\$@"
WRAPPER
chmod +x "$work/heed"

# The commands: lines of fenced code blocks that start with ./heed, continuation lines joined.
/usr/bin/python3 - "$@" >"$work/commands" <<'PY'
import sys
for path in sys.argv[1:]:
    in_block, pending = False, ""
    for line in open(path, encoding="utf-8"):
        s = line.strip()
        if s.startswith("```"):
            in_block, pending = not in_block, ""
            continue
        if not in_block:
            continue
        if pending:
            s = pending + " " + s
            pending = ""
        elif not s.startswith("./heed"):
            continue
        if s.endswith("\\"):
            pending = s[:-1].rstrip()
            continue
        print(s)
PY
n=$(wc -l <"$work/commands")
[ "$n" -ge 10 ] || fail "found only $n ./heed commands in $*"
i=0
while IFS= read -r command; do
  i=$((i + 1))
  t0=$(date +%s%N)
  (cd "$work" && bash -c "$command") </dev/null >"$work/out" 2>"$work/err" ||
    fail "command $i of $n failed: $command
$(tail -3 "$work/err")"
  echo "ok $i/$n ($((($(date +%s%N) - t0) / 1000000)) ms): $command"
done <"$work/commands"
echo "readme_commands: all $n commands ran"
