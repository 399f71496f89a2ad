/* Every CSV normbench writes, its columns defined once: the writers print
 * these headers, `--columns` prints them, and the report and the tests look
 * columns up by these names. Columns are only ever added at the end: other
 * code (scripts, notebooks, older results folders) reads them by name, and
 * the committed results are read back by `normbench report`. */
#ifndef NB_SCHEMA_H
#define NB_SCHEMA_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
  const char *file; /* the file it is written to in a results folder */
  const char *const *cols;
  size_t n;
} nb_schema;

extern const nb_schema nb_schema_perf;      /* perf --csv: perf.csv */
extern const nb_schema nb_schema_accuracy;  /* accuracy --csv: accuracy.csv */
extern const nb_schema nb_schema_list;      /* list --csv: bounds.csv */
extern const nb_schema nb_schema_recommend; /* recommend --csv: recommend.csv */
extern const nb_schema nb_schema_compare;   /* compare --csv */
extern const nb_schema nb_schema_meanshift; /* nb_meanshift: meanshift.csv */

/* Column counts the writers size their records by (checked in schema.c). */
#define NB_REC_NCOLS 23
#define NB_CMP_NCOLS 21
#define NB_LIST_NCOLS 11

/* The header line: the names joined by commas, then a newline. */
void nb_schema_header(FILE *f, const nb_schema *s);
/* The index of column name, or -1. */
int nb_schema_find(const nb_schema *s, const char *name);

#endif
