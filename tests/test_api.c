/* nb_run's defined behaviour on misuse, for every registered kernel: empty
 * calls, NULL pointers, bad eps, short strides, overlapping buffers, sizes
 * that overflow size_t, kernels this CPU cannot run (run a second time with
 * NORMBENCH_CPU_DISABLE hiding features); in-place and misaligned calls give
 * the bits of an aligned out-of-place call.
 *
 * Misaligned means element-aligned but not vector-aligned: a float or
 * uint16_t pointer that is not a multiple of its type's alignment is
 * undefined behaviour in C before any kernel runs, so no odd byte offsets. */
#include "special.h"
#include "tap.h"

#include <float.h>
#include <stdio.h>

static double bx(size_t i) { return (i & 1 ? -1 : 1) * (1 + (double)(i * 5 % 8) / 8) * (double)(i / 7 + 1); }
static double bg(size_t i) { return (i % 3 == 2 ? -1 : 1) * (0.75 + (double)(i % 4) / 4); }
static double bb(size_t i) { return ((double)(i % 5) - 2) / 8; }

/* A raw function that only records that it was called: nb_run must not
 * call it when it rejects the arguments. */
static int spy_called;
static void spy(const void *x, const void *g, const void *b, void *y, size_t rows, size_t d, size_t xs, size_t ys,
                float eps) {
  (void)x, (void)g, (void)b, (void)y, (void)rows, (void)d, (void)xs, (void)ys, (void)eps;
  spy_called = 1;
}

/* The rejections, with a spy kernel so that a validation gap shows as a
 * call, not as a crash. */
static void validation(void) {
  nb_kernel k = *nb_kernel_at(0);
  k.fn = spy;
  k.needs = 0;
  float x[64] = {1, 2, 3}, g[64] = {1, 1, 1}, y[64];
  struct { const char *what; const void *x, *g; void *y; size_t rows, d, xs, ys; float eps; int rc; } c[] = {
      {"rows = 0", x, g, y, 0, 3, 3, 3, 1e-5f, NB_OK},
      {"rows = 0, NULL pointers", NULL, NULL, NULL, 0, 3, 3, 3, 1e-5f, NB_OK},
      {"d = 0", x, g, y, 4, 0, 0, 0, 1e-5f, NB_OK},
      {"d = 0, NULL pointers", NULL, NULL, NULL, 4, 0, 0, 0, 1e-5f, NB_OK},
      {"NULL x", NULL, g, y, 1, 3, 3, 3, 1e-5f, NB_EINVAL},
      {"NULL g", x, NULL, y, 1, 3, 3, 3, 1e-5f, NB_EINVAL},
      {"NULL y", x, g, NULL, 1, 3, 3, 3, 1e-5f, NB_EINVAL},
      {"eps = -1e-5", x, g, y, 1, 3, 3, 3, -1e-5f, NB_EINVAL},
      {"eps = -min subnormal", x, g, y, 1, 3, 3, 3, -0x1p-149f, NB_EINVAL},
      {"eps = -inf", x, g, y, 1, 3, 3, 3, -INFINITY, NB_EINVAL},
      {"eps = NaN", x, g, y, 1, 3, 3, 3, NAN, NB_EINVAL},
      {"eps = -0", x, g, y, 1, 3, 3, 3, -0.0f, NB_OK},
      {"eps = +inf", x, g, y, 1, 3, 3, 3, INFINITY, NB_OK},
      {"x stride < d", x, g, y, 2, 3, 2, 3, 1e-5f, NB_EINVAL},
      {"y stride < d", x, g, y, 2, 3, 3, 2, 1e-5f, NB_EINVAL},
      {"y = x + 1 element", x, g, x + 1, 1, 3, 3, 3, 1e-5f, NB_EOVERLAP},
      {"x = y + 2 elements", x + 2, g, x, 1, 3, 3, 3, 1e-5f, NB_EOVERLAP},
      {"y = x, other stride, 2 rows", x, g, x, 2, 3, 3, 4, 1e-5f, NB_EOVERLAP},
      {"y = x, other stride, 1 row", x, g, x, 1, 3, 3, 4, 1e-5f, NB_OK},
      {"rows interleaved", x, g, x + 3, 2, 3, 6, 6, 1e-5f, NB_EOVERLAP},
      {"y just after x", x, g, x + 9, 2, 3, 6, 6, 1e-5f, NB_OK},
      {"rows = SIZE_MAX", x, g, y, SIZE_MAX, 3, 3, 3, 1e-5f, NB_EINVAL},
      {"rows * stride overflows", x, g, y, 3, 3, SIZE_MAX / 8, 3, 1e-5f, NB_EINVAL},
      {"d * element size overflows", x, g, y, 1, SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1, 1e-5f,
       NB_EINVAL},
      {"d = SIZE_MAX", x, g, y, 1, SIZE_MAX, SIZE_MAX, SIZE_MAX, 1e-5f, NB_EINVAL},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    spy_called = 0;
    int rc = nb_run(&k, c[i].x, c[i].g, NULL, c[i].y, c[i].rows, c[i].d, c[i].xs, c[i].ys, c[i].eps);
    int runs = rc == NB_OK && c[i].rows > 0 && c[i].d > 0;
    tap_ok(rc == c[i].rc && spy_called == runs, "nb_run, %s: %s (%s)", c[i].what, nb_strerror(c[i].rc),
           spy_called ? "kernel called" : "kernel not called");
  }
  /* Byte spans that fit in size_t but run past the end of the address
   * space from x (f32: (2^62 - 1) * 4 bytes; f16: about 2^64 - 2^24). */
  struct { nb_dtype dt; size_t rows, d, s; const char *what; } wrap[] = {
      {NB_F32, 1, 0x3fffffffffffffffull, 0x3fffffffffffffffull, "f32, d = 2^62 - 1"},
      {NB_F16, 1ull << 40, 3, 1ull << 23, "f16, rows = 2^40, stride 2^23"},
  };
  for (size_t i = 0; i < sizeof wrap / sizeof wrap[0]; i++) {
    nb_kernel w = k;
    w.dtype = wrap[i].dt;
    spy_called = 0;
    int rc = nb_run(&w, x, g, NULL, y, wrap[i].rows, wrap[i].d, wrap[i].s, wrap[i].s, 1e-5f);
    tap_ok(rc == NB_EINVAL && !spy_called, "nb_run, %s (wraps the address space): %s (%s)", wrap[i].what,
           nb_strerror(rc), spy_called ? "kernel called" : "kernel not called");
  }
  tap_ok(nb_run(NULL, x, g, NULL, y, 1, 3, 3, 3, 1e-5f) == NB_EINVAL, "nb_run with no kernel: EINVAL");
  tap_ok(nb_kernel_at(nb_kernel_count()) == NULL && nb_kernel_find(NULL) == NULL &&
             nb_kernel_find("no_such_kernel") == NULL,
         "registry look-ups past the end or by an unknown name give NULL");
  int codes[] = {NB_OK, NB_EINVAL, NB_EOVERLAP, NB_ENOTHERE, 42}, distinct = 1;
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < i; j++) distinct &= strcmp(nb_strerror(codes[i]), nb_strerror(codes[j])) != 0;
  tap_ok(distinct, "nb_strerror gives each code its own message");
}

/* Features named in NORMBENCH_CPU_DISABLE are hidden; nb_kernel_runs_here
 * agrees with nb_cpu_features; a kernel needing a missing feature gets
 * NB_ENOTHERE and is not called. */
static void cpu(void) {
  uint32_t hidden = 0, f = nb_cpu_features();
  const char *env = getenv("NORMBENCH_CPU_DISABLE");
  for (int bit = 0; env && bit < 32; bit++) {
    const char *n = nb_cpu_feature_name(1u << bit);
    size_t len = n ? strlen(n) : 0;
    for (const char *p = env; n && (p = strstr(p, n)) != NULL; p += len)
      if ((p == env || p[-1] == ',') && (p[len] == ',' || p[len] == 0)) hidden |= 1u << bit;
  }
  tap_ok((f & hidden) == 0, "NORMBENCH_CPU_DISABLE=%s hides its features: have %#x, hidden %#x", env ? env : "",
         (unsigned)f, (unsigned)hidden);
  size_t agree = 0, refused = 0, missing = 0;
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    int can = (f & k->needs) == k->needs;
    agree += nb_kernel_runs_here(k) == can;
    if (can) continue;
    missing++;
    float x[8] = {1, 2}, g[8] = {1, 1}, y[8] = {7, 7, 7, 7};
    refused += nb_run(k, x, g, NULL, y, 1, 2, 2, 2, 1e-5f) == NB_ENOTHERE && y[0] == 7 && y[1] == 7;
  }
  tap_ok(agree == nb_kernel_count(), "nb_kernel_runs_here agrees with nb_cpu_features for %zu of %zu kernels",
         agree, nb_kernel_count());
  if (missing)
    tap_ok(refused == missing, "NB_ENOTHERE, y untouched, for %zu of %zu kernels needing a missing feature",
           refused, missing);
  else
    printf("ok %d - no registered kernel needs a feature this CPU lacks # SKIP nothing to refuse\n", ++tap_count);
  /* the same through a kernel that needs each missing feature */
  nb_kernel k = *nb_kernel_at(0);
  k.fn = spy;
  size_t tried = 0, ok = 0;
  for (int bit = 0; bit < 12; bit++) {
    if (f & (1u << bit)) continue;
    k.needs = 1u << bit;
    float x[4] = {1, 2}, g[4] = {1, 1}, y[4];
    spy_called = 0;
    tried++;
    ok += nb_run(&k, x, g, NULL, y, 1, 2, 2, 2, 1e-5f) == NB_ENOTHERE && !spy_called &&
          !nb_kernel_runs_here(&k);
  }
  tap_ok(tried > 0 && ok == tried, "a kernel needing a missing feature: NB_ENOTHERE, not called (%zu of %zu features)",
         ok, tried);
}

/* aligned_alloc wants a multiple of the alignment */
static size_t up64(size_t n) { return (n + 63) & ~(size_t)63; }

/* rows x d values of bx (row r scaled by r + 1) at stride xs */
static void *make_x(nb_dtype dt, size_t rows, size_t d, size_t xs) {
  double *v = malloc(rows * xs * sizeof *v);
  for (size_t r = 0; r < rows; r++)
    for (size_t i = 0; i < xs; i++) v[r * xs + i] = i < d ? bx(i) * (double)(r + 1) : NAN;
  void *p = stored(dt, v, rows * xs);
  free(v);
  return p;
}

static void *make_v(nb_dtype dt, size_t d, double (*f)(size_t)) {
  double *v = malloc(d * sizeof *v);
  for (size_t i = 0; i < d; i++) v[i] = f(i);
  void *p = stored(dt, v, d);
  free(v);
  return p;
}

static double nan_of(size_t i) { return (void)i, NAN; }
static double mzero_of(size_t i) { return (void)i, -0.0; }

/* Per kernel: rejected calls leave y alone; b NULL/ignored; eps = -0 and
 * +inf; in place; alignment. */
static void per_kernel(const nb_kernel *k) {
  nb_dtype dt = k->dtype;
  size_t sz = nb_dtype_size(dt);
  int ln = k->op == NB_LAYERNORM, add = k->op == NB_ADDRMSNORM;
  const size_t ds[] = {1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 100, 1025};
  size_t nd = sizeof ds / sizeof ds[0];
  int untouched = 1, bnull = 1, epsz = 1, epsinf = 1, inplace = 1, align = 1;
  char why[200] = "";
  for (size_t l = 0; l < nd; l++) {
    size_t d = ds[l], rows = 3, xs = d + 2, ys = d + 1;
    void *x = make_x(dt, rows, d, xs), *g = make_v(dt, d, bg), *b = make_v(dt, d, bb);
    size_t ybytes = rows * ys * sz;
    void *ref = malloc(ybytes), *y = malloc(ybytes), *y2 = malloc(ybytes);
    memset(ref, 0x5a, ybytes);
    nb_run(k, x, g, ln ? b : NULL, ref, rows, d, xs, ys, 1e-5f);

    /* rejected: y untouched */
    memset(y, 0x5a, ybytes);
    memcpy(y2, y, ybytes);
    nb_run(k, x, g, b, y, rows, d, d - 1, ys, 1e-5f);
    nb_run(k, x, g, b, y, rows, d, xs, ys, NAN);
    nb_run(k, x, g, b, y, rows, d, xs, ys, -1.0f);
    nb_run(k, NULL, g, b, y, rows, d, xs, ys, 1e-5f);
    nb_run(k, x, NULL, b, y, rows, d, xs, ys, 1e-5f);
    nb_run(k, x, g, b, y, 0, d, xs, ys, 1e-5f);
    nb_run(k, x, g, b, y, rows, 0, xs, ys, 1e-5f);
    if (memcmp(y, y2, ybytes)) untouched = 0;

    /* b: LayerNorm NULL means zero (values equal to b = -0, +0 == -0);
     * AddRMSNorm NULL means no residual (values equal to a residual of -0
     * rows, at x's stride: x + -0 = x); RMSNorm ignores b (a NaN b would show) */
    void *bz = add ? make_v(dt, rows * xs, mzero_of) : make_v(dt, d, ln ? mzero_of : nan_of);
    memcpy(y, ref, ybytes);
    nb_run(k, x, g, bz, y, rows, d, xs, ys, 1e-5f);
    void *r0 = malloc(ybytes);
    memcpy(r0, ref, ybytes);
    nb_run(k, x, g, NULL, r0, rows, d, xs, ys, 1e-5f);
    for (size_t r = 0; r < rows; r++)
      for (size_t i = 0; i < d; i++) {
        double a = get(dt, y, r * ys + i), c = get(dt, r0, r * ys + i);
        if (!(a == c)) bnull = 0;
      }
    free(bz), free(r0);

    /* eps = -0 gives the bits of eps = +0 */
    memcpy(y, ref, ybytes);
    memcpy(y2, ref, ybytes);
    nb_run(k, x, g, add ? NULL : b, y, rows, d, xs, ys, -0.0f); /* b has one row */
    nb_run(k, x, g, add ? NULL : b, y2, rows, d, xs, ys, 0.0f);
    if (memcmp(y, y2, ybytes)) epsz = 0;

    /* eps = +inf is a float >= 0: 1/sqrt(inf) = 0, the limit eps -> inf,
     * so RMSNorm gives +-0 (sign of x * g) and LayerNorm exactly b */
    if (nb_run(k, x, g, ln ? b : NULL, y, rows, d, xs, ys, INFINITY) != NB_OK) epsinf = 0;
    for (size_t r = 0; r < rows; r++)
      for (size_t i = 0; i < d; i++) {
        double o = get(dt, y, r * ys + i), xi = get(dt, x, r * xs + i), gi = get(dt, g, i);
        if (k->op == NB_RMSNORM1P) gi = (float)(1 + gi); /* the gain is 1 + w */
        int good = ln ? o == get(dt, b, i) : o == 0 && signbit(o) == (signbit(xi) != signbit(gi));
        if (!good && epsinf) snprintf(why, sizeof why, "eps=+inf D=%zu row %zu [%zu]: %.9g", d, r, i, o);
        epsinf &= good;
      }

    /* in place: the bits of the out-of-place call */
    void *xi = make_x(dt, rows, d, xs);
    nb_run(k, xi, g, ln ? b : NULL, xi, rows, d, xs, xs, 1e-5f);
    for (size_t r = 0; r < rows; r++)
      if (!bits_equal(dt, (char *)xi + r * xs * sz, (char *)ref + r * ys * sz, d)) {
        if (inplace) snprintf(why, sizeof why, "in place D=%zu row %zu differs", d, r);
        inplace = 0;
      }
    free(xi);

    /* alignment: x, g, b, y each offset by 0..63 bytes in whole elements
     * from a 64-byte boundary; guard bytes around y stay untouched */
    size_t ne = 64 / sz, span = (rows - 1) * ys + d;
    unsigned char *bx_ = aligned_alloc(64, up64(64 + rows * xs * sz)), *bg_ = aligned_alloc(64, up64(64 + d * sz));
    unsigned char *bb_ = aligned_alloc(64, up64(64 + d * sz)), *by_ = aligned_alloc(64, up64(64 + span * sz) + 64);
    for (size_t o = 1; o < ne; o++) {
      size_t ox = o * sz, og = (o * 3 % ne) * sz, ob = (o * 5 % ne) * sz, oy = (o * 7 % ne) * sz;
      memcpy(bx_ + ox, x, rows * xs * sz);
      memcpy(bg_ + og, g, d * sz);
      memcpy(bb_ + ob, b, d * sz);
      memset(by_, 0xa5, up64(64 + span * sz) + 64);
      nb_run(k, bx_ + ox, bg_ + og, ln ? bb_ + ob : NULL, by_ + oy, rows, d, xs, ys, 1e-5f);
      int ok = 1;
      for (size_t r = 0; r < rows; r++) ok &= bits_equal(dt, by_ + oy + r * ys * sz, (char *)ref + r * ys * sz, d);
      for (size_t i = 0; i < oy; i++) ok &= by_[i] == 0xa5;
      for (size_t i = oy + span * sz; i < up64(64 + span * sz) + 64; i++) ok &= by_[i] == 0xa5;
      for (size_t r = 0; r + 1 < rows; r++)
        for (size_t i = oy + (r * ys + d) * sz; i < oy + (r + 1) * ys * sz; i++) ok &= by_[i] == 0xa5;
      if (!ok && align) snprintf(why, sizeof why, "offsets x+%zu g+%zu b+%zu y+%zu bytes, D=%zu", ox, og, ob, oy, d);
      align &= ok;
    }
    free(bx_), free(bg_), free(bb_), free(by_);
    free(x), free(g), free(b), free(ref), free(y), free(y2);
  }
  tap_ok(untouched, "%s: rejected and empty calls leave y untouched", k->name);
  tap_ok(bnull,
         ln    ? "%s: b = NULL gives the values of b = 0"
         : add ? "%s: residual NULL gives the values of a zero residual"
               : "%s: b is ignored (a NaN b changes nothing)",
         k->name);
  tap_ok(epsz, "%s: eps = -0 gives the bits of eps = +0", k->name);
  tap_ok(epsinf, "%s: eps = +inf gives %s", k->name, ln ? "exactly b" : "+-0 (sign of x*g)");
  tap_ok(inplace, "%s: in place (y == x, same stride) gives the bits of out of place", k->name);
  tap_ok(align, "%s: element-aligned, vector-misaligned x/g/b/y give the aligned bits, y's neighbours untouched",
         k->name);
  if (why[0]) tap_diag("first failure: %s", why);
}

int main(void) {
  validation();
  cpu();
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (!nb_kernel_runs_here(k))
      printf("ok %d - %s # SKIP this CPU lacks its features\n", ++tap_count, k->name);
    else if (tap_skip_isa(k->isa))
      printf("ok %d - %s # SKIP NORMBENCH_TEST_SKIP\n", ++tap_count, k->name);
    else if (nb_op_quantized(k->op)) /* y is int8/e4m3, never in place */
      printf("ok %d - %s # SKIP test_quant: layout, special values and nb_run of the quantized ops\n",
             ++tap_count, k->name);
    else
      per_kernel(k);
  }
  return tap_done();
}
