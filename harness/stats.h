/* Summary statistics of a benchmark's samples, and the interleaved A/B
 * comparison's confidence interval. */
#ifndef NB_STATS_H
#define NB_STATS_H

#include <stddef.h>

typedef struct {
  size_t n;
  double median; /* the figure to quote */
  double min, mean, stddev;
  double cv;      /* stddev / mean */
  double mad_pct; /* median absolute deviation, as a percentage of the median */
  /* first and third quartiles (the median is the second): linear
   * interpolation between order statistics, numpy.quantile's default
   * (stats.c); q1 <= median <= q3 */
  double q1, q3;
} nb_stats;

/* v is not modified. n >= 1 (stddev uses n - 1 and is 0 for n == 1). */
nb_stats nb_stats_of(const double *v, size_t n);
double nb_median(const double *v, size_t n);

/* Percentile bootstrap of the median of v (resamples, fixed seed so a run
 * is reproducible): the central 'level' interval, e.g. 0.95. */
void nb_bootstrap_median(const double *v, size_t n, unsigned resamples, double level,
                         double *lo, double *hi);

#endif
