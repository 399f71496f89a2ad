#include "timer.h"

#include "platform.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The TSC only when it is invariant (constant rate, runs in C-states) and
 * the kernel itself uses it as its clocksource: the kernel drops the TSC
 * when it sees it unsynchronised across CPUs or unstable, a check we
 * cannot repeat cheaply. */
static int tsc_usable(void) {
#if defined(__x86_64__)
  const nb_platform *p = nb_platform_get();
  return p->tsc_invariant && strcmp(p->clocksource, "tsc") == 0;
#else
  return 0;
#endif
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Ticks per ns against CLOCK_MONOTONIC_RAW over ~50 ms, the median of three
 * runs; each end brackets the tick read between two clock reads. */
static double calibrate(nb_clk_kind k) {
  double r[3];
  for (int i = 0; i < 3; i++) {
    uint64_t n0 = nb_gettime_ns(), t0 = nb_tick_start(k), n0b = nb_gettime_ns();
    uint64_t n1;
    do n1 = nb_gettime_ns();
    while (n1 - n0 < 50000000u);
    uint64_t t1 = nb_tick_stop(k), n1b = nb_gettime_ns();
    r[i] = ((n1 + n1b) / 2.0 - (n0 + n0b) / 2.0) / (double)(t1 - t0);
  }
  double lo = r[0] < r[1] ? r[0] : r[1], hi = r[0] < r[1] ? r[1] : r[0];
  return r[2] < lo ? lo : r[2] > hi ? hi : r[2];
}

static nb_clock clk;
static pthread_once_t clk_once = PTHREAD_ONCE_INIT;

/* Once per process (pthread_once: threads of a multi-threaded run may all
 * ask for the clock first); never written after. */
static void clock_setup(void) {
  clk.kind = NB_CLK_GETTIME;
  clk.name = "clock_gettime";
  clk.ns_per_tick = 1;
  if (tsc_usable()) {
    clk.kind = NB_CLK_TSC;
    clk.name = "tsc";
  }
#if defined(__aarch64__)
  clk.kind = NB_CLK_CNTVCT;
  clk.name = "cntvct_el0";
  uint64_t frq;
  __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
  clk.ns_per_tick = frq ? 1e9 / (double)frq : 0;
#endif
  if (clk.kind == NB_CLK_TSC || (clk.kind == NB_CLK_CNTVCT && clk.ns_per_tick == 0))
    clk.ns_per_tick = calibrate(clk.kind);

  enum { N = 1001 };
  static uint64_t d[N];
  uint64_t res = UINT64_MAX;
  for (int i = 0; i < N; i++) {
    uint64_t a = nb_tick_start(clk.kind), b;
    do b = nb_tick_start(clk.kind);
    while (b == a);
    if (b - a < res) res = b - a;
  }
  for (int i = 0; i < N; i++) {
    uint64_t a = nb_tick_start(clk.kind);
    d[i] = nb_tick_stop(clk.kind) - a;
  }
  qsort(d, N, sizeof d[0], cmp_u64);
  clk.resolution_ns = (double)res * clk.ns_per_tick;
  clk.overhead_ns = (double)d[N / 2] * clk.ns_per_tick;
}

const nb_clock *nb_clock_init(void) {
  pthread_once(&clk_once, clock_setup);
  return &clk;
}

int nb_pin_thread(int cpu) {
  if (cpu < 0) cpu = sched_getcpu();
  if (cpu < 0) return -1;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}
