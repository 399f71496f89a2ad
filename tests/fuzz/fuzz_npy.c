/* libFuzzer target: the .npy parser on arbitrary bytes. Besides the
 * sanitizers' checks, an accepted array must be self-consistent and its
 * data block a copy of the input's last bytes. Longer runs than the test suite's smoke run:
 *   build/tests/fuzz/fuzz_npy -max_total_time=3600 -jobs=2 CORPUS_DIR tests/fuzz/corpus_npy */
#include "npy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nb_npy a;
  char err[NB_NPY_ERRLEN];
  if (nb_npy_parse(data, size, &a, err, sizeof err)) return 0;
  size_t bytes = a.count * nb_dtype_size(a.dtype);
  if (a.count != a.rows * a.cols || (a.ndim != 1 && a.ndim != 2) || (a.count && !a.data) || bytes > size)
    abort();
  /* No trailing bytes are accepted: the data is the end of the input. */
  if (bytes && memcmp(a.data, data + size - bytes, bytes) != 0) abort();
  nb_npy_free(&a);
  return 0;
}
