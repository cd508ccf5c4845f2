#!/usr/bin/env bash
# Installs the Debian 12 packages a build needs, only if any is missing.
# Usage: cmake/install-deps.sh [--ci] [extra-package ...]
#   (no option)  what `make build`, `make demo` and `make test` need
#   --ci         also what .ci/run uses: clang 14 with its sanitizer and
#                fuzzer runtimes, clang-format, ii, openssl, curl
set -euo pipefail
packages=(cmake ninja-build g++ make pkg-config ccache
          libgtest-dev libgmock-dev libbenchmark-dev
          libconcurrentqueue-dev libprotobuf-dev protobuf-compiler
          libgrpc++-dev protobuf-compiler-grpc libssl-dev prometheus-cpp-dev
          etcd-server etcd-client)
if [ "${1:-}" = "--ci" ]; then
  shift
  packages+=(clang-14 clang clang-format libclang-rt-14-dev
             ii openssl curl git)
fi
packages+=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
