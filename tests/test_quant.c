/* What only the quantized ops have (test_kernels holds every kernel's
 * error to its declared bound against MPFR):
 *  e4m3     - the f32 -> e4m3 rounding (nb_f32_to_e4m3, the kernels'
 *             nb_e4m3_rne) of every f32 within 64 ulps of each e4m3 value
 *             and of each midpoint between neighbours (448 and the
 *             would-be 480 included), both signs, of the smallest f32s,
 *             and of infinities and NaN, against MPFR's rounding to 4 bits
 *             with e4m3's subnormals, then saturated; nb_f64_to_e4m3 on the
 *             same values; the 256 codes decoded and encoded back;
 *  isa      - every ISA's vectorized steps (vf_st_e4m3, vf_st_i8) bit-equal
 *             to nb_f32_to_e4m3 on those values, and to nearest-even
 *             rounding on every t = k, k +- 1/2 and their f32 neighbours;
 *  scales   - int8: max|q| is exactly 127, s within 2^-16 of the exact
 *             max|y| / 127 (MPFR), one call of rows at strides (gaps kept,
 *             scales NULL accepted) bit-equal to one-row calls; element-
 *             aligned, vector-misaligned x, g and y (an odd byte) give the
 *             aligned bits, y's neighbours untouched;
 *  special  - normbench.h's conventions: a zero row and eps = inf (s = 0,
 *             q = 0), a NaN or an infinity in x, a NaN or an infinity in g
 *             (int8: s NaN or inf, q = 0; e4m3: elementwise, NaN to NaN,
 *             infinities and overflow saturated to +-448);
 *  api      - in place, scales overlapping y, misaligned scales refused;
 *  entries  - nb_addrmsnorm_*, nb_rmsnorm1p_*, nb_rmsnorm_i8_*,
 *             nb_rmsnorm_e4m3_* give the bits of nb_run on the kernel
 *             nb_choose names (residual and scales included). */
#include "internal.h"
#include "reference.h"
#include "special.h"
#include "tap.h"

#include <mpfr.h>

/* MPFR: f rounded to 4 significant bits with subnormals below 2^-6
 * (smallest 2^-9 = 0.5 2^-8: emin -8), then saturated to +-448. */
static double mpfr_e4m3(float f) {
  if (isnan(f)) return NAN;
  mpfr_exp_t emin = mpfr_get_emin(), emax = mpfr_get_emax();
  mpfr_set_emin(-8);
  mpfr_set_emax(20);
  mpfr_t r;
  mpfr_init2(r, 4);
  int t = mpfr_set_flt(r, f, MPFR_RNDN);
  mpfr_subnormalize(r, t, MPFR_RNDN);
  double v = mpfr_get_d(r, MPFR_RNDN);
  mpfr_clear(r);
  mpfr_set_emin(emin);
  mpfr_set_emax(emax);
  return fabs(v) > 448 ? copysign(448, v) : v;
}

static float bits_f(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static uint32_t f_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static size_t e4m3_checked, e4m3_bad;
static char e4m3_why[200];
static float *seen; /* every value checked, for the ISAs */
static size_t nseen, capseen;
static void check_e4m3(float f) {
  if (nseen == capseen) seen = realloc(seen, (capseen = 2 * capseen + 1024) * sizeof *seen);
  seen[nseen++] = f;
  double want = mpfr_e4m3(f);
  uint8_t q = nb_f32_to_e4m3(f), q64 = nb_f64_to_e4m3(f);
  double got = nb_e4m3_to_f32(q);
  int ok = isnan(want) ? isnan(got) : got == want && signbit(got) == signbit(want);
  ok = ok && q64 == q;
  e4m3_checked++;
  if (!ok && !e4m3_bad++)
    snprintf(e4m3_why, sizeof e4m3_why, "f = %a: got %a (f64 %#x, f32 %#x), MPFR %a", (double)f, got, q64, q, want);
}

static void test_e4m3(void) {
  for (int c = 0; c <= 0x7e; c++) {
    double a = nb_e4m3_to_f32((uint8_t)c), nx = c == 0x7e ? 480 : nb_e4m3_to_f32((uint8_t)(c + 1));
    float pts[2] = {(float)a, (float)((a + nx) / 2)}; /* a midpoint has 5 bits: exact */
    for (int p = 0; p < 2; p++)
      for (int s = 0; s < 2; s++)
        for (int k = -64; k <= 64; k++) {
          uint32_t u = f_bits(s ? -pts[p] : pts[p]);
          if (pts[p] == 0 && k < 0) continue; /* the f32s just above zero come below */
          check_e4m3(bits_f(u + (uint32_t)k));
        }
  }
  for (uint32_t u = 0; u < 4096; u++) { /* the smallest f32s, subnormals first */
    check_e4m3(bits_f(u));
    check_e4m3(bits_f(u | 0x80000000u));
  }
  float sp[] = {INFINITY, -INFINITY, NAN, -NAN, 3.4e38f, -3.4e38f, 1e6f, 464, 472, 479.99f, 480, 496};
  for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) check_e4m3(sp[i]);
  tap_ok(e4m3_bad == 0, "e4m3 rounding: %zu f32 values near every e4m3 value and midpoint agree with MPFR (%zu not)",
         e4m3_checked, e4m3_bad);
  if (e4m3_bad) tap_diag("%s", e4m3_why);
  int back = 0;
  for (int c = 0; c < 256; c++) {
    float v = nb_e4m3_to_f32((uint8_t)c);
    int nan = (c & 0x7f) == 0x7f;
    back += nan ? isnan(v) && nb_f32_to_e4m3(v) == c : nb_f32_to_e4m3(v) == c;
  }
  tap_ok(back == 256, "e4m3: %d of the 256 codes decode and encode back to themselves (NaN as NaN)", back);
  tap_ok(nb_e4m3_to_f32(0x7e) == 448 && nb_e4m3_to_f32(0x08) == 0x1p-6f && nb_e4m3_to_f32(0x01) == 0x1p-9f &&
             nb_e4m3_to_f32(0x38) == 1 && signbit(nb_e4m3_to_f32(0x80)),
         "e4m3 decoding: 448, 2^-6, 2^-9, 1 and -0 at their OCP codes");
}

/* The ISAs' vectorized steps against the scalar definitions, 64 at a time. */
static void test_isa(void) {
  float *ts = NULL;
  size_t nt = 0;
  ts = malloc(255 * 2 * 7 * sizeof *ts);
  for (int k = -127; k <= 127; k++)
    for (int h = 0; h < 2; h++) {
      float c = (float)k + 0.5f * (float)h;
      if (fabsf(c) > 127) continue;
      float lo = c, hi = c;
      ts[nt++] = c;
      for (int j = 0; j < 3; j++) ts[nt++] = lo = nextafterf(lo, -INFINITY), ts[nt++] = hi = nextafterf(hi, INFINITY);
    }
  for (size_t i = 0; i < nb_isa_quant_count(); i++) {
    const nb_isa_quant *q = nb_isa_quant_at(i);
    if ((nb_cpu_features() & q->needs) != q->needs) {
      printf("ok %d - %s quantizing steps # SKIP this CPU lacks its features\n", ++tap_count, q->isa);
      continue;
    }
    size_t bad_e = 0, bad_i = 0;
    char w[160] = "";
    for (int pass = 0; pass < 2; pass++) {
      const float *src = pass ? ts : seen;
      size_t n = pass ? nt : nseen;
      for (size_t a = 0; a < n; a += 64) {
        float in[64] = {0};
        uint8_t e[64], q8[64];
        size_t m = n - a < 64 ? n - a : 64;
        memcpy(in, src + a, m * sizeof *in);
        q->fn(in, e, q8, 64);
        for (size_t j = 0; j < m; j++) {
          if (!pass && e[j] != nb_f32_to_e4m3(in[j]) && !bad_e++)
            snprintf(w, sizeof w, "e4m3 of %a: %#x, scalar %#x", (double)in[j], e[j], nb_f32_to_e4m3(in[j]));
          int8_t want = pass ? (int8_t)nearbyintf(in[j]) : 0; /* pass 0's values do not fit int8 */
          if (pass && (int8_t)q8[j] != want && !bad_i++)
            snprintf(w, sizeof w, "int8 of %a: %d, nearest even %d", (double)in[j], (int8_t)q8[j], want);
        }
      }
    }
    if (!tap_ok(bad_e == 0 && bad_i == 0,
                "%s quantizing steps: e4m3 of %zu values as nb_f32_to_e4m3, int8 of %zu values nearest even "
                "(%zu, %zu not)", q->isa, nseen, nt, bad_e, bad_i))
      tap_diag("%s", w);
  }
  free(ts);
}

enum { D = 37, ROWS = 3 };

/* One call on one row; y gets D bytes, *s the scale (NaN-filled first). */
static void run1(const nb_kernel *k, const double *x, const double *g, float eps, uint8_t *y, float *s) {
  void *xs = stored(k->dtype, x, D), *gs = stored(k->dtype, g, D);
  memset(y, 0xa5, D);
  *s = -1;
  int rc = nb_run(k, xs, gs, k->op == NB_RMSNORM_I8 ? s : NULL, y, 1, D, D, D, eps);
  if (rc != NB_OK) tap_diag("%s: nb_run %s", k->name, nb_strerror(rc));
  free(xs);
  free(gs);
}

static void base_row(double *x, double *g, uint64_t seed) {
  for (int i = 0; i < D; i++) {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    x[i] = ((double)(seed >> 40) / (1 << 24) - 0.5) * 4;
    g[i] = 0.5 + (double)((seed >> 20) & 0xffff) / 65536;
  }
}

static void test_scales(const nb_kernel *k) {
  double x[D], g[D], v[D], cr[D], t[D], q[D];
  uint8_t y[D];
  float s;
  for (int seed = 1; seed <= 20; seed++) {
    base_row(x, g, (uint64_t)seed);
    void *xs = stored(k->dtype, x, D), *gs = stored(k->dtype, g, D);
    for (int i = 0; i < D; i++) x[i] = get(k->dtype, xs, i), g[i] = get(k->dtype, gs, i);
    free(xs);
    free(gs);
    run1(k, x, g, 1e-5f, y, &s);
    nb_ref_row(NB_RMSNORM, NB_F32, x, g, NULL, D, 1e-5f, v, cr);
    double se = nb_ref_i8_row(v, D, t, q);
    int amax = 0;
    for (int i = 0; i < D; i++) amax = abs((int8_t)y[i]) > amax ? abs((int8_t)y[i]) : amax;
    if (amax != 127) tap_fail("seed %d: max|q| = %d, not 127", seed, amax);
    if (!(fabs(s - se) <= 0x1p-16 * se)) tap_fail("seed %d: scale %a, exact %a", seed, (double)s, se);
  }
  tap_check(k->name, "max|q| = 127 and the scale within 2^-16 of the exact max|y| / 127 on 20 rows");
}

/* rows at strides with gaps, scales beside: the bits of one-row calls */
static void test_layout(const nb_kernel *k) {
  const size_t xs = D + 3, ys = D + 5;
  double x[ROWS * (D + 3)], g[D];
  for (size_t r = 0; r < ROWS; r++) base_row(x + r * xs, g, 100 + r);
  x[2 * xs + 4] = NAN; /* the last row special: it must not reach the others */
  void *xst = stored(k->dtype, x, ROWS * xs), *gs = stored(k->dtype, g, D);
  uint8_t y[ROWS * (D + 5)], y1[D];
  float s[ROWS], s1;
  memset(y, 0x5a, sizeof y);
  int rc = nb_run(k, xst, gs, k->op == NB_RMSNORM_I8 ? s : NULL, y, ROWS, D, xs, ys, 1e-5f);
  if (rc) tap_fail("nb_run: %s", nb_strerror(rc));
  for (size_t r = 0; r < ROWS && !rc; r++) {
    double xr[D];
    for (int i = 0; i < D; i++) xr[i] = get(k->dtype, xst, r * xs + i);
    run1(k, xr, g, 1e-5f, y1, &s1);
    if (memcmp(y + r * ys, y1, D)) tap_fail("row %zu differs from its one-row call", r);
    if (k->op == NB_RMSNORM_I8 && memcmp(&s[r], &s1, 4))
      tap_fail("row %zu: scale %a, one-row %a", r, (double)s[r], (double)s1);
    for (size_t i = D; i < ys && r + 1 < ROWS; i++)
      if (y[r * ys + i] != 0x5a) tap_fail("row %zu: gap byte %zu written", r, i);
  }
  uint8_t yn[ROWS * (D + 5)];
  memset(yn, 0x5a, sizeof yn);
  if (nb_run(k, xst, gs, NULL, yn, ROWS, D, xs, ys, 1e-5f) || memcmp(y, yn, sizeof y))
    tap_fail("scales NULL: not the same q");
  free(xst);
  free(gs);
  tap_check(k->name, "rows at strides (gaps untouched, scales NULL too) give the bits of one-row calls");
  /* element-aligned, vector-misaligned x and g, y at an odd byte: the
   * aligned call's bits, y's neighbours untouched */
  size_t sz = nb_dtype_size(k->dtype), n = 2 * D + 40;
  double xa[2 * D + 40], ga[D + 8];
  for (size_t i = 0; i < n; i++) xa[i] = (double)((i * 7919) % 61) / 16 - 1.8;
  for (size_t i = 0; i < D + 8; i++) ga[i] = 0.75 + (double)(i % 5) / 8;
  void *xa_s = stored(k->dtype, xa, n), *ga_s = stored(k->dtype, ga, D + 8);
  uint8_t ya[2 * D + 64], yb[2 * D + 64];
  float sa[2], sb[2];
  for (size_t off = 1; off < 4; off++) {
    memset(ya, 0x33, sizeof ya), memset(yb, 0x33, sizeof yb);
    int r1 = nb_run(k, (char *)xa_s + 3 * off * sz, (char *)ga_s + off * sz, k->op == NB_RMSNORM_I8 ? sa : NULL,
                    ya + 8 + off, 2, D, D, D, 1e-5f);
    void *xc = malloc(2 * D * sz), *gc = malloc(D * sz);
    memcpy(xc, (char *)xa_s + 3 * off * sz, 2 * D * sz), memcpy(gc, (char *)ga_s + off * sz, D * sz);
    int r2 = nb_run(k, xc, gc, k->op == NB_RMSNORM_I8 ? sb : NULL, yb + 8, 2, D, D, D, 1e-5f);
    if (r1 || r2 || memcmp(ya + 8 + off, yb + 8, 2 * D) || (k->op == NB_RMSNORM_I8 && memcmp(sa, sb, sizeof sa)))
      tap_fail("offset %zu: not the aligned call's bits", off);
    for (size_t i = 0; i < sizeof ya; i++)
      if ((i < 8 + off || i >= 8 + off + 2 * D) && ya[i] != 0x33)
        tap_fail("offset %zu: byte %zu outside y written", off, i);
    free(xc), free(gc);
  }
  free(xa_s), free(ga_s);
  tap_check(k->name, "misaligned x, g and y give the aligned bits, y's neighbours untouched");
}

static void test_special(const nb_kernel *k) {
  double x[D], g[D], x0[D], g0[D];
  uint8_t y[D];
  float s;
  int i8 = k->op == NB_RMSNORM_I8;
  base_row(x0, g0, 7);
  /* zero row; eps = inf */
  for (int c = 0; c < 2; c++) {
    memcpy(g, g0, sizeof g);
    for (int i = 0; i < D; i++) x[i] = c ? x0[i] : 0;
    run1(k, x, g, c ? INFINITY : 0.0f, y, &s);
    for (int i = 0; i < D; i++)
      if ((i8 && y[i] != 0) || (!i8 && (y[i] & 0x7f) != 0))
        tap_fail("%s: q[%d] = %#x, not 0", c ? "eps inf" : "zero row", i, y[i]);
    if (i8 && s != 0) tap_fail("%s: scale %a, not 0", c ? "eps inf" : "zero row", (double)s);
  }
  /* NaN, inf in x at 5; NaN, inf in g at 5 */
  for (int c = 0; c < 4; c++) {
    memcpy(x, x0, sizeof x);
    memcpy(g, g0, sizeof g);
    double bad = c % 2 ? INFINITY : NAN;
    if (c < 2) x[5] = bad;
    else g[5] = bad;
    run1(k, x, g, 1e-5f, y, &s);
    const char *what[] = {"NaN in x", "inf in x", "NaN in g", "inf in g"};
    if (i8) {
      for (int i = 0; i < D; i++)
        if (y[i]) tap_fail("%s: q[%d] = %d, not 0", what[c], i, (int8_t)y[i]);
      if (c == 3 ? s != INFINITY : !isnan(s)) tap_fail("%s: scale %a", what[c], (double)s);
      continue;
    }
    for (int i = 0; i < D; i++) {
      float v = nb_e4m3_to_f32(y[i]);
      int nanv = isnan(v);
      int want_nan = c == 0 || ((c == 1 || c == 2) && i == 5);
      if (nanv != want_nan) tap_fail("%s: y[%d] = %a", what[c], i, (double)v);
      if (c == 1 && i != 5 && v != 0) tap_fail("%s: y[%d] = %a, not +-0", what[c], i, (double)v);
      if (c == 3 && i == 5 && fabsf(v) != 448) tap_fail("%s: y[5] = %a, not +-448", what[c], (double)v);
    }
  }
  if (!i8) { /* overflow saturates */
    for (int i = 0; i < D; i++) g[i] = 1e4;
    run1(k, x0, g, 1e-5f, y, &s);
    int sat = 0;
    for (int i = 0; i < D; i++) sat += (y[i] & 0x7f) == 0x7e;
    if (sat == 0) tap_fail("g = 1e4: no output saturated to 448");
    for (int i = 0; i < D; i++)
      if ((y[i] & 0x7f) == 0x7f) tap_fail("g = 1e4: y[%d] NaN", i);
  }
  tap_check(k->name, "zero row, eps = inf, NaN and inf in x and g, saturation");
}

static void test_api(const nb_kernel *k) {
  size_t sz = nb_dtype_size(k->dtype);
  char *buf = calloc(4 * D, sz + 4);
  float s[2];
  int rc = nb_run(k, buf, buf, NULL, buf, 1, D, D, D, 1e-5f);
  if (rc != NB_EOVERLAP) tap_fail("in place: %s", nb_strerror(rc));
  if (k->op == NB_RMSNORM_I8) {
    char *y = buf + 2 * D * sz;
    rc = nb_run(k, buf, buf, y + 4, y, 1, D, D, D, 1e-5f);
    if (rc != NB_EOVERLAP) tap_fail("scales over y: %s", nb_strerror(rc));
    rc = nb_run(k, buf, buf, (char *)s + 1, y, 1, D, D, D, 1e-5f);
    if (rc != NB_EINVAL) tap_fail("misaligned scales: %s", nb_strerror(rc));
  }
  free(buf);
  tap_check(k->name, "in place, overlapping or misaligned scales refused");
}

/* One public entry against nb_run on nb_choose's kernel, on copies. */
static void test_entry(nb_op op, nb_dtype dt, int (*call)(const void *, void *, const void *, void *)) {
  const nb_kernel *k = nb_choose(op, dt, D, NULL);
  double x[2 * D], g[D], r[2 * D];
  base_row(x, g, 31), base_row(x + D, r, 32), base_row(r, r + D, 33);
  void *xs = stored(dt, x, 2 * D), *gs = stored(dt, g, D), *r1 = stored(dt, r, 2 * D), *r2 = stored(dt, r, 2 * D);
  size_t ysz = nb_out_size(op, dt);
  char y1[2 * D * 4], y2[2 * D * 4];
  float s1[2] = {0, 0}, s2[2] = {0, 0};
  memset(y1, 0, sizeof y1), memset(y2, 0, sizeof y2);
  void *b1 = op == NB_ADDRMSNORM ? r1 : op == NB_RMSNORM_I8 ? (void *)s1 : NULL;
  void *b2 = op == NB_ADDRMSNORM ? r2 : op == NB_RMSNORM_I8 ? (void *)s2 : NULL;
  int rc1 = k ? nb_run(k, xs, gs, b1, y1, 2, D, D, D, 1e-5f) : -100;
  int rc2 = call(xs, b2, gs, y2);
  int ok = rc1 == NB_OK && rc2 == NB_OK && !memcmp(y1, y2, 2 * D * ysz) && !memcmp(s1, s2, sizeof s1) &&
           !memcmp(r1, r2, 2 * D * nb_dtype_size(dt));
  tap_ok(ok, "nb_%s_%s: the bits of nb_run on %s (rc %d, %d)", nb_op_name(op), nb_dtype_name(dt),
         k ? k->name : "(none)", rc1, rc2);
  free(xs), free(gs), free(r1), free(r2);
}
#define ENTRY(fn, T, Y, B)                                                     \
  static int call_##fn(const void *x, void *b, const void *g, void *y) {       \
    return fn((const T *)x, B, (const T *)g, (Y *)y, 2, D, D, D, 1e-5f);     \
  }
#define ENTRY_NB(fn, T, Y)                                                     \
  static int call_##fn(const void *x, void *b, const void *g, void *y) {       \
    (void)b;                                                                   \
    return fn((const T *)x, (const T *)g, (Y *)y, 2, D, D, D, 1e-5f);        \
  }
ENTRY(nb_addrmsnorm_f32, float, float, (float *)b)
ENTRY(nb_addrmsnorm_f16, uint16_t, uint16_t, (uint16_t *)b)
ENTRY(nb_addrmsnorm_bf16, uint16_t, uint16_t, (uint16_t *)b)
ENTRY(nb_rmsnorm_i8_f32, float, int8_t, (float *)b)
ENTRY(nb_rmsnorm_i8_f16, uint16_t, int8_t, (float *)b)
ENTRY(nb_rmsnorm_i8_bf16, uint16_t, int8_t, (float *)b)
ENTRY_NB(nb_rmsnorm1p_f32, float, float)
ENTRY_NB(nb_rmsnorm1p_f16, uint16_t, uint16_t)
ENTRY_NB(nb_rmsnorm1p_bf16, uint16_t, uint16_t)
ENTRY_NB(nb_rmsnorm_e4m3_f32, float, uint8_t)
ENTRY_NB(nb_rmsnorm_e4m3_f16, uint16_t, uint8_t)
ENTRY_NB(nb_rmsnorm_e4m3_bf16, uint16_t, uint8_t)

static void test_entries(void) {
  test_entry(NB_ADDRMSNORM, NB_F32, call_nb_addrmsnorm_f32);
  test_entry(NB_ADDRMSNORM, NB_F16, call_nb_addrmsnorm_f16);
  test_entry(NB_ADDRMSNORM, NB_BF16, call_nb_addrmsnorm_bf16);
  test_entry(NB_RMSNORM1P, NB_F32, call_nb_rmsnorm1p_f32);
  test_entry(NB_RMSNORM1P, NB_F16, call_nb_rmsnorm1p_f16);
  test_entry(NB_RMSNORM1P, NB_BF16, call_nb_rmsnorm1p_bf16);
  test_entry(NB_RMSNORM_I8, NB_F32, call_nb_rmsnorm_i8_f32);
  test_entry(NB_RMSNORM_I8, NB_F16, call_nb_rmsnorm_i8_f16);
  test_entry(NB_RMSNORM_I8, NB_BF16, call_nb_rmsnorm_i8_bf16);
  test_entry(NB_RMSNORM_E4M3, NB_F32, call_nb_rmsnorm_e4m3_f32);
  test_entry(NB_RMSNORM_E4M3, NB_F16, call_nb_rmsnorm_e4m3_f16);
  test_entry(NB_RMSNORM_E4M3, NB_BF16, call_nb_rmsnorm_e4m3_bf16);
}

int main(void) {
  test_entries();
  test_e4m3();
  test_isa();
  size_t n = 0;
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (!nb_op_quantized(k->op) || !nb_kernel_runs_here(k)) continue;
    n++;
    if (k->op == NB_RMSNORM_I8) test_scales(k);
    test_layout(k);
    test_special(k);
    test_api(k);
  }
  tap_ok(n > 0, "%zu quantized kernels run here", n);
  return tap_done();
}
