#!/usr/bin/env bash
# TAP: bench/nb_ab on the same library twice (a ratio, exit 0) and on bad
# arguments (one line on stderr, exit 2, nothing on stdout).
# Usage: check_ab.sh NB_AB LIBNORMBENCH_SO   (MESON_EXE_WRAPPER for the cross build)
set -uo pipefail
ab=$1 lib=$2
# shellcheck disable=SC2086 # the wrapper is a command and its options
run() { ${MESON_EXE_WRAPPER:-} "$ab" "$@"; }
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run "$lib" "$lib" rmsnorm_f32_twopass_scalar 64 4K 3 >"$work/out" 2>"$work/err"; rc=$?
[ $rc = 0 ] && grep -Eq '^B over A \(speed\): [0-9.]+ \[[0-9.]+, [0-9.]+\]' "$work/out" &&
  [ "$(grep -c '^[AB]  ' "$work/out")" = 2 ]
ok $? "one kernel from the same build twice: both medians and a ratio with its interval"

# bad ARGS...: exit 2, one line naming the problem, no stdout
bad() {
  local want=$1 what=$2; shift 2
  run "$@" >"$work/out" 2>"$work/err"; local rc=$?
  [ $rc = 2 ] && [ ! -s "$work/out" ] && [ "$(wc -l <"$work/err")" = 1 ] && grep -q "$want" "$work/err"
  ok $? "$what"
}
bad 'usage' "no arguments: usage" 
bad "cannot load '/nonexistent.so'" "a library that does not load" /nonexistent.so "$lib" rmsnorm_f32_twopass_scalar
bad "has no kernel 'nope'" "a kernel the library does not have" "$lib" "$lib" nope
bad 'want D' "D of zero" "$lib" "$lib" rmsnorm_f32_twopass_scalar 0
bad 'want D' "a working set that is not bytes" "$lib" "$lib" rmsnorm_f32_twopass_scalar 64 l2
bad 'want D' "two rounds" "$lib" "$lib" rmsnorm_f32_twopass_scalar 64 4K 2
echo "1..$n"
