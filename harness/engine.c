#include "engine.h"

#include <fnmatch.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define PAUSE() _mm_pause()
#else
#define PAUSE() ((void)0)
#endif

/* ---- helpers every command shares ------------------------------------------ */

float nb_storage_get(nb_dtype dt, const void *p, size_t i) {
  if (dt == NB_F32) return ((const float *)p)[i];
  uint16_t h = ((const uint16_t *)p)[i];
  return dt == NB_F16 ? nb_f16_to_f32(h) : nb_bf16_to_f32(h);
}

void nb_storage_set(nb_dtype dt, void *p, size_t i, float v) {
  if (dt == NB_F32)
    ((float *)p)[i] = v;
  else
    ((uint16_t *)p)[i] = dt == NB_F16 ? nb_f32_to_f16(v) : nb_f32_to_bf16(v);
}

void nb_pack(nb_dtype dt, const float *src, void *dst, size_t n) {
  if (dt == NB_F32 && n) memcpy(dst, src, n * sizeof *src);
  else
    for (size_t i = 0; i < n; i++) nb_storage_set(dt, dst, i, src[i]);
}

void nb_unpack(nb_dtype dt, const void *src, float *dst, size_t n) {
  if (dt == NB_F32 && n) memcpy(dst, src, n * sizeof *dst);
  else
    for (size_t i = 0; i < n; i++) dst[i] = nb_storage_get(dt, src, i);
}

size_t nb_select(const char *glob, unsigned ops, unsigned dts, const nb_kernel **out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < nb_kernel_count() && n < max; i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if ((glob && fnmatch(glob, k->name, 0)) || (ops && !(ops >> k->op & 1)) || (dts && !(dts >> k->dtype & 1)) ||
        !nb_kernel_runs_here(k))
      continue;
    out[n++] = k;
  }
  return n;
}

size_t nb_ws_rows_at(nb_ws ws, const nb_machine *m, size_t d, size_t sz) {
  switch (ws.kind) {
  case NB_WS_DECODE: return 1;
  case NB_WS_BATCH: return NB_BATCH_ROWS;
  case NB_WS_ROWS: return ws.rows;
  default: return nb_ws_rows(nb_ws_bytes(ws, m), d, sz);
  }
}

/* ---- threads ------------------------------------------------------------------ */

#define MAX_THREADS 64

typedef void part_fn(void *ctx, unsigned i, unsigned n);

struct nb_team {
  unsigned n;
  pthread_t th[MAX_THREADS];
  _Atomic unsigned go, done;
  _Atomic int stop;
  part_fn *fn;
  void *ctx;
  int cpu0, ncpu;
};

/* Spin, then yield: a worker between calls must answer within the call's
 * time, yet must not starve the other developers' processes for long. */
static void wait_while(_Atomic unsigned *v, unsigned x, int below) {
  for (unsigned spins = 0; below ? atomic_load(v) < x : atomic_load(v) == x; spins++) {
    if (spins < (1u << 16))
      PAUSE();
    else
      sched_yield();
  }
}

typedef struct {
  nb_team *t;
  unsigned i;
} worker_arg;

static void *worker(void *p) {
  worker_arg a = *(worker_arg *)p;
  free(p);
  nb_team *t = a.t;
  nb_pin_thread((t->cpu0 + (int)a.i) % t->ncpu);
  unsigned seen = 0;
  for (;;) {
    wait_while(&t->go, seen, 0);
    seen = atomic_load(&t->go);
    if (atomic_load(&t->stop)) return NULL;
    t->fn(t->ctx, a.i, t->n);
    atomic_fetch_add(&t->done, 1);
  }
}

static void team_free(nb_team *t, unsigned started) {
  atomic_store(&t->stop, 1);
  atomic_fetch_add(&t->go, 1);
  for (unsigned i = 1; i < started; i++) pthread_join(t->th[i], NULL);
  free(t);
}

static nb_team *team_new(unsigned n) {
  nb_team *t = calloc(1, sizeof *t);
  if (!t || n > MAX_THREADS) return free(t), NULL;
  t->n = n;
  t->cpu0 = sched_getcpu() < 0 ? 0 : sched_getcpu();
  t->ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (t->ncpu < 1) t->ncpu = 1;
  for (unsigned i = 1; i < n; i++) {
    worker_arg *a = malloc(sizeof *a);
    if (a) *a = (worker_arg){t, i};
    if (!a || pthread_create(&t->th[i], NULL, worker, a)) {
      free(a);
      team_free(t, i);
      return NULL;
    }
  }
  return t;
}

static void team_run(nb_team *t, part_fn *fn, void *ctx) {
  t->fn = fn;
  t->ctx = ctx;
  atomic_store(&t->done, 0);
  atomic_fetch_add(&t->go, 1);
  fn(ctx, 0, t->n);
  wait_while(&t->done, t->n - 1, 1);
}

/* ---- workloads ------------------------------------------------------------------ */

static float val(uint32_t *s, float lo, float span) {
  *s = *s * 1664525u + 1013904223u;
  return lo + span * (float)(*s >> 8) * 0x1p-24f;
}

/* Deterministic contents, packed once into the workload's dtype. */
static void fill(nb_workload *w) {
  uint32_t s = 12345;
  float buf[4096];
  size_t n = w->rows * w->d, sz = nb_dtype_size(w->dtype);
  for (size_t i = 0; i < n; i += 4096) {
    size_t m = n - i < 4096 ? n - i : 4096;
    for (size_t j = 0; j < m; j++) buf[j] = val(&s, -1.5f, 4);
    nb_pack(w->dtype, buf, (char *)w->x + i * sz, m);
  }
  for (size_t i = 0; i < w->d; i += 4096) {
    size_t m = w->d - i < 4096 ? w->d - i : 4096;
    for (size_t j = 0; j < m; j++) buf[j] = val(&s, 0.5f, 1);
    nb_pack(w->dtype, buf, (char *)w->g + i * sz, m);
    for (size_t j = 0; j < m; j++) buf[j] = val(&s, -0.25f, 0.5f);
    nb_pack(w->dtype, buf, (char *)w->b + i * sz, m);
  }
}

int nb_workload_init(nb_workload *w, nb_op op, nb_dtype dt, size_t d, size_t rows, nb_ws ws, unsigned threads) {
  memset(w, 0, sizeof *w);
  size_t sz = nb_dtype_size(dt);
  *w = (nb_workload){.op = op, .dtype = dt, .d = d, .rows = rows, .ws = ws, .eps = 1e-5f,
                     .threads = threads ? threads : 1};
  if (d == 0 || rows == 0 || rows > ((size_t)1 << 40) / d / sz) return -1;
  w->x = nb_buffer(rows * d * sz);
  w->y = nb_buffer(rows * d * sz);
  w->g = nb_buffer(d * sz);
  w->b = nb_buffer(d * sz);
  w->scale = nb_buffer(rows * sizeof(float));
  if (w->threads > 1 && !(w->team = team_new(w->threads))) goto fail;
  if (!w->x || !w->y || !w->g || !w->b || !w->scale) goto fail;
  fill(w);
  return 0;
fail:
  nb_workload_free(w);
  return -1;
}

/* AddRMSNorm writes r = x + residual over the residual on every call. Each
 * residual value is +-[2^(p+3), 2^(p+4)) (p: the dtype's precision), whose
 * half-ulp, 8, exceeds every |x| (< 2.5): r rounds back to the residual bit
 * for bit, so every timed call sees the same values and nothing grows. */
static int need_res(const nb_kernel *k, nb_workload *w) {
  if (k->op != NB_ADDRMSNORM || w->res) return 0;
  size_t n = w->rows * w->d;
  if (!(w->res = nb_buffer(n * nb_dtype_size(w->dtype)))) return -1;
  int p = w->dtype == NB_F32 ? 24 : w->dtype == NB_F16 ? 11 : 8;
  uint32_t s = 6789;
  for (size_t i = 0; i < n; i++) {
    float v = ldexpf(val(&s, 1, 1), p + 3);
    nb_storage_set(w->dtype, w->res, i, i % 2 ? -v : v);
  }
  return 0;
}

/* The b a kernel is given for rows from r0 on, x's offset off (bytes). */
static const void *b_arg(const nb_kernel *k, const nb_workload *w, size_t off, size_t r0) {
  if (k->op == NB_RMSNORM_I8) return w->scale + r0;
  return k->op == NB_LAYERNORM ? w->b : k->op == NB_ADDRMSNORM ? (const char *)w->res + off : NULL;
}

void nb_workload_free(nb_workload *w) {
  if (w->team) team_free(w->team, w->team->n);
  free(w->x), free(w->y), free(w->g), free(w->b), free(w->res), free(w->scale);
  memset(w, 0, sizeof *w);
}

double nb_workload_bytes(const nb_workload *w, const nb_kernel *k) {
  size_t sz = nb_dtype_size(w->dtype);
  if (nb_op_quantized(k->op))
    return (double)(w->rows * w->d * (sz + 1) + w->d * sz + (k->op == NB_RMSNORM_I8 ? w->rows * sizeof(float) : 0));
  size_t streams = k->op == NB_ADDRMSNORM ? 4 : 2;
  return (double)(streams * w->rows * w->d * sz + (k->op == NB_LAYERNORM ? 2 : 1) * w->d * sz);
}

/* ---- one kernel, one probe --------------------------------------------------------- */

typedef struct {
  const nb_kernel *k;
  nb_workload *w;
} kctx;

static void kernel_part(void *p, unsigned i, unsigned n) {
  kctx *c = p;
  nb_workload *w = c->w;
  size_t r0 = w->rows * i / n, r1 = w->rows * (i + 1) / n, off = r0 * w->d * nb_dtype_size(w->dtype);
  if (r1 > r0)
    c->k->fn((const char *)w->x + off, w->g, b_arg(c->k, w, off, r0),
             (char *)w->y + r0 * w->d * nb_out_size(c->k->op, w->dtype), r1 - r0, w->d, w->d, w->d, w->eps);
}

static void run_kernel(void *p) {
  kctx *c = p;
  if (c->w->team)
    team_run(c->w->team, kernel_part, c);
  else
    kernel_part(c, 0, 1);
  nb_clobber(c->w->y);
}

static int check(const nb_kernel *k, nb_workload *w, char *err, size_t errn) {
  if (k->dtype != w->dtype) {
    snprintf(err, errn, "internal: %s on a %s workload", k->name, nb_dtype_name(w->dtype));
    return -1;
  }
  if (need_res(k, w)) {
    snprintf(err, errn, "out of memory for %s's residual", k->name);
    return -1;
  }
  int rc = nb_run(k, w->x, w->g, b_arg(k, w, 0, 0), w->y, w->rows, w->d, w->d, w->d, w->eps);
  if (rc != NB_OK) {
    snprintf(err, errn, "%s: %s", k->name, nb_strerror(rc));
    return -1;
  }
  return 0;
}

int nb_measure_kernel(const nb_kernel *k, nb_workload *w, const nb_measure_opts *o, nb_result *r, char *err,
                      size_t errn) {
  kctx c = {k, w};
  memset(r, 0, sizeof *r);
  if (check(k, w, err, errn)) return -1;
  if (nb_measure(run_kernel, &c, o, r)) {
    snprintf(err, errn, "out of memory");
    return -1;
  }
  return 0;
}

/* The copies move x into y; the read probe reads both halves. Parts are
 * whole 64-byte lines: the AVX2 probes use aligned loads. */
typedef struct {
  nb_probe p;
  nb_workload *w;
  size_t n; /* floats in x */
} pctx;

static void probe_part(void *p, unsigned i, unsigned n) {
  pctx *c = p;
  size_t lines = c->n / 16, a = lines * i / n * 16, b = i + 1 == n ? c->n : lines * (i + 1) / n * 16;
  if (c->p == NB_PROBE_READ) {
    nb_probe_run(c->p, (const float *)c->w->x + a, NULL, b - a);
    nb_probe_run(c->p, (const float *)c->w->y + a, NULL, b - a);
  } else {
    nb_probe_run(c->p, (const float *)c->w->x + a, (float *)c->w->y + a, b - a);
  }
}

static void run_probe(void *p) {
  pctx *c = p;
  if (c->w->team)
    team_run(c->w->team, probe_part, c);
  else
    probe_part(c, 0, 1);
  nb_clobber(c->w->y);
}

double nb_probe_bytes(nb_probe p, const nb_workload *w) {
  (void)p; /* read: x and y once; copies: x read, y written */
  return 2.0 * (double)(w->rows * w->d * nb_dtype_size(w->dtype) / 4 * 4);
}

int nb_measure_probe(nb_probe p, nb_workload *w, const nb_measure_opts *o, nb_result *r) {
  pctx c = {p, w, w->rows * w->d * nb_dtype_size(w->dtype) / 4};
  return nb_measure(run_probe, &c, o, r);
}

/* ---- k-way interleaved comparison ---------------------------------------------------- */

void nb_interleaved_free(nb_interleaved *r) {
  free(r->iterations), free(r->ns), free(r->st), free(r->noisy), free(r->rows_per_s), free(r->bytes);
  memset(r, 0, sizeof *r);
}

/* One item of a comparison: a kernel, or (k NULL) a probe, on its workload. */
typedef struct {
  nb_work_fn *fn;
  kctx k;
  pctx p;
} item;

static void *item_ctx(item *it) { return it->k.k ? (void *)&it->k : (void *)&it->p; }

int nb_interleave(const nb_kernel *const *ks, const nb_probe *probes, nb_workload *const *ws, size_t n,
                  const nb_measure_opts *o, nb_interleaved *out, char *err, size_t errn) {
  memset(out, 0, sizeof *out);
  out->n = n;
  out->rounds = o->repetitions ? o->repetitions : 21;
  item *c = calloc(n ? n : 1, sizeof *c);
  out->iterations = calloc(n ? n : 1, sizeof *out->iterations);
  out->ns = calloc(n * out->rounds + 1, sizeof *out->ns);
  out->st = calloc(n ? n : 1, sizeof *out->st);
  out->noisy = calloc(n ? n : 1, sizeof *out->noisy);
  out->rows_per_s = calloc(n ? n : 1, sizeof *out->rows_per_s);
  out->bytes = calloc(n ? n : 1, sizeof *out->bytes);
  if (!c || !out->iterations || !out->ns || !out->st || !out->noisy || !out->rows_per_s || !out->bytes) {
    free(c);
    nb_interleaved_free(out);
    snprintf(err, errn, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (ks[i]) {
      c[i] = (item){run_kernel, {ks[i], ws[i]}, {0}};
      out->bytes[i] = nb_workload_bytes(ws[i], ks[i]);
      if (check(ks[i], ws[i], err, errn)) {
        free(c);
        nb_interleaved_free(out);
        return -1;
      }
    } else {
      c[i] = (item){run_probe, {0}, {probes[i], ws[i], ws[i]->rows * ws[i]->d * nb_dtype_size(ws[i]->dtype) / 4}};
      out->bytes[i] = nb_probe_bytes(probes[i], ws[i]);
    }
    out->iterations[i] = o->iterations ? o->iterations : nb_calibrate_iterations(c[i].fn, item_ctx(&c[i]), o->min_time);
  }
  double cpu, warm;
  for (size_t i = 0; i < n; i++) nb_sample(c[i].fn, item_ctx(&c[i]), out->iterations[i], &warm, &cpu);
  for (unsigned r = 0; r < out->rounds; r++)
    for (size_t j = 0; j < n; j++) {
      size_t i = (j + r) % n;
      nb_sample_retaking(c[i].fn, item_ctx(&c[i]), out->iterations[i], &out->ns[i * out->rounds + r], &cpu,
                         &out->retaken, &out->disturbed);
    }
  for (size_t i = 0; i < n; i++) {
    out->st[i] = nb_stats_of(&out->ns[i * out->rounds], out->rounds);
    out->noisy[i] = out->st[i].cv > NB_NOISY_CV || out->st[i].mad_pct > NB_NOISY_MAD_PCT;
    out->rows_per_s[i] = (double)ws[i]->rows / out->st[i].median * 1e9;
  }
  free(c);
  return 0;
}

/* The median over rounds of (u_j / t_j) / (u_i / t_i), u: units per call. */
static nb_ratio ratio_of(const nb_interleaved *r, size_t i, size_t j, double ui, double uj) {
  nb_ratio q = {NAN, NAN, NAN};
  double *v = malloc(r->rounds * sizeof *v);
  if (!v) return q;
  for (unsigned k = 0; k < r->rounds; k++) v[k] = uj / ui * r->ns[i * r->rounds + k] / r->ns[j * r->rounds + k];
  q.ratio = nb_median(v, r->rounds);
  nb_bootstrap_median(v, r->rounds, 10000, 0.95, &q.lo, &q.hi);
  free(v);
  return q;
}

nb_ratio nb_interleaved_ratio(const nb_interleaved *r, nb_workload *const *ws, size_t i, size_t j) {
  return ratio_of(r, i, j, (double)ws[i]->rows, (double)ws[j]->rows);
}

nb_ratio nb_interleaved_bw_ratio(const nb_interleaved *r, size_t i, size_t j) {
  return ratio_of(r, i, j, r->bytes[i], r->bytes[j]);
}
