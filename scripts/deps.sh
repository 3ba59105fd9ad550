#!/usr/bin/env bash
# Installs the Debian packages heed needs, only those missing (apt-get; sudo when not root).
# Sourced by ./heed and ./run-tests; safe to run again.
set -euo pipefail
heed_packages=(cmake ninja-build g++ pkg-config libdnnl-dev ocl-icd-opencl-dev libeigen3-dev
  libcli11-dev libyaml-cpp-dev libgtest-dev libbenchmark-dev libstb-dev nlohmann-json3-dev)
# Test-only packages: PyTorch (reference checks and benchmarks/compare.sh) and clang
# (sanitizer/fuzz build). Debian's torch calls whatever libblas.so.3 provides; without
# libopenblas0-pthread that is netlib's reference BLAS, 5-10x slower.
heed_test_packages=(python3 python3-torch libopenblas0-pthread clang libclang-rt-14-dev)
# MPI (data-parallel training, docs/distributed.md): ./run-tests builds and tests with it; the
# default build (./heed) leaves it out unless it is installed.
heed_mpi_packages=(libopenmpi-dev openmpi-bin)

heed_install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "heed: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}
