/* Every kernel in the registry that runs on this CPU, four checks each (TAP):
 *  agree   - on well-conditioned rows (D = 1..300, 1000, 4095, 4097, 65536)
 *            the output is within the kernel's declared bound of a long
 *            double evaluation, and within the sum of both declared bounds
 *            of the scalar kernel with the same op, dtype and algorithm;
 *  layout  - one row at a time, strided rows, in place, and unaligned
 *            pointers give the bits of the contiguous call; so does an
 *            output large enough for streaming stores, at an odd address;
 *  special - NaN and +-Inf first, middle and last (a SIMD tail lane) follow
 *            normbench.h's conventions and never reach another row; zero
 *            and constant rows give 0 or exactly b;
 *  guard   - no write outside the rows (sentinels around and between them),
 *            and no access past a row that ends at an unmapped page.
 * The long double reference is far more accurate than any bound checked
 * here (relative error about D 2^-64). AddRMSNorm kernels are left to
 * test_fused, which holds their y to the bits of the rmsnorm kernel of the
 * same algorithm and ISA (checked here) in the same layouts. */
#include "normbench.h"
#include "tap.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- values in the three storage formats ----------------------------- */

static size_t dsz(nb_dtype dt) { return nb_dtype_size(dt); }

static double get(nb_dtype dt, const void *p, size_t i) {
  switch (dt) {
  case NB_F16: return nb_f16_to_f32(((const uint16_t *)p)[i]);
  case NB_BF16: return nb_bf16_to_f32(((const uint16_t *)p)[i]);
  default: return ((const float *)p)[i];
  }
}

static void put(nb_dtype dt, void *p, size_t i, double v) {
  switch (dt) {
  case NB_F16: ((uint16_t *)p)[i] = nb_f64_to_f16(v); break;
  case NB_BF16: ((uint16_t *)p)[i] = nb_f64_to_bf16(v); break;
  default: ((float *)p)[i] = (float)v;
  }
}

static double ulp_of(nb_dtype dt, long double v) {
  int p = dt == NB_F32 ? 24 : dt == NB_F16 ? 11 : 8, emin = dt == NB_F16 ? -14 : -126, e;
  if (v == 0) return ldexp(1, emin - p + 1);
  frexpl(fabsl(v), &e);
  return ldexp(1, (e - 1 > emin ? e - 1 : emin) - p + 1);
}

static void *xalloc(size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (!p) abort();
  return p;
}

static uint64_t rng;
static double unif(void) { /* xorshift64*, [0, 1) */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (double)((rng * 0x2545f4914f6cdd1du) >> 11) * 0x1p-53;
}
static double gauss(void) {
  return sqrt(-2 * log(1 - unif())) * cos(6.283185307179586 * unif());
}

/* ---- inputs -------------------------------------------------------------
 * rows x d of x, with g and b, stored in dt; doubles of the stored values. */
typedef struct {
  nb_dtype dt;
  size_t rows, d;
  void *x, *g, *b;
  double *xd, *gd, *bd;
} input;

static void make(input *in, nb_dtype dt, size_t rows, size_t d, uint64_t seed) {
  in->dt = dt;
  in->rows = rows;
  in->d = d;
  in->x = xalloc(rows * d * dsz(dt));
  in->g = xalloc(d * dsz(dt));
  in->b = xalloc(d * dsz(dt));
  in->xd = xalloc(rows * d * sizeof(double));
  in->gd = xalloc(d * sizeof(double));
  in->bd = xalloc(d * sizeof(double));
  rng = seed * 0x9e3779b97f4a7c15u + 1;
  for (size_t i = 0; i < rows * d; i++) {
    put(dt, in->x, i, 0.5 + gauss());
    in->xd[i] = get(dt, in->x, i);
  }
  for (size_t i = 0; i < d; i++) {
    put(dt, in->g, i, (0.5 + 1.5 * unif()) * (unif() < 0.2 ? -1 : 1));
    put(dt, in->b, i, 0.5 * gauss());
    in->gd[i] = get(dt, in->g, i);
    in->bd[i] = get(dt, in->b, i);
  }
}

static void drop(input *in) {
  free(in->x), free(in->g), free(in->b), free(in->xd), free(in->gd), free(in->bd);
}

static const float EPS = 1e-5f;

static void run(const nb_kernel *k, const void *x, const input *in, void *y, size_t rows,
                size_t xs, size_t ys, float eps) {
  int rc = nb_run(k, x, in->g, k->op == NB_LAYERNORM ? in->b : NULL, y, rows, in->d, xs, ys, eps);
  if (rc != NB_OK) {
    printf("Bail out! %s: nb_run: %s\n", k->name, nb_strerror(rc));
    exit(1);
  }
}

/* ---- TAP -------------------------------------------------------------- */

static int ntests, nfailed;
static char why[512]; /* the first failure of the current check */

static void fail(const char *fmt, ...) {
  if (why[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
}

static void report(const nb_kernel *k, const char *check, const char *note) {
  ntests++;
  if (why[0]) {
    nfailed++;
    printf("not ok %d - %s %s\n# %s\n", ntests, k->name, check, why);
  } else {
    printf("ok %d - %s %s%s\n", ntests, k->name, check, note);
  }
  why[0] = 0;
}

/* ---- (a) agreement ------------------------------------------------------ */

static const nb_kernel *scalar_twin(const nb_kernel *k) {
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *s = nb_kernel_at(i);
    if (s != k && s->op == k->op && s->dtype == k->dtype && s->algo == k->algo &&
        strcmp(s->isa, "scalar") == 0)
      return s;
  }
  return NULL;
}

/* The exact outputs of row r, in long double; *kappa = mean|x| / sigma. */
static void reference(const input *in, nb_op op, size_t r, long double *v, double *kappa) {
  const double *x = in->xd + r * in->d;
  size_t d = in->d;
  long double s = 0, mu = 0, m2 = 0, a = 0;
  if (op == NB_LAYERNORM) {
    for (size_t i = 0; i < d; i++) s += x[i];
    mu = s / d;
  }
  for (size_t i = 0; i < d; i++) {
    m2 += (x[i] - mu) * (x[i] - mu);
    a += fabsl(x[i]);
  }
  m2 /= d;
  long double rs = 1 / sqrtl(m2 + (long double)EPS);
  *kappa = op == NB_LAYERNORM && m2 > 0 ? (double)(a / d / sqrtl(m2)) : 1;
  for (size_t i = 0; i < d; i++) { /* RMSNorm1p: the gain 1 + w rounded to f32 (normbench.h) */
    long double g = op == NB_RMSNORM1P ? (long double)(float)(1 + in->gd[i]) : in->gd[i];
    v[i] = (x[i] - mu) * rs * g;
    if (op == NB_LAYERNORM) v[i] += in->bd[i];
  }
}

/* The unit of the error metric: ulp(v), floored at ulp(g) for LayerNorm. */
static double unit(const nb_kernel *k, long double v, double g) {
  long double scale = k->op == NB_LAYERNORM && fabs(g) > fabsl(v) ? fabs(g) : fabsl(v);
  return ulp_of(k->dtype, scale);
}

static void check_agree(const nb_kernel *k) {
  static const size_t big[] = {1000, 4095, 4097, 65536};
  const nb_kernel *tw = scalar_twin(k);
  double worst = 0, worst_tw = 0;
  for (size_t t = 0; t < 300 + sizeof big / sizeof big[0] && !why[0]; t++) {
    size_t d = t < 300 ? t + 1 : big[t - 300], rows = 2;
    if (tap_emulated() && (t < 300 ? t % 7 != 0 && d > 33 : d > 4097)) continue; /* sparser */
    input in;
    make(&in, k->dtype, rows, d, d);
    void *y = xalloc(rows * d * dsz(k->dtype)), *ys = xalloc(rows * d * dsz(k->dtype));
    long double *v = xalloc(d * sizeof *v);
    run(k, in.x, &in, y, rows, d, d, EPS);
    if (tw) run(tw, in.x, &in, ys, rows, d, d, EPS);
    for (size_t r = 0; r < rows && !why[0]; r++) {
      double kappa;
      reference(&in, k->op, r, v, &kappa);
      const double *bd = k->op == NB_LAYERNORM ? in.bd : NULL;
      if (!nb_kernel_in_range(k, in.xd + r * d, in.gd, bd, d)) continue;
      double bk = nb_kernel_bound(k, d, kappa), bt = tw ? nb_kernel_bound(tw, d, kappa) : 0;
      for (size_t i = 0; i < d; i++) {
        double yk = get(k->dtype, y, r * d + i), e = (double)(fabsl(yk - v[i]) / unit(k, v[i], in.gd[i]));
        if (e > worst) worst = e;
        if (!(e <= bk)) {
          fail("D=%zu row %zu [%zu]: %.17g vs exact %.17Lg: %.3g ulp > bound %.3g", d, r, i, yk,
               v[i], e, bk);
          break;
        }
        if (!tw) continue;
        double yt = get(k->dtype, ys, r * d + i), diff = fabs(yk - yt) / unit(k, v[i], in.gd[i]);
        if (diff > worst_tw) worst_tw = diff;
        if (!(diff <= bk + bt)) {
          fail("D=%zu row %zu [%zu]: %.17g vs %s %.17g: %.3g ulp apart > %.3g", d, r, i, yk,
               tw->name, yt, diff, bk + bt);
          break;
        }
      }
    }
    free(v), free(y), free(ys);
    drop(&in);
  }
  char note[160];
  if (tw)
    snprintf(note, sizeof note, ": worst %.3g ulp; %.3g ulp from %s", worst, worst_tw, tw->name);
  else
    snprintf(note, sizeof note, ": worst %.3g ulp; no scalar kernel to compare with", worst);
  report(k, "agree", note);
}

/* ---- (b) layouts, (d) guards --------------------------------------------- */

static void same(const nb_kernel *k, const char *what, size_t d, const void *a, const void *b,
                 size_t n) {
  if (memcmp(a, b, n) == 0) return;
  size_t sz = dsz(k->dtype), i = 0;
  while (memcmp((const char *)a + i * sz, (const char *)b + i * sz, sz) == 0) i++;
  fail("D=%zu %s: element %zu is %.9g, contiguous call gave %.9g", d, what, i,
       get(k->dtype, a, i), get(k->dtype, b, i));
}

enum { SENT = 0xa5 }; /* sentinel byte; 0xa5a5 is a finite value in all dtypes */

static void guarded(size_t d, const void *a, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (((const unsigned char *)a)[i] != SENT) {
      fail("D=%zu: byte %zu outside the rows was written", d, i);
      return;
    }
}

static void check_layout(const nb_kernel *k, int *guard_ok) {
  static const size_t ds[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64,
                              65, 67, 100, 127, 128, 129, 255, 1000, 1024, 1025, 4097};
  const size_t rows = 3, sz = dsz(k->dtype);
  char guard_why[512] = "";
  for (size_t t = 0; t < sizeof ds / sizeof ds[0] && !why[0]; t++) {
    size_t d = ds[t], n = rows * d * sz;
    input in;
    make(&in, k->dtype, rows, d, 1000 + d);
    char *ref = xalloc(n), *y = xalloc(n);
    run(k, in.x, &in, ref, rows, d, d, EPS);

    for (size_t r = 0; r < rows; r++)
      run(k, (char *)in.x + r * d * sz, &in, y + r * d * sz, 1, d, d, EPS);
    same(k, "row by row", d, y, ref, n);

    memcpy(y, in.x, n);
    run(k, y, &in, y, rows, d, d, EPS);
    same(k, "in place", d, y, ref, n);

    /* strides d + 3 (x) and d + 5 (y); y's gaps and both ends are sentinels */
    size_t xs = d + 3, ysd = d + 5, pad = 16, ylen = (rows * ysd + 2 * pad) * sz;
    char *xsb = xalloc(rows * xs * sz), *ysb = malloc(ylen), *packed = xalloc(n);
    if (!ysb) abort();
    memset(ysb, SENT, ylen);
    for (size_t r = 0; r < rows; r++) memcpy(xsb + r * xs * sz, (char *)in.x + r * d * sz, d * sz);
    run(k, xsb, &in, ysb + pad * sz, rows, xs, ysd, EPS);
    for (size_t r = 0; r < rows; r++) {
      memcpy(packed + r * d * sz, ysb + (pad + r * ysd) * sz, d * sz);
      memset(ysb + (pad + r * ysd) * sz, SENT, d * sz);
    }
    same(k, "strided", d, packed, ref, n);
    if (!guard_why[0]) {
      guarded(d, ysb, ylen);
      if (why[0]) {
        memcpy(guard_why, why, sizeof why);
        why[0] = 0;
      }
    }

    /* every pointer one element past an aligned allocation */
    input un = in;
    char *xu = xalloc(n + 64), *gu = xalloc(d * sz + 64), *bu = xalloc(d * sz + 64);
    char *yu = xalloc(n + 64);
    memcpy(xu + sz, in.x, n);
    memcpy(gu + sz, in.g, d * sz);
    memcpy(bu + sz, in.b, d * sz);
    un.g = gu + sz;
    un.b = bu + sz;
    run(k, xu + sz, &un, yu + sz, rows, d, d, EPS);
    same(k, "unaligned", d, yu + sz, ref, n);

    free(xu), free(gu), free(bu), free(yu), free(xsb), free(ysb), free(packed);
    free(ref), free(y);
    drop(&in);
  }

  /* an output above the streaming threshold, at an odd element address */
  if (!why[0]) {
    size_t d = 4097, rows = (4u << 20) / (d * sz) + 2, n = rows * d * sz;
    input in;
    make(&in, k->dtype, rows, d, 77);
    char *big = xalloc(n + sz), *ref = xalloc(n);
    run(k, in.x, &in, big + sz, rows, d, d, EPS);
    for (size_t r = 0; r < rows; r++)
      run(k, (char *)in.x + r * d * sz, &in, ref + r * d * sz, 1, d, d, EPS);
    same(k, "large output", d, big + sz, ref, n);
    free(big), free(ref);
    drop(&in);
  }
  report(k, "layout", ": row by row, in place, strided, unaligned, large output");
  memcpy(why, guard_why, sizeof why);
  *guard_ok = !why[0];
}

/* Rows that end at an unmapped page: x, g, b and y each at the end of its
 * own mapping. A read or write past the row faults. */
static void check_pages(const nb_kernel *k) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE), sz = dsz(k->dtype);
  for (size_t d = 1; d <= 80 && !why[0]; d++) {
    input in;
    make(&in, k->dtype, 1, d, 5000 + d);
    char *ref = xalloc(d * sz), *m[4];
    run(k, in.x, &in, ref, 1, d, d, EPS);
    for (int j = 0; j < 4; j++) {
      m[j] = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m[j] == MAP_FAILED || mprotect(m[j] + page, page, PROT_NONE)) abort();
    }
    char *x = m[0] + page - d * sz, *g = m[1] + page - d * sz, *b = m[2] + page - d * sz;
    char *y = m[3] + page - d * sz;
    memcpy(x, in.x, d * sz);
    memcpy(g, in.g, d * sz);
    memcpy(b, in.b, d * sz);
    input at = in;
    at.g = g;
    at.b = b;
    run(k, x, &at, y, 1, d, d, EPS);
    same(k, "at a page end", d, y, ref, d * sz);
    for (int j = 0; j < 4; j++) munmap(m[j], 2 * page);
    free(ref);
    drop(&in);
  }
}

/* ---- (c) special values ------------------------------------------------- */

static int isnan_at(nb_dtype dt, const void *y, size_t i) { return isnan(get(dt, y, i)); }

static void check_special(const nb_kernel *k) {
  static const size_t ds[] = {1, 2, 3, 7, 17, 33, 65, 100, 1000, 4097};
  const size_t rows = 5, sz = dsz(k->dtype);
  const nb_dtype dt = k->dtype;
  const int ln = k->op == NB_LAYERNORM;
  for (size_t t = 0; t < sizeof ds / sizeof ds[0] && !why[0]; t++) {
    size_t d = ds[t];
    size_t pos[3] = {0, d / 2, d - 1};
    for (int p = 0; p < 3 && !why[0]; p++) {
      input in;
      make(&in, dt, rows, d, 9000 + 3 * d + (size_t)p);
      char *y = xalloc(rows * d * sz), *clean = xalloc(d * sz);
      size_t j = pos[p];
      put(dt, in.x, 1 * d + j, NAN);
      put(dt, in.x, 3 * d + j, p == 1 ? -INFINITY : INFINITY);
      run(k, in.x, &in, y, rows, d, d, EPS);
      for (size_t r = 0; r < rows; r += 2) { /* the clean rows see no special */
        run(k, (char *)in.x + r * d * sz, &in, clean, 1, d, d, EPS);
        if (memcmp(clean, y + r * d * sz, d * sz))
          fail("D=%zu special at %zu: clean row %zu changed by its neighbours", d, j, r);
      }
      for (size_t i = 0; i < d; i++) {
        if (!isnan_at(dt, y, d + i)) fail("D=%zu NaN at %zu: output %zu not NaN", d, j, i);
        double v = get(dt, y, 3 * d + i);
        if (ln && !isnan(v)) fail("D=%zu Inf at %zu: LayerNorm output %zu is %g, not NaN", d, j, i, v);
        if (!ln && i == j && !isnan(v)) fail("D=%zu Inf at %zu: output there is %g, not NaN", d, j, v);
        if (!ln && i != j && v != 0) fail("D=%zu Inf at %zu: output %zu is %g, not +-0", d, j, i, v);
      }
      free(y), free(clean);
      drop(&in);
    }
    /* zero row with eps = 0 (zero denominator) and constant row 1.5: every
     * statistic is exact, so RMSNorm gives +-0 and LayerNorm exactly b */
    input in;
    make(&in, dt, 2, d, 7);
    for (size_t i = 0; i < d; i++) {
      put(dt, in.x, i, 0);
      put(dt, in.x, d + i, 1.5);
    }
    char *y = xalloc(2 * d * sz);
    run(k, in.x, &in, y, 1, d, d, 0.0f);
    run(k, (char *)in.x + d * sz, &in, y + d * sz, 1, d, d, EPS);
    for (size_t i = 0; i < d; i++) {
      double want = ln ? in.bd[i] : 0, z = get(dt, y, i), c = get(dt, y, d + i);
      if (z != want) fail("D=%zu zero row, eps 0: output %zu is %g, want %g", d, i, z, want);
      if (ln && c != want) fail("D=%zu constant row: output %zu is %.9g, want b = %.9g", d, i, c, want);
    }
    free(y);
    drop(&in);
  }
  report(k, "special", ": NaN, +-Inf (first, middle, last), zero and constant rows");
}

int main(void) {
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (!nb_kernel_runs_here(k)) {
      static const char *checks[] = {"agree", "layout", "special", "guard"};
      for (int c = 0; c < 4; c++)
        printf("ok %d - %s %s # SKIP this CPU cannot run it\n", ++ntests, k->name, checks[c]);
      continue;
    }
    if (k->op == NB_ADDRMSNORM) { /* without a residual, its rmsnorm twin's body, checked here already */
      printf("ok %d - %s # SKIP test_fused: the residual path, and y the bits of its rmsnorm twin\n", ++ntests,
             k->name);
      continue;
    }
    if (nb_op_quantized(k->op)) { /* y in another format: test_kernels, test_quant */
      printf("ok %d - %s # SKIP test_kernels holds it to MPFR, test_quant to the conventions\n", ++ntests,
             k->name);
      continue;
    }
    if (k->op == NB_RMSNORM1P && tap_emulated()) { /* rmsnorm's instance path plus one add; time under qemu */
      printf("ok %d - %s # SKIP emulated: its 1 + w gain is checked by kernels- and special-rmsnorm1p-*\n",
             ++ntests, k->name);
      continue;
    }
    if (isnan(nb_kernel_bound_d(k, 1))) {
      ntests++;
      printf("ok %d - %s agree # SKIP no declared bound\n", ntests, k->name);
    } else {
      check_agree(k);
    }
    int guard_ok;
    check_layout(k, &guard_ok);
    if (k->flags & NB_K_EXTERNAL) /* a peer keeps its own conventions */
      printf("ok %d - %s special # SKIP external peer, not held to our special-value convention\n",
             ++ntests, k->name);
    else
      check_special(k);
    if (guard_ok) check_pages(k);
    report(k, "guard", ": sentinels around strided rows, rows ending at an unmapped page");
    fflush(stdout);
  }
  printf("1..%d\n", ntests);
  return nfailed != 0;
}
