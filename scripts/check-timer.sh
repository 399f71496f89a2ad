#!/bin/sh
# Holds normbench's timer against Google Benchmark's: both time the same
# kernels on the same 1 MiB working set (d = 4096), pinned to one CPU, and
# the script prints the ratio of their medians. Agreement within 5% is
# expected on a quiet machine; this is a check to run by hand, not a test.
# Usage: scripts/check-timer.sh [BUILD_DIR] [KERNEL...]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
[ $# -gt 0 ] && shift
kernels=${*:-rmsnorm_f32_twopass_scalar layernorm_f32_welford_scalar}
py=/usr/bin/python3
[ -x "$build/cli/normbench" ] || { echo "check-timer: error: build normbench first (meson setup $build && ninja -C $build)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
c++ -O2 -std=c++17 -I"$root/include" "$root/scripts/gbench_check.cc" -o "$tmp/gbench_check" \
  -L"$build/kernels" -Wl,-rpath,"$build/kernels" -lnormbench -lbenchmark -lpthread
cpu=$(taskset -cp $$ | sed 's/.*: *//; s/[,-].*//')
# rounds alternate the two tools, so a change in the machine's load between
# them shows as spread across rounds instead of as a bias
rounds=${ROUNDS:-5}
for r in $(seq "$rounds"); do
  taskset -c "$cpu" "$tmp/gbench_check" $kernels --benchmark_repetitions=15 --benchmark_min_time=0.02 \
    --benchmark_report_aggregates_only=true --benchmark_out="$tmp/gb-$r.json" --benchmark_out_format=json \
    >/dev/null 2>&1
  for k in $kernels; do
    taskset -c "$cpu" "$build/cli/normbench" perf --kernel "$k" --d 4096 --working-set 1048576 --repetitions 15 \
      --min-time 0.02 --quiet --json "$tmp/nb-$r-$k.json" >/dev/null
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), clock: $(grep -o '"clock": "[a-z_]*"' "$tmp/nb-1-$(echo $kernels | cut -d' ' -f1).json")"
"$py" - "$tmp" "$rounds" $kernels <<'PY'
import json, statistics, sys
tmp, rounds, kernels = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def median_of(path, pick):
    return [b for b in json.load(open(path))["benchmarks"] if b.get("aggregate_name") == "median" and pick(b)][0]["real_time"]
worst = 0
print("%-30s %12s %12s %8s  %s" % ("kernel", "normbench ns", "gbench ns", "ratio", "ratio per round"))
for k in kernels:
    nb = [median_of("%s/nb-%d-%s.json" % (tmp, r, k), lambda b: b["run_name"].startswith(k + "/")) for r in range(1, rounds + 1)]
    gb = [median_of("%s/gb-%d.json" % (tmp, r), lambda b: b["run_name"] == k) for r in range(1, rounds + 1)]
    per = [n / g for n, g in zip(nb, gb)]
    ratio = statistics.median(per)
    worst = max(worst, abs(ratio - 1))
    print("%-30s %12.1f %12.1f %8.4f  %s" % (k, statistics.median(nb), statistics.median(gb), ratio,
                                           " ".join("%.3f" % p for p in per)))
print("largest disagreement (median over rounds): %.2f%% (%s)" % (100 * worst, "within 5%" if worst <= 0.05 else "MORE THAN 5%"))
PY
