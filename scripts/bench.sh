#!/usr/bin/env bash
# The benchmark command: installs what is missing, builds (release) in
# build/, then `ninja -C build bench`: the throughput and accuracy sweeps,
# plots and REPORT.md under results/<machine>/ (scripts/run-bench.sh).
# Usage: scripts/bench.sh [--quick]   (--quick: bench-quick, small grids, into
# build/results-quick/<machine>/)
set -euo pipefail
cd "$(dirname "$0")/.."
target=bench
case "${1:-}" in
  "") ;;
  --quick) target=bench-quick ;;
  *) echo "bench.sh: error: unknown option '$1' (--quick)" >&2; exit 2 ;;
esac
scripts/deps.sh native torch
[ -f build/build.ninja ] || meson setup build --buildtype=release
ninja -C build
ninja -C build "$target"
