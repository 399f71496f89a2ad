#include "bench.h"

#include "nb_build.h"
#include "nb_git.h"
#include "normbench.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- machine -------------------------------------------------------------- */

static int read_line(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char *ok = fgets(buf, (int)n, f);
  fclose(f);
  if (!ok) return -1;
  buf[strcspn(buf, "\n")] = 0;
  return 0;
}

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

static void read_caches(nb_machine *m) {
  for (int i = 0; i < 8; i++) {
    char p[128], buf[64];
    nb_cache c = {0};
    snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
    if (read_line(p, buf, sizeof buf)) break;
    c.level = atoi(buf);
    snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
    if (read_line(p, c.type, sizeof c.type)) break;
    snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    if (read_line(p, buf, sizeof buf)) break;
    c.size = parse_size(buf);
    snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list", i);
    c.num_sharing = read_line(p, buf, sizeof buf) ? 1 : count_cpus(buf);
    m->caches[m->ncaches++] = c;
    if (strcmp(c.type, "Instruction") == 0) continue;
    if (c.level == 1) m->l1d = c.size;
    if (c.level == 2) m->l2 = c.size;
    if (c.level >= 2 && c.size > m->llc) m->llc = c.size;
  }
#ifdef _SC_LEVEL1_DCACHE_SIZE
  if (!m->l1d) m->l1d = (size_t)(sysconf(_SC_LEVEL1_DCACHE_SIZE) > 0 ? sysconf(_SC_LEVEL1_DCACHE_SIZE) : 0);
  if (!m->l2) m->l2 = (size_t)(sysconf(_SC_LEVEL2_CACHE_SIZE) > 0 ? sysconf(_SC_LEVEL2_CACHE_SIZE) : 0);
  if (!m->llc) m->llc = (size_t)(sysconf(_SC_LEVEL3_CACHE_SIZE) > 0 ? sysconf(_SC_LEVEL3_CACHE_SIZE) : 0);
#endif
  /* a machine that reports nothing gets common sizes, said in the metadata */
  if (!m->l1d) m->l1d = 32 << 10;
  if (!m->l2) m->l2 = 1 << 20;
  if (!m->llc) m->llc = m->l2 > (8u << 20) ? m->l2 : 8u << 20;
}

void nb_machine_get(nb_machine *m) {
  memset(m, 0, sizeof *m);
  snprintf(m->cpu_model, sizeof m->cpu_model, "%s", nb_cpu_model());
  uint32_t f = nb_cpu_features();
  for (uint32_t bit = 1; bit; bit <<= 1)
    if ((f & bit) && nb_cpu_feature_name(bit)) {
      size_t l = strlen(m->features);
      snprintf(m->features + l, sizeof m->features - l, "%s%s", l ? " " : "", nb_cpu_feature_name(bit));
    }
  read_caches(m);
  if (gethostname(m->host, sizeof m->host)) snprintf(m->host, sizeof m->host, "unknown");
  m->host[sizeof m->host - 1] = 0;
  time_t now = time(NULL);
  struct tm tm;
  strftime(m->date, sizeof m->date, "%Y-%m-%dT%H:%M:%S%z", localtime_r(&now, &tm));
  m->num_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
  m->clock = nb_clock_init();
  FILE *ci = fopen("/proc/cpuinfo", "r");
  char line[256];
  while (ci && fgets(line, sizeof line, ci))
    if (strncmp(line, "cpu MHz", 7) == 0 && strchr(line, ':')) {
      m->mhz = atof(strchr(line, ':') + 1);
      break;
    }
  if (ci) fclose(ci);
  if (m->mhz == 0 && m->clock->kind != NB_CLK_GETTIME) m->mhz = 1e3 / m->clock->ns_per_tick;
  m->compiler = NB_COMPILER;
  m->cflags = NB_CFLAGS;
  m->build_type = NB_BUILD_TYPE;
  m->git = NB_GIT;
  m->pinned_cpu = -1;
}

/* ---- working sets ------------------------------------------------------------ */

static const char *ws_names[] = {"l1", "l2", "llc", "mem", "", "decode", "batch", "prefill"};

const char *nb_ws_name(nb_ws ws) {
  static _Thread_local char buf[32];
  if (ws.kind == NB_WS_BYTES) snprintf(buf, sizeof buf, "%zu", ws.bytes);
  else if (ws.kind == NB_WS_ROWS) snprintf(buf, sizeof buf, "rows:%zu", ws.rows);
  else return ws_names[ws.kind];
  return buf;
}

int nb_ws_parse(const char *s, nb_ws *ws) {
  char *end;
  *ws = (nb_ws){NB_WS_BYTES, 0, 0};
  for (int i = 0; i < (int)(sizeof ws_names / sizeof ws_names[0]); i++)
    if (*ws_names[i] && !strcmp(s, ws_names[i])) return ws->kind = (nb_ws_kind)i, 0;
  int rows = !strncmp(s, "rows:", 5);
  const char *num = rows ? s + 5 : s;
  if (*num < '0' || *num > '9') return -1;
  unsigned long long v = strtoull(num, &end, 10);
  if (*end || v > (1ull << 40)) return -1;
  if (rows) return v ? (ws->kind = NB_WS_ROWS, ws->rows = (size_t)v, 0) : -1;
  return v >= 256 ? (ws->bytes = (size_t)v, 0) : -1;
}

const char *nb_ws_describe(nb_ws_kind kind) {
  switch (kind) {
  case NB_WS_L1: return "x + y fill half of L1d";
  case NB_WS_L2: return "x + y fill half of L2 (cache-resident)";
  case NB_WS_LLC: return "x + y fill half of the last-level cache";
  case NB_WS_MEM: return "x + y fill 4x the last-level cache (memory-bound)";
  case NB_WS_BYTES: return "x + y fill the bytes given";
  case NB_WS_DECODE: return "1 row per call, the same row each call: x, y, g and b stay hot in L1";
  case NB_WS_BATCH: return "64 rows per call, the same rows each call (in cache where they fit)";
  case NB_WS_PREFILL: return "as many rows as fill x + y = 4x the last-level cache, streamed from memory";
  case NB_WS_ROWS: return "N rows per call, the same rows each call";
  }
  return "?";
}

size_t nb_ws_bytes(nb_ws ws, const nb_machine *m) {
  switch (ws.kind) {
  case NB_WS_L1: return m->l1d / 2;
  case NB_WS_L2: return m->l2 / 2;
  case NB_WS_LLC: return m->llc / 2;
  case NB_WS_MEM: case NB_WS_PREFILL: return 4 * m->llc;
  case NB_WS_BYTES: return ws.bytes;
  default: return 0;
  }
}

size_t nb_ws_rows(size_t bytes, size_t d, size_t sz) {
  size_t r = bytes / (2 * d * sz);
  return r ? r : 1;
}

void *nb_buffer(size_t bytes) {
  size_t n = (bytes + 63) / 64 * 64;
  char *p = aligned_alloc(64, n ? n : 64);
  if (p) memset(p, 0, n);
  return p;
}

/* ---- sampling ------------------------------------------------------------------ */

static double now_cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static long ivcsw(void) {
  struct rusage u;
  return getrusage(RUSAGE_THREAD, &u) ? 0 : u.ru_nivcsw;
}

/* steal ticks of the CPU this thread runs on (pinned), from /proc/stat */
static unsigned long long steal(void) {
  int cpu = sched_getcpu();
  char want[16], line[512];
  snprintf(want, sizeof want, "cpu%d ", cpu);
  FILE *f = fopen("/proc/stat", "r");
  unsigned long long s = 0, v[8];
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, want, strlen(want)) == 0) {
      if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                 &v[3], &v[4], &v[5], &v[6], &v[7]) == 8)
        s = v[7];
      break;
    }
  if (f) fclose(f);
  return s;
}

int nb_sample(nb_work_fn *fn, void *ctx, size_t iterations, double *ns, double *cpu_ns) {
  const nb_clock *c = nb_clock_init();
  long cs0 = ivcsw();
  unsigned long long st0 = steal();
  double c0 = now_cpu_ns();
  uint64_t t0 = nb_tick_start(c->kind);
  for (size_t i = 0; i < iterations; i++) {
    fn(ctx);
    nb_clobber(ctx);
  }
  uint64_t t1 = nb_tick_stop(c->kind);
  double c1 = now_cpu_ns();
  long cs1 = ivcsw();
  unsigned long long st1 = steal();
  double real = (double)(t1 - t0) * c->ns_per_tick - c->overhead_ns;
  *ns = real / (double)iterations;
  *cpu_ns = (c1 - c0) / (double)iterations;
  return cs1 != cs0 || st1 != st0;
}

size_t nb_calibrate_iterations(nb_work_fn *fn, void *ctx, double min_time) {
  const nb_clock *c = nb_clock_init();
  double floor_ns = 1000 * fmax(c->resolution_ns, c->overhead_ns);
  double target = fmax(min_time * 1e9, floor_ns);
  size_t it = 1;
  fn(ctx);
  for (;;) {
    double ns, cpu;
    nb_sample(fn, ctx, it, &ns, &cpu);
    double total = ns * (double)it;
    if (total >= target) return it;
    double grow = total > 0 ? 1.2 * target / total : 10;
    size_t next = (size_t)ceil((double)it * fmin(grow, 10));
    it = next > it ? next : it + 1;
  }
}

void nb_result_free(nb_result *r) {
  free(r->ns);
  free(r->cpu_ns);
  r->ns = r->cpu_ns = NULL;
}

int nb_measure(nb_work_fn *fn, void *ctx, const nb_measure_opts *o, nb_result *r) {
  memset(r, 0, sizeof *r);
  r->repetitions = o->repetitions ? o->repetitions : 15;
  r->ns = malloc(r->repetitions * sizeof *r->ns);
  r->cpu_ns = malloc(r->repetitions * sizeof *r->cpu_ns);
  if (!r->ns || !r->cpu_ns) {
    nb_result_free(r);
    return -1;
  }
  r->iterations = nb_calibrate_iterations(fn, ctx, o->min_time);
  for (int attempt = 0; attempt < 2; attempt++) {
    double ns, cpu;
    r->disturbed = 0;
    nb_sample(fn, ctx, r->iterations, &ns, &cpu); /* warm-up at full length */
    for (unsigned i = 0; i < r->repetitions; i++) {
      /* a disturbed sample is taken again, a bounded number of times: on a
       * machine that is never quiet the result is kept and flagged below */
      for (unsigned tries = 0; nb_sample(fn, ctx, r->iterations, &r->ns[i], &r->cpu_ns[i]); tries++) {
        if (tries == 3) {
          r->disturbed++;
          break;
        }
        r->retaken++;
      }
    }
    r->st = nb_stats_of(r->ns, r->repetitions);
    r->noisy = r->st.cv > NB_NOISY_CV || r->st.mad_pct > NB_NOISY_MAD_PCT;
    if (!r->noisy) break;
    if (attempt == 0) r->reruns++;
  }
  return 0;
}
