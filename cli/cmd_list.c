/* normbench list */
#include "cli.h"

#include "normbench.h"

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

int cmd_list(int argc, char **argv) {
  static const struct option opts[] = {
      {"d", required_argument, 0, 'd'}, {"csv", no_argument, 0, 'c'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  size_t d = 4096;
  int csv = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    switch (c) {
    case 'd':
      if (cli_parse_size(optarg, &d) || d == 0) return cli_error("list", "--d wants a row length >= 1, got '%s'", optarg);
      break;
    case 'c': csv = 1; break;
    case 'h':
      printf("usage: normbench list [--d D] [--csv]\n\n"
             "The kernel registry. 'bound' is the declared maximum error at row length D\n"
             "(default 4096), in ulps of the output format: componentwise for RMSNorm,\n"
             "floored (ulp of max(|v|, |g|)) for LayerNorm rows with mean|x|/sigma <= 10.\n"
             "'none' = no promise (external peers); 'inf' = no finite promise at this D.\n"
             "'range' = the exponents e with 2^e <= |x|, |g|, |b| < 2^hi the bound covers.\n");
      return 0;
    case ':': return cli_error("list", "option '%s' needs a value", argv[optind - 1]);
    default: return cli_error("list", "unknown option '%s' (normbench list --help)", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_error("list", "unexpected argument '%s'", argv[optind]);
  if (csv)
    printf("name,op,dtype,algo,isa,runs_here,external,d,bound_ulp,range_lo,range_hi\n");
  else
    printf("%-36s %-12s %-5s %-8s %-10s %-5s %12s  %s\n", "name", "op", "dtype", "algo", "isa", "here",
           "bound@D", "range");
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    char b[32];
    fmt_bound(b, sizeof b, nb_kernel_bound_d(k, d));
    nb_range r = nb_kernel_range(k);
    if (csv)
      printf("%s,%s,%s,%s,%s,%d,%d,%zu,%s,%d,%d\n", k->name, nb_op_name(k->op), nb_dtype_name(k->dtype),
             nb_algo_name(k->algo), k->isa, nb_kernel_runs_here(k), (k->flags & NB_K_EXTERNAL) != 0, d, b,
             r.lo, r.hi);
    else
      printf("%-36s %-12s %-5s %-8s %-10s %-5s %12s  [2^%d, 2^%d)\n", k->name, nb_op_name(k->op),
             nb_dtype_name(k->dtype), nb_algo_name(k->algo), k->isa, nb_kernel_runs_here(k) ? "yes" : "no", b,
             r.lo, r.hi);
  }
  if (!csv) printf("\nbound@D: declared max error at D = %zu (ulps; LayerNorm floored, mean|x|/sigma <= 10;\n"
                        "rmsnorm_i8 in int8 quantization steps, rmsnorm_e4m3 in ulps of e4m3)\n", d);
  return 0;
}
