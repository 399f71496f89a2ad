/* The algorithm bodies, written once. Each ISA's source file includes its
 * isa_*.h (the vector helpers), then this file, then stamps out instances
 * with NB_DEFINE. Every body takes the op and dtype as parameters; the
 * instances pass constants, and always_inline folds the switches away.
 *
 * Shared shape: a statistics pass (mean and/or second moment), then one
 * normalize pass  y = ((x - mu) * r) * g + b,  r = 1/sqrt(m2 + eps). */
#ifndef NB_BODY_H
#define NB_BODY_H

#include <float.h>
#include <string.h>

#define NB_INLINE static inline __attribute__((always_inline))
#define NB_U 4 /* vectors in flight: lanes = NB_U * NB_W accumulators */

/* ---- dtype-generic element access ------------------------------------- */

NB_INLINE size_t dt_size(nb_dtype dt) { return dt == NB_F32 ? 4 : 2; }

NB_INLINE float ld1(nb_dtype dt, const void *p, size_t i) {
  switch (dt) {
  case NB_F16: return nb_f16_to_f32(((const uint16_t *)p)[i]);
  case NB_BF16: return nb_bf16_to_f32(((const uint16_t *)p)[i]);
  default: return ((const float *)p)[i];
  }
}

NB_INLINE vf ld(nb_dtype dt, const void *p, size_t i) {
  switch (dt) {
  case NB_F16: return vf_ld_f16((const uint16_t *)p + i);
  case NB_BF16: return vf_ld_bf16((const uint16_t *)p + i);
  default: return vf_ld_f32((const float *)p + i);
  }
}

NB_INLINE void st(nb_dtype dt, void *p, size_t i, vf v) {
  switch (dt) {
  case NB_F16: vf_st_f16((uint16_t *)p + i, v); break;
  case NB_BF16: vf_st_bf16((uint16_t *)p + i, v); break;
  default: vf_st_f32((float *)p + i, v);
  }
}

#ifndef NB_HAVE_PARTIAL
/* n < NB_W elements through a zeroed buffer: never touches memory past the
 * row. The buffer has the element type: reading a float buffer through a
 * uint16_t pointer breaks strict aliasing, and GCC -O2 then drops the zero
 * fill (valgrind saw the 16-bit tail lanes read uninitialised stack). */
NB_INLINE vf vf_ldn(nb_dtype dt, const void *p, size_t n) {
  if (dt == NB_F32) {
    float buf[NB_W] = {0};
    memcpy(buf, p, n * sizeof buf[0]);
    return ld(dt, buf, 0);
  }
  uint16_t buf[NB_W] = {0};
  memcpy(buf, p, n * sizeof buf[0]);
  return ld(dt, buf, 0);
}
NB_INLINE void vf_stn(nb_dtype dt, void *p, vf v, size_t n) {
  if (dt == NB_F32) {
    float buf[NB_W];
    st(dt, buf, 0, v);
    memcpy(p, buf, n * sizeof buf[0]);
    return;
  }
  uint16_t buf[NB_W];
  st(dt, buf, 0, v);
  memcpy(p, buf, n * sizeof buf[0]);
}
#endif

NB_INLINE const void *at(nb_dtype dt, const void *p, size_t i) {
  return (const char *)p + i * dt_size(dt);
}

/* Pairwise tree over the NB_U accumulators (NB_U is a power of two). */
NB_INLINE vf vf_tree(vf *a) {
  for (int w = NB_U / 2; w >= 1; w /= 2)
    for (int u = 0; u < w; u++) a[u] = vf_add(a[u], a[u + w]);
  return a[0];
}
NB_INLINE vd vd_tree(vd *a, int n) {
  for (int w = n / 2; w >= 1; w /= 2)
    for (int u = 0; u < w; u++) a[u] = vd_add(a[u], a[u + w]);
  return a[0];
}

/* ---- statistics --------------------------------------------------------- */

enum { SUM1 = 1, SUM2 = 2, CENTER = 4 };
typedef struct { float s1, s2; } sums_f32;
typedef struct { double s1, s2; } sums_f64;

/* Over x[0, n): s1 = sum of t, s2 = sum of t^2, t = x - c (CENTER) or x.
 * NB_U * NB_W lane accumulators, combined by a tree; the last n % NB_W
 * elements go to one scalar accumulator. */
NB_INLINE sums_f32 lane_sums(nb_dtype dt, const void *x, size_t n, float c, int what) {
  vf a1[NB_U], a2[NB_U];
  for (int u = 0; u < NB_U; u++) a1[u] = a2[u] = vf_zero();
  const vf vc = vf_set1(c);
  size_t i = 0;
  for (; i + NB_U * NB_W <= n; i += NB_U * NB_W)
    for (int u = 0; u < NB_U; u++) {
      vf t = ld(dt, x, i + u * NB_W);
      if (what & CENTER) t = vf_sub(t, vc);
      if (what & SUM1) a1[u] = vf_add(a1[u], t);
      if (what & SUM2) a2[u] = vf_fma(t, t, a2[u]);
    }
  for (; i + NB_W <= n; i += NB_W) {
    vf t = ld(dt, x, i);
    if (what & CENTER) t = vf_sub(t, vc);
    if (what & SUM1) a1[0] = vf_add(a1[0], t);
    if (what & SUM2) a2[0] = vf_fma(t, t, a2[0]);
  }
  sums_f32 s = {0, 0};
  for (; i < n; i++) {
    float t = ld1(dt, x, i);
    if (what & CENTER) t -= c;
    s.s1 += t;
    s.s2 += t * t;
  }
  s.s1 += vf_hsum(vf_tree(a1));
  s.s2 += vf_hsum(vf_tree(a2));
  return s;
}

/* lane_sums per block of NB_BLOCK elements, block sums added in order (see
 * internal.h for why). */
NB_INLINE sums_f32 blocked_sums(nb_dtype dt, const void *x, size_t d, float c, int what) {
  sums_f32 s = {0, 0};
  for (size_t j = 0; j < d; j += NB_BLOCK) {
    size_t n = d - j < NB_BLOCK ? d - j : NB_BLOCK;
    sums_f32 b = lane_sums(dt, at(dt, x, j), n, c, what);
    s.s1 += b.s1;
    s.s2 += b.s2;
  }
  return s;
}

/* Same in double: every f32, f16 or bf16 value and its square are exact in
 * double and cannot overflow or underflow there. NB_U vectors in flight, as
 * in lane_sums, so that the f64 adds are not one dependency chain. */
NB_INLINE void acc_f64(vd *a1, vd *a2, vf v, vd vc, int what) {
  vd h[2];
  vf_widen(v, &h[0], &h[1]);
  for (int k = 0; k < 2; k++) {
    vd t = (what & CENTER) ? vd_sub(h[k], vc) : h[k];
    if (what & SUM1) a1[k] = vd_add(a1[k], t);
    if (what & SUM2) a2[k] = vd_fma(t, t, a2[k]);
  }
}

NB_INLINE sums_f64 lane_sums_f64(nb_dtype dt, const void *x, size_t n, double c, int what) {
  vd a1[2 * NB_U], a2[2 * NB_U];
  for (int u = 0; u < 2 * NB_U; u++) a1[u] = a2[u] = vd_zero();
  const vd vc = vd_set1(c);
  size_t i = 0;
  for (; i + NB_U * NB_W <= n; i += NB_U * NB_W)
    for (int u = 0; u < NB_U; u++) acc_f64(a1 + 2 * u, a2 + 2 * u, ld(dt, x, i + u * NB_W), vc, what);
  for (; i + NB_W <= n; i += NB_W) acc_f64(a1, a2, ld(dt, x, i), vc, what);
  sums_f64 s = {0, 0};
  for (; i < n; i++) {
    double t = ld1(dt, x, i);
    if (what & CENTER) t -= c;
    s.s1 += t;
    s.s2 += t * t;
  }
  s.s1 += vd_hsum(vd_tree(a1, 2 * NB_U));
  s.s2 += vd_hsum(vd_tree(a2, 2 * NB_U));
  return s;
}

/* ---- normalize ---------------------------------------------------------- */

/* What the normalize pass applies. f32 algorithms: y = ((x - mu) * r) * g + b
 * in float. accurate: in double, t = (x - mu1) - c (LayerNorm) or x,
 * y = (t * g) * r64 + b, with a rigorous bound E on |y - exact| (below),
 * rounded into the output format only where that is decided; allx: the
 * statistics cannot bound the row, every output takes the exact path.
 * onep: the gain is 1 + g, formed in f32 (RMSNorm1p): gain() below. */
typedef struct {
  int center, allx, onep;
  float mu, r;
  double mu1, c, r64;
  double ky, kp, kru, krdc; /* E = ky |y| + kp |t g r| + |g| (kru |x - mu1| + krdc) */
  int eft;                  /* f32 outputs: float paths first (eft_vec, eft_ln_vec) */
  float rh, rl, kf;
  float mh, ml, kt, kS, kg; /* eft_ln_vec's mean and bound */
  int h16;                  /* 16-bit outputs: a float path first (half_vec) */
  float r32, m32, ky16, k16, kx16, kg16;
  int kmid;                 /* RMSNorm's half_vec: k16 2^24 rounded up */
  const void *g, *b;        /* for the exact fallback */
  nb_xrow *xr;
} npar;

/* The gain of one vector: g, or Gemma's 1 + g rounded to f32 once. */
NB_INLINE vf gain(const npar *p, vf gv) { return p->onep ? vf_add(vf_set1(1.0f), gv) : gv; }
NB_INLINE float gain1(const npar *p, float g) { return p->onep ? 1.0f + g : g; }

NB_INLINE vf norm_vec(vf v, vf vmu, vf vr, vf gv, const vf *bv, int center) {
  if (center) v = vf_sub(v, vmu);
  vf z = vf_mul(v, vr);
  return bv ? vf_fma(z, gv, *bv) : vf_mul(z, gv);
}

NB_INLINE vf round_out(nb_dtype dt, vd lo, vd hi) {
  if (dt != NB_F32) {
#ifdef NB_HAVE_ROUND_FMT
    lo = vd_round_fmt(dt, lo);
    hi = vd_round_fmt(dt, hi);
#else
    double t[NB_W];
    vd_st(t, lo);
    vd_st(t + NB_W / 2, hi);
    for (int l = 0; l < NB_W; l++) t[l] = nb_round_f64_to_fmt(t[l], dt);
    lo = vd_ld(t);
    hi = vd_ld(t + NB_W / 2);
#endif
  }
  return vd_narrow(lo, hi);
}

/* The outputs of a vector whose rounding the fast path did not decide,
 * lane by lane: y exact (E = 0) or not finite (the special-value
 * convention) rounds as it is (in an allx row E is not computed: only
 * non-finite outputs); a lane whose interval rounds to one value
 * takes it; the others (and every lane of an allx row) get the exact
 * fallback, which needs only the bracket [lo, hi]. Lanes past the row (a
 * tail) are never stored. Out of line: it is the rare path. */
static __attribute__((noinline)) vf accurate_lanes(nb_dtype dt, const npar *p, size_t i, const vd *y,
                                                   const vd *e, vf lo, vf hi) {
  double yl[NB_W], el[NB_W];
  float l[NB_W], h[NB_W], o[NB_W];
  vd_st(yl, y[0]);
  vd_st(yl + NB_W / 2, y[1]);
  vd_st(el, e[0]);
  vd_st(el + NB_W / 2, e[1]);
  vf_st_f32(l, lo);
  vf_st_f32(h, hi);
  for (int k = 0; k < NB_W; k++) {
    if (!isfinite(yl[k]) || (el[k] == 0 && !p->allx))
      o[k] = (float)nb_round_f64_to_fmt(yl[k], dt);
    else if (!p->allx && memcmp(&l[k], &h[k], sizeof l[k]) == 0)
      o[k] = l[k];
    else if (i + (size_t)k >= p->xr->d)
      o[k] = l[k];
    else
      o[k] = (float)nb_exact_round(p->xr, i + (size_t)k, gain1(p, ld1(dt, p->g, i + (size_t)k)),
                                   p->b ? ld1(dt, p->b, i + (size_t)k) : 0.0f,
                                   p->allx ? -INFINITY : l[k], p->allx ? INFINITY : h[k]);
  }
  return vf_ld_f32(o);
}

/* The accurate output: y and its bound E in double; the interval
 * [y - E, y + E] rounded at both ends into the output format. Rounding is
 * monotonic, so equal ends are the correctly rounded value of every point
 * between them, the exact result included. E is inflated (accurate_row)
 * to cover the roundings of y -+ E themselves. */
NB_INLINE int accurate_try(nb_dtype dt, const npar *p, vf xv, vf gv, const vf *bv, vd *y, vd *e,
                           vf *lo, vf *hi) {
  vd x[2], g[2], bb[2];
  vf_widen(xv, &x[0], &x[1]);
  vf_widen(gv, &g[0], &g[1]);
  if (bv) vf_widen(*bv, &bb[0], &bb[1]);
  const vd r = vd_set1(p->r64), ky = vd_set1(p->ky);
  for (int k = 0; k < 2; k++) {
    if (p->center) {
      vd t1 = vd_sub(x[k], vd_set1(p->mu1));
      vd pr = vd_mul(vd_mul(vd_sub(t1, vd_set1(p->c)), g[k]), r);
      y[k] = bv ? vd_add(pr, bb[k]) : pr;
      vd eg = vd_fma(vd_abs(t1), vd_set1(p->kru), vd_set1(p->krdc));
      e[k] = vd_fma(vd_abs(y[k]), ky, vd_fma(vd_abs(pr), vd_set1(p->kp), vd_mul(vd_abs(g[k]), eg)));
    } else {
      y[k] = vd_mul(vd_mul(x[k], g[k]), r);
      e[k] = vd_mul(vd_abs(y[k]), ky);
    }
  }
  *lo = round_out(dt, vd_sub(y[0], e[0]), vd_sub(y[1], e[1]));
  *hi = round_out(dt, vd_add(y[0], e[0]), vd_add(y[1], e[1]));
  return !p->allx && vf_same(*lo, *hi);
}

NB_INLINE vf accurate_vec(nb_dtype dt, const npar *p, vf xv, vf gv, const vf *bv, size_t i) {
  vd y[2], e[2];
  vf lo, hi;
  if (accurate_try(dt, p, xv, gv, bv, y, e, &lo, &hi)) return lo;
  return accurate_lanes(dt, p, i, y, e, lo, hi);
}

/* In place, the exact statistics cannot wait for the first undecided
 * output: by then the outputs before it have overwritten x. This pass runs
 * the rounding test without storing, and computes them if any vector
 * might need them (the normalize pass then runs as out of place). */
NB_INLINE void accurate_inplace_check(nb_dtype dt, const npar *p, const void *x, const void *g,
                                      const void *b, size_t d) {
  vd y[2], e[2];
  vf lo, hi, bv = vf_zero();
  size_t i = 0;
  for (; i + NB_W <= d; i += NB_W) {
    if (b) bv = ld(dt, b, i);
    if (!accurate_try(dt, p, ld(dt, x, i), gain(p, ld(dt, g, i)), b ? &bv : NULL, y, e, &lo, &hi)) break;
  }
  if (i < d && d - i < NB_W) {
    if (b) bv = vf_ldn(dt, at(dt, b, i), d - i);
    if (accurate_try(dt, p, vf_ldn(dt, at(dt, x, i), d - i), gain(p, vf_ldn(dt, at(dt, g, i), d - i)), b ? &bv : NULL,
                     y, e, &lo, &hi))
      i = d;
  }
  if (i < d) nb_exact_prepare(p->xr);
}

#ifdef NB_HAVE_FMA
/* Accurate RMSNorm into f32 without leaving float, for vectors whose
 * products x g lie in [2^-40, 2^40] (r64 in [2^-40, 2^40], checked per
 * row): x g = p + e exactly (FMA), r64 = rh + rl to 2^-48, p rh = t + te
 * exactly; lo = p rl + (e rh + te) misses e rl and two roundings, so
 * t + lo is within 6 2^-48 |y| of x g (rh + rl), and within
 * err = (rho + 2^-45) 1.001 |y| of the exact y. The rounding is decided by
 * rounding both ends of an interval that holds the exact y:
 * y1 = fl(t + fl(lo - E)) and y2 = fl(t + fl(lo + E)), E = fl(kf |t|).
 * Rounding is monotonic, so y1 == y2 is the correctly rounded y. E covers
 * err (|y| <= |t| (1 + 2^-22)) and the roundings of lo -+ E and of E
 * (|lo| <= 3.01 2^-24 |t|, so each is below 2^-46 |t|): kf = (rho +
 * 2^-45) 1.01 + 2^-44 leaves a margin over both. In the range above every
 * value here is normal or E dominates its rounding. Returns 0 (the double
 * path decides) for any other vector. */
NB_INLINE int eft_vec(vf xv, vf gv, const npar *np, vf *out) {
  vf p = vf_mul(xv, gv);
  if (!vf_all_abs_in(p, 0x1p-40f, 0x1p40f)) return 0;
  const vf rh = vf_set1(np->rh);
  vf e = vf_fms(xv, gv, p);
  vf t = vf_mul(p, rh);
  vf te = vf_fms(p, rh, t);
  vf lo = vf_fma(p, vf_set1(np->rl), vf_fma(e, rh, te));
  vf E = vf_mul(vf_abs(t), vf_set1(np->kf));
  vf y1 = vf_add(t, vf_sub(lo, E)), y2 = vf_add(t, vf_add(lo, E));
  if (!vf_same(y1, y2)) return 0;
  *out = y1;
  return 1;
}
#endif

#ifdef NB_HAVE_FMA
/* a + b = s + err exactly (Knuth's TwoSum: no ordering of |a|, |b|) */
NB_INLINE vf two_sum(vf a, vf b, vf *err) {
  vf s = vf_add(a, b), bp = vf_sub(s, a), ap = vf_sub(s, bp);
  *err = vf_add(vf_sub(a, ap), vf_sub(b, bp));
  return s;
}

/* Accurate LayerNorm into f32 without leaving float (accurate_row derives
 * the constants; docs/ACCURACY.md the bound). The mean as two floats,
 * mh + ml = mu1 + c within dmr, and r64 = rh + rl as in eft_vec:
 * x - mh = s + es exactly (TwoSum), the numerator s + fl(es - ml);
 * s g = p + pe exactly, q = fl(nl g + pe), then (p + q)(rh + rl) as
 * t + lo (t + te = p rh exactly); with a bias, t + b = S + Se exactly and
 * L = fl(lo + Se). E = kt |t| + kS |S| + kg |g| covers every
 * rounding above, the statistics' error (rho on r, dc on the mean) and the
 * roundings of L -+ E, so S + fl(L - E) <= y <= S + fl(L + E) and, as in
 * eft_vec, equal roundings of both ends are the correctly rounded y. Only
 * for vectors with |s g| in [2^-40, 2^40] (r64 in [2^-40, 2^40], checked
 * per row): no product there loses bits to underflow that E does not
 * cover (a sum that underflows is exact). A bias that overflows S leaves
 * NaN or inf in y1: declined, the double path keeps the special-value
 * convention. */
NB_INLINE int eft_ln_vec(vf xv, vf gv, const vf *bv, const npar *np, vf *out) {
  const vf rh = vf_set1(np->rh);
  vf es, s = two_sum(xv, vf_set1(-np->mh), &es);
  vf p = vf_mul(s, gv);
  if (!vf_all_abs_in(p, 0x1p-40f, 0x1p40f)) return 0;
  vf nl = vf_sub(es, vf_set1(np->ml));
  vf q = vf_fma(nl, gv, vf_fms(s, gv, p));
  vf t = vf_mul(p, rh);
  vf te = vf_fms(p, rh, t);
  vf L = vf_fma(p, vf_set1(np->rl), vf_fma(q, rh, te)), S = t;
  if (bv) {
    vf se;
    S = two_sum(t, *bv, &se);
    L = vf_add(L, se);
  }
  vf eg = vf_mul(vf_abs(gv), vf_set1(np->kg));
  vf E = vf_fma(vf_abs(t), vf_set1(np->kt), vf_fma(vf_abs(S), vf_set1(np->kS), eg));
  vf y1 = vf_add(S, vf_sub(L, E)), y2 = vf_add(S, vf_add(L, E));
  if (!vf_same(y1, y2) || (bv && !vf_all_abs_in(y1, 0.0f, FLT_MAX))) return 0;
  *out = y1;
  return 1;
}
#endif

#ifdef NB_HAVE_FMA
/* x rounded into the 16-bit format dt, as a float (exact): the store and
 * load the kernel uses anyway, through a buffer. */
NB_INLINE vf round16(nb_dtype dt, vf v) {
  if (dt == NB_F32) return v; /* never called so: keeps f32 loads off the 16-bit buffer */
  uint16_t b[NB_W];
  st(dt, b, 0, v);
  return ld(dt, b, 0);
}

/* 16-bit outputs in float: an 8- or 11-bit result needs far less than a
 * double. RMSNorm y = (x g) r32; LayerNorm y = ((x - m32) g) r32 + b with
 * m32 = mu1 + c in float. The bound (accurate_row derives the constants):
 * RMSNorm E = k16 |y|; LayerNorm E = ky16 |y| + k16 |P| + |g| (kx16
 * |x - m32| + kg16), P = ((x - m32) g) r32, the last term the numerator's
 * absolute error; E includes the float roundings of y -+ E. f16: y - E and
 * y + E rounded into the format alike decide the output (F16C rounds and
 * widens in two instructions). bf16: y farther than E from every rounding
 * midpoint (vf_low_bits_far, vf_far_from_mid: from y's own bits) rounds as
 * the exact result, so the store's rounding of y is the output; for bf16
 * that is cheaper than two roundings. Only for vectors whose products lie
 * in [2^-60, 2^60] (r32 in [2^-60, 2^60], checked per row), where every
 * float here is normal or exact; returns 0 (the double path decides)
 * otherwise. */
NB_INLINE int half_vec(nb_dtype dt, vf xv, vf gv, const vf *bv, const npar *np, vf *out) {
  if (np->center) xv = vf_sub(xv, vf_set1(np->m32));
  vf p = vf_mul(xv, gv);
  if (!vf_all_abs_in(p, 0x1p-60f, 0x1p60f)) return 0;
  vf y = vf_mul(p, vf_set1(np->r32)), e;
  if (np->center) {
    vf ap = vf_abs(y);
    if (bv) y = vf_add(y, *bv);
    vf en = vf_mul(vf_abs(gv), vf_fma(vf_abs(xv), vf_set1(np->kx16), vf_set1(np->kg16)));
    e = vf_fma(vf_abs(y), vf_set1(np->ky16), vf_fma(ap, vf_set1(np->k16), en));
  } else {
    e = vf_mul(y, vf_set1(np->k16));
  }
  if (dt == NB_F16) {
    vf lo = round16(dt, vf_sub(y, e)), hi = round16(dt, vf_add(y, e));
    if (!vf_same(lo, hi)) return 0;
    *out = lo;
    return 1;
  }
  if (!np->center) {
    /* RMSNorm: y in [2^-120, 2^120] and E below k16 2^24 units whatever
     * y's exponent: the low bits alone decide */
    if (!vf_low_bits_far(y, np->kmid)) return 0;
  } else if (!vf_all_abs_in(y, 0x1p-100f, 0x1p120f) || !vf_far_from_mid(y, e)) {
    return 0;
  }
  *out = y;
  return 1;
}
#endif

/* One vector of outputs [i, i + NB_W); bv NULL: no bias. The f32
 * algorithms' f16 outputs keep exactly +-65520 (the f16 overflow
 * threshold) finite: their bound allows the exact value to lie below it. */
NB_INLINE vf out_vec(nb_dtype dt, int acc, const npar *p, vf xv, vf gv, const vf *bv, size_t i) {
  gv = gain(p, gv);
#ifdef NB_HAVE_FMA
  vf eo;
  if (acc && p->eft && (p->center ? eft_ln_vec(xv, gv, bv, p, &eo) : eft_vec(xv, gv, p, &eo))) return eo;
  if (acc && dt != NB_F32 && p->h16 && half_vec(dt, xv, gv, bv, p, &eo)) return eo;
#endif
  if (acc) return accurate_vec(dt, p, xv, gv, bv, i);
  vf o = norm_vec(xv, vf_set1(p->mu), vf_set1(p->r), gv, bv, p->center);
  return dt == NB_F16 ? vf_f16_tie(o) : o;
}

/* Outputs [i, i + n), n < NB_W. */
NB_INLINE void out_part(nb_dtype dt, int acc, const npar *p, const void *x, const void *g,
                        const void *b, void *y, size_t i, size_t n, int has_b) {
  vf bv = has_b ? vf_ldn(dt, at(dt, b, i), n) : vf_zero();
  vf o = out_vec(dt, acc, p, vf_ldn(dt, at(dt, x, i), n), vf_ldn(dt, at(dt, g, i), n),
                 has_b ? &bv : NULL, i);
  vf_stn(dt, (char *)y + i * dt_size(dt), o, n);
}

/* Streaming (non-temporal) stores write y's lines without first reading
 * them (no read-for-ownership) and without evicting x and g from the cache.
 * That pays only when y will not be found in cache anyway: the kernel
 * streams when the whole output exceeds NB_STREAM_MIN, 4 MiB, which is
 * above the L2 of current x86 cores (1-2 MiB) and about a core's share of
 * a shared L3; below it the caller's next read of y would likely hit a
 * cache that streaming would have bypassed. Never in place (y == x): the
 * statistics pass has just brought every line of y into cache, so there is
 * no read-for-ownership to save, and a streaming store to a cached line
 * evicts it. */
#define NB_STREAM_MIN ((size_t)4 << 20)
#ifdef NB_HAVE_STREAM
#define NB_CAN_STREAM 1
NB_INLINE void st_nt(nb_dtype dt, void *p, size_t i, vf v) {
  switch (dt) {
  case NB_F16: vf_st_f16_nt((uint16_t *)p + i, v); break;
  case NB_BF16: vf_st_bf16_nt((uint16_t *)p + i, v); break;
  default: vf_st_f32_nt((float *)p + i, v);
  }
}
#else
/* Never called: use_stream() is 0 without NB_HAVE_STREAM. */
#define NB_CAN_STREAM 0
NB_INLINE void st_nt(nb_dtype dt, void *p, size_t i, vf v) { st(dt, p, i, v); }
NB_INLINE void nb_stream_fence(void) {}
#endif

NB_INLINE int use_stream(nb_dtype dt, const void *x, const void *y, size_t rows, size_t d) {
  return NB_CAN_STREAM && x != y && rows * d * dt_size(dt) > NB_STREAM_MIN &&
         (uintptr_t)y % dt_size(dt) == 0;
}

/* How a row is written: nt, streaming stores; next, the next row of x to
 * prefetch while this one is normalized (NULL: none). Without the prefetch a
 * memory-bound call alternates between waiting for x (statistics pass) and
 * computing from L1 (normalize pass); prefetching overlaps the two. Measured
 * on Zen4, RMSNorm f32 D=4096 over 256 MiB: streaming alone +0..9% (and
 * -6..-17% for accurate), streaming with the prefetch +27..58%. Only for
 * calls above NB_STREAM_MIN, where x is not already in cache. */
typedef struct { int nt; const char *next; } rowio;

/* One vector of outputs at i, and its store (streamed if nt). */
NB_INLINE vf out_at(nb_dtype dt, int acc, const npar *p, const void *x, const void *g,
                    const void *b, size_t i, int has_b) {
  vf bv = has_b ? ld(dt, b, i) : vf_zero();
  return out_vec(dt, acc, p, ld(dt, x, i), ld(dt, g, i), has_b ? &bv : NULL, i);
}
NB_INLINE void st_io(nb_dtype dt, void *y, size_t i, vf o, int nt) {
  if (nt)
    st_nt(dt, y, i, o);
  else
    st(dt, y, i, o);
}

/* Two vectors holding elements [i, i + 2 NB_W). In element order, except
 * for bf16 on an ISA with NB_HAVE_PAIR_BF16: its vf_ld2_bf16 widens the
 * 2 NB_W elements from one load in an arrangement of its own (AVX2,
 * AVX-512: the even elements, then the odd ones, no shuffle), which its
 * vf_st2_bf16 undoes. The normalize pass computes each output from its
 * own x, g and b lanes, so any arrangement shared by the loads and the
 * store gives the same outputs. Only the normalize pass uses it: the
 * statistics pass sums in lane order. */
NB_INLINE void ld_pair(nb_dtype dt, const void *p, size_t i, vf *a, vf *b) {
#ifdef NB_HAVE_PAIR_BF16
  if (dt == NB_BF16) {
    vf_ld2_bf16((const uint16_t *)p + i, a, b);
    return;
  }
#endif
  *a = ld(dt, p, i);
  *b = ld(dt, p, i + NB_W);
}

/* Two vectors from ld_pair's arrangement, stored at [i, i + 2 NB_W) in
 * element order; a bf16 pair as one store, whose streaming form needs
 * y + i aligned to the pair. */
#ifdef NB_HAVE_PAIR_BF16
#define NB_PAIR_BF16 2
#else
#define NB_PAIR_BF16 1
#endif
NB_INLINE void st_pair(nb_dtype dt, void *y, size_t i, vf o0, vf o1, int nt) {
#ifdef NB_HAVE_PAIR_BF16
  if (dt == NB_BF16) {
    if (nt)
      vf_st2_bf16_nt((uint16_t *)y + i, o0, o1);
    else
      vf_st2_bf16((uint16_t *)y + i, o0, o1);
    return;
  }
#endif
  st_io(dt, y, i, o0, nt);
  st_io(dt, y, i + NB_W, o1, nt);
}

/* nt: stream the full vectors, after peeling the outputs up to the first
 * address aligned to a whole vector store (y is element-aligned). The f32
 * algorithms take two vectors an iteration, so that the loads, products
 * and stores of one overlap the other's (and a bf16 pair narrows at once);
 * the accurate kernels' output path is too large to repeat. */
NB_INLINE void normalize_loop(nb_dtype dt, int acc, const npar *p, const void *x, const void *g,
                              const void *b, void *y, size_t d, int has_b, int nt,
                              const char *next) {
  const size_t es = dt_size(dt), vec = NB_W * es;
  size_t i = 0;
  if (nt) {
    i = (vec - (uintptr_t)y % vec) % vec / es;
    if (i > d) i = d;
    if (i) out_part(dt, acc, p, x, g, b, y, 0, i, has_b);
  }
  if (!acc) {
    const size_t pair = dt == NB_BF16 ? NB_PAIR_BF16 * vec : vec;
    if (nt && i + NB_W <= d && ((uintptr_t)y + i * es) % pair) {
      if (next) __builtin_prefetch(next + i * es);
      st_io(dt, y, i, out_at(dt, acc, p, x, g, b, i, has_b), nt);
      i += NB_W;
    }
    for (; i + 2 * NB_W <= d; i += 2 * NB_W) {
      if (next) {
        __builtin_prefetch(next + i * es);
        __builtin_prefetch(next + (i + NB_W) * es);
      }
      vf x0, x1, g0, g1, b0 = vf_zero(), b1 = vf_zero();
      ld_pair(dt, x, i, &x0, &x1);
      ld_pair(dt, g, i, &g0, &g1);
      if (has_b) ld_pair(dt, b, i, &b0, &b1);
      vf o0 = out_vec(dt, acc, p, x0, g0, has_b ? &b0 : NULL, i);
      vf o1 = out_vec(dt, acc, p, x1, g1, has_b ? &b1 : NULL, i + NB_W);
      st_pair(dt, y, i, o0, o1, nt);
    }
  }
  for (; i + NB_W <= d; i += NB_W) {
    if (next) __builtin_prefetch(next + i * es);
    st_io(dt, y, i, out_at(dt, acc, p, x, g, b, i, has_b), nt);
  }
  if (i < d) out_part(dt, acc, p, x, g, b, y, i, d - i, has_b);
}

/* has_b and nt become constants of four loops; acc (the accurate kernels'
 * output path) is a constant too, so the other algorithms' loops carry
 * none of it. */
NB_INLINE void normalize(nb_dtype dt, int acc, const npar *p, const void *x, const void *g,
                         const void *b, void *y, size_t d, rowio io) {
  if (b && io.nt)
    normalize_loop(dt, acc, p, x, g, b, y, d, 1, 1, io.next);
  else if (b)
    normalize_loop(dt, acc, p, x, g, b, y, d, 1, 0, io.next);
  else if (io.nt)
    normalize_loop(dt, acc, p, x, g, NULL, y, d, 0, 1, io.next);
  else
    normalize_loop(dt, acc, p, x, g, NULL, y, d, 0, 0, io.next);
}

/* ---- RMSNorm into int8 and fp8 e4m3 (normbench.h) ----------------------
 * The f32 algorithms' y_i = (x_i r) g_i, as norm_vec computes RMSNorm's,
 * then quantized in vectors by the ISA's vf_st_i8 / vf_st_e4m3; the
 * accurate kernels' y_i = (x_i g_i) r64 in double (the product is exact
 * there, so y is within rho + u of the exact value), quantized lane by
 * lane in plain C (nb_f64_to_e4m3 is libm's): they are not the speed
 * candidates. int8 needs max|y| before any q: a first pass computes y for
 * the max only, a second recomputes it bit for bit and quantizes, so
 * max|q| is exactly 127; the row is in L1/L2 by then. Lanes past the row
 * (vf_ldn zero-fills) give y = 0 and are never stored. */
NB_INLINE vf qy_vec(nb_dtype dt, const void *x, const void *g, size_t i, size_t n, vf vr) {
  vf xv = n == NB_W ? ld(dt, x, i) : vf_ldn(dt, at(dt, x, i), n);
  vf gv = n == NB_W ? ld(dt, g, i) : vf_ldn(dt, at(dt, g, i), n);
  return vf_mul(vf_mul(xv, vr), gv);
}
/* y in double, NB_W lanes (the accurate kernels) */
NB_INLINE void qy_vec_f64(nb_dtype dt, const void *x, const void *g, size_t i, size_t n, vd vr,
                          double *out) {
  vf xv = n == NB_W ? ld(dt, x, i) : vf_ldn(dt, at(dt, x, i), n);
  vf gv = n == NB_W ? ld(dt, g, i) : vf_ldn(dt, at(dt, g, i), n);
  vd xd[2], gd[2];
  vf_widen(xv, &xd[0], &xd[1]);
  vf_widen(gv, &gd[0], &gd[1]);
  vd_st(out, vd_mul(vd_mul(xd[0], gd[0]), vr));
  vd_st(out + NB_W / 2, vd_mul(vd_mul(xd[1], gd[1]), vr));
}

/* max|y| of a row, NaN if y holds a NaN: lane by lane, in double */
NB_INLINE double qmax_lanes(nb_dtype dt, int f64, const void *x, const void *g, size_t d, vf vr, vd vr64) {
  double yd[NB_W], amax = 0;
  float yf[NB_W];
  int nan = 0;
  for (size_t i = 0; i < d; i += NB_W) {
    size_t n = d - i < NB_W ? d - i : NB_W;
    if (f64) {
      qy_vec_f64(dt, x, g, i, n, vr64, yd);
    } else {
      vf_st_f32(yf, qy_vec(dt, x, g, i, n, vr));
      for (int l = 0; l < NB_W; l++) yd[l] = yf[l];
    }
    for (int l = 0; l < NB_W; l++) {
      nan |= isnan(yd[l]);
      amax = fabs(yd[l]) > amax ? fabs(yd[l]) : amax;
    }
  }
  return nan ? NAN : amax;
}

/* max|y| in vectors (f32 algorithms): a running max of y and -y, and a
 * running sum of y - y, which is NaN once any y is not finite; such rows
 * (rare: NaN or inf inputs) are redone by qmax_lanes, whose NaN rule the
 * ISAs' max instructions do not share. */
NB_INLINE double qmax_vec(nb_dtype dt, const void *x, const void *g, size_t d, vf vr) {
  const vf zero = vf_zero();
  vf mx = zero, nf = zero;
  for (size_t i = 0; i < d; i += NB_W) {
    vf y = qy_vec(dt, x, g, i, d - i < NB_W ? d - i : NB_W, vr);
    mx = vf_max(mx, vf_max(y, vf_sub(zero, y)));
    nf = vf_add(nf, vf_sub(y, y));
  }
  float m[NB_W], f[NB_W], amax = 0;
  vf_st_f32(m, mx);
  vf_st_f32(f, nf);
  for (int l = 0; l < NB_W; l++) {
    if (f[l] != 0) return qmax_lanes(dt, 0, x, g, d, vr, vd_zero());
    amax = m[l] > amax ? m[l] : amax;
  }
  return amax;
}

/* One row: r (f32 algorithms) or r64 (f64: the accurate kernels); sc is
 * this row's scale (RMSNormI8), NULL when the caller passed none. */
NB_INLINE void quant_row(nb_op op, nb_dtype dt, int f64, const void *x, const void *g,
                         const void *sc, void *y, size_t d, float r, double r64, rowio io) {
  const vf vr = vf_set1(r);
  const vd vr64 = vd_set1(r64);
  uint8_t *q = y, o[NB_W];
  double yd[NB_W];
  size_t i = 0;
  if (op == NB_RMSNORM_E4M3) {
    for (; i < d; i += NB_W) {
      size_t n = d - i < NB_W ? d - i : NB_W;
      if (io.next) __builtin_prefetch(io.next + i * dt_size(dt));
      if (f64) {
        qy_vec_f64(dt, x, g, i, n, vr64, yd);
        for (int l = 0; l < NB_W; l++) o[l] = nb_f64_to_e4m3(yd[l]);
      } else if (n == NB_W) {
        vf_st_e4m3(q + i, qy_vec(dt, x, g, i, n, vr));
        continue;
      } else {
        vf_st_e4m3(o, qy_vec(dt, x, g, i, n, vr));
      }
      memcpy(q + i, o, n);
    }
    return;
  }
  double amax = f64 ? qmax_lanes(dt, 1, x, g, d, vr, vr64) : qmax_vec(dt, x, g, d, vr);
  /* f32 algorithms: amax is a float, s and 127/amax in float as engines do */
  float s = f64 ? (float)(amax / 127) : (float)amax / 127.0f;
  if (sc) *(float *)(uintptr_t)sc = s; /* the caller's buffer: see normbench.h */
  if (!(amax > 0) || isinf(amax)) {
    memset(y, 0, d);
    return;
  }
  const vf inv = vf_set1(127.0f / (float)amax);
  const double inv64 = 127 / amax;
  /* 127 / max|y| overflows float when max|y| < 2^-120 (subnormal y, rows
   * outside the f32 algorithms' range): such rows take the double path */
  const int wide = f64 || isinf(127.0f / (float)amax);
  for (; i < d; i += NB_W) {
    size_t n = d - i < NB_W ? d - i : NB_W;
    if (io.next) __builtin_prefetch(io.next + i * dt_size(dt));
    if (wide) {
      /* |t| <= 127 (1 + 2^-52): t + 1.5 2^52 rounds t to an integer k
       * (RNE) and holds 0x4338000000000000 + k, whose low byte is k as an
       * int8 */
      if (f64) {
        qy_vec_f64(dt, x, g, i, n, vr64, yd);
      } else {
        float yf[NB_W];
        vf_st_f32(yf, qy_vec(dt, x, g, i, n, vr));
        for (int l = 0; l < NB_W; l++) yd[l] = yf[l];
      }
      for (int l = 0; l < NB_W; l++) {
        double t = yd[l] * inv64 + 0x1.8p52;
        uint64_t u;
        memcpy(&u, &t, 8);
        o[l] = (uint8_t)u;
      }
    } else if (n == NB_W) { /* |t| <= 127 (1 + 2^-22) */
      vf_st_i8(q + i, vf_mul(qy_vec(dt, x, g, i, n, vr), inv));
      continue;
    } else {
      vf_st_i8(o, vf_mul(qy_vec(dt, x, g, i, n, vr), inv));
    }
    memcpy(q + i, o, n);
  }
}

/* The f32 algorithms' statistics of a row: its mean (LayerNorm; else 0)
 * and r = 1 / sqrt(m2 + eps), m2 the mean square about it. */
typedef struct { float mu, r; } rowstat;
NB_INLINE rowstat row_stat(float mu, float m2, float eps) {
  rowstat s = {mu, nb_rstd_f32(m2 + eps)};
  return s;
}

/* The f32 algorithms' normalize pass. */
NB_INLINE void normalize_f32(nb_op op, nb_dtype dt, const void *x, const void *g, const void *b,
                             void *y, size_t d, rowstat s, rowio io) {
  int ln = op == NB_LAYERNORM;
  npar p = {.center = ln, .onep = op == NB_RMSNORM1P, .mu = s.mu, .r = s.r};
  if (op == NB_RMSNORM_I8 || op == NB_RMSNORM_E4M3) { /* b: the row's scale */
    quant_row(op, dt, 0, x, g, b, y, d, p.r, 0, io);
    return;
  }
  normalize(dt, 0, &p, x, g, ln ? b : NULL, y, d, io);
}

/* ---- the algorithms: one row each; op and dtype are constants ----------
 * The f32 algorithms (twopass, fast, welford) differ only in their
 * statistics (ALGO_stats); ALGO_row is those, then normalize_f32. */

/* twopass: statistics in blocked lane sums; LayerNorm takes the mean first,
 * then the centred squares. */
NB_INLINE rowstat twopass_stats(nb_op op, nb_dtype dt, const void *x, size_t d, float eps) {
  int ln = op == NB_LAYERNORM;
  float mu = ln ? blocked_sums(dt, x, d, 0, SUM1).s1 / (float)d : 0.0f;
  float m2 = blocked_sums(dt, x, d, mu, SUM2 | (ln ? CENTER : 0)).s2 / (float)d;
  return row_stat(mu, m2, eps);
}

/* fast: one unblocked sweep for all statistics; LayerNorm's variance is
 * E[x^2] - mu^2 (clamped at 0), which loses accuracy on shifted rows. */
NB_INLINE rowstat fast_stats(nb_op op, nb_dtype dt, const void *x, size_t d, float eps) {
  int ln = op == NB_LAYERNORM;
  sums_f32 s = lane_sums(dt, x, d, 0, SUM2 | (ln ? SUM1 : 0));
  float mu = ln ? s.s1 / (float)d : 0.0f;
  float m2 = s.s2 / (float)d - mu * mu;
  if (m2 < 0) m2 = 0; /* NaN is kept */
  return row_stat(mu, m2, eps);
}
/* Welford state of one lane, or of a merged group: count, mean, and the sum
 * of squared deviations (LayerNorm) -- for RMSNorm, mean is the running
 * mean of x^2 and m2 is unused. */
typedef struct { float n, mean, m2; } wstate;

/* Chan et al.: merge two states. */
NB_INLINE wstate chan_merge(wstate a, wstate b) {
  if (a.n == 0) return b;
  if (b.n == 0) return a;
  float n = a.n + b.n, delta = b.mean - a.mean, fb = b.n / n;
  wstate r = {n, a.mean + delta * fb, a.m2 + b.m2 + delta * delta * a.n * fb};
  return r;
}

/* Welford over x[0, n) of one block: per-lane running means (of x, or of
 * x^2 for RMSNorm) updated with a shared 1/k, lanes merged by a tree of
 * Chan merges, the remaining n % (NB_U*NB_W) elements by scalar Welford. */
NB_INLINE wstate welford_block(int ln, nb_dtype dt, const void *x, size_t n) {
  enum { L = NB_U * NB_W };
  vf mean[NB_U], m2[NB_U];
  for (int u = 0; u < NB_U; u++) mean[u] = m2[u] = vf_zero();
  size_t i = 0, k = 0;
  for (; i + L <= n; i += L) {
    const vf rk = vf_set1(1.0f / (float)++k);
    for (int u = 0; u < NB_U; u++) {
      vf v = ld(dt, x, i + u * NB_W);
      if (!ln) v = vf_mul(v, v);
      vf delta = vf_sub(v, mean[u]);
      mean[u] = vf_fma(delta, rk, mean[u]);
      if (ln) m2[u] = vf_fma(delta, vf_sub(v, mean[u]), m2[u]);
    }
  }
  float lm[L], l2[L];
  for (int u = 0; u < NB_U; u++) {
    vf_st_f32(lm + u * NB_W, mean[u]);
    vf_st_f32(l2 + u * NB_W, m2[u]);
  }
  wstate s[L];
  for (int l = 0; l < L; l++) s[l] = (wstate){(float)k, lm[l], l2[l]};
  for (int w = L / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; l++) s[l] = chan_merge(s[l], s[l + w]);
  wstate t = {0, 0, 0};
  for (; i < n; i++) {
    float v = ld1(dt, x, i);
    if (!ln) v *= v;
    t.n += 1;
    float delta = v - t.mean;
    t.mean += delta / t.n;
    t.m2 += delta * (v - t.mean);
  }
  return chan_merge(s[0], t);
}

NB_INLINE rowstat welford_stats(nb_op op, nb_dtype dt, const void *x, size_t d, float eps) {
  int ln = op == NB_LAYERNORM;
  wstate s = {0, 0, 0};
  for (size_t j = 0; j < d; j += NB_BLOCK)
    s = chan_merge(s, welford_block(ln, dt, at(dt, x, j), d - j < NB_BLOCK ? d - j : NB_BLOCK));
  float mu = ln ? s.mean : 0.0f, m2 = ln ? s.m2 / (float)d : s.mean;
  /* RMSNorm: once an infinite x^2 makes a running mean +inf, the next
   * update takes inf - inf = NaN, where the convention wants mean square
   * +inf (outputs +-0). The plain sum gives +inf, and NaN only when x holds
   * a NaN; this path runs only on rows that are NaN already. */
  if (!ln && isnan(m2)) m2 = blocked_sums(dt, x, d, 0, SUM2).s2 / (float)d;
  return row_stat(mu, m2, eps);
}

#define NB_F32_ROW(algo)                                                                          \
  NB_INLINE void algo##_row(nb_op op, nb_dtype dt, const void *x, const void *g, const void *b, \
                            void *y, size_t d, float eps, rowio io) {                           \
    normalize_f32(op, dt, x, g, b, y, d, algo##_stats(op, dt, x, d, eps), io);                  \
  }
NB_F32_ROW(twopass)
NB_F32_ROW(fast)
NB_F32_ROW(welford)

/* accurate LayerNorm's shift mu1: any double keeps its bound, one near
 * the mean keeps it tight. The mean of 8 evenly spaced elements, so that
 * one pass of centered sums is enough for most rows (accurate_row). */
NB_INLINE double shift_estimate(nb_dtype dt, const void *x, size_t d) {
  size_t n = d < 8 ? d : 8;
  double s = 0;
  for (size_t k = 0; k < n; k++) s += ld1(dt, x, k * d / n);
  return s / (double)n;
}

/* The least float >= v: bounds that may be subnormal keep rounding up. */
NB_INLINE float up32(double v) {
  float f = (float)v;
  return (double)f < v ? nextafterf(f, INFINITY) : f;
}

/* accurate: statistics in double, the output correctly rounded (Ziv):
 * the fast path's y with a rigorous bound E, a rounding test, and the
 * exact fallback (exact.c) for outputs it cannot decide. LayerNorm uses the
 * corrected two-pass scheme with a shift mu1: c = sum(x - mu1)/d and
 * var = sum((x - mu1)^2)/d - c^2; the output uses (x - mu1) - c, so the
 * mean's rounding never reaches the output at the scale of mu. mu1 is
 * first shift_estimate's (one pass); a row where it lies more than a
 * standard deviation from the mean (2 c^2 > sum((x - mu1)^2)/d) is summed
 * again from mu1 + c, and a row that is not finite from mu1 = sum(x)/d
 * (the special-value outputs as they always were).
 *
 * The bound (u = 2^-53; docs/ACCURACY.md derives it): lane_sums_f64 passes
 * each term through at most h = ceil(D/L) + NB_U + NB_W + log2(L) + 2
 * additions (L = NB_U NB_W lanes, the leftover vectors, the scalar tail,
 * the tree), so a sum of non-negative terms is within h u (1 + h u).
 * RMSNorm's sum of exact squares: the mean, +eps, sqrt and 1/x add four
 * roundings, so r is within rho = (h + 8) u and y = (x g) r within
 * (rho + 2u) |y| / (1 - rho - 2u).
 * LayerNorm: with t = x - mu1 and A = sum t^2, |m2 - var| <=
 * 3.2 (h + 13) u A/D + u m2 and |c - (mu - mu1)| <= dc = 1.01 (h + 12) u
 * sqrt(A/D) + u |c|; den = m2 + eps is then within a relative eta, r within
 * rho = eta/2 + eta^2 + 3u, and y within u|y| + (1.01 rho + 3.1 u) |t g r|
 * + |g| r (1 + 2 rho) (1.01 u |x - mu1| + dc). Every constant is inflated
 * by 2^-47 relative and |y| 2^-51 is added, for the roundings of E and of
 * y -+ E. A row whose eta exceeds 2^-20 (a variance lost to cancellation)
 * or whose computed denominator might be zero sends every output to the
 * exact path. */
NB_INLINE void accurate_row(nb_op op, nb_dtype dt, const void *x, const void *g,
                            const void *b, void *y, size_t d, float eps, rowio io) {
  const int ln = op == NB_LAYERNORM;
  const double u = 0x1p-53, f = 1 + 0x1p-47, dd = (double)d;
  const double h = ceil(dd / (NB_U * NB_W)) + NB_U + NB_W + __builtin_ctz(NB_U * NB_W) + 2;
  nb_xrow xr;
  xr.ln = ln;
  xr.dt = dt;
  xr.x = x;
  xr.d = d;
  xr.eps = eps;
  xr.ex.ready = 0; /* the exact statistics: only if an output needs them */
  npar p = {.center = ln, .onep = op == NB_RMSNORM1P, .g = g, .b = ln ? b : NULL, .xr = &xr};
  if (ln) {
    p.mu1 = shift_estimate(dt, x, d);
    sums_f64 s = lane_sums_f64(dt, x, d, p.mu1, SUM1 | SUM2 | CENTER);
    p.c = s.s1 / dd;
    if (!(isfinite(s.s2) && 2 * p.c * p.c <= s.s2 / dd)) { /* the shift is off by more than sigma: again from mu1 + c */
      p.mu1 = isfinite(s.s2) ? p.mu1 + p.c : lane_sums_f64(dt, x, d, 0, SUM1).s1 / dd;
      s = lane_sums_f64(dt, x, d, p.mu1, SUM1 | SUM2 | CENTER);
      p.c = s.s1 / dd;
    }
    double s2d = s.s2 / dd, m2 = s2d - p.c * p.c;
    if (m2 < 0) m2 = 0; /* NaN is kept */
    double den = m2 + (double)eps;
    p.r64 = nb_rstd_f64(den);
    double err_den = (3.2 * (h + 13) * u * s2d + 1.01 * u * m2 + u * den) * f;
    if (isfinite(s.s2) && isfinite(den) && (den > 0 || err_den > 0)) {
      /* a finite row with a finite eps: r = 0 only from an exactly
       * constant row (s2 = 0) with eps = 0, whose outputs are exact */
      double eta = den > err_den ? err_den / (den - err_den) : INFINITY;
      if (!(eta <= 0x1p-20)) {
        p.allx = 1;
      } else {
        double rho = 0.5 * eta + eta * eta + 3 * u, kr = p.r64 * (1 + 2 * rho);
        double dc = 1.01 * (h + 12) * u * sqrt(s2d) * (1 + 0x1p-40) + 1.01 * u * fabs(p.c);
        p.ky = (1.01 * u + 0x1p-51) * f;
        p.kp = (1.01 * rho + 3.1 * u) * f;
        p.kru = kr * 1.01 * u * f;
        p.krdc = kr * dc * f;
#ifdef NB_HAVE_FMA
        /* the float path (half_vec), u32 = 2^-24: r32 = fl(r64), the
         * numerator fl(x - m32) with |m32 - mu| <= dm, two products and the
         * bias add; then y -+ E in float; F covers the roundings of E */
        const double u32 = 0x1p-24, F = 1 + 0x1p-18;
        p.r32 = (float)p.r64;
        p.m32 = (float)(p.mu1 + p.c);
        double dm = dc + 1.01 * u32 * fabs((double)p.m32), kr32 = (double)p.r32 * (1 + rho + 2 * u32);
        p.ky16 = (float)(2.02 * u32 * F);
        p.k16 = (float)(1.01 * (rho + 3 * u32) * F);
        p.kx16 = (float)(kr32 * 1.01 * u32 * F);
        p.kg16 = (float)(kr32 * dm * F);
        p.h16 = dt != NB_F32 && p.r32 >= 0x1p-60f && p.r32 <= 0x1p60f && isfinite(p.m32);
        /* the f32 float path (eft_ln_vec), every constant an upper bound
         * (F also covers the float roundings of the constants and of E):
         * mh = m32, mh + ml = mu1 + c within dmr (two roundings in double
         * and ml's own); rh + rl = r64 within 2^-48 r64, so within rhoR
         * of the exact r; rr bounds that r times (1 + rhoR). kt: rhoR on
         * the product, 11.4 2^-48 for the products, 8.5 2^-48 for L and
         * L -+ E, 1.1 2^-48 for the numerator's rounding
         * (2^-48 |s g| r <= 1.1 2^-48 |t|); kS:
         * 2 2^-48 for L's rounding and L -+ E; kg: the mean's error
         * (dc + dmr) and every term in |ml| |g| (8 2^-24 + rhoR). */
        p.mh = p.m32;
        double dmh = p.mu1 - (double)p.mh, rem = dmh + p.c;
        p.ml = (float)rem;
        p.rh = (float)p.r64;
        p.rl = (float)(p.r64 - p.rh);
        double dmr = 1.01 * (u * fabs(dmh) + u * fabs(rem) + fabs(rem - p.ml)), rhoR = rho + 1.01 * 0x1p-48;
        double rr = p.r64 * (1 + 0x1p-19);
        p.kt = (float)(((1 + 0x1p-19) * rhoR + 26 * 0x1p-48) * F);
        p.kS = (float)(0x1p-46 * F);
        p.kg = up32(rr * (dc + dmr + (8 * 0x1p-24 + 1.02 * rhoR) * fabs((double)p.ml)) * F);
        p.eft = dt == NB_F32 && p.r64 >= 0x1p-40 && p.r64 <= 0x1p40 && isfinite(p.kg);
#endif
      }
    } /* else NaN rows (NaN or inf in x) or r = 0 exactly (eps = inf): E = 0 */
  } else {
    double ms = lane_sums_f64(dt, x, d, 0, SUM2).s2 / dd;
    p.r64 = nb_rstd_f64(ms + (double)eps);
    if (op == NB_RMSNORM_I8 || op == NB_RMSNORM_E4M3) { /* b: the row's scale */
      quant_row(op, dt, 1, x, g, b, y, d, 0, p.r64, io);
      return;
    }
    if (p.r64 != 0 && isfinite(p.r64)) { /* else y is +-0 or NaN exactly: E = 0 */
      double rho = (h + 8) * u;
      p.ky = (rho + 2.1 * u) / (1 - rho - 2.1 * u) * f + 0x1p-51;
#ifdef NB_HAVE_FMA
      p.eft = dt == NB_F32 && p.r64 >= 0x1p-40 && p.r64 <= 0x1p40;
      p.rh = (float)p.r64;
      p.rl = (float)(p.r64 - p.rh);
      p.kf = (float)((rho + 0x1p-45) * 1.01 + 0x1p-44);
      /* 16-bit outputs (half_vec): r32 = fl(r64) and two products, then
       * y -+ E in float */
      p.r32 = (float)p.r64;
      p.k16 = (float)((rho + 4 * 0x1p-24) * 1.01 * (1 + 0x1p-18));
      p.kmid = (int)ceil((double)p.k16 * 0x1p24);
      p.h16 = dt != NB_F32 && p.r32 >= 0x1p-60f && p.r32 <= 0x1p60f;
#endif
    }
  }
  if ((const void *)y == x) accurate_inplace_check(dt, &p, x, g, ln ? b : NULL, d);
  normalize(dt, 1, &p, x, g, ln ? b : NULL, y, d, io);
}

/* naive: the textbook formula as the seed's PyTorch module writes it, one
 * sequential f32 accumulator, a division per element. LayerNorm uses
 * var = E[x^2] - E[x]^2 unclamped: a negative variance gives NaN, as the
 * formula does. Scalar only: it is the baseline, not a candidate. */
NB_INLINE void naive_row(nb_op op, nb_dtype dt, const void *x, const void *g, const void *b,
                         void *y, size_t d, float eps, rowio io) {
  (void)io; /* one element at a time: nothing to stream */
  float s1 = 0, s2 = 0;
  for (size_t i = 0; i < d; i++) {
    float v = ld1(dt, x, i);
    s1 += v;
    s2 += v * v;
  }
  int ln = op == NB_LAYERNORM;
  float mu = ln ? s1 / (float)d : 0.0f;
  float den = sqrtf(s2 / (float)d - mu * mu + eps);
  if (den == 0) den = 1; /* zero-denominator convention: the row is all mu */
  for (size_t i = 0; i < d; i++) {
    float gi = op == NB_RMSNORM1P ? 1.0f + ld1(dt, g, i) : ld1(dt, g, i);
    float v = (ld1(dt, x, i) - mu) / den * gi;
    if (ln && b) v += ld1(dt, b, i);
    vf o = vf_set1(v);
    vf_stn(dt, (char *)y + i * dt_size(dt), dt == NB_F16 ? vf_f16_tie(o) : o, 1);
  }
}

#ifdef NB_HAVE_ROUND_FMT
/* The ISA's vectorized rounding into a 16-bit format over an array, for
 * the test that holds it to nb_round_f64_to_fmt (nb_isa_round). */
NB_INLINE void round_fmt_array(nb_dtype dt, const double *in, double *out, size_t n) {
  for (size_t i = 0; i < n; i += NB_W / 2) {
    double t[NB_W / 2] = {0};
    memcpy(t, in + i, (n - i < NB_W / 2 ? n - i : NB_W / 2) * sizeof *t);
    vd_st(t, vd_round_fmt(dt, vd_ld(t)));
    memcpy(out + i, t, (n - i < NB_W / 2 ? n - i : NB_W / 2) * sizeof *t);
  }
}
#endif

/* The ISA's quantizing steps over an array, for the test that holds them
 * to the scalar definitions (nb_isa_quant). */
#define NB_DEFINE_QUANT_VEC(isa)                                                      \
  void nb_quant_vec_##isa(const float *in, uint8_t *e4m3, uint8_t *i8, size_t n) {    \
    for (size_t i = 0; i + NB_W <= n; i += NB_W) {                                    \
      vf_st_e4m3(e4m3 + i, vf_ld_f32(in + i));                                        \
      vf_st_i8(i8 + i, vf_ld_f32(in + i));                                            \
    }                                                                                 \
  }

/* ---- the row loops ----------------------------------------------------
 * ALGO_rows(op, dt, x, g, b, y, rows, d, xs, ys, eps, nt, big): all rows of
 * a call; nt: streaming stores; big: prefetch the next rows (rowio). */
#define NB_ROWS_ARGS                                                                           \
  nb_op op, nb_dtype dt, const void *x, const void *g, const void *b, void *y, size_t rows, \
      size_t d, size_t xs, size_t ys, float eps, int nt, int big

/* One row after the other: naive and accurate always, the f32 algorithms
 * when rows are long or the call is big. */
#define NB_EACH_ROW_LOOP(algo)                                                            \
  for (size_t r = 0; r < rows; r++) {                                                     \
    rowio io = {nt, big && r + 1 < rows ? (const char *)at(dt, x, (r + 1) * xs) : NULL};   \
    algo##_row(op, dt, at(dt, x, r * xs), g, b, (char *)y + r * ys * dt_size(dt), d, eps, io); \
  }
#define NB_EACH_ROW(algo) \
  NB_INLINE void algo##_rows(NB_ROWS_ARGS) { NB_EACH_ROW_LOOP(algo) }
NB_EACH_ROW(naive)
NB_EACH_ROW(accurate)

/* In calls that fit in cache (not big), the f32 algorithms take short rows
 * in groups of up to NB_GROUP, NB_GROUP_BYTES of x a group: the statistics
 * of all, then their normalize passes. A row's statistics end in a chain
 * of dependent steps (lane tree, horizontal sum, square root, division)
 * that its normalize pass waits for; row by row the core waits through
 * that chain for every row, which for short rows is about as long as the
 * row's loads. In a group each row's chain runs while the next rows'
 * statistics load. The same sums in the same order, so the same outputs.
 * Measured on the Zen 5 (README, Speed): 8 rows of 1 KiB beat 4 and 2, 4
 * rows of 4 KiB beat 8 and 2; 2 rows of 8 KiB lost for LayerNorm (g, b and
 * two rows of x fill L1), so fewer than 4 rows a group go row by row. Big
 * (memory-bound) calls go row by row too: grouped, f32 lost up to 8% there
 * at D = 256, where the next row's prefetch hides the chain already. */
#define NB_GROUP 8
#define NB_GROUP_BYTES 16384
#define NB_GROUPED_ROWS(algo)                                                                 \
  NB_INLINE void algo##_rows(NB_ROWS_ARGS) {                                                  \
    size_t group = NB_GROUP_BYTES / (d * dt_size(dt));                                        \
    if (big || group < 4) {                                                                   \
      NB_EACH_ROW_LOOP(algo)                                                                  \
      return;                                                                                 \
    }                                                                                         \
    if (group > NB_GROUP) group = NB_GROUP;                                                   \
    const rowio io = {nt, NULL};                                                              \
    for (size_t r = 0; r < rows;) {                                                           \
      size_t k = rows - r < group ? rows - r : group;                                         \
      rowstat s[NB_GROUP];                                                                    \
      for (size_t j = 0; j < k; j++) s[j] = algo##_stats(op, dt, at(dt, x, (r + j) * xs), d, eps); \
      for (size_t j = 0; j < k; j++, r++)                                                     \
        normalize_f32(op, dt, at(dt, x, r * xs), g, b, (char *)y + r * ys * dt_size(dt), d, s[j], io); \
    }                                                                                         \
  }
NB_GROUPED_ROWS(twopass)
NB_GROUPED_ROWS(fast)
NB_GROUPED_ROWS(welford)

/* ---- instances ---------------------------------------------------------- */

/* NB_DEFINE(rmsnorm, NB_RMSNORM, f32, NB_F32, twopass, ISA) defines
 * nb_rmsnorm_f32_twopass_ISA with the common kernel signature. The fence
 * orders the streaming stores before whatever the caller does next. */
#define NB_DEFINE(op, OP, dt, DT, algo, isa)                                                 \
  void nb_##op##_##dt##_##algo##_##isa(const void *x, const void *g, const void *b, void *y, \
                                       size_t rows, size_t d, size_t xs, size_t ys,         \
                                       float eps) {                                         \
    int nt = use_stream(DT, x, y, rows, d), big = rows * d * dt_size(DT) > NB_STREAM_MIN;   \
    algo##_rows(OP, DT, x, g, b, y, rows, d, xs, ys, eps, nt, big);                         \
    if (nt) nb_stream_fence();                                                               \
  }

/* The bf16 kernels of one algorithm, both ops: ISAs that differ from
 * another only in how they store bf16 (avx512bf16, neonbf16). */
#define NB_DEFINE_BF16(algo, isa)                               \
  NB_DEFINE(rmsnorm, NB_RMSNORM, bf16, NB_BF16, algo, isa)     \
  NB_DEFINE(layernorm, NB_LAYERNORM, bf16, NB_BF16, algo, isa)

/* All three dtypes of one algorithm for both ops. */
#define NB_DEFINE_ALGO(algo, isa)                            \
  NB_DEFINE(rmsnorm, NB_RMSNORM, f32, NB_F32, algo, isa)     \
  NB_DEFINE(rmsnorm, NB_RMSNORM, f16, NB_F16, algo, isa)     \
  NB_DEFINE(rmsnorm, NB_RMSNORM, bf16, NB_BF16, algo, isa)   \
  NB_DEFINE(layernorm, NB_LAYERNORM, f32, NB_F32, algo, isa) \
  NB_DEFINE(layernorm, NB_LAYERNORM, f16, NB_F16, algo, isa) \
  NB_DEFINE(layernorm, NB_LAYERNORM, bf16, NB_BF16, algo, isa)

/* ---- AddRMSNorm: the residual add, then the RMSNorm row body ------------
 * Per row, the add pass writes r = x + residual over the residual; the
 * algorithm's RMSNorm row body then normalizes r while it is still in L1.
 * Every algorithm and ISA thus gets the fused op with its RMSNorm bound on
 * r. r is correctly rounded: f32 adds are IEEE, and for f16/bf16 the f32 sum
 * of two stored values, rounded again into the dtype, is the sum rounded
 * once, because f32 carries at least 2p + 2 bits (24 >= 2 * 11 + 2;
 * Figueroa, "When is double rounding innocuous?", 1995) and f32's exponent
 * range holds both formats'. */
NB_INLINE void add_row(nb_dtype dt, const void *x, void *res, size_t d) {
  size_t i = 0;
  for (; i + NB_W <= d; i += NB_W) st(dt, res, i, vf_add(ld(dt, x, i), ld(dt, res, i)));
  if (i < d) {
    vf v = vf_add(vf_ldn(dt, at(dt, x, i), d - i), vf_ldn(dt, at(dt, res, i), d - i));
    vf_stn(dt, (char *)res + i * dt_size(dt), v, d - i);
  }
}

/* nb_addrmsnorm_DT_ALGO_ISA: the residual b has x's stride; b == NULL: no
 * residual (r = x). Streaming and the next row's prefetch as NB_DEFINE: y is
 * the only stream not already in cache (r's lines were just read). */
#define NB_DEFINE_ADD(dt, DT, algo, isa)                                                        \
  void nb_addrmsnorm_##dt##_##algo##_##isa(const void *x, const void *g, const void *b, void *y, \
                                           size_t rows, size_t d, size_t xs, size_t ys,         \
                                           float eps) {                                         \
    int nt = use_stream(DT, x, y, rows, d), big = rows * d * dt_size(DT) > NB_STREAM_MIN;       \
    for (size_t r = 0; r < rows; r++) {                                                          \
      const void *in = at(DT, x, r * xs);                                                        \
      if (b) {                                                                                   \
        void *res = (char *)b + r * xs * dt_size(DT); /* the caller's buffer: see normbench.h */ \
        add_row(DT, in, res, d);                                                                 \
        in = res;                                                                                \
      }                                                                                          \
      rowio io = {nt, big && r + 1 < rows ? (const char *)at(DT, x, (r + 1) * xs) : NULL};       \
      algo##_row(NB_RMSNORM, DT, in, g, NULL, (char *)y + r * ys * dt_size(DT), d, eps, io);   \
    }                                                                                            \
    if (nt) nb_stream_fence();                                                                   \
  }

/* AddRMSNorm and RMSNorm1p of one algorithm, all three dtypes or bf16 only.
 * RMSNorm1p is NB_DEFINE with op NB_RMSNORM1P: the row bodies treat it as
 * RMSNorm and npar.onep adds the 1. */
#define NB_DEFINE_RMS(algo, isa)                                \
  NB_DEFINE_ADD(f32, NB_F32, algo, isa)                         \
  NB_DEFINE_ADD(f16, NB_F16, algo, isa)                         \
  NB_DEFINE_ADD(bf16, NB_BF16, algo, isa)                       \
  NB_DEFINE(rmsnorm1p, NB_RMSNORM1P, f32, NB_F32, algo, isa)    \
  NB_DEFINE(rmsnorm1p, NB_RMSNORM1P, f16, NB_F16, algo, isa)    \
  NB_DEFINE(rmsnorm1p, NB_RMSNORM1P, bf16, NB_BF16, algo, isa)
#define NB_DEFINE_RMS_BF16(algo, isa)     \
  NB_DEFINE_ADD(bf16, NB_BF16, algo, isa) \
  NB_DEFINE(rmsnorm1p, NB_RMSNORM1P, bf16, NB_BF16, algo, isa)


/* ---- RMSNormI8 and RMSNormE4M3: the RMSNorm row body, quantized ---------
 * (quant_row). y has one byte per element, so its row offset is ys bytes;
 * b, when given, holds one float scale per row (int8), passed to the row
 * body as its b. No streaming stores: the bytes go out through memcpy from
 * a lane buffer; the next row of x is prefetched as NB_DEFINE does. The
 * naive baseline has none: engines' quantized norms never ran the seed's
 * PyTorch formula, and it is not a candidate. bf16-only ISAs (avx512bf16,
 * neonbf16) differ only in bf16 stores, which these ops never make. */
#define NB_DEFINE_Q(op, OP, dt, DT, algo, isa)                                                  \
  void nb_##op##_##dt##_##algo##_##isa(const void *x, const void *g, const void *b, void *y,    \
                                       size_t rows, size_t d, size_t xs, size_t ys,            \
                                       float eps) {                                            \
    int big = rows * d * dt_size(DT) > NB_STREAM_MIN;                                           \
    for (size_t r = 0; r < rows; r++) {                                                         \
      rowio io = {0, big && r + 1 < rows ? (const char *)at(DT, x, (r + 1) * xs) : NULL};       \
      algo##_row(OP, DT, at(DT, x, r * xs), g, b ? (const float *)b + r : NULL,                 \
                 (char *)y + r * ys, d, eps, io);                                               \
    }                                                                                           \
  }
#define NB_DEFINE_QUANT(algo, isa)                                   \
  NB_DEFINE_Q(rmsnorm_i8, NB_RMSNORM_I8, f32, NB_F32, algo, isa)     \
  NB_DEFINE_Q(rmsnorm_i8, NB_RMSNORM_I8, f16, NB_F16, algo, isa)     \
  NB_DEFINE_Q(rmsnorm_i8, NB_RMSNORM_I8, bf16, NB_BF16, algo, isa)   \
  NB_DEFINE_Q(rmsnorm_e4m3, NB_RMSNORM_E4M3, f32, NB_F32, algo, isa) \
  NB_DEFINE_Q(rmsnorm_e4m3, NB_RMSNORM_E4M3, f16, NB_F16, algo, isa) \
  NB_DEFINE_Q(rmsnorm_e4m3, NB_RMSNORM_E4M3, bf16, NB_BF16, algo, isa)

#endif
