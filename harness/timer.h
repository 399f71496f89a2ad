/* The benchmark clock. x86-64: the TSC when it is invariant and the kernel
 * itself trusts it as its clocksource, read with fences so that the work
 * being timed cannot drift across the read; AArch64: the virtual counter
 * behind an isb; elsewhere clock_gettime(CLOCK_MONOTONIC_RAW). Ticks are
 * turned into nanoseconds with a rate calibrated once (nb_clock_init). */
#ifndef NB_TIMER_H
#define NB_TIMER_H

#include <stdint.h>
#include <time.h>

typedef enum { NB_CLK_TSC, NB_CLK_CNTVCT, NB_CLK_GETTIME } nb_clk_kind;

typedef struct {
  nb_clk_kind kind;
  const char *name;     /* "tsc", "cntvct_el0", "clock_gettime" */
  double ns_per_tick;
  double resolution_ns; /* smallest non-zero difference of two reads */
  double overhead_ns;   /* median cost of a start/stop pair with nothing between */
} nb_clock;

/* Chooses, calibrates and characterises the clock; cached after the first
 * call. Never call it inside a timed region (it may execute CPUID). */
const nb_clock *nb_clock_init(void);

static inline uint64_t nb_gettime_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC_RAW, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* start: nothing after the read may begin before it (lfence after rdtsc
 * waits for the read); stop: rdtscp waits for earlier instructions to
 * retire, the lfence keeps later ones from starting before the read. */
static inline uint64_t nb_tick_start(nb_clk_kind k) {
#if defined(__x86_64__)
  if (k == NB_CLK_TSC) {
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi)::"memory");
    return (uint64_t)hi << 32 | lo;
  }
#elif defined(__aarch64__)
  if (k == NB_CLK_CNTVCT) {
    uint64_t v;
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0\n\tisb" : "=r"(v)::"memory");
    return v;
  }
#endif
  (void)k;
  return nb_gettime_ns();
}

static inline uint64_t nb_tick_stop(nb_clk_kind k) {
#if defined(__x86_64__)
  if (k == NB_CLK_TSC) {
    uint32_t lo, hi, aux;
    __asm__ volatile("rdtscp\n\tlfence" : "=a"(lo), "=d"(hi), "=c"(aux)::"memory");
    return (uint64_t)hi << 32 | lo;
  }
#elif defined(__aarch64__)
  if (k == NB_CLK_CNTVCT) {
    uint64_t v;
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
    return v;
  }
#endif
  (void)k;
  return nb_gettime_ns();
}

/* Tells the compiler that *p is read and written here, so the work that
 * produced it can be neither removed nor moved past this point. */
static inline void nb_clobber(const void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

/* Pins the calling thread to one CPU (the one it runs on now, or cpu if
 * >= 0). Returns the CPU, or -1. */
int nb_pin_thread(int cpu);

#endif
