/* The dispatcher and wisdom files: every choice is a kernel this CPU runs
 * (of the right op and dtype, within the budget, never naive or external,
 * and never one whose features NORMBENCH_CPU_DISABLE hides); overrides by
 * NORMBENCH_KERNEL work and bad ones are refused on stderr; wisdom
 * round-trips and foreign wisdom is rejected naming the field that differs;
 * choices are stable across calls and threads; the nb_<op>_<dtype> entry
 * points give nb_run's bits. Kernels come from the registry, never by name. */
#include "gen.h"
#include "tap.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NS (NB_WISDOM_MAXB + 1)
typedef const nb_kernel *choices[2][3][NS];

static const nb_op ops[] = {NB_RMSNORM, NB_LAYERNORM};
static const nb_dtype dts[] = {NB_F32, NB_F16, NB_BF16};
#define FOR_SLOTS                                \
  for (int o = 0; o < 2; o++)                    \
    for (int t = 0; t < 3; t++)                  \
      for (unsigned bk = 0; bk < NS; bk++)
#define SLOT ops[o], dts[t], nb_bucket_max(bk)

static char dir[64], captured[16384];
static int saved_fd = -1;
static FILE *cap;

static void cap_begin(void) {
  fflush(stderr);
  cap = tmpfile();
  saved_fd = dup(2);
  dup2(fileno(cap), 2);
}

static const char *cap_end(void) {
  fflush(stderr);
  dup2(saved_fd, 2);
  close(saved_fd);
  rewind(cap);
  size_t n = fread(captured, 1, sizeof captured - 1, cap);
  captured[n] = 0;
  fclose(cap);
  return captured;
}

static void snapshot(choices c, nb_why want, int *all_why) {
  *all_why = 1;
  FOR_SLOTS {
    nb_why w;
    c[o][t][bk] = nb_choose(SLOT, &w);
    if (w != want) *all_why = 0;
  }
}

static int same(choices a, choices b) {
  FOR_SLOTS if (a[o][t][bk] != b[o][t][bk]) return 0;
  return 1;
}

static int eligible(const nb_kernel *k, nb_op op, nb_dtype dt) {
  return k->op == op && k->dtype == dt && k->algo != NB_NAIVE && !(k->flags & NB_K_EXTERNAL) &&
         nb_kernel_runs_here(k);
}

/* Features named in NORMBENCH_CPU_DISABLE. */
static uint32_t hidden(void) {
  const char *env = getenv("NORMBENCH_CPU_DISABLE");
  char buf[256];
  uint32_t h = 0;
  snprintf(buf, sizeof buf, "%s", env ? env : "");
  for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
    for (uint32_t bit = 1; bit; bit <<= 1)
      if (nb_cpu_feature_name(bit) && !strcmp(tok, nb_cpu_feature_name(bit))) h |= bit;
  return h;
}

/* What the default policy promises, checked from the outside: a runnable
 * eligible kernel within the budget when one exists, and no eligible
 * kernel within the budget that needs strictly more features (a wider ISA
 * passed over). */
static void check_default(void) {
  uint32_t hide = hidden();
  tap_ok((nb_cpu_features() & hide) == 0, "NORMBENCH_CPU_DISABLE hides its features (mask %#x)",
         (unsigned)hide);
  for (int o = 0; o < 2; o++)
    for (int t = 0; t < 3; t++) {
      char bad[256] = "";
      for (unsigned bk = 0; bk < NS && !*bad; bk++) {
        nb_why w;
        size_t d = nb_bucket_max(bk);
        const nb_kernel *k = nb_choose(SLOT, &w);
        double budget = nb_budget(ops[o], dts[t]);
        int any = 0;
        for (size_t i = 0; i < nb_kernel_count(); i++) {
          const nb_kernel *c = nb_kernel_at(i);
          if (!eligible(c, ops[o], dts[t]) || !(nb_kernel_bound_d(c, d) <= budget)) continue;
          any = 1;
          if (k && (c->needs & k->needs) == k->needs && c->needs != k->needs)
            snprintf(bad, sizeof bad, "D %zu: %s passed over %s", d, k->name, c->name);
        }
        if (!k || w != NB_WHY_DEFAULT || !eligible(k, ops[o], dts[t]))
          snprintf(bad, sizeof bad, "D %zu: %s (%s) is not an eligible default", d, k ? k->name : "none",
                   nb_why_name(w));
        else if (k->needs & hide)
          snprintf(bad, sizeof bad, "D %zu: %s needs a hidden feature", d, k->name);
        else if (any && !(nb_kernel_bound_d(k, d) <= budget))
          snprintf(bad, sizeof bad, "D %zu: %s is outside the budget %g", d, k->name, budget);
      }
      tap_ok(!*bad, "%s %s: default choices run here, within budget, widest ISA %s", nb_op_name(ops[o]),
             nb_dtype_name(dts[t]), bad);
    }
}

static void check_accurate(void) {
  tap_ok(nb_set_policy(NB_POLICY_ACCURATE, 0) == NB_OK, "set most-accurate policy");
  char bad[256] = "";
  FOR_SLOTS {
    size_t d = nb_bucket_max(bk);
    const nb_kernel *k = nb_choose(SLOT, NULL);
    for (size_t i = 0; k && i < nb_kernel_count(); i++) {
      const nb_kernel *c = nb_kernel_at(i);
      if (eligible(c, ops[o], dts[t]) && nb_kernel_bound_d(c, d) < nb_kernel_bound_d(k, d))
        snprintf(bad, sizeof bad, "D %zu: %s chosen over the tighter %s", d, k->name, c->name);
    }
    if (!k) snprintf(bad, sizeof bad, "D %zu: no choice", d);
  }
  tap_ok(!*bad, "most-accurate policy takes the smallest declared bound %s", bad);
  tap_ok(nb_set_policy(NB_POLICY_FASTEST, -1) == NB_EINVAL && nb_set_policy(NB_POLICY_FASTEST, NAN) == NB_EINVAL &&
             nb_set_policy((nb_policy)7, 1) == NB_EINVAL,
         "bad policies are refused");
  nb_dispatch_reset();
}

/* Inputs in the storage format of dt: rows of d, strides d + 3. */
static void *fill(nb_dtype dt, uint64_t seed, size_t rows, size_t d, size_t stride, int params) {
  size_t sz = nb_dtype_size(dt), n = params ? d : rows * stride;
  unsigned char *p = calloc(n, sz);
  float *row = malloc(d * sizeof *row), *b = malloc(d * sizeof *b);
  for (size_t r = 0; r < (params ? 1 : rows); r++) {
    if (params)
      nb_gen_params(dt, seed, d, row, b);
    else
      nb_gen_row(nb_dist_find("normal"), dt, seed, r, d, row);
    for (size_t i = 0; i < d; i++) {
      float v = params == 2 ? b[i] : row[i];
      size_t at = r * stride + i;
      if (dt == NB_F32)
        memcpy(p + at * 4, &v, 4);
      else {
        uint16_t h = dt == NB_F16 ? nb_f32_to_f16(v) : nb_f32_to_bf16(v);
        memcpy(p + at * 2, &h, 2);
      }
    }
  }
  free(row);
  free(b);
  return p;
}

static int entry(nb_op op, nb_dtype dt, const void *x, const void *g, const void *b, void *y, size_t rows,
                 size_t d, size_t xs, size_t ys, float eps) {
  if (op == NB_RMSNORM)
    return dt == NB_F32   ? nb_rmsnorm_f32(x, g, y, rows, d, xs, ys, eps)
           : dt == NB_F16 ? nb_rmsnorm_f16(x, g, y, rows, d, xs, ys, eps)
                          : nb_rmsnorm_bf16(x, g, y, rows, d, xs, ys, eps);
  return dt == NB_F32   ? nb_layernorm_f32(x, g, b, y, rows, d, xs, ys, eps)
         : dt == NB_F16 ? nb_layernorm_f16(x, g, b, y, rows, d, xs, ys, eps)
                        : nb_layernorm_bf16(x, g, b, y, rows, d, xs, ys, eps);
}

/* The entry point against nb_run on nb_choose's kernel, bit for bit. */
static void check_bits(const char *label) {
  static const size_t ds[] = {1, 3, 17, 100, 1000, 4097};
  const size_t rows = 3;
  for (int o = 0; o < 2; o++)
    for (int t = 0; t < 3; t++) {
      char bad[256] = "";
      for (size_t j = 0; j < sizeof ds / sizeof ds[0] && !*bad; j++) {
        size_t d = ds[j], xs = d + 3, ys = d + 1, sz = nb_dtype_size(dts[t]);
        void *x = fill(dts[t], j, rows, d, xs, 0), *g = fill(dts[t], j, 1, d, d, 1);
        void *b = ops[o] == NB_LAYERNORM ? fill(dts[t], j, 1, d, d, 2) : NULL;
        unsigned char *y1 = calloc(rows * ys, sz), *y2 = calloc(rows * ys, sz);
        const nb_kernel *k = nb_choose(ops[o], dts[t], d, NULL);
        int r1 = entry(ops[o], dts[t], x, g, b, y1, rows, d, xs, ys, 1e-5f);
        int r2 = nb_run(k, x, g, b, y2, rows, d, xs, ys, 1e-5f);
        if (r1 != NB_OK || r2 != NB_OK || memcmp(y1, y2, rows * ys * sz))
          snprintf(bad, sizeof bad, "D %zu: %s differs (status %d, %d)", d, k ? k->name : "none", r1, r2);
        free(x), free(g), free(b), free(y1), free(y2);
      }
      tap_ok(!*bad, "%s %s %s: entry point equals nb_run on the chosen kernel %s", label,
             nb_op_name(ops[o]), nb_dtype_name(dts[t]), bad);
    }
  tap_ok(nb_rmsnorm_f32(NULL, NULL, NULL, 1, 4, 4, 4, 1e-5f) == NB_EINVAL, "%s: NULL pointers give NB_EINVAL",
         label);
}

static void *worker(void *arg) {
  choices *c = arg;
  float x[64], g[64], y[64];
  for (int i = 0; i < 64; i++) x[i] = (float)i - 31.5f, g[i] = 1;
  for (int rep = 0; rep < 50; rep++) {
    FOR_SLOTS(*c)[o][t][bk] = nb_choose(SLOT, NULL);
    nb_rmsnorm_f32(x, g, y, 1, 64, 64, 64, 1e-5f);
  }
  return NULL;
}

static void check_threads(choices ref) {
  enum { N = 4 };
  pthread_t th[N];
  static choices got[N];
  int ok = 1;
  for (int i = 0; i < N; i++) ok &= pthread_create(&th[i], NULL, worker, &got[i]) == 0;
  for (int i = 0; i < N; i++) ok &= pthread_join(th[i], NULL) == 0 && same(got[i], ref);
  tap_ok(ok, "%d threads see the same choices as the main thread", N);
}

/* A runnable kernel of (op, dt) other than the default one. */
static const nb_kernel *other(nb_op op, nb_dtype dt, const nb_kernel *not) {
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (k->op == op && k->dtype == dt && k != not && nb_kernel_runs_here(k)) return k;
  }
  return NULL;
}

static void check_forced(choices ref) {
  char list[1024] = "", bad[256] = "";
  const nb_kernel *want[2][3];
  for (int o = 0; o < 2; o++)
    for (int t = 0; t < 3; t++) {
      want[o][t] = other(ops[o], dts[t], ref[o][t][12]);
      if (want[o][t])
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? "," : "", want[o][t]->name);
    }
  setenv("NORMBENCH_KERNEL", list, 1);
  nb_dispatch_reset();
  FOR_SLOTS {
    nb_why w;
    const nb_kernel *k = nb_choose(SLOT, &w);
    if (want[o][t] && (k != want[o][t] || w != NB_WHY_FORCED))
      snprintf(bad, sizeof bad, "%s chosen (%s), %s forced", k ? k->name : "none", nb_why_name(w),
               want[o][t]->name);
  }
  tap_ok(*list && !*bad, "NORMBENCH_KERNEL=%s forces every bucket %s", list, bad);
  check_bits("forced");

  setenv("NORMBENCH_KERNEL", "rmsnorm_f32_nosuchalgo_scalar", 1);
  cap_begin();
  nb_dispatch_reset();
  choices c;
  int all;
  snapshot(c, NB_WHY_DEFAULT, &all);
  const char *err = cap_end();
  tap_ok(same(c, ref) && all && strstr(err, "nosuchalgo") && strstr(err, "NORMBENCH_KERNEL"),
         "an unknown NORMBENCH_KERNEL is refused on stderr, defaults kept: %.*s", (int)strcspn(err, "\n"), err);

  const nb_kernel *cannot = NULL;
  for (size_t i = 0; i < nb_kernel_count() && !cannot; i++)
    if (!nb_kernel_runs_here(nb_kernel_at(i))) cannot = nb_kernel_at(i);
  if (cannot) {
    setenv("NORMBENCH_KERNEL", cannot->name, 1);
    cap_begin();
    nb_dispatch_reset();
    snapshot(c, NB_WHY_DEFAULT, &all);
    err = cap_end();
    tap_ok(same(c, ref) && all && strstr(err, cannot->name) && strstr(err, "cannot run"),
           "NORMBENCH_KERNEL=%s (cannot run here) is refused, defaults kept", cannot->name);
  } else {
    printf("ok %d - NORMBENCH_KERNEL with a kernel this CPU cannot run # SKIP every registered kernel runs here\n",
           ++tap_count);
  }

  const nb_kernel *a = other(NB_RMSNORM, NB_F32, NULL), *b2 = other(NB_RMSNORM, NB_F32, a);
  if (a && b2) {
    snprintf(list, sizeof list, "%s,%s", a->name, b2->name);
    setenv("NORMBENCH_KERNEL", list, 1);
    cap_begin();
    nb_dispatch_reset();
    nb_why w;
    const nb_kernel *k = nb_choose(NB_RMSNORM, NB_F32, 100, &w);
    err = cap_end();
    tap_ok(k == a && w == NB_WHY_FORCED && strstr(err, b2->name) != NULL,
           "a second kernel for the same op and dtype is refused, the first kept");
  }
  unsetenv("NORMBENCH_KERNEL");
  nb_dispatch_reset();
}

static void check_debug(void) {
  setenv("NORMBENCH_DEBUG", "1", 1);
  cap_begin();
  nb_dispatch_reset();
  float x[100] = {1}, g[100] = {1}, y[100];
  for (int i = 0; i < 3; i++) nb_rmsnorm_f32(x, g, y, 1, 100, 100, 100, 1e-5f);
  const nb_kernel *k = nb_choose(NB_RMSNORM, NB_F32, 100, NULL);
  const char *err = cap_end();
  int lines = 0;
  for (const char *p = err; (p = strstr(p, "rmsnorm f32 D 65..128")); p++) lines++;
  tap_ok(lines == 1 && k && strstr(err, k->name) && strstr(err, "(default"),
         "NORMBENCH_DEBUG=1 logs the choice once with its reason: %.*s", (int)strcspn(err, "\n"), err);
  unsetenv("NORMBENCH_DEBUG");
  nb_dispatch_reset();
}

static const char *path_in_dir(const char *name, char *buf, size_t n) {
  snprintf(buf, n, "%s/%s", dir, name);
  return buf;
}
#define IN_DIR(var, name) \
  char var##_[128];       \
  const char *var = path_in_dir(name, var##_, sizeof var##_)

/* Copies src to dst with header line `line` (1-based) changed. */
static void corrupt(const char *src, const char *dst, int line) {
  FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
  char buf[1024];
  for (int no = 1; in && out && fgets(buf, sizeof buf, in); no++) {
    if (no == line) {
      buf[strcspn(buf, "\n")] = 0;
      if (line == 1)
        snprintf(buf + strlen(buf) - 1, 8, "%d\n", NB_WISDOM_VERSION + 1);
      else
        strcat(buf, "0\n");
    }
    fputs(buf, out);
  }
  if (in) fclose(in);
  if (out) fclose(out);
}

static void check_wisdom(choices ref) {
  char why[512];
  IN_DIR(file, "wisdom.txt");
  IN_DIR(f2, "wisdom2.txt");
  IN_DIR(foreign, "foreign.txt");
  IN_DIR(bad, "badline.txt");
  IN_DIR(missing, "missing.txt");
  tap_ok(nb_wisdom_save(file) == 0, "wisdom saved to %s", file);
  nb_wisdom_forget();
  choices c;
  int all;
  int rc = nb_wisdom_load(file, why, sizeof why);
  snapshot(c, NB_WHY_WISDOM, &all);
  tap_ok(rc == 0 && all && same(c, ref), "wisdom round-trips: same choices, now from wisdom %s", rc ? why : "");

  /* A non-default choice within the budget survives save and load. */
  const nb_kernel *alt = NULL;
  size_t d = 100;
  const nb_kernel *def = ref[0][1][nb_bucket(d)];
  for (size_t i = 0; i < nb_kernel_count() && !alt; i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (k != def && eligible(k, NB_RMSNORM, NB_F16) &&
        nb_kernel_bound_d(k, nb_bucket_max(nb_bucket(d))) <= nb_budget(NB_RMSNORM, NB_F16))
      alt = k;
  }
  if (alt) {
    nb_why w;
    nb_wisdom_add(alt, d, 1, 1.25);
    int ok = nb_wisdom_save(f2) == 0;
    nb_wisdom_forget();
    ok &= nb_choose(NB_RMSNORM, NB_F16, d, NULL) == def;
    ok &= nb_wisdom_load(f2, why, sizeof why) == 0;
    ok &= nb_choose(NB_RMSNORM, NB_F16, d, &w) == alt && w == NB_WHY_WISDOM;
    ok &= nb_choose(NB_RMSNORM, NB_F16, 2 * d, NULL) == ref[0][1][nb_bucket(2 * d)];
    tap_ok(ok, "wisdom choosing %s for D %zu..%zu round-trips, other buckets unchanged", alt->name,
           nb_bucket_min(nb_bucket(d)), nb_bucket_max(nb_bucket(d)));
    tap_ok(nb_set_policy(NB_POLICY_ACCURATE, 0) == 0 && nb_choose(NB_RMSNORM, NB_F16, d, &w) != NULL &&
               w == NB_WHY_DEFAULT,
           "the most-accurate policy ignores wisdom");
    nb_dispatch_reset();
  } else {
    printf("ok %d - non-default wisdom round-trip # SKIP one eligible rmsnorm f16 kernel only\n", ++tap_count);
  }

  static const char *fields[] = {"", "format version", "build id", "registry hash", "CPU signature"};
  for (int line = 1; line <= 4; line++) {
    corrupt(file, foreign, line);
    nb_wisdom_forget();
    why[0] = 0;
    rc = nb_wisdom_load(foreign, why, sizeof why);
    snapshot(c, NB_WHY_DEFAULT, &all);
    tap_ok(rc == NB_EWISDOM_FOREIGN && strstr(why, fields[line]) && strstr(why, "differs") && all && same(c, ref),
           "wisdom with another %s is rejected whole: %s", fields[line], why);
  }

  FILE *f = fopen(bad, "w");
  FILE *in = fopen(file, "r");
  char buf[1024];
  for (int no = 1; f && in && fgets(buf, sizeof buf, in); no++) fputs(no == 8 ? "rmsnorm f32 1 1 nosuch 1 1\n" : buf, f);
  if (f) fclose(f);
  if (in) fclose(in);
  rc = nb_wisdom_load(bad, why, sizeof why);
  tap_ok(rc == NB_EWISDOM_KERNEL && strstr(why, "line 8"), "wisdom with an unknown kernel is rejected: %s", why);
  f = fopen(bad, "a");
  if (f) fputs("rmsnorm f32 1 1\n", f), fclose(f);
  IN_DIR(garbled, "garbled.txt");
  f = fopen(garbled, "w");
  in = fopen(file, "r");
  for (int no = 1; f && in && fgets(buf, sizeof buf, in); no++) fputs(no == 6 ? "rmsnorm f32 1 1\n" : buf, f);
  if (f) fclose(f);
  if (in) fclose(in);
  rc = nb_wisdom_load(garbled, why, sizeof why);
  tap_ok(rc == NB_EWISDOM_SYNTAX && strstr(why, "line 6"), "a malformed wisdom line is rejected: %s", why);
  rc = nb_wisdom_load(missing, why, sizeof why);
  tap_ok(rc == NB_EWISDOM_IO && strstr(why, "missing.txt"), "a missing wisdom file is reported: %s", why);
  int codes[] = {NB_EINVAL, NB_EWISDOM_IO, NB_EWISDOM_SYNTAX, NB_EWISDOM_FOREIGN, NB_EWISDOM_KERNEL}, distinct = 1;
  for (int i = 1; i < 5; i++)
    for (int j = 0; j < i; j++)
      distinct &= strcmp(nb_strerror(codes[i]), nb_strerror(codes[j])) != 0 && strstr(nb_strerror(codes[i]), "wisdom");
  tap_ok(distinct, "each wisdom error has its own nb_strerror message, naming wisdom");
  remove(garbled);

  setenv("NORMBENCH_WISDOM", file, 1);
  nb_dispatch_reset();
  snapshot(c, NB_WHY_WISDOM, &all);
  tap_ok(all && same(c, ref), "NORMBENCH_WISDOM loads wisdom at start");
  corrupt(file, foreign, 3);
  setenv("NORMBENCH_WISDOM", foreign, 1);
  cap_begin();
  nb_dispatch_reset();
  snapshot(c, NB_WHY_DEFAULT, &all);
  const char *err = cap_end();
  tap_ok(all && same(c, ref) && strstr(err, "NORMBENCH_WISDOM") && strstr(err, "registry hash"),
         "a foreign NORMBENCH_WISDOM is refused on stderr, defaults kept");
  unsetenv("NORMBENCH_WISDOM");
  nb_dispatch_reset();
  remove(file);
  remove(f2);
  remove(foreign);
  remove(bad);
}

/* A kernel a wisdom line can name that the default budget does not admit:
 * its declared bound at the bucket's largest D in (default budget, 64]. */
static const nb_kernel *wider_than_default(size_t *d_out) {
  for (size_t d = 4096; d >= 2; d /= 2)
    for (size_t i = 0; i < nb_kernel_count(); i++) {
      const nb_kernel *k = nb_kernel_at(i);
      double bound = nb_kernel_bound_d(k, d);
      if (nb_kernel_runs_here(k) && bound > nb_budget(k->op, k->dtype) * 1.01 && bound <= 64)
        return *d_out = d, k;
    }
  return NULL;
}

/* Wisdom is honoured as written, its budget included, with no policy call;
 * a line not taken is explained under NORMBENCH_DEBUG. */
static void check_wisdom_budget(void) {
  char why[512];
  IN_DIR(file, "budget.txt");
  size_t d;
  const nb_kernel *k = wider_than_default(&d);
  if (!k) {
    printf("ok %d - wisdom under its own budget # SKIP no kernel here declares (1, 64] ulp\n", ++tap_count);
    return;
  }
  nb_dispatch_reset();
  const nb_kernel *def = nb_choose(k->op, k->dtype, d, NULL);
  nb_why w;
  nb_wisdom_add(k, d, 64, 1.5);
  int rc = nb_wisdom_save(file);
  nb_dispatch_reset();
  rc |= nb_wisdom_load(file, why, sizeof why);
  tap_ok(rc == NB_OK && nb_choose(k->op, k->dtype, d, &w) == k && w == NB_WHY_WISDOM && k != def,
         "a wisdom line for %s within 64 ulp at D %zu is taken with no policy call (default: %s)", k->name, d,
         def ? def->name : "none");

  setenv("NORMBENCH_DEBUG", "1", 1);
  nb_dispatch_reset(); /* reads the environment again, drops the wisdom */
  nb_wisdom_load(file, why, sizeof why);
  cap_begin();
  nb_choose(k->op, k->dtype, d, NULL);
  const char *err = cap_end();
  tap_ok(strstr(err, "(wisdom: taken line") && strstr(err, file) && strstr(err, "within 64 ulp"),
         "NORMBENCH_DEBUG says which wisdom line was taken: %.*s", (int)strcspn(err, "\n"), err);

  nb_set_policy(NB_POLICY_FASTEST, 1);
  cap_begin();
  const nb_kernel *got = nb_choose(k->op, k->dtype, d, &w);
  err = cap_end();
  tap_ok(got != k && w == NB_WHY_DEFAULT && strstr(err, "wisdom dropped") && strstr(err, "nb_set_policy"),
         "a tighter nb_set_policy budget drops the line, explained: %s", strstr(err, "wisdom dropped") ? strstr(err, "wisdom dropped") : err);

  nb_dispatch_reset();
  nb_wisdom_add(k, d, 0.5, 1.5); /* a budget its declared bound exceeds */
  cap_begin();
  got = nb_choose(k->op, k->dtype, d, &w);
  err = cap_end();
  tap_ok(got != k && w == NB_WHY_DEFAULT && strstr(err, "wisdom dropped") && strstr(err, "over the line's budget"),
         "a line whose kernel declares more than its budget is dropped, explained: %s",
         strstr(err, "wisdom dropped") ? strstr(err, "wisdom dropped") : err);
  unsetenv("NORMBENCH_DEBUG");
  nb_dispatch_reset();
  remove(file);
}

/* argv[1] == "--no-threads": cross runs, where qemu-user 7.2 never returns
 * from pthread_join (seen with a bare create/join program). */
int main(int argc, char **argv) {
  int threads = !(argc > 1 && !strcmp(argv[1], "--no-threads"));
  unsetenv("NORMBENCH_KERNEL");
  unsetenv("NORMBENCH_WISDOM");
  unsetenv("NORMBENCH_DEBUG");
  snprintf(dir, sizeof dir, "%s", "/tmp/nbdispatch.XXXXXX");
  if (!mkdtemp(dir)) {
    tap_ok(0, "temporary directory");
    return tap_done();
  }
  check_default();
  choices ref, again;
  int all;
  snapshot(ref, NB_WHY_DEFAULT, &all);
  snapshot(again, NB_WHY_DEFAULT, &all);
  tap_ok(same(ref, again), "choices are the same across calls");
  if (threads)
    check_threads(ref);
  else
    printf("ok %d - choices across threads # SKIP --no-threads (emulated run)\n", ++tap_count);
  check_bits("default");
  check_accurate();
  check_forced(ref);
  check_debug();
  check_wisdom(ref);
  check_wisdom_budget();
  rmdir(dir);
  return tap_done();
}
