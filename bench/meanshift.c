/* What the mean shift does to normalized rows: RMSNorm keeps it, LayerNorm
 * removes it. Rows are x = k + N(0,1) (the accuracy sweep's normal and
 * shift<k> distributions), unit gain, zero bias, eps = 1e-5f. Per row:
 *   spread     = std(y) / rms(y): 1 for a centred output, about
 *                1 / sqrt(1 + k^2) when y keeps the shift;
 *   signal_err = rms over i of (y_i - mean y) / std(y) - (x_i - mean x) / std(x):
 *                how well the output still carries the row's variation
 *                once rounded into the output format (x's statistics in
 *                double from the stored values, so the input's own
 *                rounding is not counted).
 * Both are averaged over the rows. Each op and dtype uses the registry's
 * first accurate kernel that runs here (correctly rounded), so what is
 * measured is the output format, not a kernel's error.
 * Usage: nb_meanshift [D [ROWS]]; CSV on stdout. nb_meanshift --columns: its
 * header line. */
#include "engine.h"
#include "gen.h"
#include "normbench.h"
#include "schema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const dists[] = {"normal", "shift1", "shift10", "shift1e2", "shift1e3"};
static const double shifts[] = {0, 1, 10, 1e2, 1e3};

static const nb_kernel *accurate(nb_op op, nb_dtype dt) {
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (k->op == op && k->dtype == dt && k->algo == NB_ACCURATE && nb_kernel_runs_here(k)) return k;
  }
  return NULL;
}

static void moments(const double *v, size_t d, double *mean, double *sd, double *rms) {
  double s = 0, q = 0, c = 0;
  for (size_t i = 0; i < d; i++) s += v[i], q += v[i] * v[i];
  *mean = s / (double)d;
  for (size_t i = 0; i < d; i++) c += (v[i] - *mean) * (v[i] - *mean);
  *sd = sqrt(c / (double)d);
  *rms = sqrt(q / (double)d);
}

static size_t arg(const char *s, const char *what) {
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (*s < '0' || *s > '9' || *end || v < 2 || v > 1u << 20) {
    fprintf(stderr, "nb_meanshift: error: %s must be an integer in [2, 1048576], not '%s'\n", what, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--columns")) {
    nb_schema_header(stdout, &nb_schema_meanshift);
    return 0;
  }
  size_t d = argc > 1 ? arg(argv[1], "D") : 4096, rows = argc > 2 ? arg(argv[2], "ROWS") : 64;
  float *xf = malloc(d * sizeof *xf);
  void *x = malloc(d * 4), *g = malloc(d * 4), *b = malloc(d * 4), *y = malloc(d * 4);
  double *xv = malloc(d * sizeof *xv), *yv = malloc(d * sizeof *yv);
  if (!xf || !x || !g || !b || !y || !xv || !yv) {
    fprintf(stderr, "nb_meanshift: error: out of memory\n");
    return 3;
  }
  nb_schema_header(stdout, &nb_schema_meanshift);
  for (int op = NB_RMSNORM; op <= NB_LAYERNORM; op++) {
    for (int dt = NB_F32; dt <= NB_BF16; dt++) {
      const nb_kernel *k = accurate((nb_op)op, (nb_dtype)dt);
      if (!k) continue;
      for (size_t i = 0; i < d; i++) nb_storage_set((nb_dtype)dt, g, i, 1), nb_storage_set((nb_dtype)dt, b, i, 0);
      for (size_t j = 0; j < sizeof dists / sizeof dists[0]; j++) {
        double spread = 0, err = 0;
        for (size_t r = 0; r < rows; r++) {
          nb_gen_row(nb_dist_find(dists[j]), (nb_dtype)dt, 1, r, d, xf);
          for (size_t i = 0; i < d; i++) nb_storage_set((nb_dtype)dt, x, i, xf[i]), xv[i] = xf[i];
          int rc = nb_run(k, x, g, b, y, 1, d, d, d, 1e-5f);
          if (rc != NB_OK) {
            fprintf(stderr, "nb_meanshift: error: %s: %s\n", k->name, nb_strerror(rc));
            return 3;
          }
          for (size_t i = 0; i < d; i++) yv[i] = nb_storage_get((nb_dtype)dt, y, i);
          double xm, xs, xr, ym, ys, yr, e = 0;
          moments(xv, d, &xm, &xs, &xr);
          moments(yv, d, &ym, &ys, &yr);
          for (size_t i = 0; i < d; i++) {
            double t = (yv[i] - ym) / ys - (xv[i] - xm) / xs;
            e += t * t;
          }
          spread += ys / yr;
          err += sqrt(e / (double)d);
        }
        printf("%s,%s,%s,%s,%g,%zu,%zu,%.6g,%.6g\n", nb_op_name((nb_op)op), nb_dtype_name((nb_dtype)dt),
               k->name, dists[j], shifts[j], d, rows, spread / (double)rows, err / (double)rows);
      }
    }
  }
  free(xf), free(x), free(g), free(b), free(y), free(xv), free(yv);
  return fflush(stdout) == 0 ? 0 : 3;
}
