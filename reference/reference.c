/* The exact reference of ACCURACY.md, with MPFR.
 *
 * Inputs are the stored values, taken as exact. RMSNorm: squares exact at
 * 2*53 bits, summed by mpfr_sum (correctly rounded: the squares of f32
 * values span ~550 bits, a running sum would lose bits), the rest at
 * NB_REF_PREC bits. LayerNorm: the mean by mpfr_sum at 2*NB_REF_PREC bits,
 * x_i - mu at that precision, then as RMSNorm. Each output is rounded ONCE
 * into the output format, with its precision, exponent range and
 * subnormals. Special values follow IEEE evaluation of the formula, plus
 * the zero-denominator convention of normbench.h. */
#include "reference.h"

#include <math.h>
#include <mpfr.h>
#include <stdlib.h>

#define NB_REF_PREC 256

typedef struct {
  int p;    /* significand bits */
  int emin; /* exponent of the smallest normal */
  double max;
} fmt_info;

static fmt_info fmt_of(nb_dtype dt) {
  switch (dt) {
  case NB_F16: return (fmt_info){11, -14, 65504.0};
  case NB_BF16: return (fmt_info){8, -126, 0x1.fep127};
  default: return (fmt_info){24, -126, 0x1.fffffep127};
  }
}

/* Round y once into the format: MPFR's exponent range is set to the
 * format's (mpfr_exp_t counts the significand in [1/2, 1)), then
 * check_range and subnormalize give overflow and gradual underflow. */
static double round_to_fmt(const mpfr_t y, nb_dtype dt) {
  fmt_info f = fmt_of(dt);
  mpfr_exp_t emin = mpfr_get_emin(), emax = mpfr_get_emax();
  mpfr_t t;
  mpfr_init2(t, f.p);
  mpfr_set_emin(f.emin - f.p + 2);
  mpfr_set_emax(f.emin == -14 ? 16 : 128);
  int inex = mpfr_set(t, y, MPFR_RNDN);
  inex = mpfr_check_range(t, inex, MPFR_RNDN);
  mpfr_subnormalize(t, inex, MPFR_RNDN);
  mpfr_set_emin(emin);
  mpfr_set_emax(emax);
  double r = mpfr_get_d(t, MPFR_RNDN); /* exact: p <= 24 bits, in double's range */
  mpfr_clear(t);
  return r;
}

/* Sum of the d values in a[] (each already exact), correctly rounded. */
static void sum_exact(mpfr_t s, mpfr_t *a, size_t d) {
  mpfr_ptr *p = malloc(d * sizeof *p);
  for (size_t i = 0; i < d; i++) p[i] = a[i];
  mpfr_sum(s, p, d, MPFR_RNDN);
  free(p);
}

/* ---- deciding a rounding exactly ------------------------------------------
 * A 256-bit y cannot tell on which side of a rounding boundary m of the
 * output format an exact result lies when it is (or is within 2^-240 of)
 * m: exact midpoints are common (y = 3g/4 with ms + eps a perfect square).
 * There the reference decides exactly, from integers that MPFR holds
 * without rounding (precisions large enough for every product):
 *   y - b = g (D x - S1) / sqrt(Q),  Q = D S2 - S1^2 + D^2 eps
 * (S1 = 0 for RMSNorm), so y > m  <=>  g (D x - S1) > (m - b) sqrt(Q):
 * signs, then squares. */
#define NB_EXACT_PREC 4096

typedef struct {
  int ready;
  mpfr_t s1, q; /* exact */
} exact_stats;

static void exact_init(exact_stats *e, int ln, const double *x, size_t d, float eps) {
  mpfr_t *a = malloc(d * sizeof *a), t;
  mpfr_inits2(NB_EXACT_PREC, e->s1, e->q, t, NULL);
  for (size_t i = 0; i < d; i++) {
    mpfr_init2(a[i], 64);
    mpfr_set_d(a[i], ln ? x[i] : 0.0, MPFR_RNDN);
  }
  sum_exact(e->s1, a, d); /* exact: 4096 bits hold any sum of f32 values */
  for (size_t i = 0; i < d; i++) {
    mpfr_set_prec(a[i], 128);
    mpfr_set_d(a[i], x[i], MPFR_RNDN);
    mpfr_sqr(a[i], a[i], MPFR_RNDN); /* exact */
  }
  sum_exact(e->q, a, d);
  mpfr_mul_ui(e->q, e->q, (unsigned long)d, MPFR_RNDN);
  mpfr_sqr(t, e->s1, MPFR_RNDN);
  mpfr_sub(e->q, e->q, t, MPFR_RNDN);
  mpfr_set_d(t, (double)eps, MPFR_RNDN);
  mpfr_mul_ui(t, t, (unsigned long)d, MPFR_RNDN);
  mpfr_mul_ui(t, t, (unsigned long)d, MPFR_RNDN);
  mpfr_add(e->q, e->q, t, MPFR_RNDN);
  for (size_t i = 0; i < d; i++) mpfr_clear(a[i]);
  free(a);
  mpfr_clear(t);
  e->ready = 1;
}

/* the sign of y_i - m, exactly */
static int exact_cmp(const exact_stats *e, size_t d, double x, double g, double b, double m) {
  mpfr_t n, a, t;
  mpfr_inits2(2 * NB_EXACT_PREC, n, a, t, NULL);
  mpfr_set_d(n, x, MPFR_RNDN);
  mpfr_mul_ui(n, n, (unsigned long)d, MPFR_RNDN);
  mpfr_sub(n, n, e->s1, MPFR_RNDN);
  mpfr_mul_d(n, n, g, MPFR_RNDN);
  mpfr_set_d(a, m, MPFR_RNDN);
  mpfr_sub_d(a, a, b, MPFR_RNDN);
  int sn = mpfr_sgn(n), sa = mpfr_sgn(a), r;
  sn = (sn > 0) - (sn < 0);
  sa = (sa > 0) - (sa < 0);
  if (sn != sa) {
    r = sn > sa ? 1 : -1;
  } else if (sn == 0) {
    r = 0;
  } else {
    mpfr_sqr(n, n, MPFR_RNDN);
    mpfr_sqr(a, a, MPFR_RNDN);
    mpfr_mul(a, a, e->q, MPFR_RNDN);
    r = mpfr_cmp(n, a);
    r = (r > 0) - (r < 0);
    if (sn < 0) r = -r;
  }
  mpfr_clears(n, a, t, NULL);
  return r;
}

/* the next format value above |c| (c a non-negative format value) */
static double fmt_up(double c, nb_dtype dt) {
  fmt_info f = fmt_of(dt);
  return c == f.max ? INFINITY : c + nb_ulp(c, dt);
}
/* the next below (c > 0; inf gives max) */
static double fmt_down(double c, nb_dtype dt) {
  fmt_info f = fmt_of(dt);
  if (isinf(c)) return f.max;
  int e;
  frexp(c, &e);
  double below = (c == ldexp(1, e - 1) && e - 1 > f.emin) ? nb_ulp(c, dt) / 2 : nb_ulp(c, dt);
  return c - below;
}
/* the boundary between adjacent non-negative format values lo < hi */
static double fmt_mid(double lo, double hi, nb_dtype dt) {
  return isinf(hi) ? lo + nb_ulp(lo, dt) / 2 : (lo + hi) / 2;
}
/* the even one of two adjacent non-negative format values */
static double fmt_even(double lo, double hi, nb_dtype dt) {
  if (isinf(hi) || lo == 0) return isinf(hi) ? hi : lo;
  return fmod(lo / nb_ulp(lo, dt), 2) == 0 ? lo : hi;
}

/* The correctly rounded value of y_i: cr0 is y's rounding into the format,
 * err a bound on |y - exact|. Only when the boundary next to y is within
 * err is the exact test needed. */
static double decide(double cr0, const mpfr_t y, double err, nb_dtype dt, exact_stats *e, int ln,
                     const double *xs, size_t d, float eps, size_t i, double g, double b) {
  if (isnan(cr0) || mpfr_zero_p(y)) return cr0;
  int neg = mpfr_sgn(y) < 0;
  double c = fabs(cr0);
  /* the boundary on y's side of c: y above c (in magnitude) or below */
  mpfr_t ay, dm;
  mpfr_inits2(mpfr_get_prec(y), ay, dm, NULL);
  mpfr_abs(ay, y, MPFR_RNDN);
  double lo, hi;
  if (isinf(c) || mpfr_cmp_d(ay, c) < 0) {
    lo = fmt_down(c, dt);
    hi = c;
  } else {
    lo = c;
    hi = fmt_up(c, dt);
  }
  double m = fmt_mid(lo, hi, dt);
  mpfr_sub_d(dm, ay, m, MPFR_RNDN);
  mpfr_abs(dm, dm, MPFR_RNDN);
  int close = mpfr_cmp_d(dm, err) <= 0;
  mpfr_clears(ay, dm, NULL);
  if (!close) return cr0;
  if (!e->ready) exact_init(e, ln, xs, d, eps);
  int s = exact_cmp(e, d, xs[i], g, b, neg ? -m : m);
  if (neg) s = -s; /* the sign of |y| - m */
  double r = s > 0 ? hi : s < 0 ? lo : fmt_even(lo, hi, dt);
  return neg ? -r : r;
}

/* AddRMSNorm and RMSNorm1p: RMSNorm of their input and gain (reference.h). */
static int ref_rms_of(nb_op op, nb_dtype out, const double *x, const double *g, const double *b,
                      size_t d, float eps, double *v, double *cr, mpfr_prec_t prec) {
  double *t = malloc((d ? d : 1) * sizeof *t);
  if (!t) return -1;
  int add = op == NB_ADDRMSNORM;
  for (size_t i = 0; i < d; i++) t[i] = add ? (b ? nb_ref_add(x[i], b[i], out) : x[i]) : nb_ref_add(1, g[i], NB_F32);
  int rc = nb_ref_row_prec(NB_RMSNORM, out, add ? t : x, add ? g : t, NULL, d, eps, v, cr, prec);
  free(t);
  return rc;
}

int nb_ref_row_prec(nb_op op, nb_dtype out, const double *x, const double *g, const double *b,
                    size_t d, float eps, double *v, double *cr, mpfr_prec_t prec) {
  if (op == NB_ADDRMSNORM || op == NB_RMSNORM1P) return ref_rms_of(op, out, x, g, b, d, eps, v, cr, prec);
  mpfr_t *t = malloc(d * sizeof *t);
  if (!t || d == 0) {
    free(t);
    return -1;
  }
  mpfr_t s, mu, den, r, y, gi;
  mpfr_inits2(2 * prec, s, mu, NULL);
  mpfr_inits2(prec, den, r, y, NULL);
  mpfr_init2(gi, 53);
  int ln = op == NB_LAYERNORM;

  /* t_i = x_i - mu (LayerNorm) or x_i, exact or at 2*prec bits */
  for (size_t i = 0; i < d; i++) mpfr_init2(t[i], 2 * prec);
  if (ln) {
    for (size_t i = 0; i < d; i++) mpfr_set_d(t[i], x[i], MPFR_RNDN);
    sum_exact(s, t, d);
    mpfr_div_ui(mu, s, d, MPFR_RNDN);
    for (size_t i = 0; i < d; i++) mpfr_sub(t[i], t[i], mu, MPFR_RNDN);
  } else {
    for (size_t i = 0; i < d; i++) mpfr_set_d(t[i], x[i], MPFR_RNDN);
  }

  /* den = mean(t^2) + eps; the squares reuse a second array */
  mpfr_t *sq = malloc(d * sizeof *sq);
  for (size_t i = 0; i < d; i++) {
    mpfr_init2(sq[i], 4 * prec);
    mpfr_sqr(sq[i], t[i], MPFR_RNDN); /* exact: 4*prec >= 2 * 2*prec */
  }
  sum_exact(s, sq, d);
  for (size_t i = 0; i < d; i++) mpfr_clear(sq[i]);
  free(sq);
  mpfr_div_ui(den, s, d, MPFR_RNDN);
  mpfr_add_d(den, den, (double)eps, MPFR_RNDN);
  if (mpfr_zero_p(den))
    mpfr_set_zero(r, 1); /* the row normalizes to zero */
  else
    mpfr_rec_sqrt(r, den, MPFR_RNDN);

  exact_stats ex = {0};
  int finite_row = 1;
  for (size_t i = 0; i < d; i++) finite_row &= isfinite(x[i]) != 0;
  for (size_t i = 0; i < d; i++) {
    mpfr_set_d(gi, g[i], MPFR_RNDN);
    mpfr_mul(y, t[i], r, MPFR_RNDN);
    mpfr_mul(y, y, gi, MPFR_RNDN);
    /* |y - exact| <= 2^(8 - prec) (|t r g| + |b|): a few roundings at prec */
    double err = ldexp(fabs(mpfr_get_d(y, MPFR_RNDN)), 8 - (int)prec);
    if (ln && b) {
      err += ldexp(fabs(b[i]), 8 - (int)prec);
      mpfr_add_d(y, y, b[i], MPFR_RNDN);
    }
    v[i] = mpfr_get_d(y, MPFR_RNDN);
    cr[i] = round_to_fmt(y, out);
    if (!mpfr_zero_p(r) && isfinite(x[i]) && isfinite(g[i]) && (!ln || !b || isfinite(b[i])) && finite_row)
      cr[i] = decide(cr[i], y, err, out, &ex, ln, x, d, eps, i, g[i], ln && b ? b[i] : 0);
    mpfr_clear(t[i]);
  }
  free(t);
  if (ex.ready) mpfr_clears(ex.s1, ex.q, NULL);
  mpfr_clears(s, mu, den, r, y, gi, NULL);
  return 0;
}

int nb_ref_row(nb_op op, nb_dtype out, const double *x, const double *g, const double *b,
               size_t d, float eps, double *v, double *cr) {
  return nb_ref_row_prec(op, out, x, g, b, d, eps, v, cr, NB_REF_PREC);
}

double nb_ulp(double v, nb_dtype dt) {
  fmt_info f = fmt_of(dt);
  int e = f.emin;
  if (v != 0 && isfinite(v)) {
    frexp(fabs(v), &e); /* |v| in [2^(e-1), 2^e) */
    e -= 1;
    if (e < f.emin) e = f.emin;
  }
  return ldexp(1.0, e - f.p + 1);
}

/* |v| at or beyond the format's overflow threshold: correctly rounds to inf */
static int overflows(double v, nb_dtype dt) {
  fmt_info f = fmt_of(dt);
  return fabs(v) >= f.max + nb_ulp(f.max, dt) / 2;
}

static double err_scaled(double y, double v, double scale_of, nb_dtype dt) {
  if (isnan(y) || isnan(v)) return isnan(y) && isnan(v) ? 0 : INFINITY;
  if (isinf(y)) return (signbit(y) == signbit(v) && (isinf(v) || overflows(v, dt))) ? 0 : INFINITY;
  if (isinf(v)) return INFINITY;
  return fabs(y - v) / nb_ulp(scale_of, dt);
}

double nb_err(double y, double v, nb_dtype dt) { return err_scaled(y, v, v, dt); }

double nb_err_floored(double y, double v, double g, nb_dtype dt) {
  double s = isfinite(g) && fabs(g) > fabs(v) ? fabs(g) : v;
  return err_scaled(y, v, s, dt);
}

int nb_is_cr(double y, double cr) { return (isnan(y) && isnan(cr)) || y == cr; }

/* Two stored values are exact at 320 bits (f32's values span 2^-149 to
 * 2^128), so the sum is exact and round_to_fmt rounds it once. */
double nb_ref_add(double a, double b, nb_dtype dt) {
  mpfr_t s, t;
  mpfr_inits2(320, s, t, NULL);
  mpfr_set_d(s, a, MPFR_RNDN);
  mpfr_set_d(t, b, MPFR_RNDN);
  mpfr_add(s, s, t, MPFR_RNDN);
  double r = round_to_fmt(s, dt);
  mpfr_clears(s, t, NULL);
  return r;
}

/* ---- the quantized ops (RMSNormI8, RMSNormE4M3) ----------------------------
 * Both start from the exact RMSNorm row, v (nb_ref_row with op NB_RMSNORM,
 * rounded to double). */

double nb_ref_i8_row(const double *v, size_t d, double *t, double *q) {
  double amax = 0;
  int nan = 0;
  for (size_t i = 0; i < d; i++) {
    nan |= isnan(v[i]);
    if (fabs(v[i]) > amax) amax = fabs(v[i]);
  }
  if (nan) amax = NAN;
  for (size_t i = 0; i < d; i++) {
    /* 127 v / amax in long double from doubles: within 127 2^-52 of the
     * exact quotient, far below any declared bound's margin */
    long double ti = amax > 0 && isfinite(amax) ? 127.0L * v[i] / amax : 0;
    t[i] = (double)ti;
    q[i] = nearbyint((double)ti);
  }
  return amax / 127;
}

double nb_ulp_e4m3(double v) {
  int e = -6;
  if (v != 0 && isfinite(v)) {
    frexp(fabs(v), &e);
    e -= 1;
    if (e < -6) e = -6;
  }
  return ldexp(1.0, e - 3);
}

double nb_err_e4m3(double y, double v) {
  if (isnan(y) || isnan(v)) return isnan(y) && isnan(v) ? 0 : INFINITY;
  double c = fmin(fmax(v, -448), 448); /* saturating: the clamped exact value */
  return fabs(y - c) / nb_ulp_e4m3(c);
}
