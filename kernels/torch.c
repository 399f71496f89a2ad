/* {rmsnorm,layernorm}_{f32,bf16}_external_torch: PyTorch, the seed note's
 * RMSNorm module and at::layer_norm, as peers measured in the same harness
 * (the computation and what it costs: torch.cpp). No declared bound.
 *
 * The PyTorch code is a plugin loaded on the first call: Debian's libtorch
 * brings some 280 shared libraries (OpenCV, FFmpeg, ...) and takes about a
 * second to load, which no process that does not run these kernels (every
 * test, `normbench list`, an application linking libnormbench) should pay.
 * The build tree's plugin is tried first (tests, the uninstalled CLI), then
 * the installed one. */
#include "internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

typedef int torch_run_fn(int op, int bf16, const void *x, const void *g, const void *b, void *y, size_t rows,
                         size_t d, size_t xs, size_t ys, float eps, char *err, size_t errn);

static torch_run_fn *torch_run;
static char load_error[600];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void) {
  const char *paths[] = {NB_TORCH_BUILT, NB_TORCH_INSTALLED};
  size_t len = 0;
  for (size_t i = 0; i < 2; i++) {
    void *h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
    if (h && (torch_run = (torch_run_fn *)dlsym(h, "nb_torch_run"))) return;
    len += snprintf(load_error + len, sizeof load_error - len, "%s%s", i ? "; " : "", dlerror());
    if (len >= sizeof load_error) break;
  }
}

/* A failure (the plugin does not load, PyTorch throws) leaves the output
 * all NaN, which no accuracy check accepts, and says why once. */
static void run(nb_op op, nb_dtype dt, const void *x, const void *g, const void *b, void *y, size_t rows, size_t d,
                size_t xs, size_t ys, float eps) {
  static _Thread_local int said;
  char err[300];
  pthread_once(&load_once, load);
  const char *why = load_error;
  if (torch_run) {
    if (torch_run(op == NB_LAYERNORM, dt == NB_BF16, x, g, b, y, rows, d, xs, ys, eps, err, sizeof err) == 0) return;
    why = err;
  }
  if (!said++) fprintf(stderr, "normbench: PyTorch %s failed (output set to NaN): %s\n", nb_op_name(op), why);
  for (size_t r = 0; r < rows; r++)
    for (size_t i = 0; i < d; i++) {
      if (dt == NB_F32) ((float *)y)[r * ys + i] = NAN;
      else ((uint16_t *)y)[r * ys + i] = 0x7fc0;
    }
}

#define NB_TORCH_KERNEL(op, dt, OP, DT)                                                                   \
  void nb_##op##_##dt##_external_torch(const void *x, const void *g, const void *b, void *y, size_t rows, \
                                       size_t d, size_t xs, size_t ys, float eps) {                       \
    run(OP, DT, x, g, b, y, rows, d, xs, ys, eps);                                                        \
  }
NB_TORCH_KERNEL(rmsnorm, f32, NB_RMSNORM, NB_F32)
NB_TORCH_KERNEL(rmsnorm, bf16, NB_RMSNORM, NB_BF16)
NB_TORCH_KERNEL(layernorm, f32, NB_LAYERNORM, NB_F32)
NB_TORCH_KERNEL(layernorm, bf16, NB_LAYERNORM, NB_BF16)
