/* The edges of each kernel's declared range (nb_kernel_range: every
 * non-zero |x|, |g|, |b| in [2^lo, 2^hi)), against the MPFR reference: x, g
 * and b at 2^lo (or the dtype's smallest subnormal), just below 2^hi (or
 * the dtype's largest finite), and both mixed in one row, with eps 0 and
 * 1e-5; then random magnitudes over the whole range. Every output must be
 * within the kernel's declared bound, and every row must be one the
 * promise covers. Kernels whose range is every finite input also get one
 * row of 2^20 elements spanning it (NORMBENCH_EMULATED=1: 2^16).
 *
 * usage: test_range OP DTYPE */
#include "accuracy.h"
#include "special.h"
#include "tap.h"

#include <stdio.h>
#include <time.h>

static nb_op op;
static nb_dtype dt;

static int prec(void) { return dt == NB_F16 ? 11 : dt == NB_BF16 ? 8 : 24; }
static double max_fin(void) { return dt == NB_F16 ? 65504.0 : dt == NB_BF16 ? 0x1.fep127 : 0x1.fffffep127; }

/* the edges of a range in the dtype: the smallest value >= 2^lo and the
 * largest below 2^hi */
static double lo_edge(nb_range r) { return fmax(ldexp(1, r.lo), min_sub(dt)); }
static double hi_edge(nb_range r) { return fmin(ldexp(1, r.hi) * (1 - ldexp(1, -prec())), max_fin()); }

enum { E_ONE, E_LO, E_HI, E_MIX, E_RAND };

/* one value of a row: around 1, at an edge, or log-uniform in [lo, hi) */
static float edge_val(int kind, nb_range r, size_t i, nb_rng *rng) {
  double s = (i & 1 ? -1 : 1), v;
  switch (kind) {
  case E_ONE: v = 1 + (double)(i * 5 % 8) / 8; break;
  case E_LO: v = lo_edge(r) * (1 + (double)(i * 3 % 8) / 8); break;
  case E_HI: v = hi_edge(r) * (1 - (double)(i * 3 % 8) / 16); break;
  case E_MIX: v = i % 4 < 2 ? lo_edge(r) * (1 + (double)(i % 8) / 8) : hi_edge(r) * (1 - (double)(i % 8) / 16); break;
  default: {
    double lo = fmax(r.lo, log2(min_sub(dt))), hi = fmin(r.hi, log2(max_fin()));
    v = fmin(ldexp(1 + nb_rng_uniform(rng), (int)floor(lo + (hi - lo) * nb_rng_uniform(rng))), hi_edge(r));
    v = fmax(v, lo_edge(r));
    s = nb_rng_uniform(rng) < 0.5 ? -1 : 1;
  }
  }
  return (float)(s * v); /* exact for the edges: few significant bits */
}

typedef struct {
  nb_metrics m;
  size_t rows;
  char first[300];
} result;

static const nb_kernel **ks;
static result *res;
static size_t nk;

/* one case (rows of d) for every kernel of the group whose range is r */
static void run(nb_range r, const char *what, size_t rows, size_t d, float eps, const float *x, const float *g,
                const float *b) {
  nb_case c;
  if (nb_case_from_data(&c, op, dt, rows, d, eps, x, g, op == NB_LAYERNORM ? b : NULL)) {
    tap_ok(0, "reference for %s D=%zu", what, d);
    return;
  }
  /* LayerNorm promises hold for kappa <= 10 (a one-element row has
   * sigma = 0); every other row is built inside the range */
  size_t cover = 0;
  for (size_t j = 0; j < rows; j++) cover += op == NB_RMSNORM || c.kappa[j] <= 10;
  for (size_t i = 0; i < nk; i++) {
    nb_range kr = nb_kernel_range(ks[i]);
    if (kr.lo != r.lo || kr.hi != r.hi) continue;
    nb_metrics m;
    if (nb_case_run(&c, ks[i], &m)) {
      tap_ok(0, "%s runs on %s D=%zu", ks[i]->name, what, d);
      continue;
    }
    if ((m.breaches || m.rows_checked != cover) && !res[i].first[0])
      snprintf(res[i].first, sizeof res[i].first, "%s D=%zu eps=%g: %zu of %zu rows (kappa <= 10) covered; row %zu [%zu] error %.4g > %.4g",
               what, d, (double)eps, m.rows_checked, cover, m.breach_row, m.breach_idx, m.worst_breach_err,
               m.worst_breach_bound);
    res[i].rows += cover;
    nb_metrics_merge(&res[i].m, &m);
  }
  nb_case_free(&c);
}

static void edges(nb_range r) {
  static const char *kn[] = {"~1", "2^lo", "<2^hi", "mixed"};
  const size_t ds[] = {1, 2, 3, 7, 16, 17, 33, 64, 100, 1000, 4097};
  float *x = malloc(4 * 4097 * sizeof *x), *g = malloc(4097 * sizeof *g), *b = malloc(4097 * sizeof *b);
  char what[96];
  nb_rng rng;
  nb_rng_seed(&rng, 1);
  for (size_t l = 0; l < sizeof ds / sizeof ds[0]; l++)
    for (int gk = E_ONE; gk <= E_MIX; gk++)
      for (int bk = E_ONE; bk <= (op == NB_LAYERNORM ? E_MIX : E_ONE); bk++)
        for (int e = 0; e < 2; e++) {
          size_t d = ds[l];
          /* four rows: x ~1, at 2^lo, below 2^hi, mixed */
          for (int xk = E_ONE; xk <= E_MIX; xk++)
            for (size_t i = 0; i < d; i++) x[(size_t)xk * d + i] = edge_val(xk, r, i + (size_t)xk, &rng);
          for (size_t i = 0; i < d; i++) g[i] = edge_val(gk, r, i / 2, &rng), b[i] = edge_val(bk, r, i + 1, &rng);
          snprintf(what, sizeof what, "x ~1/2^lo/<2^hi/mixed, g %s, b %s", kn[gk], kn[bk]);
          run(r, what, 4, d, e ? 1e-5f : 0.0f, x, g, b);
        }
  for (size_t l = 0; l < sizeof ds / sizeof ds[0]; l++)
    for (int e = 0; e < 2; e++) {
      size_t d = ds[l];
      for (size_t i = 0; i < 4 * d; i++) x[i] = edge_val(E_RAND, r, i, &rng);
      for (size_t i = 0; i < d; i++)
        g[i] = edge_val(e ? E_RAND : E_ONE, r, i, &rng), b[i] = edge_val(e ? E_RAND : E_ONE, r, i, &rng);
      run(r, e ? "random magnitudes in x, g, b" : "random magnitudes in x", 4, d, e ? 1e-5f : 0.0f, x, g, b);
    }
  free(x), free(g), free(b);
}

/* one long row over the whole finite range, for the kernels promising it */
static void long_row(nb_range r, size_t d) {
  float *x = malloc(d * sizeof *x), *g = malloc(d * sizeof *g), *b = malloc(d * sizeof *b);
  nb_rng rng;
  nb_rng_seed(&rng, 2);
  for (size_t i = 0; i < d; i++)
    x[i] = edge_val(E_RAND, r, i, &rng), g[i] = edge_val(E_ONE, r, i, &rng), b[i] = edge_val(E_ONE, r, i, &rng) / 4;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  char what[64];
  snprintf(what, sizeof what, "one row of %zu, |x| over the whole range", d);
  run(r, what, 1, d, 1e-5f, x, g, b);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  tap_diag("D=%zu: reference and kernels took %.2f s", d, (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
  free(x), free(g), free(b);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: test_range OP f32|f16|bf16 (OP: a name of normbench list's op column)\n");
    return 2;
  }
  op = NB_RMSNORM;
  for (int o = 0; o < NB_NOPS; o++)
    if (strcmp(argv[1], nb_op_name((nb_op)o)) == 0) op = (nb_op)o;
  dt = strcmp(argv[2], "f16") == 0 ? NB_F16 : strcmp(argv[2], "bf16") == 0 ? NB_BF16 : NB_F32;
  ks = malloc(nb_kernel_count() * sizeof *ks);
  res = calloc(nb_kernel_count(), sizeof *res);
  nb_range rs[8];
  size_t nr = 0;
  int all_finite = 0;
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (k->op != op || k->dtype != dt) continue;
    if (!nb_kernel_runs_here(k)) {
      printf("ok %d - %s # SKIP this CPU lacks its features\n", ++tap_count, k->name);
      continue;
    }
    if (isnan(nb_kernel_bound(k, 1, 1))) {
      printf("ok %d - %s # SKIP declares no bound\n", ++tap_count, k->name);
      continue;
    }
    nb_metrics_init(&res[nk].m);
    ks[nk++] = k;
    nb_range r = nb_kernel_range(k);
    size_t j = 0;
    while (j < nr && (rs[j].lo != r.lo || rs[j].hi != r.hi)) j++;
    if (j == nr && nr < 8) rs[nr++] = r;
  }
  for (size_t j = 0; j < nr; j++) {
    edges(rs[j]);
    if (lo_edge(rs[j]) == min_sub(dt) && hi_edge(rs[j]) == max_fin()) {
      all_finite = 1;
      long_row(rs[j], tap_emulated() ? (size_t)1 << 16 : (size_t)1 << 20);
    }
  }
  for (size_t i = 0; i < nk; i++) {
    const nb_metrics *m = &res[i].m;
    nb_range r = nb_kernel_range(ks[i]);
    tap_ok(m->breaches == 0 && m->rows_checked == res[i].rows && m->rows_checked > 0,
           "%s, range [2^%d, 2^%d): max error %.4g ulp (bound up to %.4g) on %zu of %zu edge rows with kappa <= 10", ks[i]->name, r.lo,
           r.hi, m->max_checked, m->bound, m->rows_checked, res[i].rows);
    if (res[i].first[0]) tap_diag("first problem: %s", res[i].first);
  }
  if (!all_finite) tap_diag("no %s %s kernel here promises every finite input", argv[1], argv[2]);
  tap_ok(nk > 0, "%zu %s %s kernels with a declared bound run here", nk, argv[1], argv[2]);
  free(ks), free(res);
  return tap_done();
}
