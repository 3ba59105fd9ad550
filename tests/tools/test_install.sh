#!/usr/bin/env bash
# Installs a heed build into a scratch prefix, then configures, builds and runs examples/ as a
# project of its own against it (find_package(heed) through CMAKE_PREFIX_PATH): what a user of
# the installed package does. Only the examples compile; the library comes from the install.
# Then examples/user_extensions on its own, as a user's project that registers its own attention
# variant: it runs only if heed's registrations and its own both survived the link.
#   test_install.sh CMAKE BUILD_DIR EXAMPLES_DIR GENERATOR MAKE_PROGRAM CXX_COMPILER
set -euo pipefail
cmake=$1 build=$2 examples=$3 generator=$4 make_program=$5 cxx=$6

scratch=$(mktemp -d "${TMPDIR:-/tmp}/heed-install.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix

echo "== cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$scratch/install.log" ||
  { cat "$scratch/install.log"; exit 1; }

# Every header an installed header includes with quotes must itself be installed: a header
# that includes a generated or private one (train/default_config.h) would break consumers.
include_dir=$prefix/include/heed
test -f "$include_dir/framework/ops.h"
test -f "$include_dir/models/seq2seq.h"
missing=0
while IFS= read -r header; do
  while IFS= read -r inc; do
    if [ ! -f "$include_dir/$inc" ]; then
      echo "installed ${header#"$include_dir"/} includes \"$inc\", which is not installed"
      missing=1
    fi
  done < <(sed -n 's/^#include "\(.*\)".*/\1/p' "$header")
done < <(find "$include_dir" -name '*.h')
[ "$missing" = 0 ]

# The layers' libraries, and the registering layers as object files (cmake/layers.cmake).
for lib in libheed_framework.a; do
  [ -n "$(find "$prefix" -name "$lib")" ] || { echo "$lib was not installed"; exit 1; }
done
for objects in heed_datasets_objects heed_models_objects heed_train_objects; do
  [ -n "$(find "$prefix" -path "*/$objects/*" -name '*.o')" ] ||
    { echo "the object files of $objects were not installed"; exit 1; }
done

# configure SOURCE BUILD: a project against the install; the package must come from the scratch
# prefix, not from some heed installed on the machine.
configure() {
  "$cmake" -S "$1" -B "$2" -G "$generator" -DCMAKE_MAKE_PROGRAM="$make_program" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix"
  local heed_dir
  heed_dir=$(sed -n 's/^heed_DIR:PATH=//p' "$2/CMakeCache.txt")
  case "$heed_dir" in
    "$prefix"/*) echo "heed_DIR=$heed_dir" ;;
    *) echo "find_package(heed) found '$heed_dir', not the package under $prefix"; exit 1 ;;
  esac
}

echo "== configure examples/ against the install"
configure "$examples" "$scratch/build"
echo "== build train_copy"
# user_extensions is built below as a project of its own; once is enough.
"$cmake" --build "$scratch/build" --target train_copy
echo "== run train_copy"
"$scratch/build/train_copy"

echo "== configure examples/user_extensions/ on its own against the install"
configure "$examples/user_extensions" "$scratch/build-ext"
echo "== build user_extensions"
"$cmake" --build "$scratch/build-ext"
echo "== run user_extensions"
"$scratch/build-ext/user_extensions"
