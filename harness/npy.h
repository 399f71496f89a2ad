/* NumPy .npy files: the float arrays normbench reads and writes.
 *
 * Reads format versions 1.0 and 2.0 (little-endian u16 / u32 header length),
 * writes 1.0 with the data 64-byte aligned, as NumPy does. Only 1-D and 2-D
 * C-order arrays of '<f4' (NB_F32) or '<f2' (NB_F16, kept as binary16 bit
 * patterns) are accepted; everything else is refused with a one-line reason.
 * A file must hold exactly the bytes its header promises: a short file is
 * truncated, and bytes after the data are refused as trailing garbage (a
 * concatenation or a wrong shape, never something to ignore silently). */
#ifndef NB_NPY_H
#define NB_NPY_H

#include "normbench.h"

#include <stddef.h>

/* Largest data block accepted (16 GiB): far above any row batch a norm
 * kernel sees, far below what makes size arithmetic wrap. */
#define NB_NPY_MAX_BYTES (1ull << 34)
/* Room for any message the functions below write, a path of PATH_MAX
 * bytes included. Messages are one line of printable ASCII: other bytes of
 * the file or its name appear as \xNN. */
#define NB_NPY_ERRLEN 8192

typedef struct {
  nb_dtype dtype;   /* NB_F32 or NB_F16 */
  int ndim;         /* 1 or 2 */
  size_t shape[2];  /* shape[ndim..1] are 0 */
  size_t rows, cols; /* 1-D arrays are one row */
  size_t count;     /* rows * cols */
  void *data;       /* count elements, malloc'd; NULL when count == 0 */
} nb_npy;

/* Parse a whole .npy image held in memory. The data is copied: buf may be
 * freed afterwards. Returns 0, or -1 with a one-line reason in err (size
 * errlen) and *a zeroed. Never reads outside buf[0, len). */
int nb_npy_parse(const void *buf, size_t len, nb_npy *a, char *err, size_t errlen);

/* Read a .npy file; allocates no more than the file's size. Same returns. */
int nb_npy_read(const char *path, nb_npy *a, char *err, size_t errlen);

/* Write a 1-D (ndim 1, shape[0] elements) or 2-D array of dtype NB_F32 or
 * NB_F16 through a temporary file renamed into place: on failure the old
 * file at path, if any, is left as it was. Returns 0 or -1 with err. */
int nb_npy_write(const char *path, nb_dtype dt, int ndim, const size_t *shape, const void *data,
                 char *err, size_t errlen);

void nb_npy_free(nb_npy *a);

#endif
