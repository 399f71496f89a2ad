/* The measurement engine behind perf, compare and recommend: what one call
 * sees (a workload), the time of one kernel on it (nb_measure_kernel, the
 * sampling loop of bench.h with its retakes and statistics), and a k-way
 * interleaved comparison with one interval method (a bootstrap of the
 * median per-round ratio). Also the helpers every command shares: kernel
 * selection and the float <-> storage-format pack and unpack. */
#ifndef NB_ENGINE_H
#define NB_ENGINE_H

#include "bench.h"
#include "normbench.h"

/* Storage formats: float to dt rounds to nearest even (NaN stays NaN);
 * 16-bit to float is exact. */
void nb_pack(nb_dtype dt, const float *src, void *dst, size_t n);
void nb_unpack(nb_dtype dt, const void *src, float *dst, size_t n);
/* Element i of an array stored in dt. */
float nb_storage_get(nb_dtype dt, const void *p, size_t i);
void nb_storage_set(nb_dtype dt, void *p, size_t i, float v);

/* Registry kernels that run here, matching a glob on the name (NULL: any),
 * an op in the bit set ops (bit nb_op; 0: any) and a dtype in dts (bit
 * nb_dtype; 0: any), in registry order; at most max. */
size_t nb_select(const char *glob, unsigned ops, unsigned dts, const nb_kernel **out, size_t max);

/* Rows per call for a working set or shape at row length d, element size
 * sz. Byte working sets: x + y fill the bytes; shapes: see bench.h. */
size_t nb_ws_rows_at(nb_ws ws, const nb_machine *m, size_t d, size_t sz);

/* Threads: each call's rows split into n contiguous parts, part i run by
 * thread i, each thread pinned to its own CPU (thread 0 is the caller).
 * The parts meet at a spinning barrier before and after each call, so a
 * call's time is the slowest part's. */
typedef struct nb_team nb_team;

/* What a call sees: op, dtype, D, rows per call, its buffers and their
 * contents (x in about [-1.5, 2.5), g near 1, b near 0: no special-value
 * path), the threads that share it. One call normalizes all rows. */
typedef struct {
  nb_op op;
  nb_dtype dtype;
  size_t d, rows;
  nb_ws ws; /* what the rows were sized for, for the reports */
  float eps;
  unsigned threads;
  void *x, *y, *g, *b; /* rows * d, rows * d, d, d elements of dtype */
  void *res;           /* AddRMSNorm's residual, rows * d: allocated by the first AddRMSNorm kernel */
  float *scale;        /* RMSNormI8's per-row scales, rows floats (its y: rows * d bytes, in y) */
  nb_team *team;       /* threads > 1 */
} nb_workload;

/* 0, or -1 (out of memory, or threads that cannot start). */
int nb_workload_init(nb_workload *w, nb_op op, nb_dtype dt, size_t d, size_t rows, nb_ws ws, unsigned threads);
void nb_workload_free(nb_workload *w);
/* Bytes one call moves: x read + y written, g (and b) read once;
 * AddRMSNorm: x and the residual read, r (over the residual) and y written,
 * g read once; RMSNormI8, RMSNormE4M3: x read, y written at one byte an
 * element, g read once, and int8's scales written (a float per row). */
double nb_workload_bytes(const nb_workload *w, const nb_kernel *k);

/* Times k on w (k's dtype must be w's; a LayerNorm kernel reads w->b, an
 * AddRMSNorm kernel reads and writes w->res).
 * 0, or -1 with a message in err. */
int nb_measure_kernel(const nb_kernel *k, nb_workload *w, const nb_measure_opts *o, nb_result *r, char *err,
                      size_t errn);
/* Times a probe over w's x and y bytes (the read probe reads both). */
int nb_measure_probe(nb_probe p, nb_workload *w, const nb_measure_opts *o, nb_result *r);
/* The bytes a probe moves per call on w. */
double nb_probe_bytes(nb_probe p, const nb_workload *w);

/* k-way interleaved comparison: in each round every item takes one
 * sample, starting from a different item each round, so a drift of the
 * machine reaches all of them alike. Item i is kernel ks[i], or when that
 * is NULL the probe probes[i] (probes may be NULL when there is none), on
 * ws[i]: workloads of different dtypes with the same rows and D compare in
 * rows/s, a kernel and a probe in bytes/s. Disturbed samples are taken
 * again as nb_sample_retaking does. */
typedef struct {
  size_t n;
  unsigned rounds;
  size_t *iterations; /* calls per sample, per kernel */
  double *ns;         /* ns[i * rounds + r]: ns per call of kernel i in round r */
  nb_stats *st;       /* per kernel, over its rounds */
  int *noisy;         /* spread above NB_NOISY_CV or NB_NOISY_MAD_PCT */
  double *rows_per_s; /* median per item */
  double *bytes;      /* bytes per call, per item (nb_workload_bytes, nb_probe_bytes) */
  unsigned retaken, disturbed;
} nb_interleaved;
int nb_interleave(const nb_kernel *const *ks, const nb_probe *probes, nb_workload *const *ws, size_t n,
                  const nb_measure_opts *o, nb_interleaved *out, char *err, size_t errn);
void nb_interleaved_free(nb_interleaved *r);

/* Speed of kernel j over kernel i in rows/s: the median over rounds of
 * (rows_j / t_j) / (rows_i / t_i), and its 95% bootstrap interval. An
 * interval that excludes 1 is a difference, not noise. */
typedef struct {
  double ratio, lo, hi;
} nb_ratio;
nb_ratio nb_interleaved_ratio(const nb_interleaved *r, nb_workload *const *ws, size_t i, size_t j);
/* The same in bytes/s: j's bandwidth over i's (a kernel against a probe). */
nb_ratio nb_interleaved_bw_ratio(const nb_interleaved *r, size_t i, size_t j);

#endif
