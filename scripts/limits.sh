#!/usr/bin/env bash
# The speed targets of the kernels "at the machine's limit" (README, Speed):
# each figure a ratio measured in one interleaved run of normbench compare,
# with its 95% bootstrap interval, at D = 4096 (and --d LIST), working sets
# 512 KiB and 2 MiB (in cache) and 256 MiB (memory-bound) of x + y.
# Run it on a quiet machine: nothing else may run (the figures are ratios of
# interleaved rounds, which absorbs drift, not a competing build).
# Usage: scripts/limits.sh [NORMBENCH] [--d LIST] [--threads N]   (markdown on stdout)
set -euo pipefail
nb=build/cli/normbench
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then nb=$1; shift; fi
d=4096 threads=1
while [ $# -gt 0 ]; do
  case $1 in
    --d) d=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "limits.sh: error: unknown option '$1' (--d LIST, --threads N)" >&2; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache=524288,2097152 mem=268435456
common=(--d "$d" --threads "$threads" --quiet)

# row TITLE A B WORKING_SETS COLUMN: B over A (COLUMN: bandwidth or speed)
# at each working set, "ratio [lo, hi]" cells
row() {
  local title=$1 a=$2 b=$3 ws=$4 col=$5
  "$nb" compare "$a" "$b" "${common[@]}" --working-set "$ws" --csv "$tmp/c.csv" >/dev/null
  awk -F, -v b="$b" -v col="$col" -v title="$title" '
    /^#/ { next }
    !h { h = 1; for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["kernel"] == b {
      cell = cell sprintf(" %.2f [%.2f, %.2f] |", $c[col "_vs_a"], $c[col "_lo"], $c[col "_hi"])
    }
    END { printf "| %s |%s\n", title, cell }' "$tmp/c.csv"
}

machine=$("$nb" cpu --id)
echo "normbench limits on $machine, D = $d, $threads thread(s), $(date -u +%Y-%m-%d)"
echo
# table PROBE WORKING_SETS: the kernels over the probe, then the ratios
# between kernels, at those working sets
table() {
  local probe=$1 ws=$2 k
  for k in rmsnorm_f32_fast_avx512 rmsnorm_f32_twopass_avx512 layernorm_f32_fast_avx512 layernorm_f32_twopass_avx512 \
           rmsnorm_bf16_fast_avx512bf16 layernorm_bf16_fast_avx512bf16; do
    row "$k GB/s over $probe" "$probe" $k "$ws" bandwidth
  done
  row "rmsnorm_f32_accurate_avx512 over rmsnorm_f32_fast_avx512" rmsnorm_f32_fast_avx512 rmsnorm_f32_accurate_avx512 "$ws" speed
  row "layernorm_f32_accurate_avx512 over layernorm_f32_fast_avx512" layernorm_f32_fast_avx512 layernorm_f32_accurate_avx512 \
    "$ws" speed
  row "rmsnorm_bf16 fast over rmsnorm_f32 fast (rows/s)" rmsnorm_f32_fast_avx512 rmsnorm_bf16_fast_avx512bf16 "$ws" speed
  row "rmsnorm_bf16 accurate over fast" rmsnorm_bf16_fast_avx512bf16 rmsnorm_bf16_accurate_avx512bf16 "$ws" speed
  row "layernorm_f32_fast_avx512 over oneDNN" layernorm_f32_external_onednn layernorm_f32_fast_avx512 "$ws" speed
}
echo "| ratio (B over A, median of interleaved rounds [95%]) | 512 KiB | 2 MiB |"
echo "|---|---:|---:|"
table probe_copy $cache
echo
echo "| ratio, memory-bound | 256 MiB |"
echo "|---|---:|"
table probe_copy_nt $mem

# Two threads over one: not one interleaved run (the thread count is the
# run's), so two perf runs back to back, rows/s of each, no interval.
if [ "$threads" = 1 ] && [ "$(nproc)" -ge 2 ]; then
  echo
  echo "| two threads over one (rows/s, two perf runs) | 512 KiB | 2 MiB | 256 MiB |"
  echo "|---|---:|---:|---:|"
  for t in 1 2; do
    "$nb" perf --kernel '*norm_f32_fast_avx512' --d "$d" --threads $t \
      --working-set $cache,$mem --quiet --csv "$tmp/t$t.csv" >/dev/null
  done
  awk -F, 'FNR == 1 { h = 0 } /^#/ { next } !h { h = 1; delete c; for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["kind"] == "kernel" { k = $c["name"] SUBSEP $c["working_set"]; r[FILENAME ~ /t2/, k] = $c["rows_per_s"]; n[$c["name"]] = 1 }
    END { for (name in n) { printf "| %s |", name
            split("524288 2097152 268435456", w, " ")
            for (j = 1; j <= 3; j++)
              if (r[0, name SUBSEP w[j]] > 0) printf " %.2f |", r[1, name SUBSEP w[j]] / r[0, name SUBSEP w[j]]
              else printf " - |"
            printf "\n" } }' "$tmp/t1.csv" "$tmp/t2.csv"
fi
