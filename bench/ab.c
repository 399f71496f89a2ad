/* nb_ab: one kernel from two builds of libnormbench, interleaved in one
 * process by the engine normbench compare uses (same workload, same
 * rounds, ratio with its 95% bootstrap interval). `normbench compare`
 * compares two kernels of one build; this compares a kernel before and
 * after a change, which is how the README measures a change to a kernel
 * whose name it keeps. Each library is dlopen'ed on its own (RTLD_LOCAL:
 * neither one's symbols reach the other, so each resolves to itself) and
 * asked for the kernel by name; outputs are not compared here (the tests
 * do that).
 *
 * usage: nb_ab LIB_A LIB_B KERNEL [D [WORKING_SET [ROUNDS]]]
 * e.g.   nb_ab old/build/kernels/libnormbench.so build/kernels/libnormbench.so \
 *              rmsnorm_f32_fast_avx512 4096 512K 31
 * WORKING_SET: bytes of x + y (units as normbench takes them), default 512K. */
#include "engine.h"
#include "normbench.h"
#include "timer.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef const nb_kernel *find_fn(const char *);

static const nb_kernel *kernel_in(const char *lib, const char *name) {
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "nb_ab: error: cannot load '%s': %s\n", lib, dlerror());
    return NULL;
  }
  find_fn *find = (find_fn *)(uintptr_t)dlsym(h, "nb_kernel_find");
  const nb_kernel *k = find ? find(name) : NULL;
  if (!k) fprintf(stderr, "nb_ab: error: '%s' has no kernel '%s'\n", lib, name);
  return k;
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 7) {
    fprintf(stderr, "usage: nb_ab LIB_A LIB_B KERNEL [D [WORKING_SET [ROUNDS]]]\n");
    return 2;
  }
  char *end = NULL;
  size_t d = argc > 4 ? strtoul(argv[4], &end, 10) : 4096;
  nb_ws ws = {NB_WS_BYTES, 512u << 10, 0};
  int bad_d = argc > 4 && (*end || d == 0 || d > (1u << 24));
  unsigned long rounds = 31;
  if (argc > 6) {
    rounds = strtoul(argv[6], &end, 10);
    if (*end) rounds = 0;
  }
  if (bad_d || (argc > 5 && (nb_ws_parse(argv[5], &ws) || ws.kind != NB_WS_BYTES)) || rounds < 3 || rounds > 1000) {
    fprintf(stderr, "nb_ab: error: want D in [1, 2^24], a working set in bytes (>= 256, e.g. 512K) and 3-1000 rounds\n");
    return 2;
  }
  const nb_kernel *ks[2] = {kernel_in(argv[1], argv[3]), NULL};
  if (!ks[0] || !(ks[1] = kernel_in(argv[2], argv[3]))) return 2;
  if (!nb_kernel_runs_here(ks[0]) || !nb_kernel_runs_here(ks[1])) {
    fprintf(stderr, "nb_ab: error: %s does not run on this CPU\n", argv[3]);
    return 2;
  }
  size_t rows = nb_ws_rows(ws.bytes, d, nb_dtype_size(ks[0]->dtype));
  nb_workload w;
  if (nb_workload_init(&w, ks[0]->op, ks[0]->dtype, d, rows, ws, 1)) {
    fprintf(stderr, "nb_ab: error: cannot allocate %zu rows of D %zu\n", rows, d);
    return 1;
  }
  nb_workload *wk[2] = {&w, &w};
  nb_measure_opts o = {(unsigned)rounds, 0.01, 0};
  nb_interleaved r;
  char err[256];
  int cpu = nb_pin_thread(-1);
  if (nb_interleave(ks, NULL, wk, 2, &o, &r, err, sizeof err)) {
    fprintf(stderr, "nb_ab: error: %s\n", err);
    return 1;
  }
  nb_ratio q = nb_interleaved_ratio(&r, wk, 0, 1);
  char pin[32] = "not pinned";
  if (cpu >= 0) snprintf(pin, sizeof pin, "pinned to CPU %d", cpu);
  printf("%s, D = %zu, %zu rows (x + y %zu bytes), %lu rounds, %s\n", argv[3], d, rows, ws.bytes, rounds, pin);
  for (int i = 0; i < 2; i++)
    printf("%s  %-50s %12.1f ns/call  %8.2f GB/s%s\n", i ? "B" : "A", argv[1 + i], r.st[i].median,
           r.bytes[i] / r.st[i].median, r.noisy[i] ? "  NOISY" : "");
  printf("B over A (speed): %.3f [%.3f, %.3f]%s\n", q.ratio, q.lo, q.hi,
         q.lo > 1 ? ", B faster" : q.hi < 1 ? ", B slower" : ", no difference shown");
  nb_interleaved_free(&r);
  nb_workload_free(&w);
  return 0;
}
