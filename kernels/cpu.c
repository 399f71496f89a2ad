/* Run-time CPU feature detection. x86-64: CPUID plus XGETBV, since a CPU
 * feature is usable only when the OS saves the register state it needs.
 * AArch64: the kernel's HWCAP bits. NORMBENCH_CPU_DISABLE (comma-separated
 * feature names) hides features, to test the fallbacks on a machine that
 * has them. */
#include "file.h"
#include "normbench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define NB_X86 1
#elif defined(__aarch64__)
#include <sys/auxv.h>
#endif

static const struct { uint32_t bit; const char *name; } names[] = {
    {NB_CPU_AVX2, "avx2"},           {NB_CPU_FMA, "fma"},
    {NB_CPU_F16C, "f16c"},           {NB_CPU_AVX512F, "avx512f"},
    {NB_CPU_AVX512BW, "avx512bw"},   {NB_CPU_AVX512VL, "avx512vl"},
    {NB_CPU_AVX512DQ, "avx512dq"},   {NB_CPU_AVX512BF16, "avx512bf16"},
    {NB_CPU_NEON, "neon"},           {NB_CPU_ASIMDHP, "asimdhp"},
    {NB_CPU_ARM_BF16, "bf16"},       {NB_CPU_SVE, "sve"},
};

const char *nb_cpu_feature_name(uint32_t bit) {
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].bit == bit) return names[i].name;
  return NULL;
}

static char model[64] = "unknown";

static uint32_t detect(void) {
  uint32_t f = 0;
#ifdef NB_X86
  unsigned a, b, c, d;
  if ((unsigned)__get_cpuid_max(0x80000000, NULL) >= 0x80000004u) {
    unsigned *m = (unsigned *)model;
    for (unsigned leaf = 0; leaf < 3; leaf++)
      __get_cpuid(0x80000002 + leaf, &m[4 * leaf], &m[4 * leaf + 1], &m[4 * leaf + 2],
                  &m[4 * leaf + 3]);
    model[48] = 0;
    char *s = model; /* trim the padding some CPUs put in front */
    while (*s == ' ') s++;
    memmove(model, s, strlen(s) + 1);
    for (size_t n = strlen(model); n > 0 && model[n - 1] == ' '; n--) model[n - 1] = 0;
  }
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
  if (!osxsave || !avx) return 0;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  int ymm = (lo & 0x6) == 0x6, zmm = ymm && (lo & 0xe0) == 0xe0;
  if (!ymm) return 0;
  if ((c >> 12) & 1) f |= NB_CPU_FMA;
  if ((c >> 29) & 1) f |= NB_CPU_F16C;
  __cpuid_count(7, 0, a, b, c, d);
  if ((b >> 5) & 1) f |= NB_CPU_AVX2;
  if (zmm) {
    if ((b >> 16) & 1) f |= NB_CPU_AVX512F;
    if ((b >> 17) & 1) f |= NB_CPU_AVX512DQ;
    if ((b >> 30) & 1) f |= NB_CPU_AVX512BW;
    if ((b >> 31) & 1) f |= NB_CPU_AVX512VL;
    __cpuid_count(7, 1, a, b, c, d);
    if ((a >> 5) & 1) f |= NB_CPU_AVX512BF16;
  }
#elif defined(__aarch64__)
  unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  snprintf(model, sizeof model, "aarch64");
  /* The kernel's bit numbers (asm/hwcap.h), named by glibc's <sys/auxv.h>. */
  if (hw & HWCAP_ASIMD) f |= NB_CPU_NEON;
  if (hw & HWCAP_ASIMDHP) f |= NB_CPU_ASIMDHP;
  if (hw & HWCAP_SVE) f |= NB_CPU_SVE;
  if (hw2 & HWCAP2_BF16) f |= NB_CPU_ARM_BF16;
#endif
  return f;
}

static uint32_t disabled(void) {
  const char *env = getenv("NORMBENCH_CPU_DISABLE");
  uint32_t off = 0;
  char buf[256];
  if (!env) return 0;
  snprintf(buf, sizeof buf, "%s", env);
  for (char *tok = strtok(buf, ", "); tok; tok = strtok(NULL, ", ")) {
    uint32_t bit = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      if (strcmp(tok, names[i].name) == 0) bit = names[i].bit;
    if (!bit) { /* a typo would otherwise silently test nothing */
      char esc[64];
      nb_file_escape(esc, sizeof esc, tok);
      fprintf(stderr, "normbench: warning: NORMBENCH_CPU_DISABLE: unknown feature '%s' ignored\n", esc);
    }
    off |= bit;
  }
  return off;
}

uint32_t nb_cpu_features(void) {
  static int done;
  static uint32_t f;
  if (!done) { /* idempotent: a race only computes the same value twice */
    f = detect() & ~disabled();
    done = 1;
  }
  return f;
}

const char *nb_cpu_model(void) {
  nb_cpu_features();
  return model;
}
