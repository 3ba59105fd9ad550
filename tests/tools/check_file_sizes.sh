#!/usr/bin/env bash
# Small files with one purpose: no source file of a layer (framework/, datasets/, models/,
# train/) is over 500 lines (docs/design.md). A file that grows past it is split by purpose, not
# squeezed. Prints FILE: LINES for each one over; exits 1 on any.
#
#   check_file_sizes.sh SRC   check the tree at SRC
set -uo pipefail

limit=500
root=${1:?usage: check_file_sizes.sh SRC}
cd "$root" || exit 1
over=$(find framework datasets models train -type f \( -name '*.h' -o -name '*.cpp' \) \
  -exec wc -l {} + | awk -v limit="$limit" '$2 != "total" && $1 > limit { print $2 ": " $1 " lines" }')
if [ -n "$over" ]; then
  echo "$over"
  echo "check_file_sizes: the files above are over $limit lines; split them by purpose" >&2
  exit 1
fi
