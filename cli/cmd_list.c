/* normbench list */
#include "cli.h"

#include "normbench.h"
#include "outfile.h"
#include "schema.h"

#include <fnmatch.h>

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* b with 6 significant digits, rounded up: a printed bound is a promise
 * and must not be tighter than the computed one. */
static void print_up(char *buf, size_t n, double b) {
  snprintf(buf, n, "%.6g", b);
  if (strtod(buf, NULL) >= b) return;
  int e = (int)floor(log10(b)) - 5; /* the weight of the 6th digit */
  double q = ceil(b / pow(10, e));
  snprintf(buf, n, "%.6g", q * pow(10, e));
  while (strtod(buf, NULL) < b) { /* pow's rounding: one more step */
    q += 1;
    snprintf(buf, n, "%.6g", q * pow(10, e));
  }
}

static void fmt_bound(char *buf, size_t n, double b) {
  if (isnan(b))
    snprintf(buf, n, "none");
  else if (isinf(b))
    snprintf(buf, n, "inf");
  else
    print_up(buf, n, b);
}

/* the CSV's columns, and the JSON's keys: harness/schema.c */
#define cols nb_schema_list.cols
_Static_assert(NB_LIST_NCOLS == 11, "write_row fills the 11 columns of the list schema");

/* One line per kernel and D: the CSV row or the JSON object. */
static void write_row(FILE *f, int json, const nb_kernel *k, size_t d, const char *bound, int last) {
  nb_range r = nb_kernel_range(k);
  char num[11][48];
  const char *v[11] = {k->name, nb_op_name(k->op), nb_dtype_name(k->dtype), nb_algo_name(k->algo), k->isa};
  long long n[6] = {nb_kernel_runs_here(k), (k->flags & NB_K_EXTERNAL) != 0, (long long)d, 0, r.lo, r.hi};
  for (int i = 5; i < 11; i++) snprintf(num[i], sizeof num[i], "%lld", n[i - 5]);
  for (int i = 5; i < 11; i++) v[i] = num[i];
  v[8] = bound;
  for (int i = 0; i < 11; i++) {
    /* JSON: names quoted; a bound is a number, or "none" / "inf" as strings */
    int quote = json && (i < 5 || (i == 8 && (bound[0] < '0' || bound[0] > '9')));
    if (json) fprintf(f, "%s\"%s\": %s%s%s", i ? ", " : "    {", cols[i], quote ? "\"" : "", v[i], quote ? "\"" : "");
    else fprintf(f, "%s%s", i ? "," : "", v[i]);
  }
  fputs(json ? (last ? "}\n" : "},\n") : "\n", f);
}

static int write_file(const char *path, int json, const nb_kernel *const *ks, size_t nk, const size_t *d, size_t nd) {
  nb_outfile o;
  if (nb_out_open(&o, path)) return cli_error("list", "cannot write '%s': %s", path, nb_out_why(&o));
  if (json)
    fputs("[\n", o.f);
  else
    nb_schema_header(o.f, &nb_schema_list);
  for (size_t j = 0; j < nd; j++)
    for (size_t i = 0; i < nk; i++) {
      char b[32];
      fmt_bound(b, sizeof b, nb_kernel_bound_d(ks[i], d[j]));
      write_row(o.f, json, ks[i], d[j], b, j + 1 == nd && i + 1 == nk);
    }
  if (json) fputs("]\n", o.f);
  if (nb_out_commit(&o)) return cli_error("list", "cannot write '%s': %s", path, nb_out_why(&o));
  return 0;
}

int cmd_list(int argc, char **argv) {
  enum { O_D = 1, O_CSV, O_JSON, O_KERNEL, O_OP, O_DTYPE, O_HELP, O_COLUMNS };
  static const struct option opts[] = {{"d", required_argument, 0, O_D},         {"csv", required_argument, 0, O_CSV},
                                       {"json", required_argument, 0, O_JSON},   {"kernel", required_argument, 0, O_KERNEL},
                                       {"op", required_argument, 0, O_OP},       {"dtype", required_argument, 0, O_DTYPE},
                                       {"help", no_argument, 0, O_HELP},         {"columns", no_argument, 0, O_COLUMNS},
                                       {0, 0, 0, 0}};
  size_t d[64] = {4096}, nd = 1;
  const char *csv = NULL, *json = NULL, *glob = "*";
  unsigned ops = 0, dts = 0;
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    switch (c) {
    case O_D:
      if ((rc = cli_opt_d("list", optarg, d, 64, &nd, (size_t)1 << 24))) return rc;
      break;
    case O_CSV: csv = optarg; break;
    case O_JSON: json = optarg; break;
    case O_KERNEL: glob = optarg; break;
    case O_OP:
      if ((rc = cli_opt_ops("list", optarg, &ops))) return rc;
      break;
    case O_DTYPE:
      if ((rc = cli_opt_dtypes("list", optarg, &dts))) return rc;
      break;
    case O_HELP:
      printf("usage: normbench list [--d LIST] [--kernel GLOB] [--op LIST] [--dtype LIST] [--csv FILE] [--json FILE]\n"
             "                      [--columns]\n\n"
             "The kernel registry, those that do not run here included. 'bound' is the declared maximum\n"
             "error at row length D (default 4096; a list gives one line per kernel and D), in ulps of\n"
             "the output format: componentwise for RMSNorm, floored (ulp of max(|v|, |g|)) for LayerNorm\n"
             "rows with mean|x|/sigma <= 10. 'none' = no promise (external peers); 'inf' = no finite\n"
             "promise at this D. 'range' = the exponents e with 2^e <= |x|, |g|, |b| < 2^hi the bound\n"
             "covers. --csv FILE and --json FILE write the same rows ('-': standard output, and the\n"
             "table goes to standard error).\n");
      return 0;
    case O_COLUMNS: nb_schema_header(stdout, &nb_schema_list); return 0;
    case ':': return cli_error("list", "option '%s' needs a value", argv[optind - 1]);
    default: return cli_error("list", "unknown option '%s' (normbench list --help)", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_error("list", "unexpected argument '%s'", argv[optind]);
  FILE *table = cli_outputs("list", (const char *[]){csv, json}, 2, &rc);
  if (rc) return rc;
  const nb_kernel **ks = malloc(nb_kernel_count() * sizeof *ks);
  size_t nk = 0;
  if (!ks) return cli_error("list", "out of memory");
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (!fnmatch(glob, k->name, 0) && (!ops || ops >> k->op & 1) && (!dts || dts >> k->dtype & 1)) ks[nk++] = k;
  }
  if (!nk) rc = cli_error("list", "no kernel matches --kernel '%s'%s", glob, ops || dts ? " with the given --op/--dtype" : "");
  if (!rc && cli_check_only) {
    free(ks);
    return 0;
  }
  if (!rc) {
    fprintf(table, "%-36s %-12s %-5s %-8s %-10s %-5s %8s %12s  %s\n", "name", "op", "dtype", "algo", "isa", "here", "D",
            "bound@D", "range");
    for (size_t j = 0; j < nd; j++)
      for (size_t i = 0; i < nk; i++) {
        const nb_kernel *k = ks[i];
        char b[32];
        fmt_bound(b, sizeof b, nb_kernel_bound_d(k, d[j]));
        nb_range r = nb_kernel_range(k);
        fprintf(table, "%-36s %-12s %-5s %-8s %-10s %-5s %8zu %12s  [2^%d, 2^%d)\n", k->name, nb_op_name(k->op),
                nb_dtype_name(k->dtype), nb_algo_name(k->algo), k->isa, nb_kernel_runs_here(k) ? "yes" : "no", d[j],
                b, r.lo, r.hi);
      }
    fprintf(table, "\nbound@D: declared max error at row length D (ulps; LayerNorm floored, mean|x|/sigma <= 10;\n"
                   "rmsnorm_i8 in int8 quantization steps, rmsnorm_e4m3 in ulps of e4m3)\n");
  }
  if (!rc && csv) rc = write_file(csv, 0, ks, nk, d, nd);
  if (!rc && json) rc = write_file(json, 1, ks, nk, d, nd);
  free(ks);
  return rc;
}
