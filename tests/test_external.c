/* External peer kernels (registry flag NB_K_EXTERNAL) against the accurate
 * scalar kernel of the same op and dtype: gain and bias mapped the right
 * way round, b == NULL, strided rows, in place. External kernels declare
 * no bound, so the tolerance is a sanity one: 2^-14 relative for f32 (far
 * above f32 rounding, far below a swapped or missing g/b), 2 ulps for 16-bit. */
#include "normbench.h"

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
  for (size_t r = 0; r < rows; r++)
    for (size_t i = 0; i < d; i++) {
      double e = get(dt, out, r * os + i), v = get(dt, ya, r * os + i);
      double err = fabs(e - v) / fmax(1, fabs(v)) / tol;
      worst = isnan(err) ? INFINITY : fmax(worst, err);
    }
  int pass = rc == NB_OK && rc2 == NB_OK && worst <= 2;
  n_test++;
  n_fail += !pass;
  printf("%sok %d - %s rows=%zu d=%zu strides=%zu/%zu %s%s (worst %.3g of tolerance)\n", pass ? "" : "not ", n_test,
         k->name, rows, d, xs, ys, with_b ? "with b" : "b=NULL", in_place ? " in place" : "", worst / 2);
  free(x), free(x2), free(ye), free(ya), free(g), free(b);
}

int main(void) {
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i), *a;
    if (!(k->flags & NB_K_EXTERNAL) || !nb_kernel_runs_here(k)) continue;
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
    /* the cached primitive must follow a change of shape */
    check(k, a, 5, 64, 64, 64, 1, 0);
    check(k, a, 2, 64, 64, 64, 1, 0);
  }
  if (n_test == 0) printf("1..0 # SKIP no external kernel built or runnable here\n");
  else printf("1..%d\n", n_test);
  return n_fail != 0;
}
