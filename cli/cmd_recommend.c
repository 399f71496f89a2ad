/* normbench recommend: which kernel to use on this CPU, per op, dtype and
 * row length. Every runnable kernel passes an accuracy gate (declared bound
 * AND measured error on hard inputs within the budget); the survivors are
 * timed interleaved against the dispatcher's default choice, and a kernel
 * replaces the default only if the lower end of the 95% confidence
 * interval of its speed-up clears NOISE. Under emulation nothing is timed
 * and the choice is the default's static priority. */
#include "cli.h"

#include "stats.h"
#include "timer.h"

#include "accuracy.h"
#include "normbench.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define ROUNDS 21     /* interleaved rounds per kernel; odd, for the median */
#define BATCHES 5     /* batches per timing, median taken */
#define BATCH_S 2e-4  /* target length of one batch, seconds */
#define NOISE 1.02    /* a speed-up must clear 2% at the CI's lower end */
#define MAXK 64

static const char *dists[] = {"normal", "constmag", "massive4", "shift10", "student3"};
#define NDIST (sizeof dists / sizeof dists[0])
#define GATE_ROWS 2

typedef struct {
  const nb_kernel *k;
  size_t rows, d;
  void *x, *g, *b, *y;
  size_t reps; /* calls per batch */
} tbuf;

/* ---- the timer --------------------------------------------------------------
 * The one timing primitive of recommend: seconds per call of k on t's
 * buffers, the median of BATCHES batches of t->reps back-to-back calls.
 * Until the perf harness (harness/timer.h) is merged this is
 * clock_gettime(CLOCK_MONOTONIC); the integrator switches this body, and
 * nothing else, to that timer. */
static double time_call(const tbuf *t, const nb_kernel *k) {
  const nb_clock *clk = nb_clock_init(); /* cached: no CPUID in the timed loop */
  double s[BATCHES];
  for (int i = 0; i < BATCHES; i++) {
    uint64_t a = nb_tick_start(clk->kind);
    for (size_t r = 0; r < t->reps; r++) k->fn(t->x, t->g, t->b, t->y, t->rows, t->d, t->d, t->d, 1e-5f);
    uint64_t b = nb_tick_stop(clk->kind);
    nb_clobber(t->y);
    s[i] = (double)(b - a) * clk->ns_per_tick * 1e-9 / (double)t->reps;
  }
  return nb_median(s, BATCHES);
}

/* ---- emulation ------------------------------------------------------------
 * Timings under an emulator say nothing about the target. Detected, first
 * match wins: --no-timing; a QEMU_* environment variable (qemu-user's
 * QEMU_LD_PREFIX, QEMU_CPU... set by binfmt setups and exe wrappers); a
 * /proc/cpuinfo of another architecture (qemu-user passes the host's file
 * through); on x86, the TCG hypervisor signature of qemu-system. */
extern char **environ;

static const char *emulated(void) {
  for (char **e = environ; *e; e++)
    if (!strncmp(*e, "QEMU_", 5)) return "a QEMU_* variable is set";
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f) {
    char line[512];
    int x86 = 0, arm = 0;
    while (fgets(line, sizeof line, f)) {
      x86 |= !strncmp(line, "vendor_id", 9);
      arm |= !strncmp(line, "CPU implementer", 15);
    }
    fclose(f);
#if defined(__x86_64__) || defined(__i386__)
    if (arm && !x86) return "/proc/cpuinfo describes an ARM host";
#else
    if (x86) return "/proc/cpuinfo describes an x86 host";
#endif
  }
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, r[4] = {0};
  __cpuid(0x40000000, a, r[0], r[1], r[2]);
  if (!memcmp(r, "TCGTCGTCGTCG", 12)) return "the CPU is QEMU's TCG emulator";
#endif
  return NULL;
}

/* ---- accuracy gate ---------------------------------------------------------- */

typedef struct {
  const nb_kernel *k;
  double bound, measured;
  int pass;
  double sec, ratio, lo, hi; /* per call; speed-up over the default, 95% CI */
} cand;

static void gate(cand *c, size_t n, nb_op op, nb_dtype dt, size_t d, double budget) {
  for (size_t i = 0; i < n; i++) {
    c[i].bound = nb_kernel_bound_d(c[i].k, d);
    c[i].measured = 0;
    c[i].pass = c[i].bound <= budget;
  }
  for (size_t j = 0; j < NDIST; j++) {
    const nb_dist *dist = nb_dist_find(dists[j]);
    nb_case cs;
    if (!dist || nb_case_make(&cs, op, dt, dist, 1000 + j, GATE_ROWS, d, 1e-5f)) continue;
    for (size_t i = 0; i < n; i++) {
      nb_metrics m;
      if (nb_case_run(&cs, c[i].k, &m)) {
        c[i].pass = 0;
        continue;
      }
      /* rows outside a kernel's promise (range, kappa) are not held against it */
      double e = m.rows_checked ? m.max_checked : m.max_err;
      if (!(e <= c[i].measured)) c[i].measured = e;
    }
    nb_case_free(&cs);
  }
  for (size_t i = 0; i < n; i++) c[i].pass = c[i].pass && c[i].measured <= budget;
}

/* ---- timing ------------------------------------------------------------------ */

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void *filled(nb_dtype dt, size_t n, uint64_t seed) {
  size_t sz = nb_dtype_size(dt);
  unsigned char *p = malloc(n * sz);
  float *row = malloc(n * sizeof *row);
  if (!p || !row) {
    free(p), free(row);
    return NULL;
  }
  nb_gen_row(nb_dist_find("normal"), dt, seed, 0, n, row);
  for (size_t i = 0; i < n; i++) {
    if (dt == NB_F32) {
      memcpy(p + 4 * i, &row[i], 4);
    } else {
      uint16_t h = dt == NB_F16 ? nb_f32_to_f16(row[i]) : nb_f32_to_bf16(row[i]);
      memcpy(p + 2 * i, &h, 2);
    }
  }
  free(row);
  return p;
}

/* 16384 elements a call (64 KiB of f32 x, as much y): L2-resident here. */
static size_t timed_rows(size_t d) { return d >= 16384 ? 1 : 16384 / d; }

/* Times c[0..n) (c[0] is the default) in ROUNDS interleaved rounds, each
 * starting with a different kernel; the speed-up of each kernel is the
 * median of its per-round ratios to the default, and its 95% CI the
 * distribution-free interval of that median from order statistics. */
static int time_all(cand *c, size_t n, nb_dtype dt, size_t d) {
  tbuf t = {.d = d, .rows = timed_rows(d)};
  size_t len = t.rows * d;
  t.x = filled(dt, len, 1), t.y = filled(dt, len, 2), t.g = filled(dt, d, 3), t.b = filled(dt, d, 4);
  double(*s)[ROUNDS] = malloc(n * sizeof *s);
  if (!t.x || !t.y || !t.g || !t.b || !s) {
    free(t.x), free(t.y), free(t.g), free(t.b), free(s);
    return -1;
  }
  t.reps = 1;
  double one = time_call(&t, c[0].k); /* also warms caches and clocks */
  t.reps = one > 0 ? (size_t)(BATCH_S / one) + 1 : 1000;
  for (int r = 0; r < ROUNDS; r++)
    for (size_t j = 0; j < n; j++) {
      size_t i = (j + (size_t)r) % n;
      s[i][r] = time_call(&t, c[i].k);
    }
  for (size_t i = 0; i < n; i++) {
    double ratio[ROUNDS], sec[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) ratio[r] = s[0][r] / s[i][r], sec[r] = s[i][r];
    qsort(ratio, ROUNDS, sizeof ratio[0], cmp_dbl);
    qsort(sec, ROUNDS, sizeof sec[0], cmp_dbl);
    double half = 1.96 * sqrt((double)ROUNDS) / 2;
    int lo = (int)floor(ROUNDS / 2.0 - half), hi = (int)ceil(ROUNDS / 2.0 + half);
    c[i].sec = sec[ROUNDS / 2];
    c[i].ratio = ratio[ROUNDS / 2];
    c[i].lo = ratio[lo < 0 ? 0 : lo];
    c[i].hi = ratio[hi >= ROUNDS ? ROUNDS - 1 : hi];
  }
  free(t.x), free(t.y), free(t.g), free(t.b), free(s);
  return 0;
}

/* ---- one (op, dtype, D) ---------------------------------------------------- */

static int one(nb_op op, nb_dtype dt, size_t d, int timing) {
  const nb_kernel *def = nb_choose(op, dt, d, NULL);
  double budget = nb_budget(op, dt);
  cand c[MAXK];
  size_t n = 0;
  if (!def) return cli_error("recommend", "no %s %s kernel runs here", nb_op_name(op), nb_dtype_name(dt));
  c[n++] = (cand){.k = def};
  for (size_t i = 0; i < nb_kernel_count() && n < MAXK; i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (k != def && k->op == op && k->dtype == dt && nb_kernel_runs_here(k)) c[n++] = (cand){.k = k};
  }
  gate(c, n, op, dt, d, budget);

  cand t[MAXK]; /* the default, then the survivors */
  size_t m = 0;
  t[m++] = c[0];
  for (size_t i = 1; i < n; i++)
    if (c[i].pass) t[m++] = c[i];
  if (timing && time_all(t, m, dt, d)) return cli_error("recommend", "out of memory");
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < m; j++)
      if (t[j].k == c[i].k) c[i] = t[j];

  const cand *best = &t[0];
  for (size_t j = 1; timing && j < m; j++)
    if (t[j].lo > NOISE && t[j].ratio > best->ratio) best = &t[j];

  printf("\n%s %s D=%zu, budget %g ulp%s; default %s; a call: %zu rows\n", nb_op_name(op), nb_dtype_name(dt), d,
         budget, op == NB_LAYERNORM ? " (floored)" : "", def->name, timed_rows(d));
  printf("  %-34s %10s %10s %5s %12s  %s\n", "kernel", "declared", "measured", "gate", "ns/call",
         "speed-up [95% CI]");
  for (size_t i = 0; i < n; i++) {
    printf("  %-34s %10.4g %10.4g %5s", c[i].k->name, c[i].bound, c[i].measured, c[i].pass ? "pass" : "FAIL");
    if (timing && (c[i].pass || i == 0))
      printf(" %12.1f  %.3f [%.3f, %.3f]\n", c[i].sec * 1e9, c[i].ratio, c[i].lo, c[i].hi);
    else
      printf(" %12s  -\n", "-");
  }
  if (!c[0].pass)
    printf("  warning: the default choice fails the accuracy gate (measured %.4g ulp > %g)\n", c[0].measured,
           budget);
  if (best == &t[0])
    printf("  -> %s (default kept%s)\n", def->name,
           timing ? m > 1 ? ": no speed-up beyond noise" : ": no other kernel passes the gate" : ": not timed");
  else
    printf("  -> %s: %.3fx the default [%.3f, %.3f]\n", best->k->name, best->ratio, best->lo, best->hi);
  nb_wisdom_add(best->k, d, budget, timing ? best->ratio : 1.0);
  return 0;
}

static int parse_op(const char *s, int *op) {
  if (!strcmp(s, "all")) return *op = -1, 0;
  for (int i = NB_RMSNORM; i <= NB_LAYERNORM; i++)
    if (!strcmp(s, nb_op_name((nb_op)i))) return *op = i, 0;
  return -1;
}

static int parse_dtype(const char *s, int *dt) {
  if (!strcmp(s, "all")) return *dt = -1, 0;
  for (int i = NB_F32; i <= NB_BF16; i++)
    if (!strcmp(s, nb_dtype_name((nb_dtype)i))) return *dt = i, 0;
  return -1;
}

static void help(void) {
  printf("usage: normbench recommend [--op rmsnorm|layernorm|all] [--dtype f32|f16|bf16|all]\n"
         "                           [--budget ULP] [--d LIST] [--wisdom FILE] [--no-timing]\n\n"
         "For each op, dtype and row length D (default 128,1024,4096,16384), gates every\n"
         "kernel this CPU runs on accuracy -- declared bound at D and measured error on\n"
         "%zu rows each of normal, constmag, massive4, shift10 and student3 inputs, both\n"
         "within the budget (default: 1 ulp; LayerNorm floored; 16-bit faithful) --, times\n"
         "the survivors interleaved with the dispatcher's default choice (%d rounds), and\n"
         "recommends the fastest one whose speed-up's 95%% CI lies above %.2f; otherwise\n"
         "the default stays. --wisdom FILE writes the choices as a wisdom file for\n"
         "nb_wisdom_load() or NORMBENCH_WISDOM=FILE (buckets not measured keep the\n"
         "default choice). NORMBENCH_KERNEL and NORMBENCH_WISDOM are ignored here.\n\n"
         "Under emulation timings are meaningless: nothing is timed, the accuracy gate\n"
         "still runs and the wisdom file records the default choices. Emulation is\n"
         "--no-timing, a QEMU_* environment variable, a /proc/cpuinfo of another\n"
         "architecture (qemu-user), or QEMU's TCG hypervisor signature (x86).\n",
         (size_t)GATE_ROWS, ROUNDS, NOISE);
}

int cmd_recommend(int argc, char **argv) {
  static const struct option opts[] = {{"op", required_argument, 0, 'o'},     {"dtype", required_argument, 0, 't'},
                                       {"budget", required_argument, 0, 'b'}, {"d", required_argument, 0, 'd'},
                                       {"wisdom", required_argument, 0, 'w'}, {"no-timing", no_argument, 0, 'n'},
                                       {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  int op = -1, dt = -1, no_timing = 0, c;
  double budget = 0;
  size_t ds[32] = {128, 1024, 4096, 16384}, nd = 4;
  const char *wisdom = NULL;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      if (parse_op(optarg, &op)) return cli_error("recommend", "--op wants rmsnorm, layernorm or all, got '%s'", optarg);
      break;
    case 't':
      if (parse_dtype(optarg, &dt))
        return cli_error("recommend", "--dtype wants f32, f16, bf16 or all, got '%s'", optarg);
      break;
    case 'b':
      if (cli_parse_double(optarg, &budget) || !(budget > 0))
        return cli_error("recommend", "--budget wants a positive number of ulps, got '%s'", optarg);
      break;
    case 'd':
      if (cli_parse_size_list(optarg, ds, sizeof ds / sizeof ds[0], &nd))
        return cli_error("recommend", "--d wants a list of row lengths like 128,4096, got '%s'", optarg);
      for (size_t i = 0; i < nd; i++)
        if (ds[i] == 0 || ds[i] > ((size_t)1 << 20))
          return cli_error("recommend", "--d: row lengths are 1 to 1048576, got %zu", ds[i]);
      break;
    case 'w': wisdom = optarg; break;
    case 'n': no_timing = 1; break;
    case 'h': help(); return 0;
    default: return cli_error("recommend", "unknown option '%s' (normbench recommend --help)", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_error("recommend", "unexpected argument '%s'", argv[optind]);
  if (cli_check_only) return 0;

  /* Measure against the static default, whatever the environment says. */
  unsetenv("NORMBENCH_KERNEL");
  unsetenv("NORMBENCH_WISDOM");
  nb_dispatch_reset();
  nb_set_policy(NB_POLICY_FASTEST, budget);
  const char *emu = no_timing ? "--no-timing" : emulated();
  printf("cpu: %s\nbuild: %s\n", nb_cpu_signature(), nb_build_id());
  if (emu)
    printf("timing: off (%s): timings under emulation are meaningless; choices follow the static priority\n", emu);

  for (int o = NB_RMSNORM; o <= NB_LAYERNORM; o++)
    for (int t = NB_F32; t <= NB_BF16; t++)
      for (size_t i = 0; i < nd; i++) {
        if ((op >= 0 && o != op) || (dt >= 0 && t != dt)) continue;
        int rc = one((nb_op)o, (nb_dtype)t, ds[i], !emu);
        if (rc) return rc;
      }
  if (wisdom) {
    if (nb_wisdom_save(wisdom)) return cli_error("recommend", "cannot write %s: %s", wisdom, strerror(errno));
    printf("\nwisdom written to %s\n", wisdom);
  }
  return 0;
}
