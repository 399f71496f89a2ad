/* The exact fallback of the accurate kernels: the correctly rounded output
 * for the rare outputs whose fast-path interval contains a rounding
 * boundary of the output format. Integer arithmetic only, so every ISA gets
 * the same bits; compiled once for the baseline target.
 *
 * Every stored value (f32, f16, bf16) is an integer times 2^-149, with a
 * significand of at most 24 bits. With X_i = x_i 2^149 (and G, E for g and
 * eps), the row's exact statistics are integers:
 *   S1 = sum X_i,  S2 = sum X_i^2  (each square is < 2^48 shifted),
 *   Q  = D S2 - S1^2 + D^2 E 2^149 = 2^298 D^2 (var + eps)   (LayerNorm)
 *   Q  = D S2 + D^2 E 2^149        = 2^298 D^2 (ms + eps)    (RMSNorm)
 * and y_i - b_i = n_i 2^-149 / sqrt(Q) with n_i = G_i (D X_i - S1) (S1 := 0
 * for RMSNorm). For a boundary m, with A = (m - b_i) 2^150:
 *   y_i > m  <=>  2 n_i > A sqrt(Q),
 * decided by the signs of n_i and A and, when they agree, by comparing
 * 4 n_i^2 with A^2 Q: integers of at most ~1250 bits for D < 2^64.
 * Equality is an exact midpoint (ties to even). The output is found by
 * bisection over the format's values between the fast path's bounds, so it
 * depends on the row only, never on the fast path's approximation. */
#include "internal.h"

#include <math.h>
#include <string.h>

_Thread_local uint64_t nb_exact_outputs;

uint64_t nb_exact_fallbacks(void) { return nb_exact_outputs; }

/* ---- a small signed big integer (magnitude in NB_BIG_LIMBS limbs) ------- */

typedef unsigned __int128 u128;

static void big_zero(nb_big *a) {
  a->neg = 0;
  a->n = 0;
}

static void big_trim(nb_big *a) {
  while (a->n > 0 && a->l[a->n - 1] == 0) a->n--;
  if (a->n == 0) a->neg = 0;
}

/* |a| += v 2^sh, v < 2^64 */
static void big_add_shifted(nb_big *a, uint64_t v, unsigned sh) {
  unsigned k = sh / 64, o = sh % 64;
  if (k + 2 > NB_BIG_LIMBS) __builtin_trap(); /* cannot happen: see the sizes above */
  while (a->n < (int)k + 2) a->l[a->n++] = 0;
  u128 s = (u128)a->l[k] + (v << o);
  a->l[k] = (uint64_t)s;
  s = (u128)a->l[k + 1] + (o ? v >> (64 - o) : 0) + (uint64_t)(s >> 64);
  a->l[k + 1] = (uint64_t)s;
  uint64_t carry = (uint64_t)(s >> 64);
  for (int j = (int)k + 2; carry; j++) {
    if (j == a->n) {
      if (j == NB_BIG_LIMBS) __builtin_trap();
      a->l[a->n++] = 0;
    }
    a->l[j] += carry;
    carry = a->l[j] == 0;
  }
  big_trim(a);
}

/* r = a 2^sh */
static void big_shl(nb_big *r, const nb_big *a, unsigned sh) {
  nb_big t;
  big_zero(&t);
  for (int j = 0; j < a->n; j++) big_add_shifted(&t, a->l[j], sh + 64u * (unsigned)j);
  t.neg = a->neg && t.n;
  *r = t;
}

static int big_cmp_mag(const nb_big *a, const nb_big *b) {
  if (a->n != b->n) return a->n < b->n ? -1 : 1;
  for (int j = a->n - 1; j >= 0; j--)
    if (a->l[j] != b->l[j]) return a->l[j] < b->l[j] ? -1 : 1;
  return 0;
}

/* r = |a| + |b| */
static void big_add_mag(nb_big *r, const nb_big *a, const nb_big *b) {
  int n = a->n > b->n ? a->n : b->n;
  uint64_t carry = 0;
  for (int j = 0; j < n; j++) {
    u128 s = (u128)(j < a->n ? a->l[j] : 0) + (j < b->n ? b->l[j] : 0) + carry;
    r->l[j] = (uint64_t)s;
    carry = (uint64_t)(s >> 64);
  }
  r->n = n;
  if (carry && n < NB_BIG_LIMBS) r->l[r->n++] = carry;
}

/* r = |a| - |b|, |a| >= |b| */
static void big_sub_mag(nb_big *r, const nb_big *a, const nb_big *b) {
  uint64_t borrow = 0;
  for (int j = 0; j < a->n; j++) {
    uint64_t bj = j < b->n ? b->l[j] : 0;
    u128 d = (u128)a->l[j] - bj - borrow;
    r->l[j] = (uint64_t)d;
    borrow = (uint64_t)(d >> 64) & 1;
  }
  r->n = a->n;
}

/* r = a + b (signed); r may alias a or b */
static void big_add(nb_big *r, const nb_big *a, const nb_big *b) {
  nb_big t;
  if (a->neg == b->neg) {
    big_add_mag(&t, a, b);
    t.neg = a->neg;
  } else if (big_cmp_mag(a, b) >= 0) {
    big_sub_mag(&t, a, b);
    t.neg = a->neg;
  } else {
    big_sub_mag(&t, b, a);
    t.neg = b->neg;
  }
  big_trim(&t);
  *r = t;
}

static void big_sub(nb_big *r, const nb_big *a, const nb_big *b) {
  nb_big nb = *b;
  nb.neg = !nb.neg;
  big_add(r, a, &nb);
}

/* r = a b, schoolbook; r may alias a or b. The sizes in the comment at the
 * top keep every product within NB_BIG_LIMBS. */
static void big_mul(nb_big *r, const nb_big *a, const nb_big *b) {
  nb_big t;
  int n = a->n + b->n;
  if (n > NB_BIG_LIMBS) __builtin_trap(); /* cannot happen for D < 2^64 */
  memset(t.l, 0, (size_t)n * sizeof t.l[0]);
  for (int i = 0; i < a->n; i++) {
    uint64_t carry = 0;
    for (int j = 0; j < b->n; j++) {
      u128 p = (u128)a->l[i] * b->l[j] + t.l[i + j] + carry;
      t.l[i + j] = (uint64_t)p;
      carry = (uint64_t)(p >> 64);
    }
    t.l[i + b->n] = carry;
  }
  t.n = n;
  t.neg = a->neg != b->neg;
  big_trim(&t);
  *r = t;
}

static void big_mul_u64(nb_big *r, const nb_big *a, uint64_t v) {
  nb_big b = {0, 1, {v}};
  big_trim(&b);
  big_mul(r, a, &b);
}

/* x 2^scale for a finite dyadic double x whose value is a multiple of
 * 2^-scale (format values and midpoints: scale 149 or 150). */
static void big_from_double(nb_big *r, double x, int scale) {
  big_zero(r);
  if (x == 0) return;
  int e;
  double f = frexp(fabs(x), &e); /* |x| = f 2^e, f in [1/2, 1) */
  uint64_t m = (uint64_t)ldexp(f, 53);
  int sh = e - 53 + scale;
  while (sh < 0) { /* the low bits are zero: x is a multiple of 2^-scale */
    m >>= 1;
    sh++;
  }
  big_add_shifted(r, m, (unsigned)sh);
  r->neg = x < 0;
}

/* a finite float as (significand, shift): |v| 2^149 = sig 2^sh, sig < 2^24 */
static uint64_t f32_parts(float v, unsigned *sh, int *neg) {
  uint32_t u;
  memcpy(&u, &v, 4);
  uint32_t e = (u >> 23) & 0xff, m = u & 0x7fffff;
  *neg = (u >> 31) != 0;
  *sh = e ? e - 1 : 0;
  return e ? m | 0x800000u : m;
}

static void big_from_float(nb_big *r, float v) {
  unsigned sh;
  int neg;
  uint64_t m = f32_parts(v, &sh, &neg);
  big_zero(r);
  if (m) big_add_shifted(r, m, sh);
  r->neg = neg && m;
}

/* ---- the row's exact statistics, once per row --------------------------- */

/* Fixed-point accumulation without carries in the loop: a word v 2^sh
 * (v < 2^48) adds its two 64-bit halves to two 128-bit limb accumulators,
 * which hold 2^64 such additions; the carries are resolved once. */
typedef struct { u128 l[NB_BIG_LIMBS]; } lazy_acc;

static inline void lazy_add(lazy_acc *a, uint64_t v, unsigned sh) {
  unsigned k = sh / 64, o = sh % 64;
  a->l[k] += v << o;
  if (o) a->l[k + 1] += v >> (64 - o);
}

static void lazy_to_big(nb_big *r, const lazy_acc *a) {
  u128 carry = 0;
  for (int j = 0; j < NB_BIG_LIMBS; j++) {
    u128 s = a->l[j] + carry; /* < 2^128: each limb < 2^64 * 2^64 / 2 in practice (D < 2^62) */
    r->l[j] = (uint64_t)s;
    carry = s >> 64;
  }
  r->n = NB_BIG_LIMBS;
  r->neg = 0;
  big_trim(r);
}

static void row_stats(nb_xrow *w) {
  nb_big pos, negs, s2, t;
  /* limbs used: sums of X < 2^277 + log2 D, of X^2 < 2^554 + log2 D */
  static const lazy_acc zero;
  lazy_acc ap = zero, an = zero, a2 = zero;
  for (size_t i = 0; i < w->d; i++) {
    float v = nb_xrow_ld(w, i);
    unsigned sh;
    int neg;
    uint64_t m = f32_parts(v, &sh, &neg);
    if (w->ln) lazy_add(neg ? &an : &ap, m, sh);
    lazy_add(&a2, m * m, 2 * sh); /* m^2 < 2^48: exact */
  }
  lazy_to_big(&pos, &ap);
  lazy_to_big(&negs, &an);
  lazy_to_big(&s2, &a2);
  nb_exact *ex = &w->ex;
  big_sub(&ex->s1, &pos, &negs); /* zero for RMSNorm */
  uint64_t d = w->d;
  big_mul_u64(&ex->q, &s2, d);
  big_mul(&t, &ex->s1, &ex->s1);
  big_sub(&ex->q, &ex->q, &t);
  big_from_float(&t, w->eps); /* eps 2^149 */
  big_mul_u64(&t, &t, d);
  big_mul_u64(&t, &t, d);
  big_shl(&t, &t, 149);
  big_add(&ex->q, &ex->q, &t);
  ex->ready = 1;
}

/* ---- output format values, ordered -------------------------------------- */

/* The format's values in order: ord = +-(the encoding without its sign), so
 * consecutive integers are consecutive values; +-inf at the ends. */
static int64_t ord_inf(nb_dtype dt) { return dt == NB_F32 ? 0x7f800000 : dt == NB_F16 ? 0x7c00 : 0x7f80; }

static int64_t ord_of(double v, nb_dtype dt) {
  uint32_t mag;
  float f = (float)v; /* exact: v is a value of the format */
  if (dt == NB_F32) {
    memcpy(&mag, &f, 4);
    mag &= 0x7fffffff;
  } else {
    mag = (dt == NB_F16 ? nb_f32_to_f16(f) : nb_f32_to_bf16(f)) & 0x7fffu;
  }
  return signbit(v) ? -(int64_t)mag : (int64_t)mag;
}

static double mag_val(int64_t mag, nb_dtype dt) {
  if (dt == NB_F32) {
    uint32_t u = (uint32_t)mag;
    float f;
    memcpy(&f, &u, 4);
    return f;
  }
  return dt == NB_F16 ? nb_f16_to_f32((uint16_t)mag) : nb_bf16_to_f32((uint16_t)mag);
}

static double ord_val(int64_t o, nb_dtype dt) { return o < 0 ? -mag_val(-o, dt) : mag_val(o, dt); }

/* The boundary between magnitudes j and j + 1: their midpoint, or, below
 * infinity, the overflow threshold max + ulp(max)/2. Exact in double. */
static double mid_mag(int64_t j, nb_dtype dt) {
  double a = mag_val(j, dt);
  if (j + 1 == ord_inf(dt)) return a + (a - mag_val(j - 1, dt)) / 2;
  return (a + mag_val(j + 1, dt)) / 2;
}

/* the boundary between ords k and k + 1 */
static double mid_ord(int64_t k, nb_dtype dt) { return k >= 0 ? mid_mag(k, dt) : -mid_mag(-k - 1, dt); }

/* ---- the decision -------------------------------------------------------- */

typedef struct {
  const nb_xrow *w;
  nb_big n4;  /* 4 n_i^2 */
  int sn;     /* sign of n_i */
  float b;
} out_ctx;

/* sign of y_i - m */
static int cmp_y(const out_ctx *c, double m) {
  nb_big a, bb;
  big_from_double(&a, m, 150);
  big_from_double(&bb, c->b, 150);
  big_sub(&a, &a, &bb); /* A = (m - b) 2^150 */
  int sa = a.n == 0 ? 0 : a.neg ? -1 : 1;
  if (c->sn != sa) return c->sn > sa ? 1 : -1;
  if (c->sn == 0) return 0;
  big_mul(&a, &a, &a);
  big_mul(&a, &a, &c->w->ex.q);
  int r = big_cmp_mag(&c->n4, &a);
  return c->sn > 0 ? r : -r;
}

void nb_exact_prepare(nb_xrow *w) {
  if (!w->ex.ready) row_stats(w);
}

double nb_exact_round(nb_xrow *w, size_t i, float g, float b, double lo, double hi) {
  nb_exact_outputs++;
  if (!w->ex.ready) row_stats(w);
  const nb_exact *ex = &w->ex;
  nb_dtype dt = w->dt;
  float x = nb_xrow_ld(w, i);
  if (ex->q.n == 0) /* zero denominator: r = 0, y = b or the signed zero of x g 0 */
    return w->ln ? (double)b : (double)(x * g) * 0.0;
  out_ctx c = {w, {0, 0, {0}}, 0, w->ln ? b : 0.0f};
  nb_big t, gx;
  big_from_float(&t, x);
  big_mul_u64(&t, &t, w->d);
  big_sub(&t, &t, &ex->s1);
  big_from_float(&gx, g);
  big_mul(&t, &t, &gx); /* n_i */
  c.sn = t.n == 0 ? 0 : t.neg ? -1 : 1;
  big_mul(&c.n4, &t, &t);
  big_mul_u64(&c.n4, &c.n4, 4);
  /* bisection: the answer's ord is in [a, z] */
  int64_t a = lo == lo ? ord_of(lo, dt) : -ord_inf(dt), z = hi == hi ? ord_of(hi, dt) : ord_inf(dt);
  while (a < z) {
    int64_t k = a + (z - a) / 2; /* a <= k < z */
    int s = cmp_y(&c, mid_ord(k, dt));
    if (s == 0) { /* an exact midpoint: the even one */
      int64_t e = ((k < 0 ? -k : k) & 1) ? k + 1 : k;
      if (e == 0) return k < 0 ? -0.0 : 0.0; /* between -min and 0, or 0 and +min */
      return ord_val(e, dt);
    }
    if (s < 0)
      z = k;
    else
      a = k + 1;
  }
  if (a == 0) return cmp_y(&c, 0.0) < 0 ? -0.0 : 0.0; /* rounds to zero: the sign of y */
  return ord_val(a, dt);
}
