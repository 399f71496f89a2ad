#include "stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The p-quantile of the sorted s[0..n-1], n >= 1: linear interpolation
 * between order statistics (Hyndman and Fan's type 7, numpy.quantile's and
 * R's default): h = (n - 1) p, then s[floor(h)] + frac(h) of the way to the
 * next one. p = 1/2 is the usual median (the mean of the middle two for an
 * even n, bit for bit: 0.5 a + 0.5 b rounds as (a + b) / 2). */
static double quantile_sorted(const double *s, size_t n, double p) {
  double h = (double)(n - 1) * p;
  size_t i = (size_t)floor(h);
  double f = h - (double)i;
  if (i + 1 >= n || f == 0) return s[i < n ? i : n - 1];
  return (1 - f) * s[i] + f * s[i + 1];
}

static double median_sorted(const double *s, size_t n) { return quantile_sorted(s, n, 0.5); }

double nb_median(const double *v, size_t n) {
  double *s = malloc(n * sizeof *s);
  if (!s || n == 0) {
    free(s);
    return NAN;
  }
  memcpy(s, v, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_d);
  double m = median_sorted(s, n);
  free(s);
  return m;
}

nb_stats nb_stats_of(const double *v, size_t n) {
  nb_stats st = {.n = n, .median = NAN, .min = NAN, .mean = NAN, .stddev = NAN, .cv = NAN, .mad_pct = NAN,
              .q1 = NAN, .q3 = NAN};
  double *s = n ? malloc(n * sizeof *s) : NULL;
  if (!s) return st;
  memcpy(s, v, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_d);
  st.median = median_sorted(s, n);
  st.q1 = quantile_sorted(s, n, 0.25);
  st.q3 = quantile_sorted(s, n, 0.75);
  st.min = s[0];
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += s[i];
  st.mean = sum / n;
  double ss = 0;
  for (size_t i = 0; i < n; i++) ss += (s[i] - st.mean) * (s[i] - st.mean);
  st.stddev = n > 1 ? sqrt(ss / (n - 1)) : 0;
  st.cv = st.stddev / st.mean;
  for (size_t i = 0; i < n; i++) s[i] = fabs(v[i] - st.median);
  qsort(s, n, sizeof *s, cmp_d);
  st.mad_pct = 100 * median_sorted(s, n) / st.median;
  free(s);
  return st;
}

/* xorshift64*: reproducible and good enough to pick resample indices */
static uint64_t next(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

void nb_bootstrap_median(const double *v, size_t n, unsigned resamples, double level,
                         double *lo, double *hi) {
  double *m = malloc(resamples * sizeof *m), *r = malloc(n * sizeof *r);
  *lo = *hi = NAN;
  if (m && r && n && resamples) {
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (unsigned b = 0; b < resamples; b++) {
      for (size_t i = 0; i < n; i++) r[i] = v[next(&seed) % n];
      qsort(r, n, sizeof *r, cmp_d);
      m[b] = median_sorted(r, n);
    }
    qsort(m, resamples, sizeof *m, cmp_d);
    size_t a = (size_t)floor((1 - level) / 2 * resamples);
    size_t z = (size_t)ceil((1 + level) / 2 * resamples) - 1;
    *lo = m[a];
    *hi = m[z < resamples ? z : resamples - 1];
  }
  free(m);
  free(r);
}
