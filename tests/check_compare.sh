#!/usr/bin/env bash
# TAP: `normbench report --compare` on the folders of tests/fixtures/compare,
# whose values are chosen so that every figure is known by hand:
#   a (id zen4): rmsnorm f32 4096 decode, budget 4, ships fast_avx512
#     (100 ns there), and fast_avx2 takes 125 ns there: running zen5's
#     choice, zen4 gets 100/125 = 0.80x;
#   b (id zen5): ships fast_avx2 (90 ns), fast_avx512 takes 120 ns there:
#     0.75x running zen4's choice;
#   b-bf16 (id zen5 too: merged into one machine): layernorm bf16 4096 batch
#     ships fast_avx512 (200 ns), zen4's fast_avx512bf16 takes 160 ns: 1.25x;
#     zen4's perf.csv has no fast_avx512 row there: "not measured there";
#   arm (id arm-neon, emulated): NEON kernels; the x86 bounds.csv say they do
#     not run there, and the ARM one says the AVX kernels do not.
# Usage: check_compare.sh SRCDIR NORMBENCH
set -uo pipefail
src=$1 nb=$2
fix=$src/tests/fixtures/compare
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$nb" report --compare "$fix/a" "$fix/b/" "$fix/b-bf16" "$fix/arm" >"$work/out" 2>"$work/err"; rc=$?
[ $rc = 0 ] && [ ! -s "$work/err" ]; ok $? "runs on four folders, silent on stderr"
row() { grep -c -F -x "$1" "$work/out"; }
[ "$(row '| zen4 | 1 | measured |')" = 1 ] && [ "$(row '| zen5 | 2 | measured |')" = 1 ]
ok $? "machines by machine.txt's id; the two zen5 folders merge into one machine"
[ "$(row '| arm-neon | 1 | emulated (a QEMU_* variable is set): not meaningful |')" = 1 ]
ok $? "the emulated run is marked: timings not meaningful"
[ "$(row '| RMSNorm | f32 | 4096 | decode | 4 | rmsnorm_f32_fast_avx512 | rmsnorm_f32_fast_avx2 | rmsnorm_f32_fast_neon (emulated) |')" = 1 ]
ok $? "the kernel each machine ships, the emulated one marked"
[ "$(row '| LayerNorm | bf16 | 4096 | batch | 4 | layernorm_bf16_fast_avx512bf16 | layernorm_bf16_fast_avx512 | - |')" = 1 ]
ok $? "a case a machine did not measure: '-'"
[ "$(grep -c '| RMSNorm | f32 | 4096 | decode | 1 |' "$work/out")" = 0 ]
ok $? "budgets other than 0.5 and 4 are left out"
[ "$(row '| RMSNorm | f32 | 4096 | decode | 4 | zen4 | zen5 | rmsnorm_f32_fast_avx2 | 0.80x (20% slower) |')" = 1 ]
ok $? "zen4 running zen5's choice: 100/125 ns = 0.80x"
[ "$(row '| RMSNorm | f32 | 4096 | decode | 4 | zen5 | zen4 | rmsnorm_f32_fast_avx512 | 0.75x (25% slower) |')" = 1 ]
ok $? "zen5 running zen4's choice: 90/120 ns = 0.75x"
[ "$(row '| LayerNorm | bf16 | 4096 | batch | 4 | zen5 | zen4 | layernorm_bf16_fast_avx512bf16 | 1.25x (not slower) |')" = 1 ]
ok $? "zen5's second folder: 200/160 ns = 1.25x, not a loss"
[ "$(row '| LayerNorm | bf16 | 4096 | batch | 4 | zen4 | zen5 | layernorm_bf16_fast_avx512 | not measured there |')" = 1 ]
ok $? "no perf row of the other's kernel: not measured there"
[ "$(row '| RMSNorm | f32 | 4096 | decode | 4 | zen4 | arm-neon | rmsnorm_f32_fast_neon | does not run there |')" = 1 ] &&
  [ "$(row '| RMSNorm | f32 | 4096 | decode | 4 | arm-neon | zen5 | rmsnorm_f32_fast_avx2 | does not run there |')" = 1 ]
ok $? "a kernel bounds.csv says does not run there, both ways"
[ "$(grep -c '| RMSNorm | f32 | 4096 | decode | 0.5 | zen4 | zen5 |' "$work/out")" = 0 ]
ok $? "no loss row where both machines ship the same kernel"

"$nb" report --compare --output "$work/README.md" "$fix/a" "$fix/b/" "$fix/b-bf16" "$fix/arm" >"$work/stdout"; rc=$?
[ $rc = 0 ] && [ ! -s "$work/stdout" ] && cmp -s "$work/out" "$work/README.md"
ok $? "--output FILE writes the same text, nothing on stdout"

mkdir "$work/norec"
cp "$fix/a/perf.csv" "$fix/a/machine.txt" "$work/norec/"
msg=$("$nb" report --compare --output "$work/new.md" "$fix/a" "$work/norec" 2>&1 >/dev/null); rc=$?
[ $rc -ne 0 ] && [ "$(printf '%s\n' "$msg" | wc -l)" = 1 ] && printf '%s\n' "$msg" | grep -q 'recommend.csv: no such file' &&
  [ ! -e "$work/new.md" ]
ok $? "a folder without recommend.csv: one-line error, no output file ($msg)"
msg=$("$nb" report --compare 2>&1 >/dev/null); rc=$?
[ $rc = 2 ] && [ "$(printf '%s\n' "$msg" | wc -l)" = 1 ]; ok $? "--compare without folders: usage error ($msg)"

echo "1..$n"
exit $failed
