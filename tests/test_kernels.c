/* Every registered kernel this CPU runs, against the MPFR reference: every
 * D from 1 to 300 and large D (every tail length of every ISA), the hard
 * distributions of the input suite, several eps; each kernel's measured
 * error must stay within its declared bound on every row its promise
 * covers, and every output of an accurate kernel must be the correctly
 * rounded one. Loops over the registry: a new kernel is tested with no edit.
 *
 * usage: test_kernels OP DTYPE   (NORMBENCH_EMULATED=1: a sparser D grid, for
 * emulated runs) */
#include "accuracy.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *always[] = {"normal", "constmag", "massive4"};
static const char *rotating[] = {"shift10", "student3", "exactstat", "sorted", "onehot", "constant",
                                 "shift1",  "tiny",     "huge",      "subnormal", "scale2p60",
                                 "scale2m60", "massive1", "shift1e4", "ramp40000", "oddgain"};
static const float epss[] = {1e-5f, 0.0f, 1e-2f, 1e-6f, 1e-12f};
#define N(a) (sizeof a / sizeof a[0])

typedef struct {
  nb_metrics m;
  char first_breach[256];
} result;

static void run_case(nb_op op, nb_dtype dt, const nb_dist *dist, size_t d, size_t rows, float eps,
                     uint64_t seed, result *res) {
  nb_case c;
  if (nb_case_make(&c, op, dt, dist, seed, rows, d, eps)) {
    tap_ok(0, "reference for %s D=%zu", dist->name, d);
    return;
  }
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (k->op != op || k->dtype != dt || !nb_kernel_runs_here(k)) continue;
    nb_metrics m;
    if (nb_case_run(&c, k, &m)) {
      tap_ok(0, "%s runs on %s D=%zu", k->name, dist->name, d);
      continue;
    }
    if (m.breaches && !res[i].m.breaches)
      snprintf(res[i].first_breach, sizeof res[i].first_breach,
               "%s D=%zu eps=%g seed=%llu row %zu index %zu: error %.4g > bound %.4g", dist->name, d,
               (double)eps, (unsigned long long)seed, m.breach_row, m.breach_idx, m.worst_breach_err,
               m.worst_breach_bound);
    if (k->algo == NB_ACCURATE && !nb_op_quantized(op) && m.n_cr < m.n && res[i].m.n_cr == res[i].m.n)
      tap_diag("%s: %s D=%zu eps=%g seed=%llu row %zu index %zu not correctly rounded", k->name, dist->name, d,
               (double)eps, (unsigned long long)seed, m.miss_row, m.miss_idx);
    nb_metrics_merge(&res[i].m, &m);
  }
  nb_case_free(&c);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: test_kernels rmsnorm|layernorm|addrmsnorm|rmsnorm1p|rmsnorm_i8|rmsnorm_e4m3 f32|f16|bf16\n");
    return 2;
  }
  nb_op op = NB_RMSNORM;
  for (int o = 0; o < NB_NOPS; o++)
    if (strcmp(argv[1], nb_op_name((nb_op)o)) == 0) op = (nb_op)o;
  nb_dtype dt = strcmp(argv[2], "f16") == 0 ? NB_F16 : strcmp(argv[2], "bf16") == 0 ? NB_BF16 : NB_F32;
  int quick = tap_emulated();
  result *res = calloc(nb_kernel_count(), sizeof *res);
  for (size_t i = 0; i < nb_kernel_count(); i++) nb_metrics_init(&res[i].m);

  size_t step = quick ? 13 : 1;
  for (size_t d = 1; d <= 300; d += step) {
    for (size_t a = 0; a < N(always); a++)
      run_case(op, dt, nb_dist_find(always[a]), d, 2, epss[(d + a) % N(epss)], d, res);
    run_case(op, dt, nb_dist_find(rotating[d % N(rotating)]), d, 2, epss[d % N(epss)], d, res);
  }
  size_t big[] = {512, 1000, 1024, 1025, 4095, 4096, 4097, 12288, 65536};
  for (size_t j = 0; j < N(big); j++) {
    if (quick && big[j] > 4097) continue;
    for (size_t a = 0; a < N(always); a++) run_case(op, dt, nb_dist_find(always[a]), big[j], 1, 1e-5f, j, res);
    for (size_t r = j % 3; r < N(rotating); r += 3)
      run_case(op, dt, nb_dist_find(rotating[r]), big[j], 1, epss[r % N(epss)], j, res);
  }

  size_t tested = 0;
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (k->op != op || k->dtype != dt) continue;
    if (!nb_kernel_runs_here(k)) {
      printf("ok %d - %s # SKIP this CPU lacks its features\n", ++tap_count, k->name);
      continue;
    }
    tested++;
    const nb_metrics *m = &res[i].m;
    if (isnan(m->bound)) {
      tap_ok(m->n > 0, "%s (no declared bound): max error %.4g ulp, %.2f%% correctly rounded", k->name,
             m->max_err, 100.0 * m->n_cr / m->n);
      continue;
    }
    tap_ok(m->breaches == 0 && m->rows_checked > 0,
           "%s: max error %.4g ulp on %zu promised rows (bound up to %.4g), %.4g on all, %.2f%% correctly rounded",
           k->name, m->max_checked, m->rows_checked, m->bound, m->max_err, 100.0 * m->n_cr / m->n);
    if (m->breaches) tap_diag("%zu outputs above the bound; first: %s", m->breaches, res[i].first_breach);
    if (nb_op_quantized(op)) /* reported, not promised: the bound is on the error */
      tap_diag("%s: %zu of %zu outputs on another %s than the exact result's rounding", k->name,
               m->n - m->n_cr, m->n, op == NB_RMSNORM_I8 ? "integer" : "e4m3 value");
    else if (k->algo == NB_ACCURATE)
      tap_ok(m->n_cr == m->n, "%s: %zu of %zu outputs correctly rounded (bit-equal to MPFR's rounding into %s), %zu by the exact fallback",
             k->name, m->n_cr, m->n, argv[2], m->n_exact);
    if (op == NB_ADDRMSNORM)
      tap_ok(m->r_wrong == 0 && m->n > 0, "%s: r = x + residual correctly rounded on all %zu values (%zu not)",
             k->name, m->n, m->r_wrong);
  }
  tap_ok(tested > 0, "%zu %s %s kernels run here", tested, argv[1], argv[2]);
  free(res);
  return tap_done();
}
