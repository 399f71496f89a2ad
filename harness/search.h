/* Worst-case search: random restarts plus hill climbing on one row (x, g,
 * b) of length d, maximising a kernel's error against the MPFR reference
 * relative to its declared bound, over rows the bound covers (the kernel's
 * range, and mean|x|/sigma <= 10 for LayerNorm). Random rows only give a
 * lower bound on the worst error; this pushes that bound up.
 * The accurate kernels (bound 0.5: correctly rounded) are searched for
 * near-midpoint outputs instead: the score is how close an exact output
 * lies to a rounding boundary of the format (the outputs that must take
 * their exact fallback), and any output not correctly rounded wins. */
#ifndef NB_SEARCH_H
#define NB_SEARCH_H

#include "accuracy.h"

typedef struct {
  double err, bound, kappa; /* error (ulps) of the worst output, its row's bound */
  size_t idx;               /* index of the worst output */
  float *x, *g, *b;         /* the row (d values each; b NULL for RMSNorm) */
  size_t evals, restarts;   /* over all threads */
  double mid;               /* accurate kernels: distance of the closest output to a midpoint (ulps) */
  int miss;                 /* accurate kernels into f32/f16/bf16: some output not correctly rounded */
} nb_worst;

/* Searches for `seconds` on `jobs` threads (independent climbers, seeds
 * derived from seed). Returns 0, or -1 if no row could be evaluated. */
int nb_search(const nb_kernel *k, size_t d, float eps, uint64_t seed, double seconds, unsigned jobs,
              nb_worst *out);
void nb_worst_free(nb_worst *w);

#endif
