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

#define DIST(name, what, fn, p) {name, what, fn, p}
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

void nb_gen_params(nb_dtype dt, uint64_t seed, size_t d, float *g, float *b) {
  nb_rng r;
  nb_rng_seed(&r, mix(seed, 0));
  for (size_t i = 0; i < d; i++) {
    g[i] = nb_to_dtype(1 + 0.25 * nb_rng_normal(&r), dt);
    if (b) b[i] = nb_to_dtype(0.1 * nb_rng_normal(&r), dt);
  }
}
