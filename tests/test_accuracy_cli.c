/* `normbench accuracy` end to end: bad arguments give one line on stderr
 * and exit 2; the CSV header is the documented column list; a small sweep
 * writes one CSV line per kernel x cell; the user-data path reads .npy
 * rows. The expected header below is the list documented for the plots,
 * written out here, not read from the code under test.
 *
 * usage: test_accuracy_cli PATH/TO/normbench */
#include "arrays.h"
#include "schema.h"
#include "sweep.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *exe;
static char out[1 << 20], err[1 << 16];

/* Runs exe with args (NULL-terminated), captures stdout and stderr;
 * returns the exit status, or -1 if it did not exit normally. */
static int run(const char *const *args) {
  char tmpo[] = "/tmp/nbcli.o.XXXXXX", tmpe[] = "/tmp/nbcli.e.XXXXXX";
  int fo = mkstemp(tmpo), fe = mkstemp(tmpe);
  const char *argv[64] = {exe, "accuracy"};
  int n = 2;
  for (; args[n - 2]; n++) argv[n] = args[n - 2];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fo, 1);
    dup2(fe, 2);
    execv(exe, (char *const *)argv);
    _exit(127);
  }
  int st = -1;
  waitpid(pid, &st, 0);
  ssize_t a = pread(fo, out, sizeof out - 1, 0), b = pread(fe, err, sizeof err - 1, 0);
  out[a > 0 ? a : 0] = 0;
  err[b > 0 ? b : 0] = 0;
  close(fo);
  close(fe);
  unlink(tmpo);
  unlink(tmpe);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int one_error_line(void) {
  const char *nl = strchr(err, '\n');
  return strncmp(err, "normbench accuracy: error: ", 27) == 0 && nl && nl[1] == 0;
}

static void bad(const char *what, const char *const *args) {
  int rc = run(args);
  int ok = rc == 2 && one_error_line() && out[0] == 0;
  err[strcspn(err, "\n")] = 0; /* the TAP line quotes only the first line */
  tap_ok(ok, "%s: exit 2, one error line (rc %d, stderr: %.80s)", what, rc, err);
}

static void errors(void) {
  bad("--d 0", (const char *[]){"--d", "0", NULL});
  bad("--d abc", (const char *[]){"--d", "abc", NULL});
  bad("--d 4,x", (const char *[]){"--d", "4,x", NULL});
  bad("--d too large", (const char *[]){"--d", "99999999", NULL});
  bad("unknown dist", (const char *[]){"--dist", "normal,nosuch", NULL});
  bad("kernel glob matching nothing", (const char *[]){"--kernel", "nosuch_*", NULL});
  bad("glob matching nothing of the op", (const char *[]){"--kernel", "rmsnorm_*", "--op", "layernorm", NULL});
  bad("--eps -1", (const char *[]){"--eps", "-1", NULL});
  bad("--eps nan", (const char *[]){"--eps", "nan", NULL});
  bad("--eps 1e39 (not a float)", (const char *[]){"--eps", "1e39", NULL});
  bad("--eps empty", (const char *[]){"--eps", "", NULL});
  bad("--op bad", (const char *[]){"--op", "groupnorm", NULL});
  bad("--dtype bad", (const char *[]){"--dtype", "f64", NULL});
  bad("--rows 0", (const char *[]){"--rows", "0", NULL});
  bad("--jobs 0", (const char *[]){"--jobs", "0", NULL});
  bad("unknown option", (const char *[]){"--frobnicate", NULL});
  bad("missing option value", (const char *[]){"--d", NULL});
  bad("stray argument", (const char *[]){"extra", NULL});
  bad("--input without --weight", (const char *[]){"--input", "x.npy", NULL});
  bad("--input missing file", (const char *[]){"--input", "/nonexistent/x.npy", "--weight", "/nonexistent/g.npy", NULL});
  bad("--save-worst without --search", (const char *[]){"--save-worst", "/tmp/w", NULL});
  bad("--search without --d", (const char *[]){"--search", "--kernel", "rmsnorm_f32_naive_scalar", NULL});

  /* a well-formed .npy of doubles, then the same cut short */
  static const char hdr[] = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }            \n";
  char f8[] = "/tmp/nbf8.XXXXXX", cut[] = "/tmp/nbcut.XXXXXX";
  int fd = mkstemp(f8), fc = mkstemp(cut);
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, sizeof hdr - 1, 0};
  double vals[2] = {1, 2};
  tap_ok(fd >= 0 && fc >= 0 && write(fd, pre, 10) == 10 && write(fd, hdr, sizeof hdr - 1) == sizeof hdr - 1 &&
             write(fd, vals, sizeof vals) == sizeof vals && write(fc, pre, 10) == 10 && write(fc, hdr, 20) == 20,
         "wrote an '<f8' .npy and a truncated one");
  close(fd);
  close(fc);
  bad("--input '<f8'", (const char *[]){"--input", f8, "--weight", f8, NULL});
  tap_ok(strstr(err, "'<f8'") != NULL, "the error names the dtype: %.100s", err);
  bad("--input truncated header", (const char *[]){"--input", cut, "--weight", cut, NULL});
  unlink(f8);
  unlink(cut);
}

static void header(void) {
  static const char *doc =
      "kernel,op,dtype,algo,isa,d,dist,eps,rows,n,max_err,mean_err,max_comp,cr_rate,worst_row,worst_idx,"
      "worst_kappa,max_kappa,rows_checked,max_checked,bound,breaches,hist_0,hist_1,hist_2,hist_3,hist_4,"
      "hist_5,hist_6,hist_7,hist_8,hist_9,hist_10,hist_11,hist_12,hist_13,err_unit,mismatches";
  char joined[1024] = "";
  for (size_t i = 0; i < nb_schema_accuracy.n; i++) {
    if (i) strcat(joined, ",");
    strcat(joined, nb_schema_accuracy.cols[i]);
  }
  tap_ok(strcmp(joined, doc) == 0, "nb_schema_accuracy is the documented column list");
}

/* Every line after the header: kernel name and cell; each expected
 * (kernel, d, dist, eps) exactly once. */
static void sweep(void) {
  const char *const args[] = {"--kernel", "*",    "--op",  "rmsnorm",         "--dtype", "f32,f16", "--d", "3,17",
                              "--dist",   "normal,constmag", "--eps", "0,1e-5", "--csv",   "-",     "--quiet", NULL};
  int rc = run(args);
  tap_ok(rc == 0, "small sweep exits 0 (rc %d)", rc);
  const char *nl = strchr(out, '\n');
  static const char *doc_start = "kernel,op,dtype,algo,isa,d,dist,eps,rows,n,max_err,";
  tap_ok(nl && strncmp(out, doc_start, strlen(doc_start)) == 0, "CSV starts with the header");
  size_t lines = 0, expected = 0, missing = 0;
  for (const char *p = nl ? nl + 1 : out; *p; p = strchr(p, '\n') + 1) lines++;
  const char *ds[] = {"3", "17"}, *dists[] = {"normal", "constmag"}, *eps[] = {"0", "9.99999975e-06"};
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    if (k->op != NB_RMSNORM || k->dtype == NB_BF16 || !nb_kernel_runs_here(k)) continue;
    for (int a = 0; a < 2; a++)
      for (int b = 0; b < 2; b++)
        for (int e = 0; e < 2; e++) {
          char key[256];
          snprintf(key, sizeof key, "\n%s,rmsnorm,%s,%s,%s,%s,%s,%s,", k->name, nb_dtype_name(k->dtype),
                   nb_algo_name(k->algo), k->isa, ds[a], dists[b], eps[e]);
          const char *hit = strstr(out, key);
          missing += !hit || strstr(hit + 1, key);
          expected++;
        }
  }
  tap_ok(expected > 0 && lines == expected && missing == 0,
         "one CSV line per kernel x cell: %zu lines, %zu expected, %zu missing or repeated", lines, expected, missing);
}

static void user_data(void) {
  char dir[] = "/tmp/nbin.XXXXXX", x[64], g[64], e[NB_ARR_ERRLEN];
  float xs[2 * 8], gs[8];
  for (int i = 0; i < 16; i++) xs[i] = (float)(i % 5) - 1.5f;
  for (int i = 0; i < 8; i++) gs[i] = 1 + 0.125f * (float)i;
  tap_ok(mkdtemp(dir) != NULL, "temporary directory");
  snprintf(x, sizeof x, "%s/x.npy", dir);
  snprintf(g, sizeof g, "%s/g.npy", dir);
  tap_ok(nb_arr_save(x, 2, 2, 8, xs, e, sizeof e) == 0 && nb_arr_save(g, 1, 1, 8, gs, e, sizeof e) == 0,
         "wrote x (2 x 8) and g (8)");
  int rc = run((const char *[]){"--input", x, "--weight", g, "--op", "rmsnorm", "--csv", "-", "--quiet", NULL});
  size_t lines = 0, want = 0;
  for (const char *p = strchr(out, '\n'); p && p[1]; p = strchr(p + 1, '\n')) lines++;
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    want += k->op == NB_RMSNORM && k->dtype == NB_F32 && nb_kernel_runs_here(k);
  }
  tap_ok(rc == 0 && lines == want && strstr(out, ",8,input,9.99999975e-06,2,16,"),
         "--input: exit %d, %zu CSV lines for %zu rmsnorm f32 kernels, 2 rows of 8", rc, lines, want);
  nb_array a;
  tap_ok(nb_arr_load(x, &a, e, sizeof e) == 0 && a.rows == 2 && a.cols == 8 && a.dtype == NB_F32 &&
             memcmp(a.data, xs, sizeof xs) == 0,
         "x.npy reads back bit for bit");
  nb_arr_free(&a);
  bad("--weight of the wrong length", (const char *[]){"--input", x, "--weight", x, NULL});
  unlink(x);
  unlink(g);
  rmdir(dir);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_accuracy_cli PATH/TO/normbench\n");
    return 2;
  }
  exe = argv[1];
  errors();
  header();
  sweep();
  user_data();
  return tap_done();
}
