#!/usr/bin/env bash
# TAP: bench/nb_ab on the same library twice (a ratio, exit 0) and on bad
# arguments (one line on stderr, exit 2, nothing on stdout).
# Usage: check_ab.sh NB_AB LIBNORMBENCH_SO   (MESON_EXE_WRAPPER for the cross build)
set -uo pipefail
ab=$1 lib=$2
# shellcheck disable=SC2086 # the wrapper is a command and its options
run() { ${MESON_EXE_WRAPPER:-} "$ab" "$@"; }
# shellcheck source=SCRIPTDIR/tap.sh
. "$(dirname "$0")/tap.sh"

run "$lib" "$lib" rmsnorm_f32_twopass_scalar 64 4K 3 >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && grep -Eq '^B over A \(speed\): [0-9.]+ \[[0-9.]+, [0-9.]+\]' "$tmp/out" &&
  [ "$(grep -c '^[AB]  ' "$tmp/out")" = 2 ]
ok $? "one kernel from the same build twice: both medians and a ratio with its interval"

# bad ARGS...: exit 2, one line naming the problem, no stdout
bad() {
  local want=$1 what=$2; shift 2
  run "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  [ $rc = 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "$want" "$tmp/err"
  ok $? "$what"
}
bad 'usage' "no arguments: usage" 
bad "cannot load '/nonexistent.so'" "a library that does not load" /nonexistent.so "$lib" rmsnorm_f32_twopass_scalar
bad "has no kernel 'nope'" "a kernel the library does not have" "$lib" "$lib" nope
bad 'want D' "D of zero" "$lib" "$lib" rmsnorm_f32_twopass_scalar 0
bad 'want D' "a working set that is not bytes" "$lib" "$lib" rmsnorm_f32_twopass_scalar 64 l2
bad 'want D' "two rounds" "$lib" "$lib" rmsnorm_f32_twopass_scalar 64 4K 2
tap_end
