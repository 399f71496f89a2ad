#!/bin/sh
# normbench compare with a probe as A: the kernel's bandwidth as a fraction
# of the probe's, from the same interleaved rounds as its rows/s ratio.
#   compare.sh NORMBENCH   (TAP)
nb=$1
# shellcheck source=SCRIPTDIR/tap.sh
. "$(dirname "$0")/tap.sh"
"$nb" compare probe_copy rmsnorm_f32_twopass_scalar --d 256 --working-set rows:8 --repetitions 5 \
  --min-time 0.0001 --csv "$tmp/c.csv" >"$tmp/out" 2>"$tmp/err"
ok $? "compare probe_copy KERNEL exits 0"
# Per call the copy moves x and y (2 x 8 rows x 256 x 4 bytes = 16384), the
# kernel x, y and g (17408): each round's bandwidth ratio is its rows/s
# ratio times 17408 / 16384, so the medians are too (to the CSV's 6 digits).
awk -F, '/^#/ { next } !h { h = 1; for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["kernel"] == "probe_copy" { p = ($c["op"] == "probe") }
  $c["kernel"] == "rmsnorm_f32_twopass_scalar" {
    r = $c["bandwidth_vs_a"] / $c["speed_vs_a"]
    k = (r > 1.0624 && r < 1.0626 && $c["bandwidth_lo"] <= $c["bandwidth_vs_a"] &&
         $c["bandwidth_vs_a"] <= $c["bandwidth_hi"])
  }
  END { exit !(p && k) }' "$tmp/c.csv"
ok $? "the probe's row says probe; bandwidth over the probe = rows/s ratio x 17408/16384, inside its interval"
grep -q "^rmsnorm_f32_twopass_scalar .* [0-9.]* \[[0-9.]*, [0-9.]*\] *[0-9.]* \[[0-9.]*, [0-9.]*\] " "$tmp/out"
ok $? "the table shows both ratios with their intervals"
"$nb" compare probe_copy probe_read >/dev/null 2>"$tmp/err"
[ $? = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "at least one kernel" "$tmp/err"
ok $? "probes alone: one-line error, exit 2"
"$nb" compare probe_nope rmsnorm_f32_twopass_scalar >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "no kernel or probe named 'probe_nope'" "$tmp/err"
ok $? "an unknown name: one-line error naming it, exit 2"
tap_end
