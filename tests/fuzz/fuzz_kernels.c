/* libFuzzer differential target: every runnable kernel of our own (not the
 * external peers) against the MPFR reference, on inputs decoded from the
 * fuzzer's bytes. For each kernel of the input's op and dtype:
 *   - rows inside its promise (nb_kernel_in_range, LayerNorm kappa <= 10)
 *     stay within nb_kernel_bound (nb_case_run counts the breaches);
 *   - rows with a NaN or infinity in x follow the special-value convention
 *     of normbench.h (expect_classes, tests/special.h);
 *   - a NaN or infinity in g_j or b_j makes y_j non-finite (NaN for a NaN)
 *     and leaves every other output bit-identical to a call with g_j = 1,
 *     b_j = 0;
 *   - each row of a strided multi-row call (x padded with NaN) has the bits
 *     of a one-row call, and y's padding is untouched: no NaN leaks across
 *     rows.
 * A breach prints one line (kernel, D, eps, row, index, error, bound) and
 * aborts, so libFuzzer keeps the input.
 *
 * Input layout (make_corpus_kernels.py writes the same; missing bytes are 0):
 *   0      op (bit 0), dtype (bits 1-2, mod 3), x padding (bits 3-4), y padding (bits 5-6)
 *   1-2    D: byte 1 mod 4 picks small (1..64), a tail size, 2^k-1..2^k+1, or any of 1..4097
 *   3      rows (mod 3, +1); bits 2-4: eps, 0-4 the suite's list, 5-7 the raw bits below
 *   4-7    eps as raw float bits (used when >= 0 and not NaN, else the list)
 *   8-15   seed of the values no byte gives
 *   16-23  x: mode (structured/raw), scale exponent, noise bits, signs, shift,
 *          massive channels, their factor, exponent step between rows
 *   24-27  g: mode (ones/structured/raw), scale exponent, noise bits, signs
 *   28-31  b: mode (zero/structured/raw), scale exponent, noise bits, signs
 *   32     special values injected (mod 4)
 *   33-44  three injections: target (x row, g or b), kind, position (2 bytes)
 *   45-    raw bits of the raw-mode values, in order (then the seed's stream)
 *
 * Runs: the test suite's smoke run replays the seed corpus (corpus_kernels,
 * written by make_corpus_kernels.py) plus 700 mutations. Longer runs, with
 * clang, -Dfuzz=enabled -Db_sanitize=address,undefined:
 *   mkdir -p WORK && build/tests/fuzz/fuzz_kernels -max_total_time=600 -max_len=8192 \
 *     -print_final_stats=1 WORK tests/fuzz/corpus_kernels
 * 10 minutes, one process, AMD EPYC Zen4 (all 72 kernels of ours run here),
 * commit b5441c7: 38312 inputs (63/s), coverage 2840 -> 3002 edges (8677
 * features), corpus 102 -> 576 inputs; no breach. On that corpus's rows
 * inside the promises, the largest error / bound was 0.19 (f32 RMSNorm,
 * non-accurate kernels) and 0.017 (f32 LayerNorm); 16-bit and accurate
 * kernels reach 0.99-1.0 by construction (an output at a rounding midpoint
 * has error 0.5, their bounds are 0.5 plus a small term).
 */
#include "accuracy.h"
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

/* position of an injection: first + k, last - k, or anywhere */
static size_t decode_pos(unsigned lo, unsigned hi, size_t d) {
  size_t k = (hi & 0x3f) << 8 | lo;
  switch (hi >> 6) {
  case 0: return k % d;
  case 1: return d - 1 - k % d;
  default: return (k * 2654435761u) % d;
  }
}

static void inject(const input *in, nb_dtype dt, size_t rows, size_t d, double *x, double *g, double *b) {
  const double kinds[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, min_sub(dt), -(min_normal(dt) - min_sub(dt)),
                          dt == NB_F16 ? 65504.0 : dt == NB_BF16 ? 0x1.fep127 : 0x1.fffffep127};
  size_t n = byte(in, 32) % 4;
  for (size_t s = 0; s < n; s++) {
    size_t at = 33 + 4 * s, t = byte(in, at) % (rows + 2), p = decode_pos(byte(in, at + 2), byte(in, at + 3), d);
    double v = kinds[byte(in, at + 1) % (sizeof kinds / sizeof kinds[0])];
    if (byte(in, at + 1) & 0x80) v = -v;
    if (t < rows)
      x[t * d + p] = v;
    else
      (t == rows ? g : b)[p] = v;
  }
}

static size_t cur_d;
static float cur_eps;

/* what: the check; y: the output (NaN if none); err > bound for a bound */
__attribute__((noreturn)) static void breach(const nb_kernel *k, size_t row, size_t idx, const char *what, double y,
                                             double err, double bound) {
  fprintf(stderr, "fuzz_kernels: BREACH %s D=%zu eps=%.9g row %zu [%zu]: %s, y %.9g, error %.6g ulp, bound %.6g\n",
          k->name, cur_d, (double)cur_eps, row, idx, what, y, err, bound);
  abort();
}

/* k on rows of x (stride xs, padded with NaN) into y (stride ys) */
static void run(const nb_kernel *k, const void *x, const void *g, const void *b, void *y, size_t rows, size_t d,
                size_t xs, size_t ys, float eps) {
  if (nb_run(k, x, g, b, y, rows, d, xs, ys, eps) != NB_OK) breach(k, 0, 0, "nb_run refused the call", NAN, 0, 0);
}

static void check_kernel(const nb_kernel *k, const nb_case *c, const double *x, const double *g, const double *b,
                         const double *gc, const double *bc, size_t px, size_t py) {
  nb_dtype dt = c->dt;
  size_t d = c->d, rows = c->rows, sz = nb_dtype_size(dt), xs = d + px, ys = d + py;
  nb_metrics m;
  if (nb_case_run(c, k, &m)) breach(k, 0, 0, "nb_case_run failed", NAN, 0, 0);

  double *xp = malloc(rows * xs * sizeof *xp);
  for (size_t r = 0; r < rows; r++)
    for (size_t i = 0; i < xs; i++) xp[r * xs + i] = i < d ? x[r * d + i] : NAN;
  void *xst = stored(dt, xp, rows * xs), *gst = stored(dt, g, d), *bst = b ? stored(dt, b, d) : NULL;
  void *gcs = stored(dt, gc, d), *bcs = b ? stored(dt, bc, d) : NULL;
  unsigned char *y = malloc(rows * ys * sz), *one = malloc(d * sz), *clean = malloc(rows * ys * sz);
  unsigned *cl = malloc(d * sizeof *cl);
  memset(y, 0x5a, rows * ys * sz);
  run(k, xst, gst, bst, y, rows, d, xs, ys, cur_eps);
  run(k, xst, gcs, bcs, clean, rows, d, xs, ys, cur_eps);
  if (m.breaches) {
    char what[64];
    snprintf(what, sizeof what, "declared bound, exact %.9g", c->v[m.breach_row * d + m.breach_idx]);
    breach(k, m.breach_row, m.breach_idx, what, get(dt, clean + m.breach_row * ys * sz, m.breach_idx),
           m.worst_breach_err, m.worst_breach_bound);
  }
  for (size_t r = 0; r < rows; r++) {
    const double *xr = x + r * d;
    unsigned char *yr = y + r * ys * sz;
    for (size_t i = d * sz; r + 1 < rows && i < ys * sz; i++)
      if (yr[i] != 0x5a) breach(k, r, i / sz, "y padding after the row written", NAN, 0, 0);
    run(k, (char *)xst + r * xs * sz, gst, bst, one, 1, d, d, d, cur_eps);
    for (size_t j = 0; j < d; j++)
      if (memcmp(yr + j * sz, one + j * sz, sz)) breach(k, r, j, "row differs from a one-row call", get(dt, yr, j), 0, 0);
    int xspecial = 0;
    for (size_t i = 0; i < d; i++) xspecial |= !isfinite(xr[i]);
    if (xspecial) {
      expect_classes(c->op, dt, xr, g, b, d, cur_eps, cl);
      for (size_t j = 0; j < d; j++)
        if (!(cls(get(dt, yr, j)) & cl[j])) breach(k, r, j, "special-value convention (NaN/inf in x)", get(dt, yr, j), 0, 0);
    }
    for (size_t j = 0; j < d; j++) {
      int gbad = !isfinite(g[j]) || (b && !isfinite(b[j]));
      double yv = get(dt, yr, j);
      if (!gbad && memcmp(yr + j * sz, clean + (r * ys + j) * sz, sz))
        breach(k, r, j, "a NaN/inf in g or b changed another output", yv, 0, 0);
      if (!xspecial && gbad && (isfinite(yv) || ((isnan(g[j]) || (b && isnan(b[j]))) && !isnan(yv))))
        breach(k, r, j, "NaN/inf in g or b: output not NaN/inf as IEEE gives", yv, 0, 0);
    }
  }
  free(xp), free(xst), free(gst), free(bst), free(gcs), free(bcs), free(y), free(one), free(clean), free(cl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, size, HDR, 0};
  for (int i = 0; i < 8; i++) in.s |= (uint64_t)byte(&in, 8 + (size_t)i) << (8 * i);
  nb_op op = byte(&in, 0) & 1 ? NB_LAYERNORM : NB_RMSNORM;
  nb_dtype dt = (nb_dtype)((byte(&in, 0) >> 1 & 3) % 3);
  size_t d = decode_d(&in), rows = byte(&in, 3) % RMAX + 1, px = byte(&in, 0) >> 3 & 3, py = byte(&in, 0) >> 5 & 3;
  float eps = decode_eps(&in);
  double *x = malloc(rows * d * sizeof *x), *g = malloc(d * sizeof *g), *b = malloc(d * sizeof *b);
  double *gc = malloc(d * sizeof *gc), *bc = malloc(d * sizeof *bc);
  float *xf = malloc(rows * d * sizeof *xf), *gf = malloc(d * sizeof *gf), *bf = malloc(d * sizeof *bf);
  decode_x(&in, dt, rows, d, x);
  decode_gb(&in, dt, 24, d, 1, g);
  decode_gb(&in, dt, 28, d, 0, b);
  inject(&in, dt, rows, d, x, g, b);
  /* the reference's case has g and b cleaned: their specials are checked
   * as "changes y_j only", the rest against the bound */
  for (size_t i = 0; i < d; i++) {
    int bad = !isfinite(g[i]) || (op == NB_LAYERNORM && !isfinite(b[i]));
    gc[i] = bad ? 1 : g[i], bc[i] = bad ? 0 : b[i];
    gf[i] = (float)gc[i], bf[i] = (float)bc[i];
  }
  for (size_t i = 0; i < rows * d; i++) xf[i] = (float)x[i];
  cur_d = d, cur_eps = eps;
  nb_case c;
  if (nb_case_from_data(&c, op, dt, rows, d, eps, xf, gf, op == NB_LAYERNORM ? bf : NULL) == 0) {
    for (size_t i = 0; i < nb_kernel_count(); i++) {
      const nb_kernel *k = nb_kernel_at(i);
      if (k->op == op && k->dtype == dt && !(k->flags & NB_K_EXTERNAL) && nb_kernel_runs_here(k))
        check_kernel(k, &c, x, g, op == NB_LAYERNORM ? b : NULL, gc, bc, px, py);
    }
    nb_case_free(&c);
  }
  free(x), free(g), free(b), free(gc), free(bc), free(xf), free(gf), free(bf);
  return 0;
}
