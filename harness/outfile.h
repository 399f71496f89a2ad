/* Output files that are never half-written: data goes to a temporary file
 * in the same directory, which is renamed over the target only once it is
 * complete and flushed. A crash or Ctrl-C leaves the old file (or none). */
#ifndef NB_OUTFILE_H
#define NB_OUTFILE_H

#include <stdio.h>

typedef struct {
  FILE *f;
  char *path, *tmp;
} nb_outfile;

/* Opens path's temporary sibling for writing ("-" means stdout, written
 * directly). Returns 0, or -1 with errno set. */
int nb_out_open(nb_outfile *o, const char *path);
/* Flushes, fsyncs and renames into place; returns 0, or -1 (the temporary
 * file is removed and the target left as it was). */
int nb_out_commit(nb_outfile *o);
/* Drops the temporary file. Safe after commit or on a zeroed struct. */
void nb_out_abort(nb_outfile *o);

#endif
