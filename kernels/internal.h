/* Private to the kernel library: constants shared by the algorithm bodies and
 * the declared-bound formulas in registry.c, and the scalar helpers every
 * instance uses. */
#ifndef NB_INTERNAL_H
#define NB_INTERNAL_H

#include "normbench.h"

#include <math.h>

/* Blocked summation: inside a block of NB_BLOCK elements each of the
 * kernel's lanes accumulates its own partial sum; lanes are combined by a
 * tree, and block sums are added in order. The relative error of a sum of
 * D non-negative terms is then c(D) u with
 *   c(D) = ceil(min(D, NB_BLOCK) / lanes) + log2(lanes) + ceil(D / NB_BLOCK),
 * about 100 at D = 65536 instead of 65536 for one accumulator. */
#define NB_BLOCK 1024

/* 1/sqrt(den) with the zero-denominator convention: a row whose denominator
 * is exactly zero normalizes to zero. NaN stays NaN. */
static inline float nb_rstd_f32(float den) {
  return den == 0.0f ? 0.0f : 1.0f / sqrtf(den);
}
static inline double nb_rstd_f64(double den) {
  return den == 0.0 ? 0.0 : 1.0 / sqrt(den);
}

/* Round a double to the precision and exponent range of a 16-bit format,
 * once, returning the rounded value as a double (exactly representable in
 * the format, so narrowing it to float and then to 16 bits is exact). */
double nb_round_f64_to_fmt(double v, nb_dtype dt);

#endif
