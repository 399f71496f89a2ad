/* The exact reference (MPFR) and the error metrics of ACCURACY.md. */
#ifndef NB_REFERENCE_H
#define NB_REFERENCE_H

#include "normbench.h"

/* One row: x, g, b (b may be NULL) hold the stored input values exactly (as
 * doubles), eps the kernel's float eps. For each i it writes
 *   v[i]  the exact result rounded to double (nearest),
 *   cr[i] the exact result rounded ONCE into the output format `out`
 *         (as a double; exactly representable in `out`).
 * Follows the special-value conventions of normbench.h. Returns 0, or -1
 * if MPFR could not allocate. Thread-safe (MPFR exponent range is
 * thread-local when MPFR is built thread-safe; see reference.c). */
int nb_ref_row(nb_op op, nb_dtype out, const double *x, const double *g, const double *b,
               size_t d, float eps, double *v, double *cr);
/* AddRMSNorm: b is the residual row (NULL: none) and the result is the
 * RMSNorm of r = nb_ref_add(x, b, out), as engines compute it on the
 * rounded r. RMSNorm1p: g is w and the gain nb_ref_add(1, w, NB_F32), 1 + w
 * rounded once to f32 as Gemma's f32 code and the kernels form it (for
 * every dtype). */
/* a + b (stored values) rounded once into the format dt. */
double nb_ref_add(double a, double b, nb_dtype dt);

/* The same at another working precision (tests of the reference itself
 * recompute at twice the precision and compare). */
#include <mpfr.h>
int nb_ref_row_prec(nb_op op, nb_dtype out, const double *x, const double *g, const double *b,
                    size_t d, float eps, double *v, double *cr, mpfr_prec_t prec);

/* ulp of a value in a format: 2^(max(E, Emin) - p + 1), |v| in [2^E, 2^(E+1));
 * for v = 0 the smallest subnormal. */
double nb_ulp(double v, nb_dtype fmt);
/* componentwise error |y - v| / ulp(v); 0 when both are NaN or both are
 * the same infinity; +inf when exactly one is NaN. */
double nb_err(double y, double v, nb_dtype fmt);
/* floored error |y - v| / ulp(max(|v|, |g|)) (LayerNorm). */
double nb_err_floored(double y, double v, double g, nb_dtype fmt);
/* y equals the correctly rounded value: NaNs by class, +0 == -0. */
int nb_is_cr(double y, double cr);

/* RMSNormI8 from the exact row v (op NB_RMSNORM, rounded to double): the
 * exact scale s = max|v| / 127 (returned: NaN for a row with a NaN, 0 for
 * an all-zero row), t[i] = v[i] / s, the exact q in quantization steps, and
 * q[i] = t[i] rounded to the nearest even integer (the exact result's
 * rounding); a row whose s is 0 or not finite gets t = q = 0, the kernels'
 * convention. t is within 127 2^-52 steps of the exact quotient. */
double nb_ref_i8_row(const double *v, size_t d, double *t, double *q);
/* e4m3: the ulp of a value (2^(max(E, -6) - 3)), and the error of y
 * against the exact v clamped to +-448 (the saturating conversion's
 * target), in ulps of the clamped value; 0 when both are NaN. */
double nb_ulp_e4m3(double v);
double nb_err_e4m3(double y, double v);

#endif
