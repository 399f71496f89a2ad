/* Private to the kernel library: constants shared by the algorithm bodies and
 * the declared-bound formulas in registry.c, and the scalar helpers every
 * instance uses. */
#ifndef NB_INTERNAL_H
#define NB_INTERNAL_H

#include "normbench.h"

#include <math.h>
#include <string.h>

/* Blocked summation: inside a block of NB_BLOCK elements each of the
 * kernel's lanes accumulates its own partial sum; lanes are combined by a
 * tree, and block sums are added in order. The relative error of a sum of
 * D non-negative terms is then c(D) u with
 *   c(D) = ceil(min(D, NB_BLOCK) / lanes) + log2(lanes) + ceil(D / NB_BLOCK),
 * about 100 at D = 65536 instead of 65536 for one accumulator. */
#define NB_BLOCK 1024

/* 1/sqrt(den) with the zero-denominator convention: a row whose denominator
 * is exactly zero normalizes to zero. NaN stays NaN. */
static inline float nb_rstd_f32(float den) {
  return den == 0.0f ? 0.0f : 1.0f / sqrtf(den);
}
static inline double nb_rstd_f64(double den) {
  return den == 0.0 ? 0.0 : 1.0 / sqrt(den);
}

/* Round a double to the precision and exponent range of a 16-bit format,
 * once, returning the rounded value as a double (exactly representable in
 * the format, so narrowing it to float and then to 16 bits is exact). */
double nb_round_f64_to_fmt(double v, nb_dtype dt);

/* The same rounding for a 16-bit format as constants for the vectorized
 * versions (vd_round_fmt in the ISA headers): keep p bits by dropping
 * drop = 53 - p bits of a double's significand (half = 2^(drop-1)) at or
 * above the smallest normal tiny; below it the quantum is fixed at
 * 2^(emin - p + 1) and magic = 2^52 times that quantum rounds to it;
 * results above max become infinity. */
typedef struct { int drop; long long half; double tiny, magic, max; } nb_fmt_round;
static inline nb_fmt_round nb_fmt_round_consts(nb_dtype dt) {
  nb_fmt_round f16 = {53 - 11, 1ll << (52 - 11), 0x1p-14, 0x1p28, 65504.0};
  nb_fmt_round bf16 = {53 - 8, 1ll << (52 - 8), 0x1p-126, 0x1p-81, 0x1.fep127};
  return dt == NB_F16 ? f16 : bf16;
}

/* f32 -> fp8 e4m3 (OCP OFP8: bias 7, max 448 = 0x7e, NaN 0x7f), nearest
 * even, saturating, NaN to NaN; branch-free on the bits so that the
 * quantized kernels' loops over a vector's lanes (body.h quant_row) can be
 * vectorized by the compiler. |f| >= 2^-6 (e4m3's smallest normal): drop 20
 * of f32's 23 fraction bits by adding 0x7ffff plus the kept lsb (RNE; a
 * carry steps the exponent) and rebias 127 -> 7. Below: the quantum is
 * 2^-9, and |f| 2^9 + 1.5 2^23 rounds |f| 2^9 to an integer (RNE), held in
 * the float's low bits; 8 there is 2^-6, the smallest normal's code.
 * Saturation clamps the magnitude's bits at 448's before rounding (448
 * rounds to itself); +inf is above it. nb_f32_to_e4m3 (half.c) is this;
 * tests/test_quant.c holds it to MPFR near every midpoint. */
static inline uint8_t nb_e4m3_rne(float f) {
  uint32_t u, t;
  memcpy(&u, &f, 4);
  uint32_t s = (u >> 24) & 0x80u, a = u & 0x7fffffffu;
  uint32_t nan = a > 0x7f800000u;
  a = a < 0x43e00000u ? a : 0x43e00000u; /* 448 */
  float af, m;
  memcpy(&af, &a, 4);
  m = af * 512.0f + 0x1.8p23f;
  memcpy(&t, &m, 4);
  uint32_t sub = t & 0xfu;
  uint32_t nrm = ((a + 0x7ffffu + ((a >> 20) & 1u)) >> 20) - (120u << 3);
  uint32_t r = a < 0x3c800000u ? sub : nrm; /* 2^-6 */
  return (uint8_t)(s | (nan ? 0x7fu : r));
}

/* ---- the accurate kernels' exact fallback (exact.c) ----------------------
 * A small signed big integer: 32 limbs hold every quantity of the exact
 * decision for any D < 2^64 (at most ~1250 bits, see exact.c). */
#define NB_BIG_LIMBS 32
typedef struct { int neg, n; uint64_t l[NB_BIG_LIMBS]; } nb_big;
/* The row's exact statistics, computed on the first undecided output. */
typedef struct { int ready; nb_big s1, q; } nb_exact;
/* One row as the fallback reads it: the op, the storage format (also the
 * output format), x, D and eps. */
typedef struct {
  int ln;
  nb_dtype dt;
  const void *x;
  size_t d;
  float eps;
  nb_exact ex;
} nb_xrow;

static inline float nb_xrow_ld(const nb_xrow *w, size_t i) {
  if (w->dt == NB_F32) return ((const float *)w->x)[i];
  uint16_t h = ((const uint16_t *)w->x)[i];
  return w->dt == NB_F16 ? nb_f16_to_f32(h) : nb_bf16_to_f32(h);
}

/* The correctly rounded output i of a row of finite x (with finite g_i and
 * b_i, b = 0 for RMSNorm), given lo <= CR <= hi, two values of the output
 * format (or +-inf): bit for bit the same whatever lo and hi are. Counts
 * itself in nb_exact_fallbacks(). */
double nb_exact_round(nb_xrow *w, size_t i, float g, float b, double lo, double hi);
/* Computes the row's exact statistics now (in-place calls: before x is
 * overwritten). */
void nb_exact_prepare(nb_xrow *w);

/* Each SIMD ISA with a vd_round_fmt exports it over arrays, so that a test
 * can hold it to nb_round_f64_to_fmt bit for bit; nb_isa_round_at lists
 * them (isa.c). */
typedef void nb_round_fmt_fn(nb_dtype dt, const double *in, double *out, size_t n);
typedef struct { const char *isa; uint32_t needs; nb_round_fmt_fn *fn; } nb_isa_round;
size_t nb_isa_round_count(void);
const nb_isa_round *nb_isa_round_at(size_t i);

/* Each ISA's vectorized quantizing steps (vf_st_e4m3, vf_st_i8) over
 * arrays (n a multiple of the ISA's width, at most 64), so that a test can
 * hold them to nb_f32_to_e4m3 and to nearest-even rounding bit for bit;
 * nb_isa_quant_at lists them (isa.c). */
typedef void nb_quant_vec_fn(const float *in, uint8_t *e4m3, uint8_t *i8, size_t n);
typedef struct { const char *isa; uint32_t needs; nb_quant_vec_fn *fn; } nb_isa_quant;
size_t nb_isa_quant_count(void);
const nb_isa_quant *nb_isa_quant_at(size_t i);

/* Features and statistics lanes (NB_U * NB_W) of the x86-64 ISAs, shared by
 * table.h and the ISA sources, which assert the lanes at compile time. */
#define NB_NEEDS_AVX2 (NB_CPU_AVX2 | NB_CPU_FMA | NB_CPU_F16C)
#define NB_NEEDS_AVX512                                                          \
  (NB_CPU_AVX512F | NB_CPU_AVX512BW | NB_CPU_AVX512VL | NB_CPU_AVX512DQ | NB_CPU_FMA | \
   NB_CPU_F16C)
#define NB_LANES_AVX2 32
#define NB_LANES_AVX512 64

#endif
