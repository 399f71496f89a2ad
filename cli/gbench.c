/* normbench_gbench: `normbench perf` as a Google Benchmark binary. Google
 * Benchmark's tools/compare.py runs an executable (it checks for ELF magic)
 * with --benchmark_out=FILE and its other --benchmark_* flags and reads the
 * JSON it writes; perf takes those flags and writes that JSON, so this is
 * perf under a name of its own, with every perf option too. */
#include "cli.h"

#include <stdlib.h>

int main(int argc, char **argv) {
  char **av = malloc(((size_t)argc + 2) * sizeof *av);
  if (!av) return 2;
  av[0] = argv[0];
  av[1] = "perf";
  for (int i = 1; i <= argc; i++) av[i + 1] = argv[i]; /* argv[argc] is NULL */
  int rc = cli_main(argc + 1, av);
  free(av);
  return rc;
}
