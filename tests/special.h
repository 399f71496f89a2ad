/* Helpers shared by the reliability tests: values of a row as doubles,
 * stored into a kernel's dtype and read back, and output classes. */
#ifndef NB_TEST_SPECIAL_H
#define NB_TEST_SPECIAL_H

#include "normbench.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline void put(nb_dtype dt, void *p, size_t i, double v) {
  if (dt == NB_F32)
    ((float *)p)[i] = (float)v;
  else
    ((uint16_t *)p)[i] = dt == NB_F16 ? nb_f64_to_f16(v) : nb_f64_to_bf16(v);
}

static inline double get(nb_dtype dt, const void *p, size_t i) {
  if (dt == NB_F32) return ((const float *)p)[i];
  uint16_t h = ((const uint16_t *)p)[i];
  return dt == NB_F16 ? nb_f16_to_f32(h) : nb_bf16_to_f32(h);
}

/* n doubles (exactly representable in dt) into a new buffer of dt */
static inline void *stored(nb_dtype dt, const double *v, size_t n) {
  void *p = malloc(n * nb_dtype_size(dt) + 1);
  for (size_t i = 0; p && i < n; i++) put(dt, p, i, v[i]);
  return p;
}

static inline double min_sub(nb_dtype dt) { return dt == NB_F16 ? 0x1p-24 : dt == NB_BF16 ? 0x1p-133 : 0x1p-149; }
static inline double min_normal(nb_dtype dt) { return dt == NB_F16 ? 0x1p-14 : 0x1p-126; }

/* Output classes, as bits so that an expectation can allow several. */
enum { M_NAN = 1, M_PINF = 2, M_NINF = 4, M_PZ = 8, M_NZ = 16, M_FIN = 32 };

static inline unsigned cls(double v) {
  if (isnan(v)) return M_NAN;
  if (isinf(v)) return v > 0 ? M_PINF : M_NINF;
  if (v == 0) return signbit(v) ? M_NZ : M_PZ;
  return M_FIN;
}

static inline const char *cls_name(unsigned c) {
  switch (c) {
  case M_NAN: return "NaN";
  case M_PINF: return "+inf";
  case M_NINF: return "-inf";
  case M_PZ: return "+0";
  case M_NZ: return "-0";
  case M_FIN: return "finite";
  default: return "mixed";
  }
}

/* The convention of normbench.h: a NaN in x, or (LayerNorm) an infinity,
 * makes the row NaN; RMSNorm with an infinity has mean square +inf, so
 * 1/sqrt = 0: +-0 at finite x_j (sign of x_j * g_j), NaN at the infinities
 * (and where g_j is not finite: 0 * inf). Otherwise IEEE evaluation of the
 * formula, with r = 0 when the denominator is exactly zero, in long double:
 * an output within a few subnormals of zero (RMSNorm) or far below |g_j|
 * (LayerNorm, where x_j - mu cancels) may round either way. */
static inline void expect_classes(nb_op op, nb_dtype dt, const double *x, const double *g, const double *b,
                                  size_t d, float eps, unsigned *m) {
  int nan = 0, inf = 0, ln = op == NB_LAYERNORM;
  for (size_t i = 0; i < d; i++) nan |= isnan(x[i]), inf |= isinf(x[i]);
  if (nan || (inf && ln)) {
    for (size_t j = 0; j < d; j++) m[j] = M_NAN;
    return;
  }
  if (inf) {
    for (size_t j = 0; j < d; j++)
      m[j] = isinf(x[j]) || !isfinite(g[j]) ? M_NAN : signbit(x[j]) != signbit(g[j]) ? M_NZ : M_PZ;
    return;
  }
  long double s1 = 0, s2 = 0, mu = 0;
  for (size_t i = 0; i < d; i++) s1 += x[i];
  if (ln) mu = s1 / d;
  for (size_t i = 0; i < d; i++) s2 += (x[i] - mu) * (x[i] - mu);
  long double den = s2 / d + eps, r = den == 0 ? 0 : 1 / sqrtl(den);
  for (size_t j = 0; j < d; j++) {
    long double v = (x[j] - mu) * r * g[j];
    if (ln && b) v += b[j];
    double tiny = ln ? fmax(4 * min_sub(dt), fabs(g[j]) * 0x1p-8) : 4 * min_sub(dt);
    if (isnan(v) || isinf(v) || (!ln && v == 0))
      m[j] = cls((double)v);
    else
      m[j] = fabsl(v) < tiny ? M_PZ | M_NZ | M_FIN : M_FIN;
  }
}

static inline int bits_equal(nb_dtype dt, const void *a, const void *b, size_t n) {
  return memcmp(a, b, n * nb_dtype_size(dt)) == 0;
}

#endif
