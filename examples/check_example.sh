#!/bin/sh
# The README example built two ways -- by Meson against the dependency a
# subproject gets, and by the C compiler with `pkg-config normbench` on the
# uninstalled .pc file -- runs, and prints x / sqrt(mean(x^2) + eps). TAP.
# usage: check_example.sh BUILD_ROOT SOURCE MESON_BUILT_EXE CC [CC ARGS...]
build=$1 src=$2 built=$3
shift 3
# shellcheck source=SCRIPTDIR/../tests/tap.sh
. "$(dirname "$0")/../tests/tap.sh"

flags=$(PKG_CONFIG_PATH="$build/meson-uninstalled" pkg-config --cflags --libs normbench)
ok $? "pkg-config --cflags --libs normbench: $flags"
# shellcheck disable=SC2086 # flags are words
"$@" -o "$tmp/ex" "$src" $flags 2>"$tmp/cc.err"
ok $? "cc rmsnorm_example.c \$(pkg-config --cflags --libs normbench) $(head -c 200 "$tmp/cc.err")"
libdir=$(echo " $flags" | sed -n 's/.* -L\([^ ]*\).*/\1/p')
LD_LIBRARY_PATH="$libdir" "$tmp/ex" >"$tmp/out"
ok $? "the pkg-config build runs"
"$built" >"$tmp/out2"
ok $? "the Meson build runs"
cmp -s "$tmp/out" "$tmp/out2"
ok $? "both print the same"
# The rows of rmsnorm_example.c, normalized in awk's double precision.
awk -v r1="1 2 3 4" -v r2="-1 0.5 0.25 8" '
  NR <= 2 {
    split(NR == 1 ? r1 : r2, x, " "); s = 0
    for (i = 1; i <= 4; i++) s += x[i] * x[i]
    r = sqrt(s / 4 + 1e-5)
    for (i = 1; i <= 4; i++) { e = x[i] / r; if (($i - e) ^ 2 > (2e-7 * e) ^ 2 || NF != 4) bad = 1 }
  }
  NR == 3 && $1 == "kernel:" && $2 ~ /^rmsnorm_f32_/ { named = 1 }
  END { exit bad || !named || NR != 3 }' "$tmp/out"
ok $? "the output is RMSNorm of the example rows (within 2e-7) and names an rmsnorm_f32 kernel"
tap_end
