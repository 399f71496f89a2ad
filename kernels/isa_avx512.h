/* AVX-512 F/BW/VL/DQ (+ FMA, F16C): vf = __m512 (16 floats), vd = __m512d
 * (8 doubles). The interface is the one documented in isa_scalar.h, plus
 * masked tails (NB_HAVE_PARTIAL), streaming stores (NB_HAVE_STREAM) and the
 * vectorized 16-bit rounding of doubles (NB_HAVE_ROUND_FMT). */
#ifndef NB_ISA_AVX512_H
#define NB_ISA_AVX512_H

#include "internal.h"

#include <immintrin.h>

#define NB_ISA_NAME "avx512"
#define NB_W 16

typedef __m512 vf;
typedef __m512d vd;

static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_set1(float a) { return _mm512_set1_ps(a); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vf_fms(vf a, vf b, vf c) { return _mm512_fmsub_ps(a, b, c); } /* a b - c, fused */
/* vf_fma is fused: the accurate RMSNorm into f32 may use exact products
 * (body.h eft_vec, eft_ln_vec, half_vec), with vf_fms and these tests. */
#define NB_HAVE_FMA 1
static inline vf vf_abs(vf a) { return _mm512_abs_ps(a); }
/* every lane has lo <= |a| <= hi (NaN fails) */
static inline int vf_all_abs_in(vf a, float lo, float hi) {
  __m512 m = _mm512_abs_ps(a);
  return (_mm512_cmp_ps_mask(m, _mm512_set1_ps(lo), _CMP_GE_OQ) &
          _mm512_cmp_ps_mask(m, _mm512_set1_ps(hi), _CMP_LE_OQ)) == 0xffff;
}

/* as in isa_avx2.h */
static inline int vf_far_from_mid(vf y, vf e) {
  __m512i u = _mm512_castps_si512(y);
  __m512 scale = _mm512_castsi512_ps(
      _mm512_sub_epi32(_mm512_set1_epi32((int)(277u << 23)), _mm512_and_si512(u, _mm512_set1_epi32(0x7f800000))));
  __m512 units = _mm512_mul_ps(_mm512_abs_ps(e), scale);
  __m512i m = _mm512_and_si512(u, _mm512_set1_epi32(0xffff));
  __m512i d = _mm512_abs_epi32(_mm512_sub_epi32(m, _mm512_set1_epi32(0x8000)));
  d = _mm512_min_epi32(d, _mm512_set1_epi32(0x4000));
  return _mm512_cmp_ps_mask(_mm512_cvtepi32_ps(d), units, _CMP_GT_OQ) == 0xffff;
}
static inline int vf_low_bits_far(vf y, int k) {
  __m512i m = _mm512_and_si512(_mm512_castps_si512(y), _mm512_set1_epi32(0xffff));
  __m512i d = _mm512_abs_epi32(_mm512_sub_epi32(m, _mm512_set1_epi32(0x8000)));
  return _mm512_cmpgt_epi32_mask(d, _mm512_set1_epi32(k)) == 0xffff;
}

/* Halves added down to one lane: a tree of depth 4. */
static inline float vf_hsum(vf a) {
  __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* bf16 is the top half of an f32: widening is a 16-bit shift. */
static inline vf bf16_widen(__m256i h) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* f32 -> bf16 exactly as nb_f32_to_bf16 (see isa_avx2.h): RNE by integer
 * add, quiet NaN kept, the bf16 left in the upper half of each lane. Not
 * vcvtneps2bf16 (AVX512-BF16), which flushes subnormal results to zero. */
static inline __m512i bf16_round_hi(vf a) {
  __m512i u = _mm512_castps_si512(a);
  __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb));
  return _mm512_mask_or_epi32(r, _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), u, _mm512_set1_epi32(0x400000));
}
static inline __m256i bf16_narrow(vf a) {
#ifdef NB_AVX512BF16
  /* With AVX512-BF16 (avx512bf16.c): vcvtneps2bf16 rounds to nearest even
   * and quiets NaNs as nb_f32_to_bf16 does, but reads subnormal inputs as
   * zero; a vector with a subnormal lane (fpclass 0x20) takes the integer
   * path below. */
  if (!_mm512_fpclass_ps_mask(a, 0x20)) return (__m256i)_mm512_cvtneps_pbh(a);
#endif
  /* vpmovdw truncates each lane to its low half */
  return _mm512_cvtepi32_epi16(_mm512_srli_epi32(bf16_round_hi(a), 16));
}

/* The normalize pass's pairs (body.h ld_pair/st_pair): 32 bf16 from one
 * 64-byte load as the even elements (a 16-bit shift) and the odd ones
 * (a mask), no shuffle; the outputs, in the same even/odd arrangement,
 * interleaved back into element order by the narrowing. */
#define NB_HAVE_PAIR_BF16 1
static inline void vf_ld2_bf16(const uint16_t *p, vf *ev, vf *od) {
  __m512i v = _mm512_loadu_si512(p);
  *ev = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
  *od = _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int)0xffff0000u)));
}
static inline __m512i bf16_narrow_eo(vf ev, vf od) {
#ifdef NB_AVX512BF16
  /* vcvtne2ps2bf16 puts ev's 16 results in the lower half, od's in the
   * upper; one vpermw interleaves them. A subnormal lane in either sends
   * both through the integer rounding (bf16_narrow's reason). */
  if (!(_mm512_fpclass_ps_mask(ev, 0x20) | _mm512_fpclass_ps_mask(od, 0x20))) {
    const __m512i k = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                       23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(k, (__m512i)_mm512_cvtne2ps_pbh(od, ev));
  }
#endif
  /* lane k of ev and od are elements 2k and 2k + 1: the odd words from od */
  return _mm512_mask_blend_epi16(0xAAAAAAAAu, _mm512_srli_epi32(bf16_round_hi(ev), 16), bf16_round_hi(od));
}

static inline __m256i f16_narrow(vf a) {
  return _mm512_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

static inline vf vf_ld_f32(const float *p) { return _mm512_loadu_ps(p); }
static inline vf vf_ld_f16(const uint16_t *p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}
static inline vf vf_ld_bf16(const uint16_t *p) {
  return bf16_widen(_mm256_loadu_si256((const __m256i *)p));
}
static inline void vf_st_f32(float *p, vf a) { _mm512_storeu_ps(p, a); }
static inline void vf_st_f16(uint16_t *p, vf a) {
  _mm256_storeu_si256((__m256i *)p, f16_narrow(a));
}
static inline void vf_st_bf16(uint16_t *p, vf a) {
  _mm256_storeu_si256((__m256i *)p, bf16_narrow(a));
}

/* Streaming stores: p must be aligned to the store size (NB_W elements). */
#define NB_HAVE_STREAM 1
static inline void vf_st_f32_nt(float *p, vf a) { _mm512_stream_ps(p, a); }
static inline void vf_st_f16_nt(uint16_t *p, vf a) {
  _mm256_stream_si256((__m256i *)p, f16_narrow(a));
}
static inline void vf_st_bf16_nt(uint16_t *p, vf a) {
  _mm256_stream_si256((__m256i *)p, bf16_narrow(a));
}
static inline void nb_stream_fence(void) { _mm_sfence(); }
/* p aligned to 64 bytes for the streaming store (body.h st_pair) */
static inline void vf_st2_bf16(uint16_t *p, vf ev, vf od) { _mm512_storeu_si512(p, bf16_narrow_eo(ev, od)); }
static inline void vf_st2_bf16_nt(uint16_t *p, vf ev, vf od) { _mm512_stream_si512((void *)p, bf16_narrow_eo(ev, od)); }

/* Masked tails: masked-off elements are neither read nor written and never
 * fault. n < NB_W; the other lanes are zero. */
#define NB_HAVE_PARTIAL 1
static inline vf vf_ldn(nb_dtype dt, const void *p, size_t n) {
  __mmask16 m = (__mmask16)((1u << n) - 1);
  switch (dt) {
  case NB_F16: return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
  case NB_BF16: return bf16_widen(_mm256_maskz_loadu_epi16(m, p));
  default: return _mm512_maskz_loadu_ps(m, p);
  }
}

static inline void vf_stn(nb_dtype dt, void *p, vf a, size_t n) {
  __mmask16 m = (__mmask16)((1u << n) - 1);
  switch (dt) {
  case NB_F16: _mm256_mask_storeu_epi16(p, m, f16_narrow(a)); break;
  case NB_BF16: _mm256_mask_storeu_epi16(p, m, bf16_narrow(a)); break;
  default: _mm512_mask_storeu_ps(p, m, a);
  }
}

static inline vd vd_zero(void) { return _mm512_setzero_pd(); }
static inline vd vd_set1(double a) { return _mm512_set1_pd(a); }
static inline vd vd_add(vd a, vd b) { return _mm512_add_pd(a, b); }
static inline vd vd_sub(vd a, vd b) { return _mm512_sub_pd(a, b); }
static inline vd vd_mul(vd a, vd b) { return _mm512_mul_pd(a, b); }
static inline vd vd_fma(vd a, vd b, vd c) { return _mm512_fmadd_pd(a, b, c); }
/* Halves added down to one lane: a tree of depth 3. */
static inline double vd_hsum(vd a) {
  __m256d h = _mm256_add_pd(_mm512_castpd512_pd256(a), _mm512_extractf64x4_pd(a, 1));
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
static inline vd vd_ld(const double *p) { return _mm512_loadu_pd(p); }
static inline void vd_st(double *p, vd a) { _mm512_storeu_pd(p, a); }
static inline void vf_widen(vf a, vd *lo, vd *hi) {
  *lo = _mm512_cvtps_pd(_mm512_castps512_ps256(a));
  *hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(a, 1));
}
static inline vd vd_abs(vd a) { return _mm512_abs_pd(a); }
static inline int vf_same(vf a, vf b) {
  return _mm512_cmpeq_epi32_mask(_mm512_castps_si512(a), _mm512_castps_si512(b)) == 0xffff;
}
/* lanes with |a| == 65520 lose 16 toward zero */
static inline vf vf_f16_tie(vf a) {
  __mmask16 tie = _mm512_cmp_ps_mask(_mm512_abs_ps(a), _mm512_set1_ps(65520.0f), _CMP_EQ_OQ);
  __m512i d = _mm512_or_si512(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(INT32_MIN)),
                              _mm512_castps_si512(_mm512_set1_ps(16.0f)));
  return _mm512_mask_sub_ps(a, tie, a, _mm512_castsi512_ps(d));
}
static inline vf vd_narrow(vd lo, vd hi) {
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
}

/* nb_round_f64_to_fmt on 8 lanes; the method is described in isa_avx2.h. */
#define NB_HAVE_ROUND_FMT 1
static inline vd vd_round_fmt(nb_dtype dt, vd v) {
  const nb_fmt_round f = nb_fmt_round_consts(dt);
  const __m512i sign = _mm512_set1_epi64(INT64_MIN);
  __m512i u = _mm512_andnot_si512(sign, _mm512_castpd_si512(v));
  const vd a = _mm512_castsi512_pd(u);
  __m512i lsb = _mm512_and_si512(_mm512_srli_epi64(u, (unsigned)f.drop), _mm512_set1_epi64(1));
  u = _mm512_add_epi64(u, _mm512_add_epi64(_mm512_set1_epi64(f.half - 1), lsb));
  u = _mm512_and_si512(u, _mm512_set1_epi64(-2 * f.half));
  const vd magic = _mm512_set1_pd(f.magic);
  vd r = _mm512_sub_pd(_mm512_add_pd(a, magic), magic);
  r = _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(a, _mm512_set1_pd(f.tiny), _CMP_GE_OQ),
                         _mm512_castsi512_pd(u));
  r = _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(r, _mm512_set1_pd(f.max), _CMP_GT_OQ),
                         _mm512_set1_pd(INFINITY));
  r = _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(r),
                                          _mm512_and_si512(_mm512_castpd_si512(v), sign)));
  return _mm512_mask_mov_pd(r, _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q), v);
}

/* The quantized ops (isa_scalar.h says what they compute; isa_avx2.h how). */
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline void vf_st_i8(uint8_t *p, vf t) {
  _mm_storeu_si128((__m128i *)p, _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(t)));
}
static inline void vf_st_e4m3(uint8_t *p, vf y) {
  const __m512i u = _mm512_castps_si512(y);
  __m512i s = _mm512_and_si512(_mm512_srli_epi32(u, 24), _mm512_set1_epi32(0x80));
  __m512i a = _mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff));
  __mmask16 nan = _mm512_cmpgt_epi32_mask(a, _mm512_set1_epi32(0x7f800000));
  a = _mm512_min_epi32(a, _mm512_set1_epi32(0x43e00000));
  __m512 m = _mm512_add_ps(_mm512_mul_ps(_mm512_castsi512_ps(a), _mm512_set1_ps(512.0f)), _mm512_set1_ps(0x1.8p23f));
  __m512i sub = _mm512_and_si512(_mm512_castps_si512(m), _mm512_set1_epi32(0xf));
  __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(a, 20), _mm512_set1_epi32(1));
  __m512i nrm = _mm512_add_epi32(_mm512_add_epi32(a, _mm512_set1_epi32(0x7ffff)), lsb);
  nrm = _mm512_sub_epi32(_mm512_srli_epi32(nrm, 20), _mm512_set1_epi32(120 << 3));
  __m512i r = _mm512_mask_mov_epi32(nrm, _mm512_cmplt_epi32_mask(a, _mm512_set1_epi32(0x3c800000)), sub);
  r = _mm512_or_si512(_mm512_mask_mov_epi32(r, nan, _mm512_set1_epi32(0x7f)), s);
  _mm_storeu_si128((__m128i *)p, _mm512_cvtepi32_epi8(r));
}

#endif
