#!/usr/bin/env bash
# TAP: the bench's tables, figures and report on a committed fixture
# (tests/fixtures/bench: the CSVs of a real `ninja bench-quick` run).
# Usage: check_bench.sh SRCDIR NORMBENCH
#  - the fixture's CSV headers are the harness's columns (perf_columns.txt,
#    nb_acc_cols in harness/sweep.c, `normbench list --csv`, bench/meanshift.c),
#    so a changed harness makes a stale fixture fail here;
#  - every column the bench scripts read (col("..."), v("...")) is one the
#    harness writes, or one of the bench's own tables;
#  - a CSV missing a column stops the tables with a one-line error;
#  - every figure renders in SVG and PNG: gnuplot exits 0 with nothing on
#    stderr, files non-empty and of their format;
#  - REPORT.md is generated with every section, and every figure it embeds exists.
set -uo pipefail
src=$1 nb=$2
fix=$src/tests/fixtures/bench
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
header() { grep -v '^#' "$1" | head -1; }

perf_cols=$(sed -n 's/^\([a-z_0-9]*\): .*/\1/p' "$src/harness/perf_columns.txt" | paste -sd, -)
acc_cols=$(sed -n '/nb_acc_cols\[\] = {/,/};/p' "$src/harness/sweep.c" | grep -o '"[a-z_0-9]*"' | tr -d '"' | paste -sd, -)
list_cols=$("$nb" list --csv - | head -1)
shift_cols=$(grep -o 'printf("op,[a-z_,]*' "$src/bench/meanshift.c" | sed 's/printf("//')
rec_cols=$(sed -n '/rec_cols\[\] = {/,/};/p' "$src/cli/cmd_recommend.c" | grep -o '"[a-z_0-9]*"' | tr -d '"' | paste -sd, -)
[ "$(header "$fix/perf.csv")" = "$perf_cols" ]; ok $? "fixture perf.csv header = harness/perf_columns.txt"
[ "$(header "$fix/accuracy.csv")" = "$acc_cols" ]; ok $? "fixture accuracy.csv header = nb_acc_cols"
[ "$(header "$fix/bounds.csv")" = "$list_cols" ]; ok $? "fixture bounds.csv header = normbench list --csv -"
[ -n "$shift_cols" ] && [ "$(header "$fix/meanshift.csv")" = "$shift_cols" ]
ok $? "fixture meanshift.csv header = bench/meanshift.c's"
[ -n "$rec_cols" ] && [ "$(header "$fix/recommend.csv")" = "$rec_cols" ]
ok $? "fixture recommend.csv header = rec_cols in cli/cmd_recommend.c"

# the bench's own tables (scripts/bench-tables.sh): err_ref.csv, ratio_all.csv
own="op,dtype,kernel,err,d,working_set,ratio"
known=",$perf_cols,$acc_cols,$list_cols,$shift_cols,$rec_cols,$own,"
used=$(cat "$src"/scripts/bench-*.sh "$src/scripts/run-bench.sh" | grep -o '\(col\|v\)("[a-z_0-9]*"' |
  sed 's/.*("//; s/"//' | sort -u)
bad=""
# a name ending in '_' is a prefix (v("hist_" j)): its columns are checked below
for c in $used; do case $c in *_) continue ;; esac; case $known in *",$c,"*) ;; *) bad="$bad $c" ;; esac; done
for j in $(seq 0 13); do case $known in *",hist_$j,"*) ;; *) bad="$bad hist_$j" ;; esac; done
[ -n "$used" ] && [ -z "$bad" ]; ok $? "columns read by the bench scripts exist in the harness's CSVs${bad:+ (unknown:$bad)}"

mkdir "$work/broken"
cp "$fix"/*.csv "$fix/machine.txt" "$work/broken/"
sed -i '1,/^name,/s/gbytes_per_s/gbps/' "$work/broken/perf.csv"
msg=$("$src/scripts/bench-tables.sh" "$work/broken" 2>&1 >/dev/null); rc=$?
[ $rc -ne 0 ] && [ "$(printf '%s\n' "$msg" | grep -c 'error:')" -ge 1 ] &&
  printf '%s\n' "$msg" | grep -q "no column 'gbytes_per_s'"
ok $? "a CSV without a column the tables read stops them with an error naming it"

mkdir "$work/r"
cp "$fix"/*.csv "$fix/machine.txt" "$work/r/"
"$src/scripts/bench-render.sh" "$work/r" "$src" 2>"$work/render.err"; rc=$?
ok $rc "tables and plots render on the fixture (gnuplot silent on stderr)"
[ $rc = 0 ] || sed 's/^/# /' "$work/render.err"
# a table's blocks (two blank lines apart) are its '# label' lines: one
# line of a figure per block, none shifted by a stray blank line
bad=""
for f in "$work"/r/tables/*.dat; do
  awk 'BEGIN { b = 1 } /^# / { h++ } /^$/ { run++; next } { if (run >= 2) b++; run = 0 }
       END { exit !(h == b) }' "$f" || bad="$bad $(basename "$f")"
done
[ -z "$bad" ]; ok $? "every table's blocks are its labelled lines${bad:+ (not:$bad)}"
figs="pareto shift hist ratio"
for op in rmsnorm layernorm; do for dt in f32 f16 bf16; do figs="$figs throughput_${op}_$dt error_${op}_$dt"; done; done
for f in $figs; do
  [ -s "$work/r/plots/$f.svg" ] && grep -q '<svg' "$work/r/plots/$f.svg" &&
    [ -s "$work/r/plots/$f.png" ] && [ "$(head -c 8 "$work/r/plots/$f.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
  ok $? "$f.svg and $f.png written"
done

"$src/scripts/bench-report.sh" "$work/r" >"$work/r/REPORT.md" 2>"$work/report.err"; rc=$?
[ $rc = 0 ] && [ ! -s "$work/report.err" ]; ok $? "bench-report.sh runs on the fixture, silent on stderr"
for s in "## Machine" "## Ship this" "## Fastest kernel" "## Accuracy per kernel" "## Figures" "### 1. Cost" \
         "### 2. Numerics" "### 3. The mean shift"; do
  grep -q "^$s" "$work/r/REPORT.md"; ok $? "REPORT.md has '$s'"
done
missing=0
for p in $(grep -o '](plots/[a-z_0-9]*\.\(png\|svg\))' "$work/r/REPORT.md" | sed 's/^](//; s/)$//'); do
  [ -s "$work/r/$p" ] || missing=1
done
[ "$(grep -c '](plots/' "$work/r/REPORT.md")" -ge 32 ] && [ $missing = 0 ]
ok $? "REPORT.md embeds every figure and each exists"
# every fastest-kernel row names a kernel of the registry
rows=$(sed -n '/^## Fastest kernel/,/^## /p' "$work/r/REPORT.md" | grep -c '^| [A-Za-z]*Norm |')
[ "$rows" -ge 6 ]; ok $? "fastest-kernel table has a row per op x dtype ($rows rows)"

# Ship this: a row per op x dtype x shape of recommend.csv; a cell names one
# kernel only when recommend called it the winner (or the only one)
want=$(grep -v '^#' "$fix/recommend.csv" | tail -n +2 | cut -d, -f1-4 | sort -u | wc -l)
ship=$(sed -n '/^## Ship this/,/^## /p' "$work/r/REPORT.md" | grep '^| [A-Za-z]*Norm |')
[ "$(printf '%s\n' "$ship" | grep -c .)" -eq "$want" ]; ok $? "Ship this has a row per op x dtype x D x shape ($want)"
named=$(printf '%s\n' "$ship" | grep -o '\*\*[a-z0-9_]*\*\*' | wc -l)
crowned=$(grep -v '^#' "$fix/recommend.csv" | awk -F, 'NR > 1 && ($7 == 0.5 || $7 == 4) && ($13 == "winner" || $13 == "only")' | wc -l)
[ "$named" -eq "$crowned" ] && ! printf '%s\n' "$ship" | grep -q 'NOISY[^)]*\*\*'
ok $? "Ship this names a kernel only for recommend's winners ($named), never a NOISY one"

echo "1..$n"
exit $failed
