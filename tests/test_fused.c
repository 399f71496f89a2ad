/* AddRMSNorm's residual path, for every addrmsnorm kernel this CPU runs
 * (test_kernels holds y to its bound against MPFR; this test holds what the
 * fusion adds):
 *  twin    - r is x + residual rounded once (MPFR), bit for bit, and y is
 *            bit-identical to the rmsnorm kernel of the same dtype,
 *            algorithm and ISA run on r: fusing changes no output bit;
 *  layout  - row by row, in place (y == x, vLLM's call), strided rows (the
 *            residual at x's stride) with sentinels in every gap of the
 *            residual and of y, and an output above the streaming threshold
 *            give the bits of the contiguous call;
 *  guard   - x, residual and y each ending at an unmapped page;
 *  special - a NaN or an infinity in the residual, inf + -inf, and a
 *            residual of -x (r = 0, a zero denominator with eps = 0), each
 *            following normbench.h's convention on r, the other rows as
 *            one-row calls give them;
 *  api     - a residual overlapping x or y is NB_EOVERLAP, y untouched. */
#include "reference.h"
#include "special.h"
#include "tap.h"

#include <sys/mman.h>
#include <unistd.h>

static const float EPS = 1e-5f;
static uint64_t rng;
static double unif(void) { /* xorshift64*, [0, 1) */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (double)((rng * 0x2545f4914f6cdd1du) >> 11) * 0x1p-53;
}

/* n values of dt: x around 1, residuals of every size against it; past
 * 4096 values the first 4093 repeat (cheap to make, and no row of D = 4097
 * repeats another) */
static void *vals(nb_dtype dt, size_t n, double scale) {
  size_t sz = nb_dtype_size(dt);
  char *p = calloc(n + 1, sz);
  for (size_t i = 0; i < n && i < 4096; i++) put(dt, p, i, scale * (unif() - 0.5) * ldexp(1, (int)(unif() * 8) - 4));
  for (size_t i = 4096; i < n; i += 4093) memcpy(p + i * sz, p, (n - i < 4093 ? n - i : 4093) * sz);
  return p;
}

static void *copy_of(const void *p, size_t n) { return memcpy(malloc(n + 1), p, n); }

static int run(const nb_kernel *k, const void *x, const void *g, void *res, void *y, size_t rows, size_t d,
               size_t xs, size_t ys) {
  int rc = nb_run(k, x, g, res, y, rows, d, xs, ys, EPS);
  if (rc != NB_OK) tap_fail("nb_run: %s", nb_strerror(rc));
  return rc;
}

static void same(const char *what, size_t d, nb_dtype dt, const void *a, const void *b, size_t n) {
  size_t sz = nb_dtype_size(dt);
  for (size_t i = 0; i < n; i++)
    if (memcmp((const char *)a + i * sz, (const char *)b + i * sz, sz)) {
      tap_fail("D=%zu %s: element %zu is %.9g, expected %.9g", d, what, i, get(dt, a, i), get(dt, b, i));
      return;
    }
}

static const nb_kernel *twin(const nb_kernel *k) {
  char name[96];
  snprintf(name, sizeof name, "rmsnorm%s", k->name + strlen("addrmsnorm"));
  return nb_kernel_find(name);
}

static const size_t ds[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1025, 4097};
#define ND (sizeof ds / sizeof ds[0])

static void check_twin(const nb_kernel *k) {
  const nb_kernel *t = twin(k);
  nb_dtype dt = k->dtype;
  size_t sz = nb_dtype_size(dt), rows = 3;
  if (!t) tap_fail("no rmsnorm kernel of the same dtype, algorithm and ISA");
  for (size_t l = 0; l < ND && t && !tap_why[0]; l++) {
    size_t d = ds[l], n = rows * d;
    void *x = vals(dt, n, 4), *g = vals(dt, d, 8), *res = vals(dt, n, 16), *res0 = copy_of(res, n * sz);
    void *y = calloc(n + 1, sz), *yt = calloc(n + 1, sz);
    if (!run(k, x, g, res, y, rows, d, d, d)) {
      for (size_t i = 0; i < n && !tap_why[0]; i++) {
        double want = nb_ref_add(get(dt, x, i), get(dt, res0, i), dt), r = get(dt, res, i);
        if (!(r == want && signbit(r) == signbit(want)))
          tap_fail("D=%zu r[%zu] = %.9g + %.9g gave %.9g, correctly rounded %.9g", d, i, get(dt, x, i),
               get(dt, res0, i), r, want);
      }
      run(t, res, g, NULL, yt, rows, d, d, d);
      same("y against the rmsnorm twin on r", d, dt, y, yt, n);
    }
    free(x), free(g), free(res), free(res0), free(y), free(yt);
  }
  tap_check(k->name, "r correctly rounded, y the bits of its rmsnorm twin on r");
}

static void check_layout(const nb_kernel *k) {
  nb_dtype dt = k->dtype;
  size_t sz = nb_dtype_size(dt), rows = 3;
  for (size_t l = 0; l < ND && !tap_why[0]; l++) {
    size_t d = ds[l], n = rows * d, xs = d + 3, ys = d + 5;
    void *x = vals(dt, n, 4), *g = vals(dt, d, 8), *res0 = vals(dt, n, 16);
    void *res = copy_of(res0, n * sz), *y = calloc(n + 1, sz);
    run(k, x, g, res, y, rows, d, d, d); /* the contiguous call: res becomes r */

    void *r1 = copy_of(res0, n * sz), *y1 = calloc(n + 1, sz);
    for (size_t r = 0; r < rows; r++)
      run(k, (char *)x + r * d * sz, g, (char *)r1 + r * d * sz, (char *)y1 + r * d * sz, 1, d, d, d);
    same("row by row: y", d, dt, y1, y, n);
    same("row by row: r", d, dt, r1, res, n);

    void *xi = copy_of(x, n * sz), *r2 = copy_of(res0, n * sz);
    run(k, xi, g, r2, xi, rows, d, d, d);
    same("in place (y == x): y", d, dt, xi, y, n);
    same("in place (y == x): r", d, dt, r2, res, n);

    /* strided: x and the residual at d + 3, y at d + 5; gaps are sentinels */
    unsigned char *xsb = malloc(rows * xs * sz), *rsb = malloc(rows * xs * sz), *ysb = malloc(rows * ys * sz);
    memset(xsb, 0xa5, rows * xs * sz), memset(rsb, 0xa5, rows * xs * sz), memset(ysb, 0xa5, rows * ys * sz);
    for (size_t r = 0; r < rows; r++) {
      memcpy(xsb + r * xs * sz, (char *)x + r * d * sz, d * sz);
      memcpy(rsb + r * xs * sz, (char *)res0 + r * d * sz, d * sz);
    }
    run(k, xsb, g, rsb, ysb, rows, d, xs, ys);
    for (size_t r = 0; r < rows; r++) {
      same("strided: y", d, dt, ysb + r * ys * sz, (char *)y + r * d * sz, d);
      same("strided: r", d, dt, rsb + r * xs * sz, (char *)res + r * d * sz, d);
      for (size_t i = d * sz; i < (r + 1 < rows ? xs : d) * sz; i++)
        if (rsb[r * xs * sz + i] != 0xa5) tap_fail("D=%zu strided: residual gap after row %zu written", d, r);
      for (size_t i = d * sz; i < (r + 1 < rows ? ys : d) * sz; i++)
        if (ysb[r * ys * sz + i] != 0xa5) tap_fail("D=%zu strided: y gap after row %zu written", d, r);
    }
    free(x), free(g), free(res0), free(res), free(y), free(r1), free(y1), free(xi), free(r2);
    free(xsb), free(rsb), free(ysb);
  }
  if (!tap_why[0]) { /* an output above the streaming threshold (4 MiB), at an odd element address */
    size_t d = 4097, rows = (4u << 20) / (d * sz) + 2, n = rows * d;
    void *x = vals(dt, n, 4), *g = vals(dt, d, 8), *res0 = vals(dt, n, 16), *res = copy_of(res0, n * sz);
    char *big = calloc(n + 1, sz), *ref = calloc(n, sz);
    run(k, x, g, res, big + sz, rows, d, d, d);
    for (size_t r = 0; r < rows; r++)
      run(k, (char *)x + r * d * sz, g, (char *)res0 + r * d * sz, ref + r * d * sz, 1, d, d, d);
    same("large output: y", d, dt, big + sz, ref, n);
    same("large output: r", d, dt, res, res0, n);
    free(x), free(g), free(res0), free(res), free(big), free(ref);
  }
  tap_check(k->name, "layout: row by row, in place, strided with untouched gaps, large output");
}

/* x, g, residual and y each at the end of its own mapping */
static void check_pages(const nb_kernel *k) {
  nb_dtype dt = k->dtype;
  const size_t page = (size_t)sysconf(_SC_PAGESIZE), sz = nb_dtype_size(dt);
  for (size_t d = 1; d <= 80 && !tap_why[0]; d++) {
    void *x = vals(dt, d, 4), *g = vals(dt, d, 8), *res0 = vals(dt, d, 16), *res = copy_of(res0, d * sz);
    void *ref = calloc(d + 1, sz);
    run(k, x, g, res, ref, 1, d, d, d);
    char *m[4], *p[4];
    for (int j = 0; j < 4; j++) {
      m[j] = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m[j] == MAP_FAILED || mprotect(m[j] + page, page, PROT_NONE)) abort();
      p[j] = m[j] + page - d * sz;
    }
    memcpy(p[0], x, d * sz), memcpy(p[1], g, d * sz), memcpy(p[2], res0, d * sz);
    run(k, p[0], p[1], p[2], p[3], 1, d, d, d);
    same("at a page end: y", d, dt, p[3], ref, d);
    same("at a page end: r", d, dt, p[2], res, d);
    for (int j = 0; j < 4; j++) munmap(m[j], 2 * page);
    free(x), free(g), free(res0), free(res), free(ref);
  }
  tap_check(k->name, "guard: x, residual and y ending at an unmapped page");
}

/* Rows: 0 clean, 1 NaN in the residual, 2 +inf in the residual, 3 +inf in x
 * against -inf in the residual, 4 residual = -x (r = +-0 exactly). */
static void check_special(const nb_kernel *k) {
  nb_dtype dt = k->dtype;
  size_t sz = nb_dtype_size(dt), rows = 5;
  for (size_t l = 0; l < ND && !tap_why[0]; l++) {
    size_t d = ds[l], n = rows * d, j = d / 2;
    void *x = vals(dt, n, 4), *g = vals(dt, d, 8), *res = vals(dt, n, 16), *y = calloc(n + 1, sz);
    put(dt, res, 1 * d + j, NAN);
    put(dt, res, 2 * d + j, INFINITY);
    put(dt, x, 3 * d + j, INFINITY);
    put(dt, res, 3 * d + j, -INFINITY);
    for (size_t i = 0; i < d; i++) put(dt, res, 4 * d + i, -get(dt, x, 4 * d + i));
    void *res0 = copy_of(res, n * sz), *solo = calloc(d + 1, sz), *rsolo = calloc(d + 1, sz);
    if (nb_run(k, x, g, res, y, rows, d, d, d, 0.0f) != NB_OK) tap_fail("nb_run refused");
    for (size_t r = 0; r < rows && !tap_why[0]; r++) {
      memcpy(rsolo, (char *)res0 + r * d * sz, d * sz);
      nb_run(k, (char *)x + r * d * sz, g, rsolo, solo, 1, d, d, d, 0.0f);
      same("a one-row call", d, dt, (char *)y + r * d * sz, solo, d);
    }
    for (size_t i = 0; i < d && !tap_why[0]; i++) {
      double gi = get(dt, g, i);
      if (!isnan(get(dt, y, d + i))) tap_fail("D=%zu NaN in the residual: y[%zu] not NaN", d, i);
      if (!isnan(get(dt, y, 3 * d + i))) tap_fail("D=%zu inf + -inf: y[%zu] not NaN", d, i);
      double v = get(dt, y, 2 * d + i), ri = get(dt, res, 2 * d + i);
      if (i == j ? !isnan(v) : !(v == 0 && signbit(v) == (signbit(ri) != signbit(gi))))
        tap_fail("D=%zu +inf in the residual at %zu: y[%zu] = %g", d, j, i, v);
      double z = get(dt, y, 4 * d + i), r0 = get(dt, res, 4 * d + i);
      if (!(r0 == 0 && z == 0 && signbit(z) == (signbit(r0) != signbit(gi))))
        tap_fail("D=%zu residual -x: r[%zu] = %g, y = %g, want +-0 (sign of r*g)", d, i, r0, z);
    }
    free(x), free(g), free(res), free(res0), free(y), free(solo), free(rsolo);
  }
  tap_check(k->name, "special: NaN, +inf, inf + -inf in the residual, r = 0 with eps 0; rows independent");
}

static void check_overlap(const nb_kernel *k) {
  size_t sz = nb_dtype_size(k->dtype), d = 8;
  char *buf = calloc(8 * d, sz), *g = calloc(d, sz), *y0 = malloc(8 * d * sz);
  for (size_t i = 0; i < 8 * d; i++) put(k->dtype, buf, i, 1 + (double)(i % 5));
  for (size_t i = 0; i < d; i++) put(k->dtype, g, i, 1);
  memcpy(y0, buf, 8 * d * sz);
  struct { const char *what; void *x, *res, *y; int rc; } c[] = {
      {"residual = x", buf, buf, buf + 4 * d * sz, NB_EOVERLAP},
      {"residual inside x's rows", buf, buf + d * sz, buf + 4 * d * sz, NB_EOVERLAP},
      {"residual = y", buf, buf + 4 * d * sz, buf + 4 * d * sz, NB_EOVERLAP},
      {"residual overlapping y by one element", buf, buf + (4 * d - 1) * sz, buf + 5 * d * sz, NB_EOVERLAP},
      {"y = x in place, residual apart", buf, buf + 4 * d * sz, buf, NB_OK},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    memcpy(buf, y0, 8 * d * sz);
    int rc = nb_run(k, c[i].x, g, c[i].res, c[i].y, 2, d, d, d, EPS);
    if (rc != c[i].rc) tap_fail("%s: %s, want %s", c[i].what, nb_strerror(rc), nb_strerror(c[i].rc));
    if (rc != NB_OK && memcmp(buf, y0, 8 * d * sz)) tap_fail("%s: refused, yet memory was written", c[i].what);
  }
  free(buf), free(g), free(y0);
  tap_check(k->name, "api: a residual overlapping x or y is NB_EOVERLAP, nothing written");
}

int main(void) {
  size_t tested = 0;
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (k->op != NB_ADDRMSNORM) continue;
    if (!nb_kernel_runs_here(k)) {
      printf("ok %d - %s # SKIP this CPU lacks its features\n", ++tap_count, k->name);
      continue;
    }
    tested++;
    rng = 0x9e3779b97f4a7c15u + i;
    check_twin(k);
    check_layout(k);
    check_pages(k);
    check_special(k);
    check_overlap(k);
  }
  tap_ok(tested > 0, "%zu addrmsnorm kernels run here", tested);
  return tap_done();
}
