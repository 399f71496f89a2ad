/* Portable conversions between f32/f64 and the 16-bit storage formats.
 * All round to nearest, ties to even; NaN stays NaN (made quiet); infinities
 * and subnormals are exact where representable. */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

uint16_t nb_f32_to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
  /* bf16 keeps the f32 exponent: rounding the low 16 bits away is RNE, and
   * a carry into the exponent gives the next binade or infinity. */
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

float nb_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

float nb_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  if (exp == 0x1f) return bits_f32(sign | 0x7f800000u | (man << 13) | (man ? 0x400000u : 0));
  if (exp == 0) { /* zero or subnormal: man * 2^-24, exact in float */
    float v = (float)man * 0x1p-24f;
    return sign ? -v : v;
  }
  return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

/* f32 -> f16 in one rounding: the value is exact in double, and
 * nb_f64_to_f16 rounds a double once. */
uint16_t nb_f32_to_f16(float f) { return nb_f64_to_f16((double)f); }

/* Round |v| (finite, non-negative) to p significant bits with the format's
 * smallest normal exponent emin; RNE. */
static double round_to_precision(double a, int p, int emin) {
  int e;
  frexp(a, &e); /* a = m 2^e, m in [0.5, 1): a in [2^(e-1), 2^e) */
  int exp = e - 1 < emin ? emin : e - 1;
  double q = ldexp(1.0, exp - p + 1); /* the format's quantum at a */
  return nearbyint(a / q) * q;        /* a / q is exact: power-of-two scale */
}

double nb_round_f64_to_fmt(double v, nb_dtype dt) {
  if (isnan(v) || isinf(v) || v == 0) return v;
  int p = dt == NB_F16 ? 11 : dt == NB_BF16 ? 8 : 24;
  int emin = dt == NB_F16 ? -14 : -126;
  double max = dt == NB_F16 ? 65504.0 : (double)FLT_MAX;
  if (dt == NB_BF16) max = ldexp(255.0 / 128.0, 127);
  double r = round_to_precision(fabs(v), p, emin);
  if (r > max) r = INFINITY;
  return v < 0 ? -r : r;
}

uint16_t nb_f64_to_f16(double v) {
  if (isnan(v)) {
    float f = (float)v;
    uint32_t u = f32_bits(f);
    return (uint16_t)(((u >> 16) & 0x8000u) | 0x7e00u | ((u >> 13) & 0x3ffu));
  }
  double r = nb_round_f64_to_fmt(v, NB_F16);
  uint16_t sign = signbit(v) ? 0x8000u : 0;
  double a = fabs(r);
  if (isinf(a)) return sign | 0x7c00u;
  if (a < 0x1p-14) return sign | (uint16_t)(a * 0x1p24); /* subnormal or zero */
  int e;
  double m = frexp(a, &e); /* a = m 2^e, m in [0.5,1) */
  uint16_t man = (uint16_t)((m * 2.0 - 1.0) * 1024.0);
  return sign | (uint16_t)((e - 1 + 15) << 10) | man;
}

uint16_t nb_f64_to_bf16(double v) {
  if (isnan(v)) return nb_f32_to_bf16((float)v);
  /* exact: the rounded value is representable in bf16, hence in float */
  return nb_f32_to_bf16((float)nb_round_f64_to_fmt(v, NB_BF16));
}
