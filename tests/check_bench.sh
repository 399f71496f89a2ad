#!/usr/bin/env bash
# TAP: the bench's tables, figures and report on a committed fixture
# (tests/fixtures/bench: the CSVs of a real `ninja bench-quick` run).
# Usage: check_bench.sh SRCDIR NORMBENCH NB_MEANSHIFT
#  - the fixture's CSV headers are the columns the binaries say they write
#    (`--columns`), so a changed harness makes a stale fixture fail here;
#  - a folder normbench report cannot read (a column missing, a short line,
#    a file missing, a corrupt .gz) stops it with a one-line error, before
#    anything is written;
#  - every figure renders in SVG and PNG: gnuplot exits 0 with nothing on
#    stderr, files non-empty and of their format;
#  - REPORT.md is generated with every section, and every figure it embeds exists.
set -uo pipefail
# Under pipefail, `producer | grep -q` fails when grep exits at its first
# match and the producer then writes into the closed pipe (SIGPIPE, 141):
# a race that CI lost once. Text already in hand goes to grep -q by <<<.
src=$1 nb=$2 meanshift=$3
fix=$src/tests/fixtures/bench
# shellcheck source=SCRIPTDIR/tap.sh
. "$(dirname "$0")/tap.sh"
header() { grep -v '^#' "$1" | head -1; }

perf_cols=$("$nb" perf --columns)
acc_cols=$("$nb" accuracy --columns)
list_cols=$("$nb" list --columns)
shift_cols=$("$meanshift" --columns)
rec_cols=$("$nb" recommend --columns)
[ "$(header "$fix/perf.csv")" = "$perf_cols" ]; ok $? "fixture perf.csv header = normbench perf --columns"
[ "$(header "$fix/accuracy.csv")" = "$acc_cols" ]; ok $? "fixture accuracy.csv header = normbench accuracy --columns"
[ "$(header "$fix/bounds.csv")" = "$list_cols" ] && [ "$("$nb" list --csv - | head -1)" = "$list_cols" ]
ok $? "fixture bounds.csv header = normbench list --columns = list --csv -'s"
[ -n "$shift_cols" ] && [ "$(header "$fix/meanshift.csv")" = "$shift_cols" ]
ok $? "fixture meanshift.csv header = nb_meanshift --columns"
[ -n "$rec_cols" ] && [ "$(header "$fix/recommend.csv")" = "$rec_cols" ]
ok $? "fixture recommend.csv header = normbench recommend --columns"

# a folder the report cannot read: one line on stderr naming the problem,
# a non-zero exit, and nothing written
bad_input() { # WHAT EXPECTED-MESSAGE SETUP-COMMAND...
  local what=$1 want=$2; shift 2
  rm -rf "$tmp/broken"; mkdir "$tmp/broken"
  cp "$fix"/*.csv "$fix/machine.txt" "$tmp/broken/"
  "$@"
  msg=$("$nb" report "$tmp/broken" 2>&1 >/dev/null); rc=$?
  [ $rc -ne 0 ] && [ "$(printf '%s\n' "$msg" | wc -l)" = 1 ] && printf '%s\n' "$msg" | grep -q "$want" &&
    [ ! -e "$tmp/broken/tables" ] && [ ! -e "$tmp/broken/REPORT.md" ]
  ok $? "report: $what: one-line error ($msg), nothing written"
}
bad_input "a column renamed" "no column 'gbytes_per_s'" sed -i '1,/^name,/s/gbytes_per_s/gbps/' "$tmp/broken/perf.csv"
bad_input "a short line" "accuracy.csv line 3: 2 cells" sed -i '3s/^\([^,]*,[^,]*\),.*/\1/' "$tmp/broken/accuracy.csv"
bad_input "no perf.csv" "perf.csv: no such file" rm "$tmp/broken/perf.csv"
bad_input "a corrupt accuracy.csv.gz" "gzip" sh -c "mv '$tmp/broken/accuracy.csv' '$tmp/broken/accuracy.csv.gz'"

# the memory-bound sweep's rule on the fixture's D = 4096 rows: in it, the
# kernels at or above a tenth of the memory copy's GB/s, the others in the note
grep -v '^#' "$fix/perf.csv" | awk -F, 'NR == 1 || $5 == 4096 || $2 == "probe"' >"$tmp/pre.csv"
"$nb" report --mem-sweep "$tmp/pre.csv" --output "$tmp/note" >"$tmp/mem"; rc=$?
want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["name"] == "probe_copy" && $c["working_set"] == "mem" { copy = $c["gbytes_per_s"] }
  $c["kind"] != "probe" && $c["working_set"] == "l2" { n++; k[n] = $c["name"]; g[n] = $c["gbytes_per_s"] }
  END { for (i = 1; i <= n; i++) if (g[i] * 10 >= copy) print k[i] }' "$tmp/pre.csv")
left=$(grep -c '^#   ' "$tmp/note")
[ $rc = 0 ] && [ "$(cat "$tmp/mem")" = "$want" ] && [ -n "$want" ] && [ "$left" -ge 1 ] &&
  [ $(($(wc -l <"$tmp/mem") + left)) = "$(grep -v '^#' "$tmp/pre.csv" | awk -F, '$2 != "probe" && $6 == "l2"' | wc -l)" ] &&
  head -1 "$tmp/note" | grep -q 'memory copy GB/s / 10 at D = 4096'
ok $? "report --mem-sweep: $(wc -l <"$tmp/mem") kernels at >= 1/10 of the copy's GB/s, $left left out and noted"
# --fastest-isa (the quick bench): of those, the fastest of each op, dtype
# and algorithm (the name without its ISA; every external peer kept)
"$nb" report --mem-sweep "$tmp/pre.csv" --fastest-isa --output "$tmp/note2" >"$tmp/mem2"; rc=$?
want2=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["name"] == "probe_copy" && $c["working_set"] == "mem" { copy = $c["gbytes_per_s"] }
  $c["kind"] != "probe" && $c["working_set"] == "l2" {
    n++; k[n] = $c["name"]; g[n] = $c["gbytes_per_s"]
    a[n] = k[n]; sub(/_[a-z0-9]+$/, "", a[n]); if (k[n] ~ /_external_/) a[n] = k[n]
  }
  END {
    for (i = 1; i <= n; i++) if (g[i] * 10 >= copy && (!(a[i] in best) || g[i] > best[a[i]])) best[a[i]] = g[i]
    for (i = 1; i <= n; i++) if (g[i] * 10 >= copy && g[i] == best[a[i]] && !seen[a[i]]++) print k[i]
  }' "$tmp/pre.csv")
[ $rc = 0 ] && [ "$(cat "$tmp/mem2")" = "$want2" ] && [ "$(wc -l <"$tmp/mem2")" -lt "$(wc -l <"$tmp/mem")" ] &&
  grep -q '^# quick run: the mem sweep ran the fastest ISA' "$tmp/note2" &&
  [ $(($(wc -l <"$tmp/mem2") + $(grep -c '^#   ' "$tmp/note2"))) = \
    "$(grep -v '^#' "$tmp/pre.csv" | awk -F, '$2 != "probe" && $6 == "l2"' | wc -l)" ]
ok $? "report --mem-sweep --fastest-isa: $(wc -l <"$tmp/mem2") kernels, one per algorithm, the others noted"
grep -v probe_copy "$tmp/pre.csv" >"$tmp/nocopy.csv"
msg=$("$nb" report --mem-sweep "$tmp/nocopy.csv" 2>&1 >/dev/null); rc=$?
[ $rc -ne 0 ] && [ "$(printf '%s\n' "$msg" | wc -l)" = 1 ] && printf '%s\n' "$msg" | grep -q 'no memory-bound copy probe'
ok $? "report --mem-sweep without the copy probe: one-line error"

mkdir "$tmp/r"
cp "$fix"/*.csv "$fix/machine.txt" "$tmp/r/"
"$src/scripts/bench-render.sh" "$nb" "$tmp/r" "$src" 2>"$tmp/render.err"; rc=$?
ok $rc "tables and plots render on the fixture (gnuplot silent on stderr)"
[ $rc = 0 ] || sed 's/^/# /' "$tmp/render.err"
# a table's blocks (two blank lines apart) are its '# label' lines: one
# line of a figure per block, none shifted by a stray blank line
bad=""
for f in "$tmp"/r/tables/*.dat; do
  awk 'BEGIN { b = 1 } /^# / { h++ } /^$/ { run++; next } { if (run >= 2) b++; run = 0 }
       END { exit !(h == b) }' "$f" || bad="$bad $(basename "$f")"
done
[ -z "$bad" ]; ok $? "every table's blocks are its labelled lines${bad:+ (not:$bad)}"
# the throughput tables: "d l2 mem l2_q3 l2_q1 mem_q3 mem_q1", the
# interquartile range as GB/s around each median (at the q3 time the lower
# end), and their .gp says the bars are drawn (iqr = 1) and what they are
bad=""
for f in "$tmp"/r/tables/tput_*.dat; do
  # (awk's END runs after an exit in a rule, and its exit sets the status)
  awk '/^#/ || /^$/ { next } NF != 7 { bad = 1; exit }
       { for (c = 2; c <= 3; c++) if ($c != "NaN") { lo = $(2 * c); hi = $(2 * c + 1); n++
           if (lo == "NaN" || hi == "NaN" || !(lo + 0 <= $c + 0 && $c + 0 <= hi + 0)) { bad = 1; exit } } }
       END { exit bad || !(n > 0) }' "$f" &&
    grep -q '^iqr = 1$' "${f%.dat}.gp" && grep -q "^iqr_note = .*interquartile range\\\\nof the samples' per-call time (5 samples a point)" "${f%.dat}.gp" ||
    bad="$bad $(basename "$f")"
done
[ -z "$bad" ]; ok $? "throughput tables: 7 columns, GB/s at q3 <= at the median <= at q1 at every point, iqr = 1${bad:+ (not:$bad)}"
# an older perf.csv, without q1_ns and q3_ns (as results/ holds): the tables
# carry NaN there, iqr = 0, and every figure still renders (lines, no bars)
mkdir "$tmp/old"
cp "$fix"/*.csv "$fix/machine.txt" "$tmp/old/"
awk -F, -v OFS=, '/^#/ { print; next } !h { h = 1; for (i = 1; i <= NF; i++) if ($i == "q1_ns" || $i == "q3_ns") drop[i] = 1 }
  { o = ""; for (i = 1; i <= NF; i++) if (!(i in drop)) o = o (o == "" ? "" : ",") $i; print o }' \
  "$fix/perf.csv" >"$tmp/old/perf.csv"
! grep -q 'q[13]_ns' <<<"$(header "$tmp/old/perf.csv")" &&
  "$src/scripts/bench-render.sh" "$nb" "$tmp/old" "$src" 2>"$tmp/old.render" &&
  awk '/^#/ || /^$/ { next } NF != 7 || $4 $5 $6 $7 != "NaNNaNNaNNaN" { exit 1 }' "$tmp"/old/tables/tput_*.dat &&
  grep -q '^iqr = 0$' "$tmp/old/tables/tput_rmsnorm_f32.gp" && [ -s "$tmp/old/plots/throughput_rmsnorm_f32.png" ] &&
  "$nb" report "$tmp/old" 2>"$tmp/old.err" && ! grep -q 'error bars' "$tmp/old/REPORT.md" && [ ! -s "$tmp/old.err" ]
rc=$?
ok $rc "a perf.csv without quartiles: NaN in the tables' bar columns, no bars, every figure renders"
[ $rc = 0 ] || cat "$tmp/old.render" "$tmp/old.err" 2>/dev/null | sed 's/^/# /'
figs="pareto shift hist ratio"
for op in rmsnorm layernorm; do for dt in f32 f16 bf16; do figs="$figs throughput_${op}_$dt error_${op}_$dt"; done; done
for f in $figs; do
  [ -s "$tmp/r/plots/$f.svg" ] && grep -q '<svg' "$tmp/r/plots/$f.svg" &&
    [ -s "$tmp/r/plots/$f.png" ] && [ "$(head -c 8 "$tmp/r/plots/$f.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
  ok $? "$f.svg and $f.png written"
done

"$nb" report "$tmp/r" >"$tmp/report.out" 2>"$tmp/report.err"; rc=$?
[ $rc = 0 ] && [ ! -s "$tmp/report.err" ] && [ ! -s "$tmp/report.out" ]
ok $? "normbench report runs on the fixture, silent"
grep -q "^Each figure as PNG here, SVG beside it in plots/. The throughput figures' error bars .* interquartile range of the samples' per-call time .* (5 samples, the repetitions, a point)\\.$" "$tmp/r/REPORT.md"
ok $? "REPORT.md says what the throughput figures' bars are, and of how many samples"
for s in "## Machine" "## Ship this" "## Fastest kernel" "## Accuracy per kernel" "## Figures" "### 1. Cost" \
         "### 2. Numerics" "### 3. The mean shift"; do
  grep -q "^$s" "$tmp/r/REPORT.md"; ok $? "REPORT.md has '$s'"
done
missing=0
for p in $(grep -o '](plots/[a-z_0-9]*\.\(png\|svg\))' "$tmp/r/REPORT.md" | sed 's/^](//; s/)$//'); do
  [ -s "$tmp/r/$p" ] || missing=1
done
[ "$(grep -c '](plots/' "$tmp/r/REPORT.md")" -ge 32 ] && [ $missing = 0 ]
ok $? "REPORT.md embeds every figure and each exists"
# every fastest-kernel row names a kernel of the registry
rows=$(sed -n '/^## Fastest kernel/,/^## /p' "$tmp/r/REPORT.md" | grep -c '^| [A-Za-z]*Norm |')
[ "$rows" -ge 6 ]; ok $? "fastest-kernel table has a row per op x dtype ($rows rows)"
# the ops engines ship get rows too: the fixture's RMSNorm perf rows copied
# as rmsnorm_i8 kernels (op and name changed) show up, with the units note
mkdir "$tmp/q"
cp "$fix"/*.csv "$fix/machine.txt" "$tmp/q/"
awk -F, -v OFS=, '/^#/ { print; next } !h { h = 1; for (i = 1; i <= NF; i++) c[$i] = i; print; next }
  { print } $c["op"] == "rmsnorm" && $c["kind"] == "kernel" { $c["op"] = "rmsnorm_i8"; sub(/^rmsnorm_/, "rmsnorm_i8_", $c["name"]); print }' \
  "$fix/perf.csv" >"$tmp/q/perf.csv"
"$nb" report "$tmp/q" 2>/dev/null
grep -q '^| rmsnorm_i8 | f32 | cache-resident | rmsnorm_i8_f32_' <<<"$(sed -n '/^## Fastest kernel/,/^## /p' "$tmp/q/REPORT.md")" &&
  grep -q "rmsnorm_i8's errors and bounds are in int8 quantization steps" "$tmp/q/REPORT.md"
ok $? "fastest-kernel table: a row for each op perf measured (rmsnorm_i8 added to the fixture), and its units"

# Ship this: a row per op x dtype x shape of recommend.csv; a cell names one
# kernel only when recommend called it the winner (or the only one)
want=$(grep -v '^#' "$fix/recommend.csv" | tail -n +2 | cut -d, -f1-4 | sort -u | wc -l)
ship=$(sed -n '/^## Ship this/,/^## /p' "$tmp/r/REPORT.md" | grep '^| [A-Za-z]*Norm |')
[ "$(printf '%s\n' "$ship" | grep -c .)" -eq "$want" ]; ok $? "Ship this has a row per op x dtype x D x shape ($want)"
named=$(printf '%s\n' "$ship" | grep -o '\*\*[a-z0-9_]*\*\*' | wc -l)
crowned=$(grep -v '^#' "$fix/recommend.csv" | awk -F, 'NR > 1 && ($7 == 0.5 || $7 == 4) && ($13 == "winner" || $13 == "only")' | wc -l)
[ "$named" -eq "$crowned" ] && ! grep -q 'NOISY[^)]*\*\*' <<<"$ship"
ok $? "Ship this names a kernel only for recommend's winners ($named), never a NOISY one"

tap_end
