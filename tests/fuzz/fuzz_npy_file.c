/* libFuzzer target: the .npy file reader (nb_npy_read) on arbitrary file
 * contents, against the in-memory parser on the same bytes. Properties:
 * both accept or both refuse; an accepted file gives the parser's array;
 * every refusal is one line of printable ASCII. The file is a memfd named
 * through /proc/self/fd, so no disk is touched. Longer runs:
 *   build/tests/fuzz/fuzz_npy_file -max_total_time=600 CORPUS_DIR tests/fuzz/corpus_npy */
#include "npy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_printable_line(const char *err) {
  if (!*err) abort();
  for (const char *p = err; *p; p++)
    if (*p < 0x20 || *p > 0x7e) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    if ((fd = memfd_create("fuzz_npy_file", 0)) < 0) abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size) abort();
  nb_npy a, b;
  char err[NB_NPY_ERRLEN], err2[NB_NPY_ERRLEN];
  int r = nb_npy_read(path, &a, err, sizeof err), p = nb_npy_parse(data, size, &b, err2, sizeof err2);
  if (r != p) abort();
  if (r) {
    one_printable_line(err);
    one_printable_line(err2);
    return 0;
  }
  size_t bytes = a.count * nb_dtype_size(a.dtype);
  if (a.dtype != b.dtype || a.ndim != b.ndim || a.rows != b.rows || a.cols != b.cols || a.count != b.count ||
      (bytes && memcmp(a.data, b.data, bytes)))
    abort();
  nb_npy_free(&a);
  nb_npy_free(&b);
  return 0;
}
