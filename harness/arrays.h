/* Float arrays in .npy files: the user's rows for `normbench accuracy
 * --input`, and the worst rows the search saves and the tests replay. A thin
 * layer over npy.c (formats, validation, atomic writes): '<f2' is widened
 * exactly to float, and arrays are written as '<f4'. */
#ifndef NB_ARRAYS_H
#define NB_ARRAYS_H

#include "normbench.h"
#include "npy.h"

#include <stddef.h>
#include <stdio.h>

#define NB_ARR_ERRLEN NB_NPY_ERRLEN

typedef struct {
  nb_dtype dtype; /* NB_F32 ('<f4') or NB_F16 ('<f2') */
  int ndim;       /* 1 or 2 */
  size_t rows, cols;
  float *data;    /* rows * cols values, malloc'd */
} nb_array;

/* Returns 0, or -1 with the reason in err. */
int nb_arr_load(const char *path, nb_array *a, char *err, size_t errlen);
int nb_arr_save(const char *path, int ndim, size_t rows, size_t cols, const float *data, char *err,
                size_t errlen);
void nb_arr_free(nb_array *a);

#endif
