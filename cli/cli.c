/* normbench: measure and compare RMSNorm/LayerNorm kernels on this CPU. */
#include "cli.h"

#include "normbench.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int cmd_fn(int argc, char **argv);
static const struct {
  const char *name;
  cmd_fn *fn;
  const char *what;
} cmds[] = {
    {"list", cmd_list, "the kernel registry: name, op, dtype, algo, isa, runs here, declared bound"},
    {"cpu", cmd_cpu, "the detected CPU model and features"},
    {"run", cmd_run, "one kernel on .npy arrays: Y = norm(X; G, B)"},
    {"accuracy", cmd_accuracy, "kernels vs the MPFR reference: error table, CSV, worst-row search"},
    {"perf", cmd_perf, "throughput of the kernels next to the roofline probes (table, CSV, JSON)"},
    {"compare", cmd_compare, "kernels A and B interleaved: median time ratio with its interval"},
    {"recommend", cmd_recommend, "the kernel to use per op, dtype and D: accuracy gate, then timing; wisdom"},
};

int cli_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "normbench%s%s: error: ", cmd ? " " : "", cmd ? cmd : "");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
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

int cli_parse_float(const char *s, float *out) {
  double v;
  if (cli_parse_double(s, &v) || fabs(v) > 3.4028234663852886e38) return -1;
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

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("normbench %s\n", NB_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (!strcmp(argv[1], cmds[i].name)) return cmds[i].fn(argc - 1, argv + 1);
  return cli_error(NULL, "unknown command '%s' (normbench --help lists them)", argv[1]);
}
