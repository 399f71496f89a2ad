/* The harness's own parts: statistics on inputs whose answers are worked
 * out by hand, the clock against CLOCK_MONOTONIC (calibration sanity, not
 * speed), the probes' copies, working-set sizing and shapes, and the
 * engine's structure (never its timings: the machine is shared): pack and
 * unpack, kernel selection, threaded calls giving single-threaded bits, the
 * interleaved comparison's bookkeeping and its ratio's interval. TAP. */
#include "bench.h"
#include "engine.h"
#include "perf.h"
#include "stats.h"
#include "timer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_test, n_fail;

static void ok(int cond, const char *what) {
  n_test++;
  if (!cond) n_fail++;
  printf("%sok %d - %s\n", cond ? "" : "not ", n_test, what);
}

static int near(double a, double b) { return fabs(a - b) <= 1e-12 * fmax(1, fabs(b)); }

static void test_stats(void) {
  /* 1 2 3 4 100: median 3, mean 22, deviations -21 -20 -19 -18 78 whose
   * squares sum to 7610; |x - 3| = 2 1 0 1 97, median 1 */
  double v[] = {4, 100, 1, 3, 2};
  nb_stats s = nb_stats_of(v, 5);
  ok(s.n == 5 && near(s.median, 3) && near(s.min, 1) && near(s.mean, 22), "median, min, mean of 5 samples");
  ok(near(s.stddev, sqrt(7610 / 4.0)) && near(s.cv, sqrt(7610 / 4.0) / 22), "stddev (n - 1) and cv");
  ok(near(s.mad_pct, 100.0 / 3), "MAD as a percentage of the median");
  ok(v[0] == 4 && v[1] == 100, "the samples are not reordered");
  /* even count: median 2.5; |x - 2.5| = 1.5 .5 .5 1.5, median 1 */
  double e[] = {4, 1, 3, 2};
  s = nb_stats_of(e, 4);
  ok(near(s.median, 2.5) && near(s.mad_pct, 40), "even count: mean of the middle two");
  double one = 7;
  s = nb_stats_of(&one, 1);
  ok(near(s.median, 7) && s.stddev == 0 && s.cv == 0 && s.mad_pct == 0, "one sample: no spread");
  ok(s.q1 == 7 && s.q3 == 7, "one sample: quartiles are the sample");
  /* Quartiles by linear interpolation between order statistics (numpy's
   * default): h = (n - 1) p, s[floor h] + frac(h) (s[floor h + 1] - s[floor h]).
   * 1 2 3 4 100: h = 1 and 3, on order statistics: 2 and 4 (the outlier
   * does not move them). */
  s = nb_stats_of(v, 5);
  ok(s.q1 == 2 && s.q3 == 4, "quartiles of 5 samples: order statistics 2 and 4");
  /* 10 20 30 40 (given out of order): h = 0.75 -> 10 + 0.75 * 10 = 17.5,
   * h = 1.5 -> 25 (the median), h = 2.25 -> 30 + 0.25 * 10 = 32.5 */
  double f[] = {40, 10, 30, 20};
  s = nb_stats_of(f, 4);
  ok(near(s.q1, 17.5) && near(s.median, 25) && near(s.q3, 32.5), "quartiles of 4 samples interpolate: 17.5, 25, 32.5");
  /* 1 2 4 8 16 32 (uneven gaps): h = 1.25 -> 2 + 0.25 * 2 = 2.5, h = 2.5
   * -> 6, h = 3.75 -> 8 + 0.75 * 8 = 14 */
  double g[] = {16, 1, 32, 4, 2, 8};
  s = nb_stats_of(g, 6);
  ok(near(s.q1, 2.5) && near(s.median, 6) && near(s.q3, 14), "quartiles of 6 samples: 2.5, 6, 14");
  /* q1 <= median <= q3 on skewed samples of every count 1..40 */
  double k[40];
  int order = 1;
  for (int m = 1; m <= 40; m++) {
    for (int i = 0; i < m; i++) k[i] = 1000 + (double)((i * 7919) % 97) * (i % 5 ? 1 : 20);
    s = nb_stats_of(k, (size_t)m);
    order &= s.min <= s.q1 && s.q1 <= s.median && s.median <= s.q3 && s.q3 >= s.q1;
  }
  ok(order, "min <= q1 <= median <= q3 for 1..40 samples");
  double c[9] = {5, 5, 5, 5, 5, 5, 5, 5, 5}, lo, hi;
  nb_bootstrap_median(c, 9, 1000, 0.95, &lo, &hi);
  ok(lo == 5 && hi == 5, "bootstrap of constant samples is a point");
  double r[101];
  for (int i = 0; i < 101; i++) r[i] = i;
  nb_bootstrap_median(r, 101, 2000, 0.95, &lo, &hi);
  /* the median's standard error here is about 1.25 sqrt(n) / 2 ~ 6 */
  ok(lo < 50 && hi > 50 && lo > 35 && hi < 65, "bootstrap interval of 0..100 holds 50, width plausible");
}

static void test_clock(void) {
  const nb_clock *c = nb_clock_init();
  ok(c->ns_per_tick > 0 && c->resolution_ns > 0 && c->overhead_ns >= 0, "clock characterised");
  printf("# clock %s: %.4f ns/tick, resolution %.2f ns, overhead %.2f ns\n", c->name, c->ns_per_tick,
         c->resolution_ns, c->overhead_ns);
  int mono = 1;
  uint64_t prev = nb_tick_start(c->kind);
  for (int i = 0; i < 100000; i++) {
    uint64_t t = i % 2 ? nb_tick_start(c->kind) : nb_tick_stop(c->kind);
    mono &= t >= prev;
    prev = t;
  }
  ok(mono, "100000 reads never go backwards");
  /* a 20 ms sleep measured by both clocks, best of three: a preemption
   * between the two reads at either end can stretch one clock's interval
   * alone, and this machine may be shared */
  double best = INFINITY;
  for (int i = 0; i < 3; i++) {
    struct timespec a, b, s = {0, 20000000};
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint64_t t0 = nb_tick_start(c->kind);
    nanosleep(&s, NULL);
    uint64_t t1 = nb_tick_stop(c->kind);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double mono_ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    double ours = (double)(t1 - t0) * c->ns_per_tick;
    best = fmin(best, fabs(ours / mono_ns - 1));
  }
  printf("# relative difference over a 20 ms sleep (best of 3): %.2e\n", best);
  ok(best < 0.02, "calibrated clock agrees with CLOCK_MONOTONIC within 2% over 20 ms");
  ok(nb_pin_thread(-1) >= 0, "thread pinned to a CPU");
}

static void test_probes(void) {
  size_t n = 4096 + 7; /* a tail after the vector loop */
  float *x = nb_buffer(n * 4), *y = nb_buffer(n * 4);
  for (nb_probe p = NB_PROBE_COPY; p <= NB_PROBE_COPY_NT; p++) {
    for (size_t i = 0; i < n; i++) x[i] = (float)i * 0.5f - 3, y[i] = 0;
    nb_probe_run(p, x, y, n);
    char what[64];
    snprintf(what, sizeof what, "%s (%s) copies every element", nb_probe_name(p), nb_probe_isa());
    ok(memcmp(x, y, n * 4) == 0, what);
  }
  free(x);
  free(y);
}

static void test_ws(void) {
  nb_machine m;
  char why[256];
  ok(nb_machine_get(&m, NULL, why, sizeof why) == 0, "machine description");
  ok(m.l1d > 0 && m.l2 > m.l1d && m.llc >= m.l2, "cache sizes in use are non-zero and increase with level");
  nb_ws mem = {NB_WS_MEM, 0, 0}, l1 = {NB_WS_L1, 0, 0};
  size_t mb = nb_ws_bytes(mem, &m), phys = nb_platform_get()->phys_mem;
  ok(mb <= ((size_t)1 << 30) && (!phys || mb <= phys / 4), "memory working set at most 1 GiB and RAM/4");
  ok(mb >= 4 * m.llc || mb == ((size_t)1 << 30) || mb == phys / 4, "memory working set is 4x the LLC unless capped");
  ok(mb >= ((size_t)256 << 20) || mb == phys / 4, "memory working set at least 256 MiB unless RAM/4 is less");
  size_t rows = nb_ws_rows(nb_ws_bytes(l1, &m), 64, 4);
  ok(2 * rows * 64 * 4 <= m.l1d && rows >= 1, "L1 working set: x + y fit L1d");
  ok(nb_ws_rows(100, 4096, 4) == 1, "at least one row");
  for (int i = 0; i < m.ncaches; i++) {
    const nb_cache *c = &m.caches[i];
    char what[160];
    snprintf(what, sizeof what, "L%d %s: size %zu from %s, reported %zu by %s", c->level, c->type, c->size,
             nb_source_name(c->src), c->reported, nb_source_name(c->reported_src));
    /* a size kept as reported has its source; a replaced one says why */
    ok(c->size > 0 && (c->size == c->reported ? c->src == c->reported_src : c->note[0] != 0), what);
  }
}

/* --caches / NORMBENCH_CACHES: sizes with units, levels 1-4, anything else refused. */
static void test_caches_override(void) {
  size_t s[5];
  ok(nb_parse_caches("L1=48K,L2=1M,L3=32M", s) == 0 && s[1] == 48 << 10 && s[2] == 1 << 20 && s[3] == 32 << 20,
     "parse L1=48K,L2=1M,L3=32M");
  ok(nb_parse_caches("l2=2MiB,L3=1GB", s) == 0 && s[2] == 2 << 20 && s[3] == (size_t)1 << 30 && s[1] == 0,
     "parse units MiB and GB, a level left out");
  const char *bad[] = {"", "L5=1M", "L1=", "L1=-4K", "L1=0", "L1=4Q", "X1=4K", "L1 = 4K", "L1=4K;L2=1M", "L2=99999999G"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char what[64];
    snprintf(what, sizeof what, "refuse '%s'", bad[i]);
    ok(nb_parse_caches(bad[i], s) != 0, what);
  }
  nb_machine m;
  char why[256] = "";
  size_t phys = nb_platform_get()->phys_mem, want_mem = (size_t)256 << 20;
  if (phys && phys / 4 < want_mem) want_mem = phys / 4;
  ok(nb_machine_get(&m, "L1=32K,L2=2M,L3=64M", why, sizeof why) == 0 && m.l1d == 32 << 10 && m.l2 == 2 << 20 &&
         m.llc == 64 << 20 && m.mem == want_mem,
     "override: sizes used as given, mem = 4 x 64 MiB");
  int all = m.ncaches > 0;
  for (int i = 0; i < m.ncaches; i++)
    all &= !strcmp(m.caches[i].type, "Instruction") || m.caches[i].src == NB_SRC_OVERRIDE;
  ok(all, "override: every data cache says 'override'");
  ok(nb_machine_get(&m, "L1=banana", why, sizeof why) == -1 && strstr(why, "--caches") != NULL,
     "override: a malformed one is an error naming the option");
}

static void test_shapes(void) {
  nb_machine m;
  char why[256];
  nb_machine_get(&m, NULL, why, sizeof why);
  nb_ws w;
  ok(!nb_ws_parse("decode", &w) && w.kind == NB_WS_DECODE && nb_ws_rows_at(w, &m, 4096, 4) == 1,
     "decode: one row per call");
  ok(!nb_ws_parse("batch", &w) && nb_ws_rows_at(w, &m, 4096, 2) == NB_BATCH_ROWS, "batch: 64 rows per call");
  ok(!nb_ws_parse("prefill", &w) && nb_ws_rows_at(w, &m, 4096, 4) == nb_ws_rows(m.mem, 4096, 4),
     "prefill: x + y fill the memory working set");
  ok(!nb_ws_parse("rows:7", &w) && w.kind == NB_WS_ROWS && nb_ws_rows_at(w, &m, 100, 4) == 7 &&
         !strcmp(nb_ws_name(w), "rows:7"),
     "rows:7 parses, names itself, gives 7 rows");
  ok(nb_ws_parse("rows:0", &w) && nb_ws_parse("255", &w) && nb_ws_parse("l9", &w) && nb_ws_parse("rows:x", &w),
     "rows:0, 255 bytes, unknown names are refused");
  ok(!nb_ws_parse("l2", &w) && !strcmp(nb_ws_name(w), "l2") && strstr(nb_ws_describe(NB_WS_PREFILL), "mem") && strstr(nb_ws_describe(NB_WS_MEM), "4x"),
     "names round-trip; one description per name");
}

static void test_pack(void) {
  float src[5] = {1, -0.5f, 65504, 1e-8f, 3.14159274f}, back[5];
  uint16_t h[5];
  nb_pack(NB_BF16, src, h, 5);
  nb_unpack(NB_BF16, h, back, 5);
  int same = 1;
  for (int i = 0; i < 5; i++) same &= back[i] == nb_bf16_to_f32(nb_f32_to_bf16(src[i]));
  ok(same && back[0] == 1 && back[1] == -0.5f, "bf16 pack rounds like nb_f32_to_bf16, unpack widens exactly");
  nb_pack(NB_F16, src, h, 5);
  ok(nb_storage_get(NB_F16, h, 2) == 65504 && nb_storage_get(NB_F16, h, 3) == nb_f16_to_f32(nb_f32_to_f16(1e-8f)),
     "f16 pack and element access agree");
}

static void test_select(void) {
  const nb_kernel *ks[256];
  size_t n = nb_select("*_scalar", 1u << NB_RMSNORM, 1u << NB_F32, ks, 256), all = nb_select(NULL, 0, 0, ks + 128, 128);
  int good = n > 0;
  for (size_t i = 0; i < n; i++)
    good &= ks[i]->op == NB_RMSNORM && ks[i]->dtype == NB_F32 && !strcmp(ks[i]->isa, "scalar");
  size_t here = 0;
  for (size_t i = 0; i < nb_kernel_count(); i++) here += nb_kernel_runs_here(nb_kernel_at(i)) != 0;
  ok(good && all == (here < 128 ? here : 128), "nb_select: glob, op and dtype filter; every kernel that runs here");
}

/* Two threads split the rows; the bits are those of one call. */
static void test_threads(void) {
  const char *emu = getenv("NORMBENCH_EMULATED");
  if (emu && !strcmp(emu, "1")) { /* qemu-user 7.2 here never returns from pthread_join */
    n_test++;
    printf("ok %d - threaded calls # SKIP emulated run\n", n_test);
    return;
  }
  const nb_kernel *k = NULL, *ks[64];
  size_t n = nb_select("layernorm_bf16_twopass_*", 0, 0, ks, 64);
  if (n) k = ks[n - 1];
  nb_workload w1, w2;
  nb_measure_opts o = {3, 1e-4, 0};
  nb_result r;
  char err[128];
  int okay = k && !nb_workload_init(&w1, NB_LAYERNORM, NB_BF16, 300, 37, (nb_ws){NB_WS_ROWS, 0, 37}, 1) &&
             !nb_workload_init(&w2, NB_LAYERNORM, NB_BF16, 300, 37, (nb_ws){NB_WS_ROWS, 0, 37}, 2);
  if (!okay) {
    ok(0, "workloads for the threads test");
    return;
  }
  okay = !nb_measure_kernel(k, &w1, &o, &r, err, sizeof err);
  nb_result_free(&r);
  memset(w2.y, 0xff, 37 * 300 * 2);
  okay &= !nb_measure_kernel(k, &w2, &o, &r, err, sizeof err);
  ok(okay && r.repetitions == 3 && r.st.median > 0 && memcmp(w1.y, w2.y, 37 * 300 * 2) == 0,
     "a call split across 2 threads writes every row, with the bits of one thread");
  nb_result_free(&r);
  nb_workload_free(&w1);
  nb_workload_free(&w2);
}

/* The interleaved comparison: every round timed for every kernel, the
 * ratio and interval computed from those rounds; f32 against bf16 on the
 * same rows. */
static void test_interleave(void) {
  const nb_kernel *ks[2] = {nb_kernel_find("rmsnorm_f32_twopass_scalar"), nb_kernel_find("rmsnorm_bf16_twopass_scalar")};
  nb_workload a, b, *ws[2] = {&a, &b};
  nb_measure_opts o = {9, 1e-4, 0};
  nb_interleaved r;
  char err[128];
  if (!ks[0] || !ks[1] || nb_workload_init(&a, NB_RMSNORM, NB_F32, 128, 8, (nb_ws){NB_WS_ROWS, 0, 8}, 1) ||
      nb_workload_init(&b, NB_RMSNORM, NB_BF16, 128, 8, (nb_ws){NB_WS_ROWS, 0, 8}, 1)) {
    ok(0, "workloads for the interleave test");
    return;
  }
  int rc = nb_interleave(ks, NULL, ws, 2, &o, &r, err, sizeof err);
  int all = rc == 0 && r.n == 2 && r.rounds == 9;
  for (unsigned i = 0; all && i < 18; i++) all &= r.ns[i] > 0;
  ok(all && r.iterations[0] > 0 && r.iterations[1] > 0, "nb_interleave: every kernel timed in every round");
  nb_ratio self = nb_interleaved_ratio(&r, ws, 1, 1), q = nb_interleaved_ratio(&r, ws, 0, 1);
  double v[9];
  for (int k = 0; k < 9; k++) v[k] = r.ns[k] / r.ns[9 + k];
  ok(self.ratio == 1 && self.lo == 1 && self.hi == 1 && near(q.ratio, nb_median(v, 9)) && q.lo <= q.ratio &&
         q.ratio <= q.hi,
     "ratio: 1 against itself; else the median of per-round ratios, inside its interval");
  ok(near(r.rows_per_s[0], 8 / r.st[0].median * 1e9) && r.st[1].n == 9, "rows/s from each kernel's median");
  nb_interleaved_free(&r);
  /* a probe against a kernel, in bytes/s: the copy moves x and y once
   * (2 x 8 rows x 128 x 4 bytes), the kernel x, y and g once */
  const nb_kernel *pk[2] = {NULL, ks[0]};
  nb_probe pp[2] = {NB_PROBE_COPY, 0};
  nb_workload *pw[2] = {&a, &a};
  rc = nb_interleave(pk, pp, pw, 2, &o, &r, err, sizeof err);
  for (int k = 0; rc == 0 && k < 9; k++) v[k] = (8704 / r.ns[9 + k]) / (8192 / r.ns[k]);
  nb_ratio bw = rc ? (nb_ratio){0, 0, 0} : nb_interleaved_bw_ratio(&r, 0, 1);
  ok(rc == 0 && r.bytes[0] == 8192 && r.bytes[1] == 8704 && near(bw.ratio, nb_median(v, 9)) && bw.lo <= bw.ratio &&
         bw.ratio <= bw.hi,
     "a probe interleaved with a kernel: bytes per call of each, the bandwidth ratio from the rounds");
  nb_interleaved_free(&r);
  const nb_kernel *wrong[2] = {ks[1], ks[0]};
  ok(nb_interleave(wrong, NULL, ws, 2, &o, &r, err, sizeof err) == -1 && strstr(err, "workload"),
     "a kernel on a workload of another dtype is refused");
  nb_workload_free(&a);
  nb_workload_free(&b);
}

int main(void) {
  test_stats();
  test_clock();
  test_probes();
  test_ws();
  test_shapes();
  test_pack();
  test_select();
  test_threads();
  test_interleave();
  test_caches_override();
  printf("1..%d\n", n_test);
  return n_fail != 0;
}
