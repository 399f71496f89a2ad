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
# shellcheck source=SCRIPTDIR/tap.sh
. "$(dirname "$0")/tap.sh"

"$nb" report --compare "$fix/a" "$fix/b/" "$fix/b-bf16" "$fix/arm" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ ! -s "$tmp/err" ]; ok $? "runs on four folders, silent on stderr"
row() { grep -c -F -x "$1" "$tmp/out"; }
[ "$(row '| zen4 | 1 | measured |')" = 1 ] && [ "$(row '| zen5 | 2 | measured |')" = 1 ]
ok $? "machines by machine.txt's id; the two zen5 folders merge into one machine"
[ "$(row '| arm-neon | 1 | emulated (a QEMU_* variable is set): not meaningful |')" = 1 ]
ok $? "the emulated run is marked: timings not meaningful"
[ "$(row '| RMSNorm | f32 | 4096 | decode | 4 | rmsnorm_f32_fast_avx512 | rmsnorm_f32_fast_avx2 | rmsnorm_f32_fast_neon (emulated) |')" = 1 ]
ok $? "the kernel each machine ships, the emulated one marked"
[ "$(row '| LayerNorm | bf16 | 4096 | batch | 4 | layernorm_bf16_fast_avx512bf16 | layernorm_bf16_fast_avx512 | - |')" = 1 ]
ok $? "a case a machine did not measure: '-'"
[ "$(grep -c '| RMSNorm | f32 | 4096 | decode | 1 |' "$tmp/out")" = 0 ]
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
[ "$(grep -c '| RMSNorm | f32 | 4096 | decode | 0.5 | zen4 | zen5 |' "$tmp/out")" = 0 ]
ok $? "no loss row where both machines ship the same kernel"

"$nb" report --compare --output "$tmp/README.md" "$fix/a" "$fix/b/" "$fix/b-bf16" "$fix/arm" >"$tmp/stdout"; rc=$?
[ $rc = 0 ] && [ ! -s "$tmp/stdout" ] && cmp -s "$tmp/out" "$tmp/README.md"
ok $? "--output FILE writes the same text, nothing on stdout"

# The throughput sweeps' comparison, on two folders without recommend.csv
# (as the first committed run): x and y measured the same case, rmsnorm f32
# at D = 4096, l2. Declared bounds: fast 2 ulp, accurate 0.5 (on y 0.500001,
# which counts as 0.5 as recommend reads budgets), the peer none.
#   budget 0.5 and 1: accurate_avx512 on both (the only kernel within them);
#   budget 4: x's fastest is fast_avx512 (100 GB/s), y's fast_avx2 (80);
#   x running y's: 10 ns / 12.5 ns = 0.80x; y running x's: 14 / 20 = 0.70x;
#   median of the two 0.75x, worst 0.70x. The peer (200 GB/s, no bound) is
#   no candidate; layernorm was measured on x only: left out.
hdr=name,kind,op,dtype,d,working_set,median_ns,gbytes_per_s,frac_copy,frac_nt,noisy,rows
for m in x y; do
  mkdir "$tmp/$m"
  printf 'id: m%s\n' "$m" >"$tmp/$m/machine.txt"
  {
    echo name,runs_here,d,bound_ulp
    echo rmsnorm_f32_fast_avx512,1,4096,2
    echo rmsnorm_f32_fast_avx2,1,4096,2
    echo "rmsnorm_f32_accurate_avx512,1,4096,0.5$([ $m = y ] && echo 00001)"
    echo layernorm_f32_external_onednn,1,4096,none
  } >"$tmp/$m/bounds.csv"
done
{
  echo "$hdr"
  echo probe_copy,probe,,f32,4096,l2,5,400,,,0,0
  echo rmsnorm_f32_fast_avx512,kernel,rmsnorm,f32,4096,l2,10,100,,,0,8
  echo rmsnorm_f32_fast_avx2,kernel,rmsnorm,f32,4096,l2,12.5,80,,,0,8
  echo rmsnorm_f32_accurate_avx512,kernel,rmsnorm,f32,4096,l2,20,50,,,0,8
  echo layernorm_f32_external_onednn,external,layernorm,f32,4096,l2,5,200,,,0,8
} >"$tmp/x/perf.csv"
{
  echo "$hdr"
  echo rmsnorm_f32_fast_avx512,kernel,rmsnorm,f32,4096.0,l2,20,56,,,0,8
  echo rmsnorm_f32_fast_avx2,kernel,rmsnorm,f32,4096.0,l2,14,80,,,0,8
  echo rmsnorm_f32_accurate_avx512,kernel,rmsnorm,f32,4096.0,l2,28,40,,,0,8
} >"$tmp/y/perf.csv"
"$nb" report --compare "$tmp/x" "$tmp/y" >"$tmp/sweep" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ ! -s "$tmp/err" ] && grep -q '^No folder has a recommend.csv' "$tmp/sweep"
ok $? "folders with perf.csv and no recommend.csv: compared, the missing verdicts said"
srow() { grep -c -F -x "$1" "$tmp/sweep"; }
[ "$(srow '| RMSNorm | f32 | 4096 | l2 | 0.5 | accurate/avx512 (50 GB/s) | accurate/avx512 (40 GB/s) |')" = 1 ] &&
  [ "$(srow '| RMSNorm | f32 | 4096 | l2 | 1 | accurate/avx512 (50 GB/s) | accurate/avx512 (40 GB/s) |')" = 1 ]
ok $? "within 0.5 and 1 ulp only the accurate kernel qualifies (D 4096 and 4096.0 are one case)"
[ "$(srow '| RMSNorm | f32 | 4096 | l2 | 4 | fast/avx512 (100 GB/s) | fast/avx2 (80 GB/s) |')" = 1 ]
ok $? "within 4 ulp: each machine's fastest"
[ "$(grep -c 'LayerNorm' "$tmp/sweep")" = 0 ] && [ "$(grep -c 'onednn' "$tmp/sweep")" = 0 ]
ok $? "a peer without a bound is no candidate; a case of one machine is left out"
[ "$(srow '| RMSNorm | f32 | 4096 | l2 | 4 | mx | my | fast/avx2 | 0.80x |')" = 1 ] &&
  [ "$(srow '| RMSNorm | f32 | 4096 | l2 | 4 | my | mx | fast/avx512 | 0.70x |')" = 1 ]
ok $? "each machine running the other's choice: 10/12.5 = 0.80x, 14/20 = 0.70x"
grep -q -F 'every machine chose the same kernel in 2.' "$tmp/sweep" &&
  grep -q -F '(2 measured pairs) gets a median' "$tmp/sweep" && grep -q -F '0.75x of its own choice' "$tmp/sweep" &&
  grep -q -F '0.70x at worst' "$tmp/sweep"
ok $? "the summary: 3 cases, 2 agree, median 0.75x, worst 0.70x"

mkdir "$tmp/empty"
cp "$fix/a/machine.txt" "$tmp/empty/"
msg=$("$nb" report --compare --output "$tmp/new.md" "$fix/a" "$tmp/empty" 2>&1 >/dev/null); rc=$?
[ $rc -ne 0 ] && [ "$(printf '%s\n' "$msg" | wc -l)" = 1 ] && printf '%s\n' "$msg" | grep -q 'no recommend.csv and no perf.csv' &&
  [ ! -e "$tmp/new.md" ]
ok $? "a folder with neither recommend.csv nor perf.csv: one-line error, no output file ($msg)"
msg=$("$nb" report --compare 2>&1 >/dev/null); rc=$?
[ $rc = 2 ] && [ "$(printf '%s\n' "$msg" | wc -l)" = 1 ]; ok $? "--compare without folders: usage error ($msg)"

tap_end
