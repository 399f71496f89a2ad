#!/usr/bin/env bash
# TAP: the committed results reproduce. `normbench report` on a copy of each
# folder under results/ writes the committed REPORT.md and tables/ byte for
# byte, so a change of the report's code that changes its text shows here,
# and the committed text is regenerated with it (and says why in the commit).
# The copy lives in a temporary folder: the source tree is never written.
# Usage: check_report.sh SRCDIR NORMBENCH
set -uo pipefail
src=$1 nb=$2
# shellcheck source=SCRIPTDIR/tap.sh
. "$(dirname "$0")/tap.sh"

folders=0
for dir in "$src"/results/*/; do
  [ -f "$dir/perf.csv" ] || continue
  folders=$((folders + 1))
  id=$(basename "$dir")
  cp -r "$dir" "$tmp/$id"
  rm -rf "$tmp/$id/tables" "$tmp/$id/REPORT.md"
  "$nb" report "$tmp/$id" 2>"$tmp/err"; rc=$?
  [ $rc = 0 ] && [ ! -s "$tmp/err" ]; ok $? "$id: normbench report runs, silent"
  diff "$dir/REPORT.md" "$tmp/$id/REPORT.md" >"$tmp/diff"; ok $? "$id: REPORT.md as committed"
  head -20 "$tmp/diff" | sed 's/^/# /'
  diff -r "$dir/tables" "$tmp/$id/tables" >"$tmp/diff"; ok $? "$id: tables/ as committed, file for file"
  head -20 "$tmp/diff" | sed 's/^/# /'
done
[ $folders -ge 1 ]; ok $? "results/ holds at least one results folder ($folders)"
tap_end
