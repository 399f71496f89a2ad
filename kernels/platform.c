/* The platform layer (platform.h): CPU features, vendor and model, caches,
 * clock facts, emulation, machine id. x86-64: CPUID plus XGETBV, since a
 * feature is usable only when the OS saves the register state it needs.
 * AArch64: the kernel's HWCAP bits. */
#include "platform.h"

#include "file.h"
#include "normbench.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define NB_X86 1
#elif defined(__aarch64__)
#include <sys/auxv.h>
#endif

static const struct {
  uint32_t bit;
  const char *name;
} names[] = {
    {NB_CPU_AVX2, "avx2"},         {NB_CPU_FMA, "fma"},           {NB_CPU_F16C, "f16c"},
    {NB_CPU_AVX512F, "avx512f"},   {NB_CPU_AVX512BW, "avx512bw"}, {NB_CPU_AVX512VL, "avx512vl"},
    {NB_CPU_AVX512DQ, "avx512dq"}, {NB_CPU_AVX512BF16, "avx512bf16"}, {NB_CPU_NEON, "neon"},
    {NB_CPU_ASIMDHP, "asimdhp"},   {NB_CPU_ARM_BF16, "bf16"},     {NB_CPU_SVE, "sve"},
};

const char *nb_cpu_feature_name(uint32_t bit) {
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].bit == bit) return names[i].name;
  return NULL;
}

const char *nb_source_name(nb_source s) {
  static const char *n[] = {"none", "sysfs", "cpuid", "sysconf", "measured", "override", "default"};
  return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

/* ---- files under NORMBENCH_SYSROOT ----------------------------------------- */

/* Opened without blocking (a FIFO planted in a fixture must not hang us) and
 * read only if it is a regular file or a sysfs/procfs pseudo-file. */
static FILE *sys_open(const char *path) {
  char full[512];
  const char *root = getenv("NORMBENCH_SYSROOT");
  snprintf(full, sizeof full, "%s%s", root ? root : "", path);
  int fd = open(full, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    close(fd);
    return NULL;
  }
  FILE *f = fdopen(fd, "r");
  if (!f) close(fd);
  return f;
}

static int sys_line(const char *path, char *buf, size_t n) {
  FILE *f = sys_open(path);
  if (!f) return -1;
  char *ok = fgets(buf, (int)n, f);
  fclose(f);
  if (!ok) return -1;
  buf[strcspn(buf, "\n")] = 0;
  return 0;
}

unsigned long long nb_platform_steal(int cpu) {
  char want[16], line[512];
  snprintf(want, sizeof want, "cpu%d ", cpu);
  FILE *f = sys_open("/proc/stat");
  unsigned long long s = 0, v[8];
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, want, strlen(want)) == 0) {
      if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                 &v[4], &v[5], &v[6], &v[7]) == 8)
        s = v[7];
      break;
    }
  if (f) fclose(f);
  return s;
}

int nb_platform_loadavg(double avg[3]) {
  char line[256];
  if (sys_line("/proc/loadavg", line, sizeof line)) return -1;
  return sscanf(line, "%lf %lf %lf", &avg[0], &avg[1], &avg[2]) == 3 ? 0 : -1;
}

/* As Google Benchmark decides it: a cpufreq governor other than
 * "performance" may change the clock under a benchmark. */
int nb_platform_cpu_scaling(void) {
  char gov[64];
  if (sys_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", gov, sizeof gov)) return -1;
  return strcmp(gov, "performance") != 0;
}

/* ---- CPU identity and features ------------------------------------------------ */

#ifdef NB_X86
static void trim(char *s) {
  char *p = s;
  while (*p == ' ') p++; /* some CPUs pad the brand string in front */
  memmove(s, p, strlen(p) + 1);
  for (size_t n = strlen(s); n > 0 && s[n - 1] == ' '; n--) s[n - 1] = 0;
}

static void x86_identity(nb_platform *p) {
  unsigned a, b, c, d, r[4] = {0};
  if (__get_cpuid(0, &a, &r[0], &r[2], &r[1])) memcpy(p->vendor, r, 12);
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    unsigned fam = (a >> 8) & 0xf, mod = (a >> 4) & 0xf;
    if (fam == 0xf) fam += (a >> 20) & 0xff; /* display family and model, as /proc/cpuinfo shows them */
    if (fam == 0x6 || fam >= 0xf) mod |= ((a >> 16) & 0xf) << 4;
    p->family = (int)fam, p->model_num = (int)mod, p->stepping = (int)(a & 0xf);
    if ((c >> 31) & 1) { /* a hypervisor is present: its signature */
      unsigned h[4] = {0};
      __cpuid(0x40000000, a, h[0], h[1], h[2]);
      memcpy(p->hypervisor, h, 12);
      for (int i = 0; i < 12; i++)
        if (!isprint((unsigned char)p->hypervisor[i])) p->hypervisor[i] = 0;
      trim(p->hypervisor);
    }
  }
  if ((unsigned)__get_cpuid_max(0x80000000, NULL) >= 0x80000004u) {
    unsigned *m = (unsigned *)p->model;
    for (unsigned leaf = 0; leaf < 3; leaf++)
      __get_cpuid(0x80000002 + leaf, &m[4 * leaf], &m[4 * leaf + 1], &m[4 * leaf + 2], &m[4 * leaf + 3]);
    p->model[48] = 0;
    trim(p->model);
  }
  if ((unsigned)__get_cpuid_max(0x80000000, NULL) >= 0x80000007u && __get_cpuid(0x80000007, &a, &b, &c, &d))
    p->tsc_invariant = (d >> 8) & 1; /* constant rate, runs in C-states */
}

static uint32_t x86_features(void) {
  unsigned a, b, c, d;
  uint32_t f = 0;
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
  return f;
}

/* CPUID's deterministic cache parameters: leaf 4 (Intel) or 0x8000001D
 * (AMD, with topology extensions); the same register layout. */
static void x86_caches(nb_platform *p) {
  unsigned a = 0, b = 0, c = 0, d = 0, leaf = 0;
  if (!strcmp(p->vendor, "GenuineIntel") && (unsigned)__get_cpuid_max(0, NULL) >= 4) leaf = 4;
  if ((!strcmp(p->vendor, "AuthenticAMD") || !strcmp(p->vendor, "HygonGenuine")) &&
      (unsigned)__get_cpuid_max(0x80000000, NULL) >= 0x8000001Du) {
    if (__get_cpuid(0x80000001, &a, &b, &c, &d) && ((c >> 22) & 1)) leaf = 0x8000001D;
  }
  if (!leaf) return;
  for (unsigned i = 0; i < 16 && p->ncaches < NB_MAX_CACHES; i++) {
    __cpuid_count(leaf, i, a, b, c, d);
    unsigned type = a & 0x1f;
    if (type == 0) break;
    nb_cache_fact *k = &p->caches[p->ncaches++];
    k->level = (int)((a >> 5) & 7);
    snprintf(k->type, sizeof k->type, "%s", type == 1 ? "Data" : type == 2 ? "Instruction" : "Unified");
    k->size = (size_t)((b >> 22) + 1) * (((b >> 12) & 0x3ff) + 1) * ((b & 0xfff) + 1) * ((size_t)c + 1);
    k->num_sharing = (int)((a >> 14) & 0xfff) + 1;
    k->src = NB_SRC_CPUID;
  }
}
#endif

/* ---- caches ------------------------------------------------------------------- */

static size_t parse_size(const char *s) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end == 'K') v <<= 10;
  else if (*end == 'M') v <<= 20;
  else if (*end == 'G') v <<= 30;
  return (size_t)v;
}

/* shared_cpu_list like "0-1,4,6-7": the number of CPUs named */
static int count_cpus(const char *s) {
  int n = 0;
  while (*s) {
    char *end;
    long a = strtol(s, &end, 10), b = a;
    if (end == s) break;
    if (*end == '-') b = strtol(end + 1, &end, 10);
    n += (int)(b - a + 1);
    s = *end == ',' ? end + 1 : end;
  }
  return n;
}

static void sysfs_caches(nb_platform *p) {
  for (int i = 0; i < 16 && p->ncaches < NB_MAX_CACHES; i++) {
    char path[128], buf[64];
    nb_cache_fact c = {0};
#define CACHE_FILE(name) (snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/" name, i), path)
    if (sys_line(CACHE_FILE("level"), buf, sizeof buf)) break;
    c.level = atoi(buf);
    if (sys_line(CACHE_FILE("type"), c.type, sizeof c.type)) break;
    if (sys_line(CACHE_FILE("size"), buf, sizeof buf)) break;
    c.size = parse_size(buf);
    c.num_sharing = sys_line(CACHE_FILE("shared_cpu_list"), buf, sizeof buf) ? 1 : count_cpus(buf);
#undef CACHE_FILE
    c.src = NB_SRC_SYSFS;
    p->caches[p->ncaches++] = c;
  }
  p->have_sysfs_caches = p->ncaches > 0;
}

static void sysconf_caches(nb_platform *p) {
#ifdef _SC_LEVEL1_DCACHE_SIZE
  static const struct { int name, level; const char *type; } q[] = {
      {_SC_LEVEL1_DCACHE_SIZE, 1, "Data"},
      {_SC_LEVEL2_CACHE_SIZE, 2, "Unified"},
      {_SC_LEVEL3_CACHE_SIZE, 3, "Unified"},
  };
  for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
    long v = sysconf(q[i].name);
    if (v <= 0) continue;
    nb_cache_fact *c = &p->caches[p->ncaches++];
    c->level = q[i].level;
    snprintf(c->type, sizeof c->type, "%s", q[i].type);
    c->size = (size_t)v;
    c->num_sharing = 1;
    c->src = NB_SRC_SYSCONF;
  }
#else
  (void)p;
#endif
}

const nb_cache_fact *nb_platform_cache(const nb_platform *p, int level) {
  for (int i = 0; i < p->ncaches; i++)
    if (p->caches[i].level == level && strcmp(p->caches[i].type, "Instruction")) return &p->caches[i];
  return NULL;
}

/* Sizes a real cache hierarchy cannot have. A VM's CPUID may describe the
 * host's whole L3 (glibc reads 508 MiB on a 2-vCPU Zen 5 guest); sysfs,
 * where present, is the kernel's own view and is trusted more. */
static void check_caches(nb_platform *p) {
  size_t prev = 0;
  for (int level = 1; level <= 4; level++) {
    nb_cache_fact *c = (nb_cache_fact *)nb_platform_cache(p, level);
    if (!c) continue;
    if (c->size == 0 || c->size > ((size_t)4 << 30)) c->implausible = "size 0 or above 4 GiB";
    else if (c->size <= prev) c->implausible = "not larger than the level below";
    else if (level >= 3 && !p->have_sysfs_caches && c->size > ((size_t)8 << 20) * (size_t)(p->num_cpus > 0 ? p->num_cpus : 1))
      c->implausible = "above 8 MiB per CPU with no sysfs to confirm it";
    if (!c->implausible) prev = c->size;
  }
}

/* ---- emulation ------------------------------------------------------------------
 * Timings under an emulator say nothing about the target. First match wins:
 * a QEMU_* environment variable (qemu-user's QEMU_LD_PREFIX, QEMU_CPU... set
 * by binfmt setups and exe wrappers); a /proc/cpuinfo of another
 * architecture (qemu-user passes the host's file through); on x86, the TCG
 * signature of qemu-system. */
extern char **environ;

static const char *emulated(nb_platform *p) {
  FILE *f = sys_open("/proc/cpuinfo");
  int x86 = 0, arm = 0;
  if (f) {
    char line[512];
    while (fgets(line, sizeof line, f)) {
      x86 |= !strncmp(line, "vendor_id", 9);
      arm |= !strncmp(line, "CPU implementer", 15);
      if (!p->mhz && !strncmp(line, "cpu MHz", 7) && strchr(line, ':')) p->mhz = atof(strchr(line, ':') + 1);
    }
    fclose(f);
  }
  for (char **e = environ; *e; e++)
    if (!strncmp(*e, "QEMU_", 5)) return "a QEMU_* variable is set";
  if (f) {
#ifdef NB_X86
    if (arm && !x86) return "/proc/cpuinfo describes an ARM host";
#else
    if (x86) return "/proc/cpuinfo describes an x86 host";
#endif
  }
  if (!strcmp(p->hypervisor, "TCGTCGTCGTCG")) return "the CPU is QEMU's TCG emulator";
  return NULL;
}

/* ---- the machine id ---------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const char *s) {
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3u;
  return h;
}

/* lowercase, every run of other characters one '-', no '-' at either end */
static void slug(char *out, size_t n, const char *in) {
  size_t o = 0;
  for (; *in && o + 1 < n; in++) {
    if (isalnum((unsigned char)*in)) out[o++] = (char)tolower((unsigned char)*in);
    else if (o && out[o - 1] != '-') out[o++] = '-';
  }
  while (o && out[o - 1] == '-') o--;
  out[o] = 0;
}

/* <model>[-f<family>m<model>]-<widest feature>-<6 hex of a hash of vendor,
 * family, model and features>: the same on every machine of one kind (the
 * caches a VM reports may vary with its host, so they are left out), two
 * folders for two kinds that share a brand string (Zen 4 and Zen 5 are both
 * "AMD EPYC"). */
static void machine_id(nb_platform *p) {
  char m[64], fm[24] = "", feats[256] = "", top[24] = "none";
  slug(m, sizeof m, p->model);
  if (p->family >= 0) snprintf(fm, sizeof fm, "-f%dm%d", p->family, p->model_num);
  for (uint32_t bit = 1; bit; bit <<= 1)
    if ((p->features & bit) && nb_cpu_feature_name(bit)) {
      size_t l = strlen(feats);
      snprintf(feats + l, sizeof feats - l, " %s", nb_cpu_feature_name(bit));
      snprintf(top, sizeof top, "%s", nb_cpu_feature_name(bit));
    }
  char key[512];
  snprintf(key, sizeof key, "%s %d %d%s", p->vendor, p->family, p->model_num, feats);
  uint64_t h = fnv(0xcbf29ce484222325u, key);
  snprintf(p->id, sizeof p->id, "%s%s-%s-%06x", m[0] ? m : "unknown", fm, top, (unsigned)(h & 0xffffff));
}

/* What a wisdom file is tied to: a file measured with a feature hidden
 * does not describe the CPU with it visible, hence the usable features. */
static void signature(nb_platform *p) {
  char c[256] = "";
  size_t used = 0;
  for (int i = 0; i < p->ncaches && p->caches[i].src != NB_SRC_SYSCONF; i++) {
    const nb_cache_fact *k = &p->caches[i];
    const char *t = !strcmp(k->type, "Data") ? "d" : !strcmp(k->type, "Instruction") ? "i" : "";
    int w = snprintf(c + used, sizeof c - used, "%sL%d%s:%zuK", used ? "," : "", k->level, t, k->size >> 10);
    if (w < 0 || (size_t)w >= sizeof c - used) break;
    used += (size_t)w;
  }
  snprintf(p->signature, sizeof p->signature, "vendor=%s model=%s features=%08x caches=%s", p->vendor, p->model,
           (unsigned)p->features, used ? c : "unknown");
}

/* ---- once ------------------------------------------------------------------------- */

static nb_platform plat;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void disable(nb_platform *p) {
  const char *env = getenv("NORMBENCH_CPU_DISABLE");
  char buf[256];
  if (!env) return;
  snprintf(buf, sizeof buf, "%s", env);
  for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
    int known = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      if (strcmp(tok, names[i].name) == 0) p->features &= ~names[i].bit, known = 1;
    if (!known) { /* a typo would otherwise silently test nothing */
      char esc[64];
      nb_file_escape(esc, sizeof esc, tok);
      fprintf(stderr, "normbench: warning: NORMBENCH_CPU_DISABLE: unknown feature '%s' ignored\n", esc);
      size_t l = strlen(p->disable_unknown);
      snprintf(p->disable_unknown + l, sizeof p->disable_unknown - l, "%s%s", l ? "," : "", tok);
    }
  }
}

static void init(void) {
  nb_platform *p = &plat;
  p->family = p->model_num = p->stepping = -1;
  snprintf(p->vendor, sizeof p->vendor, "unknown");
  snprintf(p->model, sizeof p->model, "unknown");
  long n = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  p->num_cpus = n > 0 ? (int)n : 1;
  p->phys_mem = pages > 0 && psz > 0 ? (size_t)pages * (size_t)psz : 0;
#ifdef NB_X86
  p->arch = "x86_64";
  x86_identity(p);
  p->features_detected = x86_features();
#elif defined(__aarch64__)
  p->arch = "aarch64";
  snprintf(p->model, sizeof p->model, "aarch64");
  char midr[24];
  if (!sys_line("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1", midr, sizeof midr))
    snprintf(p->vendor, sizeof p->vendor, "midr=%s", midr);
  /* The kernel's bit numbers (asm/hwcap.h), named by glibc's <sys/auxv.h>. */
  unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  if (hw & HWCAP_ASIMD) p->features_detected |= NB_CPU_NEON;
  if (hw & HWCAP_ASIMDHP) p->features_detected |= NB_CPU_ASIMDHP;
  if (hw & HWCAP_SVE) p->features_detected |= NB_CPU_SVE;
  if (hw2 & HWCAP2_BF16) p->features_detected |= NB_CPU_ARM_BF16;
#else
  p->arch = "other";
#endif
  p->features = p->features_detected;
  disable(p);
  sysfs_caches(p);
#ifdef NB_X86
  if (!p->ncaches) x86_caches(p);
#endif
  if (!p->ncaches) sysconf_caches(p);
  check_caches(p);
  sys_line("/sys/devices/system/clocksource/clocksource0/current_clocksource", p->clocksource,
           sizeof p->clocksource);
  p->emulated = emulated(p);
  machine_id(p);
  signature(p);
}

const nb_platform *nb_platform_get(void) {
  pthread_once(&once, init);
  return &plat;
}

uint32_t nb_cpu_features(void) { return nb_platform_get()->features; }

const char *nb_cpu_model(void) { return nb_platform_get()->model; }

const char *nb_cpu_signature(void) { return nb_platform_get()->signature; }
