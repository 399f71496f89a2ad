/* normbench: RMSNorm and LayerNorm kernels, their registry and dispatch.
 *
 * Every kernel has one signature (nb_kernel_fn) and one row in the registry
 * (nb_kernels). Values are stored in the kernel's dtype: float for NB_F32,
 * uint16_t bit patterns for NB_F16 (IEEE binary16) and NB_BF16 (bfloat16).
 *
 *   RMSNorm:   y_i = g_i * x_i / sqrt(mean(x^2) + eps)
 *   LayerNorm: y_i = g_i * (x_i - mu) / sqrt(var + eps) + b_i   (biased var)
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

typedef enum { NB_RMSNORM, NB_LAYERNORM } nb_op;
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
 * or d == 0 is a no-op (NB_OK, nothing read or written). */
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
  NB_EINVAL = -1,     /* NULL x/g/y, stride < d, eps < 0 or NaN, size overflows size_t */
  NB_EOVERLAP = -2,   /* x and y overlap without being identical */
  NB_ENOTHERE = -3,   /* this CPU cannot run the kernel */
};
int nb_run(const nb_kernel *k, const void *x, const void *g, const void *b,
           void *y, size_t rows, size_t d, size_t x_stride, size_t y_stride,
           float eps);
const char *nb_strerror(int code);

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

#ifdef __cplusplus
}
#endif
#endif
