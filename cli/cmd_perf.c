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
       O_BFILT, O_ROWS, O_THREADS, O_CACHES, O_BMIN, O_BFORMAT, O_BLIST, O_BDISP, O_COLUMNS };

/* --d, --working-set, --rows, --threads, --repetitions, --min-time, --csv,
 * --json, --caches: returns -1 when ch is not one of them, else 0 or the
 * exit status of the error. */
static int common_opt(const char *cmd, int ch, const char *arg, common *c, size_t min_reps) {
  size_t v;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int rc;
  switch (ch) {
  case O_D: return cli_opt_d(cmd, arg, c->d, MAX_D, &c->nd, (size_t)1 << 24);
  case O_WS: return cli_opt_ws(cmd, "--working-set", arg, c->ws, MAX_WS, &c->nws);
  case O_ROWS: return cli_opt_count(cmd, "--rows", arg, 1, (size_t)1 << 24, &c->rows);
  case O_THREADS:
    if ((rc = cli_opt_count(cmd, "--threads", arg, 1, ncpu > 0 ? (size_t)ncpu : 1, &v))) return rc;
    c->threads = (unsigned)v;
    return 0;
  case O_REP:
    if ((rc = cli_opt_count(cmd, "--repetitions", arg, min_reps, 10000, &v))) return rc;
    c->mo.repetitions = (unsigned)v;
    return 0;
  case O_CACHES: {
    size_t sizes[5];
    if (nb_parse_caches(arg, sizes)) return cli_error(cmd, "--caches: '%s' is not like L1=48K,L2=1MiB,L3=32M", arg);
    c->caches = arg;
    return 0;
  }
  case O_MIN:
    c->mo.iterations = 0;
    return cli_opt_seconds(cmd, "--min-time", arg, 60, &c->mo.min_time);
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
    "usage: normbench perf [--kernel GLOB] [--filter REGEX] [--op LIST] [--dtype LIST]\n"
    "                      [--d LIST] [--working-set LIST] [--rows N] [--threads N]\n"
    "                      [--repetitions N] [--min-time T] [--csv FILE] [--json FILE] [--quiet]\n"
    "                      [--caches L1=48K,...] [--columns] [--benchmark_* flags of Google Benchmark]\n\n"
    "Throughput of the registry kernels that run here, with the roofline probes (read, copy,\n"
    "non-temporal copy) measured on the same bytes and threads. Default: D 4096, working sets\n"
    "l1,l2,llc,mem. Each result is the median of --repetitions samples (default 15) of at least\n"
    "--min-time seconds (default 0.01), in GB/s (x read + y written, plus g and b once per call)\n"
    "and rows/s. --threads N splits each call's rows across N threads pinned to their own CPUs\n"
    "(the probes too). 'vs copy' = kernel bandwidth / copy probe's, 'vs NT' = / non-temporal\n"
    "copy's (mem and prefill). NOISY marks a result whose spread (cv > 5% or MAD > 2%) stayed\n"
    "high after a re-run. --csv and --json write files (CSV: the columns --columns prints,\n"
    "explained in harness/schema.c; JSON: Google Benchmark's schema, so its tools/compare.py\n"
    "reads it); FILE '-' is standard\n"
    "output, pure CSV or JSON, and the table goes to standard error. --kernel is a shell glob on\n"
    "kernel names; --filter (or --benchmark_filter) a POSIX extended regex on each run's name\n"
    "'<kernel>/d:<D>/ws:<ws>' (probes too). --op and --dtype take comma lists or 'all'. Sizes\n"
    "take units (48K, 1MiB), times too (10ms, 0.5s; plain: seconds). Cache sizes as `normbench\n"
    "cpu` shows them; --caches L1=48K,L2=1M,L3=32M (or NORMBENCH_CACHES) overrides them.\n\n"
    "Google Benchmark's flags (normbench_gbench is this command under a Google Benchmark binary's\n"
    "name, for its tools/compare.py): --benchmark_filter=REGEX, --benchmark_repetitions=N,\n"
    "--benchmark_min_time=T (0.5s, or Nx: N calls a sample), --benchmark_format=console|json|csv\n"
    "(stdout; json and csv move the table to stderr), --benchmark_out=FILE with\n"
    "--benchmark_out_format=json|csv|console (default json), --benchmark_list_tests (the run\n"
    "names, nothing timed), --benchmark_display_aggregates_only (the table shows medians anyway).\n"
    "Their CSV is Google Benchmark's (name, iterations, real_time, ...), not --csv's.\n\n";

/* Probes and kernels of one working set and D: one workload per dtype, the
 * probes on the f32 one (byte working sets: at the first D only, as the
 * bytes do not depend on D). rows NULL: only counts the runs (*n) that
 * pass the filters, so that progress counts what will run, and prints
 * their names on `names` if not NULL. */
static int perf_cell(const common *c, const nb_machine *m, nb_ws ws, size_t id, const nb_kernel *const *ks,
                     size_t nk, regex_t *re, nb_perf_row *rows, size_t *n, cli_progress *prog, FILE *names) {
  size_t d = c->d[id];
  int by_rows = ws.kind >= NB_WS_DECODE && ws.kind != NB_WS_PREFILL;
  char err[256], what[160];
  for (int dt = NB_F32; dt <= NB_BF16; dt++) {
    nb_workload w;
    int have_w = 0;
    for (size_t i = 0; i < NB_NPROBES + nk; i++) {
      int probe = i < NB_NPROBES;
      if (probe ? dt != NB_F32 || (id > 0 && !by_rows) : (int)ks[i - NB_NPROBES]->dtype != dt) continue;
      const char *name = probe ? nb_probe_name((nb_probe)i) : ks[i - NB_NPROBES]->name;
      /* the run's name as the JSON gives it, which --filter matches */
      int len = snprintf(what, sizeof what, "%s/d:%zu/ws:%s", name, d, nb_ws_name(ws));
      if (c->threads > 1) snprintf(what + len, sizeof what - (size_t)len, "/threads:%u", c->threads);
      if (re && regexec(re, what, 0, NULL, 0)) continue;
      if (!rows) {
        (*n)++;
        if (names) fprintf(names, "%s\n", what);
        continue;
      }
      size_t r = nb_ws_rows_at(ws, m, d, nb_dtype_size((nb_dtype)dt));
      if (!have_w && nb_workload_init(&w, NB_RMSNORM, (nb_dtype)dt, d, r, ws, c->threads))
        return cli_error("perf", "cannot allocate %zu rows of D %zu (%s), or start %u threads", r, d, nb_ws_name(ws),
                         c->threads);
      have_w = 1;
      nb_perf_row *row = &rows[*n];
      if (probe ? nb_perf_probe((nb_probe)i, &w, &c->mo, row)
                : nb_perf_kernel(ks[i - NB_NPROBES], &w, &c->mo, row, err, sizeof err)) {
        nb_workload_free(&w);
        return cli_error("perf", "%s", probe ? "out of memory" : err);
      }
      cli_progress_step(prog, ++*n, what);
    }
    if (have_w) nb_workload_free(&w);
  }
  return 0;
}

/* Google Benchmark's flags: its formats, its booleans, and its min_time,
 * seconds ("0.5s", or plain) or a number of iterations ("100x"). */
typedef void perf_writer(FILE *, const nb_machine *, const nb_perf_row *, size_t);
static perf_writer *gbench_format(const char *s) {
  return !strcmp(s, "console") ? nb_perf_write_table
         : !strcmp(s, "json")  ? nb_perf_write_json
         : !strcmp(s, "csv")   ? nb_perf_write_gbench_csv
                               : NULL;
}

static int gbench_bool(const char *s, int *v) {
  if (!s || !strcmp(s, "true") || !strcmp(s, "1")) return *v = 1, 0;
  if (!strcmp(s, "false") || !strcmp(s, "0")) return *v = 0, 0;
  return -1;
}

static int gbench_min_time(const char *s, nb_measure_opts *mo) {
  size_t n = strlen(s), it;
  char buf[32];
  if (n > 1 && n < sizeof buf && s[n - 1] == 'x') {
    memcpy(buf, s, n - 1);
    buf[n - 1] = 0;
    if (cli_parse_size(buf, &it) || it == 0 || it > ((size_t)1 << 40))
      return cli_error("perf", "--benchmark_min_time wants seconds (0.5s) or iterations (100x), got '%s'", s);
    mo->iterations = it;
    return 0;
  }
  mo->iterations = 0;
  return cli_opt_seconds("perf", "--benchmark_min_time", s, 60, &mo->min_time);
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
      {"benchmark_filter", required_argument, 0, O_BFILT}, {"filter", required_argument, 0, O_BFILT},
      {"caches", required_argument, 0, O_CACHES}, {"columns", no_argument, 0, O_COLUMNS},
      {"benchmark_repetitions", required_argument, 0, O_REP},
      {"benchmark_min_time", required_argument, 0, O_BMIN},
      {"benchmark_format", required_argument, 0, O_BFORMAT},
      {"benchmark_list_tests", optional_argument, 0, O_BLIST},
      {"benchmark_display_aggregates_only", optional_argument, 0, O_BDISP},
      {0, 0, 0, 0}};
  const char *glob = "*", *filter = NULL, *bout = NULL;
  unsigned ops = 0, dts = 0;
  int ws_given = 0, list_tests = 0, display_aggregates;
  perf_writer *console = nb_perf_write_table, *bout_w = nb_perf_write_json;
  common c = {.d = {4096}, .nd = 1, .nws = 4, .mo = {15, 0.01, 0}, .threads = 1};
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
      if ((rc = cli_opt_ops("perf", optarg, &ops))) return rc;
      break;
    case O_DTYPE:
      if ((rc = cli_opt_dtypes("perf", optarg, &dts))) return rc;
      break;
    case O_BOUT: bout = optarg; break;
    case O_BFMT:
      if (!(bout_w = gbench_format(optarg)))
        return cli_error("perf", "--benchmark_out_format wants console, json or csv, got '%s'", optarg);
      break;
    case O_BFORMAT:
      if (!(console = gbench_format(optarg)))
        return cli_error("perf", "--benchmark_format wants console, json or csv, got '%s'", optarg);
      break;
    case O_BMIN:
      if ((rc = gbench_min_time(optarg, &c.mo))) return rc;
      break;
    case O_BLIST:
      if (gbench_bool(optarg, &list_tests))
        return cli_error("perf", "--benchmark_list_tests wants true or false, got '%s'", optarg);
      break;
    case O_BDISP: /* the table shows the aggregates only: true is what it does anyway */
      if (gbench_bool(optarg, &display_aggregates))
        return cli_error("perf", "--benchmark_display_aggregates_only wants true or false, got '%s'", optarg);
      break;
    case O_BFILT: filter = optarg; break;
    case O_QUIET: c.quiet = 1; break;
    case O_HELP: fputs(perf_usage, stdout); ws_help(stdout); return 0;
    case O_COLUMNS: nb_schema_header(stdout, &nb_schema_perf); return 0;
    default: return cli_error("perf", "unknown or incomplete option '%s' (normbench perf --help)", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_error("perf", "unexpected argument '%s'", argv[optind]);
  add_rows(&c, ws_given);
  FILE *table = cli_outputs("perf", (const char *[]){c.csv, c.json, bout, console == nb_perf_write_table ? NULL : "-"},
                            4, &rc);
  if (rc) return rc;
  regex_t re;
  if (filter && regcomp(&re, filter, REG_EXTENDED | REG_NOSUB))
    return cli_error("perf", "--filter: invalid regular expression '%s'", filter);

  const nb_kernel *ks[MAX_K];
  size_t nk = nb_select(glob, ops, dts, ks, MAX_K);
  if (nk == 0) {
    if (filter) regfree(&re);
    return cli_error("perf", "no kernel that runs here matches --kernel '%s'%s", glob,
                     ops || dts ? " with the given --op/--dtype" : "");
  }
  size_t total = 0, n = 0;
  for (size_t iw = 0; iw < c.nws; iw++)
    for (size_t id = 0; id < c.nd; id++)
      perf_cell(&c, NULL, c.ws[iw], id, ks, nk, filter ? &re : NULL, NULL, &total, NULL, list_tests ? stdout : NULL);
  if (cli_check_only || list_tests || !total) {
    if (filter) regfree(&re);
    return total ? 0 : cli_error("perf", "no run matches --filter '%s'", filter ? filter : "");
  }

  nb_machine m;
  char err[256];
  if (nb_machine_get(&m, c.caches, err, sizeof err)) {
    if (filter) regfree(&re);
    return cli_error("perf", "%s", err);
  }
  m.pinned_cpu = nb_pin_thread(-1);
  nb_perf_row *rows = calloc(total, sizeof *rows);
  rc = rows ? 0 : cli_error("perf", "out of memory");
  cli_progress prog;
  cli_progress_start(&prog, "perf", total, c.quiet);
  for (size_t iw = 0; !rc && iw < c.nws; iw++)
    for (size_t id = 0; !rc && id < c.nd; id++)
      rc = perf_cell(&c, &m, c.ws[iw], id, ks, nk, filter ? &re : NULL, rows, &n, &prog, NULL);
  if (filter) regfree(&re);
  if (!rc) {
    nb_perf_link_probes(rows, n);
    if (console != nb_perf_write_table) console(stdout, &m, rows, n);
    nb_perf_write_table(table, &m, rows, n);
    if (c.csv) rc = write_file("perf", c.csv, &m, rows, n, nb_perf_write_csv);
    if (!rc && c.json) rc = write_file("perf", c.json, &m, rows, n, nb_perf_write_json);
    if (!rc && bout) rc = write_file("perf", bout, &m, rows, n, bout_w);
  }
  for (size_t i = 0; i < n; i++) nb_result_free(&rows[i].r);
  free(rows);
  return rc;
}

static const char compare_usage[] =
    "usage: normbench compare A B [C ...] [--d LIST] [--working-set LIST] [--rows N] [--threads N]\n"
    "                         [--repetitions N] [--min-time T] [--csv FILE] [--json FILE] [--quiet]\n"
    "                         [--caches L1=48K,...] [--columns]\n\n"
    "Times kernels A, B, ... interleaved: each round samples every kernel once (at least\n"
    "--min-time seconds, default 0.01), starting from a different one each round, over\n"
    "--repetitions rounds (default 31). Every kernel normalizes the same rows of the same D,\n"
    "each in its own dtype, so kernels of different dtypes (f32 against bf16) compare in\n"
    "rows/s. Reports each kernel's rows/s and GB/s and its speed over A in rows/s: the median\n"
    "of the per-round ratios and its 95% bootstrap interval; an interval that excludes 1 is a\n"
    "difference, not noise. Byte working sets are sized for the widest dtype of the kernels.\n"
    "A, B, ... may also be the probes probe_read, probe_copy, probe_copy_nt (on the widest\n"
    "dtype's x and y): 'GB/s vs A' is then the kernel's fraction of the probe's bandwidth,\n"
    "the same median of per-round ratios with its interval.\n"
    "Defaults: --d 4096 --working-set l2. Times take units (10ms); sizes too (1MiB); --csv - or\n"
    "--json - writes pure CSV or JSON on stdout and the table on stderr.\n\n";

#define MAX_CMP 16

#define NCMP_COLS NB_CMP_NCOLS

int cmd_compare(int argc, char **argv) {
  static const struct option opts[] = {
      {"d", required_argument, 0, O_D},          {"working-set", required_argument, 0, O_WS},
      {"rows", required_argument, 0, O_ROWS},    {"threads", required_argument, 0, O_THREADS},
      {"repetitions", required_argument, 0, O_REP}, {"min-time", required_argument, 0, O_MIN},
      {"csv", required_argument, 0, O_CSV},      {"json", required_argument, 0, O_JSON},
      {"quiet", no_argument, 0, O_QUIET},        {"help", no_argument, 0, O_HELP},
      {"caches", required_argument, 0, O_CACHES}, {"columns", no_argument, 0, O_COLUMNS}, {0, 0, 0, 0}};
  common c = {.d = {4096}, .nd = 1, .ws = {{NB_WS_L2, 0, 0}}, .nws = 1, .mo = {31, 0.01, 0}, .threads = 1};
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
    case O_COLUMNS: nb_schema_header(stdout, &nb_schema_compare); return 0;
    default: return cli_error("compare", "unknown or incomplete option '%s' (normbench compare --help)", argv[optind - 1]);
    }
  }
  add_rows(&c, ws_given);
  FILE *table = cli_outputs("compare", (const char *[]){c.csv, c.json}, 2, &rc);
  if (rc) return rc;
  size_t nk = (size_t)(argc - optind);
  if (nk < 2 || nk > MAX_CMP)
    return cli_error("compare", "wants 2 to %d kernel names, A B ... (normbench list names them)", MAX_CMP);
  const nb_kernel *k[MAX_CMP];
  nb_probe pr[MAX_CMP] = {0};
  size_t sz = 0;
  nb_dtype wide = NB_BF16;
  for (size_t i = 0; i < nk; i++) {
    const char *name = argv[optind + (int)i];
    k[i] = nb_kernel_find(name);
    if (!k[i]) {
      int p = NB_NPROBES;
      while (p-- > 0 && strcmp(name, nb_probe_name((nb_probe)p))) {}
      if (p < 0) return cli_error("compare", "no kernel or probe named '%s' (normbench list; probe_read, probe_copy, "
                                             "probe_copy_nt)", name);
      pr[i] = (nb_probe)p;
      continue;
    }
    if (!nb_kernel_runs_here(k[i])) return cli_error("compare", "%s cannot run on this CPU", k[i]->name);
    if (nb_dtype_size(k[i]->dtype) > sz) sz = nb_dtype_size(k[i]->dtype), wide = k[i]->dtype;
  }
  if (!sz) return cli_error("compare", "wants at least one kernel besides the probes");
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
  cli_progress prog;
  cli_progress_start(&prog, "compare", ncell, c.quiet);
  rc = 0;
  /* Everything is measured before anything is printed: an error leaves
   * stdout empty. */
  for (size_t cell = 0; !rc && cell < ncell; cell++) {
    nb_ws ws = c.ws[cell / c.nd];
    size_t d = c.d[cell % c.nd], rows = nb_ws_rows_at(ws, &m, d, sz);
    snprintf(labels[cell], sizeof labels[cell], "%s", nb_ws_name(ws));
    snprintf(what, sizeof what, "d:%zu/ws:%s", d, labels[cell]);
    nb_workload w[3] = {0}, *wk[MAX_CMP];
    int have[3] = {0};
    for (size_t i = 0; !rc && i < nk; i++) {
      /* a probe moves the bytes of the widest dtype's workload: the working set as sized */
      nb_dtype dt = k[i] ? k[i]->dtype : wide;
      if (!have[dt] && nb_workload_init(&w[dt], k[i] ? k[i]->op : NB_RMSNORM, dt, d, rows, ws, c.threads))
        rc = cli_error("compare", "cannot allocate %zu rows of D %zu, or start %u threads", rows, d, c.threads);
      have[dt] = 1;
      wk[i] = &w[dt];
    }
    nb_interleaved r = {0};
    if (!rc && nb_interleave(k, pr, wk, nk, &c.mo, &r, err, sizeof err)) rc = cli_error("compare", "%s", err);
    for (size_t i = 0; !rc && i < nk; i++) {
      nb_ratio q = nb_interleaved_ratio(&r, wk, 0, i), b = nb_interleaved_bw_ratio(&r, 0, i);
      nb_val row[NCMP_COLS] = {
          {k[i] ? k[i]->name : nb_probe_name(pr[i]), 0}, {k[i] ? nb_op_name(k[i]->op) : "probe", 0},
          {nb_dtype_name(wk[i]->dtype), 0}, {NULL, (double)d},
          {labels[cell], 0}, {NULL, (double)rows}, {NULL, c.threads}, {NULL, r.rounds},
          {NULL, (double)r.iterations[i]}, {NULL, r.st[i].median}, {NULL, r.st[i].cv}, {NULL, r.st[i].mad_pct},
          {NULL, r.noisy[i]}, {NULL, r.rows_per_s[i]}, {NULL, r.bytes[i] / r.st[i].median},
          {NULL, q.ratio}, {NULL, q.lo}, {NULL, q.hi}, {NULL, b.ratio}, {NULL, b.lo}, {NULL, b.hi}};
      memcpy(&v[(cell * nk + i) * NCMP_COLS], row, sizeof row);
    }
    nb_interleaved_free(&r);
    for (int t = 0; t < 3; t++)
      if (have[t]) nb_workload_free(&w[t]);
    cli_progress_step(&prog, cell + 1, what);
  }
  if (!rc) {
    nb_machine_write(table, &m, "# ");
    fprintf(table, "# speed: rows/s over A's, median of %u interleaved rounds, [95%% bootstrap interval]\n",
            c.mo.repetitions);
    fprintf(table, "%-34s %6s %8s %7s %3s %10s %12s %10s %8s %8s %22s %22s %s\n", "kernel", "d", "ws", "rows", "thr",
            "iters", "median ns", "rows/s", "GB/s", "cv%", "speed vs A [95%]", "GB/s vs A [95%]", "verdict");
    for (size_t i = 0; i < ncell * nk; i++) {
      const nb_val *x = &v[i * NCMP_COLS];
      /* against a probe the question is bandwidth, not rows */
      const nb_val *lo = k[0] ? &x[16] : &x[19], *hi = lo + 1;
      const char *verdict = i % nk == 0 ? "(A)" : lo->v > 1 ? "faster than A" : hi->v < 1 ? "slower than A"
                                                                                       : "no difference shown";
      char sp[48], bw[48];
      snprintf(sp, sizeof sp, "%.4f [%.4f, %.4f]", x[15].v, x[16].v, x[17].v);
      snprintf(bw, sizeof bw, "%.4f [%.4f, %.4f]", x[18].v, x[19].v, x[20].v);
      fprintf(table, "%-34s %6.0f %8s %7.0f %3.0f %10.0f %12.1f %10.4g %8.2f %8.2f %22s %22s %s%s\n", x[0].s,
              x[3].v, x[4].s, x[5].v, x[6].v, x[8].v, x[9].v, x[13].v, x[14].v, 100 * x[10].v, i % nk ? sp : "-",
              i % nk ? bw : "-", verdict, x[12].v ? " NOISY" : "");
    }
    nb_records rec = {"normbench compare", NULL, 0, nb_schema_compare.cols, NCMP_COLS, ncell * nk, v};
    if (c.csv) rc = cli_write_records("compare", c.csv, &m, &rec, nb_records_write_csv);
    if (!rc && c.json) rc = cli_write_records("compare", c.json, &m, &rec, nb_records_write_json);
  }
  free(v), free(labels);
  return rc;
}
