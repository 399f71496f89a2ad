/* Output files that are never half-written and never replace what is not
 * a regular file: the rules are kernels/file.h's (temporary file renamed
 * into place for regular files; devices, FIFOs and "-" written through;
 * links followed). This layer adds the signal handling a command needs: a
 * terminating signal during a write removes the temporary file, so a crash
 * or Ctrl-C leaves the old file (or none) and no litter. */
#ifndef NB_OUTFILE_H
#define NB_OUTFILE_H

#include "file.h"

#include <stdio.h>

typedef struct {
  FILE *f;
  nb_file file;
} nb_outfile;

/* Opens path for writing ("-" is stdout). Returns 0, or -1 with errno set
 * and the reason in nb_out_why. */
int nb_out_open(nb_outfile *o, const char *path);
/* Flushes, closes and (for a temporary file) fsyncs and renames into place;
 * returns 0, or -1 (the temporary file removed, the target left as it was)
 * with the reason in nb_out_why. Any earlier write error fails here. */
int nb_out_commit(nb_outfile *o);
/* Drops the temporary file. Safe after commit or on a zeroed struct. */
void nb_out_abort(nb_outfile *o);
/* Why the last open or commit failed: one line. */
const char *nb_out_why(const nb_outfile *o);

#endif
