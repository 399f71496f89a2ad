/* The special-value contract of normbench.h, for every registered kernel
 * of one op and dtype that this CPU runs (external peers excepted: their
 * behaviour is theirs, not our contract).
 *
 * Expected classes (NaN, +-inf, +-0, finite) come from the convention,
 * evaluated here in long double, never from a kernel; the MPFR reference is
 * checked against the same expectation. NaN, +-Inf, +-0 and the dtype's
 * subnormals are placed at every position for D = 1..64 (every tail lane of
 * any vector width up to 16 floats, unrolled 4 times), and first, last, in
 * the last 64 positions and at block edges for larger D; NaN/Inf in g and b
 * may change only their own output; a special row never changes another
 * row's bits.
 *
 * usage: test_special OP DTYPE */
#include "reference.h"
#include "special.h"
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct {
  size_t rows, fails;
  char first[300];
} tally;

enum { C_XSMALL, C_XLARGE, C_PAIR, C_GB, C_ZERO, C_CONST, C_ROWS, C_AGREE, NCAT };
static const char *cat_what[NCAT] = {
    "NaN/+-Inf/+-0/subnormal in x at every position, D = 1..64",
    "NaN/+-Inf/+-0/subnormal in x first/last/last 64/block edges, D = 65..4097",
    "two specials in x (+Inf with -Inf, NaN with +Inf)",
    "NaN/+-Inf in g or b: that output only, the others bit-identical",
    "zero denominator (zero rows, exact-mean constant rows, eps 0 or 1e-5): RMSNorm +-0, LayerNorm exactly b",
    "constant row with inexact mean, eps > 0: LayerNorm exactly b (accurate kernels promise it)",
    "rows: a special row leaves the other rows' bits as a one-row call gives them (strided, in-place)",
    "same class as the group's first kernel on every output of every special row (outside the rounding band at zero)",
};

static nb_op op;
static nb_dtype dt;
static const nb_kernel **ks; /* the group: op and dtype, runnable, ours */
static size_t nk;
static tally *tl;   /* [NCAT][nk] */
static tally reft;  /* the MPFR reference against the expectation */

__attribute__((format(printf, 2, 3))) static void fail(tally *t, const char *fmt, ...) {
  if (t->fails++) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->first, sizeof t->first, fmt, ap);
  va_end(ap);
}

/* A clean row: finite, |x| in [1, 2), signs alternating, so that no output
 * is near zero or near overflow and the mean is far from every x_i. */
static double bx(size_t i) { return (i & 1 ? -1 : 1) * (1 + (double)(i * 5 % 8) / 8); }
static double bg(size_t i) { return (i % 3 == 2 ? -1 : 1) * (0.75 + (double)(i % 4) / 4); }
static double bb(size_t i) { return ((double)(i % 5) - 2) / 8; }

static double in_dt(double v) {
  return dt == NB_F32 ? (float)v : dt == NB_F16 ? nb_f16_to_f32(nb_f64_to_f16(v)) : nb_bf16_to_f32(nb_f64_to_bf16(v));
}

static void mask_str(unsigned m, char *s, size_t n) {
  s[0] = 0;
  for (unsigned bit = 1; bit <= M_FIN; bit <<= 1)
    if (m & bit) snprintf(s + strlen(s), n - strlen(s), "%s%s", s[0] ? "|" : "", cls_name(bit));
}

/* Runs one kernel on one row; y gets the outputs as doubles. */
static int run1(const nb_kernel *k, const double *x, const double *g, const double *b, size_t d, float eps,
                double *y) {
  void *xs = stored(dt, x, d), *gs = stored(dt, g, d), *bs = b ? stored(dt, b, d) : NULL;
  void *ys = malloc(d * nb_dtype_size(dt));
  int rc = nb_run(k, xs, gs, bs, ys, 1, d, d, d, eps);
  for (size_t j = 0; j < d; j++) y[j] = get(dt, ys, j);
  free(xs), free(gs), free(bs), free(ys);
  return rc;
}

/* Every kernel of the group on one row: each output in its expected class,
 * every kernel in the first kernel's class; with ref, the MPFR reference
 * too. Returns the outputs of kernel i in out[i * d + j] if out != NULL. */
static void check_row(int cat, const char *label, const double *x, const double *g, const double *b, size_t d,
                      float eps, int ref, double *out) {
  unsigned *m = malloc(d * sizeof *m), *c0 = malloc(d * sizeof *c0);
  double *y = malloc(d * sizeof *y), *v = malloc(d * sizeof *v), *cr = malloc(d * sizeof *cr);
  char ms[64];
  double *g1 = malloc(d * sizeof *g1); /* RMSNorm1p: the gain 1 + w, as the reference forms it */
  for (size_t j = 0; j < d; j++) g1[j] = op == NB_RMSNORM1P ? nb_ref_add(1, g[j], NB_F32) : g[j];
  expect_classes(op, dt, x, g1, b, d, eps, m);
  free(g1);
  if (ref) {
    reft.rows++;
    if (nb_ref_row(op, dt, x, g, b, d, eps, v, cr))
      fail(&reft, "%s D=%zu: the reference failed", label, d);
    for (size_t j = 0; j < d; j++)
      if (!(cls(cr[j]) & m[j])) {
        mask_str(m[j], ms, sizeof ms);
        fail(&reft, "%s D=%zu eps=%g: reference %s at %zu, convention %s", label, d, (double)eps,
             cls_name(cls(cr[j])), j, ms);
        break;
      }
  }
  for (size_t i = 0; i < nk; i++) {
    tally *t = &tl[cat * nk + i], *ta = &tl[C_AGREE * nk + i];
    t->rows++;
    ta->rows++;
    if (run1(ks[i], x, g, b, d, eps, y) != NB_OK) {
      fail(t, "%s D=%zu: nb_run refused", label, d);
      continue;
    }
    for (size_t j = 0; j < d; j++) {
      unsigned c = cls(y[j]);
      if (!(c & m[j])) {
        mask_str(m[j], ms, sizeof ms);
        fail(t, "%s D=%zu eps=%g: %s at %zu (%.9g), expected %s", label, d, (double)eps, cls_name(c), j,
             y[j], ms);
        break;
      }
    }
    for (size_t j = 0; j < d; j++) {
      unsigned c = cls(y[j]);
      if (i == 0) c0[j] = c;
      if ((m[j] & M_FIN) && (m[j] & (M_PZ | M_NZ))) continue; /* rounding band at zero */
      /* the sign of a LayerNorm zero (b + tiny) is not part of the class */
      unsigned a = op == NB_LAYERNORM && (c & (M_PZ | M_NZ)) ? M_PZ | M_NZ : c;
      if (!(a & c0[j]) && c != c0[j]) {
        fail(ta, "%s D=%zu: %s at %zu where %s gives %s", label, d, cls_name(c), j, ks[0]->name,
             cls_name(c0[j]));
        break;
      }
    }
    if (out) memcpy(out + i * d, y, d * sizeof *y);
  }
  free(m), free(c0), free(y), free(v), free(cr);
}

static void base_row(size_t d, double *x, double *g, double *b) {
  for (size_t i = 0; i < d; i++) x[i] = bx(i), g[i] = bg(i), b[i] = bb(i);
}

typedef struct { const char *name; double v; } special;

/* Under emulation: every position up to D = 16, then the first two and the
 * last 17 (every tail lane of vectors up to 16 floats). */
static int keep_pos(size_t d, size_t p) { return !tap_emulated() || d <= 16 || p <= 1 || p + 17 >= d; }

static void x_specials(void) {
  const special sp[] = {{"NaN", NAN},  {"+Inf", INFINITY}, {"-Inf", -INFINITY}, {"+0", 0.0}, {"-0", -0.0},
                        {"min subnormal", min_sub(dt)}, {"-max subnormal", -(min_normal(dt) - min_sub(dt))}};
  const size_t nsp = sizeof sp / sizeof sp[0];
  const size_t large[] = {65, 66, 67, 71, 79, 95, 96, 97, 127, 128, 129, 255, 256, 257, 1000, 1023, 1024, 1025, 2047, 2049, 4097};
  double *x = malloc(4097 * sizeof *x), *g = malloc(4097 * sizeof *g), *b = malloc(4097 * sizeof *b);
  double *bp = op == NB_LAYERNORM ? b : NULL;
  char label[96];
  for (size_t s = 0; s < nsp; s++) {
    for (size_t d = 1; d <= 64; d++)
      for (size_t p = 0; p < d; p++) {
        if (!keep_pos(d, p)) continue;
        base_row(d, x, g, b);
        x[p] = sp[s].v;
        snprintf(label, sizeof label, "%s at %zu", sp[s].name, p);
        check_row(C_XSMALL, label, x, g, bp, d, p & 1 ? 0.0f : 1e-5f, d <= 8 || p == 0 || p == d - 1, NULL);
      }
    for (size_t l = 0; l < sizeof large / sizeof large[0]; l++) {
      size_t d = large[l];
      for (size_t p = 0; p < d; p++) {
        int edge = p <= 1 || p == d / 2 || p + 64 >= d || (p >= 1023 && p <= 1025) || p == 2048;
        if (!edge) continue;
        base_row(d, x, g, b);
        x[p] = sp[s].v;
        snprintf(label, sizeof label, "%s at %zu", sp[s].name, p);
        check_row(C_XLARGE, label, x, g, bp, d, p & 1 ? 0.0f : 1e-5f, p == 0 || p == d - 1, NULL);
      }
    }
  }
  /* two specials: mirrored positions */
  const special pa[][2] = {{{"+Inf", INFINITY}, {"-Inf", -INFINITY}}, {{"NaN", NAN}, {"+Inf", INFINITY}}};
  for (size_t s = 0; s < 2; s++)
    for (size_t d = 2; d <= 64; d++)
      for (size_t p = 0; p < d; p++) {
        if (d - 1 - p == p || !keep_pos(d, p)) continue;
        base_row(d, x, g, b);
        x[p] = pa[s][0].v;
        x[d - 1 - p] = pa[s][1].v;
        snprintf(label, sizeof label, "%s at %zu, %s at %zu", pa[s][0].name, p, pa[s][1].name, d - 1 - p);
        check_row(C_PAIR, label, x, g, bp, d, 1e-5f, p == 0, NULL);
      }
  free(x), free(g), free(b);
}

/* NaN/Inf in g (and b for LayerNorm) at position p: that output follows
 * IEEE, every other output is bit-identical to the clean row's. */
static void gb_specials(void) {
  const special sp[] = {{"NaN", NAN}, {"+Inf", INFINITY}, {"-Inf", -INFINITY}};
  const size_t ds[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 1025};
  double *x = malloc(1025 * sizeof *x), *g = malloc(1025 * sizeof *g), *b = malloc(1025 * sizeof *b);
  double *clean = malloc(nk * 1025 * sizeof *clean), *outs = malloc(nk * 1025 * sizeof *outs);
  char label[96];
  for (int inb = 0; inb <= (op == NB_LAYERNORM); inb++)
    for (size_t s = 0; s < 3; s++)
      for (size_t l = 0; l < sizeof ds / sizeof ds[0]; l++) {
        size_t d = ds[l];
        base_row(d, x, g, b);
        double *bp = op == NB_LAYERNORM ? b : NULL;
        for (size_t i = 0; i < nk; i++) run1(ks[i], x, g, bp, d, 1e-5f, clean + i * d);
        for (size_t p = 0; p < d; p++) {
          if (d > 70 && p > 1 && p + 64 < d) continue;
          base_row(d, x, g, b);
          (inb ? b : g)[p] = sp[s].v;
          snprintf(label, sizeof label, "%s in %s at %zu", sp[s].name, inb ? "b" : "g", p);
          check_row(C_GB, label, x, g, bp, d, 1e-5f, p == 0, outs);
          for (size_t i = 0; i < nk; i++)
            for (size_t j = 0; j < d; j++) {
              double a = outs[i * d + j], c = clean[i * d + j];
              if (j != p && memcmp(&a, &c, sizeof a)) {
                fail(&tl[C_GB * nk + i], "%s D=%zu: output %zu changed from %.9g to %.9g", label, d, j, c, a);
                break;
              }
            }
        }
      }
  free(x), free(g), free(b), free(clean), free(outs);
}

/* The zero denominator: all-zero rows (signs mixed) and constant rows
 * whose mean is exact in any summation order (c has few significant bits,
 * so every partial sum k*c is exact): var = 0 for every kernel. eps = 0
 * gives 0 * (1/sqrt 0) -- the convention sets r = 0; eps > 0 gives 0 * r.
 * RMSNorm: +-0 (zeros) ; LayerNorm: exactly b. */
static void zero_rows(void) {
  const size_t ds[] = {1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 100, 1000, 1025, 4097};
  const double cs[] = {0.0, 1.5, -3.0, 0.375};
  double *x = malloc(4097 * sizeof *x), *g = malloc(4097 * sizeof *g), *b = malloc(4097 * sizeof *b);
  double *outs = malloc(nk * 4097 * sizeof *outs);
  char label[96];
  for (size_t l = 0; l < sizeof ds / sizeof ds[0]; l++)
    for (size_t ci = 0; ci < 4; ci++)
      for (int e = 0; e < 2; e++) {
        size_t d = ds[l];
        if (cs[ci] != 0 && op != NB_LAYERNORM) continue; /* not a zero denominator */
        base_row(d, x, g, b);
        for (size_t i = 0; i < d; i++) x[i] = cs[ci] == 0 ? (i % 3 == 1 ? -0.0 : 0.0) : cs[ci];
        float eps = e ? 1e-5f : 0.0f;
        snprintf(label, sizeof label, "constant %g", cs[ci]);
        double *bp = op == NB_LAYERNORM ? b : NULL;
        check_row(C_ZERO, label, x, g, bp, d, eps, d <= 100, outs);
        if (op == NB_LAYERNORM)
          for (size_t i = 0; i < nk; i++)
            for (size_t j = 0; j < d; j++)
              if (!(outs[i * d + j] == b[j])) {
                fail(&tl[C_ZERO * nk + i], "%s D=%zu eps=%g: y[%zu] = %.9g, b = %.9g", label, d, (double)eps, j,
                     outs[i * d + j], b[j]);
                break;
              }
      }
  free(x), free(g), free(b), free(outs);
}

/* A constant row whose f32 mean is inexact (0.1 * 3 / 3 != 0.1): the
 * accurate kernels take the mean in double, where d * c is exact, so
 * x - mu is exactly 0 and y = b. The others promise only their bound
 * (test_kernels, "constant"); how often they return b is reported. */
static void const_rows(void) {
  if (op != NB_LAYERNORM) return;
  const size_t ds[] = {3, 7, 10, 100, 1000, 1025, 4097, 65537};
  const double cs[] = {0.1, 1.0 / 3, -2.7, 1e4 + 0.1};
  size_t dmax = 65537;
  double *x = malloc(dmax * sizeof *x), *g = malloc(dmax * sizeof *g), *b = malloc(dmax * sizeof *b);
  double *y = malloc(dmax * sizeof *y);
  size_t *exact = calloc(nk, sizeof *exact), total = 0;
  for (size_t l = 0; l < sizeof ds / sizeof ds[0]; l++)
    for (size_t ci = 0; ci < 4; ci++) {
      size_t d = ds[l];
      base_row(d, x, g, b);
      for (size_t i = 0; i < d; i++) x[i] = in_dt(cs[ci]);
      total++;
      for (size_t i = 0; i < nk; i++) {
        tally *t = &tl[C_CONST * nk + i];
        int promise = ks[i]->algo == NB_ACCURATE, ok = run1(ks[i], x, g, b, d, 1e-5f, y) == NB_OK;
        for (size_t j = 0; ok && j < d; j++) ok = y[j] == b[j];
        exact[i] += ok;
        if (!promise) continue;
        t->rows++;
        if (!ok) fail(t, "c=%.9g D=%zu: y != b", in_dt(cs[ci]), d);
      }
    }
  for (size_t i = 0; i < nk; i++)
    if (ks[i]->algo != NB_ACCURATE)
      tap_diag("%s (no promise): exactly b on %zu of %zu inexact-mean constant rows", ks[i]->name, exact[i],
               total);
  free(x), free(g), free(b), free(y), free(exact);
}

/* Rows around a special row: strided (padding read as NaN would show, y's
 * padding must stay untouched) and in place; every row's bits equal a
 * one-row call's. */
static void multi_rows(void) {
  const size_t ds[] = {1, 2, 3, 7, 16, 17, 31, 33, 64, 65, 100, 1025};
  const special sp[] = {{"NaN", NAN}, {"+Inf", INFINITY}, {"-Inf", -INFINITY}};
  enum { R = 5, PX = 3, PY = 5 };
  for (size_t l = 0; l < sizeof ds / sizeof ds[0]; l++)
    for (size_t s = 0; s < 3; s++)
      for (size_t sr = 0; sr < R; sr += 2)
        for (int inplace = 0; inplace < 2; inplace++) {
          size_t d = ds[l], xs = d + PX, ys = inplace ? xs : d + PY, p = (s * d) / 2;
          double *xr = malloc(d * sizeof *xr), *g = malloc(d * sizeof *g), *b = malloc(d * sizeof *b);
          double *xall = malloc(R * xs * sizeof *xall);
          base_row(d, xr, g, b);
          for (size_t r = 0; r < R; r++)
            for (size_t i = 0; i < xs; i++)
              xall[r * xs + i] = i >= d ? NAN : r == sr && i == p ? sp[s].v : xr[i] * (double)(r + 1);
          void *gs = stored(dt, g, d), *bs = op == NB_LAYERNORM ? stored(dt, b, d) : NULL;
          size_t ysz = R * ys * nb_dtype_size(dt);
          for (size_t i = 0; i < nk; i++) {
            tally *t = &tl[C_ROWS * nk + i];
            t->rows++;
            void *x = stored(dt, xall, R * xs), *y = inplace ? x : malloc(ysz);
            if (!inplace) memset(y, 0x5a, ysz);
            unsigned char *pad = malloc(ysz);
            memcpy(pad, y, ysz);
            if (nb_run(ks[i], x, gs, bs, y, R, d, xs, ys, 1e-5f) != NB_OK) {
              fail(t, "D=%zu: nb_run refused", d);
              free(pad), free(x);
              if (!inplace) free(y);
              continue;
            }
            void *solo = malloc(d * nb_dtype_size(dt));
            for (size_t r = 0; r < R; r++) {
              void *xo = stored(dt, xall + r * xs, d);
              nb_run(ks[i], xo, gs, bs, solo, 1, d, d, d, 1e-5f);
              char *yr = (char *)y + r * ys * nb_dtype_size(dt);
              if (!bits_equal(dt, yr, solo, d))
                fail(t, "%s in row %zu at %zu, D=%zu%s: row %zu differs from a one-row call", sp[s].name, sr, p, d,
                     inplace ? " in place" : "", r);
              if (!inplace && r + 1 < R &&
                  memcmp(yr + d * nb_dtype_size(dt), pad + (r * ys + d) * nb_dtype_size(dt),
                         (ys - d) * nb_dtype_size(dt)))
                fail(t, "D=%zu: padding after row %zu of y written", d, r);
              free(xo);
            }
            free(solo), free(pad), free(x);
            if (!inplace) free(y);
          }
          free(xr), free(g), free(b), free(xall), free(gs), free(bs);
        }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: test_special rmsnorm|layernorm|addrmsnorm|rmsnorm1p f32|f16|bf16\n");
    return 2;
  }
  for (int o = 0; o < NB_NOPS; o++)
    if (strcmp(argv[1], nb_op_name((nb_op)o)) == 0) op = (nb_op)o;
  dt = strcmp(argv[2], "f16") == 0 ? NB_F16 : strcmp(argv[2], "bf16") == 0 ? NB_BF16 : NB_F32;
  ks = malloc(nb_kernel_count() * sizeof *ks);
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (k->op != op || k->dtype != dt) continue;
    if (!nb_kernel_runs_here(k))
      printf("ok %d - %s # SKIP this CPU lacks its features\n", ++tap_count, k->name);
    else if (k->flags & NB_K_EXTERNAL)
      printf("ok %d - %s # SKIP a peer library: our special-value contract is not its promise\n", ++tap_count,
             k->name);
    else
      ks[nk++] = k;
  }
  tap_ok(nk > 0, "%zu %s %s kernels run here", nk, argv[1], argv[2]);
  tl = calloc(NCAT * nk, sizeof *tl);
  x_specials();
  gb_specials();
  zero_rows();
  const_rows();
  multi_rows();
  tap_ok(reft.rows > 0 && reft.fails == 0, "MPFR reference follows the convention on %zu special rows", reft.rows);
  if (reft.fails) tap_diag("%zu rows differ; first: %s", reft.fails, reft.first);
  for (int c = 0; c < NCAT; c++)
    for (size_t i = 0; i < nk; i++) {
      tally *t = &tl[c * nk + i];
      if (c == C_CONST && t->rows == 0) continue; /* no promise, reported above */
      tap_ok(t->rows > 0 && t->fails == 0, "%s: %s (%zu rows)", ks[i]->name, cat_what[c], t->rows);
      if (t->fails) tap_diag("%zu rows fail; first: %s", t->fails, t->first);
    }
  free(ks), free(tl);
  return tap_done();
}
