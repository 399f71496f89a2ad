/* The dispatcher behind nb_rmsnorm_f32() and friends: which kernel runs for
 * an (op, dtype, D bucket), chosen once and cached (rules in normbench.h).
 *
 * The steady state takes no lock: a cached choice is one 64-bit atomic word
 * per slot holding (generation, registry index), valid while its
 * generation is the current one. Whatever changes the rules (policy,
 * wisdom, environment) bumps the generation under the lock, so every slot
 * goes stale at once without being touched; a stale or empty slot is
 * resolved under the lock, which also makes the NORMBENCH_DEBUG log line
 * appear once per choice. */
#include "wisdom.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Atomic uint64_t slots[NB_NOPS][3][NB_BUCKETS];
static _Atomic uint32_t gen = 1;

/* The rules; read and written only under lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int ready, debug;
static nb_policy policy;
static double budget_ulp; /* 0: nb_default_budget */
static const nb_kernel *forced[NB_NOPS][3]; /* any op: NORMBENCH_KERNEL may name any kernel */
static nb_wis_table wis;
static char wis_from[256]; /* the file the wisdom came from, for the log */

unsigned nb_bucket(size_t d) {
  return d <= 1 ? 0 : (unsigned)(64 - __builtin_clzll((unsigned long long)(d - 1)));
}
size_t nb_bucket_min(unsigned k) { return k == 0 ? 1 : k > 64 ? 0 : ((size_t)1 << (k - 1)) + 1; }
size_t nb_bucket_max(unsigned k) {
  return k >= sizeof(size_t) * 8 ? (size_t)-1 : (size_t)1 << k;
}

const char *nb_why_name(nb_why w) {
  static const char *names[] = {"none", "default", "wisdom", "forced"};
  return (unsigned)w < sizeof names / sizeof names[0] ? names[w] : "?";
}

/* 16-bit outputs: faithful rounding; f32: 1 ulp (floored for LayerNorm, as
 * nb_kernel_bound measures it). The same number, kept per op and dtype so
 * that the defaults can diverge without an API change. */
double nb_default_budget(nb_op op, nb_dtype dt) {
  (void)op;
  (void)dt;
  return 1.0;
}

static double budget_of(nb_op op, nb_dtype dt) {
  return budget_ulp > 0 ? budget_ulp : nb_default_budget(op, dt);
}

static void bump(void) { atomic_fetch_add(&gen, 1); }

static void read_forced(const char *list) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save = NULL, *name = strtok_r(buf, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
    const nb_kernel *k = nb_kernel_find(name);
    if (!k)
      fprintf(stderr, "normbench: NORMBENCH_KERNEL: no kernel named '%s'; using the default choice\n", name);
    else if (!nb_kernel_runs_here(k))
      fprintf(stderr, "normbench: NORMBENCH_KERNEL: '%s' cannot run on this CPU; using the default choice\n",
              name);
    else if (forced[k->op][k->dtype])
      fprintf(stderr, "normbench: NORMBENCH_KERNEL: '%s' ignored, %s already forces %s %s\n", name,
              forced[k->op][k->dtype]->name, nb_op_name(k->op), nb_dtype_name(k->dtype));
    else
      forced[k->op][k->dtype] = k;
  }
}

/* Called with the lock held. */
static void read_env(void) {
  const char *s = getenv("NORMBENCH_DEBUG");
  debug = s && *s && strcmp(s, "0") != 0;
  memset(forced, 0, sizeof forced);
  if ((s = getenv("NORMBENCH_KERNEL")) && *s) read_forced(s);
  memset(&wis, 0, sizeof wis);
  if ((s = getenv("NORMBENCH_WISDOM")) && *s) {
    char why[512];
    static nb_wis_table t;
    if (nb_wis_read(s, &t, why, sizeof why))
      fprintf(stderr, "normbench: NORMBENCH_WISDOM: %s; using the default choices\n", why);
    else
      wis = t, snprintf(wis_from, sizeof wis_from, "%s", s);
  }
  ready = 1;
}

static void setup(void) {
  if (!ready) read_env();
}

/* ISA order: the highest NB_CPU_* bit a kernel needs (the bits are listed
 * in ISA order within an architecture), then how many bits it needs. */
static int isa_rank(const nb_kernel *k) {
  int hi = 0;
  for (uint32_t n = k->needs; n; n >>= 1) hi++;
  return hi * 64 + __builtin_popcount(k->needs);
}

static int algo_rank(nb_algo a) {
  switch (a) {
  case NB_FAST: return 4;
  case NB_TWOPASS: return 3;
  case NB_WELFORD: return 2;
  case NB_ACCURATE: return 1;
  default: return 0;
  }
}

static int faster(const nb_kernel *a, const nb_kernel *b) {
  int ia = isa_rank(a), ib = isa_rank(b);
  return ia != ib ? ia > ib : algo_rank(a->algo) > algo_rank(b->algo);
}

static const nb_kernel *by_default(nb_op op, nb_dtype dt, unsigned bucket) {
  size_t d = nb_bucket_max(bucket);
  double budget = budget_of(op, dt), bb = 0, tb = 0;
  const nb_kernel *best = NULL, *tight = NULL;
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (k->op != op || k->dtype != dt || k->algo == NB_NAIVE || (k->flags & NB_K_EXTERNAL) ||
        !nb_kernel_runs_here(k))
      continue;
    double e = nb_kernel_bound_d(k, d);
    if (!tight || e < tb || (e == tb && faster(k, tight))) tight = k, tb = e;
    if (!(e <= budget)) continue;
    int better = !best || (policy == NB_POLICY_ACCURATE ? e < bb || (e == bb && faster(k, best))
                                                        : faster(k, best));
    if (better) best = k, bb = e;
  }
  return best ? best : tight;
}

/* A budget is a number of ulps read to 2^-12 relative: the accurate
 * kernels' 0.5 + 2^-20 + (D + 64) 2^-29 is a 0.5-ulp kernel up to
 * D = 2^16, while a twopass f16 kernel's 0.5034 at D = 4096 is not. */
int nb_within_budget(double bound, double budget) { return bound <= budget * (1 + 0x1p-12); }

/* A wisdom line is taken as written, under its own budget: NULL, or why
 * it is dropped (in buf). Called with the lock held. */
static const char *wisdom_drop(const nb_wis *w, unsigned bucket, char *buf, size_t n) {
  size_t d = nb_bucket_max(bucket);
  double bound = nb_kernel_bound_d(w->k, d);
  if (policy == NB_POLICY_ACCURATE)
    snprintf(buf, n, "nb_set_policy asked for the most accurate kernel");
  else if (budget_ulp > 0 && !nb_within_budget(w->budget, budget_ulp))
    snprintf(buf, n, "its budget %g ulp is wider than the %g ulp of nb_set_policy", w->budget, budget_ulp);
  else if (!nb_within_budget(bound, w->budget))
    snprintf(buf, n, "%s declares %.3g ulp at D %zu, over the line's budget %g ulp", w->k->name, bound, d,
             w->budget);
  else if (!nb_kernel_runs_here(w->k))
    snprintf(buf, n, "%s cannot run here", w->k->name);
  else
    return NULL;
  return buf;
}

/* Called with the lock held. */
static const nb_kernel *decide(nb_op op, nb_dtype dt, unsigned bucket, int use_forced, nb_why *why) {
  const nb_wis *w = &wis.e[op][dt][bucket];
  char buf[256];
  if (use_forced && forced[op][dt]) {
    *why = NB_WHY_FORCED;
    return forced[op][dt];
  }
  if (w->k && !wisdom_drop(w, bucket, buf, sizeof buf)) {
    *why = NB_WHY_WISDOM;
    return w->k;
  }
  const nb_kernel *k = by_default(op, dt, bucket);
  *why = k ? NB_WHY_DEFAULT : NB_WHY_NONE;
  return k;
}

static void log_wisdom_line(const nb_wis *w) {
  if (w->line)
    fprintf(stderr, "line %d of %s", w->line, wis_from);
  else
    fprintf(stderr, "line added by nb_wisdom_add");
  fprintf(stderr, ": %s within %g ulp, measured speed-up %.3g", w->k->name, w->budget, w->speedup);
}

static void log_choice(nb_op op, nb_dtype dt, unsigned bucket, const nb_kernel *k, nb_why why) {
  size_t d = nb_bucket_max(bucket);
  const nb_wis *w = &wis.e[op][dt][bucket];
  char drop[256];
  fprintf(stderr, "normbench: %s %s D %zu..%zu: %s (%s", nb_op_name(op), nb_dtype_name(dt),
          nb_bucket_min(bucket), d, k->name, nb_why_name(why));
  if (why == NB_WHY_FORCED)
    fprintf(stderr, " by NORMBENCH_KERNEL");
  else if (why == NB_WHY_WISDOM)
    fprintf(stderr, ": taken "), log_wisdom_line(w);
  else
    fprintf(stderr, ": %s within %g ulp", policy == NB_POLICY_FASTEST ? "fastest" : "most accurate",
            budget_of(op, dt));
  fprintf(stderr, ", declared bound %.3g ulp at D %zu)\n", nb_kernel_bound_d(k, d), d);
  if (why != NB_WHY_WISDOM && w->k) {
    const char *reason = wisdom_drop(w, bucket, drop, sizeof drop);
    fprintf(stderr, "normbench: %s %s D %zu..%zu: wisdom dropped, ", nb_op_name(op), nb_dtype_name(dt),
            nb_bucket_min(bucket), d);
    log_wisdom_line(w);
    fprintf(stderr, ": %s\n", reason ? reason : "NORMBENCH_KERNEL forces another kernel");
  }
}

static const nb_kernel *resolve(nb_op op, nb_dtype dt, unsigned bucket, nb_why *why) {
  nb_why w;
  pthread_mutex_lock(&lock);
  setup();
  const nb_kernel *k = decide(op, dt, bucket, 1, &w);
  if (k) {
    uint64_t v = (uint64_t)atomic_load(&gen) << 32 | (uint64_t)(k - nb_kernel_at(0) + 1);
    if (atomic_exchange_explicit(&slots[op][dt][bucket], v, memory_order_release) != v && debug)
      log_choice(op, dt, bucket, k, w);
  }
  pthread_mutex_unlock(&lock);
  if (why) *why = w;
  return k;
}

const nb_kernel *nb_choose(nb_op op, nb_dtype dt, size_t d, nb_why *why) {
  if ((unsigned)op >= NB_NOPS || (unsigned)dt > NB_BF16) {
    if (why) *why = NB_WHY_NONE;
    return NULL;
  }
  return resolve(op, dt, nb_bucket(d), why);
}

/* The steady state: two atomic loads. */
static const nb_kernel *pick(nb_op op, nb_dtype dt, size_t d) {
  unsigned b = nb_bucket(d);
  uint64_t v = atomic_load_explicit(&slots[op][dt][b], memory_order_acquire);
  if ((uint32_t)v && (uint32_t)(v >> 32) == atomic_load_explicit(&gen, memory_order_relaxed))
    return nb_kernel_at((size_t)(uint32_t)v - 1);
  return resolve(op, dt, b, NULL);
}

static int call(nb_op op, nb_dtype dt, const void *x, const void *g, const void *b, void *y,
                size_t rows, size_t d, size_t xs, size_t ys, float eps) {
  const nb_kernel *k = pick(op, dt, d);
  return k ? nb_run(k, x, g, b, y, rows, d, xs, ys, eps) : NB_ENOTHERE;
}

int nb_rmsnorm_f32(const float *x, const float *g, float *y, size_t rows, size_t d, size_t xs,
                   size_t ys, float eps) {
  return call(NB_RMSNORM, NB_F32, x, g, NULL, y, rows, d, xs, ys, eps);
}
int nb_rmsnorm_f16(const uint16_t *x, const uint16_t *g, uint16_t *y, size_t rows, size_t d,
                   size_t xs, size_t ys, float eps) {
  return call(NB_RMSNORM, NB_F16, x, g, NULL, y, rows, d, xs, ys, eps);
}
int nb_rmsnorm_bf16(const uint16_t *x, const uint16_t *g, uint16_t *y, size_t rows, size_t d,
                    size_t xs, size_t ys, float eps) {
  return call(NB_RMSNORM, NB_BF16, x, g, NULL, y, rows, d, xs, ys, eps);
}
int nb_layernorm_f32(const float *x, const float *g, const float *b, float *y, size_t rows,
                     size_t d, size_t xs, size_t ys, float eps) {
  return call(NB_LAYERNORM, NB_F32, x, g, b, y, rows, d, xs, ys, eps);
}
int nb_layernorm_f16(const uint16_t *x, const uint16_t *g, const uint16_t *b, uint16_t *y,
                     size_t rows, size_t d, size_t xs, size_t ys, float eps) {
  return call(NB_LAYERNORM, NB_F16, x, g, b, y, rows, d, xs, ys, eps);
}
int nb_layernorm_bf16(const uint16_t *x, const uint16_t *g, const uint16_t *b, uint16_t *y,
                      size_t rows, size_t d, size_t xs, size_t ys, float eps) {
  return call(NB_LAYERNORM, NB_BF16, x, g, b, y, rows, d, xs, ys, eps);
}

/* The other ops' entry points, for the three dtypes (T: x's element, Y:
 * y's). With B, a second pointer that nb_run takes as b: AddRMSNorm's
 * residual, RMSNormI8's scales (normbench.h). */
#define NB_ENTRY(name, OP, DT, T, Y, G)                                                          \
  int name(const T *x, const T *G, Y *y, size_t rows, size_t d, size_t xs, size_t ys, float eps) { \
    return call(OP, DT, x, G, NULL, y, rows, d, xs, ys, eps);                                     \
  }
#define NB_ENTRY_B(name, OP, DT, T, Y, B, BT)                                                   \
  int name(const T *x, BT *B, const T *g, Y *y, size_t rows, size_t d, size_t xs, size_t ys,      \
           float eps) {                                                                          \
    return call(OP, DT, x, g, B, y, rows, d, xs, ys, eps);                                      \
  }
NB_ENTRY_B(nb_addrmsnorm_f32, NB_ADDRMSNORM, NB_F32, float, float, residual, float)
NB_ENTRY_B(nb_addrmsnorm_f16, NB_ADDRMSNORM, NB_F16, uint16_t, uint16_t, residual, uint16_t)
NB_ENTRY_B(nb_addrmsnorm_bf16, NB_ADDRMSNORM, NB_BF16, uint16_t, uint16_t, residual, uint16_t)
NB_ENTRY(nb_rmsnorm1p_f32, NB_RMSNORM1P, NB_F32, float, float, w)
NB_ENTRY(nb_rmsnorm1p_f16, NB_RMSNORM1P, NB_F16, uint16_t, uint16_t, w)
NB_ENTRY(nb_rmsnorm1p_bf16, NB_RMSNORM1P, NB_BF16, uint16_t, uint16_t, w)
NB_ENTRY_B(nb_rmsnorm_i8_f32, NB_RMSNORM_I8, NB_F32, float, int8_t, scales, float)
NB_ENTRY_B(nb_rmsnorm_i8_f16, NB_RMSNORM_I8, NB_F16, uint16_t, int8_t, scales, float)
NB_ENTRY_B(nb_rmsnorm_i8_bf16, NB_RMSNORM_I8, NB_BF16, uint16_t, int8_t, scales, float)
NB_ENTRY(nb_rmsnorm_e4m3_f32, NB_RMSNORM_E4M3, NB_F32, float, uint8_t, g)
NB_ENTRY(nb_rmsnorm_e4m3_f16, NB_RMSNORM_E4M3, NB_F16, uint16_t, uint8_t, g)
NB_ENTRY(nb_rmsnorm_e4m3_bf16, NB_RMSNORM_E4M3, NB_BF16, uint16_t, uint8_t, g)
#undef NB_ENTRY
#undef NB_ENTRY_B

int nb_set_policy(nb_policy p, double budget) {
  if ((p != NB_POLICY_FASTEST && p != NB_POLICY_ACCURATE) || !(budget >= 0) || budget > 1e300)
    return NB_EINVAL;
  pthread_mutex_lock(&lock);
  setup();
  policy = p;
  budget_ulp = budget;
  bump();
  pthread_mutex_unlock(&lock);
  return NB_OK;
}

double nb_budget(nb_op op, nb_dtype dt) {
  pthread_mutex_lock(&lock);
  double b = budget_of(op, dt);
  pthread_mutex_unlock(&lock);
  return b;
}

void nb_dispatch_reset(void) {
  pthread_mutex_lock(&lock);
  policy = NB_POLICY_FASTEST;
  budget_ulp = 0;
  read_env();
  bump();
  pthread_mutex_unlock(&lock);
}

static void install(const nb_wis_table *t, const char *from) {
  pthread_mutex_lock(&lock);
  setup();
  if (t)
    wis = *t;
  else
    memset(&wis, 0, sizeof wis);
  snprintf(wis_from, sizeof wis_from, "%s", from);
  bump();
  pthread_mutex_unlock(&lock);
}

void nb_wisdom_forget(void) { install(NULL, ""); }

int nb_wisdom_load(const char *path, char *why, size_t n) {
  nb_wis_table *t = malloc(sizeof *t);
  if (!t) {
    if (why && n) snprintf(why, n, "wisdom file %s: out of memory", path ? path : "(null)");
    return NB_EWISDOM_IO;
  }
  int rc = nb_wis_read(path, t, why, n);
  if (rc == NB_OK) install(t, path);
  free(t);
  return rc;
}

int nb_wisdom_add(const nb_kernel *k, size_t d, double budget, double speedup) {
  if (!k || k != nb_kernel_find(k->name) || !nb_kernel_runs_here(k) || d == 0) return NB_EINVAL;
  pthread_mutex_lock(&lock);
  setup();
  wis.e[k->op][k->dtype][nb_bucket(d)] = (nb_wis){k, budget, speedup, 0};
  bump();
  pthread_mutex_unlock(&lock);
  return NB_OK;
}

/* Every bucket's current choice, forced ones aside: wisdom lines as they
 * are, other buckets under the budget in force with speed-up 1. */
int nb_wisdom_save(const char *path) {
  nb_wis_table *t = malloc(sizeof *t);
  if (!t) return errno = ENOMEM, NB_EWISDOM_IO;
  pthread_mutex_lock(&lock);
  setup();
  for (int op = NB_RMSNORM; op <= NB_LAYERNORM; op++)
    for (int dt = NB_F32; dt <= NB_BF16; dt++)
      for (unsigned b = 0; b < NB_BUCKETS; b++) {
        nb_why why;
        const nb_kernel *k = decide((nb_op)op, (nb_dtype)dt, b, 0, &why);
        t->e[op][dt][b] = why == NB_WHY_WISDOM ? wis.e[op][dt][b] : (nb_wis){k, budget_of(op, dt), 1.0, 0};
      }
  pthread_mutex_unlock(&lock);
  int rc = nb_wis_write(path, t);
  free(t);
  return rc;
}
