/* normbench run: one kernel on the user's .npy arrays. */
#include "cli.h"

#include "engine.h"
#include "normbench.h"
#include "npy.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: normbench run --kernel NAME --input X.npy --weight G.npy [--bias B.npy]\n"
    "                     [--residual R.npy] [--eps E] --output Y.npy\n"
    "\n"
    "Runs one kernel (normbench list names them; it must run on this CPU) on X,\n"
    "a 2-D array of rows (a 1-D array is one row) of length D, with gain G and,\n"
    "for LayerNorm kernels only, bias B (1-D arrays of length D; without\n"
    "--bias LayerNorm adds 0). AddRMSNorm kernels take --residual R, of X's\n"
    "shape: Y = RMSNorm(X + R), the sum rounded once into the kernel's dtype (R\n"
    "itself is not rewritten; without --residual, Y = RMSNorm(X)). The quantized\n"
    "kernels' Y is what the next layer sees: rmsnorm_i8 q times its row's scale,\n"
    "rmsnorm_e4m3 the e4m3 values. D >= 1; X may have 0 rows. eps defaults to 1e-5\n"
    "and is used as the float nearest to E: finite, >= 0, and not so small that\n"
    "a positive E rounds to 0.\n"
    "\n"
    "Arrays: .npy version 1.0 or 2.0, C order, dtype '<f4' or '<f2'. They are\n"
    "converted to the kernel's dtype: to f32 exactly; to f16 or bf16 rounded to\n"
    "nearest even (so '<f2' reaches an f16 kernel unchanged). Y has X's shape,\n"
    "dtype '<f4' (16-bit outputs widened exactly). A regular or new Y is written\n"
    "to a temporary file renamed into place: on any error it is not created and\n"
    "an existing Y keeps its content and mode. A character device or a FIFO is\n"
    "written through, never replaced; a symbolic link is followed; Y = '-' writes\n"
    "the .npy to stdout.\n"
    "\n"
    "Errors (one line on stderr, exit status 2): unknown kernel or one this CPU\n"
    "cannot run; missing or unknown options; eps negative, NaN, infinite or not a\n"
    "number; files unreadable or not regular (a FIFO is refused, not waited on);\n"
    "truncated or malformed .npy files (bad magic, version, header dict, fortran\n"
    "order, big-endian or non-float dtype, more than 2 dimensions, more than 2^34\n"
    "bytes of data, bytes after the data); rows of length 0; weight or bias not\n"
    "1-D of length D; a bias for an RMSNorm kernel; a residual for any but an\n"
    "AddRMSNorm kernel, or not of X's shape; Y a directory, a link to a\n"
    "missing file, or not writable (a write error, e.g. a full disk, included).\n";

/* The array's values in dtype dt, as a new buffer (at least 1 byte). */
static void *convert(const nb_npy *a, nb_dtype dt) {
  void *out = malloc(a->count ? a->count * nb_dtype_size(dt) : 1);
  if (!out || !a->count) return out;
  if (a->dtype == dt) return memcpy(out, a->data, a->count * nb_dtype_size(dt));
  for (size_t i = 0; i < a->count; i++) nb_storage_set(dt, out, i, nb_storage_get(a->dtype, a->data, i));
  return out;
}

static int load(const char *role, const char *path, nb_npy *a) {
  char err[NB_NPY_ERRLEN];
  if (nb_npy_read(path, a, err, sizeof err)) return cli_error("run", "%s '%s': %s", role, path, err);
  return 0;
}

static int check_vec(const char *role, const char *path, const nb_npy *a, size_t d) {
  char shape[64];
  if (a->ndim == 1 && a->cols == d) return 0;
  if (a->ndim == 1)
    snprintf(shape, sizeof shape, "(%zu,)", a->shape[0]);
  else
    snprintf(shape, sizeof shape, "(%zu, %zu)", a->shape[0], a->shape[1]);
  return cli_error("run", "%s '%s' has shape %s, want (%zu,) to match the input's rows", role, path, shape, d);
}

int cmd_run(int argc, char **argv) {
  static const struct option opts[] = {
      {"kernel", required_argument, 0, 'k'}, {"input", required_argument, 0, 'i'},
      {"weight", required_argument, 0, 'w'}, {"bias", required_argument, 0, 'b'},
      {"eps", required_argument, 0, 'e'},    {"output", required_argument, 0, 'o'},
      {"residual", required_argument, 0, 'r'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  const char *kname = NULL, *xp = NULL, *gp = NULL, *bp = NULL, *yp = NULL, *rp = NULL;
  float eps = 1e-5f;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    switch (c) {
    case 'k': kname = optarg; break;
    case 'i': xp = optarg; break;
    case 'w': gp = optarg; break;
    case 'b': bp = optarg; break;
    case 'o': yp = optarg; break;
    case 'r': rp = optarg; break;
    case 'e':
      if (cli_parse_eps(optarg, &eps)) return cli_error("run", "--eps wants a finite float >= 0, got '%s'", optarg);
      break;
    case 'h': fputs(help, stdout); return 0;
    case ':': return cli_error("run", "option '%s' needs a value", argv[optind - 1]);
    default: return cli_error("run", "unknown option '%s' (normbench run --help)", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_error("run", "unexpected argument '%s'", argv[optind]);
  const char *missing = !kname ? "--kernel" : !xp ? "--input" : !gp ? "--weight" : !yp ? "--output" : NULL;
  if (missing) return cli_error("run", "missing %s (normbench run --help)", missing);

  const nb_kernel *k = nb_kernel_find(kname);
  if (!k) return cli_error("run", "unknown kernel '%s' (normbench list names them)", kname);
  if (!nb_kernel_runs_here(k)) return cli_error("run", "kernel '%s' cannot run on this CPU (normbench cpu)", kname);
  if (bp && k->op != NB_LAYERNORM) /* AddRMSNorm's residual is rows of x's shape, not a bias */
    return cli_error("run", "--bias given for %s kernel '%s' (only LayerNorm has a bias)", nb_op_name(k->op), kname);
  if (rp && k->op != NB_ADDRMSNORM)
    return cli_error("run", "--residual given for %s kernel '%s' (only AddRMSNorm has one)", nb_op_name(k->op), kname);

  nb_npy x = {0}, g = {0}, b = {0}, r = {0};
  float *sc = NULL;
  void *xk = NULL, *gk = NULL, *bk = NULL, *yk = NULL;
  float *y = NULL;
  int rc = 2;
  if (load("input", xp, &x) || load("weight", gp, &g) || (bp && load("bias", bp, &b)) ||
      (rp && load("residual", rp, &r)))
    goto out;
  if (rp && (r.ndim != x.ndim || r.rows != x.rows || r.cols != x.cols)) {
    cli_error("run", "residual '%s' is not of the input's shape", rp);
    goto out;
  }
  if (x.cols == 0) {
    cli_error("run", "input '%s' has rows of length 0", xp);
    goto out;
  }
  if (check_vec("weight", gp, &g, x.cols) || (bp && check_vec("bias", bp, &b, x.cols))) goto out;
  if (cli_check_only) {
    rc = 0;
    goto out;
  }

  size_t sz = nb_dtype_size(k->dtype);
  xk = convert(&x, k->dtype);
  gk = convert(&g, k->dtype);
  bk = bp ? convert(&b, k->dtype) : rp ? convert(&r, k->dtype) : NULL;
  if (k->op == NB_RMSNORM_I8 && !(bk = sc = malloc(x.rows ? x.rows * sizeof *sc : 1))) {
    cli_error("run", "out of memory for %zu scales", x.rows);
    goto out;
  }
  yk = malloc(x.count ? x.count * sz : 1);
  y = malloc(x.count ? x.count * sizeof *y : 1);
  if (!xk || !gk || ((bp || rp) && !bk) || !yk || !y) {
    cli_error("run", "out of memory for %zu x %zu elements", x.rows, x.cols);
    goto out;
  }
  int e = nb_run(k, xk, gk, bk, yk, x.rows, x.cols, x.cols, x.cols, eps);
  if (e != NB_OK) {
    cli_error("run", "kernel '%s': %s", kname, nb_strerror(e));
    goto out;
  }
  if (k->op == NB_RMSNORM_I8)
    for (size_t i = 0; i < x.count; i++) y[i] = (float)((const int8_t *)yk)[i] * sc[i / x.cols];
  else if (k->op == NB_RMSNORM_E4M3)
    for (size_t i = 0; i < x.count; i++) y[i] = nb_e4m3_to_f32(((const uint8_t *)yk)[i]);
  else
    nb_unpack(k->dtype, yk, y, x.count);
  char err[NB_NPY_ERRLEN];
  if (nb_npy_write(yp, NB_F32, x.ndim, x.shape, y, err, sizeof err))
    cli_error("run", "output: %s", err);
  else
    rc = 0;
out:
  free(xk);
  free(gk);
  if (bk != sc) free(bk);
  free(sc);
  free(yk);
  free(y);
  nb_npy_free(&x);
  nb_npy_free(&g);
  nb_npy_free(&b);
  nb_npy_free(&r);
  return rc;
}
