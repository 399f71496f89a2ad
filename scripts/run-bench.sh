#!/usr/bin/env bash
# `ninja bench` / `ninja bench-quick`: the throughput sweep and the accuracy
# sweep of every kernel that runs here, then tables, plots and REPORT.md,
# into OUTROOT/<machine> (`normbench cpu --id`).
# Usage: scripts/run-bench.sh [--quick] NORMBENCH NB_MEANSHIFT SRCDIR OUTROOT
#
# Everything is written to OUTROOT/.tmp-<machine>-XXXX first; only a
# complete set replaces OUTROOT/<machine>: the old folder is renamed aside,
# the new one renamed into place, then the old one removed. An interrupted
# or failed run leaves the previous results as they were.
#
# Full run (about 10 minutes on 2 cores, measured, before the recommend
# step; each step prints its progress): perf at D = 64 .. 65536 (x4),
# cache-resident (l2: x + y fill half of L2, where the kernels are
# compute-bound) and memory-bound (mem: 4x the LLC); the accuracy sweep's
# default grid; recommend at D = 4096 for the decode, batch and prefill
# shapes (REPORT.md's "Ship this"). --quick: tiny grids (over 7 minutes on the Zen 5 VM with 169 kernels: mem is 256 MiB),
# for development and the tests' fixture.
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

if [ $quick = 1 ]; then
  perf_args=(--d 64,4096 --working-set l2,mem --repetitions 5 --min-time 0.002)
  acc_args=(--d 64,4096 --dist normal,constmag,shift1,shift10,shift1e2,shift1e3,shift1e4 --rows 2)
  shift_args=(1024 8)
  rec_args=(--d 256 --shape decode,batch --repetitions 5 --min-time 0.001)
else
  perf_args=(--d 64,256,1024,4096,16384,65536 --working-set l2,mem)
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
# A kernel whose cache-resident throughput is below a tenth of the memory
# copy bandwidth is compute-bound at every working set (the scalar 16-bit
# kernels, 0.03 to 0.7 GB/s here): at 4x the LLC one call takes seconds and
# its mem figure would repeat its l2 one, so the mem sweep leaves it out.
# A short pass at D = 4096 finds them; the list goes into machine.txt.
"$nb" perf --d 4096 --working-set l2,mem --repetitions 3 --min-time 0.001 --quiet \
  '--benchmark_filter=ws:l2$|^probe_copy/' --csv "$tmp/prepass.csv" >/dev/null
awk -F, -f "$src/scripts/csv.awk" -f /dev/stdin "$tmp/prepass.csv" >"$tmp/mem_kernels" <<'EOF2'
v("name") == "probe_copy" && v("working_set") == "mem" { copy = v("gbytes_per_s") }
v("kind") != "probe" && v("working_set") == "l2" { n++; K[n] = v("name"); G[n] = v("gbytes_per_s") }
END {
  if (CSV_FAILED || copy == "") exit 2
  for (i = 1; i <= n; i++) print K[i], (G[i] >= copy / 10 ? "mem" : "l2-only"), G[i], copy
}
EOF2
mem_re=$(awk '$2 == "mem" { printf "%s%s", n++ ? "|" : "", $1 }' "$tmp/mem_kernels")
"$nb" perf "${perf_args[@]}" "--benchmark_filter=ws:l2\$|^(probe_[a-z_]+|$mem_re)/" \
  --csv "$tmp/perf.csv" --json "$tmp/perf.json" | tee "$tmp/perf.txt" >&2
{
  echo "# normbench perf: machine and build"
  grep '^#' "$tmp/perf.csv" | grep -v '^# bytes per call'
  echo "# left out of the mem sweep (cache-resident GB/s < memory copy GB/s / 10 at D = 4096):"
  awk '$2 == "l2-only" { printf "#   %s %.3g GB/s (copy %.3g)\n", $1, $3, $4 }' "$tmp/mem_kernels"
} >>"$tmp/machine.txt"
rm "$tmp/prepass.csv" "$tmp/mem_kernels"

step 3 "accuracy: normbench accuracy ${acc_args[*]}"
# exit 1 = a declared bound was breached: that is a result (REPORT.md
# shows it), not a failed run
rc=0
"$nb" accuracy "${acc_args[@]}" --csv "$tmp/accuracy.csv" >"$tmp/accuracy.txt" || rc=$?
[ $rc -le 1 ] || { echo "run-bench: error: normbench accuracy exited with $rc" >&2; exit 1; }
echo "accuracy exit status: $rc" >>"$tmp/accuracy.txt"

step 4 "declared bounds (normbench list --csv - --d D) and the mean-shift measurement"
ds=$(awk -F, -f "$src/scripts/csv.awk" -f /dev/stdin "$tmp/accuracy.csv" <<'EOF2' | sort -un
{ print v("d") }
END { if (CSV_FAILED) exit 2 }
EOF2
)
first=1
for d in $ds; do
  if [ $first = 1 ]; then "$nb" list --csv - --d "$d"; first=0; else "$nb" list --csv - --d "$d" | tail -n +2; fi
done >"$tmp/bounds.csv"
"$meanshift" "${shift_args[@]}" >"$tmp/meanshift.csv"

step 5 "the kernel to ship: normbench recommend ${rec_args[*]}"
"$nb" recommend --op all --dtype all "${rec_args[@]}" --csv "$tmp/recommend.csv" --json "$tmp/recommend.json" \
  >"$tmp/recommend.txt"

step 6 "tables and plots"
"$src/scripts/bench-render.sh" "$tmp" "$src"

step 7 "REPORT.md"
echo "$(($(date +%s) - start))" >"$tmp/duration_s"
NB_MACHINE_ID=$id "$src/scripts/bench-report.sh" "$tmp" >"$tmp/REPORT.md"
# the two large files (tens of MB) compress about tenfold; zcat reads them
gzip -9n "$tmp/accuracy.csv" "$tmp/perf.json" "$tmp/recommend.json"

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
