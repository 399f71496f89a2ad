/* The analysis of a results folder (the CSVs `ninja bench` writes):
 * tables/ (what the plots draw), REPORT.md, and the comparison of several
 * folders. Reads perf.csv, accuracy.csv (or accuracy.csv.gz), bounds.csv,
 * and when present recommend.csv, meanshift.csv, machine.txt, duration_s.
 * Every output goes through a temporary file renamed into place. */
#ifndef NB_REPORT_H
#define NB_REPORT_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
  const char *dir;    /* the results folder */
  const char *id;     /* the machine id in REPORT.md's title (NULL: the folder's name) */
  const char *out;    /* REPORT.md's path (NULL: dir/REPORT.md; "-": stdout) */
  int tables_only;    /* write tables/ only (before the plots exist) */
} nb_report_opts;

/* 0, or -1 with a one-line reason in err. */
int nb_report(const nb_report_opts *o, char *err, size_t errn);

/* The kernel to ship on each machine and what each loses running another
 * machine's choice, as markdown, to out (a path, "-" for stdout). */
int nb_report_compare(const char *const *dirs, size_t n, const char *out, char *err, size_t errn);

/* The bench's memory-bound sweep leaves out a kernel whose cache-resident
 * GB/s at D = 4096 is below this fraction of the memory copy probe's: it
 * is compute-bound at every working set (the scalar 16-bit kernels), so
 * its memory-bound figure would repeat its cache-resident one, and at 4x
 * the LLC one call takes seconds. The one statement of that rule: the
 * bench asks nb_report_mem_sweep, and the throughput figures' note says it
 * (tables/tput_*.gp's memrule). */
#define NB_MEM_SWEEP_FRAC 0.1

/* From perf_csv (a perf run of the cache-resident kernels and the memory
 * copy probe): the kernels for the memory-bound sweep on kernels, one name
 * a line; the note for machine.txt (the rule, then each kernel left out)
 * on note when not NULL. fastest_isa (a quick run): of the kernels the
 * rule keeps, only the fastest ISA of each algorithm (op, dtype, algorithm;
 * every peer), the others named in the note. 0, or -1 with a one-line
 * reason in err. */
int nb_report_mem_sweep(const char *perf_csv, int fastest_isa, FILE *kernels, FILE *note, char *err, size_t errn);

#endif
