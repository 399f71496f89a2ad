"""normbench perf's output files, read the way their readers read them.

JSON: parsed with the json module and held to the fields Google Benchmark's
tools/compare.py (gbench/util.py, gbench/report.py) reads: it filters on
run_name or name with a regex, sorts on family_index,
per_family_instance_index, run_type and repetition_index, pairs entries by
name, and needs time_unit, real_time and cpu_time to compare; aggregates
carry aggregate_name. CSV: the header equals `normbench perf --columns`, which starts with the
columns perf has always written. Usage: check_perf_output.py NORMBENCH. TAP
on stdout."""
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile

from compare_py import pair_by_name, sort_like_compare
from tap import done, ok

exe = sys.argv[1]



def run(*args):
    return subprocess.run([exe, *args], capture_output=True, text=True)


def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


tmp = tempfile.mkdtemp()
js, cs = os.path.join(tmp, "a.json"), os.path.join(tmp, "a.csv")
quick = ["--d", "64,100", "--working-set", "l1", "--repetitions", "3", "--min-time", "0.002", "--quiet"]
p = run("perf", "--kernel", "layernorm_f32_*", *quick, "--json", js, "--csv", cs)
ok(p.returncode == 0, "perf runs (%s)" % p.stderr.strip()[:200])

with open(js) as f:
    doc = json.load(f)
ctx = doc.get("context", {})
ok(all(k in ctx for k in ("date", "host_name", "num_cpus", "mhz_per_cpu", "caches", "library_build_type")),
   "context has Google Benchmark's machine fields")
ok(all(set(c) >= {"type", "level", "size", "num_sharing"} for c in ctx["caches"]) and ctx["caches"],
   "caches: type, level, size, num_sharing")
nb = ctx.get("normbench", {})
ok(all(nb.get(k) for k in ("cpu_model", "features", "compiler", "git", "clock")), "normbench metadata present")

bms = doc["benchmarks"]
ok(len(bms) > 0, "benchmarks present")
need = {"name", "run_name", "run_type", "repetitions", "iterations", "real_time", "cpu_time", "time_unit",
        "family_index", "per_family_instance_index", "threads"}
ok(all(need <= set(b) for b in bms), "every entry has compare.py's fields")
ok(all(b["run_type"] in ("iteration", "aggregate") for b in bms), "run_type is iteration or aggregate")
ok(all(b["time_unit"] in ("ns", "us", "ms", "s") for b in bms), "time_unit is one compare.py converts")
ok(all(number(b["real_time"]) and number(b["cpu_time"]) and number(b["iterations"]) for b in bms),
   "times and iterations are numbers")
it = [b for b in bms if b["run_type"] == "iteration"]
ag = [b for b in bms if b["run_type"] == "aggregate"]
ok(all(number(b["repetition_index"]) and b["name"] == b["run_name"] for b in it),
   "iteration entries: repetition_index, name == run_name")
ok(all(number(b.get("bytes_per_second")) and number(b.get("items_per_second")) for b in it),
   "iteration entries: bytes_per_second, items_per_second")
aggs = {}
for b in ag:
    aggs.setdefault(b["run_name"], set()).add(b.get("aggregate_name"))
    ok_name = b["name"] == b["run_name"] + "_" + b.get("aggregate_name", "")
    if not ok_name:
        break
ok(ag and ok_name and all(v == {"mean", "median", "stddev", "cv"} for v in aggs.values()),
   "aggregates mean, median, stddev, cv named <run_name>_<aggregate>")
runs = {b["run_name"] for b in it}
ok(all(sum(1 for b in it if b["run_name"] == r) == b0["repetitions"] for r in runs for b0 in it if b0["run_name"] == r),
   "one iteration entry per repetition")
for b in it:
    med = [a for a in ag if a["run_name"] == b["run_name"] and a["aggregate_name"] == "median"][0]
    reps = sorted(x["real_time"] for x in it if x["run_name"] == b["run_name"])
    n = len(reps)
    m = reps[n // 2] if n % 2 else (reps[n // 2 - 1] + reps[n // 2]) / 2
    if abs(m - med["real_time"]) > 1e-9 * m:
        break
else:
    m = None
ok(m is None, "median aggregate is the median of the repetitions")
ok(any(re.search(r"^layernorm_f32_\w+/d:64/ws:l1$", r) for r in runs) and any("/d:100/" in r for r in runs),
   "run names <kernel>/d:<D>/ws:<ws>")

# Google Benchmark's own flags, as compare.py passes them
js2 = os.path.join(tmp, "b.json")
p = run("perf", "--kernel", "layernorm_f32_*", *quick, "--benchmark_out=" + js2, "--benchmark_out_format=json",
        "--benchmark_filter=twopass.*/d:64/")
ok(p.returncode == 0, "--benchmark_out, --benchmark_out_format, --benchmark_filter accepted")
with open(js2) as f:
    names2 = {b["run_name"] for b in json.load(f)["benchmarks"]}
ok(names2 and all(re.search("twopass.*/d:64/", n) for n in names2), "--benchmark_filter keeps only matches")
with open(js2) as f:
    other = sort_like_compare(json.load(f)["benchmarks"])
mine = sort_like_compare(bms)
# compare.py's path: sort, partition by name, the relative change of each pair
pairs = pair_by_name(mine, other)
common = [l[0]["name"] for l, r in pairs]
ok(common and {b["name"] for b in other} == set(common) and all(len(l) == len(r) and len(l) in (1, 3) for l, r in pairs),
   "the two runs diffed as compare.py pairs them: same entries a side (3 repetitions or 1 aggregate)")
changes = [(r[0]["real_time"] - l[0]["real_time"]) / l[0]["real_time"] for l, r in pairs]
ok(changes and all(math.isfinite(c) for c in changes), "each relative change is a finite number")

# CSV: the header is what --columns says, and the columns other code reads
# by position and name (results folders, scripts) keep their names and order:
# new columns go at the end
FROZEN = "name,kind,op,dtype,d,working_set,ws_bytes,rows,threads,repetitions,iterations,retaken,disturbed,reruns,noisy,median_ns,min_ns,mean_ns,stddev_ns,cv,mad_pct,cpu_median_ns,bytes_per_call,gbytes_per_s,rows_per_s,copy_gbytes_per_s,frac_copy,nt_gbytes_per_s,frac_nt".split(",")
documented = subprocess.run([exe, "perf", "--columns"], capture_output=True, text=True).stdout.rstrip("\n").split(",")
with open(cs) as f:
    lines = [l for l in f if not l.startswith("#")]
header = lines[0].rstrip("\n")
ok(header == ",".join(documented), "CSV header equals normbench perf --columns")
ok(documented[:len(FROZEN)] == FROZEN, "perf's first %d columns keep their names and order" % len(FROZEN))
rows = list(csv.DictReader(lines))
ok(rows and all(len(r) == len(documented) and None not in r for r in rows), "every CSV row has every column")
k = [r for r in rows if r["kind"] == "kernel"]
ok(k and all(float(r["median_ns"]) > 0 and float(r["frac_copy"]) > 0 for r in k),
   "kernel rows carry a median and a fraction of the copy probe")
ok({r["name"] for r in rows} >= {"probe_read", "probe_copy", "probe_copy_nt"}, "probes in the same run")
# the quartiles of the samples' per-call time, at the end: min <= q1 <=
# median <= q3, and the JSON's median entry carries the same two numbers
ok(documented[-2:] == ["q1_ns", "q3_ns"], "q1_ns and q3_ns are the last two columns")
ok(rows and all(float(r["min_ns"]) <= float(r["q1_ns"]) <= float(r["median_ns"]) <= float(r["q3_ns"]) for r in rows),
   "every row: min_ns <= q1_ns <= median_ns <= q3_ns")
med = {b["run_name"]: b for b in bms if b.get("aggregate_name") == "median"}
ok(med and all(number(b["q1_ns"]) and number(b["q3_ns"]) and b["q1_ns"] <= b["real_time"] <= b["q3_ns"]
               for b in med.values()) and
   all("q1_ns" not in b for b in bms if b.get("aggregate_name") != "median"),
   "JSON: the median entries (only) carry q1_ns <= real_time <= q3_ns")

# bad input: one line on stderr, exit 2, no file left behind
p = run("perf", "--d", "0")
ok(p.returncode == 2 and p.stderr.count("\n") == 1 and p.stderr.startswith("normbench perf: error:"),
   "--d 0: one-line error, exit 2")
bad = os.path.join(tmp, "nodir", "x.json")
p = run("perf", "--kernel", "layernorm_f32_naive_*", *quick, "--json", bad)
ok(p.returncode != 0 and not os.path.exists(bad), "unwritable --json: error, no file")
p = run("perf", "--kernel", "no_such_kernel")
ok(p.returncode == 2 and "no kernel" in p.stderr, "unknown kernel glob: error")
ok(all(r["rows_per_s"] and float(r["rows_per_s"]) > 0 for r in k) and all(r["threads"] == "1" for r in rows),
   "kernel rows carry rows/s; one thread by default")

# shapes and threads: rows per call as asked, the probes on the same threads
p = run("perf", "--kernel", "rmsnorm_f32_twopass_*", "--d", "256", "--working-set", "decode", "--rows", "8",
        "--threads", "2", "--repetitions", "3", "--min-time", "0.002", "--quiet", "--csv", os.path.join(tmp, "t.csv"))
with open(os.path.join(tmp, "t.csv")) as f:
    t = list(csv.DictReader(l for l in f if not l.startswith("#")))
ok(p.returncode == 0 and {(r["working_set"], r["rows"]) for r in t if r["kind"] == "kernel"} == {("decode", "1"), ("rows:8", "8")},
   "--working-set decode and --rows 8: 1 and 8 rows per call")
ok(t and all(r["threads"] == "2" for r in t) and {r["name"] for r in t} >= {"probe_copy", "probe_copy_nt"},
   "--threads 2: every row, the probes included, on two threads")
p = run("perf", "--threads", "999")
ok(p.returncode == 2 and p.stderr.count("\n") == 1, "--threads beyond the CPUs: one-line error, exit 2")

# compare across dtypes, in rows/s, with CSV and JSON
cc, cj = os.path.join(tmp, "c.csv"), os.path.join(tmp, "c.json")
p = run("compare", "rmsnorm_f32_twopass_scalar", "rmsnorm_bf16_twopass_scalar", "layernorm_f32_naive_scalar",
        "--d", "128", "--working-set", "batch", "--repetitions", "5", "--min-time", "0.002", "--quiet",
        "--csv", cc, "--json", cj)
ok(p.returncode == 0, "compare f32 against bf16 runs (%s)" % p.stderr.strip()[:200])
with open(cc) as f:
    c = list(csv.DictReader(l for l in f if not l.startswith("#")))
ok(len(c) == 3 and {r["rows"] for r in c} == {"64"} and {r["dtype"] for r in c} == {"f32", "bf16"},
   "every kernel normalizes the same 64 rows, each in its dtype")
ok(c and c[0]["speed_vs_a"] == "1" and all(float(r["speed_lo"]) <= float(r["speed_vs_a"]) <= float(r["speed_hi"]) for r in c),
   "speeds over A with their interval (A over itself: 1)")
with open(cj) as f:
    doc = json.load(f)
ok(len(doc["results"]) == 3 and all(r["rows_per_s"] > 0 for r in doc["results"]) and "context" in doc,
   "compare JSON: context and one result per kernel, in rows/s")
p = run("compare", "rmsnorm_f32_twopass_scalar", "no_such_kernel")
ok(p.returncode == 2 and p.stderr.count("\n") == 1 and p.stdout == "", "compare error: one line, nothing on stdout")

# AddRMSNorm's accounting: its rows as every kernel's (x + y fill the working
# set), x + residual + y in ws_bytes, 4 streams per call (x and the residual
# read, r and y written) plus g, from the CSV's columns
ac = os.path.join(tmp, "add.csv")
p = run("perf", "--kernel", "addrmsnorm_*_naive_scalar", "--d", "100", "--working-set", "120000",
        "--repetitions", "3", "--min-time", "0.002", "--quiet", "--csv", ac)
ok(p.returncode == 0, "perf runs addrmsnorm kernels (%s)" % p.stderr.strip()[:200])
with open(ac) as f:
    add = [r for r in csv.DictReader(l for l in f if not l.startswith("#")) if r["kind"] == "kernel"]
sz = {"f32": 4, "f16": 2, "bf16": 2}
ok(len(add) == 3 and all(int(r["rows"]) == 120000 // (2 * 100 * sz[r["dtype"]]) and
                         int(r["ws_bytes"]) == 3 * int(r["rows"]) * 100 * sz[r["dtype"]] and
                         float(r["bytes_per_call"]) == (4 * int(r["rows"]) + 1) * 100 * sz[r["dtype"]]
                         for r in add),
   "addrmsnorm: rows as x + y, ws_bytes = x + residual + y, bytes = 4 streams + g")
os.remove(ac)
ok(sorted(os.listdir(tmp)) == ["a.csv", "a.json", "b.json", "c.csv", "c.json", "t.csv"], "no temporary files left")

done()
