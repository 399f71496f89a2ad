#include "bench.h"

#include "nb_build.h"
#include "nb_git.h"
#include "normbench.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- machine -------------------------------------------------------------- */

size_t nb_latency_curve(size_t max_bytes, size_t *sizes, double *ns, size_t cap) {
  enum { LINE = 64 };
  size_t lines_max = max_bytes / LINE, n = 0;
  char *buf = nb_buffer(max_bytes);
  size_t *order = malloc(lines_max * sizeof *order);
  if (!buf || !order) {
    free(buf);
    free(order);
    return 0;
  }
#ifdef MADV_HUGEPAGE
  madvise(buf, max_bytes, MADV_HUGEPAGE); /* fewer TLB misses: they would look like a cache level */
#endif
  uint64_t rng = 0x9e3779b97f4a7c15u;
  for (size_t k = 0; n < cap; k++) {
    /* 8 KiB * 2^(k/2) up to 8 MiB, then powers of two (a large cycle costs
     * more to build than to time), whole lines */
    size_t s = (size_t)((8 << 10) * pow(2, k <= 20 ? k / 2.0 : k - 10.0)) / LINE * LINE, lines = s / LINE;
    if (s > max_bytes) break;
    /* one cycle through every line of the first s bytes in random order, so
     * that neither the prefetchers nor the line's neighbours help */
    for (size_t i = 0; i < lines; i++) order[i] = i;
    for (size_t i = lines - 1; i > 0; i--) {
      rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
      size_t j = (size_t)(rng % (i + 1)), t = order[i];
      order[i] = order[j], order[j] = t;
    }
    for (size_t i = 0; i < lines; i++) *(void **)(buf + order[i] * LINE) = buf + order[(i + 1) % lines] * LINE;
    void *q = buf + order[0] * LINE;
    for (size_t i = 0; i < lines && i < (1u << 16); i++) q = *(void **)q; /* warm */
    double best = INFINITY;
    for (int t = 0; t < 3; t++) { /* best of three: noise only slows */
      size_t steps = 0;
      uint64_t t0 = nb_gettime_ns(), t1;
      do {
        for (int i = 0; i < 4096; i++) q = *(void **)q;
        steps += 4096;
        t1 = nb_gettime_ns();
      } while (t1 - t0 < 2000000u); /* 2 ms */
      double v = (double)(t1 - t0) / (double)steps;
      if (v < best) best = v;
    }
    nb_clobber(q);
    sizes[n] = s, ns[n] = best, n++;
  }
  free(order);
  free(buf);
  return n;
}

/* Latency at the largest probed size <= s (below), or the smallest >= s
 * (above); -1 when the curve does not reach it. */
static double lat_at(const size_t *sz, const double *ns, size_t n, size_t s, int above) {
  double v = -1;
  for (size_t i = 0; i < n; i++) {
    if (!above && sz[i] <= s) v = ns[i];
    if (above && sz[i] >= s) return ns[i];
  }
  return v;
}

/* The size a level appears to have on the curve: from twice the level
 * below on, the largest size whose load latency stays within 1.4x of where
 * the level starts. The LLC: the largest size still under 0.4x of the
 * latency at the largest size (memory). */
static size_t measured_size(const size_t *sz, const double *ns, size_t n, size_t below, int is_llc) {
  size_t i = 0, last = 0;
  if (is_llc) {
    for (i = 0; i < n; i++)
      if (sz[i] > below && ns[i] <= 0.4 * ns[n - 1]) last = sz[i];
    return last;
  }
  while (i < n && sz[i] < 2 * below) i++;
  for (double ref = i < n ? ns[i] : 0; i < n && ns[i] <= 1.4 * ref; i++) last = sz[i];
  return last;
}

int nb_parse_bytes(const char *s, size_t *out) {
  char *end;
  if (!s || *s < '0' || *s > '9') return -1;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s) return -1;
  int shift = 0;
  if (*end == 'K' || *end == 'k') shift = 10;
  else if (*end == 'M' || *end == 'm') shift = 20;
  else if (*end == 'G' || *end == 'g') shift = 30;
  if (shift) end += (end[1] == 'i' && (end[2] == 'B' || end[2] == 'b')) ? 3 : (end[1] == 'B' || end[1] == 'b') ? 2 : 1;
  if (*end || v > ((1ull << 40) >> shift)) return -1;
  *out = (size_t)(v << shift);
  return 0;
}

int nb_parse_caches(const char *s, size_t size[5]) {
  char buf[256];
  memset(size, 0, 5 * sizeof *size);
  if (!s || !*s || strlen(s) >= sizeof buf) return -1;
  strcpy(buf, s);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if ((tok[0] != 'L' && tok[0] != 'l') || tok[1] < '1' || tok[1] > '4' || tok[2] != '=') return -1;
    size_t v;
    if (nb_parse_bytes(tok + 3, &v) || v == 0) return -1;
    size[tok[1] - '0'] = v;
  }
  return 0;
}

static void set_note(nb_cache *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_note(nb_cache *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->note, sizeof c->note, fmt, ap);
  va_end(ap);
}

/* The platform's caches, overridden or checked against the probe. */
static int machine_caches(nb_machine *m, const char *override, char *why, size_t why_len) {
  const nb_platform *p = nb_platform_get();
  size_t want[5] = {0};
  const char *ov = override ? override : getenv("NORMBENCH_CACHES");
  if (ov && nb_parse_caches(ov, want)) {
    snprintf(why, why_len, "%s: '%s' is not like L1=48K,L2=1M,L3=32M", override ? "--caches" : "NORMBENCH_CACHES", ov);
    return -1;
  }
  for (int i = 0; i < p->ncaches; i++) {
    const nb_cache_fact *f = &p->caches[i];
    nb_cache *c = &m->caches[m->ncaches++];
    c->level = f->level;
    snprintf(c->type, sizeof c->type, "%s", f->type);
    c->size = c->reported = f->size;
    c->src = c->reported_src = f->src;
    c->num_sharing = f->num_sharing;
    if (f->implausible) set_note(c, "%s", f->implausible);
  }
  for (int level = 1; level <= 4; level++) { /* an override may name a level nothing reported */
    int found = 0;
    for (int i = 0; i < m->ncaches; i++) found |= m->caches[i].level == level && strcmp(m->caches[i].type, "Instruction");
    if (!found && want[level] && m->ncaches < NB_MAX_CACHES) {
      nb_cache *c = &m->caches[m->ncaches++];
      c->level = level, c->num_sharing = 1;
      snprintf(c->type, sizeof c->type, "%s", level == 1 ? "Data" : "Unified");
    }
  }
  /* the probe: only when some level is not overridden, never under emulation */
  size_t sz[64], n = 0;
  double lat[64];
  int need_probe = 0;
  for (int i = 0; i < m->ncaches; i++) need_probe |= strcmp(m->caches[i].type, "Instruction") && !want[m->caches[i].level];
  if (need_probe && !p->emulated) {
    size_t cap = (size_t)128 << 20;
    if (p->phys_mem && cap > p->phys_mem / 8) cap = p->phys_mem / 8;
    n = nb_latency_curve(cap, sz, lat, 64);
  }
  size_t below = 0;
  int top = 0;
  for (int i = 0; i < m->ncaches; i++)
    if (strcmp(m->caches[i].type, "Instruction") && m->caches[i].level > top) top = m->caches[i].level;
  for (int level = 1; level <= 4; level++)
    for (int i = 0; i < m->ncaches; i++) {
      nb_cache *c = &m->caches[i];
      if (c->level != level || !strcmp(c->type, "Instruction")) continue;
      if (want[level]) {
        c->size = want[level], c->src = NB_SRC_OVERRIDE;
      } else if (n >= 4) {
        /* a level's size C is plausible when a load from 4C takes clearly
         * longer than one from C/2 */
        double in = lat_at(sz, lat, n, c->reported / 2, 0), out = lat_at(sz, lat, n, 4 * c->reported, 1);
        if (out < 0 && 2 * c->reported <= sz[n - 1]) out = lat[n - 1];
        int bad = c->note[0] != 0; /* the platform's rules already refused it */
        if (!bad && in > 0 && out > 0 && out < 1.5 * in)
          bad = 1, set_note(c, "a load takes %.1f ns at half of it and %.1f ns at 4x", in, out);
        else if (!bad && out < 0)
          set_note(c, "beyond the probe's %zu MiB: not checked", sz[n - 1] >> 20);
        size_t meas = bad ? measured_size(sz, lat, n, below, level == top) : 0;
        if (meas > below) c->size = meas, c->src = NB_SRC_MEASURED;
        else if (bad) c->size = 0; /* nothing measured either: the defaults below */
      } else if (c->note[0]) {
        c->size = 0; /* implausible and nothing measured: the defaults below */
      }
      if (c->size) below = c->size;
    }
  /* a level that nothing usable describes gets a common size (said in the
   * metadata), above the level below */
  static const size_t common[5] = {0, 32 << 10, 1 << 20, 8 << 20, 64 << 20};
  below = 0;
  for (int level = 1; level <= 4; level++)
    for (int i = 0; i < m->ncaches; i++) {
      nb_cache *c = &m->caches[i];
      if (c->level != level || !strcmp(c->type, "Instruction")) continue;
      if (!c->size) c->size = common[level] > below ? common[level] : 2 * below, c->src = NB_SRC_DEFAULT;
      below = c->size;
      if (level == 1) m->l1d = c->size;
      if (level == 2) m->l2 = c->size;
      if (level >= 2 && c->size > m->llc) m->llc = c->size;
    }
  if (!m->l1d) m->l1d = common[1];
  if (!m->l2) m->l2 = common[2] > m->l1d ? common[2] : 2 * m->l1d;
  if (!m->llc) m->llc = common[3] > m->l2 ? common[3] : m->l2;
  return 0;
}

/* Memory-bound: at least 4x the LLC (so the LLC holds a quarter of the data
 * at most) and 256 MiB, at most 1 GiB and a quarter of physical memory. */
static void machine_mem(nb_machine *m) {
  size_t phys = nb_platform_get()->phys_mem, v = 4 * m->llc;
  const char *why = "4 x LLC";
  if (v < ((size_t)256 << 20)) v = (size_t)256 << 20, why = "the 256 MiB minimum; 4 x LLC is less";
  if (v > ((size_t)1 << 30)) v = (size_t)1 << 30, why = "the 1 GiB maximum; 4 x LLC is more";
  if (phys && v > phys / 4) v = phys / 4, why = "a quarter of physical memory";
  m->mem = v;
  snprintf(m->mem_why, sizeof m->mem_why, "%s", why);
}

int nb_machine_get(nb_machine *m, const char *caches, char *why, size_t why_len) {
  const nb_platform *p = nb_platform_get();
  memset(m, 0, sizeof *m);
  snprintf(m->cpu_model, sizeof m->cpu_model, "%s", p->model);
  snprintf(m->id, sizeof m->id, "%s", p->id);
  for (uint32_t bit = 1; bit; bit <<= 1)
    if ((p->features & bit) && nb_cpu_feature_name(bit)) {
      size_t l = strlen(m->features);
      snprintf(m->features + l, sizeof m->features - l, "%s%s", l ? " " : "", nb_cpu_feature_name(bit));
    }
  if (machine_caches(m, caches, why, why_len)) return -1;
  machine_mem(m);
  m->emulated = p->emulated;
  if (gethostname(m->host, sizeof m->host)) snprintf(m->host, sizeof m->host, "unknown");
  m->host[sizeof m->host - 1] = 0;
  time_t now = time(NULL);
  struct tm tm;
  strftime(m->date, sizeof m->date, "%Y-%m-%dT%H:%M:%S%z", localtime_r(&now, &tm));
  m->have_load_avg = nb_platform_loadavg(m->load_avg) == 0;
  m->cpu_scaling = nb_platform_cpu_scaling();
  m->num_cpus = p->num_cpus;
  m->clock = nb_clock_init();
  m->mhz = p->mhz;
  if (m->mhz == 0 && m->clock->kind != NB_CLK_GETTIME) m->mhz = 1e3 / m->clock->ns_per_tick;
  m->compiler = NB_COMPILER;
  m->cflags = NB_CFLAGS;
  m->build_type = NB_BUILD_TYPE;
  m->git = NB_GIT;
  m->pinned_cpu = -1;
  return 0;
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
  if (strncmp(s, "rows:", 5)) return !nb_parse_bytes(s, &ws->bytes) && ws->bytes >= 256 ? 0 : -1;
  if (s[5] < '0' || s[5] > '9') return -1;
  unsigned long long v = strtoull(s + 5, &end, 10);
  if (*end || v == 0 || v > (1ull << 40)) return -1;
  return ws->kind = NB_WS_ROWS, ws->rows = (size_t)v, 0;
}

const char *nb_ws_describe(nb_ws_kind kind) {
  switch (kind) {
  case NB_WS_L1: return "x + y fill half of L1d";
  case NB_WS_L2: return "x + y fill half of L2 (cache-resident)";
  case NB_WS_LLC: return "x + y fill half of the last-level cache";
  case NB_WS_MEM: return "x + y fill 4x the last-level cache, at least 256 MiB, at most 1 GiB and a quarter of RAM (memory-bound)";
  case NB_WS_BYTES: return "x + y fill the bytes given";
  case NB_WS_DECODE: return "1 row per call, the same row each call: x, y, g and b stay hot in L1";
  case NB_WS_BATCH: return "64 rows per call, the same rows each call (in cache where they fit)";
  case NB_WS_PREFILL: return "as many rows as fill x + y = mem's bytes, streamed from memory";
  case NB_WS_ROWS: return "N rows per call, the same rows each call";
  }
  return "?";
}

size_t nb_ws_bytes(nb_ws ws, const nb_machine *m) {
  switch (ws.kind) {
  case NB_WS_L1: return m->l1d / 2;
  case NB_WS_L2: return m->l2 / 2;
  case NB_WS_LLC: return m->llc / 2;
  case NB_WS_MEM: case NB_WS_PREFILL: return m->mem;
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

/* steal ticks of the CPU this thread runs on (pinned) */
static unsigned long long steal(void) { return nb_platform_steal(sched_getcpu()); }

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

void nb_sample_retaking(nb_work_fn *fn, void *ctx, size_t iterations, double *ns, double *cpu_ns, unsigned *retaken,
                        unsigned *disturbed) {
  for (unsigned tries = 0; nb_sample(fn, ctx, iterations, ns, cpu_ns); tries++) {
    if (tries == 3 || *ns * (double)iterations > NB_RETAKE_MAX_NS) {
      ++*disturbed;
      return;
    }
    ++*retaken;
  }
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
  r->iterations = o->iterations ? o->iterations : nb_calibrate_iterations(fn, ctx, o->min_time);
  for (int attempt = 0; attempt < 2; attempt++) {
    double ns, cpu;
    r->disturbed = 0;
    nb_sample(fn, ctx, r->iterations, &ns, &cpu); /* warm-up at full length */
    for (unsigned i = 0; i < r->repetitions; i++) {
      /* a disturbed sample is taken again, a bounded number of times: on a
       * machine that is never quiet the result is kept and flagged below */
      nb_sample_retaking(fn, ctx, r->iterations, &r->ns[i], &r->cpu_ns[i], &r->retaken, &r->disturbed);
    }
    r->st = nb_stats_of(r->ns, r->repetitions);
    r->noisy = r->st.cv > NB_NOISY_CV || r->st.mad_pct > NB_NOISY_MAD_PCT;
    if (!r->noisy) break;
    if (attempt == 0) r->reruns++;
  }
  return 0;
}
