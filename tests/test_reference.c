/* Tests of the MPFR reference itself: hand-computed rows, invariances,
 * every bf16 value at D = 1 against an independent long-double
 * computation, agreement with long double on well-conditioned rows, and
 * stability under doubled working precision on hard rows. */
#include "gen.h"
#include "reference.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double cr1(nb_op op, nb_dtype dt, const double *x, const double *g, const double *b,
                  size_t d, float eps, size_t i, double *v_out) {
  double v[16], cr[16];
  nb_ref_row(op, dt, x, g, b, d, eps, v, cr);
  if (v_out) *v_out = v[i];
  return cr[i];
}

static void hand_computed(void) {
  double x[] = {1, 7}, g[] = {1, 1}, v;
  /* mean square 25, rms 5: y = 0.2, 1.4; bit patterns worked out by hand */
  tap_ok(cr1(NB_RMSNORM, NB_F32, x, g, NULL, 2, 0, 0, &v) == (double)0.2f && v == 0.2,
         "rmsnorm [1,7] f32: 0.2");
  tap_ok(cr1(NB_RMSNORM, NB_F16, x, g, NULL, 2, 0, 0, NULL) == 0.199951171875, "f16(0.2) = 0x3266");
  tap_ok(cr1(NB_RMSNORM, NB_F16, x, g, NULL, 2, 0, 1, NULL) == 1.400390625, "f16(1.4) = 0x3d9a");
  tap_ok(cr1(NB_RMSNORM, NB_BF16, x, g, NULL, 2, 0, 0, NULL) == 0.2001953125, "bf16(0.2) = 0x3e4d");
  tap_ok(cr1(NB_RMSNORM, NB_BF16, x, g, NULL, 2, 0, 1, NULL) == 1.3984375, "bf16(1.4) = 0x3fb3");

  double xl[] = {1, 3}, gl[] = {2, 2}, bl[] = {0.5, 0.5};
  tap_ok(cr1(NB_LAYERNORM, NB_F32, xl, gl, bl, 2, 0, 0, NULL) == -1.5 &&
             cr1(NB_LAYERNORM, NB_F32, xl, gl, bl, 2, 0, 1, NULL) == 2.5,
         "layernorm [1,3], g 2, b 0.5: [-1.5, 2.5]");
  double x4[] = {0, 0, 0, 4}, g4[] = {1, 1, 1, 1};
  tap_ok(cr1(NB_LAYERNORM, NB_F32, x4, g4, NULL, 4, 0, 3, NULL) == (double)sqrtf(3.0f),
         "layernorm [0,0,0,4]: y_3 = sqrt(3), correctly rounded");
  tap_ok(cr1(NB_LAYERNORM, NB_F32, x4, g4, NULL, 4, 0, 0, NULL) == (double)(float)(-1 / sqrtl(3)),
         "layernorm [0,0,0,4]: y_0 = -1/sqrt(3)");

  /* eps is the float value: 1e-5f = 9.99999974738e-06, not 1e-5 */
  double xe[] = {1e-3}, ge[] = {1};
  cr1(NB_RMSNORM, NB_F32, xe, ge, NULL, 1, 1e-5f, 0, &v);
  double want = (double)(1e-3L / sqrtl(1e-6L + (long double)1e-5f));
  double wrong = (double)(1e-3L / sqrtl(1e-6L + 1e-5L));
  tap_ok(fabs(v - want) <= 2 * nb_ulp(want, NB_F32) * 0x1p-29 && v != wrong,
         "eps taken as the float 1e-5f, not the decimal 1e-5");

  /* zero denominator: the row normalizes to zero (LayerNorm: exactly b) */
  double z[] = {0, 0, 0}, gz[] = {1, 2, 3}, c5[] = {5, 5, 5}, bz[] = {0.25, -1, 3};
  tap_ok(cr1(NB_RMSNORM, NB_F32, z, gz, NULL, 3, 0, 1, NULL) == 0, "all-zero row, eps 0: 0");
  tap_ok(cr1(NB_LAYERNORM, NB_F32, c5, gz, bz, 3, 0, 2, NULL) == 3, "constant row, eps 0: b");
  tap_ok(cr1(NB_LAYERNORM, NB_F32, c5, gz, bz, 3, 1e-5f, 1, NULL) == -1, "constant row: b");
  double xi[] = {1, INFINITY, 2}, gi[] = {1, 1, 1};
  tap_ok(cr1(NB_RMSNORM, NB_F32, xi, gi, NULL, 3, 0, 0, NULL) == 0 &&
             isnan(cr1(NB_RMSNORM, NB_F32, xi, gi, NULL, 3, 0, 1, NULL)),
         "rmsnorm with an infinity: 0 at finite x, NaN at the infinity");
  tap_ok(isnan(cr1(NB_LAYERNORM, NB_F32, xi, gi, NULL, 3, 0, 0, NULL)),
         "layernorm with an infinity: NaN");
  double xn[] = {1, NAN, 2};
  tap_ok(isnan(cr1(NB_RMSNORM, NB_F32, xn, gi, NULL, 3, 0, 2, NULL)), "a NaN makes the row NaN");
  /* huge: the sum of squares overflows f32, not the reference */
  double xh[] = {3e38, -3e38}, gh[] = {1, 1};
  tap_ok(cr1(NB_RMSNORM, NB_F32, xh, gh, NULL, 2, 0, 0, NULL) == 1, "rmsnorm [3e38, -3e38]: 1");
}

static void metrics(void) {
  tap_ok(nb_ulp(1.0, NB_F32) == 0x1p-23 && nb_ulp(1.0, NB_F16) == 0x1p-10 &&
             nb_ulp(1.0, NB_BF16) == 0x1p-7 && nb_ulp(0, NB_F16) == 0x1p-24 &&
             nb_ulp(1e-6, NB_F16) == 0x1p-24 && nb_ulp(0, NB_F32) == 0x1p-149 &&
             nb_ulp(0x1p-130, NB_BF16) == 0x1p-133 && nb_ulp(-3.0, NB_F32) == 0x1p-22,
         "ulp in each format, subnormal floors");
  tap_ok(nb_err(1 + 0x1p-23, 1, NB_F32) == 1 && nb_err(1, 1 + 0x1p-24, NB_F32) == 0.5,
         "componentwise error");
  tap_ok(nb_err_floored(1e-6 + 0x1p-23, 1e-6, -1.0, NB_F32) == 1, "floored error uses ulp(|g|)");
  tap_ok(nb_err(NAN, NAN, NB_F32) == 0 && isinf(nb_err(NAN, 1, NB_F32)) &&
             isinf(nb_err(1, NAN, NB_F32)) && nb_err(INFINITY, 1e39, NB_F32) == 0,
         "NaN classes and overflow to infinity");
  tap_ok(nb_is_cr(0.0, -0.0) && nb_is_cr(NAN, NAN) && !nb_is_cr(1, NAN), "correctly rounded test");
}

/* Round a long double once to bf16 (p = 8, smallest normal 2^-126). */
static double ld_to_bf16(long double a) {
  if (isnan(a) || isinf(a) || a == 0) return (double)a;
  int e;
  frexpl(fabsl(a), &e);
  int ex = e - 1 < -126 ? -126 : e - 1;
  long double q = ldexpl(1.0L, ex - 7);
  long double r = nearbyintl(a / q) * q;
  return fabsl(r) > 0x1.fep127L ? copysign(INFINITY, (double)a) : (double)r;
}

static void all_bf16(void) {
  size_t bad = 0, bad_ln = 0;
  unsigned first = 0;
  for (unsigned h = 0; h < 65536; h++) {
    double x = nb_bf16_to_f32((uint16_t)h), g = 0.75, b = -0.125, v, cr;
    nb_ref_row(NB_RMSNORM, NB_BF16, &x, &g, NULL, 1, 1e-5f, &v, &cr);
    long double e = isinf(x) || isnan(x) ? NAN : 0.75L * x / sqrtl((long double)x * x + (long double)1e-5f);
    double want = ld_to_bf16(e);
    if (!nb_is_cr(cr, want) || (!isnan(cr) && signbit(cr) != signbit(want))) {
      if (!bad) first = h;
      bad++;
    }
    nb_ref_row(NB_LAYERNORM, NB_BF16, &x, &g, &b, 1, 1e-5f, &v, &cr);
    if (!(isfinite(x) ? cr == -0.125 : isnan(cr))) bad_ln++;
  }
  tap_ok(bad == 0, "all 2^16 bf16 values at D = 1: rmsnorm matches long double (%zu differ, first 0x%04x)",
         bad, first);
  tap_ok(bad_ln == 0, "all 2^16 bf16 values at D = 1: layernorm gives b (%zu differ)", bad_ln);
}

static double *as_double(const float *f, size_t n) {
  double *d = malloc(n * sizeof *d);
  for (size_t i = 0; i < n; i++) d[i] = f[i];
  return d;
}

static void long_double_agreement(void) {
  size_t ds[] = {3, 64, 1000};
  for (size_t k = 0; k < 3; k++) {
    size_t d = ds[k];
    float *xf = malloc(d * 4), *gf = malloc(d * 4), *bf = malloc(d * 4);
    nb_gen_row(nb_dist_find("normal"), NB_F32, 7, 0, d, xf);
    nb_gen_params(NB_F32, 7, d, gf, bf);
    double *x = as_double(xf, d), *g = as_double(gf, d), *b = as_double(bf, d);
    double *v = malloc(d * 8), *cr = malloc(d * 8);
    for (int op = 0; op < 2; op++) {
      long double mu = 0, m2 = 0;
      for (size_t i = 0; i < d; i++) mu += x[i];
      mu = op ? mu / d : 0;
      for (size_t i = 0; i < d; i++) m2 += (x[i] - mu) * (x[i] - mu);
      long double r = 1 / sqrtl(m2 / d + (long double)1e-5f);
      nb_ref_row((nb_op)op, NB_F32, x, g, op ? b : NULL, d, 1e-5f, v, cr);
      double worst = 0;
      for (size_t i = 0; i < d; i++) {
        long double y = g[i] * (x[i] - mu) * r + (op ? b[i] : 0);
        worst = fmax(worst, (double)(fabsl(y - v[i]) / fmaxl(fabsl(y), fabs(g[i]))));
      }
      tap_ok(worst < 0x1p-50, "%s D=%zu agrees with long double (rel %.2g)", op ? "layernorm" : "rmsnorm",
             d, worst);
    }
    free(xf), free(gf), free(bf), free(x), free(g), free(b), free(v), free(cr);
  }
}

static void invariances(void) {
  size_t d = 257;
  float *xf = malloc(d * 4), *gf = malloc(d * 4), *bf = malloc(d * 4);
  nb_gen_row(nb_dist_find("massive4"), NB_F32, 3, 0, d, xf);
  nb_gen_params(NB_F32, 3, d, gf, bf);
  double *x = as_double(xf, d), *g = as_double(gf, d), *b = as_double(bf, d), *xs = malloc(d * 8);
  double *v0 = malloc(d * 8), *c0 = malloc(d * 8), *v1 = malloc(d * 8), *c1 = malloc(d * 8);
  nb_ref_row(NB_RMSNORM, NB_F32, x, g, NULL, d, 0, v0, c0);
  int same = 1;
  for (int k = -40; k <= 40; k += 20) {
    for (size_t i = 0; i < d; i++) xs[i] = ldexp(x[i], k);
    nb_ref_row(NB_RMSNORM, NB_F32, xs, g, NULL, d, 0, v1, c1);
    same &= !memcmp(v0, v1, d * 8) && !memcmp(c0, c1, d * 8);
  }
  tap_ok(same, "rmsnorm(2^k x) = rmsnorm(x), eps 0, k = -40..40");
  for (size_t i = 0; i < d; i++) x[i] = (double)((int)(x[i] * 8) % 800) / 8; /* exact shifts below */
  nb_ref_row(NB_LAYERNORM, NB_F32, x, g, b, d, 1e-5f, v0, c0);
  same = 1;
  for (double c = -4096; c <= 4096; c += 2048) {
    for (size_t i = 0; i < d; i++) xs[i] = x[i] + c;
    nb_ref_row(NB_LAYERNORM, NB_F32, xs, g, b, d, 1e-5f, v1, c1);
    same &= !memcmp(v0, v1, d * 8) && !memcmp(c0, c1, d * 8);
  }
  tap_ok(same, "layernorm(x + c) = layernorm(x) for exact shifts c");
  /* exact statistics: m +- 1/4, eps 0: y = +-g + b exactly */
  nb_gen_row(nb_dist_find("exactstat"), NB_F32, 5, 0, 256, xf);
  for (size_t i = 0; i < 256; i++) x[i] = xf[i];
  nb_ref_row(NB_LAYERNORM, NB_F32, x, g, b, 256, 0, v0, c0);
  same = 1;
  for (size_t i = 0; i < 256; i++) same &= v0[i] == (i % 2 ? g[i] : -g[i]) + b[i];
  tap_ok(same, "exact-statistics rows: y = +-g + b exactly");
  free(xf), free(gf), free(bf), free(x), free(g), free(b), free(xs);
  free(v0), free(c0), free(v1), free(c1);
}

/* Doubling MPFR's working precision must not change any result: the
 * reference's own error is below what the metrics can see. */
static void precision_stable(void) {
  const char *hard[] = {"shift1e4", "ramp40000", "massive4", "huge", "tiny", "subnormal", "constmag"};
  size_t d = 300;
  float *xf = malloc(d * 4), *gf = malloc(d * 4), *bf = malloc(d * 4);
  double *v0 = malloc(d * 8), *c0 = malloc(d * 8), *v1 = malloc(d * 8), *c1 = malloc(d * 8);
  for (size_t h = 0; h < sizeof hard / sizeof *hard; h++)
    for (int dt = 0; dt < 3; dt++) {
      nb_gen_row(nb_dist_find(hard[h]), (nb_dtype)dt, 11, 0, d, xf);
      nb_gen_params((nb_dtype)dt, 11, d, gf, bf);
      double *x = as_double(xf, d), *g = as_double(gf, d), *b = as_double(bf, d);
      int same = 1;
      for (int op = 0; op < 2; op++) {
        nb_ref_row_prec((nb_op)op, (nb_dtype)dt, x, g, b, d, 1e-5f, v0, c0, 256);
        nb_ref_row_prec((nb_op)op, (nb_dtype)dt, x, g, b, d, 1e-5f, v1, c1, 1024);
        same &= !memcmp(v0, v1, d * 8) && !memcmp(c0, c1, d * 8);
      }
      tap_ok(same, "%s %s: same results at 256 and 1024 bits", hard[h], nb_dtype_name((nb_dtype)dt));
      free(x), free(g), free(b);
    }
  free(xf), free(gf), free(bf), free(v0), free(c0), free(v1), free(c1);
}

int main(void) {
  hand_computed();
  metrics();
  all_bf16();
  long_double_agreement();
  invariances();
  precision_stable();
  return tap_done();
}
