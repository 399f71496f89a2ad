/* Private to the kernel library: the wisdom table shared by the dispatcher
 * (dispatch.c, which owns it and its lock) and the wisdom file reader and
 * writer (wisdom.c). */
#ifndef NB_DISPATCH_H
#define NB_DISPATCH_H

#include "normbench.h"

typedef struct {
  const nb_kernel *k; /* NULL: no wisdom for this bucket */
  double budget, speedup;
} nb_wis;

typedef struct {
  nb_wis e[NB_NOPS][3][NB_BUCKETS]; /* [op][dtype][bucket]; only RMSNorm and LayerNorm dispatch */
} nb_wis_table;

/* Reads and checks a wisdom file into *t without installing it. Returns 0,
 * or -1 with the reason in why[n]. */
int nb_wisdom_read(const char *path, nb_wis_table *t, char *why, size_t n);
/* Replaces the loaded wisdom by *t (NULL: none) and drops cached choices. */
void nb_wisdom_install(const nb_wis_table *t);
/* What nb_wisdom_save writes for a bucket: the current choice, the budget
 * in force, and the measured speed-up (1 unless the choice came from
 * wisdom). */
nb_wis nb_dispatch_entry(nb_op op, nb_dtype dt, unsigned bucket);

#endif
