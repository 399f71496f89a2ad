/* The accuracy engine: an input case (rows of one distribution, or the
 * user's data) with its exact reference computed once, and the metrics of
 * any kernel of the case's op and dtype against it. */
#ifndef NB_ACCURACY_H
#define NB_ACCURACY_H

#include "gen.h"
#include "normbench.h"

/* Error histogram bins: [0, 0.5), [0.5, 1), [1, 2), [2, 4), ... , the
 * last bin open-ended (and NaN-class mismatches). */
#define NB_HIST 14
double nb_hist_lo(int bin); /* lower edge of a bin */

typedef struct {
  nb_op op;
  nb_dtype dt;
  size_t rows, d;
  float eps;
  float *x, *g, *b; /* exact values of the dtype; b is NULL for RMSNorm */
  float *res, *r;   /* AddRMSNorm from a distribution: the residual rows and
                       r = x + res rounded once into dt (NULL: no residual) */
  double *v, *cr;   /* reference: exact (to double) and correctly rounded;
                       RMSNormI8: exact y / s in steps and its nearest-even
                       integer; RMSNormE4M3: exact y and its e4m3 rounding */
  double *kappa;    /* per row: mean|x| / sqrt(var + eps); 0 for RMSNorm */
} nb_case;

int nb_case_make(nb_case *c, nb_op op, nb_dtype dt, const nb_dist *dist, uint64_t seed,
                 size_t rows, size_t d, float eps);
/* x: rows x d, g: d, b: d or NULL; the values are rounded into dt. */
int nb_case_from_data(nb_case *c, nb_op op, nb_dtype dt, size_t rows, size_t d, float eps,
                      const float *x, const float *g, const float *b);
/* The same with AddRMSNorm's residual rows, res: rows x d, rounded into dt
 * (the case's r is x + res rounded once). res NULL: no residual, r = x
 * (nb_case_from_data); a residual for another op is an error (-1). */
int nb_case_from_data_res(nb_case *c, nb_op op, nb_dtype dt, size_t rows, size_t d, float eps,
                          const float *x, const float *g, const float *b, const float *res);
void nb_case_free(nb_case *c);

typedef struct {
  double max_err, sum_err; /* RMSNorm componentwise, LayerNorm floored; int8 in
                              quantization steps, e4m3 in its ulps */
  double max_comp;         /* componentwise (also for LayerNorm) */
  size_t n, n_cr;          /* outputs, outputs equal to the correctly rounded value
                              (int8: on the exact result's integer) */
  size_t worst_row, worst_idx;
  double worst_kappa, max_kappa;
  size_t rows_checked;     /* rows inside the kernel's promise (range, kappa <= 10) */
  double max_checked;      /* largest error on those rows */
  double bound;            /* largest declared bound over the checked rows; NaN: none */
  size_t breaches;         /* checked outputs above their row's declared bound,
                              and AddRMSNorm r values not correctly rounded */
  size_t r_wrong;          /* AddRMSNorm: r values not bit-equal to x + res rounded once */
  double worst_breach_err, worst_breach_bound;
  size_t breach_row, breach_idx;
  size_t hist[NB_HIST];
  size_t n_exact;          /* outputs that took the accurate kernels' exact fallback */
  size_t miss_row, miss_idx; /* the first output not correctly rounded (if n_cr < n) */
} nb_metrics;

void nb_metrics_init(nb_metrics *m);
void nb_metrics_merge(nb_metrics *into, const nb_metrics *m);
/* Runs k (same op and dtype as c, runnable here) on c and measures it.
 * Returns 0, or -1 if memory ran out or the kernel refused the call. */
int nb_case_run(const nb_case *c, const nb_kernel *k, nb_metrics *m);

#endif
