/* Private to the kernel library: the wisdom table value and its codec.
 * wisdom.c turns a file's text into a table and a table into a file, and
 * keeps no state; dispatch.c alone owns the installed table. The one
 * dependency runs from dispatch.c to wisdom.c, never back. */
#ifndef NB_WISDOM_H
#define NB_WISDOM_H

#include "normbench.h"

typedef struct {
  const nb_kernel *k; /* NULL: no wisdom for this bucket */
  double budget, speedup;
  int line; /* in the file it was read from; 0: nb_wisdom_add */
} nb_wis;

typedef struct {
  nb_wis e[NB_NOPS][3][NB_BUCKETS]; /* [op][dtype][bucket]; only RMSNorm and LayerNorm dispatch */
} nb_wis_table;

/* Reads and checks a wisdom file into *t. Returns NB_OK, or an
 * NB_EWISDOM_* code with the reason in why[n]. */
int nb_wis_read(const char *path, nb_wis_table *t, char *why, size_t n);
/* Writes the buckets up to 2^NB_WISDOM_MAXB of *t that hold a kernel,
 * through a temporary file and a rename. NB_OK, or NB_EWISDOM_IO with errno
 * set. */
int nb_wis_write(const char *path, const nb_wis_table *t);

#endif
