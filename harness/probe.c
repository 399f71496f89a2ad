/* Roofline probes: the fastest this CPU moves the bytes a kernel moves.
 * read: sum of x (four accumulators so that add latency never limits);
 * copy: y = x; copy_nt: y = x with non-temporal stores, which bypass the
 * caches and skip the read-for-ownership of y's lines (the ceiling for a
 * memory-bound kernel that writes). x86-64: AVX2 under a target attribute,
 * chosen at run time (AVX2 loads already reach the L1 load ports' width on
 * Zen 4); elsewhere plain C. n is any count; the tails are scalar. */
#include "bench.h"

#include "normbench.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define NB_AVX2 __attribute__((target("avx2")))

NB_AVX2 static float read_avx2(const float *x, size_t n) {
  __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a = _mm256_add_ps(a, _mm256_load_ps(x + i));
    b = _mm256_add_ps(b, _mm256_load_ps(x + i + 8));
    c = _mm256_add_ps(c, _mm256_load_ps(x + i + 16));
    d = _mm256_add_ps(d, _mm256_load_ps(x + i + 24));
  }
  float t[8], s = 0;
  _mm256_storeu_ps(t, _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d)));
  for (int k = 0; k < 8; k++) s += t[k];
  for (; i < n; i++) s += x[i];
  return s;
}

NB_AVX2 static void copy_avx2(const float *x, float *y, size_t n, int nt) {
  size_t i = 0;
  if (nt)
    for (; i + 32 <= n; i += 32) {
      _mm256_stream_ps(y + i, _mm256_load_ps(x + i));
      _mm256_stream_ps(y + i + 8, _mm256_load_ps(x + i + 8));
      _mm256_stream_ps(y + i + 16, _mm256_load_ps(x + i + 16));
      _mm256_stream_ps(y + i + 24, _mm256_load_ps(x + i + 24));
    }
  else
    for (; i + 32 <= n; i += 32) {
      _mm256_store_ps(y + i, _mm256_load_ps(x + i));
      _mm256_store_ps(y + i + 8, _mm256_load_ps(x + i + 8));
      _mm256_store_ps(y + i + 16, _mm256_load_ps(x + i + 16));
      _mm256_store_ps(y + i + 24, _mm256_load_ps(x + i + 24));
    }
  for (; i < n; i++) y[i] = x[i];
  if (nt) _mm_sfence(); /* streaming stores are weakly ordered */
}
#endif

static float read_c(const float *x, size_t n) {
  float a[8] = {0}, s = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) a[k] += x[i + k];
  for (int k = 0; k < 8; k++) s += a[k];
  for (; i < n; i++) s += x[i];
  return s;
}

static int use_avx2(void) {
#if defined(__x86_64__)
  return (nb_cpu_features() & NB_CPU_AVX2) != 0;
#else
  return 0;
#endif
}

const char *nb_probe_isa(void) { return use_avx2() ? "avx2" : "c"; }

const char *nb_probe_name(nb_probe p) {
  static const char *names[] = {"probe_read", "probe_copy", "probe_copy_nt"};
  return (unsigned)p < NB_NPROBES ? names[p] : "?";
}

/* x and y come from nb_buffer (64-byte aligned) */
void nb_probe_run(nb_probe p, const float *x, float *y, size_t n) {
  float sum;
#if defined(__x86_64__)
  if (use_avx2()) {
    if (p == NB_PROBE_READ) {
      sum = read_avx2(x, n);
      nb_clobber(&sum);
    } else
      copy_avx2(x, y, n, p == NB_PROBE_COPY_NT);
    return;
  }
#endif
  if (p == NB_PROBE_READ) {
    sum = read_c(x, n);
    nb_clobber(&sum);
  } else
    memcpy(y, x, n * sizeof *x); /* no portable non-temporal store: the C copy for both */
}
