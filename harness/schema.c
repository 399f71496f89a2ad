#include "schema.h"

#include "accuracy.h"

#include <string.h>

/* The columns of perf.csv and what each holds. Lines starting with '#'
 * before the header describe the machine. */
static const char *const perf_cols[] = {
    "name", /* kernel name (registry) or probe (probe_read, probe_copy, probe_copy_nt) */
    "kind", /* kernel, external (a peer library) or probe */
    "op", /* rmsnorm, layernorm, addrmsnorm or rmsnorm1p (empty for probes) */
    "dtype", /* f32, f16 or bf16 (probes: f32) */
    "d", /* row length */
    "working_set", /* l1, l2, llc, mem, the byte count asked for, or a shape: decode, batch, prefill, rows:N (normbench perf --help) */
    "ws_bytes", /* bytes of x + y actually used (addrmsnorm: x + residual + y) */
    "rows", /* rows per call (probes: 0) */
    "threads", /* threads sharing each call's rows (and the probe's bytes) */
    "repetitions", /* samples kept */
    "iterations", /* calls per sample */
    "retaken", /* samples disturbed by the machine (involuntary context switch, steal time) and taken again */
    "disturbed", /* samples kept although disturbed (three retakes in a row were disturbed too) */
    "reruns", /* whole measurements repeated because the spread was high */
    "noisy", /* 1 if the spread stayed high (cv > 0.05 or mad_pct > 2): do not quote the median */
    "median_ns", /* median time per call, ns: the figure to quote */
    "min_ns", /* fastest sample, ns per call */
    "mean_ns", /* mean, ns per call */
    "stddev_ns", /* sample standard deviation, ns per call */
    "cv", /* stddev_ns / mean_ns */
    "mad_pct", /* median absolute deviation, percent of median_ns */
    "cpu_median_ns", /* median thread CPU time per call, ns */
    "bytes_per_call", /* x read + y written (rows * d elements each) + g and b read once (addrmsnorm: x, residual read + r, y written + g); probes: bytes read + written */
    "gbytes_per_s", /* bytes_per_call / median_ns (1e9 bytes per second) */
    "rows_per_s", /* rows / median_ns, rows normalized per second (probes: empty) */
    "copy_gbytes_per_s", /* the copy probe at the same working set */
    "frac_copy", /* gbytes_per_s / copy_gbytes_per_s (kernels) */
    "nt_gbytes_per_s", /* the non-temporal copy probe at the same working set (mem only) */
    "frac_nt", /* gbytes_per_s / nt_gbytes_per_s (kernels, mem only) */
    /* the quartiles around median_ns (at the end, not beside it: columns
     * are only ever added at the end, schema.h), by linear interpolation
     * between the order statistics of the samples, numpy.quantile's
     * default (harness/stats.c); the median is the same definition's p = 1/2 */
    "q1_ns", /* first quartile of the samples' time per call, ns */
    "q3_ns", /* third quartile of the samples' time per call, ns */
};

/* hist_j counts outputs whose error (the max_err metric) is in
 * [nb_hist_lo(j), nb_hist_lo(j + 1)) (harness/sweep.h). */
static const char *const acc_cols[] = {
    "kernel",    "op",          "dtype",       "algo",         "isa",       "d",
    "dist",      "eps",         "rows",        "n",            "max_err",   "mean_err",
    "max_comp",  "cr_rate",     "worst_row",   "worst_idx",    "worst_kappa", "max_kappa",
    "rows_checked", "max_checked", "bound",    "breaches",     "hist_0",    "hist_1",
    "hist_2",    "hist_3",      "hist_4",      "hist_5",       "hist_6",    "hist_7",
    "hist_8",    "hist_9",      "hist_10",     "hist_11",      "hist_12",   "hist_13",
    /* the error's unit: ulp of the output format, int8 quantization steps
     * (rmsnorm_i8) or ulp of e4m3 (rmsnorm_e4m3); outputs other than the
     * exact result's rounding (not correctly rounded; for int8, on another
     * integer) */
    "err_unit",  "mismatches",
};
_Static_assert(sizeof acc_cols / sizeof acc_cols[0] == 24 + NB_HIST, "one hist_j column per histogram bin");

/* bound_ulp: the declared bound at d ("none": no promise, "inf"); range:
 * the exponents e with 2^e <= |x|, |g|, |b| < 2^hi the bound covers. */
static const char *const list_cols[] = {"name", "op", "dtype", "algo", "isa", "runs_here",
                                        "external", "d", "bound_ulp", "range_lo", "range_hi"};
_Static_assert(sizeof list_cols / sizeof list_cols[0] == NB_LIST_NCOLS, "NB_LIST_NCOLS");

static const char *const rec_cols[] = {
    "op", "dtype", "d", "shape", "rows", "threads", "budget_ulp", "ship", "ship_bound_ulp", "ship_measured_ulp",
    "ship_rows_per_s", "ship_gbytes_per_s", "verdict", "fastest", "runner_up", "speed_vs_runner_up",
    "speed_vs_runner_up_lo", "speed_vs_runner_up_hi", "fastest_noisy", "more_accurate_choice", "speed_vs_more_accurate",
    "speed_vs_more_accurate_lo", "speed_vs_more_accurate_hi"};

static const char *const cmp_cols[] = {"kernel", "op", "dtype", "d", "working_set", "rows", "threads", "rounds",
                                       "iterations", "median_ns", "cv", "mad_pct", "noisy", "rows_per_s",
                                       "gbytes_per_s", "speed_vs_a", "speed_lo", "speed_hi",
                                       "bandwidth_vs_a", "bandwidth_lo", "bandwidth_hi"};

/* spread = std(y) / rms(y) of an output row; signal_err = rms of the
 * standardized output minus the standardized input (bench/meanshift.c). */
static const char *const shift_cols[] = {"op", "dtype", "kernel", "dist", "shift", "d", "rows", "spread",
                                         "signal_err"};

_Static_assert(sizeof rec_cols / sizeof rec_cols[0] == NB_REC_NCOLS, "NB_REC_NCOLS");
_Static_assert(sizeof cmp_cols / sizeof cmp_cols[0] == NB_CMP_NCOLS, "NB_CMP_NCOLS");

#define SCHEMA(file, a) {file, a, sizeof a / sizeof a[0]}
const nb_schema nb_schema_perf = SCHEMA("perf.csv", perf_cols);
const nb_schema nb_schema_accuracy = SCHEMA("accuracy.csv", acc_cols);
const nb_schema nb_schema_list = SCHEMA("bounds.csv", list_cols);
const nb_schema nb_schema_recommend = SCHEMA("recommend.csv", rec_cols);
const nb_schema nb_schema_compare = SCHEMA("compare.csv", cmp_cols);
const nb_schema nb_schema_meanshift = SCHEMA("meanshift.csv", shift_cols);

void nb_schema_header(FILE *f, const nb_schema *s) {
  for (size_t i = 0; i < s->n; i++) fprintf(f, "%s%s", i ? "," : "", s->cols[i]);
  fputc('\n', f);
}

int nb_schema_find(const nb_schema *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->cols[i], name)) return (int)i;
  return -1;
}
