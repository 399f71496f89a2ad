/* Portable "ISA": a vector of NB_W floats as a plain struct. The algorithm
 * bodies in body.h are written against the helpers below; every ISA header
 * (isa_avx2.h, isa_avx512.h, isa_neon.h) provides the same names.
 *
 * Interface each ISA header provides (all static inline):
 *   NB_W                      lanes of vf; vd has NB_W/2 doubles
 *   vf_zero, vf_set1, vf_add, vf_sub, vf_mul, vf_fma(a,b,c) = a*b+c
 *   float vf_hsum(vf)         pairwise tree over the lanes
 *   vf_ld_f32/f16/bf16(p)     load NB_W values, widened exactly to float
 *   vf_st_f32/f16/bf16(p, v)  store NB_W values, rounded to nearest even
 *   vd_zero, vd_set1, vd_add, vd_sub, vd_mul, vd_fma, double vd_hsum(vd)
 *   vf_widen(v, &lo, &hi)     exact float -> double, lanes [0,W/2), [W/2,W)
 *   vf vd_narrow(lo, hi)      double -> float, round to nearest even
 *   vd vd_ld(const double *), vd_st(double *, vd)
 *   vd vd_abs(vd)             |v| (the sign bit cleared)
 *   int vf_same(a, b)         every lane of a and b has the same bits
 *   vf vf_f16_tie(vf)         lanes equal to +-65520 become +-65504
 * Optional, with a masked implementation (else body.h copies through a
 * buffer): NB_HAVE_PARTIAL with vf_ldn(dt, p, n) and vf_stn(dt, p, v, n).
 * Optional streaming stores (else never used): NB_HAVE_STREAM with
 * vf_st_f32/f16/bf16_nt(p, v), p aligned to NB_W elements, and
 * nb_stream_fence(). Optional, for the accurate kernels' float paths (else
 * their double path only): NB_HAVE_FMA when vf_fma is fused, with
 * vf_fms(a, b, c) = a*b-c fused, vf_abs(a), vf_all_abs_in(a, lo, hi), vf_far_from_mid(y, e) and
 * vf_low_bits_far(y, k) (isa_avx2.h says what they compute).
 * Optional (else lane by lane via nb_round_f64_to_fmt): NB_HAVE_ROUND_FMT with vd vd_round_fmt(dt, v), bit-identical to it.
 * Optional two-vector bf16 conversions for the normalize pass (else two
 * vf_ld_bf16 / vf_st_bf16): NB_HAVE_PAIR_BF16 with vf_ld2_bf16(p, &a, &b)
 * (2 NB_W values in any arrangement of lanes), vf_st2_bf16(p, a, b) and
 * vf_st2_bf16_nt (p aligned to 2 NB_W elements), which store such a pair
 * in element order, each lane rounded as vf_st_bf16 rounds. */
#ifndef NB_ISA_SCALAR_H
#define NB_ISA_SCALAR_H

#include "internal.h"

#include <string.h>

#define NB_ISA_NAME "scalar"
#define NB_W 4

typedef struct { float v[NB_W]; } vf;
typedef struct { double v[NB_W / 2]; } vd;

#define NB_LANEWISE(T, expr) \
  T r;                       \
  for (int i = 0; i < (int)(sizeof r.v / sizeof r.v[0]); i++) r.v[i] = (expr); \
  return r

static inline vf vf_zero(void) { NB_LANEWISE(vf, 0.0f); }
static inline vf vf_set1(float a) { NB_LANEWISE(vf, a); }
static inline vf vf_add(vf a, vf b) { NB_LANEWISE(vf, a.v[i] + b.v[i]); }
static inline vf vf_sub(vf a, vf b) { NB_LANEWISE(vf, a.v[i] - b.v[i]); }
static inline vf vf_mul(vf a, vf b) { NB_LANEWISE(vf, a.v[i] * b.v[i]); }
/* Two roundings: baseline x86-64 has no FMA and fmaf() would be a libcall. */
static inline vf vf_fma(vf a, vf b, vf c) { NB_LANEWISE(vf, a.v[i] * b.v[i] + c.v[i]); }
static inline float vf_hsum(vf a) { return (a.v[0] + a.v[1]) + (a.v[2] + a.v[3]); }

static inline vf vf_ld_f32(const float *p) { NB_LANEWISE(vf, p[i]); }
static inline vf vf_ld_f16(const uint16_t *p) { NB_LANEWISE(vf, nb_f16_to_f32(p[i])); }
static inline vf vf_ld_bf16(const uint16_t *p) { NB_LANEWISE(vf, nb_bf16_to_f32(p[i])); }
static inline void vf_st_f32(float *p, vf a) {
  for (int i = 0; i < NB_W; i++) p[i] = a.v[i];
}
static inline void vf_st_f16(uint16_t *p, vf a) {
  for (int i = 0; i < NB_W; i++) p[i] = nb_f32_to_f16(a.v[i]);
}
static inline void vf_st_bf16(uint16_t *p, vf a) {
  for (int i = 0; i < NB_W; i++) p[i] = nb_f32_to_bf16(a.v[i]);
}

static inline vd vd_zero(void) { NB_LANEWISE(vd, 0.0); }
static inline vd vd_set1(double a) { NB_LANEWISE(vd, a); }
static inline vd vd_add(vd a, vd b) { NB_LANEWISE(vd, a.v[i] + b.v[i]); }
static inline vd vd_sub(vd a, vd b) { NB_LANEWISE(vd, a.v[i] - b.v[i]); }
static inline vd vd_mul(vd a, vd b) { NB_LANEWISE(vd, a.v[i] * b.v[i]); }
static inline vd vd_fma(vd a, vd b, vd c) { NB_LANEWISE(vd, a.v[i] * b.v[i] + c.v[i]); }
static inline double vd_hsum(vd a) { return a.v[0] + a.v[1]; }
static inline vd vd_ld(const double *p) { NB_LANEWISE(vd, p[i]); }
static inline void vd_st(double *p, vd a) {
  for (int i = 0; i < NB_W / 2; i++) p[i] = a.v[i];
}
static inline void vf_widen(vf a, vd *lo, vd *hi) {
  for (int i = 0; i < NB_W / 2; i++) {
    lo->v[i] = a.v[i];
    hi->v[i] = a.v[i + NB_W / 2];
  }
}
static inline vd vd_abs(vd a) { NB_LANEWISE(vd, fabs(a.v[i])); }
static inline int vf_same(vf a, vf b) { return memcmp(&a, &b, sizeof a) == 0; }
static inline vf vf_f16_tie(vf a) {
  NB_LANEWISE(vf, fabsf(a.v[i]) == 65520.0f ? copysignf(65504.0f, a.v[i]) : a.v[i]);
}
static inline vf vd_narrow(vd lo, vd hi) {
  vf r;
  for (int i = 0; i < NB_W / 2; i++) {
    r.v[i] = (float)lo.v[i];
    r.v[i + NB_W / 2] = (float)hi.v[i];
  }
  return r;
}

/* The quantized ops (body.h quant_row): the larger lane (NaN: either);
 * t rounded to the nearest even integer (|t| < 2^22: the magic add) stored
 * as NB_W int8; y stored as NB_W e4m3 codes. */
static inline vf vf_max(vf a, vf b) { NB_LANEWISE(vf, a.v[i] > b.v[i] ? a.v[i] : b.v[i]); }
static inline void vf_st_i8(uint8_t *p, vf t) {
  for (int i = 0; i < NB_W; i++) {
    float m = t.v[i] + 0x1.8p23f;
    uint32_t u;
    memcpy(&u, &m, 4);
    p[i] = (uint8_t)u; /* 0x4b400000 + k: the low byte is k as an int8 */
  }
}
static inline void vf_st_e4m3(uint8_t *p, vf y) {
  for (int i = 0; i < NB_W; i++) p[i] = nb_e4m3_rne(y.v[i]);
}

#endif
