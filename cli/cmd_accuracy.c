/* normbench accuracy: every selected kernel against the MPFR reference,
 * over a grid of row lengths, input distributions and eps (or the user's
 * rows); a table, a long-format CSV, and a loud report of any breach of a
 * declared bound. --search hunts for worst rows instead. */
#include "cli.h"

#include "arrays.h"
#include "outfile.h"
#include "search.h"
#include "sweep.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD "accuracy"
#define MAXL 64
#define N(a) (sizeof a / sizeof a[0])

/* tail-hitting sizes and the powers of two up to 65536 */
static const size_t def_d[] = {1,  2,   3,   4,   7,    8,    15,   16,   17,   31,    32,    33,    63,   64,   65,
                               128, 256, 512, 1000, 1024, 2048, 4095, 4096, 4097, 8192, 12288, 16384, 32768, 65536};
static const float def_eps[] = {1e-5f, 0.0f, 1e-12f, 1e-6f, 1e-2f};
/* Distributions whose results depend on eps: the default grid runs the
 * whole eps list on these (at D <= EPS_D_MAX) and only eps = 1e-5f on the
 * others; sized so the default sweep of every kernel takes a few minutes
 * on 2 cores. */
#define EPS_D_MAX 4097
static const char *eps_dists[] = {"normal",  "constant", "onehot",  "tiny",   "subnormal", "ms1e-14", "ms1e-8",
                                  "ms1e-5",  "ms1e-2",   "scalef0", "midpoint", "atmean",  "exactstat"};

typedef struct {
  const char *glob, *csv, *input, *weight, *bias, *save;
  unsigned ops, dts; /* bit sets; 0 = all */
  size_t d[MAXL], nd, rows, ndist, neps;
  const nb_dist *dist[MAXL];
  float eps[MAXL];
  char eps_txt[MAXL][32];
  uint64_t seed;
  unsigned jobs;
  double time;
  int thorough, quiet, list_dists, search;
} opts;

static void help(void) {
  printf(
      "usage: normbench accuracy [--kernel GLOB] [--op OPS] [--dtype DTS] [--d LIST] [--dist LIST]\n"
      "                          [--eps LIST] [--rows N] [--seed S] [--csv FILE] [--thorough] [--jobs N] [--columns]\n"
      "                          [--quiet] [--list-dists]\n"
      "       normbench accuracy --input X.npy --weight G.npy [--bias B.npy] [--op ..] [--dtype ..] [--eps ..]\n"
      "       normbench accuracy --search --kernel GLOB --d LIST [--eps E] [--time T] [--save-worst DIR]\n\n"
      "Measures every selected kernel this CPU runs against the MPFR reference (computed once per\n"
      "input and shared by all kernels of the input's op and dtype). Errors are in ulps of the output\n"
      "format: componentwise for RMSNorm, floored (ulp of max(|v|, |g|)) for LayerNorm; max_comp is\n"
      "the componentwise error for both. Rows inside a kernel's range (and mean|x|/sigma <= 10 for\n"
      "LayerNorm) are held to its declared bound (normbench list): a breach is reported with the\n"
      "command that reproduces it, and the exit status is 1.\n\n"
      "Default grid: D in 1,2,3,4,7,8,15,16,17,31,32,33,63,64,65,128,256,512,1000,1024,2048,4095,\n"
      "4096,4097,8192,12288,16384,32768,65536; every distribution (--list-dists) at eps = 1e-5f, and,\n"
      "for D <= 4097, the eps list 0,1e-12,1e-6,1e-5,1e-2 on the distributions where eps matters\n"
      "(normal, constant, onehot, tiny, subnormal, ms1e-*, scalef0, midpoint, atmean, exactstat);\n"
      "min(32, max(1, 8192/D)) rows per cell (a few minutes for every kernel on 2 cores).\n"
      "--thorough: every distribution x every eps at every D, min(256, max(4, 65536/D)) rows.\n"
      "Given --d, --dist or --eps replace that axis (an explicit --eps applies to every distribution).\n\n"
      "  --kernel GLOB   kernels by name (shell glob, default '*'); --op rmsnorm,layernorm,\n"
      "                  addrmsnorm,rmsnorm1p (AddRMSNorm's residual from the same distribution),\n"
      "                  rmsnorm_i8,rmsnorm_e4m3 (errors in int8 steps, e4m3 ulps) or all;\n"
      "                  --dtype f32,f16,bf16 or all\n"
      "  --rows N        rows per cell (all D)          --seed S   generator seed (default 1)\n"
      "  --csv FILE      long-format CSV, one line per kernel x cell ('-': stdout, no table)\n"
      "  --columns       print the CSV's header line and exit\n"
      "  --jobs N        threads (default: online CPUs) --quiet    no progress on stderr\n"
      "  --input X.npy   the user's rows ('<f4' or '<f2', 1-D or 2-D, C order) with --weight G.npy\n"
      "                  and --bias B.npy (LayerNorm); dtype defaults to the file's, op to both\n"
      "                  (layernorm only when --bias is given)\n"
      "  --search        worst-row search (random restarts + hill climbing) for each kernel and D,\n"
      "                  --time T each (default 20 s; or 90s, 500ms), at the first --eps;\n"
      "                  accurate kernels are searched for outputs near a rounding midpoint\n"
      "                  instead (any f32/f16/bf16 output not correctly rounded is a breach; int8 and e4m3\n"
      "                  accurate kernels are searched by error over bound); --save-worst DIR writes\n"
      "                  the worst row of each as DIR/<kernel>_d<D>/{x,g,b}.npy and a README\n\n"
      "exit status: 0 every promise held, 1 a declared bound was breached, 2 bad arguments or\n"
      "input, 3 the run failed (memory, output file).\n");
}

static void list_dists(void) {
  printf("%-10s %s\n", "name", "rows (values rounded to the kernel's dtype)");
  for (size_t i = 0; i < nb_dist_count(); i++) printf("%-10s %s\n", nb_dist_at(i)->name, nb_dist_at(i)->what);
  printf("\nGains are 1 + N(0, 1/16) and biases N(0, 1/100) unless the row says otherwise. The ms1e-*\n"
         "rows with the eps list put the mean square far below, near and far above eps.\n");
}

static int parse_eps(const char *s, opts *o) {
  char buf[1024];
  if (strlen(s) >= sizeof buf) return -1;
  strcpy(buf, s);
  o->neps = 0;
  for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
    float e;
    if (o->neps == MAXL || cli_parse_eps(t, &e)) return -1;
    snprintf(o->eps_txt[o->neps], sizeof o->eps_txt[0], "%s", t);
    o->eps[o->neps++] = e;
  }
  return o->neps ? 0 : -1;
}

static int parse_dists(const char *s, opts *o, const char **bad) {
  static char buf[1024];
  if (strlen(s) >= sizeof buf) return -1;
  strcpy(buf, s);
  o->ndist = 0;
  for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
    const nb_dist *ds = nb_dist_find(t);
    *bad = t;
    if (!ds || o->ndist == MAXL) return -1;
    o->dist[o->ndist++] = ds;
  }
  return o->ndist ? 0 : -1;
}

static int parse(int argc, char **argv, opts *o) {
  enum { O_KERNEL = 256, O_OP, O_DTYPE, O_D, O_DIST, O_EPS, O_ROWS, O_SEED, O_CSV, O_THOROUGH, O_JOBS,
         O_QUIET, O_LIST, O_INPUT, O_WEIGHT, O_BIAS, O_SAVE, O_SEARCH, O_TIME, O_HELP, O_COLUMNS };
  static const struct option lo[] = {
      {"kernel", 1, 0, O_KERNEL}, {"op", 1, 0, O_OP},         {"dtype", 1, 0, O_DTYPE},
      {"d", 1, 0, O_D},           {"dist", 1, 0, O_DIST},     {"eps", 1, 0, O_EPS},
      {"rows", 1, 0, O_ROWS},     {"seed", 1, 0, O_SEED},     {"csv", 1, 0, O_CSV},
      {"thorough", 0, 0, O_THOROUGH}, {"jobs", 1, 0, O_JOBS}, {"quiet", 0, 0, O_QUIET},
      {"list-dists", 0, 0, O_LIST}, {"input", 1, 0, O_INPUT}, {"weight", 1, 0, O_WEIGHT},
      {"bias", 1, 0, O_BIAS},     {"save-worst", 1, 0, O_SAVE}, {"search", 0, 0, O_SEARCH},
      {"time", 1, 0, O_TIME},     {"help", 0, 0, O_HELP},     {"columns", 0, 0, O_COLUMNS}, {0, 0, 0, 0}};
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  *o = (opts){.glob = "*", .seed = 1, .jobs = cpus > 0 ? (unsigned)cpus : 1, .time = 20};
  int c, rc;
  size_t v;
  const char *bad = NULL;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
    switch (c) {
    case O_KERNEL: o->glob = optarg; break;
    case O_OP:
      if ((rc = cli_opt_ops(CMD, optarg, &o->ops))) return rc;
      break;
    case O_DTYPE:
      if ((rc = cli_opt_dtypes(CMD, optarg, &o->dts))) return rc;
      break;
    case O_D:
      if ((rc = cli_opt_d(CMD, optarg, o->d, MAXL, &o->nd, (size_t)1 << 24))) return rc;
      break;
    case O_DIST:
      if (parse_dists(optarg, o, &bad))
        return cli_error(CMD, "unknown distribution '%s' (normbench accuracy --list-dists)", bad ? bad : optarg);
      break;
    case O_EPS:
      if (parse_eps(optarg, o))
        return cli_error(CMD, "--eps wants a comma-separated list of finite floats >= 0, got '%s'", optarg);
      break;
    case O_ROWS:
      if ((rc = cli_opt_count(CMD, "--rows", optarg, 1, (size_t)1 << 20, &o->rows))) return rc;
      break;
    case O_SEED:
      if ((rc = cli_opt_count(CMD, "--seed", optarg, 0, (size_t)-1, &v))) return rc;
      o->seed = v;
      break;
    case O_CSV: o->csv = optarg; break;
    case O_THOROUGH: o->thorough = 1; break;
    case O_JOBS:
      if ((rc = cli_opt_count(CMD, "--jobs", optarg, 1, 256, &v))) return rc;
      o->jobs = (unsigned)v;
      break;
    case O_QUIET: o->quiet = 1; break;
    case O_LIST: o->list_dists = 1; break;
    case O_INPUT: o->input = optarg; break;
    case O_WEIGHT: o->weight = optarg; break;
    case O_BIAS: o->bias = optarg; break;
    case O_SAVE: o->save = optarg; break;
    case O_SEARCH: o->search = 1; break;
    case O_TIME:
      if ((rc = cli_opt_seconds(CMD, "--time", optarg, 86400, &o->time))) return rc;
      break;
    case O_HELP: help(); return -1;
    case O_COLUMNS: nb_schema_header(stdout, &nb_schema_accuracy); return -1;
    default: return cli_error(CMD, "unknown or incomplete option '%s' (normbench accuracy --help)", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_error(CMD, "unexpected argument '%s'", argv[optind]);
  if (!o->input != !o->weight) return cli_error(CMD, "--input and --weight go together");
  if (o->bias && !o->input) return cli_error(CMD, "--bias needs --input and --weight");
  if (o->bias && o->ops && !(o->ops >> NB_LAYERNORM & 1))
    return cli_error(CMD, "--bias is LayerNorm's: not with --op rmsnorm");
  if (o->input && (o->nd || o->ndist || o->search))
    return cli_error(CMD, "--input takes its rows from the file: no --d, --dist or --search");
  if (o->save && !o->search) return cli_error(CMD, "--save-worst needs --search");
  if (o->search && (!o->nd || !strcmp(o->glob, "*")))
    return cli_error(CMD, "--search needs --kernel and --d");
  return 0;
}

/* ---- kernels ------------------------------------------------------------ */

static size_t select_kernels(const opts *o, const nb_kernel **ks, size_t *matched) {
  size_t n = 0;
  *matched = 0;
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (fnmatch(o->glob, k->name, 0)) continue;
    if ((o->ops && !(o->ops >> k->op & 1)) || (o->dts && !(o->dts >> k->dtype & 1))) continue;
    (*matched)++;
    if (nb_kernel_runs_here(k))
      ks[n++] = k;
    else if (!o->quiet)
      fprintf(stderr, "normbench accuracy: note: %s does not run on this CPU, skipped\n", k->name);
  }
  return n;
}

/* ---- the grid ------------------------------------------------------------ */

static int eps_sensitive(const nb_dist *ds) {
  for (size_t i = 0; i < N(eps_dists); i++)
    if (!strcmp(ds->name, eps_dists[i])) return 1;
  return 0;
}

static size_t rows_for(const opts *o, size_t d) {
  if (o->rows) return o->rows;
  size_t lo = o->thorough ? 4 : 1, hi = o->thorough ? 256 : 32, r = (o->thorough ? 65536 : 8192) / d;
  return r < lo ? lo : r > hi ? hi : r;
}

/* Cells for the kernels' (op, dtype) pairs; returns the count (cells may
 * be NULL to count). */
static size_t make_cells(const opts *o, const nb_kernel *const *ks, size_t nk, nb_cell *cells) {
  size_t n = 0;
  const size_t *ds = o->nd ? o->d : def_d, nd = o->nd ? o->nd : N(def_d);
  size_t ndist = o->ndist ? o->ndist : nb_dist_count();
  size_t neps = o->neps ? o->neps : N(def_eps);
  for (int op = 0; op < NB_NOPS; op++)
    for (int dt = 0; dt < 3; dt++) {
      int used = 0;
      for (size_t j = 0; j < nk; j++) used |= ks[j]->op == (nb_op)op && ks[j]->dtype == (nb_dtype)dt;
      if (!used) continue;
      for (size_t a = 0; a < nd; a++)
        for (size_t b = 0; b < ndist; b++) {
          const nb_dist *dist = o->ndist ? o->dist[b] : nb_dist_at(b);
          for (size_t e = 0; e < neps; e++) {
            if (e > 0 && !o->neps && !o->thorough && (!eps_sensitive(dist) || ds[a] > EPS_D_MAX)) continue;
            if (cells)
              cells[n] = (nb_cell){.op = (nb_op)op, .dt = (nb_dtype)dt, .d = ds[a], .rows = rows_for(o, ds[a]),
                                   .dist = dist, .eps = o->neps ? o->eps[e] : def_eps[e],
                                   .seed = o->seed ^ (uint64_t)ds[a] * 0x9e3779b97f4a7c15ull};
            n++;
          }
        }
    }
  return n;
}

/* ---- reporting ------------------------------------------------------------ */

static void fmt_num(char *buf, size_t n, double v) {
  if (isnan(v))
    snprintf(buf, n, "-");
  else if (isinf(v))
    snprintf(buf, n, "inf");
  else
    snprintf(buf, n, v < 1e4 ? "%.3g" : "%.3e", v);
}

/* The command that recomputes one cell for one kernel. */
static void repro(char *buf, size_t n, const opts *o, const nb_kernel *k, const nb_cell *c) {
  if (c->dist)
    snprintf(buf, n, "normbench accuracy --kernel %s --d %zu --dist %s --eps %.9g --rows %zu --seed %llu",
             k->name, c->d, c->dist->name, (double)c->eps, c->rows, (unsigned long long)o->seed);
  else
    snprintf(buf, n, "normbench accuracy --input %s --weight %s%s%s --op %s --dtype %s --eps %.9g --kernel %s",
             o->input, o->weight, o->bias ? " --bias " : "", o->bias ? o->bias : "", nb_op_name(k->op),
             nb_dtype_name(k->dtype), (double)c->eps, k->name);
}

static const char *cell_name(const nb_cell *c) { return c->dist ? c->dist->name : "input"; }

typedef struct {
  const nb_kernel *k;
  nb_metrics all;
  size_t worst, promised_at; /* cells: largest error; largest error on promised rows */
  double ratio, promised;     /* largest error / bound, largest error, on promised rows */
} summary;

/* Within an op and dtype: by the largest error on the rows the kernel's
 * bound covers, its accuracy where it makes a promise (rows outside a
 * kernel's range say nothing about it: f32 kernels all reach 1.7e7 ulp
 * there), so the most accurate kernel comes first; not by error / bound,
 * which ranks how close a kernel comes to its own promise and puts the
 * correctly rounded kernels (0.5 / 0.5) last. Kernels with no promise
 * after, by their largest error. */
static int by_group_then_promised(const void *a, const void *b) {
  const summary *x = a, *y = b;
  if (x->k->op != y->k->op) return x->k->op < y->k->op ? -1 : 1;
  if (x->k->dtype != y->k->dtype) return x->k->dtype < y->k->dtype ? -1 : 1;
  if ((x->ratio >= 0) != (y->ratio >= 0)) return x->ratio >= 0 ? -1 : 1;
  double ex = x->ratio >= 0 ? x->promised : x->all.max_err, ey = y->ratio >= 0 ? y->promised : y->all.max_err;
  if (ex != ey) return isnan(ex) ? 1 : isnan(ey) ? -1 : ex < ey ? -1 : 1;
  return strcmp(x->k->name, y->k->name);
}

static void table(const nb_cell *cells, size_t nc, const nb_kernel *const *ks, size_t nk, const nb_metrics *m) {
  summary *s = calloc(nk, sizeof *s);
  if (!s) return;
  for (size_t j = 0; j < nk; j++) {
    s[j].k = ks[j];
    nb_metrics_init(&s[j].all);
    s[j].ratio = -1;
    s[j].promised = 0;
    for (size_t i = 0; i < nc; i++) {
      const nb_metrics *x = &m[i * nk + j];
      if (!x->n) continue;
      if (s[j].all.n == 0 || x->max_err > s[j].all.max_err) s[j].worst = i;
      nb_metrics_merge(&s[j].all, x);
      double r = x->rows_checked && x->bound > 0 ? x->max_checked / x->bound : -1;
      if (r > s[j].ratio) s[j].ratio = r;
      if (r >= 0 && !(x->max_checked <= s[j].promised)) s[j].promised = x->max_checked, s[j].promised_at = i;
    }
  }
  qsort(s, nk, sizeof *s, by_group_then_promised);
  printf("%-32s %9s %9s %9s %-17s  %9s %9s %9s %8s %7s  %-30s %7s %9s\n", "kernel", "err/bnd", "promised", "bound",
         "held", "all: max", "mean err", "max comp", "CR %", "exact/M", "worst: dist D eps row[idx]", "kappa",
         "max kap");
  for (size_t j = 0; j < nk; j++) {
    const summary *x = &s[j];
    if (j == 0 || x->k->op != s[j - 1].k->op || x->k->dtype != s[j - 1].k->dtype) {
      if (nb_op_quantized(x->k->op))
        printf("-- %s %s (%s)\n", nb_op_name(x->k->op), nb_dtype_name(x->k->dtype),
               x->k->op == NB_RMSNORM_I8 ? "int8 quantization steps" : "ulps of e4m3");
      else
        printf("-- %s %s (ulps of %s; %s)\n", nb_op_name(x->k->op), nb_dtype_name(x->k->dtype),
               nb_dtype_name(x->k->dtype), x->k->op == NB_LAYERNORM ? "floored" : "componentwise");
    }
    if (!x->all.n) continue;
    const nb_cell *w = &cells[x->worst];
    char e1[16], e2[16], e3[16], k1[16], k2[16], where[64], ratio[16] = "-", perr[16] = "-", bnd[16] = "-", held[24];
    fmt_num(e1, sizeof e1, x->all.max_err);
    fmt_num(e2, sizeof e2, x->all.sum_err / (double)x->all.n);
    fmt_num(e3, sizeof e3, x->all.max_comp);
    fmt_num(k1, sizeof k1, x->k->op == NB_LAYERNORM ? x->all.worst_kappa : NAN);
    fmt_num(k2, sizeof k2, x->k->op == NB_LAYERNORM ? x->all.max_kappa : NAN);
    snprintf(where, sizeof where, "%s %zu %.3g %zu[%zu]", cell_name(w), w->d, (double)w->eps, x->all.worst_row,
             x->all.worst_idx);
    if (x->ratio >= 0) {
      const nb_metrics *r = NULL;
      for (size_t j2 = 0; j2 < nk; j2++)
        if (ks[j2] == x->k) r = &m[x->promised_at * nk + j2];
      snprintf(ratio, sizeof ratio, "%.3f", x->ratio);
      fmt_num(perr, sizeof perr, r->max_checked);
      fmt_num(bnd, sizeof bnd, r->bound);
      snprintf(held, sizeof held, x->all.breaches ? "NO (%zu outputs)" : "yes", x->all.breaches);
    } else {
      snprintf(held, sizeof held, "no promise");
    }
    /* CR rate truncated, never rounded up to 100 */
    char cr[16], ex[16];
    snprintf(cr, sizeof cr, "%.4f", floor(1e6 * (double)x->all.n_cr / (double)x->all.n) / 1e4);
    if (x->k->algo == NB_ACCURATE)
      snprintf(ex, sizeof ex, "%.4g", 1e6 * (double)x->all.n_exact / (double)x->all.n);
    else
      snprintf(ex, sizeof ex, "-");
    printf("%-32s %9s %9s %9s %-17s  %9s %9s %9s %8s %7s  %-30s %7s %9s\n", x->k->name, ratio, perr, bnd, held, e1, e2,
           e3, cr, ex, where, k1, k2);
  }
  printf("\nerrors in ulps of the output format (rmsnorm_i8: int8 quantization steps, 'CR %%' the outputs\n"
         "on the exact result's integer; rmsnorm_e4m3: ulps of e4m3). err/bnd: the largest error over the\n"
         "declared bound on the rows the bound covers (inside the kernel's range; LayerNorm:\n"
         "mean|x|/sigma <= 10); promised: the largest error on those rows, and bound: the bound in that\n"
         "cell (at its D). Kernels are sorted by 'promised', most accurate first. all: max, mean err,\n"
         "max comp and worst: over every row, those outside the promise included (an f32 kernel's\n"
         "out-of-range rows reach 1.7e7). kappa = mean|x|/sigma of the worst row; exact/M = outputs per\n"
         "million that took the accurate kernels' exact fallback.\n");
  free(s);
}

/* Prints every breach loudly on stderr; returns their number. */
static size_t breaches(const opts *o, const nb_cell *cells, size_t nc, const nb_kernel *const *ks, size_t nk,
                       const nb_metrics *m) {
  size_t total = 0, shown = 0;
  for (size_t i = 0; i < nc; i++)
    for (size_t j = 0; j < nk; j++) {
      const nb_metrics *x = &m[i * nk + j];
      if (!x->breaches) continue;
      total++;
      if (shown++ >= 20) continue;
      char cmd[1024];
      repro(cmd, sizeof cmd, o, ks[j], &cells[i]);
      fprintf(stderr,
              "normbench accuracy: BREACH: %s exceeds its declared bound\n"
              "  input: %s, D %zu, eps %.9g, row %zu, index %zu\n"
              "  error %.6g ulp > bound %.6g ulp (%zu outputs above the bound in this cell)\n"
              "  reproduce: %s\n",
              ks[j]->name, cell_name(&cells[i]), cells[i].d, (double)cells[i].eps, x->breach_row, x->breach_idx,
              x->worst_breach_err, x->worst_breach_bound, x->breaches, cmd);
    }
  if (total > 20) fprintf(stderr, "normbench accuracy: ... %zu more cells with breaches (see the CSV)\n", total - 20);
  if (total) fprintf(stderr, "normbench accuracy: BREACH: %zu kernel x cell results broke a declared bound\n", total);
  return total;
}

static int write_csv(const opts *o, const nb_cell *cells, size_t nc, const nb_kernel *const *ks, size_t nk,
                     const nb_metrics *m) {
  nb_outfile f;
  if (nb_out_open(&f, o->csv)) return cli_error(CMD, "cannot write %s: %s", o->csv, nb_out_why(&f)), 3;
  nb_schema_header(f.f, &nb_schema_accuracy);
  for (size_t i = 0; i < nc; i++)
    for (size_t j = 0; j < nk; j++)
      if (m[i * nk + j].n) nb_acc_csv_row(f.f, ks[j], &cells[i], &m[i * nk + j]);
  if (nb_out_commit(&f)) return cli_error(CMD, "cannot write %s: %s", o->csv, nb_out_why(&f)), 3;
  return 0;
}

static void progress(size_t done, size_t total, void *ctx) {
  (void)total; /* counted at the start */
  cli_progress_step(ctx, done, "cells");
}

static int report(const opts *o, const nb_cell *cells, size_t nc, const nb_kernel *const *ks, size_t nk,
                  const nb_metrics *m) {
  if (!o->csv || strcmp(o->csv, "-")) table(cells, nc, ks, nk, m);
  if (o->csv) {
    int rc = write_csv(o, cells, nc, ks, nk, m);
    if (rc) return rc;
  }
  return breaches(o, cells, nc, ks, nk, m) ? 1 : 0;
}

static int run_cells(const opts *o, nb_cell *cells, size_t nc, const nb_kernel *const *ks, size_t nk) {
  nb_metrics *m = malloc(nc * nk * sizeof *m);
  if (!m) return cli_error(CMD, "out of memory for %zu results", nc * nk), 3;
  cli_progress p;
  cli_progress_start(&p, CMD, nc, o->quiet);
  if (!o->quiet)
    fprintf(stderr, "normbench accuracy: %zu kernels, %zu cells, %u threads (MPFR %s)\n", nk, nc, o->jobs,
            mpfr_buildopt_tls_p() ? "thread-safe" : "not thread-safe: 1 thread");
  size_t failed = 0;
  unsigned jobs = mpfr_buildopt_tls_p() ? o->jobs : 1;
  if (nb_sweep_run(cells, nc, ks, nk, jobs, m, progress, &p, &failed)) {
    free(m);
    return cli_error(CMD, "out of memory at %s D=%zu", cell_name(&cells[failed]), cells[failed].d), 3;
  }
  int rc = report(o, cells, nc, ks, nk, m);
  free(m);
  return rc;
}

/* ---- the user's rows ------------------------------------------------------- */

static int load(const char *what, const char *path, nb_array *a) {
  char err[NB_ARR_ERRLEN];
  if (nb_arr_load(path, a, err, sizeof err)) return cli_error(CMD, "%s: %s", what, err);
  return 0;
}

static int run_input(opts *o, const nb_kernel **all, size_t nall) {
  nb_array x, g, b = {0};
  int rc = 2;
  if (load("--input", o->input, &x)) return 2;
  if (load("--weight", o->weight, &g)) goto out_x;
  if (o->bias && load("--bias", o->bias, &b)) goto out_g;
  /* as `run`: rows of length 0 are refused; no rows leave nothing to measure */
  if (x.cols == 0 || x.rows == 0) {
    cli_error(CMD, "--input '%s' has %s", o->input, x.cols == 0 ? "rows of length 0" : "no rows");
    goto out;
  }
  /* as `run`: 1-D vectors, a (1, D) array is refused */
  if (g.ndim != 1 || g.cols != x.cols || (o->bias && (b.ndim != 1 || b.cols != x.cols))) {
    cli_error(CMD, "--weight%s must be 1-D arrays of %zu values (the rows' length)", o->bias ? " and --bias" : "",
              x.cols);
    goto out;
  }
  unsigned ops = o->ops ? o->ops : o->bias ? 1u << NB_LAYERNORM : 3u;
  unsigned dts = o->dts ? o->dts : 1u << x.dtype;
  const nb_kernel **ks = malloc((nall + 1) * sizeof *ks);
  nb_cell *cells = malloc(2 * 3 * MAXL * sizeof *cells);
  size_t nk = 0, nc = 0, neps = o->neps ? o->neps : 1;
  for (size_t i = 0; ks && i < nall; i++)
    if ((ops >> all[i]->op & 1) && (dts >> all[i]->dtype & 1)) ks[nk++] = all[i];
  if (!ks || !cells) {
    rc = (cli_error(CMD, "out of memory"), 3);
  } else if (nk == 0) {
    rc = cli_error(CMD, "no selected kernel takes %s %s data", o->bias ? "layernorm" : "rmsnorm or layernorm",
                   nb_dtype_name(x.dtype));
  } else if (cli_check_only) {
    rc = 0;
  } else {
    for (int op = 0; op < NB_NOPS; op++)
      for (int dt = 0; dt < 3; dt++)
        for (size_t e = 0; e < neps && (ops >> op & 1) && (dts >> dt & 1); e++)
          cells[nc++] = (nb_cell){.op = (nb_op)op, .dt = (nb_dtype)dt, .d = x.cols, .rows = x.rows,
                                  .eps = o->neps ? o->eps[e] : 1e-5f, .x = x.data, .g = g.data,
                                  .b = o->bias ? b.data : NULL};
    rc = run_cells(o, cells, nc, ks, nk);
  }
  free(ks);
  free(cells);
out:
  nb_arr_free(&b);
out_g:
  nb_arr_free(&g);
out_x:
  nb_arr_free(&x);
  return rc;
}

/* ---- search ---------------------------------------------------------------- */

static int mkdirs(const char *path) {
  char buf[4096];
  if (strlen(path) >= sizeof buf) return -1;
  strcpy(buf, path);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(buf, 0777) && errno != EEXIST) return -1;
      *p = '/';
    }
  return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

/* 0 if path is (now) a directory this process can create files in. */
static int writable_dir(const char *path) {
  struct stat st;
  if (mkdirs(path) || stat(path, &st)) return -1;
  if (!S_ISDIR(st.st_mode)) return errno = ENOTDIR, -1;
  return access(path, W_OK | X_OK);
}

static int save_worst(const opts *o, const nb_kernel *k, size_t d, float eps, const nb_worst *w) {
  char dir[4096], path[4200], err[NB_ARR_ERRLEN];
  snprintf(dir, sizeof dir, "%s/%s_d%zu", o->save, k->name, d);
  if (mkdirs(dir)) return cli_error(CMD, "cannot create %s: %s", dir, strerror(errno)), 3;
  const char *names[] = {"x", "g", "b"};
  const float *data[] = {w->x, w->g, w->b};
  for (int i = 0; i < (w->b ? 3 : 2); i++) {
    snprintf(path, sizeof path, "%s/%s.npy", dir, names[i]);
    if (nb_arr_save(path, i ? 1 : 2, 1, d, data[i], err, sizeof err)) return cli_error(CMD, "%s", err), 3;
  }
  char kap[48] = "";
  if (k->op == NB_LAYERNORM) snprintf(kap, sizeof kap, ", mean|x|/sigma %.4g", w->kappa);
  snprintf(path, sizeof path, "%s/README", dir);
  nb_outfile f;
  if (nb_out_open(&f, path)) return cli_error(CMD, "cannot write %s: %s", path, nb_out_why(&f)), 3;
  fprintf(f.f,
          "%s, D = %zu, eps = %.9g: error %.6g ulp at index %zu (declared bound %.6g ulp%s),\n"
          "the worst of %zu rows tried by: normbench accuracy --search --kernel %s --d %zu --eps %.9g --seed %llu "
          "--time %g\n"
          "reproduce: normbench accuracy --input %s/x.npy --weight %s/g.npy%s%s%s --op %s --dtype %s --eps %.9g "
          "--kernel %s\n",
          k->name, d, (double)eps, w->err, w->idx, w->bound, kap, w->evals, k->name, d, (double)eps,
          (unsigned long long)o->seed, o->time, dir, dir, w->b ? " --bias " : "", w->b ? dir : "",
          w->b ? "/b.npy" : "", nb_op_name(k->op), nb_dtype_name(k->dtype), (double)eps, k->name);
  if (nb_out_commit(&f)) return cli_error(CMD, "cannot write %s: %s", path, nb_out_why(&f)), 3;
  return 0;
}

static int run_search(const opts *o, const nb_kernel *const *ks, size_t nk) {
  float eps = o->neps ? o->eps[0] : 1e-5f;
  int rc = 0;
  printf("%-32s %6s %10s %10s %7s %7s %8s %9s\n", "kernel", "D", "worst err", "bound", "err/bnd", "kappa", "index",
         "rows");
  for (size_t j = 0; j < nk; j++)
    for (size_t a = 0; a < o->nd; a++) {
      const nb_kernel *k = ks[j];
      nb_worst w;
      if (isnan(nb_kernel_bound(k, o->d[a], 1))) {
        if (!o->quiet) fprintf(stderr, "normbench accuracy: note: %s declares no bound, not searched\n", k->name);
        continue;
      }
      if (!o->quiet)
        fprintf(stderr, "normbench accuracy: searching %s at D = %zu for %g s\n", k->name, o->d[a], o->time);
      if (nb_search(k, o->d[a], eps, o->seed, o->time, o->jobs, &w)) {
        fprintf(stderr, "normbench accuracy: %s D = %zu: no row inside the promise was found\n", k->name, o->d[a]);
        continue;
      }
      char kap[16];
      fmt_num(kap, sizeof kap, k->op == NB_LAYERNORM ? w.kappa : NAN);
      printf("%-32s %6zu %10.4g %10.4g %7.3f %7s %8zu %9zu\n", k->name, o->d[a], w.err, w.bound, w.err / w.bound, kap,
             w.idx, w.evals);
      if (k->algo == NB_ACCURATE && !nb_op_quantized(k->op)) {
        printf("  near-midpoint search: closest exact output %.3g ulp from a rounding boundary (index %zu); %s\n",
               w.mid, w.idx, w.miss ? "NOT correctly rounded" : "all outputs of every row tried correctly rounded");
        if (w.miss) w.err = INFINITY; /* reported as a breach below */
      }
      fflush(stdout);
      if (w.err > w.bound) {
        fprintf(stderr,
                "normbench accuracy: BREACH: %s exceeds its declared bound on a searched row: D %zu, eps %.9g, "
                "index %zu, error %.6g ulp > bound %.6g ulp%s\n",
                k->name, o->d[a], (double)eps, w.idx, w.err, w.bound,
                o->save ? " (row saved, see its README)" : " (rerun with --save-worst DIR to keep the row)");
        rc = 1;
      }
      if (o->save) {
        int s = save_worst(o, k, o->d[a], eps, &w);
        if (s) rc = s;
      }
      nb_worst_free(&w);
      if (rc > 1) return rc;
    }
  return rc;
}

int cmd_accuracy(int argc, char **argv) {
  opts o;
  int rc = parse(argc, argv, &o);
  if (rc) return rc < 0 ? 0 : rc;
  if (o.list_dists) {
    list_dists();
    return 0;
  }
  const nb_kernel **ks = malloc((nb_kernel_count() + 1) * sizeof *ks);
  if (!ks) return cli_error(CMD, "out of memory"), 3;
  size_t matched, nk = select_kernels(&o, ks, &matched);
  if (nk == 0) {
    free(ks);
    if (matched) return cli_error(CMD, "no kernel matching '%s' runs on this CPU", o.glob);
    return cli_error(CMD, "no kernel matches '%s'%s", o.glob, o.ops || o.dts ? " with the given --op/--dtype" : "");
  }
  if (o.input) {
    rc = run_input(&o, ks, nk);
  } else if (cli_check_only) {
    rc = 0;
  } else if (o.save && writable_dir(o.save)) {
    /* before a search of minutes, not after it */
    rc = (cli_error(CMD, "--save-worst: cannot use directory '%s': %s", o.save, strerror(errno)), 3);
  } else if (o.search) {
    rc = run_search(&o, ks, nk);
  } else {
    size_t nc = make_cells(&o, ks, nk, NULL);
    nb_cell *cells = malloc(nc * sizeof *cells);
    if (!cells) {
      free(ks);
      return cli_error(CMD, "out of memory"), 3;
    }
    make_cells(&o, ks, nk, cells);
    rc = run_cells(&o, cells, nc, ks, nk);
    free(cells);
  }
  free(ks);
  return rc;
}
