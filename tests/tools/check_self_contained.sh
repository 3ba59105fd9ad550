#!/usr/bin/env bash
# The repository is self-contained: no file in it reads, runs, imports or points to anything
# beside the checkout. Scans every file git tracks (plus untracked files git does not ignore, so
# new work is checked before it is committed; without .git, every file outside build trees) for:
#   - the sibling directory of notes and scripts the project grew beside, in any spelling: a
#     parent-relative path to it, a path join of ".." parts ending in it, the environment
#     variable that used to name it, or its subfolders (bench, notes, the design file);
#   - absolute paths into the workspace the repository was developed in;
#   - Markdown links and inline `code` paths that start with ../ and resolve outside the root
#     (links from the file's folder; inline paths also from the root, as the docs write paths).
# Prints FILE:LINE: TEXT for each hit and exits 1 if there is any.
#
#   check_self_contained.sh SRC            check the tree at SRC
#   check_self_contained.sh --self-test    plant violations in scratch trees and check that each
#                                          is reported (and that a clean tree passes)
#
# The patterns below are written so that they do not match their own text (a bracket or a
# backslash sits inside each literal), so this file is scanned like any other.
set -uo pipefail

# Extended regular expressions (grep -E), one per kind of violation. q: a quote, either kind.
q="[\"']"
patterns=(
  '\.\.[/\\]+shared([^[:alnum:]_-]|$)'                               # parent-relative, / or \
  "\\.\\.${q}[[:space:]]*,[[:space:]]*(.*,[[:space:]]*)?${q}shared$q"   # a join of ".." parts
  "pardir[[:space:]]*,[[:space:]]*(.*,[[:space:]]*)?${q}shared$q"      # a join of os.pardir parts
  'HEED_SHARE[D]'                                                     # the old variable
  'shared[/\\]+(bench|notes|DESIGN)'                                  # its subfolders
  '(^|[^[:alnum:]_.~-])/work/[[:alnum:]_]'                            # absolute workspace paths
)

list_files() {
  local src=$1
  if [ -e "$src/.git" ] && command -v git >/dev/null; then
    git -C "$src" ls-files --cached --others --exclude-standard -z | tr '\0' '\n' |
      while IFS= read -r f; do [ -f "$src/$f" ] && printf '%s\n' "$f"; done
  else
    (cd "$src" && find . -type f \
      -not -path './.git/*' -not -path './build*' -not -path './runs/*' -not -path './out/*' \
      -not -path './.cache/*' -not -path '*/__pycache__/*' | sed 's|^\./||')
  fi
}

# markdown_hits ROOT FILE: ../ links and inline paths of one Markdown file that leave ROOT.
markdown_hits() {
  local root=$1 file=$2 dir hit line text target resolved base bases
  dir=$(dirname "$root/$file")
  grep -noE '\]\(\.\./[^) ]*|`\.\./[^` ]*' "$root/$file" 2>/dev/null |
    while IFS= read -r hit; do
      line=${hit%%:*}
      text=${hit#*:}
      target=${text#*(}
      target=${target#\`}
      bases=("$dir")
      [ "${text:0:1}" = '`' ] && bases+=("$root")
      for base in "${bases[@]}"; do
        resolved=$(realpath -m "$base/$target")
        case "$resolved/" in
          "$root"/*) ;;
          *) printf '%s:%s: %s resolves to %s, outside the repository\n' \
            "$file" "$line" "$target" "$resolved"; break ;;
        esac
      done
    done
}

check() {
  local root listing hits=0 out n args=()
  root=$(realpath "$1")
  listing=$(mktemp)
  list_files "$root" >"$listing"
  n=$(wc -l <"$listing")
  if [ "$n" -eq 0 ]; then
    echo "check_self_contained: no files found under $root" >&2
    rm -f "$listing"
    return 1
  fi
  for p in "${patterns[@]}"; do args+=(-e "$p"); done
  # -I: binary files (fuzz inputs, images) are skipped; -H: always print the file name.
  out=$(cd "$root" && xargs -d '\n' grep -nHIE "${args[@]}" -- <"$listing")
  [ -n "$out" ] && { printf '%s\n' "$out"; hits=1; }
  while IFS= read -r file; do
    case "$file" in
      *.md)
        out=$(markdown_hits "$root" "$file")
        [ -n "$out" ] && { printf '%s\n' "$out"; hits=1; }
        ;;
    esac
  done <"$listing"
  rm -f "$listing"
  if [ "$hits" -ne 0 ]; then
    echo "check_self_contained: the lines above point outside the repository" >&2
    return 1
  fi
  echo "check_self_contained: $n files, no path out of the repository"
}

# Scratch trees with one planted violation per file; the strings are assembled at run time so
# that this script's own text stays clean.
self_test() {
  local tmp status=0 up='..' sib='shared' var='HEED_' expect mode
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$tmp/clean/docs" "$tmp/bad/docs" "$tmp/bad/src"
  printf '# ok\nSee [a](../README.md), [b](x.md) and `docs/x.md`.\n' >"$tmp/clean/docs/a.md"
  printf 'root = os.path.join(here, "..", "benchmarks")\n' >"$tmp/clean/tool.py"
  cp -r "$tmp/clean/." "$tmp/bad/"
  printf 'line one\nread %s/%s/bench/README.md\n' "$up" "$sib" >"$tmp/bad/src/a.txt"
  printf 'x\ny\np = os.path.join(here, "%s", "%s", "%s", "%s")\n' "$up" "$up" "$up" "$sib" \
    >"$tmp/bad/src/b.py"
  printf 'a = os.environ.get("%s%s")\n' "$var" "SHARED" >"$tmp/bad/src/c.py"
  printf '// see %s/notes/onednn.md\n' "$sib" >"$tmp/bad/src/d.h"
  printf 'data=/work/%s/x\n' "$sib" >"$tmp/bad/src/e.sh"
  printf 'ok\n\nSee [notes](%s/%s/outside.md).\n' "$up" "$up" >"$tmp/bad/docs/f.md"
  printf 'Paths: `%s/elsewhere/x.md`.\n' "$up" >"$tmp/bad/g.md"
  printf 'p = os.path.join(os.pardir, os.pardir, "%s")\n' "$sib" >"$tmp/bad/src/h.py"
  for mode in find git; do
    if [ "$mode" = git ]; then
      command -v git >/dev/null || continue
      { git -C "$tmp/clean" init -q && git -C "$tmp/bad" init -q; } || continue
    fi
    if ! check "$tmp/clean" >"$tmp/out" 2>&1; then
      echo "self-test ($mode): a clean tree was rejected:"; cat "$tmp/out"; status=1
    fi
    if check "$tmp/bad" >"$tmp/out" 2>&1; then
      echo "self-test ($mode): a tree with violations passed:"; cat "$tmp/out"; status=1
    fi
    for expect in src/a.txt:2: src/b.py:3: src/c.py:1: src/d.h:1: src/e.sh:1: docs/f.md:3: \
      g.md:1: src/h.py:1:; do
      grep -q "^$expect" "$tmp/out" || { echo "self-test ($mode): $expect not reported"; status=1; }
    done
    echo "self-test ($mode): output on the planted tree:"
    sed 's/^/  /' "$tmp/out"
    rm -rf "$tmp/clean/.git" "$tmp/bad/.git"
  done
  [ "$status" -eq 0 ] && echo "check_self_contained self-test: every planted violation reported"
  return "$status"
}

case "${1:-}" in
  --self-test) self_test ;;
  "" | -h | --help) sed -n '13,15p' "$0" | sed 's/^# *//' >&2; exit 2 ;;
  *) check "$1" ;;
esac
