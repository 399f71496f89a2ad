/* AVX2 + FMA + F16C: vf = __m256 (8 floats), vd = __m256d (4 doubles).
 * The interface is the one documented in isa_scalar.h, plus masked tails
 * (NB_HAVE_PARTIAL), streaming stores (NB_HAVE_STREAM) and the vectorized
 * 16-bit rounding of doubles (NB_HAVE_ROUND_FMT). */
#ifndef NB_ISA_AVX2_H
#define NB_ISA_AVX2_H

#include "internal.h"

#include <immintrin.h>

#define NB_ISA_NAME "avx2"
#define NB_W 8

typedef __m256 vf;
typedef __m256d vd;

static inline vf vf_zero(void) { return _mm256_setzero_ps(); }
static inline vf vf_set1(float a) { return _mm256_set1_ps(a); }
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vf_fms(vf a, vf b, vf c) { return _mm256_fmsub_ps(a, b, c); } /* a b - c, fused */
/* vf_fma is fused: the accurate RMSNorm into f32 may use exact products
 * (body.h eft_vec, eft_ln_vec, half_vec), with vf_fms and these tests. */
#define NB_HAVE_FMA 1
static inline vf vf_abs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
/* every lane has lo <= |a| <= hi (NaN fails) */
static inline int vf_all_abs_in(vf a, float lo, float hi) {
  __m256 m = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a);
  __m256 in = _mm256_and_ps(_mm256_cmp_ps(m, _mm256_set1_ps(lo), _CMP_GE_OQ),
                            _mm256_cmp_ps(m, _mm256_set1_ps(hi), _CMP_LE_OQ));
  return _mm256_movemask_ps(in) == 0xff;
}
/* Every lane's y (normal, |y| in [2^-103, 2^126]) lies more than |e| from
 * the nearest bf16 rounding midpoint. In units of 2^(ey - 23), ey the
 * exponent of y: the midpoints of y's binade are |low 16 bits - 2^15| units
 * away, those beyond its edges at least 2^14 (a quarter of bf16's ulp);
 * |e| 2^(23 - ey) is exact, the power of two made from y's exponent field. */
static inline int vf_far_from_mid(vf y, vf e) {
  __m256i u = _mm256_castps_si256(y);
  __m256 scale = _mm256_castsi256_ps(
      _mm256_sub_epi32(_mm256_set1_epi32((int)(277u << 23)), _mm256_and_si256(u, _mm256_set1_epi32(0x7f800000))));
  __m256 units = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), e), scale);
  __m256i m = _mm256_and_si256(u, _mm256_set1_epi32(0xffff));
  __m256i d = _mm256_abs_epi32(_mm256_sub_epi32(m, _mm256_set1_epi32(0x8000)));
  d = _mm256_min_epi32(d, _mm256_set1_epi32(0x4000));
  return _mm256_movemask_ps(_mm256_cmp_ps(_mm256_cvtepi32_ps(d), units, _CMP_GT_OQ)) == 0xff;
}
/* The same when |e| is below k units whatever y's exponent (RMSNorm's
 * relative E): the low 16 bits alone decide. */
static inline int vf_low_bits_far(vf y, int k) {
  __m256i m = _mm256_and_si256(_mm256_castps_si256(y), _mm256_set1_epi32(0xffff));
  __m256i d = _mm256_abs_epi32(_mm256_sub_epi32(m, _mm256_set1_epi32(0x8000)));
  return _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(d, _mm256_set1_epi32(k)))) == 0xff;
}

/* ((0+4) + (2+6)) + ((1+5) + (3+7)): a tree of depth 3. */
static inline float vf_hsum(vf a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* bf16 is the top half of an f32: widening is a 16-bit shift. */
static inline vf bf16_widen(__m128i h) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* f32 -> bf16 exactly as nb_f32_to_bf16: add 0x7fff plus the kept lsb,
 * and the upper half of each lane is the bf16 (RNE; a carry moves to the
 * next binade or to infinity, subnormals are rounded, not flushed); a NaN
 * keeps its top half with the quiet bit (0x40 of the bf16, 0x400000 of the
 * f32) set. AVX512-BF16's vcvtneps2bf16 flushes subnormal results to zero
 * (checked on Zen4: 0x1p-130f gives 0x0000, RNE gives 0x0008), so
 * isa_avx512.h uses it only for vectors without subnormal lanes. */
static inline __m256i bf16_round_hi(vf a) {
  __m256i u = _mm256_castps_si256(a);
  __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
  __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), lsb));
  __m256i q = _mm256_or_si256(u, _mm256_set1_epi32(0x400000));
  return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(r), _mm256_castsi256_ps(q),
                                              _mm256_cmp_ps(a, a, _CMP_UNORD_Q)));
}
static inline __m128i bf16_narrow(vf a) {
  __m256i r = _mm256_srli_epi32(bf16_round_hi(a), 16);
  /* packus works within 128-bit halves: [0..3 0..3 | 4..7 4..7]; gather
   * the two low quadwords. Values are < 2^16, so nothing saturates. */
  r = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0xd8);
  return _mm256_castsi256_si128(r);
}

/* The normalize pass's pairs (body.h ld_pair/st_pair): 16 bf16 from one
 * load as the even elements (a 16-bit shift) and the odd ones (a mask);
 * the outputs, in the same arrangement, rounded and interleaved back into
 * element order by one word blend: no pack, no cross-lane permute. */
#define NB_HAVE_PAIR_BF16 1
static inline void vf_ld2_bf16(const uint16_t *p, vf *ev, vf *od) {
  __m256i v = _mm256_loadu_si256((const __m256i *)p);
  *ev = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
  *od = _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xffff0000u)));
}
static inline __m256i bf16_narrow_eo(vf ev, vf od) {
  return _mm256_blend_epi16(_mm256_srli_epi32(bf16_round_hi(ev), 16), bf16_round_hi(od), 0xAA);
}

static inline __m128i f16_narrow(vf a) {
  return _mm256_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

static inline vf vf_ld_f32(const float *p) { return _mm256_loadu_ps(p); }
static inline vf vf_ld_f16(const uint16_t *p) {
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
static inline vf vf_ld_bf16(const uint16_t *p) {
  return bf16_widen(_mm_loadu_si128((const __m128i *)p));
}
static inline void vf_st_f32(float *p, vf a) { _mm256_storeu_ps(p, a); }
static inline void vf_st_f16(uint16_t *p, vf a) { _mm_storeu_si128((__m128i *)p, f16_narrow(a)); }
static inline void vf_st_bf16(uint16_t *p, vf a) {
  _mm_storeu_si128((__m128i *)p, bf16_narrow(a));
}

/* Streaming stores: p must be aligned to the store size (NB_W elements). */
#define NB_HAVE_STREAM 1
static inline void vf_st_f32_nt(float *p, vf a) { _mm256_stream_ps(p, a); }
static inline void vf_st_f16_nt(uint16_t *p, vf a) { _mm_stream_si128((__m128i *)p, f16_narrow(a)); }
static inline void vf_st_bf16_nt(uint16_t *p, vf a) {
  _mm_stream_si128((__m128i *)p, bf16_narrow(a));
}
/* p aligned to 32 bytes for the streaming store (body.h st_pair) */
static inline void vf_st2_bf16(uint16_t *p, vf ev, vf od) {
  _mm256_storeu_si256((__m256i *)p, bf16_narrow_eo(ev, od));
}
static inline void vf_st2_bf16_nt(uint16_t *p, vf ev, vf od) {
  _mm256_stream_si256((__m256i *)p, bf16_narrow_eo(ev, od));
}
static inline void nb_stream_fence(void) { _mm_sfence(); }

/* Masked tails. vmaskmov never faults on masked-off elements. It works on
 * 32-bit elements only, so n 16-bit values are n/2 pairs plus, for odd n,
 * one element moved by itself. */
#define NB_HAVE_PARTIAL 1
static inline __m256i mask8(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline __m128i mask4(size_t n) {
  return _mm_cmpgt_epi32(_mm_set1_epi32((int)n), _mm_setr_epi32(0, 1, 2, 3));
}

static inline __m128i ld16n(const uint16_t *p, size_t n) {
  __m128i h = _mm_maskload_epi32((const int *)(const void *)p, mask4(n / 2));
  if (n & 1) {
    __m128i at = _mm_cmpeq_epi16(_mm_set1_epi16((short)(n - 1)),
                                 _mm_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7));
    h = _mm_or_si128(h, _mm_and_si128(at, _mm_set1_epi16((short)p[n - 1])));
  }
  return h;
}

static inline void st16n(uint16_t *p, __m128i h, size_t n) {
  _mm_maskstore_epi32((int *)(void *)p, mask4(n / 2), h);
  if (n & 1) {
    uint16_t t[8];
    _mm_storeu_si128((__m128i *)t, h);
    p[n - 1] = t[n - 1];
  }
}

/* n < NB_W elements; the other lanes are zero. */
static inline vf vf_ldn(nb_dtype dt, const void *p, size_t n) {
  switch (dt) {
  case NB_F16: return _mm256_cvtph_ps(ld16n(p, n));
  case NB_BF16: return bf16_widen(ld16n(p, n));
  default: return _mm256_maskload_ps(p, mask8(n));
  }
}

static inline void vf_stn(nb_dtype dt, void *p, vf a, size_t n) {
  switch (dt) {
  case NB_F16: st16n(p, f16_narrow(a), n); break;
  case NB_BF16: st16n(p, bf16_narrow(a), n); break;
  default: _mm256_maskstore_ps(p, mask8(n), a);
  }
}

static inline vd vd_zero(void) { return _mm256_setzero_pd(); }
static inline vd vd_set1(double a) { return _mm256_set1_pd(a); }
static inline vd vd_add(vd a, vd b) { return _mm256_add_pd(a, b); }
static inline vd vd_sub(vd a, vd b) { return _mm256_sub_pd(a, b); }
static inline vd vd_mul(vd a, vd b) { return _mm256_mul_pd(a, b); }
static inline vd vd_fma(vd a, vd b, vd c) { return _mm256_fmadd_pd(a, b, c); }
/* (0+2) + (1+3) */
static inline double vd_hsum(vd a) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
static inline vd vd_ld(const double *p) { return _mm256_loadu_pd(p); }
static inline void vd_st(double *p, vd a) { _mm256_storeu_pd(p, a); }
static inline void vf_widen(vf a, vd *lo, vd *hi) {
  *lo = _mm256_cvtps_pd(_mm256_castps256_ps128(a));
  *hi = _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1));
}
static inline vd vd_abs(vd a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
static inline int vf_same(vf a, vf b) {
  __m256i e = _mm256_cmpeq_epi32(_mm256_castps_si256(a), _mm256_castps_si256(b));
  return _mm256_movemask_epi8(e) == -1;
}
/* lanes with |a| == 65520 lose 16 toward zero */
static inline vf vf_f16_tie(vf a) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 tie = _mm256_cmp_ps(_mm256_andnot_ps(sign, a), _mm256_set1_ps(65520.0f), _CMP_EQ_OQ);
  __m256 d = _mm256_or_ps(_mm256_and_ps(a, sign), _mm256_set1_ps(16.0f));
  return _mm256_sub_ps(a, _mm256_and_ps(tie, d));
}
static inline vf vd_narrow(vd lo, vd hi) {
  return _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo));
}

/* nb_round_f64_to_fmt on 4 lanes (see fmt_round_consts in internal.h):
 * at or above the smallest normal, RNE to p bits on the bit pattern (a
 * carry into the exponent is the next binade); below it, adding and
 * subtracting 2^(52 + quantum exponent) rounds to the fixed subnormal
 * quantum in the current (nearest-even) mode, as nearbyint does. */
#define NB_HAVE_ROUND_FMT 1
static inline vd vd_round_fmt(nb_dtype dt, vd v) {
  const nb_fmt_round f = nb_fmt_round_consts(dt);
  const vd sign = _mm256_set1_pd(-0.0), a = _mm256_andnot_pd(sign, v);
  __m256i u = _mm256_castpd_si256(a);
  __m256i lsb = _mm256_and_si256(_mm256_srli_epi64(u, f.drop), _mm256_set1_epi64x(1));
  u = _mm256_add_epi64(u, _mm256_add_epi64(_mm256_set1_epi64x(f.half - 1), lsb));
  u = _mm256_and_si256(u, _mm256_set1_epi64x(-2 * f.half));
  const vd magic = _mm256_set1_pd(f.magic);
  vd sub = _mm256_sub_pd(_mm256_add_pd(a, magic), magic);
  vd r = _mm256_blendv_pd(sub, _mm256_castsi256_pd(u),
                          _mm256_cmp_pd(a, _mm256_set1_pd(f.tiny), _CMP_GE_OQ));
  r = _mm256_blendv_pd(r, _mm256_set1_pd(INFINITY),
                       _mm256_cmp_pd(r, _mm256_set1_pd(f.max), _CMP_GT_OQ));
  r = _mm256_or_pd(r, _mm256_and_pd(v, sign));
  return _mm256_blendv_pd(r, v, _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
}

/* The quantized ops (isa_scalar.h says what they compute). vf_st_i8:
 * cvtps2dq rounds to nearest even (MXCSR's default), saturating packs;
 * vf_st_e4m3: nb_e4m3_rne (internal.h) on 8 lanes, then packed. */
static inline vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline void vf_st_i8(uint8_t *p, vf t) {
  __m256i i = _mm256_cvtps_epi32(t);
  __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
  _mm_storel_epi64((__m128i *)p, _mm_packs_epi16(w, w));
}
static inline void vf_st_e4m3(uint8_t *p, vf y) {
  const __m256i u = _mm256_castps_si256(y);
  __m256i s = _mm256_and_si256(_mm256_srli_epi32(u, 24), _mm256_set1_epi32(0x80));
  __m256i a = _mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff));
  __m256i nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7f800000));
  a = _mm256_min_epi32(a, _mm256_set1_epi32(0x43e00000));
  __m256 m = _mm256_add_ps(_mm256_mul_ps(_mm256_castsi256_ps(a), _mm256_set1_ps(512.0f)), _mm256_set1_ps(0x1.8p23f));
  __m256i sub = _mm256_and_si256(_mm256_castps_si256(m), _mm256_set1_epi32(0xf));
  __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(a, 20), _mm256_set1_epi32(1));
  __m256i nrm = _mm256_add_epi32(_mm256_add_epi32(a, _mm256_set1_epi32(0x7ffff)), lsb);
  nrm = _mm256_sub_epi32(_mm256_srli_epi32(nrm, 20), _mm256_set1_epi32(120 << 3));
  __m256i r = _mm256_blendv_epi8(nrm, sub, _mm256_cmpgt_epi32(_mm256_set1_epi32(0x3c800000), a));
  r = _mm256_or_si256(_mm256_blendv_epi8(r, _mm256_set1_epi32(0x7f), nan), s);
  __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
  _mm_storel_epi64((__m128i *)p, _mm_packus_epi16(w, w));
}

#endif
