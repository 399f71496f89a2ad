/* The registry (the table is table.h), the declared error bounds, and the
 * validated entry point nb_run. */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define K(op, dt, algo, isa, needs, lanes) nb_kernel_fn nb_##op##_##dt##_##algo##_##isa;
#include "table.h"
#undef K

#define NB_OP_rmsnorm NB_RMSNORM
#define NB_OP_layernorm NB_LAYERNORM
#define NB_OP_addrmsnorm NB_ADDRMSNORM
#define NB_OP_rmsnorm1p NB_RMSNORM1P
#define NB_OP_rmsnorm_i8 NB_RMSNORM_I8
#define NB_OP_rmsnorm_e4m3 NB_RMSNORM_E4M3
#define NB_DT_f32 NB_F32
#define NB_DT_f16 NB_F16
#define NB_DT_bf16 NB_BF16
#define NB_ALGO_naive NB_NAIVE
#define NB_ALGO_twopass NB_TWOPASS
#define NB_ALGO_welford NB_WELFORD
#define NB_ALGO_fast NB_FAST
#define NB_ALGO_accurate NB_ACCURATE
#define NB_ALGO_external NB_EXTERNAL

static const nb_kernel table[] = {
#define K(op, dt, algo, isa, needs, lanes)                                              \
  {#op "_" #dt "_" #algo "_" #isa, NB_OP_##op, NB_DT_##dt, NB_ALGO_##algo, #isa, needs, \
   lanes, NB_ALGO_##algo == NB_EXTERNAL ? NB_K_EXTERNAL : 0, nb_##op##_##dt##_##algo##_##isa},
#include "table.h"
#undef K
};

size_t nb_kernel_count(void) { return sizeof table / sizeof table[0]; }
const nb_kernel *nb_kernel_at(size_t i) { return i < nb_kernel_count() ? &table[i] : NULL; }

const nb_kernel *nb_kernel_find(const char *name) {
  for (size_t i = 0; name && i < nb_kernel_count(); i++)
    if (strcmp(table[i].name, name) == 0) return &table[i];
  return NULL;
}

int nb_kernel_runs_here(const nb_kernel *k) {
  return k && (nb_cpu_features() & k->needs) == k->needs;
}

const char *nb_op_name(nb_op op) {
  static const char *names[NB_NOPS] = {"rmsnorm",   "layernorm",  "addrmsnorm",
                                       "rmsnorm1p", "rmsnorm_i8", "rmsnorm_e4m3"};
  return (unsigned)op < NB_NOPS ? names[op] : "?";
}
const char *nb_dtype_name(nb_dtype dt) {
  return dt == NB_F32 ? "f32" : dt == NB_F16 ? "f16" : "bf16";
}
size_t nb_dtype_size(nb_dtype dt) { return dt == NB_F32 ? 4 : 2; }
int nb_op_quantized(nb_op op) { return op == NB_RMSNORM_I8 || op == NB_RMSNORM_E4M3; }
size_t nb_out_size(nb_op op, nb_dtype dt) { return nb_op_quantized(op) ? 1 : nb_dtype_size(dt); }
int nb_op_parse(const char *s, nb_op *op) {
  for (int i = NB_RMSNORM; i <= NB_LAYERNORM; i++)
    if (s && !strcmp(s, nb_op_name((nb_op)i))) return *op = (nb_op)i, NB_OK;
  return NB_EINVAL;
}
int nb_dtype_parse(const char *s, nb_dtype *dt) {
  for (int i = NB_F32; i <= NB_BF16; i++)
    if (s && !strcmp(s, nb_dtype_name((nb_dtype)i))) return *dt = (nb_dtype)i, NB_OK;
  return NB_EINVAL;
}
const char *nb_algo_name(nb_algo a) {
  static const char *names[] = {"naive", "twopass", "welford", "fast", "accurate", "external"};
  return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "?";
}

/* ---- declared bounds ------------------------------------------------------
 * First-order error analysis in units of u = 2^-24 (f32 arithmetic), with
 * ACCURACY.md's notation: c(D) u bounds the relative error of a sum of D
 * non-negative terms. A relative error of E u is at most E ulps of an f32
 * output; a 16-bit output adds its own rounding: 0.5 + E / 2^(24 - p). */

static double log2ceil(double n) {
  double k = 0;
  while (pow(2, k) < n) k++;
  return k;
}

/* c(D) for the kernel's summation (body.h): blocked lane sums, unblocked
 * lane sums (fast) or one accumulator (naive); +lanes/4 for the scalar tail. */
static double sum_c(const nb_kernel *k, double d) {
  double l = k->lanes;
  switch (k->algo) {
  case NB_NAIVE: return d;
  case NB_FAST: return ceil(d / l) + log2ceil(l) + l / 4;
  default: return ceil(fmin(d, NB_BLOCK) / l) + log2ceil(l) + ceil(d / NB_BLOCK) + l / 4;
  }
}

static double out_scale(nb_dtype dt) { return dt == NB_F16 ? 0x1p13 : dt == NB_BF16 ? 0x1p16 : 1; }

double nb_kernel_bound(const nb_kernel *k, size_t d_, double kappa) {
  if (!k || k->algo == NB_EXTERNAL || d_ == 0) return NAN; /* no promise */
  const double d = (double)d_, u = 0x1p-24;
  double c = sum_c(k, d), e;
  if (nb_op_quantized(k->op)) {
    /* y before quantizing is within a relative delta of the exact y: the
     * f32 algorithms' RMSNorm bound below in units of u (a relative
     * error), the accurate kernels' double y (body.h quant_row: r64 within
     * (h + 8) 2^-53, one product; h as accurate_row's, L = lanes, NB_W =
     * L / 4). e4m3: rounding adds 0.5 ulp, and delta |y| is at most
     * 16 delta ulps of e4m3 (|y| < 2^(E+1) = 16 ulp(y); 8 below 2^-6); the
     * saturation only moves q towards the clamped exact value. int8: max|y|
     * is within delta of the exact one, 127/max and y 127/max round once
     * each (u, or 2^-53 in double), so |t - y_exact/s_exact| <= 127 (2 delta
     * + 2 u); rounding t adds 0.5 step. 1.01 covers the second order. */
    double delta, uq = u;
    if (k->algo == NB_ACCURATE) {
      double l = k->lanes, h = ceil(d / l) + 4 + l / 4 + log2ceil(l) + 2;
      delta = (h + 10) * 0x1p-53, uq = 0x1p-53;
    } else {
      delta = ((c + 3) / 2 + 5) * u;
    }
    return k->op == NB_RMSNORM_E4M3 ? 0.5 + 16 * delta * 1.01 : 0.5 + 127 * (2 * delta + 2 * uq) * 1.01;
  }
  if (k->algo == NB_ACCURATE) /* correctly rounded: fast path, rounding test, exact fallback */
    return 0.5;
  if (k->op != NB_LAYERNORM) {
    /* AddRMSNorm: the RMSNorm of r, which is correctly rounded (body.h), so
     * r's error is 0 and the bound is RMSNorm's on r. RMSNorm1p: the
     * reference's gain is 1 + w rounded to f32, as the kernel forms it, so
     * the same bound (against the exact 1 + w add its relative error,
     * at most u: 1 ulp of f32, 2^(p-24) of a 16-bit output).
     * squares +1, mean +1, +eps +1, halved by sqrt; then sqrt, 1/x, two
     * products; +1 ulp for what first order leaves out */
    e = (c + 3) / 2 + 5;
  } else {
    double kap = kappa < 1 ? 1 : kappa, dv; /* relative error of var, units u */
    if (k->algo == NB_TWOPASS)
      dv = (c + 3) + (c + 1) * (c + 1) * kap * kap * u;
    else if (k->algo == NB_WELFORD) /* + the deviations' rounding at the mean's scale */
      dv = 1.5 * (c + 3) + 8 * (1 + kap);
    else /* naive, fast: E[x^2] - mu^2 */
      dv = (3 * c + 5) * (1 + kap * kap);
    if (dv * u >= 0.25) return INFINITY; /* the variance may be lost: no promise */
    double er = dv / (2 * pow(1 - dv * u, 1.5)) + 3; /* of r = 1/sqrt(var + eps) */
    /* r's error reaches y_i scaled by |g_i z_i|, the floor is max(|v_i|, |g_i|):
     * their ratio is at most 8 unless b_i cancels g_i z_i with |z_i| > 8 (see
     * README "Guarantees"). Then the mean's error, |g| |dmu| / sigma. */
    e = 8 * (er + 3) + (c + 1) * kap + 2;
  }
  return k->dtype == NB_F32 ? e : 0.5 + e / out_scale(k->dtype);
}

double nb_kernel_bound_d(const nb_kernel *k, size_t d) { return nb_kernel_bound(k, d, 10); }

/* ---- range ------------------------------------------------------------- */

nb_range nb_kernel_range(const nb_kernel *k) {
  /* every finite value of the format; f16's squares and sums always fit f32 */
  nb_range all = k->dtype == NB_F16 ? (nb_range){-24, 16} : (nb_range){-149, 128};
  nb_range fast = {-48, 48}; /* squares and g*r products stay normal f32 */
  return k->algo == NB_ACCURATE || k->dtype == NB_F16 ? all : fast;
}

static int in_range(double v, nb_range r) {
  if (v == 0) return 1;
  if (!isfinite(v)) return 0;
  int e;
  frexp(fabs(v), &e); /* |v| in [2^(e-1), 2^e) */
  return e - 1 >= r.lo && e - 1 < r.hi;
}

int nb_kernel_in_range(const nb_kernel *k, const double *x, const double *g, const double *b,
                       size_t d) {
  nb_range r = nb_kernel_range(k);
  for (size_t i = 0; i < d; i++)
    if (!in_range(x[i], r) || !in_range(g[i], r) || (b && !in_range(b[i], r))) return 0;
  return 1;
}

/* ---- validated call ------------------------------------------------------ */

int nb_run(const nb_kernel *k, const void *x, const void *g, const void *b, void *y,
           size_t rows, size_t d, size_t xs, size_t ys, float eps) {
  if (!k || !k->fn) return NB_EINVAL;
  if (rows == 0 || d == 0) return NB_OK; /* no outputs: an empty tensor is not an error */
  if (!x || !g || !y || xs < d || ys < d || !(eps >= 0)) return NB_EINVAL;
  size_t sz = nb_dtype_size(k->dtype), ysz = nb_out_size(k->op, k->dtype); /* ysz <= sz */
  /* the byte offset one past the last element must fit in size_t; d alone
   * can exceed SIZE_MAX / sz, which would wrap the subtraction below */
  if (d > SIZE_MAX / sz || (rows - 1) > (SIZE_MAX / sz - d) / (xs > ys ? xs : ys)) return NB_EINVAL;
  uintptr_t x0 = (uintptr_t)x, x1 = x0 + ((rows - 1) * xs + d) * sz;
  uintptr_t y0 = (uintptr_t)y, y1 = y0 + ((rows - 1) * ys + d) * ysz;
  /* a span that fits in size_t can still run past the end of the address
   * space: no such array exists, and the overlap test below would wrap */
  if (x1 < x0 || y1 < y0) return NB_EINVAL;
  if (!nb_kernel_runs_here(k)) return NB_ENOTHERE;
  /* one row: the stride is never used; the quantized ops never run in place */
  int same = x0 == y0 && (xs == ys || rows == 1) && !nb_op_quantized(k->op);
  if (!same && x0 < y1 && y0 < x1) return NB_EOVERLAP;
  if (k->op == NB_ADDRMSNORM && b) { /* the residual, rows at x's stride, is written */
    uintptr_t b0 = (uintptr_t)b, b1 = b0 + (x1 - x0);
    if ((b0 < x1 && x0 < b1) || (b0 < y1 && y0 < b1)) return NB_EOVERLAP;
  }
  if (k->op == NB_RMSNORM_I8 && b) { /* the scales, one float per row, are written */
    uintptr_t b0 = (uintptr_t)b, b1 = b0 + rows * sizeof(float);
    if (b1 < b0 || (uintptr_t)b % sizeof(float)) return NB_EINVAL;
    if ((b0 < x1 && x0 < b1) || (b0 < y1 && y0 < b1)) return NB_EOVERLAP;
  }
  k->fn(x, g, b, y, rows, d, xs, ys, eps);
  return NB_OK;
}

const char *nb_strerror(int code) {
  switch (code) {
  case NB_OK: return "ok";
  case NB_EINVAL: return "invalid argument (NULL pointer, stride < d, eps negative or NaN, or sizes overflow)";
  case NB_EOVERLAP: return "x and y overlap without being the same buffer (or the residual or the scales overlap x or y)";
  case NB_ENOTHERE: return "this CPU cannot run the kernel";
  case NB_EWISDOM_IO: return "wisdom file cannot be opened, read or written";
  case NB_EWISDOM_SYNTAX: return "wisdom file is malformed";
  case NB_EWISDOM_FOREIGN: return "wisdom file is from another build, registry or CPU";
  case NB_EWISDOM_KERNEL: return "wisdom file names a kernel that is unknown, of another op or dtype, or cannot run here";
  default: return "unknown error";
  }
}
