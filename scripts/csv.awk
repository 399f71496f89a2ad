# Column access by header name for the bench scripts' awk programs (run
# with -F, -f scripts/csv.awk -f PROGRAM). Lines starting with '#' (perf's
# machine description) are skipped; each file's first other line is its
# header. col("name") is the field number of a column; a CSV without it
# stops the run, so a renamed harness column fails loudly. The tests check
# every col("...") name against the harness's own column lists. An END
# block starts with `if (CSV_FAILED) exit 2`, so no table is half written.
FNR == 1 { split("", C) }
/^#/ { next }
!(FILENAME in HDR) {
  HDR[FILENAME] = 1
  for (i = 1; i <= NF; i++) C[$i] = i
  next
}
function col(name) {
  if (!(name in C)) {
    printf "bench: error: %s has no column '%s'\n", FILENAME, name > "/dev/stderr"
    CSV_FAILED = 1
    exit 2
  }
  return C[name]
}
function v(name) { return $col(name) }
