/* External peer kernels (registry flag NB_K_EXTERNAL) against the accurate
 * scalar kernel of the same op and dtype: gain and bias mapped the right
 * way round, b == NULL, strided rows, in place. External kernels declare
 * no bound, so the tolerance is a sanity one: 2^-14 relative for f32 (far
 * above f32 rounding, far below a swapped or missing g/b), 2 ulps for 16-bit.
 * PyTorch in bf16 rounds its intermediates into bf16 (the RMSNorm module op
 * by op; at::layer_norm its mean, 1/sigma and shift -mean/sigma), so its
 * tolerance is in ulps of the terms x/sigma and mean/sigma, not of y.
 *
 * Then the special values as each peer handles them, observed and held
 * there (our convention, normbench.h, is not their promise): NaN or Inf in
 * x, NaN in g, a zero row with eps = 0, and row independence. */
#include "normbench.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_test, n_fail;

static const nb_kernel *accurate_for(const nb_kernel *k) {
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *a = nb_kernel_at(i);
    if (a->algo == NB_ACCURATE && a->op == k->op && a->dtype == k->dtype && nb_kernel_runs_here(a)) return a;
  }
  return NULL;
}

static double get(nb_dtype dt, const void *p, size_t i) {
  if (dt == NB_F32) return ((const float *)p)[i];
  uint16_t h = ((const uint16_t *)p)[i];
  return dt == NB_F16 ? nb_f16_to_f32(h) : nb_bf16_to_f32(h);
}

static void put(nb_dtype dt, void *p, size_t i, float v) {
  if (dt == NB_F32) ((float *)p)[i] = v;
  else ((uint16_t *)p)[i] = dt == NB_F16 ? nb_f32_to_f16(v) : nb_f32_to_bf16(v);
}

static void check(const nb_kernel *k, const nb_kernel *a, size_t rows, size_t d, size_t xs, size_t ys,
                  int with_b, int in_place) {
  nb_dtype dt = k->dtype;
  size_t sz = nb_dtype_size(dt), n = rows * (xs > ys ? xs : ys);
  char *x = calloc(n, sz), *x2 = calloc(n, sz), *ye = calloc(n, sz), *ya = calloc(n, sz);
  char *g = malloc(d * sz), *b = malloc(d * sz);
  unsigned s = 7;
  for (size_t i = 0; i < n; i++) {
    s = s * 1103515245u + 12345u;
    put(dt, x, i, 1.0f + (float)(s >> 8) * 0x1p-23f); /* [1, 3): mean 2, sigma ~0.6 */
  }
  for (size_t i = 0; i < d; i++) {
    put(dt, g, i, 0.5f + (float)i / (float)d);           /* distinct gain and bias, so a */
    put(dt, b, i, -0.25f + 0.5f * (float)(d - i) / (float)d); /* swap shows */
  }
  memcpy(x2, x, n * sz);
  const void *bb = with_b ? b : NULL;
  int rc = in_place ? nb_run(k, x2, g, bb, x2, rows, d, xs, xs, 1e-5f)
                    : nb_run(k, x, g, bb, ye, rows, d, xs, ys, 1e-5f);
  int rc2 = nb_run(a, x, g, bb, ya, rows, d, xs, in_place ? xs : ys, 1e-5f);
  const char *out = in_place ? x2 : ye;
  size_t os = in_place ? xs : ys;
  double tol = dt == NB_F32 ? 0x1p-14 : dt == NB_BF16 ? 0x1p-7 : 0x1p-10, worst = 0;
  int torch_bf16 = dt == NB_BF16 && strcmp(k->isa, "torch") == 0;
  for (size_t r = 0; r < rows; r++) {
    double mu = 0, m2 = 0; /* the row's mean (LayerNorm) and 1/sigma or 1/rms */
    for (size_t i = 0; i < d; i++) mu += get(dt, x, r * xs + i) / (double)d;
    if (k->op == NB_RMSNORM) mu = 0;
    for (size_t i = 0; i < d; i++) m2 += pow(get(dt, x, r * xs + i) - mu, 2) / (double)d;
    double rs = 1 / sqrt(m2 + 1e-5);
    for (size_t i = 0; i < d; i++) {
      double e = get(dt, out, r * os + i), v = get(dt, ya, r * os + i), gi = fabs(get(dt, g, i));
      double allowed = torch_bf16 ? 0x1p-8 * (6 * fmax(1, fabs(v)) + 2 * gi * rs * (fabs(get(dt, x, r * xs + i)) + fabs(mu)))
                                  : 2 * tol * fmax(1, fabs(v));
      double err = fabs(e - v) / allowed;
      worst = isnan(err) ? INFINITY : fmax(worst, err);
    }
  }
  int pass = rc == NB_OK && rc2 == NB_OK && worst <= 1;
  n_test++;
  n_fail += !pass;
  printf("%sok %d - %s rows=%zu d=%zu strides=%zu/%zu %s%s (worst %.3g of tolerance)\n", pass ? "" : "not ", n_test,
         k->name, rows, d, xs, ys, with_b ? "with b" : "b=NULL", in_place ? " in place" : "", worst);
  free(x), free(x2), free(ye), free(ya), free(g), free(b);
}

/* Three rows of SD, the middle one special, run on a copy of x and g with
 * one value planted (at row 1, column SJ; a NaN in g is in every row) or
 * row 1 zeroed; clean is the run without it. */
enum { SD = 37, SJ = 5 };
typedef enum { S_XNAN, S_XINF, S_GNAN, S_ZERO } special;

static void run3(const nb_kernel *k, special sp, int planted, float eps, double *out) {
  nb_dtype dt = k->dtype;
  size_t sz = nb_dtype_size(dt);
  char *x = malloc(3 * SD * sz), *g = malloc(SD * sz), *b = malloc(SD * sz), *y = malloc(3 * SD * sz);
  for (size_t i = 0; i < 3 * SD; i++) put(dt, x, i, 1.0f + (float)((i * 7) % 11) / 4);
  for (size_t i = 0; i < SD; i++) put(dt, g, i, 0.75f + (float)(i % 3) / 8), put(dt, b, i, 0.25f - (float)(i % 5) / 8);
  if (planted && sp == S_XNAN) put(dt, x, SD + SJ, NAN);
  if (planted && sp == S_XINF) put(dt, x, SD + SJ, INFINITY);
  if (planted && sp == S_GNAN) put(dt, g, SJ, NAN);
  if (planted && sp == S_ZERO)
    for (size_t i = 0; i < SD; i++) put(dt, x, SD + i, 0.0f);
  nb_run(k, x, g, k->op == NB_LAYERNORM ? b : NULL, y, 3, SD, SD, SD, eps);
  for (size_t i = 0; i < 3 * SD; i++) out[i] = get(dt, y, i);
  free(x), free(g), free(b), free(y);
}

/* What every peer here was seen to do: NaN in x, NaN for the whole row;
 * +Inf in x, RMSNorm NaN there and +-0 elsewhere (as our convention),
 * LayerNorm a NaN row; NaN in g_j, y_j only; a zero row with eps = 0
 * (0/0 in the RMSNorm module, 0 * inf in both libraries' LayerNorm) a NaN
 * row where our convention gives 0 or b. The other rows keep their bits. */
static void specials(const nb_kernel *k) {
  static const char *what[] = {"NaN in x: NaN row", "+Inf in x: RMSNorm NaN there and +-0 elsewhere, LayerNorm NaN row",
                               "NaN in g_j: y_j NaN, the rest unchanged",
                               "zero row, eps = 0: NaN row (our convention: 0 or b)"};
  for (special sp = S_XNAN; sp <= S_ZERO; sp++) {
    float eps = sp == S_ZERO ? 0.0f : 1e-5f;
    double clean[3 * SD], y[3 * SD];
    run3(k, sp, 0, eps, clean);
    run3(k, sp, 1, eps, y);
    int ok = 1;
    for (size_t r = 0; r < 3; r++)
      for (size_t i = 0; i < SD; i++) {
        double v = y[r * SD + i], c = clean[r * SD + i];
        int nan_row = sp == S_XNAN || sp == S_ZERO || (sp == S_XINF && k->op == NB_LAYERNORM);
        if (sp == S_GNAN ? i == SJ : r == 1 && nan_row) ok &= isnan(v);
        else if (r == 1 && sp == S_XINF) ok &= i == SJ ? isnan(v) : v == 0;
        else ok &= memcmp(&v, &c, sizeof v) == 0;
      }
    n_test++;
    n_fail += !ok;
    printf("%sok %d - %s special values as observed: %s\n", ok ? "" : "not ", n_test, k->name, what[sp]);
  }
}

/* usage: test_external [ISA]: the peers of one library only (each in its own
 * process, so that one library's thread settings do not hide another's) */
int main(int argc, char **argv) {
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i), *a;
    if (!(k->flags & NB_K_EXTERNAL) || !nb_kernel_runs_here(k) || (argc > 1 && strcmp(k->isa, argv[1]))) continue;
    if (!(a = accurate_for(k))) {
      printf("not ok %d - %s: no accurate kernel to check it against\n", ++n_test, k->name);
      n_fail++;
      continue;
    }
    for (int wb = 0; wb < 2; wb++) {
      check(k, a, 4, 1000, 1000, 1000, wb, 0);
      check(k, a, 3, 257, 300, 271, wb, 0);
      check(k, a, 3, 4096, 4096, 4096, wb, 1);
      check(k, a, 1, 1, 1, 1, wb, 0);
    }
    /* enough elements that a library with a thread pool would use it */
    check(k, a, 64, 4096, 4096, 4096, 1, 0);
    /* the cached primitive must follow a change of shape */
    check(k, a, 5, 64, 64, 64, 1, 0);
    check(k, a, 2, 64, 64, 64, 1, 0);
    specials(k);
  }
  /* one thread, as our kernels: no OpenMP pool was started (/proc/self/task;
   * the test runs with OMP_NUM_THREADS=2, so a pool would start) */
  if (n_test > 0) {
    DIR *dir = opendir("/proc/self/task");
    int threads = 0;
    for (struct dirent *e; dir && (e = readdir(dir));) threads += e->d_name[0] != '.';
    if (dir) closedir(dir);
    n_test++;
    n_fail += threads != 1;
    printf("%sok %d - the peers ran on the calling thread only (%d threads in the process)\n", threads == 1 ? "" : "not ",
           n_test, threads);
  }
  if (n_test == 0) printf("1..0 # SKIP no external kernel built or runnable here\n");
  else printf("1..%d\n", n_test);
  return n_fail != 0;
}
