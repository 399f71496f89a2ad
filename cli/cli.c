/* The normbench command line: its command table, errors and parsers;
 * main.c only calls cli_main, so that a fuzz target can call it too. */
#include "cli.h"

#include "bench.h"
#include "file.h"
#include "normbench.h"
#include "timer.h"

#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_check_only;

typedef int cmd_fn(int argc, char **argv);
static const struct {
  const char *name;
  cmd_fn *fn;
  const char *what;
  int out_failed; /* exit status when standard output cannot be written */
} cmds[] = {
    {"list", cmd_list, "the kernel registry: name, op, dtype, algo, isa, runs here, declared bound", 2},
    {"cpu", cmd_cpu, "the machine: CPU, features, caches and their sources, clock, machine id", 2},
    {"run", cmd_run, "one kernel on .npy arrays: Y = norm(X; G, B)", 2},
    {"accuracy", cmd_accuracy, "kernels vs the MPFR reference: error table, CSV, worst-row search", 3},
    {"perf", cmd_perf, "throughput of the kernels next to the roofline probes (table, CSV, JSON)", 2},
    {"compare", cmd_compare, "kernels A and B interleaved: median time ratio with its interval", 2},
    {"recommend", cmd_recommend, "the kernel to use per op, dtype and D: accuracy gate, then timing; wisdom", 2},
    {"report", cmd_report, "a results folder's tables and REPORT.md; --compare: several machines side by side", 2},
};

/* The message is escaped as a whole: file names and option values are
 * quoted in it, and whatever bytes they hold it stays one printable line. */
int cli_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *raw = n >= 0 ? malloc((size_t)n + 1) : NULL, *esc = raw ? malloc(4 * (size_t)n + 1) : NULL;
  if (esc) {
    va_start(ap, fmt);
    vsnprintf(raw, (size_t)n + 1, fmt, ap);
    va_end(ap);
    nb_file_escape(esc, 4 * (size_t)n + 1, raw);
  }
  fprintf(stderr, "normbench%s%s: error: %s\n", cmd ? " " : "", cmd ? cmd : "", esc ? esc : "out of memory");
  free(raw);
  free(esc);
  return 2;
}

int cli_parse_size(const char *s, size_t *out) {
  char *end;
  if (!s || !*s || *s == '-') return -1;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || end == s || v > (size_t)-1) return -1;
  *out = (size_t)v;
  return 0;
}

int cli_parse_double(const char *s, double *out) {
  char *end;
  if (!s || !*s) return -1;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || end == s || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

int cli_parse_eps(const char *s, float *out) {
  double v;
  /* a positive E that rounds to the float 0 is refused, not taken as 0 */
  if (cli_parse_double(s, &v) || !(v >= 0) || v > FLT_MAX || (v > 0 && (float)v == 0)) return -1;
  *out = (float)v;
  return 0;
}

int cli_parse_size_list(const char *s, size_t *out, size_t max, size_t *n) {
  char buf[1024];
  if (!s || strlen(s) >= sizeof buf) return -1;
  strcpy(buf, s);
  *n = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (*n == max || cli_parse_size(tok, &out[*n])) return -1;
    (*n)++;
  }
  return *n ? 0 : -1;
}

int cli_parse_seconds(const char *s, double *out) {
  static const struct {
    const char *unit;
    double scale;
  } units[] = {{"", 1}, {"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}};
  char *end;
  if (!s || !*s || *s == '-' || *s == '+' || (*s != '.' && (*s < '0' || *s > '9'))) return -1;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || !isfinite(v)) return -1;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (!strcmp(end, units[i].unit)) return *out = v * units[i].scale, 0;
  return -1;
}

int cli_opt_count(const char *cmd, const char *opt, const char *arg, size_t lo, size_t hi, size_t *out) {
  if (cli_parse_size(arg, out) || *out < lo || *out > hi)
    return cli_error(cmd, "%s wants a whole number in [%zu, %zu], got '%s'", opt, lo, hi, arg);
  return 0;
}

int cli_opt_seconds(const char *cmd, const char *opt, const char *arg, double hi, double *out) {
  if (cli_parse_seconds(arg, out) || !(*out > 0) || *out > hi)
    return cli_error(cmd, "%s wants a time in (0, %g s] (seconds, or with a unit: 10ms, 0.5s, 200us), got '%s'", opt,
                     hi, arg);
  return 0;
}

int cli_opt_d(const char *cmd, const char *arg, size_t *d, size_t max, size_t *n, size_t dmax) {
  if (cli_parse_size_list(arg, d, max, n))
    return cli_error(cmd, "--d wants a comma list of at most %zu row lengths, got '%s'", max, arg);
  for (size_t i = 0; i < *n; i++)
    if (d[i] == 0 || d[i] > dmax) return cli_error(cmd, "--d: row length %zu is outside [1, %zu]", d[i], dmax);
  return 0;
}

/* A comma list of names (name(i) for i < n) or "all", as a bit set. */
static int parse_set(const char *s, const char *(*name)(int), int n, unsigned *out) {
  char buf[256];
  if (!s || strlen(s) >= sizeof buf) return -1;
  strcpy(buf, s);
  *out = 0;
  for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
    int k = 0;
    if (!strcmp(t, "all")) {
      *out |= (1u << n) - 1;
      continue;
    }
    while (k < n && strcmp(t, name(k))) k++;
    if (k == n) return -1;
    *out |= 1u << k;
  }
  return *out ? 0 : -1;
}
static const char *op_name(int i) { return nb_op_name((nb_op)i); }
static const char *dtype_name(int i) { return nb_dtype_name((nb_dtype)i); }

int cli_opt_ops(const char *cmd, const char *arg, unsigned *ops) {
  if (parse_set(arg, op_name, NB_NOPS, ops))
    return cli_error(cmd, "--op wants a comma list of rmsnorm, layernorm, addrmsnorm, rmsnorm1p, rmsnorm_i8, rmsnorm_e4m3, or all, got '%s'",
                     arg);
  return 0;
}

int cli_opt_dtypes(const char *cmd, const char *arg, unsigned *dts) {
  if (parse_set(arg, dtype_name, 3, dts))
    return cli_error(cmd, "--dtype wants a comma list of f32, f16, bf16, or all, got '%s'", arg);
  return 0;
}

int cli_opt_ws(const char *cmd, const char *opt, const char *arg, nb_ws *ws, size_t max, size_t *n) {
  char buf[256];
  *n = 0;
  if (strlen(arg) < sizeof buf) {
    strcpy(buf, arg);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
      if (*n == max || nb_ws_parse(t, &ws[(*n)++])) {
        *n = 0;
        break;
      }
  }
  if (!*n)
    return cli_error(cmd,
                     "%s wants a comma list of at most %zu of l1, l2, llc, mem, decode, batch, prefill, rows:N or "
                     "a size >= 256 bytes (4096, 48K, 1MiB), got '%s'",
                     opt, max, arg);
  return 0;
}

FILE *cli_outputs(const char *cmd, const char *const *paths, size_t n, int *rc) {
  size_t to_stdout = 0;
  for (size_t i = 0; i < n; i++) to_stdout += paths[i] && !strcmp(paths[i], "-");
  *rc = to_stdout > 1 ? cli_error(cmd, "two outputs want standard output ('-'): give all but one a FILE") : 0;
  return to_stdout ? stderr : stdout;
}

static double now_s(void) { return nb_gettime_ns() * 1e-9; }

void cli_progress_start(cli_progress *p, const char *cmd, size_t total, int quiet) {
  *p = (cli_progress){cmd, total, now_s(), 0, isatty(STDERR_FILENO), quiet, 0};
}

/* A terminal gets one line rewritten in place; a log gets a line per tenth
 * of the run, not one per step (a `\r` per step made 20 KB lines). Runs
 * shorter than a few seconds print nothing. */
void cli_progress_step(cli_progress *p, size_t done, const char *what) {
  double t = now_s(), el = t - p->t0;
  if (p->quiet || !p->total || el < 3) return;
  size_t tenth = done * 10 / p->total;
  if (p->tty ? done < p->total && t - p->last < 0.5 : tenth == p->tenth) return;
  p->last = t;
  p->tenth = tenth;
  fprintf(stderr, "%snormbench %s: [%zu/%zu] %s (%.0f s elapsed, ~%.0f s left)%s", p->tty ? "\r" : "", p->cmd, done,
          p->total, what, el, done ? el / (double)done * (double)(p->total - done) : 0,
          !p->tty ? "\n" : done < p->total ? "\033[K" : "\033[K\n");
}

static void usage(FILE *f) {
  fprintf(f, "usage: normbench <command> [options]   (normbench <command> --help)\n\ncommands:\n");
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].what);
}

/* rc, unless standard output did not reach its destination: `normbench
 * list > /dev/full` must not exit 0. */
static int flushed(const char *cmd, int rc, int out_failed) {
  errno = 0;
  if (fflush(stdout) == 0 && !ferror(stdout)) return rc;
  int e = errno ? errno : EIO;
  clearerr(stdout);
  cli_error(cmd, "cannot write standard output: %s", strerror(e));
  return rc ? rc : out_failed;
}

int cli_main(int argc, char **argv) {
  /* Commands set optind = 1, which does not reset glibc's getopt: a call
   * that stopped inside a cluster such as -xy would resume there on the
   * next command run in this process. optind = 0 does reset it. */
  char *none[] = {argv[0], NULL};
  optind = 0;
  getopt(1, none, "");
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return flushed(NULL, 0, 2);
  }
  if (!strcmp(argv[1], "--version")) {
    printf("normbench %s\n", NB_VERSION);
    return flushed(NULL, 0, 2);
  }
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (!strcmp(argv[1], cmds[i].name))
      return flushed(cmds[i].name, cmds[i].fn(argc - 1, argv + 1), cmds[i].out_failed);
  return cli_error(NULL, "unknown command '%s' (normbench --help lists them)", argv[1]);
}
