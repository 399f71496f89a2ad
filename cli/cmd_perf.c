/* normbench perf / normbench compare: throughput of registry kernels next to
 * the roofline probes, and an interleaved A/B comparison. */
#include "cli.h"

#include "normbench.h"
#include "outfile.h"
#include "perf.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_D 32
#define MAX_WS 8

static int parse_ws_list(const char *s, nb_ws *out, size_t *n) {
  char buf[256];
  if (strlen(s) >= sizeof buf) return -1;
  strcpy(buf, s);
  *n = 0;
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    static const char *names[] = {"l1", "l2", "llc", "mem"};
    nb_ws w = {NB_WS_BYTES, 0};
    for (int i = 0; i < 4; i++)
      if (!strcmp(t, names[i])) w.kind = (nb_ws_kind)i;
    if (*n == MAX_WS || (w.kind == NB_WS_BYTES && (cli_parse_size(t, &w.bytes) || w.bytes < 256))) return -1;
    out[(*n)++] = w;
  }
  return *n ? 0 : -1;
}

/* Options perf and compare share. */
typedef struct {
  size_t d[MAX_D], nd;
  nb_ws ws[MAX_WS];
  size_t nws;
  nb_perf_opts po;
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
  if (nb_out_open(&o, path)) return cli_error(cmd, "cannot write '%s': %s", path, strerror(errno));
  w(o.f, m, rows, n);
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
       O_BFILT, O_CACHES };

/* --d, --working-set, --repetitions, --min-time, --caches: returns -1 when ch is not
 * one of them, else 0 or the exit status of the error. */
static int common_opt(const char *cmd, int ch, const char *arg, common *c, size_t min_reps) {
  size_t reps;
  switch (ch) {
  case O_D:
    if (cli_parse_size_list(arg, c->d, MAX_D, &c->nd))
      return cli_error(cmd, "--d wants a list of row lengths >= 1, got '%s'", arg);
    for (size_t i = 0; i < c->nd; i++)
      if (c->d[i] == 0 || c->d[i] > (1u << 24)) return cli_error(cmd, "--d: %zu is out of [1, 2^24]", c->d[i]);
    return 0;
  case O_WS:
    if (parse_ws_list(arg, c->ws, &c->nws))
      return cli_error(cmd, "--working-set wants l1, l2, llc, mem or a byte count >= 256, got '%s'", arg);
    return 0;
  case O_REP:
    if (cli_parse_size(arg, &reps) || reps < min_reps || reps > 10000)
      return cli_error(cmd, "--repetitions wants %zu..10000, got '%s'", min_reps, arg);
    c->po.m.repetitions = (unsigned)reps;
    return 0;
  case O_CACHES:
    c->caches = arg;
    return 0;
  case O_MIN:
    if (cli_parse_double(arg, &c->po.m.min_time) || c->po.m.min_time <= 0 || c->po.m.min_time > 60)
      return cli_error(cmd, "--min-time wants seconds in (0, 60], got '%s'", arg);
    return 0;
  default: return -1;
  }
}

static const char perf_usage[] =
    "usage: normbench perf [--kernel GLOB] [--op rmsnorm|layernorm|addrmsnorm|rmsnorm1p] [--dtype f32|f16|bf16]\n"
    "                      [--d LIST] [--working-set l1|l2|llc|mem|BYTES[,...]] [--repetitions N]\n"
    "                      [--min-time S] [--csv FILE] [--json FILE] [--quiet] [--caches L1=48K,...]\n"
    "                      [--benchmark_filter=REGEX] [--benchmark_out=FILE --benchmark_out_format=json]\n\n"
    "Throughput of the registry kernels that run here, with the roofline probes (read, copy,\n"
    "non-temporal copy) measured at the same working sets. The working set is x + y: half of\n"
    "L1d, L2 or the LLC, or for 'mem' 4x the LLC within [256 MiB, 1 GiB] and at most a\n"
    "quarter of RAM (default: all four); D defaults to 4096. Cache sizes as `normbench cpu`\n"
    "shows them; --caches L1=48K,L2=1M,L3=32M (or NORMBENCH_CACHES) overrides them.\n"
    "Each result is the median of --repetitions samples (default 15) of at least --min-time\n"
    "seconds (default 0.01); bandwidth counts x read + y written, plus g and b once per call\n"
    "(addrmsnorm: x and the residual read, r and y written, plus g; its working set is x +\n"
    "residual + y).\n"
    "'vs copy' = kernel bandwidth / copy probe's, 'vs NT' = / non-temporal copy's (mem only).\n"
    "NOISY marks a result whose spread (cv > 5% or MAD > 2%) stayed high after a re-run.\n"
    "--csv and --json write files (CSV columns: harness/perf_columns.txt; JSON: Google\n"
    "Benchmark's schema, so its tools/compare.py reads it). --benchmark_filter matches\n"
    "'<kernel>/d:<D>/ws:<ws>' (POSIX extended regex).\n";

int cmd_perf(int argc, char **argv) {
  static const struct option opts[] = {
      {"kernel", required_argument, 0, O_KERNEL},  {"op", required_argument, 0, O_OP},
      {"dtype", required_argument, 0, O_DTYPE},    {"d", required_argument, 0, O_D},
      {"working-set", required_argument, 0, O_WS}, {"repetitions", required_argument, 0, O_REP},
      {"min-time", required_argument, 0, O_MIN},   {"csv", required_argument, 0, O_CSV},
      {"json", required_argument, 0, O_JSON},      {"quiet", no_argument, 0, O_QUIET},
      {"help", no_argument, 0, O_HELP},            {"benchmark_out", required_argument, 0, O_BOUT},
      {"benchmark_out_format", required_argument, 0, O_BFMT},
      {"benchmark_filter", required_argument, 0, O_BFILT},
      {"caches", required_argument, 0, O_CACHES},
      {0, 0, 0, 0}};
  const char *glob = "*", *op = NULL, *dtype = NULL, *csv = NULL, *json = NULL, *filter = NULL;
  common c = {.d = {4096}, .nd = 1, .nws = 4, .po = {{15, 0.01}, 1e-5f}};
  for (int i = 0; i < 4; i++) c.ws[i] = (nb_ws){(nb_ws_kind)i, 0};
  int ch, rc;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if ((rc = common_opt("perf", ch, optarg, &c, 1)) >= 0) {
      if (rc) return rc;
      continue;
    }
    switch (ch) {
    case O_KERNEL: glob = optarg; break;
    case O_OP:
      op = NULL;
      for (int o = 0; o < NB_NOPS; o++)
        if (!strcmp(optarg, nb_op_name((nb_op)o))) op = optarg;
      if (!op) return cli_error("perf", "--op wants rmsnorm, layernorm, addrmsnorm or rmsnorm1p, got '%s'", optarg);
      break;
    case O_DTYPE:
      if (strcmp(optarg, "f32") && strcmp(optarg, "f16") && strcmp(optarg, "bf16"))
        return cli_error("perf", "--dtype wants f32, f16 or bf16, got '%s'", optarg);
      dtype = optarg;
      break;
    case O_CSV: csv = optarg; break;
    case O_JSON: case O_BOUT: json = optarg; break;
    case O_BFMT:
      if (strcmp(optarg, "json")) return cli_error("perf", "--benchmark_out_format: only json is written, got '%s'", optarg);
      break;
    case O_BFILT: filter = optarg; break;
    case O_QUIET: c.quiet = 1; break;
    case O_HELP: fputs(perf_usage, stdout); return 0;
    default: return cli_error("perf", "unknown or incomplete option '%s' (normbench perf --help)", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_error("perf", "unexpected argument '%s'", argv[optind]);
  regex_t re;
  if (filter && regcomp(&re, filter, REG_EXTENDED | REG_NOSUB))
    return cli_error("perf", "--benchmark_filter: invalid regular expression '%s'", filter);

  const nb_kernel *ks[256];
  size_t nk = 0;
  for (size_t i = 0; i < nb_kernel_count() && nk < 256; i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (fnmatch(glob, k->name, 0) || (op && strcmp(op, nb_op_name(k->op))) ||
        (dtype && strcmp(dtype, nb_dtype_name(k->dtype))) || !nb_kernel_runs_here(k))
      continue;
    ks[nk++] = k;
  }
  if (nk == 0) {
    if (filter) regfree(&re);
    return cli_error("perf", "no kernel that runs here matches --kernel '%s'%s%s%s%s", glob, op ? " --op " : "",
                     op ? op : "", dtype ? " --dtype " : "", dtype ? dtype : "");
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
  char what[160];
  for (size_t iw = 0; !rc && iw < c.nws; iw++)
    for (size_t id = 0; !rc && id < c.nd; id++) {
      size_t bytes = nb_ws_bytes(c.ws[iw], &m), d = c.d[id];
      size_t need = bytes > 3 * d * 4 ? bytes : 3 * d * 4; /* one row of x, y (AddRMSNorm: and the residual) */
      nb_perf_buf pb;
      if (nb_perf_buf_init(&pb, need, d)) {
        rc = cli_error("perf", "cannot allocate %zu bytes for working set %s", need, nb_ws_name(c.ws[iw]));
        break;
      }
      for (size_t i = 0; !rc && i < NB_NPROBES + nk; i++) {
        nb_perf_row *row = &rows[n];
        const char *name = i < NB_NPROBES ? nb_probe_name((nb_probe)i) : ks[i - NB_NPROBES]->name;
        snprintf(what, sizeof what, "%s/d:%zu/ws:%s", name, d, nb_ws_name(c.ws[iw]));
        if (filter && regexec(&re, what, 0, NULL, 0)) continue;
        progress(&c, t0, n, total, what);
        if (i < NB_NPROBES) {
          /* a probe does not depend on d: once per working set */
          if (id > 0 || nb_perf_probe((nb_probe)i, c.ws[iw], bytes, &pb, &c.po, row)) continue;
          row->d = d;
        } else if (nb_perf_kernel(ks[i - NB_NPROBES], d, c.ws[iw], bytes, &pb, &c.po, row, err, sizeof err)) {
          rc = cli_error("perf", "%s", err);
          break;
        }
        n++;
      }
      nb_perf_buf_free(&pb);
    }
  if (filter) regfree(&re);
  if (!rc) {
    nb_perf_link_probes(rows, n);
    nb_perf_write_table(stdout, &m, rows, n);
    if (csv) rc = write_file("perf", csv, &m, rows, n, nb_perf_write_csv);
    if (!rc && json) rc = write_file("perf", json, &m, rows, n, nb_perf_write_json);
  }
  for (size_t i = 0; i < n; i++) nb_result_free(&rows[i].r);
  free(rows);
  return rc;
}

static const char compare_usage[] =
    "usage: normbench compare A B [--d LIST] [--working-set l1|l2|llc|mem|BYTES[,...]]\n"
    "                         [--repetitions N] [--min-time S] [--quiet] [--caches L1=48K,...]\n\n"
    "Times kernels A and B interleaved (A B A B ...), both with one iteration count, over\n"
    "--repetitions pairs (default 31) of at least --min-time seconds (default 0.01) each.\n"
    "Reports B/A: the median of the per-pair time ratios, its 95% bootstrap interval, and\n"
    "a two-sided sign test; an interval that excludes 1 is a difference, not noise.\n"
    "Defaults: --d 4096 --working-set l2. A and B must have the same dtype.\n";

int cmd_compare(int argc, char **argv) {
  static const struct option opts[] = {
      {"d", required_argument, 0, O_D},          {"working-set", required_argument, 0, O_WS},
      {"repetitions", required_argument, 0, O_REP}, {"min-time", required_argument, 0, O_MIN},
      {"quiet", no_argument, 0, O_QUIET},        {"help", no_argument, 0, O_HELP},
      {"caches", required_argument, 0, O_CACHES}, {0, 0, 0, 0}};
  common c = {.d = {4096}, .nd = 1, .ws = {{NB_WS_L2, 0}}, .nws = 1, .po = {{31, 0.01}, 1e-5f}};
  int ch, rc;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if ((rc = common_opt("compare", ch, optarg, &c, 5)) >= 0) {
      if (rc) return rc;
      continue;
    }
    switch (ch) {
    case O_QUIET: c.quiet = 1; break;
    case O_HELP: fputs(compare_usage, stdout); return 0;
    default: return cli_error("compare", "unknown or incomplete option '%s' (normbench compare --help)", argv[optind - 1]);
    }
  }
  if (argc - optind != 2) return cli_error("compare", "wants two kernel names, A and B (normbench list names them)");
  const nb_kernel *k[2];
  for (int i = 0; i < 2; i++) {
    k[i] = nb_kernel_find(argv[optind + i]);
    if (!k[i]) return cli_error("compare", "no kernel named '%s' (normbench list)", argv[optind + i]);
    if (!nb_kernel_runs_here(k[i])) return cli_error("compare", "%s cannot run on this CPU", k[i]->name);
  }
  nb_machine m;
  char err[256], what[64];
  if (nb_machine_get(&m, c.caches, err, sizeof err)) return cli_error("compare", "%s", err);
  m.pinned_cpu = nb_pin_thread(-1);
  nb_machine_write(stdout, &m, "# ");
  printf("A = %s\nB = %s\n%6s %8s %7s %10s %12s %12s %8s %19s %9s %s\n", k[0]->name, k[1]->name, "d", "ws", "rows",
         "iters", "A median ns", "B median ns", "B/A", "95% interval", "sign p", "verdict");
  double t0 = now_s();
  for (size_t iw = 0; iw < c.nws; iw++)
    for (size_t id = 0; id < c.nd; id++) {
      size_t bytes = nb_ws_bytes(c.ws[iw], &m), d = c.d[id], need = bytes > 3 * d * 4 ? bytes : 3 * d * 4;
      snprintf(what, sizeof what, "d:%zu/ws:%s", d, nb_ws_name(c.ws[iw]));
      progress(&c, t0, iw * c.nd + id, c.nws * c.nd, what);
      nb_perf_buf pb;
      nb_compare r;
      if (nb_perf_buf_init(&pb, need, d)) return cli_error("compare", "cannot allocate %zu bytes", need);
      int bad = nb_perf_compare(k[0], k[1], d, bytes, &pb, &c.po, &r, err, sizeof err);
      nb_perf_buf_free(&pb);
      if (bad) return cli_error("compare", "%s", err);
      const char *verdict = r.ratio_lo > 1 ? "B slower" : r.ratio_hi < 1 ? "B faster" : "no difference shown";
      printf("%6zu %8s %7zu %10zu %12.1f %12.1f %8.4f   [%.4f, %.4f] %9.2g %s%s\n", d, nb_ws_name(c.ws[iw]),
             r.rows, r.iterations, r.a_median_ns, r.b_median_ns, r.ratio, r.ratio_lo, r.ratio_hi, r.sign_p,
             verdict, r.retaken ? " (pairs retaken)" : "");
    }
  return 0;
}
