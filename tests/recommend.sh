#!/bin/sh
# recommend's wisdom file and the library: the kernel recommend ships is
# the one nb_choose, and so the example program, picks from the file with
# no policy call; a line the library does not take is explained under
# NORMBENCH_DEBUG. Timed natively (the choice is whatever this machine
# measures: the test checks that the library follows it, never a speed),
# and under an emulator (QEMU_CPU set, as qemu-user setups do), where
# nothing is timed.
#   recommend.sh NORMBENCH EXAMPLE   (TAP)
nb=$1 example=$2
# shellcheck source=SCRIPTDIR/tap.sh
. "$(dirname "$0")/tap.sh"
quick="--op rmsnorm --dtype f32 --d 4 --shape decode --repetitions 5 --min-time 0.001"
# shellcheck disable=SC2086 # words
"$nb" recommend $quick --budget 64 --wisdom "$tmp/w" --csv "$tmp/r.csv" --json "$tmp/r.json" >"$tmp/out" 2>&1
ok $? "recommend (timed) exits 0"
shipped=$(sed -n 's/^wisdom: rmsnorm f32 D 3\.\.4 within 64 ulp: //p' "$tmp/out")
[ -n "$shipped" ] && grep -q "^  64 *$shipped " "$tmp/out"
ok $? "it ships '$shipped' at 64 ulp and writes that to the wisdom file"
NORMBENCH_WISDOM="$tmp/w" NORMBENCH_DEBUG=1 "$example" 2>"$tmp/err" >"$tmp/ex"
ok $? "the example runs with NORMBENCH_WISDOM"
grep -qx "kernel: $shipped" "$tmp/ex" && grep -q "(wisdom: taken line .* within 64 ulp" "$tmp/err"
ok $? "the example uses exactly the recommended kernel, from the wisdom line, with no policy call"
grep -c "^rmsnorm,f32,4,decode," "$tmp/r.csv" | grep -qx 6
ok $? "the CSV has one record per budget (0.5 1 4 16 64 any)"
/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (len(d['results']) == 6 and d['results'][4]['ship'] == sys.argv[2]))" "$tmp/r.json" "$shipped" 2>/dev/null
ok $? "the JSON has the six budgets and the shipped kernel at 64 ulp"

# a line whose kernel declares more than the line's budget is dropped, explained
awk -v k="$shipped" '$1 == "rmsnorm" && $2 == "f32" && $3 == 3 { $6 = 0.001 } { print }' "$tmp/w" >"$tmp/tight"
NORMBENCH_WISDOM="$tmp/tight" NORMBENCH_DEBUG=1 "$example" 2>"$tmp/err2" >/dev/null
grep -q "wisdom dropped, line .* of $tmp/tight: $shipped within 0.001 ulp.*over the line's budget" "$tmp/err2"
ok $? "a dropped wisdom line is explained under NORMBENCH_DEBUG"

# under an emulator: no timing, the static choice, its wisdom loaded
# shellcheck disable=SC2086
QEMU_CPU=max "$nb" recommend --op rmsnorm --dtype f32 --d 4,4096 --shape decode --wisdom "$tmp/q" >"$tmp/qout" 2>&1
ok $? "recommend under an emulator exits 0"
grep -q 'not timed' "$tmp/qout" && ! grep -q 'rows/s  *[0-9]' "$tmp/qout" && grep -q ' untimed ' "$tmp/qout"
ok $? "it says nothing was timed, and times nothing"
head -1 "$tmp/q" | grep -qx 'normbench-wisdom 1'
ok $? "a wisdom file was written"
NORMBENCH_WISDOM="$tmp/q" NORMBENCH_DEBUG=1 "$example" 2>"$tmp/qerr" >/dev/null
grep -q '(wisdom: taken' "$tmp/qerr"
ok $? "the library took its choice from the wisdom file"
sed 's/^cpu .*/cpu vendor=Other model=elsewhere features=0 caches=none/' "$tmp/q" >"$tmp/foreign"
NORMBENCH_WISDOM="$tmp/foreign" NORMBENCH_DEBUG=1 "$example" 2>"$tmp/ferr" >/dev/null
! grep -q '(wisdom:' "$tmp/ferr" && grep -qi 'cpu' "$tmp/ferr"
ok $? "a wisdom file from another CPU is refused, with the reason"
"$nb" recommend --budget -1 >"$tmp/bout" 2>"$tmp/bad"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/bad")" -eq 1 ] && [ ! -s "$tmp/bout" ]
ok $? "a bad --budget: exit 2, one error line, nothing on stdout"
tap_end
