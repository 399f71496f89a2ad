#!/usr/bin/env bash
# Installs the Debian packages normbench needs, when they are missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
# Usage: scripts/deps.sh [native|torch|cross|all]...   (default: all)
# torch: PyTorch's C++ library for the *_external_torch peers (162 packages,
# 118 MB to download, 472 MB installed, about 2 minutes here).
set -euo pipefail

native=(meson ninja-build pkg-config gcc clang libclang-rt-14-dev libmpfr-dev
        gnuplot-nox libdnnl-dev libbenchmark-dev g++ python3-numpy valgrind)
torch=(libtorch-dev)
cross=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross libmpfr-dev:arm64 libgmp-dev:arm64 qemu-user)

want=()
for set in "${@:-all}"; do
  case "$set" in
    native) want+=("${native[@]}") ;;
    torch) want+=("${torch[@]}") ;;
    cross) want+=("${cross[@]}") ;;
    all) want+=("${native[@]}" "${torch[@]}" "${cross[@]}") ;;
    *) echo "deps.sh: error: unknown set '$set' (native, torch, cross or all)" >&2; exit 2 ;;
  esac
done

# installed for the right architecture: pkg:arch as named, else native or all
is_installed() {
  local name=${1%%:*} arch=${1#*:}
  [ "$arch" = "$1" ] && arch="$(dpkg --print-architecture)|all"
  dpkg-query -W -f='${db:Status-Status} ${Architecture}\n' "$name" 2>/dev/null |
    grep -Eqx "installed ($arch)"
}
missing=()
for p in "${want[@]}"; do
  is_installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

need_arm64=0
for p in "${missing[@]}"; do [[ $p == *:arm64 ]] && need_arm64=1; done
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]}" >&2
  echo "install them with:" >&2
  [ $need_arm64 = 1 ] && echo "  sudo dpkg --add-architecture arm64" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
if [ $need_arm64 = 1 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
