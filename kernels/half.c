/* Portable conversions between f32/f64 and the 16-bit storage formats.
 * All round to nearest, ties to even; NaN stays NaN (made quiet); infinities
 * and subnormals are exact where representable. */
#include "internal.h"

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

/* f32 -> f16 with integer and float operations only (the scalar kernels
 * store through it): values below f16's smallest normal are rounded by
 * adding 0.5f, which puts them on f16's subnormal grid (2^-24) in the low
 * mantissa bits; the others by rebiasing the exponent and rounding the 13
 * dropped bits to nearest even, a carry giving the next binade or inf. */
uint16_t nb_f32_to_f16(float f) {
  uint32_t u = f32_bits(f), sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu)); /* quiet NaN */
  if (a >= 0x47800000u) return (uint16_t)(sign | 0x7c00u);                     /* >= 2^16: inf */
  if (a < 0x38800000u) /* below 2^-14 */
    return (uint16_t)(sign | (f32_bits(bits_f32(a) + 0.5f) - 0x3f000000u));
  a += 0xc8000fffu + ((a >> 13) & 1u); /* exponent - 112, + half an f16 ulp - 1, + odd */
  return (uint16_t)(sign | (a >> 13));
}

static uint64_t f64_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}
static double bits_f64(uint64_t u) {
  double d;
  memcpy(&d, &u, 8);
  return d;
}

/* Below the format's smallest normal the grid is fixed (the subnormal
 * quantum q): adding 2^52 q rounds to it. Above, the 53 - p low bits of the
 * double are rounded to nearest even on its integer representation, where a
 * carry moves to the next binade. */
double nb_round_f64_to_fmt(double v, nb_dtype dt) {
  if (dt == NB_F32) return (double)(float)v;
  if (isnan(v) || isinf(v) || v == 0) return v;
  const int p = dt == NB_F16 ? 11 : 8;
  const double min_normal = dt == NB_F16 ? 0x1p-14 : 0x1p-126;
  const double max = dt == NB_F16 ? 65504.0 : 0x1.fep127;
  double a = fabs(v), r;
  if (a < min_normal) {
    const double big = ldexp(min_normal, 52 - p + 1);
    r = (a + big) - big;
  } else {
    const int drop = 53 - p;
    uint64_t b = f64_bits(a);
    b += (1ull << (drop - 1)) - 1 + ((b >> drop) & 1);
    r = bits_f64(b & ~((1ull << drop) - 1));
  }
  if (r > max) r = INFINITY;
  return v < 0 ? -r : r;
}

/* The rounded value is representable in the format, hence in float: the
 * conversions after the rounding are exact. */
uint16_t nb_f64_to_f16(double v) {
  return nb_f32_to_f16(isnan(v) ? (float)v : (float)nb_round_f64_to_fmt(v, NB_F16));
}

uint16_t nb_f64_to_bf16(double v) {
  return nb_f32_to_bf16(isnan(v) ? (float)v : (float)nb_round_f64_to_fmt(v, NB_BF16));
}

/* ---- fp8 e4m3 ------------------------------------------------------------ */

uint8_t nb_f32_to_e4m3(float f) { return nb_e4m3_rne(f); }

/* Once from double: |v| = m 2^e, m in [1/2, 1); four significant bits are
 * m 16 rounded (nearbyint: nearest even in the default mode), below 2^-6
 * multiples of 2^-9. */
uint8_t nb_f64_to_e4m3(double v) {
  uint8_t s = signbit(v) ? 0x80 : 0;
  if (isnan(v)) return s | 0x7f;
  double a = fabs(v);
  if (a >= 448) return s | 0x7e;
  if (a < 0x1p-6) return s | (uint8_t)nearbyint(a * 512); /* 8: 2^-6 */
  int e;
  double q = nearbyint(frexp(a, &e) * 16);
  if (q == 16) q = 8, e++;
  return (uint8_t)(s | ((e + 6) << 3) | ((int)q - 8)); /* |v| < 448: e + 6 <= 15 */
}

float nb_e4m3_to_f32(uint8_t q) {
  int e = (q >> 3) & 0xf, m = q & 7;
  float a = (e == 15 && m == 7) ? NAN : e ? ldexpf((float)(8 + m), e - 10) : ldexpf((float)m, -9);
  return q & 0x80 ? -a : a;
}
