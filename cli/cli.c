/* The normbench command line: its command table, errors and parsers;
 * main.c only calls cli_main, so that a fuzz target can call it too. */
#include "cli.h"

#include "file.h"
#include "normbench.h"

#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
