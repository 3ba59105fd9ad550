#!/usr/bin/env bash
# The layers hold: no file includes a header of a layer above its own. From the bottom up,
#   framework  <  datasets  <  models  <  train
# (docs/design.md, "Build targets": each layer is a library linking only those below it, so an
# upward include is a link error waiting for the first call, or a cycle). A file's layer is its
# top directory (framework/, datasets/, models/, train/); under tests/ it is the next one
# (tests/models/... tests models), and the helpers directly in tests/ (tests/test_util.h) are
# shared by every test binary, so they count as framework. An include names a layer the same way
# ("models/seq2seq.h", "tests/train/train_test_util.h"). Both #include "..." and <...> count.
# Prints FILE:LINE: what it includes and what the layer may include; exits 1 on any.
#
#   check_layers.sh SRC              check the tree at SRC
#   check_layers.sh --self-test SRC  copy SRC's layers to a scratch tree, check that it passes,
#                                    plant upward includes and check that each is reported
set -uo pipefail

layer_dirs=(framework datasets models train tests)

# Every include of a heed header in the layer directories, as FILE:LINE:TARGET, then awk ranks
# both ends. Comment lines are not includes, so the pattern is anchored at the line's start.
check() {
  local root out n
  root=$(realpath "$1")
  n=0
  for d in "${layer_dirs[@]}"; do [ -d "$root/$d" ] && n=$((n + 1)); done
  if [ "$n" -eq 0 ]; then
    echo "check_layers: no layer directory under $root" >&2
    return 1
  fi
  out=$(cd "$root" && grep -rnHE --include='*.h' --include='*.cpp' --include='*.in' \
    '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<](framework|datasets|models|train|tests)/' \
    -- $(for d in "${layer_dirs[@]}"; do [ -d "$d" ] && echo "$d"; done) |
    awk '
      function rank(path,   parts, n) {
        n = split(path, parts, "/")
        if (parts[1] == "tests") {
          if (n <= 2) return 0                # tests/test_util.h: shared, framework
          return (parts[2] in r) ? r[parts[2]] : 0
        }
        return (parts[1] in r) ? r[parts[1]] : -1
      }
      function layer_name(path,   parts, n) {
        n = split(path, parts, "/")
        if (parts[1] == "tests") return n <= 2 ? "a shared test helper" : parts[2]
        return parts[1]
      }
      BEGIN {
        r["framework"] = 0; r["datasets"] = 1; r["models"] = 2; r["train"] = 3
        allowed[0] = "framework"; allowed[1] = "framework, datasets"
        allowed[2] = "framework, datasets, models"
      }
      {
        file = $0; sub(/:.*/, "", file)
        rest = substr($0, length(file) + 2)
        line = rest; sub(/:.*/, "", line)
        text = substr(rest, length(line) + 2)
        target = text; sub(/^[^"<]*["<]/, "", target); sub(/[">].*$/, "", target)
        from = rank(file); to = rank(target)
        if (from >= 0 && to > from)
          printf "%s:%s: includes \"%s\", but %s may include only %s\n", file, line, target,
            layer_name(file), allowed[from]
      }')
  if [ -n "$out" ]; then
    printf '%s\n' "$out"
    echo "check_layers: the includes above point up the layers (framework < datasets < models < train)" >&2
    return 1
  fi
  echo "check_layers: no include points up the layers"
}

# A scratch copy of SRC's layer directories must pass; the same copy with one planted upward
# include per kind must report each of them, by file and line.
self_test() {
  local src tmp status=0 expect d
  src=$(realpath "$1")
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  for d in "${layer_dirs[@]}"; do [ -d "$src/$d" ] && cp -r "$src/$d" "$tmp/"; done
  if ! check "$tmp" >"$tmp/out" 2>&1; then
    echo "self-test: the copy of $src was rejected before anything was planted:"
    cat "$tmp/out"
    return 1
  fi
  mkdir -p "$tmp/framework" "$tmp/datasets" "$tmp/models" "$tmp/tests/framework" \
    "$tmp/tests/datasets"
  printf '#pragma once\n#include "framework/tensor.h"\n#include "train/config.h"\n' \
    >"$tmp/models/planted_up.h"
  printf '// ok\n#include <vector>\n\n#  include "models/seq2seq.h"\n' >"$tmp/framework/planted.cpp"
  printf '#include <datasets/batch.h>\n' >"$tmp/framework/planted_angle.h"
  printf '#include "datasets/batch.h"\n#include "models/decoding.h"\n' \
    >"$tmp/datasets/planted.cpp"
  printf '#include "tests/test_util.h"\n#include "tests/train/train_test_util.h"\n' \
    >"$tmp/tests/datasets/planted_test.cpp"
  printf '#include "datasets/tasks.h"\n' >"$tmp/tests/framework/planted_test.cpp"
  printf '#include "models/seq2seq.h"\n' >"$tmp/tests/planted_util.h"
  # Not violations: a comment naming an upper layer, and train including everything.
  printf '// see "train/config.h"\n// #include "train/config.h"\n' >"$tmp/framework/planted_ok.h"
  printf '#include "models/seq2seq.h"\n#include "datasets/tasks.h"\n' >"$tmp/train/planted_ok.cpp"
  if check "$tmp" >"$tmp/out" 2>&1; then
    echo "self-test: a tree with upward includes passed:"; cat "$tmp/out"; status=1
  fi
  for expect in models/planted_up.h:3: framework/planted.cpp:4: framework/planted_angle.h:1: \
    datasets/planted.cpp:2: tests/datasets/planted_test.cpp:2: \
    tests/framework/planted_test.cpp:1: tests/planted_util.h:1:; do
    grep -q "^$expect" "$tmp/out" || { echo "self-test: $expect not reported"; status=1; }
  done
  for d in framework/planted_ok.h train/planted_ok.cpp datasets/planted.cpp:1: \
    tests/datasets/planted_test.cpp:1:; do
    grep -q "^$d" "$tmp/out" && { echo "self-test: $d reported, but it is allowed"; status=1; }
  done
  echo "self-test: output on the planted tree:"
  sed 's/^/  /' "$tmp/out"
  [ "$status" -eq 0 ] && echo "check_layers self-test: every planted upward include reported"
  return "$status"
}

case "${1:-}" in
  --self-test) [ $# -eq 2 ] || { sed -n '12,14p' "$0" | sed 's/^# *//' >&2; exit 2; }; self_test "$2" ;;
  "" | -h | --help) sed -n '12,14p' "$0" | sed 's/^# *//' >&2; exit 2 ;;
  *) check "$1" ;;
esac
