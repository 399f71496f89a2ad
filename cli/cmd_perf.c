/* normbench perf / normbench compare: throughput of registry kernels next to
 * the roofline probes, and an interleaved A/B comparison. */
#include "cli.h"

#include "normbench.h"
#include "outfile.h"
#include "perf.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_D 32
#define MAX_WS 8
#define MAX_K 256

static int parse_ws_list(const char *s, nb_ws *out, size_t *n) {
  char buf[256];
  if (strlen(s) >= sizeof buf) return -1;
  strcpy(buf, s);
  *n = 0;
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
    if (*n == MAX_WS || nb_ws_parse(t, &out[(*n)++])) return -1;
  return *n ? 0 : -1;
}

/* Options perf and compare share. */
typedef struct {
  size_t d[MAX_D], nd;
  nb_ws ws[MAX_WS];
  size_t nws, rows;
  nb_measure_opts mo;
  unsigned threads;
  const char *csv, *json;
  int quiet;
  const char *caches; /* --caches, else NORMBENCH_CACHES, else detected */
} common;

static double now_s(void) { return nb_gettime_ns() * 1e-9; }

/* One progress line per step once a run has taken a few seconds. */
static void progress(const common *c, double t0, size_t done, size_t total, const char *what) {
  double el = now_s() - t0;
  if (c->quiet || el < 3 || done == 0) return;
  fprintf(stderr, "normbench: [%zu/%zu] %s  (%.0f s elapsed, ~%.0f s left)\n", done + 1, total, what, el,
          el / done * (total - done));
}

static int write_file(const char *cmd, const char *path, const nb_machine *m, const nb_perf_row *rows, size_t n,
                      void (*w)(FILE *, const nb_machine *, const nb_perf_row *, size_t)) {
  nb_outfile o;
  if (nb_out_open(&o, path)) return cli_error(cmd, "cannot write '%s': %s", path, nb_out_why(&o));
  w(o.f, m, rows, n);
  if (nb_out_commit(&o)) return cli_error(cmd, "cannot write '%s': %s", path, nb_out_why(&o));
  return 0;
}

int cli_write_records(const char *cmd, const char *path, const nb_machine *m, const nb_records *r,
                      void (*w)(FILE *, const nb_machine *, const nb_records *)) {
  nb_outfile o;
  if (nb_out_open(&o, path)) return cli_error(cmd, "cannot write '%s': %s", path, strerror(errno));
  w(o.f, m, r);
  if (ferror(o.f)) {
    nb_out_abort(&o);
    return cli_error(cmd, "cannot write '%s'", path);
  }
  if (nb_out_commit(&o)) return cli_error(cmd, "cannot write '%s': %s", path, strerror(errno));
  return 0;
}

/* Options of both commands share their codes, so one function parses the
 * options they have in common. */
enum { O_D = 1, O_WS, O_REP, O_MIN, O_QUIET, O_HELP, O_KERNEL, O_OP, O_DTYPE, O_CSV, O_JSON, O_BOUT, O_BFMT,
       O_BFILT, O_ROWS, O_THREADS, O_CACHES };

/* --d, --working-set, --rows, --threads, --repetitions, --min-time, --csv,
 * --json, --caches: returns -1 when ch is not one of them, else 0 or the
 * exit status of the error. */
static int common_opt(const char *cmd, int ch, const char *arg, common *c, size_t min_reps) {
  size_t v;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  switch (ch) {
  case O_D:
    if (cli_parse_size_list(arg, c->d, MAX_D, &c->nd))
      return cli_error(cmd, "--d wants a list of row lengths >= 1, got '%s'", arg);
    for (size_t i = 0; i < c->nd; i++)
      if (c->d[i] == 0 || c->d[i] > (1u << 24)) return cli_error(cmd, "--d: %zu is out of [1, 2^24]", c->d[i]);
    return 0;
  case O_WS:
    if (parse_ws_list(arg, c->ws, &c->nws))
      return cli_error(cmd,
                       "--working-set wants l1, l2, llc, mem, decode, batch, prefill, rows:N or a byte count "
                       ">= 256, got '%s'",
                       arg);
    return 0;
  case O_ROWS:
    if (cli_parse_size(arg, &c->rows) || c->rows == 0 || c->rows > (1u << 24))
      return cli_error(cmd, "--rows wants rows per call in [1, 2^24], got '%s'", arg);
    return 0;
  case O_THREADS:
    if (cli_parse_size(arg, &v) || v == 0 || (long)v > ncpu)
      return cli_error(cmd, "--threads wants 1..%ld (the CPUs online), got '%s'", ncpu, arg);
    c->threads = (unsigned)v;
    return 0;
  case O_REP:
    if (cli_parse_size(arg, &v) || v < min_reps || v > 10000)
      return cli_error(cmd, "--repetitions wants %zu..10000, got '%s'", min_reps, arg);
    c->mo.repetitions = (unsigned)v;
    return 0;
  case O_CACHES:
    c->caches = arg;
    return 0;
  case O_MIN:
    if (cli_parse_double(arg, &c->mo.min_time) || c->mo.min_time <= 0 || c->mo.min_time > 60)
      return cli_error(cmd, "--min-time wants seconds in (0, 60], got '%s'", arg);
    return 0;
  case O_CSV: c->csv = arg; return 0;
  case O_JSON: c->json = arg; return 0;
  default: return -1;
  }
}

/* --rows N adds the shape rows:N to the working sets asked for (or
 * replaces the default ones). */
static void add_rows(common *c, int ws_given) {
  if (!c->rows) return;
  if (!ws_given) c->nws = 0;
  if (c->nws < MAX_WS) c->ws[c->nws++] = (nb_ws){NB_WS_ROWS, 0, c->rows};
}

static void ws_help(FILE *f) {
  fprintf(f, "Working sets and shapes (--working-set, comma-separated; --rows N adds rows:N):\n");
  for (int k = NB_WS_L1; k <= NB_WS_ROWS; k++) {
    const char *name = k == NB_WS_BYTES ? "BYTES" : k == NB_WS_ROWS ? "rows:N" : nb_ws_name((nb_ws){(nb_ws_kind)k, 0, 0});
    fprintf(f, "  %-8s %s\n", name, nb_ws_describe((nb_ws_kind)k));
  }
}

static const char perf_usage[] =
    "usage: normbench perf [--kernel GLOB] [--op rmsnorm|layernorm|addrmsnorm|rmsnorm1p|rmsnorm_i8|rmsnorm_e4m3]\n"
    "                      [--dtype f32|f16|bf16]\n"
    "                      [--d LIST] [--working-set LIST] [--rows N] [--threads N]\n"
    "                      [--repetitions N] [--min-time S] [--csv FILE] [--json FILE] [--quiet]\n"
    "                      [--caches L1=48K,...]\n"
    "                      [--benchmark_filter=REGEX] [--benchmark_out=FILE --benchmark_out_format=json]\n\n"
    "Throughput of the registry kernels that run here, with the roofline probes (read, copy,\n"
    "non-temporal copy) measured on the same bytes and threads. Default: D 4096, working sets\n"
    "l1,l2,llc,mem. Each result is the median of --repetitions samples (default 15) of at least\n"
    "--min-time seconds (default 0.01), in GB/s (x read + y written, plus g and b once per call)\n"
    "and rows/s. --threads N splits each call's rows across N threads pinned to their own CPUs\n"
    "(the probes too). 'vs copy' = kernel bandwidth / copy probe's, 'vs NT' = / non-temporal\n"
    "copy's (mem and prefill). NOISY marks a result whose spread (cv > 5% or MAD > 2%) stayed\n"
    "high after a re-run. --csv and --json write files (CSV columns: harness/perf_columns.txt;\n"
    "JSON: Google Benchmark's schema, so its tools/compare.py reads it). --benchmark_filter\n"
    "matches '<kernel>/d:<D>/ws:<ws>' (POSIX extended regex). Cache sizes as `normbench cpu`\n"
    "shows them; --caches L1=48K,L2=1M,L3=32M (or NORMBENCH_CACHES) overrides them.\n\n";

/* Probes and kernels of one working set and D: one workload per dtype, the
 * probes on the f32 one (byte working sets: at the first D only, as the
 * bytes do not depend on D). */
static int perf_cell(const common *c, const nb_machine *m, nb_ws ws, size_t id, const nb_kernel *const *ks,
                     size_t nk, regex_t *re, nb_perf_row *rows, size_t *n, double t0, size_t total) {
  size_t d = c->d[id];
  int by_rows = ws.kind >= NB_WS_DECODE && ws.kind != NB_WS_PREFILL;
  char err[256], what[160];
  for (int dt = NB_F32; dt <= NB_BF16; dt++) {
    int any = dt == NB_F32 && (id == 0 || by_rows);
    for (size_t i = 0; i < nk; i++) any |= (int)ks[i]->dtype == dt;
    if (!any) continue;
    size_t r = nb_ws_rows_at(ws, m, d, nb_dtype_size((nb_dtype)dt));
    nb_workload w;
    if (nb_workload_init(&w, NB_RMSNORM, (nb_dtype)dt, d, r, ws, c->threads))
      return cli_error("perf", "cannot allocate %zu rows of D %zu (%s), or start %u threads", r, d, nb_ws_name(ws),
                       c->threads);
    for (size_t i = 0; i < NB_NPROBES + nk; i++) {
      int probe = i < NB_NPROBES;
      if (probe ? dt != NB_F32 || (id > 0 && !by_rows) : (int)ks[i - NB_NPROBES]->dtype != dt) continue;
      const char *name = probe ? nb_probe_name((nb_probe)i) : ks[i - NB_NPROBES]->name;
      snprintf(what, sizeof what, "%s/d:%zu/ws:%s", name, d, nb_ws_name(ws));
      if (re && regexec(re, what, 0, NULL, 0)) continue;
      progress(c, t0, *n, total, what);
      nb_perf_row *row = &rows[*n];
      if (probe ? nb_perf_probe((nb_probe)i, &w, &c->mo, row)
                : nb_perf_kernel(ks[i - NB_NPROBES], &w, &c->mo, row, err, sizeof err)) {
        nb_workload_free(&w);
        return cli_error("perf", "%s", probe ? "out of memory" : err);
      }
      (*n)++;
    }
    nb_workload_free(&w);
  }
  return 0;
}

int cmd_perf(int argc, char **argv) {
  static const struct option opts[] = {
      {"kernel", required_argument, 0, O_KERNEL},  {"op", required_argument, 0, O_OP},
      {"dtype", required_argument, 0, O_DTYPE},    {"d", required_argument, 0, O_D},
      {"working-set", required_argument, 0, O_WS}, {"rows", required_argument, 0, O_ROWS},
      {"threads", required_argument, 0, O_THREADS}, {"repetitions", required_argument, 0, O_REP},
      {"min-time", required_argument, 0, O_MIN},   {"csv", required_argument, 0, O_CSV},
      {"json", required_argument, 0, O_JSON},      {"quiet", no_argument, 0, O_QUIET},
      {"help", no_argument, 0, O_HELP},            {"benchmark_out", required_argument, 0, O_BOUT},
      {"benchmark_out_format", required_argument, 0, O_BFMT},
      {"benchmark_filter", required_argument, 0, O_BFILT},
      {"caches", required_argument, 0, O_CACHES},
      {0, 0, 0, 0}};
  const char *glob = "*", *filter = NULL;
  nb_dtype dt;
  int want_op = -1, want_dt = -1, ws_given = 0;
  common c = {.d = {4096}, .nd = 1, .nws = 4, .mo = {15, 0.01}, .threads = 1};
  for (int i = 0; i < 4; i++) c.ws[i] = (nb_ws){(nb_ws_kind)i, 0, 0};
  int ch, rc;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    ws_given |= ch == O_WS;
    if ((rc = common_opt("perf", ch, optarg, &c, 1)) >= 0) {
      if (rc) return rc;
      continue;
    }
    switch (ch) {
    case O_KERNEL: glob = optarg; break;
    case O_OP:
      want_op = -1;
      for (int o = 0; o < NB_NOPS; o++)
        if (!strcmp(optarg, nb_op_name((nb_op)o))) want_op = o;
      if (want_op < 0)
        return cli_error("perf", "--op wants rmsnorm, layernorm, addrmsnorm, rmsnorm1p, rmsnorm_i8 or rmsnorm_e4m3, got '%s'", optarg);
      break;
    case O_DTYPE:
      if (nb_dtype_parse(optarg, &dt)) return cli_error("perf", "--dtype wants f32, f16 or bf16, got '%s'", optarg);
      want_dt = (int)dt;
      break;
    case O_BOUT: c.json = optarg; break;
    case O_BFMT:
      if (strcmp(optarg, "json")) return cli_error("perf", "--benchmark_out_format: only json is written, got '%s'", optarg);
      break;
    case O_BFILT: filter = optarg; break;
    case O_QUIET: c.quiet = 1; break;
    case O_HELP: fputs(perf_usage, stdout); ws_help(stdout); return 0;
    default: return cli_error("perf", "unknown or incomplete option '%s' (normbench perf --help)", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_error("perf", "unexpected argument '%s'", argv[optind]);
  add_rows(&c, ws_given);
  regex_t re;
  if (filter && regcomp(&re, filter, REG_EXTENDED | REG_NOSUB))
    return cli_error("perf", "--benchmark_filter: invalid regular expression '%s'", filter);

  const nb_kernel *ks[MAX_K];
  size_t nk = nb_select(glob, want_op, want_dt, ks, MAX_K);
  if (nk == 0) {
    if (filter) regfree(&re);
    return cli_error("perf", "no kernel that runs here matches --kernel '%s'%s%s%s%s", glob,
                     want_op >= 0 ? " --op " : "", want_op >= 0 ? nb_op_name((nb_op)want_op) : "",
                     want_dt >= 0 ? " --dtype " : "", want_dt >= 0 ? nb_dtype_name((nb_dtype)want_dt) : "");
  }
  if (cli_check_only) {
    if (filter) regfree(&re);
    return 0;
  }

  nb_machine m;
  char err[256];
  if (nb_machine_get(&m, c.caches, err, sizeof err)) {
    if (filter) regfree(&re);
    return cli_error("perf", "%s", err);
  }
  m.pinned_cpu = nb_pin_thread(-1);
  size_t total = c.nd * c.nws * (nk + NB_NPROBES), n = 0;
  nb_perf_row *rows = calloc(total, sizeof *rows);
  rc = rows ? 0 : cli_error("perf", "out of memory");
  double t0 = now_s();
  for (size_t iw = 0; !rc && iw < c.nws; iw++)
    for (size_t id = 0; !rc && id < c.nd; id++)
      rc = perf_cell(&c, &m, c.ws[iw], id, ks, nk, filter ? &re : NULL, rows, &n, t0, total);
  if (filter) regfree(&re);
  if (!rc) {
    nb_perf_link_probes(rows, n);
    nb_perf_write_table(stdout, &m, rows, n);
    if (c.csv) rc = write_file("perf", c.csv, &m, rows, n, nb_perf_write_csv);
    if (!rc && c.json) rc = write_file("perf", c.json, &m, rows, n, nb_perf_write_json);
  }
  for (size_t i = 0; i < n; i++) nb_result_free(&rows[i].r);
  free(rows);
  return rc;
}

static const char compare_usage[] =
    "usage: normbench compare A B [C ...] [--d LIST] [--working-set LIST] [--rows N] [--threads N]\n"
    "                         [--repetitions N] [--min-time S] [--csv FILE] [--json FILE] [--quiet]\n"
    "                         [--caches L1=48K,...]\n\n"
    "Times kernels A, B, ... interleaved: each round samples every kernel once (at least\n"
    "--min-time seconds, default 0.01), starting from a different one each round, over\n"
    "--repetitions rounds (default 31). Every kernel normalizes the same rows of the same D,\n"
    "each in its own dtype, so kernels of different dtypes (f32 against bf16) compare in\n"
    "rows/s. Reports each kernel's rows/s and GB/s and its speed over A in rows/s: the median\n"
    "of the per-round ratios and its 95% bootstrap interval; an interval that excludes 1 is a\n"
    "difference, not noise. Byte working sets are sized for the widest dtype of the kernels.\n"
    "Defaults: --d 4096 --working-set l2.\n\n";

#define MAX_CMP 16

static const char *const cmp_cols[] = {"kernel", "op", "dtype", "d", "working_set", "rows", "threads", "rounds",
                                       "iterations", "median_ns", "cv", "mad_pct", "noisy", "rows_per_s",
                                       "gbytes_per_s", "speed_vs_a", "speed_lo", "speed_hi"};
#define NCMP_COLS (sizeof cmp_cols / sizeof cmp_cols[0])

int cmd_compare(int argc, char **argv) {
  static const struct option opts[] = {
      {"d", required_argument, 0, O_D},          {"working-set", required_argument, 0, O_WS},
      {"rows", required_argument, 0, O_ROWS},    {"threads", required_argument, 0, O_THREADS},
      {"repetitions", required_argument, 0, O_REP}, {"min-time", required_argument, 0, O_MIN},
      {"csv", required_argument, 0, O_CSV},      {"json", required_argument, 0, O_JSON},
      {"quiet", no_argument, 0, O_QUIET},        {"help", no_argument, 0, O_HELP},
      {"caches", required_argument, 0, O_CACHES}, {0, 0, 0, 0}};
  common c = {.d = {4096}, .nd = 1, .ws = {{NB_WS_L2, 0, 0}}, .nws = 1, .mo = {31, 0.01}, .threads = 1};
  int ch, rc, ws_given = 0;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    ws_given |= ch == O_WS;
    if ((rc = common_opt("compare", ch, optarg, &c, 5)) >= 0) {
      if (rc) return rc;
      continue;
    }
    switch (ch) {
    case O_QUIET: c.quiet = 1; break;
    case O_HELP: fputs(compare_usage, stdout); ws_help(stdout); return 0;
    default: return cli_error("compare", "unknown or incomplete option '%s' (normbench compare --help)", argv[optind - 1]);
    }
  }
  add_rows(&c, ws_given);
  size_t nk = (size_t)(argc - optind);
  if (nk < 2 || nk > MAX_CMP)
    return cli_error("compare", "wants 2 to %d kernel names, A B ... (normbench list names them)", MAX_CMP);
  const nb_kernel *k[MAX_CMP];
  size_t sz = 0;
  for (size_t i = 0; i < nk; i++) {
    k[i] = nb_kernel_find(argv[optind + (int)i]);
    if (!k[i]) return cli_error("compare", "no kernel named '%s' (normbench list)", argv[optind + (int)i]);
    if (!nb_kernel_runs_here(k[i])) return cli_error("compare", "%s cannot run on this CPU", k[i]->name);
    if (nb_dtype_size(k[i]->dtype) > sz) sz = nb_dtype_size(k[i]->dtype);
  }
  if (cli_check_only) return 0;
  nb_machine m;
  char err[256], what[64];
  if (nb_machine_get(&m, c.caches, err, sizeof err)) return cli_error("compare", "%s", err);
  m.pinned_cpu = nb_pin_thread(-1);
  size_t ncell = c.nws * c.nd;
  nb_val *v = calloc(ncell * nk * NCMP_COLS, sizeof *v);
  char(*labels)[32] = calloc(ncell, sizeof *labels);
  if (!v || !labels) {
    free(v), free(labels);
    return cli_error("compare", "out of memory");
  }
  double t0 = now_s();
  rc = 0;
  /* Everything is measured before anything is printed: an error leaves
   * stdout empty. */
  for (size_t cell = 0; !rc && cell < ncell; cell++) {
    nb_ws ws = c.ws[cell / c.nd];
    size_t d = c.d[cell % c.nd], rows = nb_ws_rows_at(ws, &m, d, sz);
    snprintf(labels[cell], sizeof labels[cell], "%s", nb_ws_name(ws));
    snprintf(what, sizeof what, "d:%zu/ws:%s", d, labels[cell]);
    progress(&c, t0, cell, ncell, what);
    nb_workload w[3] = {0}, *wk[MAX_CMP];
    int have[3] = {0};
    for (size_t i = 0; !rc && i < nk; i++) {
      nb_dtype dt = k[i]->dtype;
      if (!have[dt] && nb_workload_init(&w[dt], k[i]->op, dt, d, rows, ws, c.threads))
        rc = cli_error("compare", "cannot allocate %zu rows of D %zu, or start %u threads", rows, d, c.threads);
      have[dt] = 1;
      wk[i] = &w[dt];
    }
    nb_interleaved r = {0};
    if (!rc && nb_interleave(k, wk, nk, &c.mo, &r, err, sizeof err)) rc = cli_error("compare", "%s", err);
    for (size_t i = 0; !rc && i < nk; i++) {
      nb_ratio q = nb_interleaved_ratio(&r, wk, 0, i);
      nb_val row[NCMP_COLS] = {
          {k[i]->name, 0}, {nb_op_name(k[i]->op), 0}, {nb_dtype_name(k[i]->dtype), 0}, {NULL, (double)d},
          {labels[cell], 0}, {NULL, (double)rows}, {NULL, c.threads}, {NULL, r.rounds},
          {NULL, (double)r.iterations[i]}, {NULL, r.st[i].median}, {NULL, r.st[i].cv}, {NULL, r.st[i].mad_pct},
          {NULL, r.noisy[i]}, {NULL, r.rows_per_s[i]},
          {NULL, nb_workload_bytes(wk[i], k[i]) / r.st[i].median}, {NULL, q.ratio}, {NULL, q.lo}, {NULL, q.hi}};
      memcpy(&v[(cell * nk + i) * NCMP_COLS], row, sizeof row);
    }
    nb_interleaved_free(&r);
    for (int t = 0; t < 3; t++)
      if (have[t]) nb_workload_free(&w[t]);
  }
  if (!rc) {
    nb_machine_write(stdout, &m, "# ");
    printf("# speed: rows/s over A's, median of %u interleaved rounds, [95%% bootstrap interval]\n", c.mo.repetitions);
    printf("%-34s %6s %8s %7s %3s %10s %12s %10s %8s %8s %22s %s\n", "kernel", "d", "ws", "rows", "thr", "iters",
           "median ns", "rows/s", "GB/s", "cv%", "speed vs A [95%]", "verdict");
    for (size_t i = 0; i < ncell * nk; i++) {
      const nb_val *x = &v[i * NCMP_COLS];
      const char *verdict = i % nk == 0 ? "(A)" : x[16].v > 1 ? "faster than A" : x[17].v < 1 ? "slower than A"
                                                                                         : "no difference shown";
      char sp[48];
      snprintf(sp, sizeof sp, "%.4f [%.4f, %.4f]", x[15].v, x[16].v, x[17].v);
      printf("%-34s %6.0f %8s %7.0f %3.0f %10.0f %12.1f %10.4g %8.2f %8.2f %22s %s%s\n", x[0].s, x[3].v, x[4].s,
             x[5].v, x[6].v, x[8].v, x[9].v, x[13].v, x[14].v, 100 * x[10].v, i % nk ? sp : "-", verdict,
             x[12].v ? " NOISY" : "");
    }
    nb_records rec = {"normbench compare", NULL, 0, cmp_cols, NCMP_COLS, ncell * nk, v};
    if (c.csv) rc = cli_write_records("compare", c.csv, &m, &rec, nb_records_write_csv);
    if (!rc && c.json) rc = cli_write_records("compare", c.json, &m, &rec, nb_records_write_json);
  }
  free(v), free(labels);
  return rc;
}
