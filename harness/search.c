#include "search.h"

#include "reference.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows to restart from: the distributions whose rows are hard for some
 * algorithm and stay inside every kernel's range. */
static const char *starts[] = {"normal", "constmag", "shift1", "shift10", "student3", "massive1",
                               "massive4", "sorted", "midpoint", "exactstat", "atmean"};
#define NSTARTS (sizeof starts / sizeof starts[0])

typedef struct {
  const nb_kernel *k;
  size_t d;
  float eps;
  uint64_t seed;
  double deadline;
  nb_worst best;
  double best_score;
  int ok;
} climber;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
  double score, err, bound, kappa, mid;
  size_t idx;
  int miss;
} eval;

/* Accurate kernels: the exact output closest to a rounding boundary of the
 * format (in ulps; v is the exact value to double, so distances below
 * ~2^-29 ulp of f32 read as 0), its index in *at. */
static double closest_mid(const nb_case *c, size_t *at) {
  double best = INFINITY;
  for (size_t i = 0; i < c->d; i++) {
    double cr = c->cr[i], v = c->v[i];
    if (!isfinite(cr) || !isfinite(v)) continue;
    double dist = fabs(fabs(v - cr) / nb_ulp(cr, c->dt) - 0.5);
    if (dist < best) best = dist, *at = i;
  }
  return best;
}

/* The row's error over its bound; -1 when the bound does not cover it. */
static eval evaluate(const climber *c, const float *x, const float *g, const float *b) {
  eval e = {-1, 0, 0, 0, INFINITY, 0, 0};
  nb_case cs;
  if (nb_case_from_data(&cs, c->k->op, c->k->dtype, 1, c->d, c->eps, x, g, b)) return e;
  nb_metrics m;
  if (nb_case_run(&cs, c->k, &m) == 0 && m.rows_checked == 1 && m.bound > 0) {
    e = (eval){isfinite(m.bound) ? m.max_checked / m.bound : 0, m.max_err, m.bound, cs.kappa[0], INFINITY,
               m.worst_idx, 0};
    /* Accurate kernels into f32/f16/bf16 promise correct rounding: the
     * score is the closeness of an exact output to a midpoint of that
     * format, -log2(distance). The quantized ones (int8 steps, e4m3)
     * promise their bound (an exact tie is 0.5 step either way): they are
     * searched by error over bound, as every other kernel. */
    if (c->k->algo == NB_ACCURATE && !nb_op_quantized(c->k->op)) {
      size_t at = 0;
      e.mid = closest_mid(&cs, &at);
      e.miss = m.n_cr < m.n;
      e.score = e.miss ? 1e9 : -log2(e.mid + 0x1p-60);
      e.idx = e.miss ? m.miss_idx : at;
    }
  }
  nb_case_free(&cs);
  return e;
}

/* One step of a value on the dtype's grid: +-k units in the last place
 * (by the bit pattern, so it crosses binades; zero stays zero). */
static float nudge(float v, int k, nb_dtype dt) {
  if (v == 0 || !isfinite(v)) return v;
  uint32_t u;
  memcpy(&u, &v, 4);
  int64_t step = dt == NB_F32 ? 1 : dt == NB_F16 ? 1 << 13 : 1 << 16;
  int64_t m = (int64_t)(u & 0x7fffffff) + k * step;
  if (m <= 0 || m >= 0x7f800000) return v;
  u = (u & 0x80000000u) | (uint32_t)m;
  float r;
  memcpy(&r, &u, 4);
  return nb_to_dtype(r, dt);
}

static void mutate(nb_rng *r, nb_dtype dt, size_t d, float *x, float *g, float *b, size_t worst) {
  size_t i = nb_rng_uniform(r) < 0.5 ? worst : nb_rng_next(r) % d, j = nb_rng_next(r) % d;
  int k = (int)(nb_rng_next(r) % 16) + 1;
  if (nb_rng_next(r) & 1) k = -k;
  switch (nb_rng_next(r) % 7) {
  case 0: x[i] = nudge(x[i], k, dt); break;
  case 1: x[j] = nudge(x[j], k * 64, dt); break;
  case 2: {
    float t = x[i];
    x[i] = x[j];
    x[j] = t;
    break;
  }
  case 3: x[j] = nb_to_dtype(x[j] * (1 + 0.5 * nb_rng_normal(r)), dt); break;
  case 4: g[i] = nudge(g[i], k, dt); break;
  case 5:
    if (b) b[i] = nudge(b[i], k, dt);
    else x[i] = nudge(x[i], 1, dt);
    break;
  default: /* move many elements a little: changes the statistics, not the shape */
    for (size_t t = 0; t < d; t++)
      if (nb_rng_next(r) % 8 == 0) x[t] = nudge(x[t], k, dt);
  }
}

static void keep(climber *c, const eval *e, const float *x, const float *g, const float *b) {
  size_t n = c->d * sizeof(float);
  c->best_score = e->score;
  c->best.err = e->err;
  c->best.bound = e->bound;
  c->best.kappa = e->kappa;
  c->best.idx = e->idx;
  c->best.mid = e->mid;
  c->best.miss = e->miss;
  memcpy(c->best.x, x, n);
  memcpy(c->best.g, g, n);
  if (b) memcpy(c->best.b, b, n);
  c->ok = 1;
}

static void *climb(void *arg) {
  climber *c = arg;
  size_t d = c->d, n = d * sizeof(float);
  int ln = c->k->op == NB_LAYERNORM;
  nb_dtype dt = c->k->dtype;
  float *x = malloc(n), *g = malloc(n), *b = ln ? malloc(n) : NULL;
  float *tx = malloc(n), *tg = malloc(n), *tb = ln ? malloc(n) : NULL;
  nb_rng r;
  nb_rng_seed(&r, c->seed);
  /* enough steps per restart to climb, few enough to restart often */
  size_t steps = d <= 256 ? 2000 : 300;
  while (x && g && tx && tg && (!ln || (b && tb)) && now() < c->deadline) {
    const nb_dist *dist = nb_dist_find(starts[nb_rng_next(&r) % NSTARTS]);
    uint64_t s = nb_rng_next(&r);
    nb_gen_row(dist, dt, s, 0, d, x);
    nb_gen_params_for(dist, dt, s, d, g, b);
    eval cur = evaluate(c, x, g, b);
    c->best.restarts++;
    c->best.evals++;
    if (cur.score < 0) continue;
    if (cur.score > c->best_score) keep(c, &cur, x, g, b);
    for (size_t t = 0; t < steps && now() < c->deadline; t++) {
      memcpy(tx, x, n);
      memcpy(tg, g, n);
      if (ln) memcpy(tb, b, n);
      mutate(&r, dt, d, tx, tg, tb, cur.idx);
      eval e = evaluate(c, tx, tg, tb);
      c->best.evals++;
      if (e.score < cur.score) continue; /* equal: drift along plateaus */
      cur = e;
      memcpy(x, tx, n);
      memcpy(g, tg, n);
      if (ln) memcpy(b, tb, n);
      if (cur.score > c->best_score) keep(c, &cur, x, g, b);
    }
  }
  free(x);
  free(g);
  free(b);
  free(tx);
  free(tg);
  free(tb);
  return NULL;
}

void nb_worst_free(nb_worst *w) {
  free(w->x);
  free(w->g);
  free(w->b);
  memset(w, 0, sizeof *w);
}

static int alloc_worst(nb_worst *w, size_t d, int ln) {
  memset(w, 0, sizeof *w);
  w->x = malloc(d * sizeof(float));
  w->g = malloc(d * sizeof(float));
  w->b = ln ? malloc(d * sizeof(float)) : NULL;
  if (w->x && w->g && (!ln || w->b)) return 0;
  nb_worst_free(w);
  return -1;
}

int nb_search(const nb_kernel *k, size_t d, float eps, uint64_t seed, double seconds, unsigned jobs,
              nb_worst *out) {
  int ln = k->op == NB_LAYERNORM;
  if (jobs < 1) jobs = 1;
  climber *cs = calloc(jobs, sizeof *cs);
  pthread_t *t = calloc(jobs, sizeof *t);
  int *started = calloc(jobs, sizeof *started);
  double deadline = now() + seconds;
  int rc = -1;
  if (!cs || !t || !started) goto out;
  for (unsigned i = 0; i < jobs; i++) {
    cs[i] = (climber){.k = k, .d = d, .eps = eps, .seed = seed * 1000003u + i, .deadline = deadline,
                      .best_score = -1};
    if (alloc_worst(&cs[i].best, d, ln)) goto out;
  }
  for (unsigned i = 0; i < jobs; i++) started[i] = pthread_create(&t[i], NULL, climb, &cs[i]) == 0;
  for (unsigned i = 0; i < jobs; i++) {
    if (started[i])
      pthread_join(t[i], NULL);
    else
      climb(&cs[i]);
  }
  unsigned top = 0;
  size_t evals = 0, restarts = 0;
  for (unsigned i = 0; i < jobs; i++) {
    evals += cs[i].best.evals;
    restarts += cs[i].best.restarts;
    if (cs[i].ok && (!cs[top].ok || cs[i].best_score > cs[top].best_score)) top = i;
  }
  if (cs[top].ok) {
    *out = cs[top].best;
    out->evals = evals;
    out->restarts = restarts;
    memset(&cs[top].best, 0, sizeof cs[top].best);
    rc = 0;
  }
out:
  for (unsigned i = 0; cs && i < jobs; i++) nb_worst_free(&cs[i].best);
  free(cs);
  free(t);
  free(started);
  return rc;
}
