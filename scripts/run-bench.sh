#!/usr/bin/env bash
# `ninja bench` / `ninja bench-quick`: the throughput sweep and the accuracy
# sweep of every kernel that runs here, then tables, plots and REPORT.md,
# into OUTROOT/<machine> (`normbench cpu --id`), then OUTROOT/README.md:
# every machine folder there side by side (`normbench report --compare`).
# Usage: scripts/run-bench.sh [--quick] NORMBENCH NB_MEANSHIFT SRCDIR OUTROOT
#
# Everything is written to OUTROOT/.tmp-<machine>-XXXX first; only a
# complete set replaces OUTROOT/<machine>: the old folder is renamed aside,
# the new one renamed into place, then the old one removed. An interrupted
# or failed run leaves the previous results as they were.
#
# Full run (40 minutes on the 2-core Zen 5 VM with 6 ops and 232 kernels,
# 2404 s measured, 29 min of it perf; each step prints its progress): perf at D = 64 .. 65536 (x4),
# cache-resident (l2: x + y fill half of L2, where the kernels are
# compute-bound) and memory-bound (mem: 4x the LLC); the accuracy sweep's
# default grid; recommend at D = 4096 for the decode, batch and prefill
# shapes (REPORT.md's "Ship this"). --quick: tiny grids (mem at D = 4096
# and the fastest ISA of each algorithm only), for development and the
# tests' fixture.
set -euo pipefail
quick=0
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
if [ $# -ne 4 ]; then
  echo "usage: run-bench.sh [--quick] NORMBENCH NB_MEANSHIFT SRCDIR OUTROOT" >&2
  exit 2
fi
nb=$1 meanshift=$2 src=$3 root=$4
id=$("$nb" cpu --id)
mkdir -p "$root"
tmp=$(mktemp -d "$root/.tmp-$id-XXXX")
# an interrupted run (Ctrl-C, kill) removes its temporary folder too
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
start=$(date +%s)
step() { printf '\n== bench [%s/7] %s (%ds)\n' "$1" "$2" $(($(date +%s) - start)) >&2; }

# mem_d: the D of the memory-bound sweep (every D in a full run; D = 4096
# alone in a quick one, where 4x the LLC of a 169-kernel registry at two D
# took most of seven minutes). The first D is the one the probes run at.
if [ $quick = 1 ]; then
  perf_args=(--d 4096,64 --working-set l2,mem --repetitions 5 --min-time 0.002)
  mem_d=4096
  acc_args=(--d 64,4096 --dist normal,constmag,shift1,shift10,shift1e2,shift1e3,shift1e4 --rows 2)
  shift_args=(1024 8)
  rec_args=(--d 256 --shape decode,batch --repetitions 5 --min-time 0.001)
else
  perf_args=(--d 64,256,1024,4096,16384,65536 --working-set l2,mem)
  mem_d='[0-9]+'
  acc_args=()
  shift_args=(4096 64)
  rec_args=(--d 4096 --shape decode,batch,prefill)
fi

step 1 "machine: $id"
{
  echo "# normbench cpu"
  "$nb" cpu
  echo "# load before the run (uptime): $(uptime)"
} >"$tmp/machine.txt"
cat "$tmp/machine.txt" >&2

step 2 "throughput: normbench perf ${perf_args[*]}"
# The mem sweep leaves out the kernels that are compute-bound at every
# working set (the rule: NB_MEM_SWEEP_FRAC in harness/report.h); a short
# pass at D = 4096 finds them, and the list goes into machine.txt. A quick
# run also leaves out all but the fastest ISA of each algorithm (op, dtype,
# algorithm, by that pass; every peer runs).
"$nb" perf --d 4096 --working-set l2,mem --repetitions 3 --min-time 0.001 --quiet \
  '--benchmark_filter=ws:l2$|^probe_copy/' --csv "$tmp/prepass.csv" >/dev/null
fastest=()
[ $quick = 0 ] || fastest=(--fastest-isa)
"$nb" report --mem-sweep "$tmp/prepass.csv" "${fastest[@]}" --output "$tmp/mem_note" >"$tmp/mem_kernels"
if [ $quick = 1 ] && grep -q _external_torch "$tmp/mem_kernels"; then
  # a PyTorch call at 4x the LLC takes over a second here (its temporaries
  # are fresh mappings, page-faulted on every call): half a quick run
  echo "# quick run: the PyTorch peer left out of the mem sweep (seconds a call; the full run has it)" >>"$tmp/mem_note"
  sed -i '/_external_torch$/d' "$tmp/mem_kernels"
fi
mem_re=$(paste -sd '|' "$tmp/mem_kernels")
"$nb" perf "${perf_args[@]}" "--benchmark_filter=ws:l2\$|^(probe_[a-z_]+|$mem_re)/d:$mem_d/" \
  --csv "$tmp/perf.csv" --json "$tmp/perf.json" | tee "$tmp/perf.txt" >&2
{
  echo "# normbench perf: machine and build"
  grep '^#' "$tmp/perf.csv" | grep -v '^# bytes per call'
  cat "$tmp/mem_note"
} >>"$tmp/machine.txt"
rm "$tmp/prepass.csv" "$tmp/mem_note" "$tmp/mem_kernels"

step 3 "accuracy: normbench accuracy ${acc_args[*]}"
# exit 1 = a declared bound was breached: that is a result (REPORT.md
# shows it), not a failed run
rc=0
"$nb" accuracy "${acc_args[@]}" --csv "$tmp/accuracy.csv" >"$tmp/accuracy.txt" || rc=$?
[ $rc -le 1 ] || { echo "run-bench: error: normbench accuracy exited with $rc" >&2; exit 1; }
echo "accuracy exit status: $rc" >>"$tmp/accuracy.txt"

step 4 "declared bounds (normbench list --csv - --d D) and the mean-shift measurement"
# the row lengths of the accuracy sweep: its "d" column, found by name
dcol=$("$nb" accuracy --columns | tr , '\n' | grep -nx d | cut -d: -f1)
ds=$(tail -n +2 "$tmp/accuracy.csv" | cut -d, -f"$dcol" | sort -un)
first=1
for d in $ds; do
  if [ $first = 1 ]; then "$nb" list --csv - --d "$d"; first=0; else "$nb" list --csv - --d "$d" | tail -n +2; fi
done >"$tmp/bounds.csv"
"$meanshift" "${shift_args[@]}" >"$tmp/meanshift.csv"

step 5 "the kernel to ship: normbench recommend ${rec_args[*]}"
"$nb" recommend --op all --dtype all "${rec_args[@]}" --csv "$tmp/recommend.csv" --json "$tmp/recommend.json" \
  >"$tmp/recommend.txt"

step 6 "tables and plots"
# the large files (tens of MB) compress about tenfold; normbench report
# and zcat read them
gzip -9n "$tmp/accuracy.csv" "$tmp/perf.json" "$tmp/recommend.json"
"$src/scripts/bench-render.sh" "$nb" "$tmp" "$src"

step 7 "REPORT.md"
echo "$(($(date +%s) - start))" >"$tmp/duration_s"
"$nb" report --machine "$id" "$tmp"

chmod 755 "$tmp"
dest=$root/$id
if [ -e "$dest" ]; then
  old=$(mktemp -d "$root/.old-$id-XXXX")
  mv "$dest" "$old/"
  mv "$tmp" "$dest"
  rm -rf "$old"
else
  mv "$tmp" "$dest"
fi
trap - EXIT
echo "bench: $dest complete in $(($(date +%s) - start)) s" >&2
# every machine's results side by side (the folders with a perf.csv)
folders=()
for d in "$root"/*/; do [ -f "$d/perf.csv" ] && folders+=("$d"); done
if [ ${#folders[@]} -gt 0 ]; then
  "$nb" report --compare --output "$root/README.md" "${folders[@]}"
  echo "bench: $root/README.md compares ${#folders[@]} machine folder(s)" >&2
fi
