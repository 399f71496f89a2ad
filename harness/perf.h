/* Throughput runs of registry kernels and probes, and their writers: a
 * readable table, CSV (long format, the columns listed in perf_columns.txt)
 * and JSON in Google Benchmark's schema (tools/compare.py reads it). */
#ifndef NB_PERF_H
#define NB_PERF_H

#include "bench.h"
#include "normbench.h"

#include <stdio.h>

/* Bytes a kernel call moves: x read + y written (rows * d elements each),
 * plus g and b read once per call; AddRMSNorm x and the residual read, r
 * and y written, plus g, on a working set of x, residual and y. Probes: the
 * bytes they read + write. */
typedef struct {
  const char *name; /* kernel or probe name */
  const nb_kernel *k; /* NULL for a probe */
  nb_ws ws;
  size_t ws_bytes, d, rows;
  double bytes;      /* per call */
  double items;      /* elements normalized per call (rows * d); probes: floats */
  nb_result r;
  double gbps;       /* bytes / median, 1e9 bytes per second */
  double copy_gbps, nt_gbps; /* the probes at the same working set */
  double frac_copy, frac_nt; /* gbps / probe (NaN when not applicable) */
} nb_perf_row;

typedef struct {
  nb_measure_opts m;
  float eps;
} nb_perf_opts;

/* Shared buffer for one working set: x = first half, y = second half. */
typedef struct {
  char *base;
  size_t bytes;
  void *g, *b; /* d elements of the largest dtype, gain ~1, bias ~0 */
  size_t d;
} nb_perf_buf;
int nb_perf_buf_init(nb_perf_buf *pb, size_t ws_bytes, size_t d);
void nb_perf_buf_free(nb_perf_buf *pb);

/* Times kernel k (rows filling ws) or probe p. 0, or -1 (with a message in
 * err) when the kernel cannot run or memory runs out. */
int nb_perf_kernel(const nb_kernel *k, size_t d, nb_ws ws, size_t ws_bytes, nb_perf_buf *pb,
                   const nb_perf_opts *o, nb_perf_row *row, char *err, size_t errn);
int nb_perf_probe(nb_probe p, nb_ws ws, size_t ws_bytes, nb_perf_buf *pb, const nb_perf_opts *o,
                  nb_perf_row *row);
/* Fills copy/nt bandwidths and fractions of the kernel rows from the probe
 * rows of the same working set (memory-bound rows: also vs the NT copy). */
void nb_perf_link_probes(nb_perf_row *rows, size_t n);

/* Interleaved A/B: samples A B A B ... with one iteration count, so a
 * drift of the machine hits both. ratio = B time / A time per pair. */
typedef struct {
  size_t iterations, rows;
  unsigned pairs;
  double a_median_ns, b_median_ns;
  double ratio, ratio_lo, ratio_hi; /* median and 95% bootstrap interval */
  unsigned b_slower;                /* pairs where B took longer */
  double sign_p;                    /* two-sided sign-test p-value */
  unsigned retaken;
} nb_compare;
int nb_perf_compare(const nb_kernel *a, const nb_kernel *b, size_t d, size_t ws_bytes, nb_perf_buf *pb,
                    const nb_perf_opts *o, nb_compare *out, char *err, size_t errn);

/* The CSV header, one line, no newline: the columns of perf_columns.txt. */
extern const char nb_perf_csv_header[];
void nb_perf_write_table(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n);
void nb_perf_write_csv(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n);
void nb_perf_write_json(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n);
/* The machine block of the table and CSV, each line prefixed by 'prefix'. */
void nb_machine_write(FILE *f, const nb_machine *m, const char *prefix);
/* Each cache: level, type, size used, its source, and what was reported
 * when that was not used; sep between caches. */
void nb_machine_write_caches(FILE *f, const nb_machine *m, const char *sep);

#endif
