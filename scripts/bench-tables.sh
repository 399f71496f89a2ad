#!/usr/bin/env bash
# The small tables the plots and REPORT.md read, from a results folder's
# long CSVs: perf.csv (normbench perf), accuracy.csv (normbench accuracy),
# bounds.csv (normbench list --csv at each D of the sweep).
# Usage: scripts/bench-tables.sh RESULTS_DIR   (writes RESULTS_DIR/tables/)
#
# A figure's table is a gnuplot data file of blocks (two blank lines apart);
# each block is one line of the figure and opens with a '# label' comment.
# Its companion NAME.gp sets `names` to the labels in block order, so a plot
# script loops `for [i = 1:words(names)] ... index i - 1`. Kernel labels are
# algo/isa (op and dtype are the figure's).
# "Promised rows": the rows a kernel's declared bound covers (in range,
# mean|x|/sigma <= 10): max_checked over its cells with rows_checked > 0.
# The sweep counts those rows for external peers too (their range, no bound).
set -euo pipefail
dir=$1
lib="$(dirname "$0")/csv.awk"
t=$dir/tables
mkdir -p "$t"
# The D of the speed/accuracy figure and the mean-shift figure.
dref=4096
table() { awk -F, -v t="$t" -v dref=$dref -f "$lib" -f /dev/stdin "$@"; }

# Helpers shared by the programs below.
common='
function nsort(s,   a, n, i, j, x, out) {
  n = split(s, a, " ")
  for (i = 2; i <= n; i++) {
    x = a[i]
    for (j = i - 1; j > 0 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]
    a[j + 1] = x
  }
  out = ""
  for (i = 1; i <= n; i++) out = out (i > 1 ? " " : "") a[i]
  return out
}
function add(list, x) { return index(" " list " ", " " x " ") ? list : list (list == "" ? "" : " ") x }
function names(file, list) { printf "names = \"%s\"\n", list > file; close(file) }
function nan(x) { return x == "" ? "NaN" : x }
# A point of the line a block draws; gap() marks a point not drawn: a blank line
# goes before the next point, so the line breaks there (never two blank
# lines in a row, which would start a new block)
function point(out, line) {
  if (GAP && NPT) print "" > out
  print line > out; GAP = 0; NPT++
}
function gap() { GAP = 1 }
function block(out, label, first) { printf "%s# %s\n", (first ? "" : "\n\n"), label > out; GAP = NPT = 0 }
function max(a, b) {
  if (a == "inf" || a == "nan") return a
  return a == "" || b == "inf" || b == "nan" || b + 0 > a + 0 ? b : a
}
# a figure note on the points a log axis cannot draw: zero and inf are
# lists of "line@x"; grouped by x, "every line" when all n lines share it
function note(zero, inf, n, xname,   s) {
  if (zero != "") s = "error 0 (exact, not drawn) at " group(zero, n, xname)
  if (inf != "") s = s (s == "" ? "" : "; ") "no finite error (NaN or inf output) at " group(inf, n, xname)
  return s
}
function group(pairs, n, xname,   m, a, i, p, xs, W, C, out) {
  m = split(pairs, a, " "); xs = ""
  for (i = 1; i <= m; i++) {
    split(a[i], p, "@"); xs = add(xs, p[2])
    W[p[2]] = W[p[2]] (C[p[2]]++ ? ", " : "") p[1]
  }
  m = split(nsort(xs), a, " "); out = ""
  for (i = 1; i <= m; i++)
    out = out (i > 1 ? "; " : "") xname a[i] ": " (C[a[i]] == n ? "every line" : W[a[i]])
  return out
}
function median(s,   a, n) {
  n = split(nsort(s), a, " ")
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function label(name) { sub(/^[a-z]+_[a-z0-9]+_/, "", name); sub(/_/, "/", name); return name }
# a line per algorithm, but one per peer library: two libraries are not one algorithm
function series() { return v("algo") == "external" ? label(v("kernel")) : v("algo") }
'

# Throughput (GB/s) against D, cache-resident (l2) and memory-bound (mem):
# tput_<op>_<dtype>, a block per kernel, "d l2 mem", and in its .gp the
# blocks with data at each working set (inl2, inmem: a kernel can be left
# out of the mem sweep). probes.gp: the roofline probes, which do not
# depend on D (perf measures them once per working set): probes = names,
# l2_<probe> and mem_<probe> = GB/s (median if measured at several D).
table "$dir/perf.csv" <<EOF2
$common
v("kind") == "probe" {
  p = v("name"); sub(/^probe_/, "", p); probes = add(probes, p)
  P[p, v("working_set")] = P[p, v("working_set")] " " v("gbytes_per_s"); next
}
{
  d = v("d"); ws = v("working_set")
  fig = "tput_" v("op") "_" v("dtype"); lab = label(v("name"))
  figs = add(figs, fig); L[fig] = add(L[fig], lab); ds = add(ds, d)
  G[fig, lab, d, ws] = v("gbytes_per_s")
}
END {
  if (CSV_FAILED) exit 2
  out = t "/probes.gp"; printf "probes = \"%s\"\n", probes > out; np = split(probes, Q, " ")
  for (i = 1; i <= np; i++) {
    printf "l2_%s = %s\n", Q[i], (Q[i], "l2") in P ? median(P[Q[i], "l2"]) : "NaN" > out
    printf "mem_%s = %s\n", Q[i], (Q[i], "mem") in P ? median(P[Q[i], "mem"]) : "NaN" > out
  }
  close(out)
  nf = split(figs, F, " "); nd = split(nsort(ds), D, " ")
  for (f = 1; f <= nf; f++) {
    out = t "/" F[f] ".dat"; nk = split(L[F[f]], K, " ")
    inl2 = inmem = ""
    for (k = 1; k <= nk; k++) {
      printf "%s# %s\n", (k > 1 ? "\n\n" : ""), K[k] > out
      for (i = 1; i <= nd; i++) {
        l2 = (F[f], K[k], D[i], "l2") in G; mem = (F[f], K[k], D[i], "mem") in G
        if (l2 && !index(" " inl2 " ", " " k " ")) inl2 = inl2 " " k
        if (mem && !index(" " inmem " ", " " k " ")) inmem = inmem " " k
        if (l2 || mem) printf "%s %s %s\n", D[i], nan(G[F[f], K[k], D[i], "l2"]), nan(G[F[f], K[k], D[i], "mem"]) > out
      }
    }
    close(out); names(t "/" F[f] ".gp", L[F[f]])
    printf "inl2 = \"%s\"\ninmem = \"%s\"\n", inl2, inmem >> (t "/" F[f] ".gp"); close(t "/" F[f] ".gp")
  }
}
EOF2

# RMSNorm vs LayerNorm: t(LayerNorm) / t(RMSNorm) for the same dtype,
# algorithm, ISA, D and working set; ratio.dat (and ymax in ratio.gp) has the median over
# algorithms and D per ISA: "isa f32_l2 f16_l2 bf16_l2 f32_mem f16_mem bf16_mem"
# (NaN where an ISA has no pair), ratio_all.csv every pair.
table "$dir/perf.csv" <<EOF2
$common
v("kind") == "kernel" {
  lab = label(v("name")); isa = lab; sub(/.*\//, "", isa)
  key = v("dtype") SUBSEP lab SUBSEP v("d") SUBSEP v("working_set")
  T[v("op"), key] = v("median_ns"); isas = add(isas, isa); I[key] = isa
}
END {
  if (CSV_FAILED) exit 2
  out = t "/ratio_all.csv"
  print "dtype,kernel,d,working_set,ratio" > out
  for (k in I)
    if (("rmsnorm", k) in T && ("layernorm", k) in T) {
      r = T["layernorm", k] / T["rmsnorm", k]; split(k, p, SUBSEP)
      R[I[k], p[1], p[4]] = R[I[k], p[1], p[4]] " " r
      printf "%s,%s,%s,%s,%.4f\n", p[1], p[2], p[3], p[4], r > out
    }
  close(out)
  out = t "/ratio.dat"; n = split(isas, S, " ")
  print "# isa f32_l2 f16_l2 bf16_l2 f32_mem f16_mem bf16_mem" > out
  for (i = 1; i <= n; i++) {
    line = S[i]
    split("l2 mem", W, " ")
    for (w = 1; w <= 2; w++)
      for (dt = 1; dt <= 3; dt++) {
        dtn = dt == 1 ? "f32" : dt == 2 ? "f16" : "bf16"
        line = line " " ((S[i], dtn, W[w]) in R ? sprintf("%.3f", median(R[S[i], dtn, W[w]])) : "NaN")
      }
    print line > out
  }
  close(out)
  # the tallest bar, so both panels of the figure share a scale
  ymax = 1
  for (k in R) { m = median(R[k]); if (m > ymax) ymax = m }
  printf "ymax = %.4f\n", ymax > (t "/ratio.gp"); close(t "/ratio.gp")
}
EOF2

# Max error (ulps) against D on promised rows: err_<op>_<dtype>, a block
# per kernel, "d max_err bound" (bound: bounds.csv at that D; NaN for none
# or inf). err_ref.csv: "op,dtype,kernel,err" at D = dref, for the
# speed/accuracy figure and the report.
table "$dir/bounds.csv" "$dir/accuracy.csv" <<EOF2
$common
FILENAME ~ /bounds\.csv$/ { B[v("name"), v("d")] = v("bound_ulp"); next }
{
  fig = "err_" v("op") "_" v("dtype"); lab = label(v("kernel")); d = v("d")
  figs = add(figs, fig); L[fig] = add(L[fig], lab); ds = add(ds, d); KN[fig, lab] = v("kernel")
  if (v("rows_checked") > 0) E[fig, lab, d] = max(E[fig, lab, d], v("max_checked"))
}
END {
  if (CSV_FAILED) exit 2
  ref = t "/err_ref.csv"; print "op,dtype,kernel,err" > ref
  nf = split(figs, F, " "); nd = split(nsort(ds), D, " ")
  for (f = 1; f <= nf; f++) {
    out = t "/" F[f] ".dat"; nk = split(L[F[f]], K, " ")
    split(F[f], od, "_"); bounded = zero = inf = ""
    for (k = 1; k <= nk; k++) {
      block(out, K[k], k == 1)
      for (i = 1; i <= nd; i++)
        if ((F[f], K[k], D[i]) in E) {
          b = B[KN[F[f], K[k]], D[i]]
          b = b == "none" || b == "inf" ? "NaN" : nan(b)
          if (b != "NaN" && !index(" " bounded " ", " " k " ")) bounded = bounded " " k
          e = E[F[f], K[k], D[i]]
          if (e == 0) zero = add(zero, K[k] "@" D[i])
          # no point, and a blank line so the line breaks there
          if (e == "inf" || e == "nan") { inf = add(inf, K[k] "@" D[i]); gap(); continue }
          point(out, D[i] " " e " " b)
        }
      if ((F[f], K[k], dref) in E) printf "%s,%s,%s,%s\n", od[2], od[3], KN[F[f], K[k]], E[F[f], K[k], dref] > ref
    }
    close(out); names(t "/" F[f] ".gp", L[F[f]])
    # the blocks with a finite declared bound somewhere
    # what a log axis cannot show: errors of 0, and no finite error
    printf "bounded = \"%s\"\nnote = \"%s\"\n", bounded, note(zero, inf, nk, "D = ") >> (t "/" F[f] ".gp")
    close(t "/" F[f] ".gp")
  }
  close(ref)
}
EOF2

# Speed against accuracy at D = dref: pareto_<op>_<dtype>.dat, block 0 one
# line per kernel "label gbps err" (cache-resident), block 1 the Pareto
# front (no other kernel both faster and at most as inaccurate), by speed;
# pareto.gp: the algorithms and ISAs present.
table "$t/err_ref.csv" "$dir/perf.csv" <<EOF2
$common
FILENAME ~ /err_ref\.csv$/ { E[v("kernel")] = v("err"); next }
v("kind") != "probe" && v("d") == dref && v("working_set") == "l2" && (v("name") in E) {
  fig = "pareto_" v("op") "_" v("dtype"); figs = add(figs, fig)
  L[fig] = add(L[fig], v("name")); S[v("name")] = v("gbytes_per_s")
}
END {
  if (CSV_FAILED) exit 2
  nf = split(figs, F, " ")
  for (f = 1; f <= nf; f++) {
    out = t "/" F[f] ".dat"; nk = split(L[F[f]], K, " ")
    for (k = 1; k <= nk; k++) {
      a = label(K[k]); i = a; sub(/\/.*/, "", a); sub(/.*\//, "", i); algos = add(algos, a); isas = add(isas, i)
    }
    print "# kernels" > out
    for (k = 1; k <= nk; k++) printf "%s %s %s\n", label(K[k]), S[K[k]], E[K[k]] > out
    print "\n\n# front" > out
    front = ""
    for (k = 1; k <= nk; k++) {
      dom = 0
      for (j = 1; j <= nk; j++)
        if (j != k && S[K[j]] + 0 >= S[K[k]] + 0 && E[K[j]] + 0 <= E[K[k]] + 0 &&
            (S[K[j]] + 0 > S[K[k]] + 0 || E[K[j]] + 0 < E[K[k]] + 0)) dom = 1
      if (!dom) front = front " " S[K[k]] ":" k
    }
    n = split(nsort(front), P, " ")
    for (i = 1; i <= n; i++) { split(P[i], q, ":"); printf "%s %s %s\n", label(K[q[2]]), S[K[q[2]]], E[K[q[2]]] > out }
    close(out)
  }
  # the algorithms and ISAs of the figure's kernels, for its legend
  printf "algos = \"%s\"\nisas = \"%s\"\n", algos, isas > (t "/pareto.gp"); close(t "/pareto.gp")
}
EOF2

# LayerNorm error against the mean shift at D = dref: shift_<dtype>, a
# block per algorithm or peer, "mu/sigma max_err" (max over ISAs; all rows: the
# shifted rows past mu/sigma = 10 are outside every promise).
table "$dir/accuracy.csv" <<EOF2
$common
v("op") == "layernorm" && v("d") == dref && v("dist") ~ /^shift1/ {
  s = v("dist"); sub(/^shift/, "", s); s = s + 0
  fig = "shift_" v("dtype"); figs = add(figs, fig); a = series(); L[fig] = add(L[fig], a)
  ss = add(ss, s); E[fig, a, s] = max(E[fig, a, s], v("max_err"))
}
END {
  if (CSV_FAILED) exit 2
  nf = split(figs, F, " "); ns = split(nsort(ss), S, " ")
  for (f = 1; f <= nf; f++) {
    out = t "/" F[f] ".dat"; na = split(L[F[f]], A, " "); zero = inf = ""
    for (a = 1; a <= na; a++) {
      block(out, A[a], a == 1)
      for (i = 1; i <= ns; i++) {
        if (!((F[f], A[a], S[i]) in E)) continue
        e = E[F[f], A[a], S[i]]
        if (e == 0) zero = add(zero, A[a] "@" S[i])
        if (e == "inf" || e == "nan") { inf = add(inf, A[a] "@" S[i]); gap(); continue }
        point(out, S[i] " " e)
      }
    }
    close(out); names(t "/" F[f] ".gp", L[F[f]])
    printf "note = \"%s\"\n", note(zero, inf, na, "mu/sigma = ") >> (t "/" F[f] ".gp"); close(t "/" F[f] ".gp")
  }
}
EOF2

# Error histograms, f32 and bf16: hist_<op>_<dtype>, a block per algorithm,
# or peer, "bin share" (outputs in the bin / all outputs, over the whole sweep and
# every ISA; an empty bin has no point on the logarithmic axis, and the
# line breaks there).
table "$dir/accuracy.csv" <<EOF2
$common
v("dtype") != "f16" {
  fig = "hist_" v("op") "_" v("dtype"); figs = add(figs, fig); a = series(); L[fig] = add(L[fig], a)
  for (j = 0; j <= 13; j++) H[fig, a, j] += v("hist_" j)
  N[fig, a] += v("n")
}
END {
  if (CSV_FAILED) exit 2
  nf = split(figs, F, " ")
  for (f = 1; f <= nf; f++) {
    out = t "/" F[f] ".dat"; na = split(L[F[f]], A, " ")
    for (a = 1; a <= na; a++) {
      block(out, A[a], a == 1)
      for (j = 0; j <= 13; j++)
        if (H[F[f], A[a], j] > 0) point(out, sprintf("%d %.6g", j, H[F[f], A[a], j] / N[F[f], A[a]]))
        else gap()
    }
    close(out); names(t "/" F[f] ".gp", L[F[f]])
  }
}
EOF2
