#!/bin/sh
# Cross-build normbench for AArch64 and run its tests under qemu-aarch64
# twice: QEMU_CPU=max (FP16, BF16, SVE present) and QEMU_CPU=cortex-a57
# (plain Armv8.0: kernels needing an extension must report themselves not
# runnable and be skipped). Timings under emulation mean nothing.
#   scripts/test-aarch64.sh [build dir, default build-aarch64]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build-aarch64}
sysroot=/usr/aarch64-linux-gnu

die() { echo "test-aarch64: error: $*" >&2; exit 1; }
need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found; install it with: apt-get install $2"
}
need meson meson
need ninja ninja-build
need pkg-config pkgconf
need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
need qemu-aarch64 qemu-user
[ -d "$sysroot/lib" ] || die "no AArch64 sysroot at $sysroot; install it with: apt-get install libc6-dev-arm64-cross"
[ -f /usr/lib/aarch64-linux-gnu/pkgconfig/mpfr.pc ] ||
  die "no arm64 MPFR; install it with: dpkg --add-architecture arm64 && apt-get update && apt-get install libmpfr-dev:arm64 libgmp-dev:arm64"

[ -f "$build/build.ninja" ] || meson setup "$build" --cross-file cross/aarch64-linux-gnu.ini
ninja -C "$build"

# Expected features per CPU model, as normbench cpu prints them.
want_max="neon asimdhp bf16 sve"
want_a57="neon"
summary=""
status=0
for cpu in max cortex-a57; do
  [ "$cpu" = max ] && want=$want_max || want=$want_a57
  feat=$(QEMU_CPU=$cpu qemu-aarch64 -L "$sysroot" "$build/cli/normbench" cpu | sed -n 's/^features: *//p')
  notrun=$(QEMU_CPU=$cpu qemu-aarch64 -L "$sysroot" "$build/cli/normbench" list --csv | awk -F, 'NR > 1 && $6 == 0' | wc -l)
  echo "== QEMU_CPU=$cpu: features '$feat', $notrun kernels not runnable"
  if [ "$feat" != "$want" ]; then
    echo "test-aarch64: error: QEMU_CPU=$cpu should show features '$want'" >&2
    status=1
  fi
  if QEMU_CPU=$cpu meson test -C "$build" --print-errorlogs; then res=passed; else res=FAILED; status=1; fi
  log="$build/meson-logs/testlog.txt"
  oks=$(grep -c '^ok ' "$log" || true)
  skips=$(grep -c '^ok .*# SKIP' "$log" || true)
  bad=$(grep -c '^not ok ' "$log" || true)
  summary="$summary  QEMU_CPU=$cpu: $res ($((oks - skips)) checks ok, $skips skipped as not runnable, $bad failed)
"
done
printf '\ntest-aarch64 summary:\n%s' "$summary"
[ $status -eq 0 ] && echo "test-aarch64: all passed" || echo "test-aarch64: FAILED"
exit $status
