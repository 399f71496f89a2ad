/* libFuzzer differential target: every runnable kernel of our own (not the
 * external peers), of every op (RMSNorm, LayerNorm, AddRMSNorm, RMSNorm1p,
 * RMSNormI8, RMSNormE4M3), against the MPFR reference, on inputs decoded
 * from the fuzzer's bytes. For each kernel of the input's op and dtype:
 *   - rows inside its promise (nb_kernel_in_range on the row the norm sees,
 *     AddRMSNorm's r; LayerNorm kappa <= 10) stay within nb_kernel_bound in
 *     the accuracy engine's unit for the op (nb_case_run counts the
 *     breaches: ulps, floored for LayerNorm; int8 quantization steps against
 *     the exact row's scale, whose mismatch count is reported, not
 *     promised; ulps of e4m3 against the exact y clamped to +-448);
 *   - AddRMSNorm's r, written over the residual, is x + residual rounded
 *     once (nb_ref_add), bit for bit (sign of zero included, NaN by class),
 *     and the residual's padding is untouched;
 *   - rows with a NaN or infinity in x (AddRMSNorm: in r) follow the
 *     special-value convention of normbench.h (expect_classes,
 *     tests/special.h, on r for AddRMSNorm and with the gain 1 + w for
 *     RMSNorm1p); e4m3 through its conversion (NaN stays NaN, +-0 stays,
 *     an infinity saturates to a finite +-448, a finite y may underflow to
 *     +-0); int8 stores q = 0 and a scale NaN or +inf for the row;
 *   - a NaN or infinity in g_j or b_j (RMSNorm1p: w_j) makes y_j non-finite
 *     (NaN for a NaN; e4m3: NaN or +-448) and leaves every other output
 *     bit-identical to a call with g_j, b_j finite (1 and 0; w_j = 0);
 *     int8 shares the row's scale, so there every row is q = 0 with a
 *     scale NaN or +inf;
 *   - each row of a strided multi-row call (x, and the residual, padded with
 *     NaN) has the bits of a one-row call (int8: its scale too), and y's
 *     padding is untouched: no NaN leaks across rows.
 * A breach prints one line (kernel, D, eps, row, index, error, bound) and
 * aborts, so libFuzzer keeps the input.
 *
 * Input layout (make_corpus_kernels.py writes the same; missing bytes are 0):
 *   0      op's bit 0, dtype (bits 1-2, mod 3), x padding (bits 3-4), y padding (bits 5-6)
 *   1-2    D: byte 1 mod 4 picks small (1..64), a tail size, 2^k-1..2^k+1, or any of 1..4097
 *   3      rows (mod 3, +1); bits 2-4: eps, 0-4 the suite's list, 5-7 the raw bits below
 *   4-7    eps as raw float bits (used when >= 0 and not NaN, else the list)
 *   8-15   seed of the values no byte gives
 *   16-23  x: mode (structured/raw), scale exponent, noise bits, signs, shift,
 *          massive channels, their factor, exponent step between rows
 *   24-27  g: mode (ones, RMSNorm1p's w zeros / structured / raw), scale exponent, noise bits, signs
 *   28-31  b: mode (zero/structured/raw), scale exponent, noise bits, signs;
 *          AddRMSNorm's residual rows instead: mode (zero/structured/raw/-x
 *          plus structured), scale exponent (as x's), noise bits, signs
 *   32     special values injected (bits 0-1, mod 4); bits 2-7, k: the op is
 *          (2 k + byte 0's bit 0) mod NB_NOPS, so k = 0 is RMSNorm or LayerNorm
 *   33-44  three injections: target (x row, AddRMSNorm residual row, g or b),
 *          kind, position (2 bytes)
 *   45-    raw bits of the raw-mode values, in order (then the seed's stream)
 *
 * Runs: the test suite's smoke run replays the seed corpus (corpus_kernels,
 * written by make_corpus_kernels.py) plus 700 mutations. Longer runs, with
 * clang, -Dfuzz=enabled -Db_sanitize=address,undefined:
 *   mkdir -p WORK && build/tests/fuzz/fuzz_kernels -max_total_time=600 -max_len=8192 \
 *     -print_final_stats=1 WORK tests/fuzz/corpus_kernels
 * 10 minutes, one process, AMD EPYC Zen4 (all 72 kernels of ours run here),
 * commit b5441c7, RMSNorm and LayerNorm only: 38312 inputs (63/s), coverage
 * 2840 -> 3002 edges (8677 features), corpus 102 -> 576 inputs; no breach.
 * On that corpus's rows inside the promises, the largest error / bound was
 * 0.19 (f32 RMSNorm, non-accurate kernels) and 0.017 (f32 LayerNorm);
 * 16-bit and accurate kernels reach 0.99-1.0 by construction (an output at
 * a rounding midpoint has error 0.5, their bounds are 0.5 plus a small
 * term). With every op drawn, 4 minutes (-max_total_time=240), one process,
 * on a shared 2-core AVX-512 machine (all 226 kernels of ours run here):
 * 8398 inputs (34/s), coverage 9761 -> 10318 edges (24125 -> 29431
 * features), corpus 349 -> 1109 inputs; no breach. The 785 inputs it
 * added: RMSNorm 187, LayerNorm 218, AddRMSNorm 106, RMSNorm1p 84, int8
 * 119, e4m3 71 (an input shorter than 33 bytes reads byte 32 as 0, so
 * RMSNorm or LayerNorm). Then 3 more minutes on those 785 alone: 9071
 * inputs (50/s), 10243 -> 10361 edges; no breach.
 */
#include "accuracy.h"
#include "reference.h"
#include "special.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { HDR = 45, DMAX = 4097, RMAX = 3 };

typedef struct {
  const uint8_t *p;
  size_t n, at; /* raw stream position (from HDR) */
  uint64_t s;   /* splitmix64 state once the bytes run out */
} input;

static unsigned byte(const input *in, size_t i) { return i < in->n ? in->p[i] : 0; }

static uint64_t mix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* the next raw byte: the input's, then the seed's stream */
static unsigned raw8(input *in) { return in->at < in->n ? in->p[in->at++] : (unsigned)(mix(&in->s) & 0xff); }

static double uniform(input *in) { return (double)(mix(&in->s) >> 11) * 0x1p-53; }

static double raw_value(input *in, nb_dtype dt) {
  uint32_t w = raw8(in) | raw8(in) << 8;
  if (dt == NB_F16) return nb_f16_to_f32((uint16_t)w);
  if (dt == NB_BF16) return nb_bf16_to_f32((uint16_t)w);
  w |= (uint32_t)raw8(in) << 16 | (uint32_t)raw8(in) << 24;
  float f;
  memcpy(&f, &w, sizeof f);
  return f;
}

static size_t decode_d(const input *in) {
  static const size_t tails[] = {1,  2,   3,   7,   15,  17,   31,   33,   63,   65,   127,  129,
                                 255, 257, 1000, 1023, 1025, 2047, 2049, 4095, 4096, 4097};
  unsigned a = byte(in, 1), b = byte(in, 2);
  switch (a % 4) {
  case 0: return b % 64 + 1;
  case 1: return tails[b % (sizeof tails / sizeof tails[0])];
  case 2: {
    size_t p = (size_t)1 << (b % 13); /* 1..4096, then -1, 0 or +1 */
    size_t d = p + (a >> 2) % 3 - 1;
    return d == 0 ? 1 : d;
  }
  default: return ((size_t)(a >> 2) << 8 | b) % DMAX + 1;
  }
}

static float decode_eps(const input *in) {
  static const float list[] = {0, 1e-12f, 1e-6f, 1e-5f, 1e-2f};
  unsigned sel = byte(in, 3) >> 2 & 7;
  uint32_t w = byte(in, 4) | byte(in, 5) << 8 | byte(in, 6) << 16 | (uint32_t)byte(in, 7) << 24;
  float raw;
  memcpy(&raw, &w, sizeof raw);
  if (sel >= 5 && raw >= 0) return raw; /* NaN and negative eps fail the test */
  return list[(sel < 5 ? sel : w) % 5];
}

/* scale exponent of a spec byte, spread over the dtype's range */
static int scale_exp(nb_dtype dt, unsigned e) {
  int s = (int8_t)e;
  return dt == NB_F16 ? s / 8 : s * 3 / 4;
}

/* A structured value: sign * (1 + noise) * 2^e, noise with `bits` random bits. */
static double structured(input *in, unsigned bits, unsigned signs, size_t i, int e) {
  double m = 1 + (bits ? floor(uniform(in) * ldexp(1, (int)bits)) / ldexp(1, (int)bits) : 0);
  int neg = signs % 4 == 0 ? uniform(in) < 0.5 : signs % 4 == 2 ? (int)(i & 1) : signs % 4 == 3;
  return ldexp(neg ? -m : m, e);
}

/* x: rows of d; spec bytes 16-23 */
static void decode_x(input *in, nb_dtype dt, size_t rows, size_t d, double *x) {
  unsigned mode = byte(in, 16), bits = byte(in, 18) % 25, signs = byte(in, 19);
  static const double shifts[] = {0, 0, 0.5, 1, 3, 9.5, 10, 16, 64, 100, 1e3, 1e4, 4e4};
  double shift = shifts[byte(in, 20) % (sizeof shifts / sizeof shifts[0])];
  size_t massive = byte(in, 21) % 5;
  int mexp = 7 + byte(in, 22) % 8, step = (int8_t)byte(in, 23) / 8;
  for (size_t r = 0; r < rows; r++) {
    int e = scale_exp(dt, byte(in, 17)) + (int)r * step;
    for (size_t i = 0; i < d; i++) {
      double v;
      if (mode % 3 == 2) {
        v = raw_value(in, dt);
      } else {
        int big = massive && (i < (massive + 1) / 2 || d - 1 - i < massive / 2);
        v = structured(in, bits, signs, i, e + (big ? mexp : 0)) + ldexp(shift, e);
      }
      x[r * d + i] = nb_to_dtype(v, dt);
    }
  }
}

/* g or b from spec bytes at `at`: mode 0 gives `plain` everywhere */
static void decode_gb(input *in, nb_dtype dt, size_t at, size_t d, double plain, double *v) {
  unsigned mode = byte(in, at) % 4, bits = byte(in, at + 2) % 25, signs = byte(in, at + 3);
  int e = scale_exp(dt, byte(in, at + 1)) / 4;
  for (size_t i = 0; i < d; i++)
    v[i] = mode == 0 ? plain : mode == 2 ? raw_value(in, dt) : nb_to_dtype(structured(in, bits, signs, i, e), dt);
}

/* AddRMSNorm's residual rows from spec bytes 28-31: mode 0 zero, 1
 * structured over x's range of scales, 2 raw, 3 -x plus a structured value
 * (r cancels, to exactly 0 where that value is below half an ulp of x) */
static void decode_res(input *in, nb_dtype dt, size_t n, const double *x, double *res) {
  unsigned mode = byte(in, 28) % 4, bits = byte(in, 30) % 25, signs = byte(in, 31);
  int e = scale_exp(dt, byte(in, 29));
  for (size_t i = 0; i < n; i++)
    res[i] = mode == 0   ? 0
             : mode == 2 ? raw_value(in, dt)
                         : nb_to_dtype((mode == 3 ? -x[i] : 0) + structured(in, bits, signs, i, e), dt);
}

/* position of an injection: first + k, last - k, or anywhere */
static size_t decode_pos(unsigned lo, unsigned hi, size_t d) {
  size_t k = (hi & 0x3f) << 8 | lo;
  switch (hi >> 6) {
  case 0: return k % d;
  case 1: return d - 1 - k % d;
  default: return (k * 2654435761u) % d;
  }
}

/* targets: x's rows, the residual's rows (AddRMSNorm: res non-NULL), g, b */
static void inject(const input *in, nb_dtype dt, size_t rows, size_t d, double *x, double *res, double *g,
                   double *b) {
  const double kinds[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, min_sub(dt), -(min_normal(dt) - min_sub(dt)),
                          dt == NB_F16 ? 65504.0 : dt == NB_BF16 ? 0x1.fep127 : 0x1.fffffep127};
  size_t n = byte(in, 32) % 4, nrow = res ? 2 * rows : rows;
  for (size_t s = 0; s < n; s++) {
    size_t at = 33 + 4 * s, t = byte(in, at) % (nrow + 2), p = decode_pos(byte(in, at + 2), byte(in, at + 3), d);
    double v = kinds[byte(in, at + 1) % (sizeof kinds / sizeof kinds[0])];
    if (byte(in, at + 1) & 0x80) v = -v;
    if (t < rows)
      x[t * d + p] = v;
    else if (t < nrow)
      res[(t - rows) * d + p] = v;
    else
      (t == nrow ? g : b)[p] = v;
  }
}

/* One decoded input: rows of x (and of AddRMSNorm's residual, else NULL),
 * g and b (b NULL but for LayerNorm) with their specials, and cleaned (gc,
 * bc: finite), and the gain the norm applies (RMSNorm1p: 1 + w in f32). */
typedef struct {
  size_t px, py; /* padding after each row of x (and the residual), of y */
  float eps;
  const double *x, *res, *g, *b, *gc, *bc, *gain;
} job;

static size_t cur_d;
static float cur_eps;

static const char *unit(const nb_kernel *k) {
  return k->op == NB_RMSNORM_I8 ? "steps" : k->op == NB_RMSNORM_E4M3 ? "e4m3 ulp" : "ulp";
}

/* what: the check; y: the output (NaN if none); err > bound for a bound */
__attribute__((noreturn)) static void breach(const nb_kernel *k, size_t row, size_t idx, const char *what, double y,
                                             double err, double bound) {
  fprintf(stderr, "fuzz_kernels: BREACH %s D=%zu eps=%.9g row %zu [%zu]: %s, y %.9g, error %.6g %s, bound %.6g\n",
          k->name, cur_d, (double)cur_eps, row, idx, what, y, err, unit(k), bound);
  abort();
}

/* k on rows of x (stride xs, padded with NaN) into y (stride ys); b is
 * LayerNorm's bias, AddRMSNorm's residual (overwritten with r) or
 * RMSNormI8's scales */
static void run(const nb_kernel *k, const void *x, const void *g, const void *b, void *y, size_t rows, size_t d,
                size_t xs, size_t ys, float eps) {
  if (nb_run(k, x, g, b, y, rows, d, xs, ys, eps) != NB_OK) breach(k, 0, 0, "nb_run refused the call", NAN, 0, 0);
}

/* output j of k: int8 q, an e4m3 value, or the dtype's */
static double out_get(const nb_kernel *k, const void *y, size_t j) {
  if (k->op == NB_RMSNORM_I8) return ((const int8_t *)y)[j];
  if (k->op == NB_RMSNORM_E4M3) return nb_e4m3_to_f32(((const uint8_t *)y)[j]);
  return get(k->dtype, y, j);
}

/* the classes of e4m3(y) for y of classes m: NaN and +-0 stay, an infinity
 * saturates to +-448, a finite y may underflow to +-0 */
static unsigned e4m3_classes(unsigned m) {
  unsigned e = m & (M_NAN | M_PZ | M_NZ);
  if (m & (M_PINF | M_NINF)) e |= M_FIN;
  if (m & M_FIN) e |= M_FIN | M_PZ | M_NZ;
  return e;
}

static int gb_bad(const job *jb, size_t j) { return !isfinite(jb->g[j]) || (jb->b && !isfinite(jb->b[j])); }

static void check_kernel(const nb_kernel *k, const nb_case *c, const job *jb) {
  nb_op op = k->op;
  nb_dtype dt = c->dt;
  int add = op == NB_ADDRMSNORM, i8 = op == NB_RMSNORM_I8, e4 = op == NB_RMSNORM_E4M3;
  size_t d = c->d, rows = c->rows, sz = nb_dtype_size(dt), osz = nb_out_size(op, dt);
  size_t xs = d + jb->px, ys = d + jb->py;
  nb_metrics m;
  if (nb_case_run(c, k, &m)) breach(k, 0, 0, "nb_case_run failed", NAN, 0, 0);

  /* x, and the residual, at stride xs padded with NaN */
  double *xp = malloc(rows * xs * sizeof *xp), *rp = malloc(rows * xs * sizeof *rp);
  for (size_t r = 0; r < rows; r++)
    for (size_t i = 0; i < xs; i++) {
      xp[r * xs + i] = i < d ? jb->x[r * d + i] : NAN;
      rp[r * xs + i] = i < d && add ? jb->res[r * d + i] : NAN;
    }
  void *xst = stored(dt, xp, rows * xs), *gst = stored(dt, jb->g, d), *bst = jb->b ? stored(dt, jb->b, d) : NULL;
  void *gcs = stored(dt, jb->gc, d), *bcs = jb->b ? stored(dt, jb->bc, d) : NULL;
  unsigned char *res0 = stored(dt, rp, rows * xs), *res = malloc(rows * xs * sz), *resc = malloc(rows * xs * sz);
  unsigned char *res1 = malloc(d * sz);
  float *s = malloc(rows * sizeof *s), *sc = malloc(rows * sizeof *sc), s1;
  unsigned char *y = malloc(rows * ys * osz), *one = malloc(d * osz), *clean = malloc(rows * ys * osz);
  unsigned *cl = malloc(d * sizeof *cl);
  double *rin = malloc(d * sizeof *rin);
  memcpy(res, res0, rows * xs * sz);
  memcpy(resc, res0, rows * xs * sz);
  memset(y, 0x5a, rows * ys * osz);
  run(k, xst, gst, add ? (void *)res : i8 ? (void *)s : bst, y, rows, d, xs, ys, jb->eps);
  run(k, xst, gcs, add ? (void *)resc : i8 ? (void *)sc : bcs, clean, rows, d, xs, ys, jb->eps);

  /* AddRMSNorm's r: x + residual rounded once, the padding untouched */
  for (size_t r = 0; add && r < rows; r++)
    for (size_t i = 0; i < xs; i++) {
      size_t at = r * xs + i;
      if (i >= d) {
        if (memcmp(res + at * sz, res0 + at * sz, sz)) breach(k, r, i, "residual padding written", NAN, 0, 0);
        continue;
      }
      double rk = get(dt, res, at), rv = c->r[r * d + i];
      if ((isnan(rk) && isnan(rv)) || (rk == rv && signbit(rk) == signbit(rv))) continue;
      char what[128];
      snprintf(what, sizeof what, "r not x + residual rounded once: %.9g + %.9g, correctly rounded %.9g",
               jb->x[r * d + i], jb->res[r * d + i], rv);
      breach(k, r, i, what, rk, nb_err(rk, rv, dt), 0);
    }
  if (m.r_wrong)
    breach(k, m.breach_row, m.breach_idx, "r of the contiguous call (nb_case_run) not x + residual rounded once",
           NAN, m.worst_breach_err, m.worst_breach_bound);
  if (m.breaches) {
    char what[64];
    snprintf(what, sizeof what, "declared bound, exact %.9g", c->v[m.breach_row * d + m.breach_idx]);
    breach(k, m.breach_row, m.breach_idx, what, out_get(k, clean + m.breach_row * ys * osz, m.breach_idx),
           m.worst_breach_err, m.worst_breach_bound);
  }
  int gany = 0;
  for (size_t j = 0; j < d; j++) gany |= gb_bad(jb, j);
  for (size_t r = 0; r < rows; r++) {
    unsigned char *yr = y + r * ys * osz, *cr = clean + r * ys * osz;
    for (size_t i = d * osz; i < ys * osz; i++)
      if (yr[i] != 0x5a) breach(k, r, i / osz, "y padding after the row written", NAN, 0, 0);
    memcpy(res1, res0 + r * xs * sz, d * sz);
    run(k, (char *)xst + r * xs * sz, gst, add ? (void *)res1 : i8 ? (void *)&s1 : bst, one, 1, d, d, d, jb->eps);
    for (size_t j = 0; j < d; j++) {
      if (memcmp(yr + j * osz, one + j * osz, osz))
        breach(k, r, j, "row differs from a one-row call", out_get(k, yr, j), 0, 0);
      if (add && memcmp(res1 + j * sz, res + (r * xs + j) * sz, sz))
        breach(k, r, j, "r differs from a one-row call's", get(dt, res, r * xs + j), 0, 0);
    }
    if (i8 && memcmp(&s1, &s[r], sizeof s1)) breach(k, r, 0, "scale differs from a one-row call's", s[r], 0, 0);

    /* the row the norm sees: AddRMSNorm's r, else x */
    int xspecial = 0;
    for (size_t i = 0; i < d; i++) {
      rin[i] = add ? c->r[r * d + i] : jb->x[r * d + i];
      xspecial |= !isfinite(rin[i]);
    }
    if (i8 && (xspecial || gany)) { /* one scale per row: y not finite somewhere */
      const char *what = xspecial ? "int8, NaN/inf in x: q not 0" : "int8, NaN/inf in g: q not 0";
      for (size_t j = 0; j < d; j++)
        if (yr[j]) breach(k, r, j, what, out_get(k, yr, j), 0, 0);
      if (!(isnan(s[r]) || s[r] == INFINITY))
        breach(k, r, 0, "int8, NaN/inf in x or g: scale not NaN or +inf", s[r], 0, 0);
      continue;
    }
    if (xspecial) {
      expect_classes(op == NB_LAYERNORM ? NB_LAYERNORM : NB_RMSNORM, dt, rin, jb->gain, jb->b, d, jb->eps, cl);
      for (size_t j = 0; j < d; j++)
        if (!(cls(out_get(k, yr, j)) & (e4 ? e4m3_classes(cl[j]) : cl[j])))
          breach(k, r, j, add ? "special-value convention (NaN/inf in r)" : "special-value convention (NaN/inf in x)",
                 out_get(k, yr, j), 0, 0);
    }
    for (size_t j = 0; j < d; j++) {
      int bad = gb_bad(jb, j), nan = isnan(jb->g[j]) || (jb->b && isnan(jb->b[j]));
      double yv = out_get(k, yr, j);
      if (!bad && memcmp(yr + j * osz, cr + j * osz, osz))
        breach(k, r, j, "a NaN/inf in g or b changed another output", yv, 0, 0);
      if (xspecial || !bad) continue;
      if (e4 && !(isnan(yv) || (!nan && fabs(yv) == 448)))
        breach(k, r, j, "NaN/inf in g: e4m3 output not NaN (or +-448 for an inf)", yv, 0, 0);
      if (!e4 && (isfinite(yv) || (nan && !isnan(yv))))
        breach(k, r, j, "NaN/inf in g or b: output not NaN/inf as IEEE gives", yv, 0, 0);
    }
  }
  free(xp), free(rp), free(xst), free(gst), free(bst), free(gcs), free(bcs), free(res0), free(res), free(resc);
  free(res1), free(s), free(sc), free(y), free(one), free(clean), free(cl), free(rin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, size, HDR, 0};
  for (int i = 0; i < 8; i++) in.s |= (uint64_t)byte(&in, 8 + (size_t)i) << (8 * i);
  nb_op op = (nb_op)((2 * (byte(&in, 32) >> 2) + (byte(&in, 0) & 1)) % NB_NOPS);
  int ln = op == NB_LAYERNORM, add = op == NB_ADDRMSNORM, onep = op == NB_RMSNORM1P;
  nb_dtype dt = (nb_dtype)((byte(&in, 0) >> 1 & 3) % 3);
  size_t d = decode_d(&in), rows = byte(&in, 3) % RMAX + 1, px = byte(&in, 0) >> 3 & 3, py = byte(&in, 0) >> 5 & 3;
  float eps = decode_eps(&in);
  double *x = malloc(rows * d * sizeof *x), *g = malloc(d * sizeof *g), *b = calloc(d, sizeof *b);
  double *res = add ? malloc(rows * d * sizeof *res) : NULL, *gain = malloc(d * sizeof *gain);
  double *gc = malloc(d * sizeof *gc), *bc = malloc(d * sizeof *bc);
  float *xf = malloc(rows * d * sizeof *xf), *gf = malloc(d * sizeof *gf), *bf = malloc(d * sizeof *bf);
  float *resf = add ? malloc(rows * d * sizeof *resf) : NULL;
  decode_x(&in, dt, rows, d, x);
  decode_gb(&in, dt, 24, d, onep ? 0 : 1, g); /* RMSNorm1p's plain w is 0: gain 1 */
  if (add)
    decode_res(&in, dt, rows * d, x, res); /* AddRMSNorm has no b: its spec bytes give the residual */
  else
    decode_gb(&in, dt, 28, d, 0, b);
  inject(&in, dt, rows, d, x, res, g, b);
  /* the reference's case has g and b cleaned: their specials are checked
   * as "changes y_j only", the rest against the bound */
  for (size_t i = 0; i < d; i++) {
    int bad = !isfinite(g[i]) || (ln && !isfinite(b[i]));
    gc[i] = bad ? (onep ? 0 : 1) : g[i], bc[i] = bad ? 0 : b[i];
    gf[i] = (float)gc[i], bf[i] = (float)bc[i];
    gain[i] = onep ? nb_ref_add(1, g[i], NB_F32) : g[i];
  }
  for (size_t i = 0; i < rows * d; i++) xf[i] = (float)x[i];
  for (size_t i = 0; add && i < rows * d; i++) resf[i] = (float)res[i];
  cur_d = d, cur_eps = eps;
  job jb = {px, py, eps, x, res, g, ln ? b : NULL, gc, bc, gain};
  nb_case c;
  if (nb_case_from_data_res(&c, op, dt, rows, d, eps, xf, gf, ln ? bf : NULL, resf) == 0) {
    for (size_t i = 0; i < nb_kernel_count(); i++) {
      const nb_kernel *k = nb_kernel_at(i);
      if (k->op == op && k->dtype == dt && !(k->flags & NB_K_EXTERNAL) && nb_kernel_runs_here(k))
        check_kernel(k, &c, &jb);
    }
    nb_case_free(&c);
  }
  free(x), free(g), free(b), free(res), free(gain), free(gc), free(bc), free(xf), free(gf), free(bf), free(resf);
  return 0;
}
