#include "gen.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* xoshiro256** seeded through splitmix64 */
static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void nb_rng_seed(nb_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t nb_rng_next(nb_rng *r) {
  uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

double nb_rng_uniform(nb_rng *r) { return (double)(nb_rng_next(r) >> 11) * 0x1p-53; }

/* ln(a) for a > 0 from frexp and the atanh series, so that no libm
 * function decides the bits of the generated inputs. */
static double ln(double a) {
  int e;
  double m = frexp(a, &e); /* a = m 2^e, m in [0.5, 1) */
  if (m < 0.7071067811865476) {
    m *= 2;
    e -= 1;
  }
  double t = (m - 1) / (m + 1), t2 = t * t, term = t, sum = 0;
  for (int k = 1; k < 60; k += 2) {
    sum += term / k;
    term *= t2;
  }
  return 2 * sum + e * 0.6931471805599453;
}

double nb_rng_normal(nb_rng *r) {
  for (;;) {
    double u = 2 * nb_rng_uniform(r) - 1, v = 2 * nb_rng_uniform(r) - 1, s = u * u + v * v;
    if (s > 0 && s < 1) return u * sqrt(-2 * ln(s) / s);
  }
}

float nb_to_dtype(double v, nb_dtype dt) {
  switch (dt) {
  case NB_F16: return nb_f16_to_f32(nb_f64_to_f16(v));
  case NB_BF16: return nb_bf16_to_f32(nb_f64_to_bf16(v));
  default: return (float)v;
  }
}

/* ---- the distributions ------------------------------------------------- */

static double fmt_max(nb_dtype dt) { return dt == NB_F16 ? 65504.0 : FLT_MAX; }

static void normal(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds, (void)dt;
  for (size_t i = 0; i < d; i++) x[i] = nb_rng_normal(r);
}

/* mean shift: mu/sigma = param */
static void shift(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)dt;
  for (size_t i = 0; i < d; i++) x[i] = ds->param + nb_rng_normal(r);
}

/* [40000, 40001, 40002, 40003, ...]: broke real LayerNorm implementations */
static void ramp40000(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds, (void)r, (void)dt;
  for (size_t i = 0; i < d; i++) x[i] = 40000.0 + (double)(i % 4);
}

/* Student-t with 3 degrees of freedom: N / sqrt(chi2_3 / 3) */
static void student(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds, (void)dt;
  for (size_t i = 0; i < d; i++) {
    double c = 0;
    for (int k = 0; k < 3; k++) {
      double n = nb_rng_normal(r);
      c += n * n;
    }
    x[i] = nb_rng_normal(r) / sqrt(c / 3);
  }
}

/* N(0,1) plus param (1..4) "massive" channels of 1e2..1e4 at the start
 * and the end of the row, as in LLM activations */
static void massive(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  normal(ds, r, dt, d, x);
  int n = (int)ds->param;
  for (int k = 0; k < n && (size_t)k < d; k++) {
    double mag = dt == NB_F16 ? 1e2 * (1 + 9 * nb_rng_uniform(r)) : pow(10, 2 + 2 * nb_rng_uniform(r));
    size_t at = k % 2 ? d - 1 - (size_t)k / 2 : (size_t)k / 2;
    x[at] = nb_rng_uniform(r) < 0.5 ? -mag : mag;
  }
}

/* +-a: every square the same, the worst case of sequential summation */
static void constmag(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds, (void)dt;
  double a = 1 + nb_rng_uniform(r);
  for (size_t i = 0; i < d; i++) x[i] = nb_rng_next(r) & 1 ? a : -a;
}

/* N(0,1) scaled by 2^param; "huge"/"tiny" scale to the format's edges */
static void scaled(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  double s = ds->param;
  if (s == INFINITY) s = fmt_max(dt) / 8;              /* huge: squares overflow f32 */
  if (s == 0) s = dt == NB_F16 ? 0x1p-20 : 1e-25;       /* tiny: squares underflow f32 */
  for (size_t i = 0; i < d; i++) x[i] = s * nb_rng_normal(r);
}

/* subnormal inputs of the format */
static void subnormal(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds;
  double q = dt == NB_F16 ? 0x1p-24 : dt == NB_BF16 ? 0x1p-133 : 0x1p-149;
  double top = dt == NB_F16 ? 0x1p-14 : 0x1p-126;
  for (size_t i = 0; i < d; i++) {
    double v = q * (double)(1 + nb_rng_next(r) % (uint64_t)(top / q - 1));
    x[i] = nb_rng_next(r) & 1 ? v : -v;
  }
}

/* m +- delta, power-of-two delta, balanced signs: mean m and variance
 * delta^2 are exact in any summation order (d even) */
static void exactstat(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds, (void)dt;
  double m = (double)(int)(nb_rng_uniform(r) * 64) - 32, delta = 0.25;
  for (size_t i = 0; i < d; i++) x[i] = m + (i % 2 ? delta : -delta);
  if (d % 2) x[d - 1] = m;
}

static void constant(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds, (void)dt;
  double c = 1000 * nb_rng_normal(r);
  for (size_t i = 0; i < d; i++) x[i] = c;
}

static void onehot(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds, (void)dt;
  memset(x, 0, d * sizeof *x);
  x[nb_rng_next(r) % d] = nb_rng_normal(r);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
static void sorted(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  shift(ds, r, dt, d, x);
  qsort(x, d, sizeof *x, cmp_double);
}


/* The format's precision and normal exponent range. */
typedef struct { int p, emin, emax; } fmt_info;
static fmt_info fmt_of(nb_dtype dt) {
  return dt == NB_F16 ? (fmt_info){11, -14, 15} : (fmt_info){dt == NB_BF16 ? 8 : 24, -126, 127};
}

/* N(0,1) x 2^e with e param/8 of the way across the format's normal
 * exponents, 4 in from each end (so the top point's squares overflow f32
 * and the bottom point's underflow, in every format) */
static void scalef(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  fmt_info f = fmt_of(dt);
  int lo = f.emin + 4, hi = f.emax - 4;
  double s = ldexp(1, lo + (int)((hi - lo) * ds->param / 8 + 0.5));
  for (size_t i = 0; i < d; i++) x[i] = s * nb_rng_normal(r);
}

/* each element N(0,1) x (format max / 8) or N(0,1) x tiny, at random:
 * the squares overflow and underflow f32 in the same row */
static void hugetiny(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds;
  double big = fmt_max(dt) / 8, small = dt == NB_F16 ? 0x1p-20 : 1e-25;
  for (size_t i = 0; i < d; i++) x[i] = (nb_rng_next(r) & 1 ? big : small) * nb_rng_normal(r);
}

/* +-(1 + u) 2^e, e uniform over the format's normal exponents */
static void logwide(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds;
  fmt_info f = fmt_of(dt);
  for (size_t i = 0; i < d; i++) {
    int e = f.emin + (int)(nb_rng_next(r) % (uint64_t)(f.emax - f.emin));
    double v = ldexp(1 + nb_rng_uniform(r), e);
    x[i] = nb_rng_next(r) & 1 ? v : -v;
  }
}

/* (M +- k) / 16 in pairs, |M| + |k| < 256 (exact in bf16, f16 and f32, and
 * so are all partial sums up to D = 65536 in f32): the mean is exactly
 * M / 16, and every other pair is exactly the mean */
static void atmean(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds, (void)dt;
  int m = (int)(nb_rng_next(r) % 193) - 96;
  for (size_t i = 0; i + 1 < d; i += 2) {
    double k = (double)(int)(16 * nb_rng_normal(r));
    k = i % 4 ? fmin(fmax(k, -120), 120) : 0;
    x[i] = (m + k) / 16;
    x[i + 1] = (m - k) / 16;
  }
  if (d % 2) x[d - 1] = m / 16.0;
}

/* ulp of a normal value of the format */
static double ulp_of(double v, fmt_info f) {
  int e;
  frexp(v, &e); /* |v| in [2^(e-1), 2^e) */
  return ldexp(1, (e - 1 > f.emin ? e - 1 : f.emin) - f.p + 1);
}

/* distance of v from the nearest rounding midpoint of the format, in ulps */
static double mid_dist(double v, fmt_info f) {
  double t = fabs(v) / ulp_of(v, f);
  return fabs(t - floor(t) - 0.5);
}

/* Pairs (v, -v), so the exact mean is 0 and LayerNorm's z is RMSNorm's;
 * every 8th pair is a small probe whose value is chosen among +-64 steps
 * of the format's grid so that probe / rms lies as close as possible to a
 * rounding midpoint of the format. The probes carry little of the row's
 * energy, so re-choosing them against the new rms settles in a few
 * rounds. With gains +-2^k and b = 0 (NB_DIST_POW2_GAIN) the outputs
 * g * z stay next to midpoints; eps shifts them by about eps / (2 ms),
 * kept far below an ulp by the row's scale (ms ~ 2^28, f16: 2^18).
 * Needs D >= 16 to have a probe whose value does not set the rms. */
static void midpoint(const nb_dist *ds, nb_rng *r, nb_dtype dt, size_t d, double *x) {
  (void)ds;
  fmt_info f = fmt_of(dt);
  double s = dt == NB_F16 ? 0x1p9 : 0x1p14;
  for (size_t i = 0; i + 1 < d; i += 2) {
    double v = nb_to_dtype(s * nb_rng_normal(r) / (i % 16 ? 1 : 8), dt);
    x[i] = v;
    x[i + 1] = -v;
  }
  if (d % 2) x[d - 1] = 0;
  for (int round = 0; round < 8; round++) {
    double ss = 0;
    for (size_t i = 0; i < d; i++) ss += x[i] * x[i];
    double rms = sqrt(ss / (double)d);
    int moved = 0;
    for (size_t i = 0; i + 1 < d && rms > 0; i += 16) {
      double best = x[i], bd = x[i] != 0 ? mid_dist(x[i] / rms, f) : 1, q = ulp_of(x[i], f);
      for (int k = -64; k <= 64 && x[i] != 0; k++) {
        double c = nb_to_dtype(x[i] + k * q, dt);
        if (c == 0 || (c < 0) != (x[i] < 0)) continue;
        double cd = mid_dist(c / rms, f);
        if (cd < bd) bd = cd, best = c;
      }
      moved |= best != x[i];
      x[i] = best;
      x[i + 1] = -best;
    }
    if (!moved) break;
  }
}

#define DIST(name, what, fn, p) {name, what, fn, p, 0}
static const nb_dist dists[] = {
    DIST("normal", "N(0,1)", normal, 0),
    DIST("shift1", "mean shift mu/sigma = 1: 1 + N(0,1)", shift, 1),
    DIST("shift10", "mean shift mu/sigma = 10", shift, 10),
    DIST("shift1e2", "mean shift mu/sigma = 1e2", shift, 1e2),
    DIST("shift1e3", "mean shift mu/sigma = 1e3", shift, 1e3),
    DIST("shift1e4", "mean shift mu/sigma = 1e4", shift, 1e4),
    DIST("shift2000", "mean 2000, sigma 1", shift, 2000),
    DIST("ramp40000", "40000, 40001, 40002, 40003, repeated", ramp40000, 0),
    DIST("student3", "Student-t, 3 degrees of freedom (heavy tails)", student, 0),
    DIST("massive1", "N(0,1) with 1 massive channel (1e2..1e4), first", massive, 1),
    DIST("massive4", "N(0,1) with 4 massive channels (1e2..1e4), first and last", massive, 4),
    DIST("constmag", "+-a, random signs: worst case for sequential sums", constmag, 0),
    DIST("huge", "N(0,1) x (format max / 8): sums of squares overflow f32", scaled, INFINITY),
    DIST("tiny", "N(0,1) x 1e-25 (f16: 2^-20): squares underflow f32", scaled, 0),
    DIST("scale2p60", "N(0,1) x 2^60", scaled, 0x1p60),
    DIST("scale2m60", "N(0,1) x 2^-60", scaled, 0x1p-60),
    DIST("subnormal", "subnormal values of the format", subnormal, 0),
    DIST("exactstat", "m +- 1/4: mean and variance exact in any order", exactstat, 0),
    DIST("constant", "a constant row (LayerNorm must give exactly b)", constant, 0),
    DIST("onehot", "a single non-zero element", onehot, 0),
    DIST("sorted", "sorted N(0,1)", sorted, 0),
    DIST("atmean", "(M +- k)/16 pairs: exact mean, every other pair exactly equal to it", atmean, 0),
    {"midpoint", "outputs next to rounding midpoints of the format (D >= 16; gains +-2^k, b = 0)",
     midpoint, 0, NB_DIST_POW2_GAIN},
    DIST("scalef0", "N(0,1) x 2^(emin+4): bottom of the format's normal range", scalef, 0),
    DIST("scalef1", "N(0,1) x 2^e, e 1/8 of the way from emin+4 to emax-4", scalef, 1),
    DIST("scalef2", "N(0,1) x 2^e, e 2/8 of the way", scalef, 2),
    DIST("scalef3", "N(0,1) x 2^e, e 3/8 of the way", scalef, 3),
    DIST("scalef4", "N(0,1) x 2^e, e 4/8 of the way (mid-range)", scalef, 4),
    DIST("scalef5", "N(0,1) x 2^e, e 5/8 of the way", scalef, 5),
    DIST("scalef6", "N(0,1) x 2^e, e 6/8 of the way", scalef, 6),
    DIST("scalef7", "N(0,1) x 2^e, e 7/8 of the way", scalef, 7),
    DIST("scalef8", "N(0,1) x 2^(emax-4): top of the format's range", scalef, 8),
    DIST("ms1e-14", "mean square 1e-14 (with the eps sweep: far below / near / above eps)", scaled, 1e-7),
    DIST("ms1e-8", "mean square 1e-8", scaled, 1e-4),
    DIST("ms1e-5", "mean square 1e-5 (near the default eps 1e-5f)", scaled, 3.1622776601683794e-3),
    DIST("ms1e-2", "mean square 1e-2", scaled, 0.1),
    DIST("hugetiny", "each element N(0,1) x (format max / 8) or x tiny, at random", hugetiny, 0),
    DIST("logwide", "+-(1+u) 2^e, e uniform over the format's normal exponents", logwide, 0),
    {"oddgain", "N(0,1) rows; gains 0, negative, subnormal, +-2^(-20..20) or ~1; b ~ N(0,1)", normal, 0,
     NB_DIST_ODD_GAIN},
};

size_t nb_dist_count(void) { return sizeof dists / sizeof dists[0]; }
const nb_dist *nb_dist_at(size_t i) { return i < nb_dist_count() ? &dists[i] : NULL; }
const nb_dist *nb_dist_find(const char *name) {
  for (size_t i = 0; name && i < nb_dist_count(); i++)
    if (strcmp(dists[i].name, name) == 0) return &dists[i];
  return NULL;
}

static uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t s = a ^ (b * 0x9e3779b97f4a7c15ull);
  return splitmix(&s);
}

void nb_gen_row(const nb_dist *dist, nb_dtype dt, uint64_t seed, size_t row, size_t d, float *x) {
  nb_rng r;
  nb_rng_seed(&r, mix(seed, row + 1));
  double *t = malloc(d * sizeof *t);
  if (!t) abort();
  dist->fill(dist, &r, dt, d, t);
  for (size_t i = 0; i < d; i++) x[i] = nb_to_dtype(t[i], dt);
  free(t);
}

/* ACCURACY.md item 9: g = 0, negative, subnormal, and far from 1 */
static double odd_gain(nb_rng *r, nb_dtype dt) {
  switch (nb_rng_next(r) % 5) {
  case 0: return 0;
  case 1: return -(0.5 + nb_rng_uniform(r));
  case 2: return (dt == NB_F16 ? 0x1p-24 : dt == NB_BF16 ? 0x1p-133 : 0x1p-149) * (1 + nb_rng_next(r) % 100);
  case 3: return ldexp(nb_rng_uniform(r) < 0.5 ? -1 : 1, (int)(nb_rng_next(r) % 41) - 20);
  default: return 1 + 0.25 * nb_rng_normal(r);
  }
}

void nb_gen_params_for(const nb_dist *dist, nb_dtype dt, uint64_t seed, size_t d, float *g, float *b) {
  nb_rng r;
  nb_rng_seed(&r, mix(seed, 0));
  if (dist->flags & NB_DIST_ODD_GAIN) {
    for (size_t i = 0; i < d; i++) {
      g[i] = nb_to_dtype(odd_gain(&r, dt), dt);
      if (b) b[i] = nb_to_dtype(nb_rng_normal(&r), dt);
    }
    return;
  }
  if (!(dist->flags & NB_DIST_POW2_GAIN)) {
    nb_gen_params(dt, seed, d, g, b);
    return;
  }
  for (size_t i = 0; i < d; i++) {
    uint64_t u = nb_rng_next(&r);
    g[i] = ldexp(u & 1 ? -1 : 1, (int)(u >> 1 & 3) % 3 - 1);
    if (b) b[i] = 0;
  }
}

void nb_gen_params(nb_dtype dt, uint64_t seed, size_t d, float *g, float *b) {
  nb_rng r;
  nb_rng_seed(&r, mix(seed, 0));
  for (size_t i = 0; i < d; i++) {
    g[i] = nb_to_dtype(1 + 0.25 * nb_rng_normal(&r), dt);
    if (b) b[i] = nb_to_dtype(0.1 * nb_rng_normal(&r), dt);
  }
}
