/* The algorithm bodies, written once. Each ISA's source file includes its
 * isa_*.h (the vector helpers), then this file, then stamps out instances
 * with NB_DEFINE. Every body takes the op and dtype as parameters; the
 * instances pass constants, and always_inline folds the switches away.
 *
 * Shared shape: a statistics pass (mean and/or second moment), then one
 * normalize pass  y = ((x - mu) * r) * g + b,  r = 1/sqrt(m2 + eps). */
#ifndef NB_BODY_H
#define NB_BODY_H

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
 * in float. accurate (dbl): in double, t = (x - mu1) - c (LayerNorm) or x,
 * y = (t * g) * r64 + b, rounded once into the output format. onep: the
 * gain is 1 + g, formed in f32 (RMSNorm1p). */
typedef struct { int center, dbl; float mu, r; double mu1, c, r64; int eft; float rh, rl; int onep; } npar;

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

NB_INLINE vf accurate_vec(nb_dtype dt, vf xv, vf gv, const vf *bv, vd mu1, vd c, vd r, int ln) {
  vd x[2], g[2], bb[2], out[2];
  vf_widen(xv, &x[0], &x[1]);
  vf_widen(gv, &g[0], &g[1]);
  if (bv) vf_widen(*bv, &bb[0], &bb[1]);
  for (int k = 0; k < 2; k++) {
    vd t = ln ? vd_sub(vd_sub(x[k], mu1), c) : x[k];
    out[k] = vd_mul(vd_mul(t, g[k]), r);
    if (bv) out[k] = vd_add(out[k], bb[k]);
  }
  return round_out(dt, out[0], out[1]);
}

#ifdef NB_HAVE_FMA
/* accurate RMSNorm into f32 without leaving float (eft): x g = p + e
 * exactly (fused multiply-add), r64 = rh + rl to 2^-48; then
 * y = t + (p rl + (e rh + (p rh - t))), t = p rh, every term but the last
 * sum exact or below 2^-46 |y|: y is within 0.5 + 2^-21 ulp, with no
 * widening to double. Exact only while no product underflows or
 * overflows: |p| in [2^-40, 2^40] here (and r64 in [2^-40, 2^40], checked
 * per row); a vector with any other lane (0, huge, tiny, inf, NaN) returns
 * 0 and takes the double path. */
NB_INLINE int eft_vec(vf xv, vf gv, const npar *np, vf *out) {
  vf p = vf_mul(xv, gv);
  if (!vf_all_abs_in(p, 0x1p-40f, 0x1p40f)) return 0;
  const vf rh = vf_set1(np->rh), rl = vf_set1(np->rl), zero = vf_zero();
  vf e = vf_fma(xv, gv, vf_sub(zero, p));
  vf t = vf_mul(p, rh);
  vf te = vf_fma(p, rh, vf_sub(zero, t));
  *out = vf_add(t, vf_fma(p, rl, vf_fma(e, rh, te)));
  return 1;
}
#endif

/* One vector of outputs; bv NULL: no bias. */
NB_INLINE vf out_vec(nb_dtype dt, const npar *p, vf xv, vf gv, const vf *bv) {
  if (p->onep) gv = vf_add(vf_set1(1.0f), gv); /* Gemma's 1 + w, rounded to f32 once */
#ifdef NB_HAVE_FMA
  vf o;
  if (p->eft && eft_vec(xv, gv, p, &o)) return o;
#endif
  if (p->dbl)
    return accurate_vec(dt, xv, gv, bv, vd_set1(p->mu1), vd_set1(p->c), vd_set1(p->r64),
                        p->center);
  return norm_vec(xv, vf_set1(p->mu), vf_set1(p->r), gv, bv, p->center);
}

/* Outputs [i, i + n), n < NB_W. */
NB_INLINE void out_part(nb_dtype dt, const npar *p, const void *x, const void *g,
                        const void *b, void *y, size_t i, size_t n, int has_b) {
  vf bv = has_b ? vf_ldn(dt, at(dt, b, i), n) : vf_zero();
  vf o = out_vec(dt, p, vf_ldn(dt, at(dt, x, i), n), vf_ldn(dt, at(dt, g, i), n),
                 has_b ? &bv : NULL);
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

/* nt: stream the full vectors, after peeling the outputs up to the first
 * address aligned to a whole vector store (y is element-aligned). */
NB_INLINE void normalize_loop(nb_dtype dt, const npar *p, const void *x, const void *g,
                              const void *b, void *y, size_t d, int has_b, int nt,
                              const char *next) {
  size_t i = 0;
  if (nt) {
    size_t vec = NB_W * dt_size(dt);
    i = (vec - (uintptr_t)y % vec) % vec / dt_size(dt);
    if (i > d) i = d;
    if (i) out_part(dt, p, x, g, b, y, 0, i, has_b);
  }
  for (; i + NB_W <= d; i += NB_W) {
    if (next) __builtin_prefetch(next + i * dt_size(dt));
    vf bv = has_b ? ld(dt, b, i) : vf_zero();
    vf o = out_vec(dt, p, ld(dt, x, i), ld(dt, g, i), has_b ? &bv : NULL);
    if (nt)
      st_nt(dt, y, i, o);
    else
      st(dt, y, i, o);
  }
  if (i < d) out_part(dt, p, x, g, b, y, i, d - i, has_b);
}

/* has_b and nt become constants of four loops. */
NB_INLINE void normalize(nb_dtype dt, const npar *p, const void *x, const void *g,
                         const void *b, void *y, size_t d, rowio io) {
  if (b && io.nt)
    normalize_loop(dt, p, x, g, b, y, d, 1, 1, io.next);
  else if (b)
    normalize_loop(dt, p, x, g, b, y, d, 1, 0, io.next);
  else if (io.nt)
    normalize_loop(dt, p, x, g, NULL, y, d, 0, 1, io.next);
  else
    normalize_loop(dt, p, x, g, NULL, y, d, 0, 0, io.next);
}

/* The f32 algorithms' normalize pass. */
NB_INLINE void normalize_f32(nb_op op, nb_dtype dt, const void *x, const void *g, const void *b,
                             void *y, size_t d, float mu, float m2, float eps, rowio io) {
  int ln = op == NB_LAYERNORM;
  npar p = {ln, 0, mu, nb_rstd_f32(m2 + eps), 0, 0, 0, 0, 0, 0, op == NB_RMSNORM1P};
  normalize(dt, &p, x, g, ln ? b : NULL, y, d, io);
}

/* ---- the algorithms: one row each; op and dtype are constants ---------- */

/* twopass: statistics in blocked lane sums; LayerNorm takes the mean first,
 * then the centred squares. */
NB_INLINE void twopass_row(nb_op op, nb_dtype dt, const void *x, const void *g,
                           const void *b, void *y, size_t d, float eps, rowio io) {
  int ln = op == NB_LAYERNORM;
  float mu = ln ? blocked_sums(dt, x, d, 0, SUM1).s1 / (float)d : 0.0f;
  float m2 = blocked_sums(dt, x, d, mu, SUM2 | (ln ? CENTER : 0)).s2 / (float)d;
  normalize_f32(op, dt, x, g, b, y, d, mu, m2, eps, io);
}

/* fast: one unblocked sweep for all statistics; LayerNorm's variance is
 * E[x^2] - mu^2 (clamped at 0), which loses accuracy on shifted rows. */
NB_INLINE void fast_row(nb_op op, nb_dtype dt, const void *x, const void *g, const void *b,
                        void *y, size_t d, float eps, rowio io) {
  int ln = op == NB_LAYERNORM;
  sums_f32 s = lane_sums(dt, x, d, 0, SUM2 | (ln ? SUM1 : 0));
  float mu = ln ? s.s1 / (float)d : 0.0f;
  float m2 = s.s2 / (float)d - mu * mu;
  if (m2 < 0) m2 = 0; /* NaN is kept */
  normalize_f32(op, dt, x, g, b, y, d, mu, m2, eps, io);
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

NB_INLINE void welford_row(nb_op op, nb_dtype dt, const void *x, const void *g,
                           const void *b, void *y, size_t d, float eps, rowio io) {
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
  normalize_f32(op, dt, x, g, b, y, d, mu, m2, eps, io);
}

/* accurate: everything in double. LayerNorm uses the corrected two-pass
 * scheme: mu1 = sum(x)/d, then c = sum(x - mu1)/d and
 * var = sum((x - mu1)^2)/d - c^2; the output uses (x - mu1) - c, so the
 * mean's rounding never reaches the output at the scale of mu. The result
 * is rounded once into the output format (round_out). */
NB_INLINE void accurate_row(nb_op op, nb_dtype dt, const void *x, const void *g,
                            const void *b, void *y, size_t d, float eps, rowio io) {
  int ln = op == NB_LAYERNORM;
  double mu1 = 0, c = 0, m2;
  if (ln) {
    mu1 = lane_sums_f64(dt, x, d, 0, SUM1).s1 / (double)d;
    sums_f64 s = lane_sums_f64(dt, x, d, mu1, SUM1 | SUM2 | CENTER);
    c = s.s1 / (double)d;
    m2 = s.s2 / (double)d - c * c;
    if (m2 < 0) m2 = 0; /* NaN is kept */
  } else {
    m2 = lane_sums_f64(dt, x, d, 0, SUM2).s2 / (double)d;
  }
  double r = nb_rstd_f64(m2 + (double)eps);
  npar p = {ln, 1, 0, 0, mu1, c, r, 0, (float)r, (float)(r - (float)r), op == NB_RMSNORM1P};
#ifdef NB_HAVE_FMA
  p.eft = !ln && dt == NB_F32 && r >= 0x1p-40 && r <= 0x1p40;
#endif
  normalize(dt, &p, x, g, ln ? b : NULL, y, d, io);
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
    vf_stn(dt, (char *)y + i * dt_size(dt), vf_set1(v), 1);
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

/* ---- instances ---------------------------------------------------------- */

/* NB_DEFINE(rmsnorm, NB_RMSNORM, f32, NB_F32, twopass, ISA) defines
 * nb_rmsnorm_f32_twopass_ISA with the common kernel signature. The fence
 * orders the streaming stores before whatever the caller does next. */
#define NB_DEFINE(op, OP, dt, DT, algo, isa)                                                   \
  void nb_##op##_##dt##_##algo##_##isa(const void *x, const void *g, const void *b, void *y,   \
                                       size_t rows, size_t d, size_t xs, size_t ys,           \
                                       float eps) {                                           \
    int nt = use_stream(DT, x, y, rows, d), big = rows * d * dt_size(DT) > NB_STREAM_MIN;     \
    for (size_t r = 0; r < rows; r++) {                                                        \
      rowio io = {nt, big && r + 1 < rows ? (const char *)at(DT, x, (r + 1) * xs) : NULL};     \
      algo##_row(OP, DT, at(DT, x, r * xs), g, b, (char *)y + r * ys * dt_size(DT), d, eps, io); \
    }                                                                                          \
    if (nt) nb_stream_fence();                                                                 \
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

#endif
