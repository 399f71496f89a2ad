/* The analysis of a results folder (the CSVs `ninja bench` writes):
 * tables/ (what the plots draw), REPORT.md, and the comparison of several
 * folders. Reads perf.csv, accuracy.csv (or accuracy.csv.gz), bounds.csv,
 * and when present recommend.csv, meanshift.csv, machine.txt, duration_s.
 * Every output goes through a temporary file renamed into place. */
#ifndef NB_REPORT_H
#define NB_REPORT_H

#include <stddef.h>

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

#endif
