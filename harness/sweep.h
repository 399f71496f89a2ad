/* Accuracy sweeps: a list of cells (op, dtype, D, distribution, eps, rows),
 * the reference of each computed once and every selected kernel of the
 * cell's op and dtype measured against it, on several threads; and the
 * long-format CSV those results are written as. */
#ifndef NB_SWEEP_H
#define NB_SWEEP_H

#include "accuracy.h"

#include <stdio.h>

typedef struct {
  nb_op op;
  nb_dtype dt;
  size_t d, rows;
  const nb_dist *dist;
  float eps;
  uint64_t seed;
  const float *x, *g, *b; /* the user's rows instead of dist (dist NULL) */
} nb_cell;

/* The accuracy CSV: one row per kernel x cell, the columns of
 * nb_schema_accuracy (schema.h). hist_j counts outputs whose error (the max_err metric) is in
 * [nb_hist_lo(j), nb_hist_lo(j + 1)): hist_0 = [0, 0.5), hist_1 = [0.5, 1),
 * hist_2 = [1, 2), ... hist_12 = [1024, 2048), hist_13 = [2048, inf] and
 * NaN-class mismatches. Empty bound: no promise for any row of the cell. */
void nb_acc_csv_row(FILE *f, const nb_kernel *k, const nb_cell *c, const nb_metrics *m);

/* Called after each finished cell, under a lock. */
typedef void nb_sweep_progress(size_t done, size_t total, void *ctx);

/* Runs every kernel ks[j] whose op and dtype match cell i into
 * out[i * nk + j] (others stay with n = 0), on `jobs` threads, largest
 * cells first. Returns 0, or -1 if a reference or a kernel run failed
 * (out of memory); *failed then names the first failing cell. */
int nb_sweep_run(const nb_cell *cells, size_t ncells, const nb_kernel *const *ks, size_t nk,
                 unsigned jobs, nb_metrics *out, nb_sweep_progress *progress, void *ctx,
                 size_t *failed);

#endif
