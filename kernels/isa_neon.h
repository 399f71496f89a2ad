/* AArch64 Advanced SIMD (NEON): vf = 4 floats, vd = 2 doubles. Base Armv8-A
 * only, so every AArch64 CPU runs it; the interface is the one documented in
 * isa_scalar.h.
 *
 * f16 uses FCVTL/FCVTN, the base Armv8 conversions (not the FP16 extension):
 * exact widening, and narrowing rounded by FPCR (nearest even under Linux),
 * with gradual underflow and NaNs kept quiet with their top payload bits --
 * bit for bit what nb_f32_to_f16 does.
 * bf16 stores use the integer rounding of nb_f32_to_bf16 unless the includer
 * defines NB_NEON_BFCVT (neonbf16.c, built with +bf16), which uses BFCVTN. */
#ifndef NB_ISA_NEON_H
#define NB_ISA_NEON_H

#include "internal.h"

#include <arm_neon.h>
#include <string.h>

#define NB_W 4

typedef float32x4_t vf;
typedef float64x2_t vd;

static inline vf vf_zero(void) { return vdupq_n_f32(0.0f); }
static inline vf vf_set1(float a) { return vdupq_n_f32(a); }
static inline vf vf_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vf_sub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf vf_mul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
static inline vf vf_fms(vf a, vf b, vf c) { return vnegq_f32(vfmsq_f32(c, a, b)); } /* a b - c, fused */
/* vf_fma is fused: the accurate RMSNorm into f32 may use exact products
 * (body.h eft_vec, eft_ln_vec, half_vec), with vf_fms and these tests. */
#define NB_HAVE_FMA 1
static inline vf vf_abs(vf a) { return vabsq_f32(a); }
/* every lane has lo <= |a| <= hi (NaN fails) */
static inline int vf_all_abs_in(vf a, float lo, float hi) {
  uint32x4_t in = vandq_u32(vcageq_f32(a, vdupq_n_f32(lo)), vcaleq_f32(a, vdupq_n_f32(hi)));
  return vminvq_u32(in) == 0xffffffffu;
}
/* as in isa_avx2.h */
static inline int vf_far_from_mid(vf y, vf e) {
  uint32x4_t u = vreinterpretq_u32_f32(y);
  float32x4_t scale = vreinterpretq_f32_u32(vsubq_u32(vdupq_n_u32(277u << 23), vandq_u32(u, vdupq_n_u32(0x7f800000))));
  float32x4_t units = vmulq_f32(vabsq_f32(e), scale);
  int32x4_t m = vreinterpretq_s32_u32(vandq_u32(u, vdupq_n_u32(0xffffu)));
  int32x4_t d = vminq_s32(vabsq_s32(vsubq_s32(m, vdupq_n_s32(0x8000))), vdupq_n_s32(0x4000));
  return vminvq_u32(vcgtq_f32(vcvtq_f32_s32(d), units)) == 0xffffffffu;
}
static inline int vf_low_bits_far(vf y, int k) {
  int32x4_t m = vreinterpretq_s32_u32(vandq_u32(vreinterpretq_u32_f32(y), vdupq_n_u32(0xffffu)));
  int32x4_t d = vabsq_s32(vsubq_s32(m, vdupq_n_s32(0x8000)));
  return vminvq_u32(vcgtq_s32(d, vdupq_n_s32(k))) == 0xffffffffu;
}
/* (a0 + a1) + (a2 + a3), the same tree as the scalar ISA. */
static inline float vf_hsum(vf a) { return vpadds_f32(vget_low_f32(vpaddq_f32(a, a))); }

static inline vf vf_ld_f32(const float *p) { return vld1q_f32(p); }
static inline vf vf_ld_f16(const uint16_t *p) {
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}
/* bf16 is the top half of an f32: widening is a 16-bit shift. */
static inline vf vf_ld_bf16(const uint16_t *p) {
  return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
}
static inline void vf_st_f32(float *p, vf a) { vst1q_f32(p, a); }
static inline void vf_st_f16(uint16_t *p, vf a) {
  vst1_u16(p, vreinterpret_u16_f16(vcvt_f16_f32(a)));
}

#ifdef NB_NEON_BFCVT
/* BFCVTN: f32 -> bf16 rounded by FPCR (nearest even, no flush to zero under
 * Linux), NaNs quieted with their top payload bits: nb_f32_to_bf16 exactly. */
static inline void vf_st_bf16(uint16_t *p, vf a) {
  vst1_u16(p, vreinterpret_u16_bf16(vcvt_bf16_f32(a)));
}
#else
/* nb_f32_to_bf16 per lane: add 0x7fff plus the kept LSB and truncate (RNE,
 * a carry rolls into the exponent); NaNs keep their top bits, made quiet. */
static inline void vf_st_bf16(uint16_t *p, vf a) {
  uint32x4_t u = vreinterpretq_u32_f32(a);
  uint32x4_t lsb = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
  uint16x4_t r = vshrn_n_u32(vaddq_u32(u, vaddq_u32(lsb, vdupq_n_u32(0x7fff))), 16);
  uint16x4_t q = vorr_u16(vshrn_n_u32(u, 16), vdup_n_u16(0x40));
  uint32x4_t nan = vcgtq_u32(vandq_u32(u, vdupq_n_u32(0x7fffffff)), vdupq_n_u32(0x7f800000));
  vst1_u16(p, vbsl_u16(vmovn_u32(nan), q, r));
}
#endif

static inline vd vd_zero(void) { return vdupq_n_f64(0.0); }
static inline vd vd_set1(double a) { return vdupq_n_f64(a); }
static inline vd vd_add(vd a, vd b) { return vaddq_f64(a, b); }
static inline vd vd_sub(vd a, vd b) { return vsubq_f64(a, b); }
static inline vd vd_mul(vd a, vd b) { return vmulq_f64(a, b); }
static inline vd vd_fma(vd a, vd b, vd c) { return vfmaq_f64(c, a, b); }
static inline double vd_hsum(vd a) { return vpaddd_f64(a); }
static inline vd vd_ld(const double *p) { return vld1q_f64(p); }
static inline void vd_st(double *p, vd a) { vst1q_f64(p, a); }
static inline void vf_widen(vf a, vd *lo, vd *hi) {
  *lo = vcvt_f64_f32(vget_low_f32(a));
  *hi = vcvt_high_f64_f32(a);
}
static inline vd vd_abs(vd a) { return vabsq_f64(a); }
static inline int vf_same(vf a, vf b) {
  return vminvq_u32(vceqq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b))) == 0xffffffffu;
}
/* lanes with |a| == 65520 lose 16 toward zero */
static inline vf vf_f16_tie(vf a) {
  uint32x4_t tie = vceqq_f32(vabsq_f32(a), vdupq_n_f32(65520.0f));
  uint32x4_t d = vorrq_u32(vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(0x80000000u)),
                           vreinterpretq_u32_f32(vdupq_n_f32(16.0f)));
  return vsubq_f32(a, vreinterpretq_f32_u32(vandq_u32(tie, d)));
}
static inline vf vd_narrow(vd lo, vd hi) { return vcvt_high_f32_f64(vcvt_f32_f64(lo), hi); }

/* The quantized ops (isa_scalar.h says what they compute). vf_st_i8:
 * FCVTNS rounds to nearest even, saturating narrows; vf_st_e4m3:
 * nb_e4m3_rne (internal.h) on 4 lanes, then narrowed. vmaxq propagates
 * NaN where x86's max does not: body.h detects non-finite rows apart. */
static inline vf vf_max(vf a, vf b) { return vmaxq_f32(a, b); }
static inline void vf_st_i8(uint8_t *p, vf t) {
  int16x4_t h = vqmovn_s32(vcvtnq_s32_f32(t));
  uint8_t b[8];
  vst1_u8(b, vreinterpret_u8_s8(vqmovn_s16(vcombine_s16(h, h))));
  memcpy(p, b, 4);
}
static inline void vf_st_e4m3(uint8_t *p, vf y) {
  const uint32x4_t u = vreinterpretq_u32_f32(y);
  uint32x4_t s = vandq_u32(vshrq_n_u32(u, 24), vdupq_n_u32(0x80));
  uint32x4_t a = vandq_u32(u, vdupq_n_u32(0x7fffffff));
  uint32x4_t nan = vcgtq_u32(a, vdupq_n_u32(0x7f800000));
  a = vminq_u32(a, vdupq_n_u32(0x43e00000));
  float32x4_t m = vaddq_f32(vmulq_f32(vreinterpretq_f32_u32(a), vdupq_n_f32(512.0f)), vdupq_n_f32(0x1.8p23f));
  uint32x4_t sub = vandq_u32(vreinterpretq_u32_f32(m), vdupq_n_u32(0xf));
  uint32x4_t lsb = vandq_u32(vshrq_n_u32(a, 20), vdupq_n_u32(1));
  uint32x4_t nrm = vaddq_u32(vaddq_u32(a, vdupq_n_u32(0x7ffff)), lsb);
  nrm = vsubq_u32(vshrq_n_u32(nrm, 20), vdupq_n_u32(120 << 3));
  uint32x4_t r = vbslq_u32(vcltq_u32(a, vdupq_n_u32(0x3c800000)), sub, nrm);
  r = vorrq_u32(vbslq_u32(nan, vdupq_n_u32(0x7f), r), s);
  uint16x4_t h = vmovn_u32(r);
  uint8_t b[8];
  vst1_u8(b, vmovn_u16(vcombine_u16(h, h)));
  memcpy(p, b, 4);
}

#endif
