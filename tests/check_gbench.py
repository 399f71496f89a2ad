"""normbench_gbench as Google Benchmark's tools/compare.py uses a benchmark
binary. What is expected comes from Google Benchmark's documentation
(docs/user_guide.md: flags, output formats) and from what compare.py reads
(gbench/util.py: an executable is a file starting with ELF magic; it is run
with --benchmark_out=FILE plus the user's flags, its exit status must be 0,
the JSON is read from FILE; gbench/report.py: entries paired by name, with
time_unit, real_time and cpu_time), not from normbench's code.
Usage: check_gbench.py NORMBENCH_GBENCH. TAP on stdout."""
import csv
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile

from compare_py import pair_by_name, sort_like_compare
from tap import done, ok, skip

exe = sys.argv[1]



def run(*args, env=None):
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env)


def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


tmp = tempfile.mkdtemp()
# a small selection, in normbench's own options (compare.py passes them on)
sel = ["--kernel", "rmsnorm_f32_twopass_*", "--d", "64", "--working-set", "l1", "--quiet"]
gflags = ["--benchmark_repetitions=3", "--benchmark_min_time=0.002s", "--benchmark_display_aggregates_only=true"]

# util.is_executable_file
with open(exe, "rb") as f:
    ok(f.read(4) == b"\x7fELF", "compare.py takes it for an executable (ELF magic)")

# util.run_benchmark: --benchmark_out=<temp file> appended to the flags
out = os.path.join(tmp, "a.json")
p = run(*sel, *gflags, "--benchmark_out=" + out)
ok(p.returncode == 0, "runs with compare.py's flags, exit 0 (%s)" % p.stderr.strip()[:200])
ok("rmsnorm_f32_twopass_" in p.stdout, "the console table on stdout while the JSON goes to --benchmark_out")
with open(out) as f:
    doc = json.load(f)

# the context Google Benchmark writes (docs: "Output Formats", JSON)
ctx = doc["context"]
want = {"date", "host_name", "executable", "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled", "caches", "load_avg",
        "library_build_type"}
ok(want <= set(ctx), "context keys: %s" % ", ".join(sorted(want - set(ctx))) if want - set(ctx) else
   "context has date, host_name, executable, num_cpus, mhz_per_cpu, cpu_scaling_enabled, caches, load_avg, "
   "library_build_type")
ok(isinstance(ctx["cpu_scaling_enabled"], bool), "cpu_scaling_enabled is a boolean")
if os.path.exists("/proc/loadavg"):
    ok(len(ctx["load_avg"]) == 3 and all(number(v) and v >= 0 for v in ctx["load_avg"]),
       "load_avg: the three load averages of this machine (%s)" % ctx["load_avg"])
else:
    skip("no /proc/loadavg here")

# entries: what report.py pairs and reads
bms = doc["benchmarks"]
ok(bms and all({"name", "run_name", "run_type", "time_unit", "real_time", "cpu_time", "iterations", "repetitions",
                "threads", "family_index", "per_family_instance_index"} <= set(b) for b in bms),
   "every entry: name, run_name, run_type, time_unit, real_time, cpu_time, iterations, repetitions, threads, "
   "family_index, per_family_instance_index")
it = [b for b in bms if b["run_type"] == "iteration"]
ag = [b for b in bms if b["run_type"] == "aggregate"]
ok(it and all(b["repetitions"] == 3 for b in bms) and
   all(sum(x["run_name"] == b["run_name"] for x in it) == 3 for b in it),
   "--benchmark_repetitions=3: three iteration entries per run")
ok(ag and all(b["name"] == b["run_name"] + "_" + b["aggregate_name"] for b in ag),
   "aggregates named <run_name>_<aggregate_name>")

# --benchmark_list_tests: the names, one a line, nothing run
p = run(*sel, "--benchmark_list_tests")
listed = p.stdout.split()
ok(p.returncode == 0 and listed == list(dict.fromkeys(b["run_name"] for b in bms)),
   "--benchmark_list_tests lists the run names of the JSON, in order")
p = run(*sel, "--benchmark_list_tests", "--benchmark_filter=probe_copy$|twopass_scalar")
ok(p.returncode == 0 and p.stdout.split() and all(re.search("probe_copy$|twopass_scalar", n) for n in p.stdout.split())
   and len(p.stdout.split()) < len(listed), "--benchmark_filter (a regex) narrows the list")

# --benchmark_format=json: stdout is the JSON alone
p = run(*sel, "--benchmark_repetitions=3", "--benchmark_min_time=100x", "--benchmark_format=json")
try:
    doc2 = json.loads(p.stdout)
except ValueError:
    doc2 = None
ok(p.returncode == 0 and doc2 is not None, "--benchmark_format=json: stdout parses as JSON")
ok(doc2 is not None and all(b["iterations"] == 100 for b in doc2["benchmarks"]),
   "--benchmark_min_time=100x: 100 iterations a sample")

# --benchmark_format=csv: Google Benchmark's CSV columns
p = run(*sel, "--benchmark_repetitions=3", "--benchmark_min_time=1ms", "--benchmark_format=csv")
rows = list(csv.reader(io.StringIO(p.stdout)))
ok(p.returncode == 0 and rows and rows[0] == ["name", "iterations", "real_time", "cpu_time", "time_unit",
                                              "bytes_per_second", "items_per_second", "label", "error_occurred",
                                              "error_message"], "--benchmark_format=csv: Google Benchmark's header")
ok(len(rows) > 1 and all(len(r) == 10 and float(r[2]) > 0 and r[4] == "ns" for r in rows[1:]),
   "every CSV row: 10 fields, a positive real_time in ns")
ok({r[0] for r in rows[1:]} == {b["name"] for b in bms}, "CSV names are the JSON's names")

# --benchmark_out_format=csv writes that CSV to the file
out_csv = os.path.join(tmp, "a.csv")
p = run(*sel, "--benchmark_repetitions=3", "--benchmark_min_time=1ms", "--benchmark_out=" + out_csv,
        "--benchmark_out_format=csv")
with open(out_csv) as f:
    ok(p.returncode == 0 and f.readline().startswith("name,iterations,real_time,cpu_time,time_unit"),
       "--benchmark_out_format=csv writes Google Benchmark's CSV")

# load_avg and cpu_scaling_enabled come from /proc and /sys (NORMBENCH_SYSROOT)
for gov, scaling in (("powersave", True), ("performance", False)):
    root = os.path.join(tmp, "root-" + gov)
    os.makedirs(os.path.join(root, "proc"))
    os.makedirs(os.path.join(root, "sys/devices/system/cpu/cpu0/cpufreq"))
    with open(os.path.join(root, "proc/loadavg"), "w") as f:
        f.write("1.50 2.25 3.00 2/345 6789\n")
    with open(os.path.join(root, "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"), "w") as f:
        f.write(gov + "\n")
    p = run(*sel, "--benchmark_repetitions=1", "--benchmark_min_time=10x", "--benchmark_filter=probe_read",
            "--benchmark_format=json", env={**os.environ, "NORMBENCH_SYSROOT": root})
    c = json.loads(p.stdout)["context"] if p.returncode == 0 else {}
    ok(c.get("load_avg") == [1.5, 2.25, 3.0] and c.get("cpu_scaling_enabled") is scaling,
       "governor %s: cpu_scaling_enabled %s, load_avg from the sysroot's /proc/loadavg (%s)" %
       (gov, scaling, {k: c.get(k) for k in ("load_avg", "cpu_scaling_enabled")}))

# bad values: one line, exit 2
for bad in ("--benchmark_format=xml", "--benchmark_min_time=fast", "--benchmark_min_time=0x",
            "--benchmark_repetitions=0", "--benchmark_out_format=yaml", "--benchmark_list_tests=maybe",
            "--benchmark_filter=("):
    p = run(*sel, bad)
    ok(p.returncode == 2 and p.stderr.count("\n") == 1 and p.stdout == "", "%s: one-line error, exit 2" % bad)

# compare.py's diff: sort, pair entries by name, the relative change
out2 = os.path.join(tmp, "b.json")
p = run(*sel, *gflags, "--benchmark_out=" + out2)
with open(out2) as f:
    b2 = sort_like_compare(json.load(f)["benchmarks"])
b1 = sort_like_compare(bms)
pairs = pair_by_name(b1, b2)
names = [l[0]["name"] for l, r in pairs]
changes = [(r["real_time"] - l["real_time"]) / abs(l["real_time"]) for ls, rs in pairs for l, r in zip(ls, rs)]
ok(names and set(names) == {b["name"] for b in b1} and changes and all(math.isfinite(c) for c in changes),
   "two runs pair entry for entry by name, each change finite (%d pairs)" % len(changes))

done()
