#!/bin/sh
# The path for another CPU: under an emulator (here: QEMU_CPU set, as
# qemu-user setups do) `normbench recommend` runs the accuracy gate but
# does not time, and writes a wisdom file that the library then loads.
#   recommend.sh NORMBENCH EXAMPLE   (TAP)
nb=$1 example=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() {
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}
QEMU_CPU=max "$nb" recommend --op rmsnorm --dtype f32 --d 4,4096 --wisdom "$tmp/w" >"$tmp/out" 2>&1
ok $? "recommend under an emulator exits 0"
grep -q 'not timed' "$tmp/out"
ok $? "it says the choice was not timed"
grep -q ' pass ' "$tmp/out" && grep -q ' FAIL ' "$tmp/out"
ok $? "the accuracy gate still ran (kernels pass and fail it)"
head -1 "$tmp/w" | grep -qx 'normbench-wisdom 1'
ok $? "a wisdom file was written"
NORMBENCH_WISDOM="$tmp/w" NORMBENCH_DEBUG=1 "$example" 2>"$tmp/err" >/dev/null
ok $? "the example runs with it"
grep -q '(wisdom:' "$tmp/err"
ok $? "the library took its choice from the wisdom file"
sed 's/^cpu .*/cpu vendor=Other model=elsewhere features=0 caches=none/' "$tmp/w" >"$tmp/foreign"
NORMBENCH_WISDOM="$tmp/foreign" NORMBENCH_DEBUG=1 "$example" 2>"$tmp/err2" >/dev/null
grep -q '(wisdom:' "$tmp/err2"
[ $? -ne 0 ] && grep -qi 'cpu' "$tmp/err2"
ok $? "a wisdom file from another CPU is refused, with the reason"
"$nb" recommend --budget -1 >/dev/null 2>"$tmp/bad"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/bad")" -eq 1 ]
ok $? "a bad --budget: exit 2, one error line"
echo "1..$n"
exit $failed
