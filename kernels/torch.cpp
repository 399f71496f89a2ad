/* The PyTorch peers' computation, in eager ATen ops (libtorch 1.13, Debian's
 * libtorch-dev). Built as a plugin, normbench_torch.so, that kernels/torch.c
 * loads on the first call of a torch kernel. No declared bound: the error is
 * whatever PyTorch computes.
 *
 * RMSNorm is the seed note's nn.Module, op for op:
 *   rms = x.pow(2).mean(dim=-1, keepdim=True).add(eps).sqrt()
 *   return x / rms * weight
 * in the tensor's dtype, as the module runs after .to(torch.bfloat16): every
 * op rounds its result into bf16 (ATen sums in f32 inside mean, then rounds
 * the sum and the division by D to bf16 each). LayerNorm is at::layer_norm
 * (f32 statistics for bf16 too).
 *
 * What a PyTorch user pays and the harness measures: from_blob wrappers for
 * x, g, b and y on every call (no copy of the data; a TensorImpl allocation
 * each), the module's temporaries (x^2 and x / rms, rows x d each), the
 * dispatcher. Not measured: Python's own per-op overhead. RMSNorm's last op
 * writes into y (mul_out); at::layer_norm has no out= form that avoids a
 * temporary, so its result is copied into y (copy_), one more read and
 * write of the output. Strided rows (xs != d) are made contiguous by
 * at::layer_norm itself; the RMSNorm ops take them as they are.
 *
 * Under c10::InferenceMode (what torch.inference_mode() gives a Python user:
 * no autograd bookkeeping), one intra-op thread (at::set_num_threads(1)). */
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/layer_norm.h>
#include <ATen/ops/mul.h>
#include <c10/core/InferenceMode.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>

/* op: 0 RMSNorm, 1 LayerNorm (nb_op); bf16: 0 f32, 1 bf16. Returns 0, or
 * -1 with PyTorch's message in err. */
extern "C" int nb_torch_run(int op, int bf16, const void *x, const void *g, const void *b, void *y, size_t rows,
                            size_t d, size_t xs, size_t ys, float eps, char *err, size_t errn) {
  static std::once_flag threads;
  std::call_once(threads, [] { at::set_num_threads(1); });
  try {
    c10::InferenceMode guard;
    auto opt = at::TensorOptions().dtype(bf16 ? at::kBFloat16 : at::kFloat);
    int64_t r = (int64_t)rows, n = (int64_t)d;
    at::Tensor X = at::from_blob(const_cast<void *>(x), {r, n}, {(int64_t)xs, 1}, opt);
    at::Tensor Y = at::from_blob(y, {r, n}, {(int64_t)ys, 1}, opt);
    at::Tensor G = at::from_blob(const_cast<void *>(g), {n}, opt);
    if (op == 0) {
      at::Tensor rms = X.pow(2).mean(-1, true).add(eps).sqrt();
      at::mul_out(Y, X.div(rms), G); /* x / rms * weight */
    } else {
      at::Tensor B = b ? at::from_blob(const_cast<void *>(b), {n}, opt) : at::Tensor();
      Y.copy_(at::layer_norm(X, {n}, G, B, eps));
    }
    return 0;
  } catch (const std::exception &e) {
    const char *m = e.what(); /* its first line: the rest is a C++ backtrace */
    snprintf(err, errn, "%.*s", (int)strcspn(m, "\n"), m);
    return -1;
  }
}
