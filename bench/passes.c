/* nb_passes: what bounds an RMSNorm or LayerNorm row on this core (README,
 * issue 14). The two passes of the f32 algorithms, written as bare AVX-512
 * loops of the kernels' shape, timed alone and one after the other at each
 * working set, next to a copy of the same bytes: the statistics pass (one
 * load and one FMA per 16 floats, 4 accumulators; LayerNorm: an add too),
 * the normalize pass (x and g loaded, two products, y stored; LayerNorm:
 * x - mu, and b loaded for a last FMA), and both, as a row of fast RMSNorm
 * or LayerNorm runs them. A LayerNorm row touches four arrays of D floats
 * (x twice, g, b, y) where RMSNorm touches three: at D = 4096 that is 64
 * KiB against a 48 KiB L1d, the difference the LN lines show next to the
 * RMS lines (and what D = 2048 does not show). Cycles per 16 floats use the
 * core clock measured by a chain of
 * dependent adds (one a cycle). Not the kernels: a probe of the machine,
 * like the copy probes, for the loop-by-loop estimate the issue asks for.
 * Last, the round trip of a hand-off to a thread pinned to another CPU and
 * back (an atomic counter each way, as normbench's --threads team does it):
 * the floor under any multi-threaded call.
 * Usage: nb_passes [D]   (default 4096, a multiple of 64; x86-64 with AVX-512 only) */
#include "stats.h"
#include "timer.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define NB_AVX512 __attribute__((target("avx512f")))

NB_AVX512 static float stats(const float *x, size_t d) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 64 <= d; i += 64) {
    __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
    __m512 v2 = _mm512_loadu_ps(x + i + 32), v3 = _mm512_loadu_ps(x + i + 48);
    a0 = _mm512_fmadd_ps(v0, v0, a0);
    a1 = _mm512_fmadd_ps(v1, v1, a1);
    a2 = _mm512_fmadd_ps(v2, v2, a2);
    a3 = _mm512_fmadd_ps(v3, v3, a3);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}
NB_AVX512 static void normalize(const float *x, const float *g, float *y, size_t d, float r) {
  __m512 vr = _mm512_set1_ps(r);
  for (size_t i = 0; i + 32 <= d; i += 32) {
    __m512 a = _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), vr), _mm512_loadu_ps(g + i));
    __m512 b = _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i + 16), vr), _mm512_loadu_ps(g + i + 16));
    _mm512_storeu_ps(y + i, a);
    _mm512_storeu_ps(y + i + 16, b);
  }
}
NB_AVX512 static float ln_stats(const float *x, size_t d, float *s2) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, q0 = a0, q1 = a0, q2 = a0, q3 = a0;
  for (size_t i = 0; i + 64 <= d; i += 64) {
    __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
    __m512 v2 = _mm512_loadu_ps(x + i + 32), v3 = _mm512_loadu_ps(x + i + 48);
    a0 = _mm512_add_ps(v0, a0), q0 = _mm512_fmadd_ps(v0, v0, q0);
    a1 = _mm512_add_ps(v1, a1), q1 = _mm512_fmadd_ps(v1, v1, q1);
    a2 = _mm512_add_ps(v2, a2), q2 = _mm512_fmadd_ps(v2, v2, q2);
    a3 = _mm512_add_ps(v3, a3), q3 = _mm512_fmadd_ps(v3, v3, q3);
  }
  *s2 = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(q0, q1), _mm512_add_ps(q2, q3)));
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}
NB_AVX512 static void ln_normalize(const float *x, const float *g, const float *b, float *y, size_t d,
                                   float mu, float r) {
  __m512 vr = _mm512_set1_ps(r), vm = _mm512_set1_ps(mu);
  for (size_t i = 0; i + 32 <= d; i += 32) {
    __m512 a = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm), vr);
    __m512 c = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), vm), vr);
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(a, _mm512_loadu_ps(g + i), _mm512_loadu_ps(b + i)));
    _mm512_storeu_ps(y + i + 16, _mm512_fmadd_ps(c, _mm512_loadu_ps(g + i + 16), _mm512_loadu_ps(b + i + 16)));
  }
}
/* the LayerNorm row: statistics, then normalize */
static void ln_row(const float *x, const float *g, const float *b, float *y, size_t d) {
  float s2, mu = ln_stats(x, d, &s2) / (float)d;
  ln_normalize(x, g, b, y, d, mu, 1 / (s2 / (float)d - mu * mu + 1));
}
NB_AVX512 static void copy(const float *x, float *y, size_t d) {
  for (size_t i = 0; i + 32 <= d; i += 32) {
    _mm512_storeu_ps(y + i, _mm512_loadu_ps(x + i));
    _mm512_storeu_ps(y + i + 16, _mm512_loadu_ps(x + i + 16));
  }
}

/* GHz from 2^28 dependent adds, best of 3 */
static double core_ghz(void) {
  double best = 0;
  for (int k = 0; k < 3; k++) {
    uint64_t v = 0, t = nb_gettime_ns();
    for (long i = 0; i < (1L << 28); i++) __asm__ volatile("add $1, %0" : "+r"(v));
    double ghz = (double)(1L << 28) / (double)(nb_gettime_ns() - t);
    if (ghz > best) best = ghz;
  }
  return best;
}

static _Atomic unsigned go, done;
static _Atomic int pinned; /* the responder: 1 on its CPU, -1 could not pin */

static void *responder(void *cpu) {
  int want = (int)(intptr_t)cpu;
  atomic_store(&pinned, nb_pin_thread(want) == want ? 1 : -1);
  if (atomic_load(&pinned) < 0) return NULL;
  for (unsigned seen = 0;;) {
    while (atomic_load(&go) == seen) _mm_pause();
    seen = atomic_load(&go);
    if (seen == ~0u) return NULL;
    atomic_fetch_add(&done, 1);
  }
}

/* median of 5 timings of 2^18 round trips to CPU other, in ns; -1 if the
 * responder cannot run there */
static double handoff_ns(int other) {
  pthread_t t;
  if (pthread_create(&t, NULL, responder, (void *)(intptr_t)other)) return -1;
  while (!atomic_load(&pinned)) _mm_pause();
  if (atomic_load(&pinned) < 0) {
    pthread_join(t, NULL);
    return -1;
  }
  double ns[5];
  for (int k = 0; k < 5; k++) {
    uint64_t t0 = nb_gettime_ns();
    for (unsigned i = 0; i < (1u << 18); i++) {
      atomic_store(&done, 0);
      atomic_fetch_add(&go, 1);
      while (atomic_load(&done) < 1) _mm_pause();
    }
    ns[k] = (double)(nb_gettime_ns() - t0) / (1u << 18);
  }
  atomic_store(&go, ~0u);
  pthread_join(t, NULL);
  return nb_median(ns, 5);
}

int main(int argc, char **argv) {
  char *end = NULL;
  size_t d = argc > 1 ? strtoul(argv[1], &end, 10) : 4096;
  if (argc > 2 || (end && *end) || d < 64 || d % 64 || d > (1u << 24)) {
    fprintf(stderr, "nb_passes: error: D must be a multiple of 64 in [64, 2^24]\n");
    return 2;
  }
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f")) {
    fprintf(stderr, "nb_passes: error: this CPU has no AVX-512F\n");
    return 2;
  }
  /* a second CPU this process may use, for the hand-off (before pinning) */
  cpu_set_t allowed;
  int other = -1;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
    for (int c = 0; c < CPU_SETSIZE && other < 0; c++)
      if (CPU_ISSET(c, &allowed) && c != sched_getcpu()) other = c;
  int cpu = nb_pin_thread(-1);
  if (other == cpu) other = -1;
  const nb_clock *clk = nb_clock_init();
  double ghz = core_ghz();
  printf("nb_passes: D = %zu f32, core clock %.2f GHz (dependent adds), timer %s\n", d, ghz, clk->name);
  printf("%-10s %-22s %9s %12s %14s\n", "x + y", "loop", "ns/row", "cycles/16 f", "copy time/this");
  const size_t ws[] = {2 * d * 4, 512u << 10, 2u << 20, 256u << 20};
  for (size_t w = 0; w < sizeof ws / sizeof ws[0]; w++) {
    size_t rows = ws[w] / (2 * d * 4) ? ws[w] / (2 * d * 4) : 1;
    float *x = aligned_alloc(64, rows * d * 4), *y = aligned_alloc(64, rows * d * 4), *g = aligned_alloc(64, d * 4),
          *b = aligned_alloc(64, d * 4);
    if (!x || !y || !g || !b) {
      fprintf(stderr, "nb_passes: error: out of memory\n");
      return 1;
    }
    for (size_t i = 0; i < rows * d; i++) x[i] = (float)(i % 7) - 3, y[i] = 0;
    for (size_t i = 0; i < d; i++) g[i] = 1 + (float)i * 1e-4f, b[i] = (float)i * 1e-4f;
    const char *names[] = {"copy", "statistics pass", "normalize pass", "statistics, normalize",
                           "LN statistics pass", "LN normalize pass", "LN statistics, normalize"};
    double copy_ns = 0;
    float s2;
    for (int m = 0; m < 7; m++) {
      size_t reps = (64u << 20) / (rows * d * 4) + 1; /* about 64 MiB of x a timing */
      double best = 1e30;
      for (int k = 0; k < 7; k++) {
        uint64_t t0 = nb_tick_start(clk->kind);
        for (size_t rep = 0; rep < reps; rep++)
          for (size_t r = 0; r < rows; r++) {
            const float *xr = x + r * d;
            float *yr = y + r * d;
            if (m == 0) copy(xr, yr, d);
            else if (m == 1) yr[0] = stats(xr, d);
            else if (m == 2) normalize(xr, g, yr, d, 0.5f);
            else if (m == 3) normalize(xr, g, yr, d, 1 / stats(xr, d));
            else if (m == 4) yr[0] = ln_stats(xr, d, &s2) + s2;
            else if (m == 5) ln_normalize(xr, g, b, yr, d, 0.25f, 0.5f);
            else ln_row(xr, g, b, yr, d);
          }
        nb_clobber(y);
        double ns = (double)(nb_tick_stop(clk->kind) - t0) * clk->ns_per_tick / (double)(reps * rows);
        if (ns < best) best = ns;
      }
      if (m == 0) copy_ns = best;
      printf("%7zu KiB %-22s %9.1f %12.2f %14.2f\n", ws[w] >> 10, names[m], best, best * ghz / (double)(d / 16),
             copy_ns / best);
    }
    free(x), free(y), free(g), free(b);
  }
  double h = other >= 0 && cpu >= 0 ? handoff_ns(other) : -1;
  if (h > 0)
    printf("hand-off to CPU %d and back: %.0f ns (median of 5 x 2^18 round trips)\n", other, h);
  else
    printf("hand-off: not measured (no second CPU this process may run on)\n");
  return 0;
}
#else
int main(void) {
  fprintf(stderr, "nb_passes: error: x86-64 with AVX-512 only\n");
  return 2;
}
#endif
