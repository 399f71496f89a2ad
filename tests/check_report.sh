#!/usr/bin/env bash
# TAP: the committed results reproduce. `normbench report` on a copy of each
# folder under results/ writes the committed REPORT.md and tables/ byte for
# byte, so a change of the report's code that changes its text shows here,
# and the committed text is regenerated with it (and says why in the commit).
# The copy lives in a temporary folder: the source tree is never written.
# Usage: check_report.sh SRCDIR NORMBENCH
set -uo pipefail
src=$1 nb=$2
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

folders=0
for dir in "$src"/results/*/; do
  [ -f "$dir/perf.csv" ] || continue
  folders=$((folders + 1))
  id=$(basename "$dir")
  cp -r "$dir" "$work/$id"
  rm -rf "$work/$id/tables" "$work/$id/REPORT.md"
  "$nb" report "$work/$id" 2>"$work/err"; rc=$?
  [ $rc = 0 ] && [ ! -s "$work/err" ]; ok $? "$id: normbench report runs, silent"
  diff "$dir/REPORT.md" "$work/$id/REPORT.md" >"$work/diff"; ok $? "$id: REPORT.md as committed"
  head -20 "$work/diff" | sed 's/^/# /'
  diff -r "$dir/tables" "$work/$id/tables" >"$work/diff"; ok $? "$id: tables/ as committed, file for file"
  head -20 "$work/diff" | sed 's/^/# /'
done
[ $folders -ge 1 ]; ok $? "results/ holds at least one results folder ($folders)"
echo "1..$n"
exit $failed
