/* normbench recommend: which kernel to ship on this CPU, per op, dtype,
 * row length and workload shape, at each error budget. Every kernel that
 * runs here is gated on its declared bound (and, with --input, on its
 * measured error on the user's rows), and all of them are timed together
 * by the harness's engine (one k-way interleaved run per case, the same
 * engine as perf and compare). At each budget the fastest eligible kernel
 * is named the winner only when its interval excludes the runner-up;
 * otherwise the more accurate of the two is shipped. Under emulation
 * nothing is timed and each budget takes the dispatcher's static choice. */
#include "cli.h"

#include "accuracy.h"
#include "arrays.h"
#include "engine.h"
#include "normbench.h"
#include "platform.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXK 64
#define RECOMMENDED (1u << NB_RMSNORM | 1u << NB_LAYERNORM) /* the default ops: those wisdom lines are written for */
#define MAXB 8
#define MAX_D 16
#define MAX_SHAPES 8
#define INPUT_ROWS 256 /* rows of --input measured against the reference */
#define BIG_CALL (8u << 20) /* bytes of x above which dominated kernels are not timed */
#define DOMINATED 10.0      /* ... when a kernel at least as accurate is this much faster */

/* The human-readable output: standard output, or standard error when
 * --csv - or --json - takes standard output (cli_outputs). */
static FILE *txt;

/* ---- one case: (op, dtype, D, shape) ------------------------------------------ */

typedef struct {
  const nb_kernel *k;
  double bound, measured; /* declared at the bucket's largest D; on --input (NaN: none) */
} cand;

typedef struct {
  int any;                 /* an eligible kernel */
  size_t fastest, runner;  /* indices into the case's candidates */
  int has_runner;
  nb_ratio vs_runner;      /* fastest over runner-up, rows/s */
  const char *verdict;     /* winner, tie, noisy, only, untimed */
  size_t ship;
  int has_prev;            /* a more accurate budget shipped another kernel */
  size_t prev;
  nb_ratio vs_prev;
} pick;

typedef struct {
  double budgets[MAXB];
  size_t nb;
  double wisdom_budget;
  nb_measure_opts mo;
  int timing;
  const nb_array *x, *g; /* --input, --weight */
} ropts;

/* "any" admits every kernel, those without a declared bound (external
 * peers) included. */
static int eligible(const cand *c, double budget) {
  if (isinf(budget)) return 1;
  return nb_within_budget(c->bound, budget) && (isnan(c->measured) || nb_within_budget(c->measured, budget));
}

/* c[i] on the user's rows: the largest error over all of them (the user's
 * data is what the kernel will see, promised or not). */
static int measure_input(cand *c, size_t n, nb_op op, nb_dtype dt, const ropts *o) {
  size_t rows = o->x->ndim == 1 ? 1 : o->x->rows, d = o->x->cols;
  if (rows > INPUT_ROWS) rows = INPUT_ROWS;
  float *ones = NULL;
  const float *g = o->g ? o->g->data : NULL;
  if (!g) {
    ones = malloc(d * sizeof *ones);
    if (!ones) return -1;
    for (size_t i = 0; i < d; i++) ones[i] = 1;
    g = ones;
  }
  nb_case cs;
  int rc = nb_case_from_data(&cs, op, dt, rows, d, 1e-5f, o->x->data, g, NULL);
  for (size_t i = 0; !rc && i < n; i++) {
    nb_metrics m;
    c[i].measured = nb_case_run(&cs, c[i].k, &m) ? INFINITY : m.max_err;
  }
  if (!rc) nb_case_free(&cs);
  free(ones);
  return rc;
}

static double speed(const nb_interleaved *r, size_t i) { return r ? r->rows_per_s[i] : NAN; }

/* A call over a big working set can take seconds for a scalar 16-bit
 * kernel. A kernel that another one at least as accurate (declared and, with
 * --input, measured) outruns DOMINATED times on 64 rows is shipped at no
 * budget, so it is left out of the timing there. Returns how many remain
 * (c compacted), or -1. */
static int drop_dominated(cand *c, size_t n, nb_op op, nb_dtype dt, size_t d, unsigned threads, char *err,
                          size_t errn) {
  const nb_kernel *ks[MAXK];
  nb_workload w, *wk[MAXK];
  nb_interleaved r;
  nb_measure_opts quick = {3, 5e-4, 0};
  if (nb_workload_init(&w, op, dt, d, NB_BATCH_ROWS, (nb_ws){NB_WS_BATCH, 0, 0}, threads))
    return snprintf(err, errn, "cannot allocate 64 rows of D %zu", d), -1;
  for (size_t i = 0; i < n; i++) ks[i] = c[i].k, wk[i] = &w;
  if (nb_interleave(ks, NULL, wk, n, &quick, &r, err, errn)) return nb_workload_free(&w), -1;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    size_t by = i;
    for (size_t j = 0; j < n; j++)
      if (c[j].bound <= c[i].bound && !(c[j].measured > c[i].measured) && r.rows_per_s[j] > DOMINATED * r.rows_per_s[i])
        by = j;
    if (by != i)
      fprintf(txt, "  (%s left out of the timing: %s, at least as accurate, is %.0fx faster on 64 rows)\n", c[i].k->name,
             c[by].k->name, r.rows_per_s[by] / r.rows_per_s[i]);
    else
      c[m++] = c[i];
  }
  nb_interleaved_free(&r);
  nb_workload_free(&w);
  return (int)m;
}

/* Which kernel to ship at each budget. */
static void choose(const cand *c, size_t n, const nb_interleaved *r, nb_workload *const *wk, const ropts *o,
                   nb_op op, nb_dtype dt, size_t d, pick *p) {
  for (size_t b = 0; b < o->nb; b++) {
    pick *q = &p[b];
    memset(q, 0, sizeof *q);
    q->vs_runner = q->vs_prev = (nb_ratio){NAN, NAN, NAN};
    if (!r) {
      /* the dispatcher's static choice under this budget */
      nb_set_policy(NB_POLICY_FASTEST, isinf(o->budgets[b]) ? 1e300 : o->budgets[b]);
      const nb_kernel *k = nb_choose(op, dt, d, NULL);
      for (size_t i = 0; i < n; i++)
        if (c[i].k == k && eligible(&c[i], o->budgets[b])) q->any = 1, q->ship = q->fastest = i;
      q->verdict = "untimed";
    } else {
      for (size_t i = 0; i < n; i++) {
        if (!eligible(&c[i], o->budgets[b])) continue;
        if (!q->any || speed(r, i) > speed(r, q->fastest)) {
          if (q->any) q->runner = q->fastest, q->has_runner = 1;
          q->fastest = i, q->any = 1;
        } else if (!q->has_runner || speed(r, i) > speed(r, q->runner)) {
          q->runner = i, q->has_runner = 1;
        }
      }
      if (!q->any) continue;
      q->ship = q->fastest;
      if (q->has_runner) q->vs_runner = nb_interleaved_ratio(r, wk, q->runner, q->fastest);
      int more_accurate_runner = q->has_runner && c[q->runner].bound < c[q->fastest].bound;
      if (r->noisy[q->fastest])
        q->verdict = "noisy";
      else if (!q->has_runner)
        q->verdict = "only";
      else if (q->vs_runner.lo > 1)
        q->verdict = "winner";
      else
        q->verdict = "tie";
      /* not measurably faster: keep the more accurate of the two */
      if (strcmp(q->verdict, "winner") && strcmp(q->verdict, "only") && more_accurate_runner) q->ship = q->runner;
    }
    for (size_t a = b; q->any && a-- > 0;)
      if (p[a].any) {
        if (p[a].ship != q->ship) {
          q->has_prev = 1, q->prev = p[a].ship;
          if (r) q->vs_prev = nb_interleaved_ratio(r, wk, p[a].ship, q->ship);
        }
        break;
      }
  }
  if (!r) nb_set_policy(NB_POLICY_FASTEST, 0);
}

#define NREC_COLS NB_REC_NCOLS

typedef struct {
  nb_val *v;
  size_t n, cap;
  char (*budget_names)[16];
} records;

static int rec_add(records *rs, const nb_val *row) {
  if (rs->n == rs->cap) {
    size_t cap = rs->cap ? 2 * rs->cap : 64;
    nb_val *v = realloc(rs->v, cap * NREC_COLS * sizeof *v);
    if (!v) return -1;
    rs->v = v, rs->cap = cap;
  }
  memcpy(&rs->v[rs->n++ * NREC_COLS], row, NREC_COLS * sizeof *row);
  return 0;
}

static const char *fmt_ratio(char *buf, size_t n, nb_ratio q) {
  if (isnan(q.ratio)) return "-";
  snprintf(buf, n, "%.3fx [%.3f, %.3f]", q.ratio, q.lo, q.hi);
  return buf;
}

static const char *budget_name(char *buf, size_t n, double b) {
  if (isinf(b)) return "any";
  snprintf(buf, n, "%g", b);
  return buf;
}

static int one(nb_op op, nb_dtype dt, const char *glob, size_t d, nb_ws ws, const nb_machine *m, unsigned threads, const ropts *o,
               records *rs, const nb_kernel **wisdom_k, double *wisdom_speedup) {
  cand c[MAXK];
  const nb_kernel *ks[MAXK];
  size_t n = nb_select(glob, 1u << op, 1u << dt, ks, MAXK), dmax = nb_bucket_max(nb_bucket(d));
  if (!n && glob) return 0; /* --kernel narrowed the cases: the caller checks that one is left */
  if (!n) return cli_error("recommend", "no %s %s kernel runs here", nb_op_name(op), nb_dtype_name(dt));
  for (size_t i = 0; i < n; i++) c[i] = (cand){ks[i], nb_kernel_bound_d(ks[i], dmax), NAN};
  if (o->x && measure_input(c, n, op, dt, o)) return cli_error("recommend", "out of memory measuring --input");

  size_t rows = nb_ws_rows_at(ws, m, d, nb_dtype_size(dt));
  fprintf(txt, "\n%s %s D=%zu, %s (%s); rows per call: %zu, threads: %u\n", nb_op_name(op), nb_dtype_name(dt), d,
         nb_ws_name(ws), nb_ws_describe(ws.kind), rows, threads);
  char err[256];
  if (o->timing && rows * d * nb_dtype_size(dt) > BIG_CALL) {
    int kept = drop_dominated(c, n, op, dt, d, threads, err, sizeof err);
    if (kept < 0) return cli_error("recommend", "%s", err);
    n = (size_t)kept;
    for (size_t i = 0; i < n; i++) ks[i] = c[i].k;
  }
  nb_workload w;
  nb_workload *wk[MAXK];
  nb_interleaved r;
  if (nb_workload_init(&w, op, dt, d, rows, ws, threads))
    return cli_error("recommend", "cannot allocate %zu rows of D %zu, or start %u threads", rows, d, threads);
  for (size_t i = 0; i < n; i++) wk[i] = &w;
  if (o->timing && nb_interleave(ks, NULL, wk, n, &o->mo, &r, err, sizeof err)) {
    nb_workload_free(&w);
    return cli_error("recommend", "%s", err);
  }
  const nb_interleaved *rp = o->timing ? &r : NULL;
  pick p[MAXB];
  choose(c, n, rp, wk, o, op, dt, d, p);

  if (rp) fprintf(txt, "  %u interleaved rounds\n", r.rounds);
  fprintf(txt, "  %-34s %9s %9s %11s %8s %6s\n", "kernel", "declared", o->x ? "on input" : "", "rows/s", "GB/s", "cv%");
  for (size_t i = 0; i < n; i++) {
    char meas[16] = "";
    if (o->x) snprintf(meas, sizeof meas, "%.4g", c[i].measured);
    fprintf(txt, "  %-34s %9.4g %9s", ks[i]->name, c[i].bound, meas);
    if (rp)
      fprintf(txt, " %11.4g %8.2f %6.2f%s\n", r.rows_per_s[i], nb_workload_bytes(&w, ks[i]) / r.st[i].median,
             100 * r.st[i].cv, r.noisy[i] ? " NOISY" : "");
    else
      fprintf(txt, " %11s\n", "not timed");
  }
  fprintf(txt, "  %-6s %-34s %11s  %-40s %s\n", "budget", "ship", "rows/s", "verdict: fastest over runner-up [95%]",
         "over the more accurate choice [95%]");
  for (size_t b = 0; b < o->nb; b++) {
    char bbuf[16], v1[64], v2[128], verdict[160];
    const pick *q = &p[b];
    const char *bn = budget_name(bbuf, sizeof bbuf, o->budgets[b]);
    if (!q->any) {
      fprintf(txt, "  %-6s %-34s\n", bn, "(no kernel within the budget)");
      continue;
    }
    if (!strcmp(q->verdict, "winner") || !strcmp(q->verdict, "only") || !strcmp(q->verdict, "untimed"))
      snprintf(verdict, sizeof verdict, "%s %s", q->verdict, q->has_runner ? fmt_ratio(v1, sizeof v1, q->vs_runner) : "");
    else
      snprintf(verdict, sizeof verdict, "%s: %s, %s %s", q->verdict, ks[q->fastest]->name, ks[q->runner]->name,
               fmt_ratio(v1, sizeof v1, q->vs_runner));
    char sp[16] = "-";
    if (rp) snprintf(sp, sizeof sp, "%.4g", r.rows_per_s[q->ship]);
    if (q->has_prev && rp)
      snprintf(v2, sizeof v2, "%s over %s", fmt_ratio(v1, sizeof v1, q->vs_prev), ks[q->prev]->name);
    else if (q->has_prev)
      snprintf(v2, sizeof v2, "instead of %s", ks[q->prev]->name);
    else
      snprintf(v2, sizeof v2, "-");
    fprintf(txt, "  %-6s %-34s %11s  %-40s %s\n", bn, ks[q->ship]->name, sp, verdict, v2);
    nb_val row[NREC_COLS] = {
        {nb_op_name(op), 0}, {nb_dtype_name(dt), 0}, {NULL, (double)d}, {nb_ws_name(ws), 0}, {NULL, (double)rows},
        {NULL, threads}, {NULL, o->budgets[b]}, {ks[q->ship]->name, 0}, {NULL, c[q->ship].bound},
        {NULL, c[q->ship].measured}, {NULL, speed(rp, q->ship)},
        {NULL, rp ? nb_workload_bytes(&w, ks[q->ship]) / r.st[q->ship].median : NAN}, {q->verdict, 0},
        {ks[q->fastest]->name, 0}, {q->has_runner ? ks[q->runner]->name : "", 0}, {NULL, q->vs_runner.ratio},
        {NULL, q->vs_runner.lo}, {NULL, q->vs_runner.hi}, {NULL, rp ? r.noisy[q->fastest] : NAN},
        {q->has_prev ? ks[q->prev]->name : "", 0}, {NULL, q->vs_prev.ratio}, {NULL, q->vs_prev.lo},
        {NULL, q->vs_prev.hi}};
    if (rec_add(rs, row)) {
      if (rp) nb_interleaved_free(&r);
      nb_workload_free(&w);
      return cli_error("recommend", "out of memory");
    }
    if (o->budgets[b] == o->wisdom_budget && wisdom_k) {
      *wisdom_k = ks[q->ship];
      *wisdom_speedup = 1;
      for (size_t i = 0; rp && i < n; i++) /* over the static default choice */
        if (ks[i] == nb_choose(op, dt, d, NULL)) *wisdom_speedup = nb_interleaved_ratio(&r, wk, i, q->ship).ratio;
    }
  }
  if (rp) nb_interleaved_free(&r);
  nb_workload_free(&w);
  return 0;
}

static void help(void) {
  fprintf(txt, "usage: normbench recommend [--op LIST] [--dtype LIST] [--kernel GLOB]\n"
         "                           [--d LIST] [--shape LIST] [--rows N] [--threads N]\n"
         "                           [--budget ULP] [--wisdom FILE] [--input X.npy [--weight G.npy]]\n"
         "                           [--repetitions N] [--min-time T] [--csv FILE] [--json FILE] [--no-timing]\n"
         "                           [--columns]\n\n"
         "--op: a comma list of rmsnorm, layernorm, addrmsnorm, rmsnorm1p, rmsnorm_i8, rmsnorm_e4m3\n"
         "(default rmsnorm,layernorm, the ops the dispatcher's wisdom serves; all: every op). The bounds\n"
         "and budgets of rmsnorm_i8 are in int8 quantization steps, of rmsnorm_e4m3 in e4m3 ulps; wisdom\n"
         "lines are written for rmsnorm and layernorm only. --dtype: f32,f16,bf16 or all; --kernel GLOB\n"
         "narrows the candidates (shell glob on names). --csv - or --json - writes pure CSV or JSON on\n"
         "standard output, the tables on standard error. Times take units (5ms).\n\n"
         "For each op, dtype, row length D (default 4096) and shape (default decode,batch,prefill;\n"
         "the names of perf's --working-set), times every kernel that runs here in one interleaved run\n"
         "(--repetitions rounds, default 21, of at least --min-time seconds, default 0.005) and\n"
         "names, at each error budget (0.5, 1, 4, 16, 64 ulp, any; and --budget), the kernel to ship:\n"
         "the fastest whose declared bound at the D bucket's largest D is within the budget (and,\n"
         "with --input, whose largest error on the first %d of those rows, gain --weight or 1, is\n"
         "too). It is the winner when the 95%% interval of its speed over the runner-up excludes 1;\n"
         "otherwise (tie, or a NOISY fastest) the more accurate of the two is shipped. Each line\n"
         "gives the speed-up over the choice at the next tighter budget, with its interval. Budgets\n"
         "are read to 2^-12: the accurate kernels' 0.5 + O(2^-20) is 0.5 up to D = 65536.\n\n"
         "--wisdom FILE writes the choices at --budget (default: the library's %g ulp) for the\n"
         "first shape as a wisdom file; the library (nb_wisdom_load, NORMBENCH_WISDOM=FILE) takes\n"
         "each line as written, its budget included, with no nb_set_policy call. Buckets not measured\n"
         "keep the default choice. --csv and --json write one record per case and budget.\n"
         "NORMBENCH_KERNEL and NORMBENCH_WISDOM are ignored here.\n\n"
         "Under emulation timings are meaningless: nothing is timed, and each budget takes the\n"
         "dispatcher's static choice. Emulation is --no-timing, a QEMU_* environment variable, a\n"
         "/proc/cpuinfo of another architecture (qemu-user), or QEMU's TCG signature (x86).\n",
         INPUT_ROWS, nb_default_budget(NB_RMSNORM, NB_F32));
}

static int load_array(const char *opt, const char *path, nb_array *a) {
  char err[NB_ARR_ERRLEN];
  if (nb_arr_load(path, a, err, sizeof err)) return cli_error("recommend", "%s %s: %s", opt, path, err);
  return 0;
}

int cmd_recommend(int argc, char **argv) {
  enum { O_OP = 1, O_DT, O_BUDGET, O_D, O_SHAPE, O_ROWS, O_THREADS, O_WISDOM, O_INPUT, O_WEIGHT, O_REP, O_MIN,
         O_CSV, O_JSON, O_NOTIME, O_HELP, O_KERNEL, O_COLUMNS };
  static const struct option opts[] = {
      {"op", 1, 0, O_OP},         {"dtype", 1, 0, O_DT},       {"budget", 1, 0, O_BUDGET},
      {"d", 1, 0, O_D},           {"shape", 1, 0, O_SHAPE},    {"rows", 1, 0, O_ROWS},
      {"threads", 1, 0, O_THREADS}, {"wisdom", 1, 0, O_WISDOM}, {"input", 1, 0, O_INPUT},
      {"weight", 1, 0, O_WEIGHT}, {"repetitions", 1, 0, O_REP}, {"min-time", 1, 0, O_MIN},
      {"csv", 1, 0, O_CSV},       {"json", 1, 0, O_JSON},      {"no-timing", 0, 0, O_NOTIME},
      {"help", 0, 0, O_HELP},     {"kernel", 1, 0, O_KERNEL}, {"columns", 0, 0, O_COLUMNS}, {0, 0, 0, 0}};
  unsigned ops = RECOMMENDED, dts = 0;
  int no_timing = 0, ch, rc, d_given = 0;
  size_t ds[MAX_D] = {4096}, nd = 1, nws = 3, rows = 0, v;
  nb_ws shapes[MAX_SHAPES] = {{NB_WS_DECODE, 0, 0}, {NB_WS_BATCH, 0, 0}, {NB_WS_PREFILL, 0, 0}};
  unsigned threads = 1;
  const char *glob = NULL, *wisdom = NULL, *input = NULL, *weight = NULL, *csv = NULL, *json = NULL;
  ropts o = {.budgets = {0.5, 1, 4, 16, 64, INFINITY}, .nb = 6, .mo = {21, 0.005, 0}};
  o.wisdom_budget = nb_default_budget(NB_RMSNORM, NB_F32);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  txt = stdout;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (ch) {
    case O_OP:
      if ((rc = cli_opt_ops("recommend", optarg, &ops))) return rc;
      break;
    case O_DT:
      if ((rc = cli_opt_dtypes("recommend", optarg, &dts))) return rc;
      break;
    case O_KERNEL: glob = optarg; break;
    case O_BUDGET:
      if (cli_parse_double(optarg, &o.wisdom_budget) || !(o.wisdom_budget > 0) || o.wisdom_budget > 1e300)
        return cli_error("recommend", "--budget wants a positive number of ulps, got '%s'", optarg);
      break;
    case O_D:
      if ((rc = cli_opt_d("recommend", optarg, ds, MAX_D, &nd, (size_t)1 << 20))) return rc;
      d_given = 1;
      break;
    case O_SHAPE:
      if ((rc = cli_opt_ws("recommend", "--shape", optarg, shapes, MAX_SHAPES, &nws))) return rc;
      break;
    case O_ROWS:
      if ((rc = cli_opt_count("recommend", "--rows", optarg, 1, (size_t)1 << 24, &rows))) return rc;
      break;
    case O_THREADS:
      if ((rc = cli_opt_count("recommend", "--threads", optarg, 1, ncpu > 0 ? (size_t)ncpu : 1, &v))) return rc;
      threads = (unsigned)v;
      break;
    case O_REP:
      if ((rc = cli_opt_count("recommend", "--repetitions", optarg, 5, 10000, &v))) return rc;
      o.mo.repetitions = (unsigned)v;
      break;
    case O_MIN:
      if ((rc = cli_opt_seconds("recommend", "--min-time", optarg, 60, &o.mo.min_time))) return rc;
      break;
    case O_WISDOM: wisdom = optarg; break;
    case O_INPUT: input = optarg; break;
    case O_WEIGHT: weight = optarg; break;
    case O_CSV: csv = optarg; break;
    case O_JSON: json = optarg; break;
    case O_NOTIME: no_timing = 1; break;
    case O_HELP: help(); return 0;
    case O_COLUMNS: nb_schema_header(stdout, &nb_schema_recommend); return 0;
    default: return cli_error("recommend", "unknown or incomplete option '%s' (normbench recommend --help)", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_error("recommend", "unexpected argument '%s'", argv[optind]);
  txt = cli_outputs("recommend", (const char *[]){csv, json}, 2, &rc);
  if (rc) return rc;
  const nb_kernel *any[1];
  if (glob && !nb_select(glob, ops, dts, any, 1))
    return cli_error("recommend", "no kernel that runs here matches --kernel '%s' with the given --op/--dtype", glob);
  if (weight && !input) return cli_error("recommend", "--weight needs --input");
  if (input && d_given) return cli_error("recommend", "--input gives D (its row length): no --d");
  if (rows && nws < MAX_SHAPES) shapes[nws++] = (nb_ws){NB_WS_ROWS, 0, rows};
  int in_ladder = 0;
  for (size_t b = 0; b < o.nb; b++) in_ladder |= o.budgets[b] == o.wisdom_budget;
  if (!in_ladder) { /* --budget joins the ladder, in order */
    size_t b = o.nb++;
    for (; b > 0 && o.budgets[b - 1] > o.wisdom_budget; b--) o.budgets[b] = o.budgets[b - 1];
    o.budgets[b] = o.wisdom_budget;
  }
  nb_array x = {0}, g = {0};
  if (input) {
    if (load_array("--input", input, &x)) return 2;
    if (weight && load_array("--weight", weight, &g)) return nb_arr_free(&x), 2;
    if (weight && (g.ndim != 1 || g.cols != x.cols)) {
      nb_arr_free(&x), nb_arr_free(&g);
      return cli_error("recommend", "--weight wants %zu values (the rows of --input), got %zu", x.cols, g.cols);
    }
    ds[0] = x.cols, nd = 1;
    o.x = &x, o.g = weight ? &g : NULL;
  }
  if (cli_check_only) return nb_arr_free(&x), nb_arr_free(&g), 0;

  /* Measure against the static default, whatever the environment says. */
  unsetenv("NORMBENCH_KERNEL");
  unsetenv("NORMBENCH_WISDOM");
  nb_dispatch_reset();
  const char *emu = no_timing ? "--no-timing" : nb_platform_get()->emulated;
  o.timing = !emu;
  nb_machine m;
  char why[256];
  if (nb_machine_get(&m, NULL, why, sizeof why)) return nb_arr_free(&x), nb_arr_free(&g), cli_error("recommend", "%s", why);
  m.pinned_cpu = nb_pin_thread(-1);
  fprintf(txt, "cpu: %s\nbuild: %s\n", nb_cpu_signature(), nb_build_id());
  if (emu)
    fprintf(txt, "timing: off (%s): timings under emulation are meaningless; each budget takes the static choice (not timed)\n",
           emu);

  const nb_kernel *wk[NB_NOPS][3][MAX_D] = {{{0}}};
  double wsp[NB_NOPS][3][MAX_D];
  records rs = {0};
  for (int a = 0; !rc && a < NB_NOPS; a++)
    for (int t = NB_F32; !rc && t <= NB_BF16; t++)
      for (size_t i = 0; !rc && i < nd; i++)
        for (size_t s = 0; !rc && s < nws; s++) {
          if (!(ops >> a & 1) || (dts && !(dts >> t & 1))) continue;
          rc = one((nb_op)a, (nb_dtype)t, glob, ds[i], shapes[s], &m, threads, &o, &rs, s == 0 ? &wk[a][t][i] : NULL,
                   &wsp[a][t][i]);
        }
  if (!rc && wisdom) {
    /* the lines chosen, on a fresh dispatcher: unmeasured buckets keep the default */
    nb_dispatch_reset();
    for (int a = 0; a < 2; a++)
      for (int t = 0; t < 3; t++)
        for (size_t i = 0; i < nd; i++)
          if (wk[a][t][i]) nb_wisdom_add(wk[a][t][i], ds[i], o.wisdom_budget, wsp[a][t][i]);
    fprintf(txt, "\n");
    for (int a = 0; a < 2; a++)
      for (int t = 0; t < 3; t++)
        for (size_t i = 0; i < nd; i++)
          if (wk[a][t][i])
            fprintf(txt, "wisdom: %s %s D %zu..%zu within %g ulp: %s\n", nb_op_name((nb_op)a), nb_dtype_name((nb_dtype)t),
                   nb_bucket_min(nb_bucket(ds[i])), nb_bucket_max(nb_bucket(ds[i])), o.wisdom_budget,
                   wk[a][t][i]->name);
    if (nb_wisdom_save(wisdom)) rc = cli_error("recommend", "cannot write %s: %s", wisdom, strerror(errno));
    else fprintf(txt, "wisdom written to %s\n", wisdom);
  }
  if (!rc && (csv || json)) {
    char notes[MAX_SHAPES][192];
    const char *np[MAX_SHAPES];
    for (size_t s = 0; s < nws; s++) {
      snprintf(notes[s], sizeof notes[s], "shape %s: %s", nb_ws_name(shapes[s]), nb_ws_describe(shapes[s].kind));
      np[s] = notes[s];
    }
    nb_records rec = {"normbench recommend", np, nws, nb_schema_recommend.cols, NREC_COLS, rs.n, rs.v};
    if (csv) rc = cli_write_records("recommend", csv, &m, &rec, nb_records_write_csv);
    if (!rc && json) rc = cli_write_records("recommend", json, &m, &rec, nb_records_write_json);
  }
  free(rs.v);
  nb_arr_free(&x), nb_arr_free(&g);
  return rc;
}
