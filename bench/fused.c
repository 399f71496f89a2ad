/* The fused residual add + RMSNorm (an addrmsnorm kernel) against the
 * two-call sequence an engine runs without fusion: residual += x, then the
 * rmsnorm kernel of the same algorithm and ISA on the residual. Both write
 * r over the residual and y, on the same buffers, timed in interleaved
 * pairs (a pair the machine disturbed is taken again, up to 3 times, as
 * normbench compare does); prints both medians, the median ratio (two-call
 * / fused) with its 95% bootstrap interval, in real time and in thread CPU
 * time (which leaves out time the thread was descheduled: the figure to
 * read on a busy machine), and the add pass alone, whose GB/s next to the
 * copy probe's shows it runs at memory speed (a plain C loop the compiler
 * vectorizes: at these sizes the add is bound by memory, not by its ISA).
 * f32 only. x is the residual times 2^-26, below a quarter of its ulp, so
 * r stays the residual and every call sees the same values.
 *
 * usage: nb_fused KERNEL [D [MiB per array [pairs]]]
 * e.g.   nb_fused addrmsnorm_f32_twopass_avx512 4096 128 31
 *        (x, residual and y of 128 MiB each: 256 MiB of input) */
#include "bench.h"
#include "normbench.h"
#include "stats.h"
#include "timer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const nb_kernel *k;
  const float *x, *g;
  float *res, *y;
  size_t rows, d;
} ctx;

static void add(const float *x, float *res, size_t n) {
  for (size_t i = 0; i < n; i++) res[i] += x[i];
}

static void fused(void *p) {
  ctx *c = p;
  c->k->fn(c->x, c->g, c->res, c->y, c->rows, c->d, c->d, c->d, 1e-5f);
  nb_clobber(c->y);
}

static void two_call(void *p) {
  ctx *c = p;
  add(c->x, c->res, c->rows * c->d);
  nb_clobber(c->res);
  c->k->fn(c->res, c->g, NULL, c->y, c->rows, c->d, c->d, c->d, 1e-5f);
  nb_clobber(c->y);
}

static void add_only(void *p) {
  ctx *c = p;
  add(c->x, c->res, c->rows * c->d);
  nb_clobber(c->res);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: nb_fused KERNEL [D [MiB per array [pairs]]]\n");
    return 2;
  }
  const nb_kernel *k = nb_kernel_find(argv[1]), *t = NULL;
  size_t d = argc > 2 ? strtoul(argv[2], NULL, 10) : 4096, mib = argc > 3 ? strtoul(argv[3], NULL, 10) : 128;
  unsigned pairs = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 31;
  char twin[96];
  if (k) snprintf(twin, sizeof twin, "rmsnorm%s", k->name + strlen("addrmsnorm"));
  if (k) t = nb_kernel_find(twin);
  if (!k || k->op != NB_ADDRMSNORM || k->dtype != NB_F32 || !t || !nb_kernel_runs_here(k) || d == 0 ||
      mib == 0 || pairs < 3) {
    fprintf(stderr, "nb_fused: want an f32 addrmsnorm kernel this CPU runs, D > 0, MiB > 0, pairs >= 3\n");
    return 2;
  }
  size_t rows = (mib << 20) / (d * 4), n = rows * d;
  if (rows == 0) rows = 1, n = d;
  float *x = nb_buffer(n * 4), *res = nb_buffer(n * 4), *y = nb_buffer(n * 4), *g = nb_buffer(d * 4);
  if (!x || !res || !y || !g) {
    fprintf(stderr, "nb_fused: cannot allocate 3 x %zu bytes\n", n * 4);
    return 1;
  }
  uint32_t s = 12345;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    res[i] = -1.5f + 4 * (float)(s >> 8) * 0x1p-24f;
    x[i] = res[i] * 0x1p-26f;
  }
  for (size_t i = 0; i < d; i++) g[i] = 0.5f + (float)i / (float)d;
  int cpu = nb_pin_thread(-1);
  ctx cf = {k, x, g, res, y, rows, d}, ct = cf;
  ct.k = t;
  size_t it = nb_calibrate_iterations(fused, &cf, 0.2), it2 = nb_calibrate_iterations(two_call, &ct, 0.2);
  if (it2 > it) it = it2;
  double *tf = malloc(pairs * sizeof *tf), *tt = malloc(pairs * sizeof *tt), *ta = malloc(pairs * sizeof *ta);
  double *r = malloc(pairs * sizeof *r), *cf_ = malloc(pairs * sizeof *cf_), *ct_ = malloc(pairs * sizeof *ct_);
  double *rc = malloc(pairs * sizeof *rc), cpu_ns, lo, hi, clo, chi;
  unsigned retaken = 0;
  for (unsigned p = 0; p < pairs; p++) {
    for (unsigned tries = 0;; tries++) {
      int bad = nb_sample(fused, &cf, it, &tf[p], &cf_[p]);
      bad |= nb_sample(two_call, &ct, it, &tt[p], &ct_[p]);
      if (!bad || tries == 3) break;
      retaken++;
    }
    nb_sample(add_only, &ct, it, &ta[p], &cpu_ns);
    r[p] = tt[p] / tf[p];
    rc[p] = ct_[p] / cf_[p];
  }
  nb_bootstrap_median(r, pairs, 10000, 0.95, &lo, &hi);
  nb_bootstrap_median(rc, pairs, 10000, 0.95, &clo, &chi);
  double mf = nb_median(tf, pairs), mt = nb_median(tt, pairs), ma = nb_median(ta, pairs), b = 4.0 * n;
  printf("D = %zu, %zu rows, x, residual and y %.0f MiB each; pinned to CPU %d; %zu calls per sample, %u pairs"
         " (%u retaken)\n", d, rows, n * 4.0 / 1048576, cpu, it, pairs, retaken);
  printf("fused    %-36s %10.3f ms  %6.2f GB/s (x, residual read; r, y written)\n", k->name, mf * 1e-6, 4 * b / mf);
  printf("two-call add + %-30s %10.3f ms  %6.2f GB/s (the same 4 streams; it moves 5)\n", t->name, mt * 1e-6,
         4 * b / mt);
  printf("add pass alone                                 %10.3f ms  %6.2f GB/s (x, residual read; r written)\n",
         ma * 1e-6, 3 * b / ma);
  printf("two-call / fused: %.3f [%.3f, %.3f] real time, %.3f [%.3f, %.3f] thread CPU time (%.3f / %.3f ms)\n"
         "(medians of pair ratios, 95%% bootstrap intervals)\n",
         nb_median(r, pairs), lo, hi, nb_median(rc, pairs), clo, chi, nb_median(ct_, pairs) * 1e-6,
         nb_median(cf_, pairs) * 1e-6);
  free(x), free(res), free(y), free(g), free(tf), free(tt), free(ta), free(r), free(cf_), free(ct_), free(rc);
  return 0;
}
