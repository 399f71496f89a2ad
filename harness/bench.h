/* Throughput measurement: the machine's description, working-set sizing,
 * the roofline probes, and the sampling loop every benchmark goes through. */
#ifndef NB_BENCH_H
#define NB_BENCH_H

#include "platform.h"
#include "stats.h"
#include "timer.h"

#include <stddef.h>
#include <stdint.h>

/* A cache as the harness uses it: the size the platform reported, checked
 * against the bandwidth probe, and the size used with where it came from. */
typedef struct {
  int level;
  char type[16]; /* "Data", "Instruction", "Unified" */
  size_t size;   /* bytes, the size used */
  size_t reported;  /* bytes, what sysfs/cpuid/sysconf said (0: nothing) */
  int num_sharing;
  nb_source src;    /* of size */
  nb_source reported_src;
  char note[96];    /* why the reported size was not used, or what the probe found */
} nb_cache;

typedef struct {
  char cpu_model[64], features[256], host[64], date[32], id[96];
  nb_cache caches[NB_MAX_CACHES];
  int ncaches, num_cpus, pinned_cpu;
  double mhz;
  size_t l1d, l2, llc; /* bytes, data caches: what the working sets use */
  size_t mem;          /* the memory working set (x + y), bytes */
  char mem_why[128];   /* how mem was chosen */
  const char *emulated;
  const char *compiler, *cflags, *build_type, *git;
  const nb_clock *clock;
  double load_avg[3]; /* /proc/loadavg when the machine was read, if have_load_avg */
  int have_load_avg;
  int cpu_scaling; /* nb_platform_cpu_scaling: 1, 0, or -1 unknown */
} nb_machine;

/* Fills m from the platform layer and calibrates the clock: call it before
 * anything is timed. Cache sizes: caches ("L1=48K,L2=1M,L3=32M"), else
 * NORMBENCH_CACHES, else the platform's, each checked against a short
 * latency probe (not under emulation) and replaced by the measured
 * size where implausible. Returns 0, or -1 with why filled (a malformed
 * override). */
int nb_machine_get(nb_machine *m, const char *caches, char *why, size_t why_len);

/* A byte count: digits, optionally followed by K, M or G, alone or with B
 * or iB after it ("48K", "1MiB", "2M", "256KiB"), every unit binary (as
 * caches are sized), at most 2^40 bytes: 0, or -1. */
int nb_parse_bytes(const char *s, size_t *out);
/* "L1=48K,L2=1M,L3=32M" (sizes as nb_parse_bytes; levels 1-4): 0, or -1. */
int nb_parse_caches(const char *s, size_t size[5]);

/* Load-to-use latency (ns) of a random pointer chase over buffers of sizes
 * from 8 KiB up in half powers of two, at most max_bytes; returns the count
 * measured (<= cap). Latency, not bandwidth: on Zen 5, 256-bit reads run at
 * 175 GB/s from L1 and 167 GB/s from L2, while a load from L2 takes three
 * times as long. */
size_t nb_latency_curve(size_t max_bytes, size_t *sizes, double *ns, size_t cap);

/* Working sets: where the data (x + y) should live, by cache level or
 * bytes; or the shape of a call as users have them, by rows per call. */
typedef enum {
  NB_WS_L1, NB_WS_L2, NB_WS_LLC, NB_WS_MEM, NB_WS_BYTES, /* x + y fill a size */
  NB_WS_DECODE, NB_WS_BATCH, NB_WS_PREFILL, NB_WS_ROWS   /* shapes */
} nb_ws_kind;
typedef struct {
  nb_ws_kind kind;
  size_t bytes; /* NB_WS_BYTES: as given; otherwise filled by nb_ws_bytes */
  size_t rows;  /* NB_WS_ROWS: rows per call */
} nb_ws;
/* "l1" ... "mem", "decode", "batch", "prefill", the byte count, or
 * "rows:N". */
const char *nb_ws_name(nb_ws ws);
/* One token of a --working-set list (a name above, a byte count >= 256 as
 * nb_parse_bytes reads it, or rows:N). 0, or -1. */
int nb_ws_parse(const char *s, nb_ws *ws);
/* The one definition of each working set and shape, which `perf --help`,
 * the README and REPORT.md quote. */
const char *nb_ws_describe(nb_ws_kind kind);
#define NB_BATCH_ROWS 64
/* Target bytes for x + y: half of L1d, L2 or LLC (room for g, b, stack and
 * the other level's lines), or m->mem for memory and prefill; shapes by
 * rows: 0. */
size_t nb_ws_bytes(nb_ws ws, const nb_machine *m);
/* Rows of length d (element size sz) so that x + y fill 'bytes'; >= 1. */
size_t nb_ws_rows(size_t bytes, size_t d, size_t sz);

/* The sampling loop. fn(ctx) is one iteration of the work. */
typedef void nb_work_fn(void *ctx);
typedef struct {
  unsigned repetitions; /* samples kept (default 15) */
  double min_time;      /* seconds per sample, at least */
  size_t iterations;    /* calls per sample when not 0 (Google Benchmark's
                           --benchmark_min_time=Nx), else calibrated to min_time */
} nb_measure_opts;

typedef struct {
  size_t iterations;    /* calls per sample */
  unsigned repetitions; /* samples */
  double *ns;           /* per-call real time of each sample (repetitions) */
  double *cpu_ns;       /* per-call thread CPU time of each sample */
  nb_stats st;          /* of ns */
  unsigned retaken;     /* samples disturbed by the machine and taken again */
  unsigned disturbed;   /* samples kept although disturbed (retakes ran out, or too long to retake) */
  unsigned reruns;      /* whole measurements repeated because the spread was high */
  int noisy;            /* the spread stayed high: do not trust the median */
} nb_result;

/* Spread above which a measurement is repeated, then flagged noisy. */
#define NB_NOISY_CV 0.05
#define NB_NOISY_MAD_PCT 2.0
/* A disturbed sample longer than this is kept, not taken again: one
 * preemption or steal tick (a few ms) moves it by a few percent, which the
 * median over the repetitions absorbs, while on a machine that is not quiet
 * every sample this long is disturbed, so retakes only multiply the time
 * (a 1.3 s call of the PyTorch peer was taken 40 times for 5 samples). */
#define NB_RETAKE_MAX_NS 50e6

/* Iterations per sample so that one sample lasts >= min_time and >= 1000x
 * the clock's resolution and overhead. Runs fn (also as warm-up). */
size_t nb_calibrate_iterations(nb_work_fn *fn, void *ctx, double min_time);
/* Times one sample of 'iterations' calls: real and thread-CPU ns per call.
 * Returns 1 if the machine disturbed it (involuntary context switch, steal
 * time on the pinned CPU), else 0. */
int nb_sample(nb_work_fn *fn, void *ctx, size_t iterations, double *ns, double *cpu_ns);
/* One sample; a disturbed one is taken again, up to three times, unless
 * it lasted over NB_RETAKE_MAX_NS; counts retakes and kept disturbed ones. */
void nb_sample_retaking(nb_work_fn *fn, void *ctx, size_t iterations, double *ns, double *cpu_ns, unsigned *retaken,
                        unsigned *disturbed);
/* Warm-up, calibration, repetitions, retakes. 0, or -1 (out of memory). */
int nb_measure(nb_work_fn *fn, void *ctx, const nb_measure_opts *o, nb_result *r);
void nb_result_free(nb_result *r);

/* Roofline probes over n floats: read x; copy x to y; copy with
 * non-temporal stores. Vector code (AVX2) where the CPU has it. */
typedef enum { NB_PROBE_READ, NB_PROBE_COPY, NB_PROBE_COPY_NT, NB_NPROBES } nb_probe;
const char *nb_probe_name(nb_probe p); /* "probe_read", ... */
void nb_probe_run(nb_probe p, const float *x, float *y, size_t n);
/* What the probe uses on this CPU: "avx2" or "c". */
const char *nb_probe_isa(void);

/* 64-byte aligned, every page written (so timing never pays a first touch). */
void *nb_buffer(size_t bytes);

#endif
