/* Regression rows: the worst rows the search found (tests/worst/<name>/,
 * written by `normbench accuracy --search --save-worst`), replayed against
 * every kernel of their op and dtype this CPU runs, each held to its
 * declared bound. A row outside a kernel's promise (range, or
 * mean|x|/sigma > 10) is reported as a skip for that kernel.
 *
 * usage: test_worst DIR */
#include "accuracy.h"
#include "arrays.h"
#include "tap.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* The value after `flag ` in the README's reproduce line. */
static int arg_of(const char *line, const char *flag, char *out, size_t n) {
  const char *p = strstr(line, flag);
  if (!p) return -1;
  p += strlen(flag);
  while (*p == ' ') p++;
  size_t k = strcspn(p, " \n");
  if (k == 0 || k >= n) return -1;
  memcpy(out, p, k);
  out[k] = 0;
  return 0;
}

static void replay(const char *dir, const char *name) {
  char path[4096], line[4096] = "", op[32], dt[32], eps_s[64], e[NB_ARR_ERRLEN];
  snprintf(path, sizeof path, "%s/%s/README", dir, name);
  FILE *f = fopen(path, "r");
  char buf[4096];
  while (f && fgets(buf, sizeof buf, f))
    if (!strncmp(buf, "reproduce: normbench accuracy ", 30)) strcpy(line, buf);
  if (f) fclose(f);
  if (!tap_ok(line[0] && !arg_of(line, "--op", op, sizeof op) && !arg_of(line, "--dtype", dt, sizeof dt) &&
                  !arg_of(line, "--eps", eps_s, sizeof eps_s),
              "%s: README has a reproduce line with --op, --dtype and --eps", name))
    return;
  nb_op o = strcmp(op, "layernorm") == 0 ? NB_LAYERNORM : NB_RMSNORM;
  nb_dtype d = strcmp(dt, "f16") == 0 ? NB_F16 : strcmp(dt, "bf16") == 0 ? NB_BF16 : NB_F32;
  float eps = strtof(eps_s, NULL);
  nb_array x = {0}, g = {0}, b = {0};
  int ok = 1;
  snprintf(path, sizeof path, "%s/%s/x.npy", dir, name);
  ok &= nb_arr_load(path, &x, e, sizeof e) == 0;
  snprintf(path, sizeof path, "%s/%s/g.npy", dir, name);
  ok &= ok && nb_arr_load(path, &g, e, sizeof e) == 0 && g.cols == x.cols;
  if (o == NB_LAYERNORM) {
    snprintf(path, sizeof path, "%s/%s/b.npy", dir, name);
    ok &= ok && nb_arr_load(path, &b, e, sizeof e) == 0 && b.cols == x.cols;
  }
  nb_case c;
  if (tap_ok(ok && nb_case_from_data(&c, o, d, x.rows, x.cols, eps, x.data, g.data, b.data) == 0,
             "%s: rows and reference (%s)", name, ok ? "ok" : e)) {
    for (size_t i = 0; i < nb_kernel_count(); i++) {
      const nb_kernel *k = nb_kernel_at(i);
      if (k->op != o || k->dtype != d) continue;
      nb_metrics m;
      if (!nb_kernel_runs_here(k)) {
        printf("ok %d - %s on %s # SKIP this CPU lacks its features\n", ++tap_count, k->name, name);
      } else if (tap_skip_isa(k->isa)) {
        printf("ok %d - %s on %s # SKIP NORMBENCH_TEST_SKIP\n", ++tap_count, k->name, name);
      } else if (nb_case_run(&c, k, &m)) {
        tap_ok(0, "%s runs on %s", k->name, name);
      } else if (m.rows_checked == 0) {
        printf("ok %d - %s on %s # SKIP row outside its promise (error %.4g ulp)\n", ++tap_count, k->name, name,
               m.max_err);
      } else {
        tap_ok(m.breaches == 0, "%s on %s: %.4g ulp, bound %.4g", k->name, name, m.max_checked, m.bound);
      }
    }
    nb_case_free(&c);
  }
  nb_arr_free(&x);
  nb_arr_free(&g);
  nb_arr_free(&b);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_worst DIR\n");
    return 2;
  }
  DIR *dir = opendir(argv[1]);
  char *names[1024];
  size_t n = 0;
  for (struct dirent *ent; dir && n < 1024 && (ent = readdir(dir));)
    if (ent->d_name[0] != '.') names[n++] = strdup(ent->d_name);
  if (dir) closedir(dir);
  qsort(names, n, sizeof *names, by_name);
  tap_ok(n > 0, "%zu saved worst rows in %s", n, argv[1]);
  for (size_t i = 0; i < n; i++) {
    replay(argv[1], names[i]);
    free(names[i]);
  }
  return tap_done();
}
