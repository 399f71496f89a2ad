/* Throughput runs of registry kernels and probes, and their writers: a
 * readable table, CSV (long format, the columns of nb_schema_perf)
 * and JSON in Google Benchmark's schema (tools/compare.py reads it). */
#ifndef NB_PERF_H
#define NB_PERF_H

#include "bench.h"
#include "engine.h"
#include "normbench.h"

#include <stdio.h>

/* One result of perf: a kernel or probe timed on a workload (engine.h).
 * Bytes a kernel call moves: x read + y written (rows * d elements each),
 * plus g and b read once per call; AddRMSNorm x and the residual read, r
 * and y written, plus g, on a working set of x, residual and y. Probes: the
 * bytes they read + write. */
typedef struct {
  const char *name; /* kernel or probe name */
  const nb_kernel *k; /* NULL for a probe */
  nb_ws ws;
  size_t ws_bytes, d, rows;
  unsigned threads;
  double bytes;      /* per call */
  double items;      /* elements normalized per call (rows * d); probes: floats */
  nb_result r;
  double gbps;       /* bytes / median, 1e9 bytes per second */
  double rows_per_s; /* rows / median (probes: NaN) */
  double copy_gbps, nt_gbps; /* the probes at the same working set */
  double frac_copy, frac_nt; /* gbps / probe (NaN when not applicable) */
} nb_perf_row;

/* Times kernel k or probe p on w into row. 0, or -1 (with a message in
 * err) when the kernel cannot run or memory runs out. */
int nb_perf_kernel(const nb_kernel *k, nb_workload *w, const nb_measure_opts *o, nb_perf_row *row, char *err,
                   size_t errn);
int nb_perf_probe(nb_probe p, nb_workload *w, const nb_measure_opts *o, nb_perf_row *row);
/* Fills copy/nt bandwidths and fractions of the kernel rows from the probe
 * rows of the same working set, D and threads (memory-bound rows: also vs
 * the NT copy). */
void nb_perf_link_probes(nb_perf_row *rows, size_t n);

void nb_perf_write_table(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n);
void nb_perf_write_csv(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n);
void nb_perf_write_json(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n);
/* Google Benchmark's CSV (--benchmark_format=csv): its columns, the runs of
 * the JSON, without the machine (Google's CSV has no context). */
void nb_perf_write_gbench_csv(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n);
/* Records of compare and recommend: named columns, each value a string
 * (s != NULL) or a number (NaN: empty in CSV, null in JSON). CSV: the
 * machine block and notes as '#' lines, a header, one line per record;
 * JSON: perf's "context", the notes, and "results", one object per record. */
typedef struct {
  const char *s;
  double v;
} nb_val;
typedef struct {
  const char *what; /* "normbench compare" */
  const char *const *notes;
  size_t nnotes;
  const char *const *cols;
  size_t ncols, nrows;
  const nb_val *v; /* nrows * ncols */
} nb_records;
void nb_records_write_csv(FILE *f, const nb_machine *m, const nb_records *r);
void nb_records_write_json(FILE *f, const nb_machine *m, const nb_records *r);

/* The machine block of the table and CSV, each line prefixed by 'prefix'. */
void nb_machine_write(FILE *f, const nb_machine *m, const char *prefix);
/* Each cache: level, type, size used, its source, and what was reported
 * when that was not used; sep between caches. */
void nb_machine_write_caches(FILE *f, const nb_machine *m, const char *sep);

#endif
