#!/bin/sh
# The platform layer on machines other than this one: NORMBENCH_SYSROOT
# points every /sys and /proc read at an empty folder (a VM or container
# without sysfs cache files), at fixture trees of an Intel host and an
# Arm board, at a hierarchy whose sizes cannot be right, and at a FIFO.
# Also the cache override and the machine id. TAP.
#   platform.sh NORMBENCH FIXTURES   (meson passes its exe wrapper in
#   MESON_EXE_WRAPPER for the cross build)
exe=$1 fixtures=$2
run() { $MESON_EXE_WRAPPER "$exe" "$@"; }
# shellcheck source=SCRIPTDIR/tap.sh
. "$(dirname "$0")/tap.sh"
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
  what=$1; shift
  if "$@" >/dev/null 2>&1; then ok 0 "$what"; else ok 1 "$what"; fi
}
mkdir "$tmp/empty"

# caches lines: "L<level> <type> <K>K (<source>[; <src> said <K>K][: why])"
caches() { sed -n '/^caches:/,/^working sets/p' "$1" | sed 's/^caches: *//; s/^ *//' | grep '^L'; }

# 1. no sysfs at all, as on this project's VMs
NORMBENCH_SYSROOT=$tmp/empty run cpu >"$tmp/empty.out" 2>"$tmp/empty.err"
ok $? "no sysfs: normbench cpu runs"
check "no sysfs: no size claims to come from sysfs" sh -c "! grep -q '(sysfs' '$tmp/empty.out'"
check "no sysfs: a working-set line with mem between 256 MiB and 1 GiB (or RAM/4)" \
  grep -Eq '^working sets .* mem ([2-9][0-9]{2}|10[0-2][0-9]) MiB' "$tmp/empty.out"
cpus=$(sed -n 's/^cpus: *\([0-9]*\) online.*/\1/p' "$tmp/empty.out")
# an L3 larger than 8 MiB per CPU with no sysfs is never used as reported
bad=$(caches "$tmp/empty.out" | awk -v lim=$((8192 * ${cpus:-1})) '
  /^L3 / { k = $3; sub(/K$/, "", k); src = $4; sub(/^\(/, "", src); sub(/[;:)].*/, "", src)
           if ((src == "cpuid" || src == "sysconf") && k + 0 > lim) print }')
ok "$([ -z "$bad" ] && echo 0 || echo 1)" "no sysfs: no L3 above 8 MiB per CPU used as reported ${bad:+($bad)}"
emulated=$(sed -n 's/^emulated: *//p' "$tmp/empty.out")

# 2. an Intel host's sysfs: every size read, with its sharing
NORMBENCH_SYSROOT=$fixtures/intel-host run cpu >"$tmp/intel.out" 2>&1
ok $? "intel-host: normbench cpu runs"
for want in "L1 Data 48K" "L1 Instruction 32K" "L2 Unified 2048K" "L3 Unified 107520K"; do
  lvl=${want%% *} rest=${want#* } type=${rest%% *} size=${want##* }
  check "intel-host: $want read from sysfs" sh -c \
    "grep -Eq '$lvl $type ($size \\(sysfs|[0-9]+K \\(measured; sysfs said $size)' '$tmp/intel.out'"
done
check "intel-host: the kernel's clocksource is read" grep -q 'kernel clocksource tsc' "$tmp/intel.out"

# 3. an Arm board's sysfs and /proc/cpuinfo: on x86 that cpuinfo means
# qemu-user passing the host's file through, so nothing is timed
NORMBENCH_SYSROOT=$fixtures/arm-board run cpu >"$tmp/arm.out" 2>&1
ok $? "arm-board: normbench cpu runs"
check "arm-board: L1 Data 64K, L2 1024K, L3 32768K from sysfs" sh -c \
  "grep -q 'L1 Data 64K (sysfs' '$tmp/arm.out' && grep -q 'L2 Unified 1024K (sysfs' '$tmp/arm.out' &&
   grep -q 'L3 Unified 32768K (sysfs' '$tmp/arm.out'"
case $(sed -n 's/^vendor: *//p' "$tmp/empty.out") in
Genuine* | Authentic* | Hygon*) check "arm-board on x86: emulation detected from /proc/cpuinfo" \
  grep -q '^emulated: /proc/cpuinfo describes an ARM host' "$tmp/arm.out" ;;
*) check "arm-board on aarch64: MIDR read as the vendor" grep -q '^vendor: *midr=0x00000000410fd4f1' "$tmp/arm.out" ;;
esac

# 4. sizes that cannot be right: L3 smaller than L2
NORMBENCH_SYSROOT=$fixtures/bad-order run cpu >"$tmp/bad.out" 2>&1
ok $? "bad-order: normbench cpu runs"
check "bad-order: L3 of 1024K below L2 of 2048K is refused, and why" \
  grep -Eq 'L3 Unified [0-9]+K \((measured|default); sysfs said 1024K: not larger than the level below' "$tmp/bad.out"
l2=$(sed -n 's/^working sets.* l2 \([0-9]*\) KiB.*/\1/p' "$tmp/bad.out")
llc=$(sed -n 's/^working sets.* llc \([0-9]*\) KiB.*/\1/p' "$tmp/bad.out")
ok "$([ -n "$llc" ] && [ "$llc" -ge "$l2" ] && echo 0 || echo 1)" "bad-order: the llc working set ($llc KiB) is not below l2's ($l2 KiB)"

# 5. a FIFO where a sysfs file should be: read without blocking, skipped
mkdir -p "$tmp/fifo/sys/devices/system/cpu/cpu0/cache/index0" "$tmp/fifo/proc"
mkfifo "$tmp/fifo/sys/devices/system/cpu/cpu0/cache/index0/level" "$tmp/fifo/proc/cpuinfo"
NORMBENCH_SYSROOT=$tmp/fifo timeout 60 $MESON_EXE_WRAPPER "$exe" cpu --id >/dev/null 2>&1 </dev/null
rc=$?
ok "$([ $rc -eq 0 ] && echo 0 || echo 1)" "FIFOs in sysfs and /proc do not hang normbench (exit $rc)"

# 6. the override, from the environment and the command line
NORMBENCH_CACHES=L1=32K,L2=2MiB,L3=64M run cpu >"$tmp/ov.out" 2>&1
ok $? "override: NORMBENCH_CACHES accepted"
check "override: sizes and sources" sh -c \
  "grep -q 'L1 Data 32K (override' '$tmp/ov.out' && grep -q 'L2 Unified 2048K (override' '$tmp/ov.out' &&
   grep -q 'L3 Unified 65536K (override' '$tmp/ov.out'"
check "override: mem = 4 x 64 MiB" grep -q 'mem 256 MiB (4 x LLC)' "$tmp/ov.out"
run cpu --caches L1=16K,L2=512K,L3=8M >"$tmp/ov2.out" 2>&1
check "override: --caches" grep -q 'L3 Unified 8192K (override' "$tmp/ov2.out"
run cpu --caches L3=lots >"$tmp/ov3.out" 2>"$tmp/ov3.err"
rc=$?
ok "$([ $rc -eq 2 ] && [ "$(wc -l <"$tmp/ov3.err")" -eq 1 ] && echo 0 || echo 1)" \
  "override: a malformed --caches is one line on stderr and exit 2 (exit $rc)"

# 7. the machine id: short, stable, the same as cpu shows, independent of
# the cache files (a VM's caches may change with its host)
id=$(run cpu --id)
check "id '$id' looks like <model>-<feature>-<6 hex>" sh -c "echo '$id' | grep -Eqx '[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{6}'"
check "id is stable across runs" test "$id" = "$(run cpu --id)"
check "id is what normbench cpu shows" grep -qx "id: *$id" "$tmp/empty.out"
check "id does not depend on the cache files" test "$id" = "$(NORMBENCH_SYSROOT=$fixtures/intel-host run cpu --id)"

# 8. a feature name that means nothing is said, not ignored
NORMBENCH_CPU_DISABLE=avx512f,garbage run cpu >"$tmp/dis.out" 2>&1
check "NORMBENCH_CPU_DISABLE=garbage is reported" grep -q "unknown 'garbage'" "$tmp/dis.out"

[ -n "$emulated" ] && echo "# emulated: $emulated"
tap_end
