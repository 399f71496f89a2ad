/* Seeded input generators: the input suite of ACCURACY.md. Pure IEEE
 * arithmetic (+ - * / sqrt, and a log of our own), compiled without FMA
 * contraction, so the same seed gives the same bits on every machine. */
#ifndef NB_GEN_H
#define NB_GEN_H

#include "normbench.h"

#include <stdint.h>

typedef struct { uint64_t s[4]; } nb_rng;
void nb_rng_seed(nb_rng *r, uint64_t seed);
uint64_t nb_rng_next(nb_rng *r);
double nb_rng_uniform(nb_rng *r); /* [0, 1) with 53 random bits */
double nb_rng_normal(nb_rng *r);  /* N(0, 1), Marsaglia's polar method */

typedef struct nb_dist {
  const char *name;
  const char *what; /* one line for --list-dists */
  /* Fills x[0, d) with values; dt says which format they will be rounded
   * to, so ranges ("huge", "subnormal") can follow the format. */
  void (*fill)(const struct nb_dist *dist, nb_rng *r, nb_dtype dt, size_t d, double *x);
  double param;
  unsigned flags; /* NB_DIST_* */
} nb_dist;

/* The row's structure survives only gains of +-2^k and a zero bias
 * (midpoint rows): nb_gen_params_for gives those. */
enum { NB_DIST_POW2_GAIN = 1u << 0, NB_DIST_ODD_GAIN = 1u << 1 };

size_t nb_dist_count(void);
const nb_dist *nb_dist_at(size_t i);
const nb_dist *nb_dist_find(const char *name);

/* Round a value into the storage format (nearest even; f32 values exactly
 * representable in the result). */
float nb_to_dtype(double v, nb_dtype dt);

/* One row of the suite: x from the distribution, then g (around 1, sign
 * and size varying) and b (small, LayerNorm), all rounded into dt. The
 * row's seed is derived from (seed, row), so rows are independent of how
 * many are generated. */
void nb_gen_row(const nb_dist *dist, nb_dtype dt, uint64_t seed, size_t row, size_t d, float *x);
void nb_gen_params(nb_dtype dt, uint64_t seed, size_t d, float *g, float *b);
/* The gain and bias a distribution's rows are generated for. */
void nb_gen_params_for(const nb_dist *dist, nb_dtype dt, uint64_t seed, size_t d, float *g, float *b);

#endif
