/* Reading back the CSVs normbench writes (schema.h), for `normbench
 * report`: the whole file in memory, cells split in place, columns looked
 * up by name. Lines starting with '#' (the machine block, recommend's shape
 * notes) are kept apart; the first other line is the header. Cells are
 * never quoted in these files (names, numbers, words), so a cell is what
 * lies between two commas. */
#ifndef NB_CSVIN_H
#define NB_CSVIN_H

#include <stddef.h>

typedef struct {
  char *text;    /* the file; cells and comments point into it */
  char **cell;   /* nrows * ncols */
  char **head;   /* ncols names */
  char **comment; /* the '#' lines, without their newline */
  size_t nrows, ncols, ncomment;
} nb_csv;

/* Reads path, or path.gz through `gzip -dc` when path does not exist.
 * Returns 0; 1 when neither exists (nothing to report, not an error for
 * optional files); -1 with a one-line reason in err (unreadable, gzip
 * failed, no header, a line whose cell count differs from the header's). */
int nb_csv_load(nb_csv *t, const char *path, char *err, size_t errn);
void nb_csv_free(nb_csv *t);
/* The index of column name, or -1. */
int nb_csv_find(const nb_csv *t, const char *name);
static inline const char *nb_csv_at(const nb_csv *t, size_t row, int col) { return t->cell[row * t->ncols + (size_t)col]; }

#endif
