/* The platform layer: every fact about the machine, read in one place.
 * Nothing else in normbench reads /sys, /proc or CPUID.
 *
 * Facts are gathered once (pthread_once) and never written after that, so
 * any thread may read them at any time. NORMBENCH_SYSROOT=DIR prefixes
 * every /sys and /proc path (tests point it at an empty folder or at a
 * fixture tree of another machine); NORMBENCH_CPU_DISABLE=feat,... hides
 * features. Cache sizes come from sysfs, else CPUID (leaf 4 on Intel,
 * 0x8000001D on AMD), else sysconf; each is checked for plausibility here
 * (sizes increase with level; without sysfs, an L3 of at most 8 MiB per
 * CPU), and the harness checks them again against a measured
 * bandwidth-vs-size probe (harness/bench.c). */
#ifndef NB_PLATFORM_H
#define NB_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  NB_SRC_NONE,
  NB_SRC_SYSFS,
  NB_SRC_CPUID,
  NB_SRC_SYSCONF,
  NB_SRC_MEASURED, /* the harness's probe */
  NB_SRC_OVERRIDE, /* --caches / NORMBENCH_CACHES */
  NB_SRC_DEFAULT,  /* nothing reported and nothing measured: a common size */
} nb_source;
const char *nb_source_name(nb_source s); /* "sysfs", "cpuid", ... */

typedef struct {
  int level;
  char type[16]; /* "Data", "Instruction", "Unified" */
  size_t size;   /* bytes */
  int num_sharing;
  nb_source src;
  const char *implausible; /* why the reported size cannot be right, or NULL */
} nb_cache_fact;

#define NB_MAX_CACHES 8

typedef struct {
  const char *arch;  /* "x86_64", "aarch64", "other" */
  char vendor[32];   /* CPUID vendor string, or "midr=0x..." on AArch64 */
  char model[64];    /* brand string ("AMD EPYC"), or "aarch64" */
  int family, model_num, stepping; /* x86 (display family/model); -1 elsewhere */
  uint32_t features;               /* NB_CPU_* usable, less NORMBENCH_CPU_DISABLE */
  uint32_t features_detected;      /* before NORMBENCH_CPU_DISABLE */
  char disable_unknown[64];        /* names in NORMBENCH_CPU_DISABLE that mean nothing */
  nb_cache_fact caches[NB_MAX_CACHES];
  int ncaches;
  int have_sysfs_caches;
  int num_cpus;
  size_t phys_mem;      /* bytes, 0 if unknown */
  double mhz;           /* "cpu MHz" of /proc/cpuinfo, 0 if absent */
  int tsc_invariant;    /* x86: CPUID 0x80000007 EDX bit 8 */
  char clocksource[32]; /* the kernel's current clocksource, "" if unknown */
  char hypervisor[16];  /* CPUID 0x40000000 signature, "" on bare metal */
  const char *emulated; /* why this looks emulated (timings mean nothing), or NULL */
  char id[96];          /* stable machine id, e.g. amd-epyc-f26m2-avx512bf16-3fa0c1 */
  char signature[512];  /* what a wisdom file is tied to */
} nb_platform;

const nb_platform *nb_platform_get(void);

/* The reported size of the data/unified cache at a level, or 0. */
const nb_cache_fact *nb_platform_cache(const nb_platform *p, int level);

/* Steal time of a CPU so far (ticks of /proc/stat), for the harness to
 * tell a sample the hypervisor disturbed; 0 if unknown. */
unsigned long long nb_platform_steal(int cpu);

/* The 1, 5 and 15 minute load averages of /proc/loadavg, read now: 0, or
 * -1 when absent or malformed. */
int nb_platform_loadavg(double avg[3]);
/* 1 when CPU 0's cpufreq governor (sysfs) is not "performance", 0 when it
 * is, -1 when there is no cpufreq (VMs, containers). */
int nb_platform_cpu_scaling(void);

#endif
