/* Every runnable kernel in the registry against long-double math, until the
 * MPFR-based kernel tests land. Per kernel, three TAP points:
 *   accuracy  error <= the declared bound (nb_kernel_bound at the row's
 *             mean|x|/sigma) on D = 1..300 and long rows with tails, for
 *             N(0,1), shifted (mu/sigma = 4), constant-magnitude rows and
 *             rows at the top and bottom of the format's range (where the
 *             kernel's nb_kernel_range covers them);
 *   layout    in place, strided rows and unaligned pointers give the same
 *             bits as one contiguous aligned row at a time;
 *   special   the NaN / infinity / zero-denominator conventions of
 *             normbench.h, with the value first, last and in the tail, and
 *             no NaN leaking into the neighbouring rows.
 * The reference is long double (64 or 113 bits): its relative error, about
 * D * 2^-64, is far inside even the accurate kernels' slack of
 * (D + 64) * 2^-29 ulp. A kernel this CPU cannot run is reported as a TAP
 * skip. NORMBENCH_EMULATED=1 (tests/meson.build sets it in cross builds,
 * which run under qemu) drops the 12288-long rows. */
#include "normbench.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s * 0x9e3779b97f4a7c15u + 1; }
static double uniform(void) { /* (0, 1) */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return ((double)(rng_state >> 11) + 0.5) * 0x1p-53;
}
static double normal(void) { return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform()); }

/* Element i of a buffer of dtype dt, as the exact stored value / rounded
 * once from a double. */
static double get(nb_dtype dt, const void *p, size_t i) {
  switch (dt) {
  case NB_F16: return nb_f16_to_f32(((const uint16_t *)p)[i]);
  case NB_BF16: return nb_bf16_to_f32(((const uint16_t *)p)[i]);
  default: return ((const float *)p)[i];
  }
}
static void put(nb_dtype dt, void *p, size_t i, double v) {
  switch (dt) {
  case NB_F16: ((uint16_t *)p)[i] = nb_f64_to_f16(v); break;
  case NB_BF16: ((uint16_t *)p)[i] = nb_f64_to_bf16(v); break;
  default: ((float *)p)[i] = (float)v;
  }
}

/* ulp of |v| in the output format (ACCURACY.md). */
static long double ulp(nb_dtype dt, long double v) {
  int p = dt == NB_F16 ? 11 : dt == NB_BF16 ? 8 : 24, emin = dt == NB_F16 ? -14 : -126;
  int e = v == 0 ? emin : ilogbl(v);
  return ldexpl(1.0L, (e < emin ? emin : e) - p + 1);
}

/* The exact outputs of one row, to long-double precision, and the row's
 * conditioning mean|x|/sigma (LayerNorm). */
static double reference(nb_op op, nb_dtype dt, const void *x, const void *g, const void *b,
                        size_t d, float eps, long double *v) {
  long double mu = 0, s2 = 0, sa = 0, c = 0;
  if (op == NB_LAYERNORM) {
    for (size_t i = 0; i < d; i++) mu += get(dt, x, i);
    mu /= d;
    for (size_t i = 0; i < d; i++) c += get(dt, x, i) - mu;
    mu += c / d; /* corrected two-pass: the first mean's rounding removed */
  }
  for (size_t i = 0; i < d; i++) {
    long double t = get(dt, x, i) - mu;
    s2 += t * t;
    sa += fabsl((long double)get(dt, x, i));
  }
  long double den = s2 / d + eps, r = den == 0 ? 0 : 1 / sqrtl(den);
  for (size_t i = 0; i < d; i++) {
    v[i] = get(dt, g, i) * ((get(dt, x, i) - mu) * r);
    if (op == NB_LAYERNORM && b) v[i] += get(dt, b, i);
  }
  return s2 == 0 ? 1 : (double)(sa / d / sqrtl(s2 / d));
}

/* HUGE and TINY are N(0,1) rows scaled to the top and the bottom (into the
 * subnormals) of the storage format: sums of squares that overflow or
 * underflow f32, inside the promise of the accurate kernels only (and of
 * f16 kernels, whose squares always fit f32). */
enum { NORMAL, SHIFT, CONSTMAG, HUGE, TINY, NCASES };
static const char *case_name[] = {"N(0,1)", "shifted", "+-a", "N(0,1) * 2^(max-4)", "N(0,1) * 2^(min-4)"};

static double case_scale(nb_dtype dt, int kind) {
  if (kind == HUGE) return dt == NB_F16 ? 0x1p11 : 0x1p123;
  if (kind == TINY) return dt == NB_F16 ? 0x1p-18 : 0x1p-130;
  return 1;
}

static void fill(nb_dtype dt, int kind, void *x, void *g, void *b, size_t d) {
  double scale = case_scale(dt, kind);
  for (size_t i = 0; i < d; i++) {
    double v = kind == CONSTMAG ? (uniform() < 0.5 ? -3 : 3) : normal() * scale + (kind == SHIFT ? 4 : 0);
    put(dt, x, i, v);
    put(dt, g, i, (0.5 + uniform()) * (uniform() < 0.1 ? -1 : 1));
    put(dt, b, i, 0.5 * normal());
  }
}

static int failures;
static int tap_n;
static void tap(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(int ok, const char *fmt, ...) {
  va_list ap;
  printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  failures += !ok;
}

static void *xalloc(size_t n) {
  void *p = calloc(1, n + 64);
  if (!p) {
    fprintf(stderr, "kernels_local: error: out of memory\n");
    exit(1);
  }
  return p;
}

static void run(const nb_kernel *k, const void *x, const void *g, const void *b, void *y,
                size_t rows, size_t d, size_t xs, size_t ys, float eps) {
  int rc = nb_run(k, x, g, b, y, rows, d, xs, ys, eps);
  if (rc != NB_OK) {
    fprintf(stderr, "kernels_local: error: %s: %s\n", k->name, nb_strerror(rc));
    exit(1);
  }
}

/* ---- accuracy ------------------------------------------------------------ */

typedef struct {
  double worst, bound; /* the error with the largest share of its bound */
  size_t d, i, rows, nopromise;
  int kind, ok;
} acc;

static int measured(const nb_kernel *k) {
  return nb_kernel_runs_here(k) && !(k->flags & NB_K_EXTERNAL);
}

/* The reference of each row is computed once and every kernel of the op
 * and dtype is held to it (long double is software on AArch64: slow under
 * qemu). */
static void measure_all(int emulated, acc *res) {
  static const size_t big[] = {511, 1000, 1023, 1024, 1025, 4095, 4097, 12288};
  size_t nd = 300 + sizeof big / sizeof big[0] - (emulated ? 1 : 0), maxd = 12288;
  char *x = xalloc(maxd * 4), *g = xalloc(maxd * 4), *b = xalloc(maxd * 4), *y = xalloc(maxd * 4);
  double *xd = xalloc(maxd * 8), *gd = xalloc(maxd * 8), *bd = xalloc(maxd * 8);
  long double *v = xalloc(maxd * sizeof *v);
  for (size_t j = 0; j < nb_kernel_count(); j++) res[j] = (acc){.ok = 1};
  for (int op = NB_RMSNORM; op <= NB_LAYERNORM; op++)
    for (int dt = NB_F32; dt <= NB_BF16; dt++)
      for (size_t n = 0; n < nd; n++) {
        size_t d = n < 300 ? n + 1 : big[n - 300];
        const void *bias = op == NB_LAYERNORM ? b : NULL;
        for (int kind = 0; kind < NCASES; kind++) {
          rng_seed(d * 8 + (uint64_t)kind * 2 + (uint64_t)dt * 100003);
          fill(dt, kind, x, g, b, d);
          double kappa = reference(op, dt, x, g, bias, d, 1e-5f, v);
          for (size_t i = 0; i < d; i++) {
            xd[i] = get(dt, x, i);
            gd[i] = get(dt, g, i);
            bd[i] = get(dt, b, i);
          }
          for (size_t j = 0; j < nb_kernel_count(); j++) {
            const nb_kernel *k = nb_kernel_at(j);
            if ((int)k->op != op || (int)k->dtype != dt || !measured(k)) continue;
            acc *a = &res[j];
            double bound = nb_kernel_bound(k, d, op == NB_LAYERNORM ? kappa : 1);
            if (!isfinite(bound) || !nb_kernel_in_range(k, xd, gd, bias ? bd : NULL, d)) {
              a->nopromise++;
              continue;
            }
            run(k, x, g, bias, y, 1, d, d, d, 1e-5f);
            a->rows++;
            for (size_t i = 0; i < d; i++) {
              long double yi = get(dt, y, i), scale = fabsl(v[i]);
              if (op == NB_LAYERNORM && fabsl((long double)gd[i]) > scale) scale = fabsl((long double)gd[i]);
              double e = isfinite((double)yi) ? (double)(fabsl(yi - v[i]) / ulp(dt, scale)) : INFINITY;
              if (e > bound) a->ok = 0;
              if (!a->bound || e / bound > a->worst / a->bound)
                a->worst = e, a->bound = bound, a->d = d, a->i = i, a->kind = kind;
            }
          }
        }
      }
  free(x), free(g), free(b), free(y), free(xd), free(gd), free(bd), free(v);
}

static void report_accuracy(const nb_kernel *k, const acc *a, int emulated) {
  tap(a->ok && a->rows > 0,
      "%s accuracy: %zu rows (D = 1..300, 511..%d), worst %.6g ulp against a bound of %.6g "
      "(D = %zu, %s row, index %zu); %zu rows outside the promise",
      k->name, a->rows, emulated ? 4097 : 12288, a->worst, a->bound, a->d, case_name[a->kind], a->i,
      a->nopromise);
}

/* ---- layout -------------------------------------------------------------- */

/* Rows through nb_run one at a time from contiguous aligned buffers: the
 * expected bits for every other layout. */
static void check_layout(const nb_kernel *k) {
  static const size_t ds[] = {1, 2, 3, 4, 5, 7, 15, 16, 17, 33, 64, 100, 1025};
  enum { ROWS = 3, PAD = 5 };
  size_t sz = nb_dtype_size(k->dtype);
  const void *bias;
  int ok = 1;
  char what[64] = "";
  for (size_t n = 0; n < sizeof ds / sizeof ds[0] && ok; n++) {
    size_t d = ds[n], xs = d + PAD, ys = d + PAD + 2;
    char *x = xalloc(ROWS * xs * sz), *g = xalloc(d * sz), *b = xalloc(d * sz);
    char *want = xalloc(ROWS * d * sz), *got = xalloc(ROWS * ys * sz);
    char *ux = xalloc((ROWS * d + 1) * sz), *ug = xalloc((d + 1) * sz), *ub = xalloc((d + 1) * sz);
    char *in = xalloc(ROWS * xs * sz);
    rng_seed(d + 77);
    for (size_t r = 0; r < ROWS; r++) fill(k->dtype, (int)r, x + r * xs * sz, g, b, d);
    bias = k->op == NB_LAYERNORM ? b : NULL;
    for (size_t r = 0; r < ROWS; r++) run(k, x + r * xs * sz, g, bias, want + r * d * sz, 1, d, d, d, 1e-5f);
    /* strided rows, x and y strides different */
    memset(got, 0xa5, ROWS * ys * sz);
    run(k, x, g, bias, got, ROWS, d, xs, ys, 1e-5f);
    for (size_t r = 0; r < ROWS && ok; r++)
      if (memcmp(got + r * ys * sz, want + r * d * sz, d * sz)) ok = 0, snprintf(what, sizeof what, "strided, D = %zu", d);
    /* the padding between output rows is never written */
    for (size_t r = 0; r + 1 < ROWS && ok; r++)
      for (size_t j = d * sz; j < ys * sz; j++)
        if ((unsigned char)got[r * ys * sz + j] != 0xa5) ok = 0, snprintf(what, sizeof what, "stride gap written, D = %zu", d);
    /* in place, strided */
    memcpy(in, x, ROWS * xs * sz);
    run(k, in, g, bias, in, ROWS, d, xs, xs, 1e-5f);
    for (size_t r = 0; r < ROWS && ok; r++)
      if (memcmp(in + r * xs * sz, want + r * d * sz, d * sz)) ok = 0, snprintf(what, sizeof what, "in place, D = %zu", d);
    /* every pointer one element off its allocation's alignment */
    for (size_t r = 0; r < ROWS; r++) memcpy(ux + (r * d + 1) * sz, x + r * xs * sz, d * sz);
    memcpy(ug + sz, g, d * sz);
    memcpy(ub + sz, b, d * sz);
    memset(got, 0, ROWS * ys * sz);
    run(k, ux + sz, ug + sz, bias ? ub + sz : NULL, got + sz, ROWS, d, d, d, 1e-5f);
    if (ok && memcmp(got + sz, want, ROWS * d * sz)) ok = 0, snprintf(what, sizeof what, "unaligned, D = %zu", d);
    free(x), free(g), free(b), free(want), free(got), free(ux), free(ug), free(ub), free(in);
  }
  tap(ok, "%s layout: strided, in place and unaligned rows bit-identical to contiguous ones%s%s", k->name,
      ok ? "" : "; differs: ", what);
}

/* ---- special values ---------------------------------------------------- */

static int is_nan(nb_dtype dt, const void *y, size_t i) { return isnan(get(dt, y, i)); }

/* Row 1 of three gets the special value at index pos; rows 0 and 2 must
 * keep the bits they have when run alone. Returns a failure description or
 * NULL. */
static const char *special_row(const nb_kernel *k, size_t d, size_t pos, double special, float eps) {
  enum { ROWS = 3 };
  size_t sz = nb_dtype_size(k->dtype);
  char *x = xalloc(ROWS * d * sz), *g = xalloc(d * sz), *b = xalloc(d * sz);
  char *y = xalloc(ROWS * d * sz), *alone = xalloc(d * sz);
  const void *bias = k->op == NB_LAYERNORM ? b : NULL;
  const char *err = NULL;
  rng_seed(d * 31 + pos);
  for (size_t r = 0; r < ROWS; r++) fill(k->dtype, NORMAL, x + r * d * sz, g, b, d);
  put(k->dtype, x + d * sz, pos, special);
  run(k, x, g, bias, y, ROWS, d, d, d, eps);
  for (size_t r = 0; r < ROWS && !err; r += 2) {
    run(k, x + r * d * sz, g, bias, alone, 1, d, d, d, eps);
    if (memcmp(alone, y + r * d * sz, d * sz)) err = "a neighbouring row changed";
  }
  const char *row = y + d * sz;
  for (size_t i = 0; i < d && !err; i++) {
    int want_nan = isnan(special) || k->op == NB_LAYERNORM || i == pos;
    if (want_nan && !is_nan(k->dtype, row, i)) err = "an output is not NaN";
    if (!want_nan && get(k->dtype, row, i) != 0) err = "a finite x gives a non-zero output";
  }
  free(x), free(g), free(b), free(y), free(alone);
  return err;
}

/* A row whose denominator is exactly zero (all equal values, eps = 0;
 * all zeros for RMSNorm) normalizes to zero: +-0, or exactly b. */
static const char *zero_den_row(const nb_kernel *k, size_t d) {
  size_t sz = nb_dtype_size(k->dtype);
  char *x = xalloc(d * sz), *g = xalloc(d * sz), *b = xalloc(d * sz), *y = xalloc(d * sz);
  const void *bias = k->op == NB_LAYERNORM ? b : NULL;
  const char *err = NULL;
  rng_seed(d);
  fill(k->dtype, NORMAL, x, g, b, d);
  for (size_t i = 0; i < d; i++) put(k->dtype, x, i, k->op == NB_LAYERNORM ? 1.5 : 0);
  run(k, x, g, bias, y, 1, d, d, d, 0.0f);
  for (size_t i = 0; i < d && !err; i++) {
    double want = bias ? get(k->dtype, b, i) : 0;
    if (get(k->dtype, y, i) != want) err = "zero denominator: output is not b (or 0)";
  }
  free(x), free(g), free(b), free(y);
  return err;
}

static void check_special(const nb_kernel *k) {
  static const size_t ds[] = {1, 3, 4, 7, 16, 19, 67, 1030};
  const double specials[] = {NAN, -NAN, INFINITY, -INFINITY};
  const char *err = NULL;
  size_t at_d = 0, at_pos = 0;
  int at_s = 0;
  for (size_t n = 0; n < sizeof ds / sizeof ds[0] && !err; n++) {
    size_t d = ds[n], pos[] = {0, d / 2, d - 1};
    for (int s = 0; s < 4 && !err; s++)
      for (int p = 0; p < 3 && !err; p++)
        for (int e = 0; e < 2 && !err; e++)
          if ((err = special_row(k, d, pos[p], specials[s], e ? 0.0f : 1e-5f))) at_d = d, at_pos = pos[p], at_s = s;
    if (!err && (err = zero_den_row(k, d))) at_d = d;
  }
  static const char *sname[] = {"NaN", "-NaN", "+Inf", "-Inf"};
  if (err)
    tap(0, "%s special values: %s (D = %zu, %s at %zu)", k->name, err, at_d, sname[at_s], at_pos);
  else
    tap(1, "%s special values: NaN and +-Inf first, middle, last (tail lane); zero denominator", k->name);
}

int main(void) {
  const char *env = getenv("NORMBENCH_EMULATED");
  int emulated = env && *env && strcmp(env, "0") != 0;
  acc *res = xalloc(nb_kernel_count() * sizeof *res);
  measure_all(emulated, res);
  printf("TAP version 13\n1..%zu\n", 3 * nb_kernel_count());
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (!nb_kernel_runs_here(k)) {
      for (int t = 0; t < 3; t++) printf("ok %d - %s # SKIP this CPU lacks a feature it needs\n", ++tap_n, k->name);
      continue;
    }
    if (k->flags & NB_K_EXTERNAL) /* a peer makes no promise to hold it to */
      printf("ok %d - %s accuracy # SKIP external peer, no declared bound\n", ++tap_n, k->name);
    else
      report_accuracy(k, &res[i], emulated);
    check_layout(k);
    if (k->flags & NB_K_EXTERNAL)
      printf("ok %d - %s special values # SKIP external peer, not bound by our conventions\n", ++tap_n, k->name);
    else
      check_special(k);
  }
  free(res);
  return failures != 0;
}
