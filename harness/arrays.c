/* Float views of .npy files, over the one .npy reader and writer (npy.c). */
#include "arrays.h"

#include "engine.h"
#include "npy.h"

#include <stdlib.h>
#include <string.h>

int nb_arr_load(const char *path, nb_array *a, char *err, size_t errlen) {
  nb_npy n;
  memset(a, 0, sizeof *a);
  if (nb_npy_read(path, &n, err, errlen)) return -1;
  float *data = malloc((n.count ? n.count : 1) * sizeof *data);
  if (!data) {
    nb_npy_free(&n);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  nb_unpack(n.dtype, n.data, data, n.count); /* binary16 widens exactly */
  *a = (nb_array){n.dtype, n.ndim, n.rows, n.cols, data};
  nb_npy_free(&n);
  return 0;
}

int nb_arr_save(const char *path, int ndim, size_t rows, size_t cols, const float *data, char *err,
                size_t errlen) {
  size_t shape[2] = {ndim == 1 ? cols : rows, ndim == 1 ? 0 : cols};
  return nb_npy_write(path, NB_F32, ndim, shape, data, err, errlen);
}

void nb_arr_free(nb_array *a) {
  free(a->data);
  memset(a, 0, sizeof *a);
}
