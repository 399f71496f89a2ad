/* normbench: RMSNorm and LayerNorm kernels, their registry and dispatch.
 *
 * Every kernel has one signature (nb_kernel_fn) and one row in the registry
 * (nb_kernels). Values are stored in the kernel's dtype: float for NB_F32,
 * uint16_t bit patterns for NB_F16 (IEEE binary16) and NB_BF16 (bfloat16).
 *
 *   RMSNorm:   y_i = g_i * x_i / sqrt(mean(x^2) + eps)
 *   LayerNorm: y_i = g_i * (x_i - mu) / sqrt(var + eps) + b_i   (biased var)
 *   AddRMSNorm (vLLM's fused_add_rms_norm, llama.cpp): r = x + residual,
 *              rounded once into the dtype and written back over the
 *              residual; y = RMSNorm(r)
 *   RMSNorm1p (Gemma): RMSNorm with gain 1 + g_i, formed in f32 (rounded
 *              once to f32 whatever the dtype, as Gemma's f32 code does)
 *
 * Conventions shared by every kernel (see README "Special values"):
 *   - a NaN in a row makes every output of that row NaN;
 *   - RMSNorm with an infinity: +-0 at the finite x_j, NaN at the infinities;
 *     LayerNorm with an infinity: NaN for the whole row;
 *   - a row whose denominator (mean square or variance, plus eps) is exactly
 *     zero normalizes to zero: RMSNorm gives +-0, LayerNorm gives b (exactly);
 *     so does a constant LayerNorm row in the accurate kernels for any eps;
 *   - a NaN or infinity in g_j or b_j changes y_j only (IEEE: inf * 0 = NaN);
 *   - rows never affect each other: each row's bits are those of a one-row
 *     call. Tests: tests/test_special.c, tests/test_api.c.
 */
#ifndef NORMBENCH_H
#define NORMBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NB_VERSION "0.1.0"

/* The ops; NB_NOPS counts them. nb_<op>_<dtype>() dispatch (below), or
 * call a registry kernel through nb_run. The quantized ops
 * (RMSNormI8, RMSNormE4M3) write y in one byte per element: see below. */
typedef enum {
  NB_RMSNORM,
  NB_LAYERNORM,
  NB_ADDRMSNORM,
  NB_RMSNORM1P,
  NB_RMSNORM_I8,
  NB_RMSNORM_E4M3
} nb_op;
#define NB_NOPS 6
typedef enum { NB_F32, NB_F16, NB_BF16 } nb_dtype;
typedef enum { NB_NAIVE, NB_TWOPASS, NB_WELFORD, NB_FAST, NB_ACCURATE, NB_EXTERNAL } nb_algo;

/* CPU features a kernel may need (bit set). */
enum {
  NB_CPU_AVX2 = 1u << 0,
  NB_CPU_FMA = 1u << 1,
  NB_CPU_F16C = 1u << 2,
  NB_CPU_AVX512F = 1u << 3,
  NB_CPU_AVX512BW = 1u << 4,
  NB_CPU_AVX512VL = 1u << 5,
  NB_CPU_AVX512DQ = 1u << 6,
  NB_CPU_AVX512BF16 = 1u << 7,
  NB_CPU_NEON = 1u << 8,
  NB_CPU_ASIMDHP = 1u << 9, /* AArch64 FP16 arithmetic and conversions */
  NB_CPU_ARM_BF16 = 1u << 10,
  NB_CPU_SVE = 1u << 11,
};

/* x: rows of d elements, row r at x + r * x_stride (elements); y likewise.
 * g: gain (d elements); b: bias (d elements, LayerNorm only; NULL = 0;
 * RMSNorm ignores it). In place, y == x with the same stride (any stride for
 * one row), gives the bits of an out-of-place call; otherwise the spans of
 * x and y (first to last element) must not overlap, nor may g or b overlap
 * y (not checked). Alignment: any multiple of the element size (a pointer
 * not aligned to its type is undefined in C before any kernel runs).
 * Preconditions (checked by nb_run, not by the raw function): strides >= d,
 * x/g/y non-NULL, eps >= 0 and not NaN. eps = +inf is valid: 1/sqrt(inf)
 * = 0, the limit, so RMSNorm gives +-0 and LayerNorm exactly b. rows == 0
 * or d == 0 is a no-op (NB_OK, nothing read or written).
 *
 * AddRMSNorm keeps this signature: b is the residual, rows of d elements at
 * b + r * x_stride (x's stride), read and then overwritten in place with
 * r = x + residual rounded once into the dtype, as vLLM writes r back into
 * its residual buffer for the next layer; y = RMSNorm(r). vLLM's own call
 * is the in-place one, y == x. b == NULL means no residual: r = x, nothing
 * written but y (as LayerNorm's b == NULL means b = 0). The residual must
 * not overlap x or y (nb_run: NB_EOVERLAP). b stays `const void *` in the
 * type, so that every kernel keeps the one function type of the registry
 * and its callers; the AddRMSNorm kernels write through it, which C allows
 * since the caller's buffer is not const. Why not a new signature: a
 * second pointer parameter would change every kernel, caller and test for
 * one op, and the residual is exactly where engines want r.
 * RMSNorm1p reads g as w and multiplies by 1 + w (f32); b is ignored.
 *
 * The quantized ops keep it too; x and g are in the dtype, y is one byte
 * per element (y_stride in elements, so in bytes):
 *   RMSNormI8 (vLLM's rms_norm_dynamic_per_token_quant, int8): y = RMSNorm(x)
 *     in f32, then per row s = max|y| / 127 and q_i = y_i / s rounded to
 *     nearest even, stored as int8_t in [-127, 127]; s is written to
 *     ((float *)b)[row] (b NULL: not written). The scales go to b because a
 *     caller wants them beside q, one float per row, as engines pass a
 *     [rows] scale tensor to the next GEMM; b is the one pointer RMSNorm
 *     does not read, and AddRMSNorm already writes through it. A row whose
 *     max|y| is 0 stores s = 0 and q = 0; one whose max|y| is not finite (a
 *     NaN or infinity anywhere in y: the per-row scale is shared, so one
 *     NaN g_j poisons the row) stores s = that NaN or +inf and q = 0.
 *   RMSNormE4M3: y = RMSNorm(x) in f32 rounded into fp8 e4m3 (OCP OFP8:
 *     bias 7, max 448, no infinities), nearest even, saturating to +-448
 *     (infinities too, as CUDA's __NV_SATFINITE), NaN stays NaN (0x7f with
 *     the sign). No scale: e4m3 has its own exponent, and a static
 *     per-tensor scale s (vLLM's rms_norm_static_fp8_quant) is g / s folded
 *     into the gain. b is ignored.
 * Neither runs in place (y is another format): nb_run refuses any overlap
 * of x, y and the scales (NB_EOVERLAP). Errors: nb_kernel_bound, in int8
 * quantization steps |q_i - y_i / s| against the exact row's y and s, and
 * in ulps of e4m3 against the exact y clamped to +-448. */
typedef void nb_kernel_fn(const void *x, const void *g, const void *b, void *y,
                          size_t rows, size_t d, size_t x_stride,
                          size_t y_stride, float eps);

enum { NB_K_EXTERNAL = 1u << 0 }; /* a peer library, not this project's code */

typedef struct nb_kernel {
  const char *name; /* <op>_<dtype>_<algo>_<isa> */
  nb_op op;
  nb_dtype dtype;
  nb_algo algo;
  const char *isa;
  uint32_t needs;   /* NB_CPU_* features required */
  unsigned lanes;   /* independent accumulators in the statistics pass */
  unsigned flags;   /* NB_K_* */
  nb_kernel_fn *fn;
} nb_kernel;

/* The registry. */
size_t nb_kernel_count(void);
const nb_kernel *nb_kernel_at(size_t i);
const nb_kernel *nb_kernel_find(const char *name);
int nb_kernel_runs_here(const nb_kernel *k);

const char *nb_op_name(nb_op op);
const char *nb_dtype_name(nb_dtype dt);
const char *nb_algo_name(nb_algo a);
size_t nb_dtype_size(nb_dtype dt);
/* 1 for the ops whose y is int8 or fp8 (one byte), 0 otherwise. */
int nb_op_quantized(nb_op op);
/* Bytes of one y element of a kernel of op and dtype. */
size_t nb_out_size(nb_op op, nb_dtype dt);
/* Names back to values: NB_OK, or NB_EINVAL for a name that is none. */
int nb_op_parse(const char *s, nb_op *op);
int nb_dtype_parse(const char *s, nb_dtype *dt);

/* Declared accuracy: the largest error the kernel promises, in ulps of the
 * output format (componentwise for RMSNorm, floored for LayerNorm), for a row
 * of length d whose conditioning mean|x|/sigma is kappa (LayerNorm only;
 * kappa is clamped below at 1, and promises are made for kappa <= 10).
 * The promise holds for rows inside the kernel's range (nb_kernel_in_range). */
double nb_kernel_bound(const nb_kernel *k, size_t d, double kappa);
/* The bound at the largest conditioning a kernel promises for (kappa = 10). */
double nb_kernel_bound_d(const nb_kernel *k, size_t d);

/* Range of inputs on which the declared bound is promised: every non-zero
 * |x_i|, |g_i|, |b_i| in [2^lo, 2^hi] (accurate kernels: every finite input).
 * Returns 1 if a row (given as doubles) is in range. */
typedef struct { int lo, hi; } nb_range;
nb_range nb_kernel_range(const nb_kernel *k);
int nb_kernel_in_range(const nb_kernel *k, const double *x, const double *g,
                       const double *b, size_t d);

/* Validated call. Returns NB_OK or a negative NB_E* code, checked in the
 * order EINVAL, ENOTHERE, EOVERLAP; on an error the raw fn is not called and
 * y is untouched. */
enum {
  NB_OK = 0,
  NB_EINVAL = -1,     /* NULL x/g/y, stride < d, eps < 0 or NaN, size overflows size_t or the address space */
  NB_EOVERLAP = -2,   /* x and y overlap without being identical; AddRMSNorm: the
                         residual overlaps x or y */
  NB_ENOTHERE = -3,   /* this CPU cannot run the kernel */
  /* nb_wisdom_load, nb_wisdom_save */
  NB_EWISDOM_IO = -4,      /* the file cannot be opened, read or written */
  NB_EWISDOM_SYNTAX = -5,  /* not a wisdom file, or a malformed line */
  NB_EWISDOM_FOREIGN = -6, /* another format version, build, registry or CPU */
  NB_EWISDOM_KERNEL = -7,  /* a line names a kernel unknown, of another op/dtype, or not runnable here */
};
int nb_run(const nb_kernel *k, const void *x, const void *g, const void *b,
           void *y, size_t rows, size_t d, size_t x_stride, size_t y_stride,
           float eps);
const char *nb_strerror(int code);

/* Outputs of the accurate kernels that took the exact fallback (their
 * fast-path interval held a rounding boundary), counted per thread since
 * the thread started: read it before and after a call. */
uint64_t nb_exact_fallbacks(void);

/* CPU detection (cached after the first call). */
uint32_t nb_cpu_features(void);
const char *nb_cpu_model(void);
const char *nb_cpu_feature_name(uint32_t bit);

/* 16-bit storage formats: round to nearest even, NaN stays NaN (quiet). */
uint16_t nb_f32_to_f16(float f);
float nb_f16_to_f32(uint16_t h);
uint16_t nb_f32_to_bf16(float f);
float nb_bf16_to_f32(uint16_t h);
/* Round a double once into a 16-bit format (no double rounding via f32). */
uint16_t nb_f64_to_f16(double v);
uint16_t nb_f64_to_bf16(double v);
/* fp8 e4m3 (OCP OFP8): round to nearest even, saturating to +-448
 * (infinities too), NaN to NaN (0x7f or 0xff). From f32 and, rounded once,
 * from double; back to f32 exactly. */
uint8_t nb_f32_to_e4m3(float f);
uint8_t nb_f64_to_e4m3(double v);
float nb_e4m3_to_f32(uint8_t q);

/* ---- Dispatch: let the library choose the kernel --------------------------
 * nb_<op>_<dtype>() run the kernel chosen for (op, dtype, D bucket), with
 * nb_run's arguments and return codes (x_stride, y_stride in elements).
 * A D bucket is (2^(k-1), 2^k]: 1, 2, 3-4, 5-8, ... The choice is made once
 * per bucket and cached; after that a call costs two atomic loads.
 *
 * How a kernel is chosen, first rule that applies:
 *   1. forced: NORMBENCH_KERNEL=name[,name...] (each name forces its own op
 *      and dtype; an unknown name, or a kernel this CPU cannot run, is
 *      refused with a message on stderr);
 *   2. wisdom: a line of a loaded wisdom file (nb_wisdom_load, or
 *      NORMBENCH_WISDOM=path at the first call), as written, under the
 *      budget written on the line: taken when its kernel's declared bound
 *      at the bucket's largest D is within that budget, unless
 *      nb_set_policy asked for the most accurate kernel or for a tighter
 *      budget than the line's (no policy call is needed to use wisdom);
 *   3. default: among the kernels this CPU runs, neither naive nor external,
 *      whose declared bound (nb_kernel_bound_d) at the bucket's largest D is
 *      within the budget: NB_POLICY_FASTEST takes the widest ISA (the
 *      highest NB_CPU_* bit it needs: the bits are in ISA order), then
 *      fast > twopass > welford > accurate; NB_POLICY_ACCURATE takes the
 *      smallest bound. With no kernel within the budget, the smallest bound.
 * NORMBENCH_DEBUG=1 logs each choice once to stderr, with its reason, and
 * for a bucket with a wisdom line not taken, which line and why.
 * Everything here is thread-safe. */
typedef enum { NB_POLICY_FASTEST, NB_POLICY_ACCURATE } nb_policy;
typedef enum { NB_WHY_NONE, NB_WHY_DEFAULT, NB_WHY_WISDOM, NB_WHY_FORCED } nb_why;

int nb_rmsnorm_f32(const float *x, const float *g, float *y, size_t rows, size_t d,
                   size_t x_stride, size_t y_stride, float eps);
int nb_rmsnorm_f16(const uint16_t *x, const uint16_t *g, uint16_t *y, size_t rows, size_t d,
                   size_t x_stride, size_t y_stride, float eps);
int nb_rmsnorm_bf16(const uint16_t *x, const uint16_t *g, uint16_t *y, size_t rows, size_t d,
                    size_t x_stride, size_t y_stride, float eps);
int nb_layernorm_f32(const float *x, const float *g, const float *b, float *y, size_t rows,
                     size_t d, size_t x_stride, size_t y_stride, float eps);
int nb_layernorm_f16(const uint16_t *x, const uint16_t *g, const uint16_t *b, uint16_t *y,
                     size_t rows, size_t d, size_t x_stride, size_t y_stride, float eps);
int nb_layernorm_bf16(const uint16_t *x, const uint16_t *g, const uint16_t *b, uint16_t *y,
                      size_t rows, size_t d, size_t x_stride, size_t y_stride, float eps);

/* The other ops dispatch alike (their budgets in their bounds' units).
 * AddRMSNorm: the residual (rows at x_stride) is read and overwritten with
 * r = x + residual; RMSNorm1p: w, the gain is 1 + w; RMSNormI8: q in int8
 * and one float scale per row in scales (NULL: not stored); RMSNormE4M3:
 * e4m3 codes. y_stride in elements of y. */
int nb_addrmsnorm_f32(const float *x, float *residual, const float *g, float *y, size_t rows, size_t d,
                      size_t x_stride, size_t y_stride, float eps);
int nb_addrmsnorm_f16(const uint16_t *x, uint16_t *residual, const uint16_t *g, uint16_t *y, size_t rows,
                      size_t d, size_t x_stride, size_t y_stride, float eps);
int nb_addrmsnorm_bf16(const uint16_t *x, uint16_t *residual, const uint16_t *g, uint16_t *y, size_t rows,
                       size_t d, size_t x_stride, size_t y_stride, float eps);
int nb_rmsnorm1p_f32(const float *x, const float *w, float *y, size_t rows, size_t d, size_t x_stride,
                     size_t y_stride, float eps);
int nb_rmsnorm1p_f16(const uint16_t *x, const uint16_t *w, uint16_t *y, size_t rows, size_t d,
                     size_t x_stride, size_t y_stride, float eps);
int nb_rmsnorm1p_bf16(const uint16_t *x, const uint16_t *w, uint16_t *y, size_t rows, size_t d,
                      size_t x_stride, size_t y_stride, float eps);
int nb_rmsnorm_i8_f32(const float *x, float *scales, const float *g, int8_t *q, size_t rows, size_t d,
                      size_t x_stride, size_t q_stride, float eps);
int nb_rmsnorm_i8_f16(const uint16_t *x, float *scales, const uint16_t *g, int8_t *q, size_t rows, size_t d,
                      size_t x_stride, size_t q_stride, float eps);
int nb_rmsnorm_i8_bf16(const uint16_t *x, float *scales, const uint16_t *g, int8_t *q, size_t rows,
                       size_t d, size_t x_stride, size_t q_stride, float eps);
int nb_rmsnorm_e4m3_f32(const float *x, const float *g, uint8_t *y, size_t rows, size_t d, size_t x_stride,
                        size_t y_stride, float eps);
int nb_rmsnorm_e4m3_f16(const uint16_t *x, const uint16_t *g, uint8_t *y, size_t rows, size_t d,
                        size_t x_stride, size_t y_stride, float eps);
int nb_rmsnorm_e4m3_bf16(const uint16_t *x, const uint16_t *g, uint8_t *y, size_t rows, size_t d,
                         size_t x_stride, size_t y_stride, float eps);

/* budget_ulp: the largest declared error accepted, in the units of
 * nb_kernel_bound; 0 means the default budget of each op and dtype
 * (nb_default_budget: 1 ulp, floored for LayerNorm, faithful for 16-bit).
 * Drops the cached choices. Returns NB_OK or NB_EINVAL. */
int nb_set_policy(nb_policy p, double budget_ulp);
double nb_default_budget(nb_op op, nb_dtype dt);
/* Whether a declared bound is within a budget: budgets are read to 2^-12
 * relative (bound <= budget (1 + 2^-12)), so the accurate kernels'
 * 0.5 + 2^-20 + (D + 64) 2^-29 counts as 0.5 ulp up to D = 2^16 while no
 * other kernel's bound does. Wisdom lines and `normbench recommend` use it;
 * the default rule compares exactly. */
int nb_within_budget(double bound, double budget);
/* The budget in force for op and dtype. */
double nb_budget(nb_op op, nb_dtype dt);

/* The kernel the nb_<op>_<dtype> calls use for rows of length d (NULL if
 * no registered kernel of that op and dtype runs here); *why (if non-NULL)
 * says which rule chose it. */
const nb_kernel *nb_choose(nb_op op, nb_dtype dt, size_t d, nb_why *why);
const char *nb_why_name(nb_why w);
/* Back to the state of a fresh process: default policy, no wisdom, the
 * environment read again, every cached choice dropped. */
void nb_dispatch_reset(void);

/* D buckets: nb_bucket(d) = ceil(log2(d)); bucket k holds [min, max]. */
#define NB_BUCKETS 65
unsigned nb_bucket(size_t d);
size_t nb_bucket_min(unsigned k);
size_t nb_bucket_max(unsigned k);

/* ---- Wisdom: measured choices, saved and loaded ---------------------------
 * A plain-text file: a header (format version, build id, registry hash, CPU
 * signature) and one line per op, dtype and D bucket:
 *   op dtype dmin dmax kernel budget measured_speedup
 * A file whose header differs from this build, registry or CPU is rejected
 * whole: the message names the field. nb_wisdom_load returns NB_OK or an
 * NB_EWISDOM_* code (nb_strerror) with the reason in why[n] (a wisdom file
 * must be a regular file: a FIFO is refused, never waited on);
 * nb_wisdom_save writes the choice of every bucket up to 2^NB_WISDOM_MAXB
 * and returns NB_OK or NB_EWISDOM_IO with errno set. A regular file (or a
 * new one) is written through a temporary file and a rename, keeping the
 * mode of the file it replaces (new: 0666 less the umask); a character
 * device, a FIFO or "-" (stdout) is written through; a symbolic link is
 * followed. */
#define NB_WISDOM_VERSION 1
#define NB_WISDOM_MAXB 24
int nb_wisdom_load(const char *path, char *why, size_t n);
int nb_wisdom_save(const char *path);
void nb_wisdom_forget(void);
/* Records k as the choice for the bucket of d (as loaded wisdom would),
 * with the budget it was chosen under and its measured speed-up over the
 * default choice. Returns NB_OK, or NB_EINVAL if k is not a registered
 * kernel this CPU runs or d is 0. */
int nb_wisdom_add(const nb_kernel *k, size_t d, double budget, double speedup);

/* What a wisdom file is tied to. */
const char *nb_build_id(void);   /* NB_VERSION, git describe, compiler, build type */
uint64_t nb_registry_hash(void); /* FNV-1a over every registry row */
const char *nb_cpu_signature(void); /* model, features, caches */

#ifdef __cplusplus
}
#endif
#endif
