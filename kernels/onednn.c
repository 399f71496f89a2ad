/* layernorm_{f32,bf16}_external_onednn: Intel oneDNN's layer normalization
 * (forward inference), a peer measured in the same harness. No declared
 * bound: its accuracy is whatever the library computes (f32 statistics).
 *
 * oneDNN's gain is "scale", its bias "shift", both f32 vectors of d: g and
 * b map to them one to one (bf16 g, b are widened to f32 each call); with
 * b == NULL the primitive is created without dnnl_use_shift. The primitive
 * for the last (rows, d, strides, eps, has_b) is cached per thread, so a
 * timed call measures execution, not creation. Rows whose stride is not d
 * go through dense copies: oneDNN takes one layout for src and dst.
 *
 * Threads: Debian's libdnnl runs on OpenMP (libgomp). For a comparison with
 * our single-threaded kernels the OpenMP thread count is set to one, through
 * the omp_set_num_threads that the loaded libgomp exports (linking an OpenMP
 * runtime here would let clang bring its own, a second runtime). */
#include "internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  dnnl_engine_t eng;
  dnnl_stream_t stream;
  dnnl_primitive_t prim;
  dnnl_memory_t src, dst, scale, shift;
  size_t rows, d, xs, ys;
  float eps;
  int has_b;
  nb_dtype dt;
  float *gb;      /* bf16: g and b widened to f32 (2 * d) */
  void *tx, *ty;  /* dense copies for strided rows */
  size_t gb_n, t_n;
} dnnl_cache;

static _Thread_local dnnl_cache cc;

static void drop_prim(void) {
  if (cc.prim) dnnl_primitive_destroy(cc.prim);
  dnnl_memory_t *m[] = {&cc.src, &cc.dst, &cc.scale, &cc.shift};
  for (int i = 0; i < 4; i++)
    if (*m[i]) dnnl_memory_destroy(*m[i]);
  cc.prim = NULL;
  cc.src = cc.dst = cc.scale = cc.shift = NULL;
}

/* A thread's engine, stream, primitive and buffers, freed when it exits
 * (a pthread key's destructor: _Thread_local has none). The accuracy
 * sweep's worker threads would otherwise each leave them behind. */
static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int have_key; /* 0 only if the process ran out of keys: then a leak */

static void drop_all(void *unused) {
  (void)unused;
  drop_prim();
  if (cc.stream) dnnl_stream_destroy(cc.stream);
  if (cc.eng) dnnl_engine_destroy(cc.eng);
  free(cc.gb);
  free(cc.tx);
  memset(&cc, 0, sizeof cc);
}

static void make_key(void) { have_key = pthread_key_create(&key, drop_all) == 0; }

static int init_engine(void) {
  if (cc.eng) return 0;
  pthread_once(&key_once, make_key);
  if (have_key) pthread_setspecific(key, &cc); /* any non-NULL value: the destructor runs */
  dnnl_set_verbose(0);
  void (*set_threads)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
  if (set_threads) set_threads(1);
  if (dnnl_engine_create(&cc.eng, dnnl_cpu, 0) != dnnl_success) return -1;
  if (dnnl_stream_create(&cc.stream, cc.eng, dnnl_stream_default_flags) != dnnl_success) {
    dnnl_engine_destroy(cc.eng);
    cc.eng = NULL;
    return -1;
  }
  return 0;
}

static int create(nb_dtype dt, size_t rows, size_t d, size_t xs, size_t ys, float eps, int has_b) {
  if (cc.prim && cc.dt == dt && cc.rows == rows && cc.d == d && cc.xs == xs && cc.ys == ys && cc.eps == eps &&
      cc.has_b == has_b)
    return 0;
  drop_prim();
  if (init_engine()) return -1;
  dnnl_memory_desc_t data, vec;
  dnnl_dims_t dims = {(dnnl_dim_t)rows, (dnnl_dim_t)d}, vdims = {(dnnl_dim_t)d};
  dnnl_data_type_t t = dt == NB_BF16 ? dnnl_bf16 : dnnl_f32;
  if (dnnl_memory_desc_init_by_tag(&data, 2, dims, t, dnnl_ab) != dnnl_success ||
      dnnl_memory_desc_init_by_tag(&vec, 1, vdims, dnnl_f32, dnnl_a) != dnnl_success)
    return -1;
  dnnl_layer_normalization_desc_t ld;
  unsigned flags = dnnl_use_scale | (has_b ? dnnl_use_shift : 0);
  if (dnnl_layer_normalization_forward_desc_init(&ld, dnnl_forward_inference, &data, NULL, eps, flags) !=
      dnnl_success)
    return -1;
  dnnl_primitive_desc_t pd;
  if (dnnl_primitive_desc_create(&pd, &ld, NULL, cc.eng, NULL) != dnnl_success) return -1;
  int bad = dnnl_primitive_create(&cc.prim, pd) != dnnl_success;
  dnnl_primitive_desc_destroy(pd);
  /* DNNL_MEMORY_NONE: the handles are set before each execution */
  bad = bad || dnnl_memory_create(&cc.src, &data, cc.eng, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl_memory_create(&cc.dst, &data, cc.eng, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl_memory_create(&cc.scale, &vec, cc.eng, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl_memory_create(&cc.shift, &vec, cc.eng, DNNL_MEMORY_NONE) != dnnl_success;
  if (bad) {
    drop_prim();
    return -1;
  }
  cc.dt = dt, cc.rows = rows, cc.d = d, cc.xs = xs, cc.ys = ys, cc.eps = eps, cc.has_b = has_b;
  return 0;
}

static void *grow(void **p, size_t *have, size_t bytes) {
  if (*have >= bytes) return *p;
  void *q = realloc(*p, bytes);
  if (!q) return NULL;
  *have = bytes;
  return *p = q;
}

/* A failure (out of memory, a primitive oneDNN will not create) leaves the
 * output all NaN, which no accuracy check accepts, and says so once. */
static void fail(nb_dtype dt, void *y, size_t rows, size_t d, size_t ys) {
  static _Thread_local int said;
  if (!said++) fprintf(stderr, "normbench: oneDNN layer normalization failed; output set to NaN\n");
  for (size_t r = 0; r < rows; r++)
    for (size_t i = 0; i < d; i++) {
      if (dt == NB_F32) ((float *)y)[r * ys + i] = NAN;
      else ((uint16_t *)y)[r * ys + i] = 0x7fc0;
    }
}

static void run(nb_dtype dt, const void *x, const void *g, const void *b, void *y, size_t rows, size_t d,
                size_t xs, size_t ys, float eps) {
  size_t sz = dt == NB_F32 ? 4 : 2;
  int dense = xs == d && ys == d;
  if (create(dt, rows, d, xs, ys, eps, b != NULL)) goto fail;
  const void *gs = g, *bs = b;
  if (dt == NB_BF16) {
    float *w = grow((void **)&cc.gb, &cc.gb_n, 2 * d * sizeof(float));
    if (!w) goto fail;
    for (size_t i = 0; i < d; i++) {
      w[i] = nb_bf16_to_f32(((const uint16_t *)g)[i]);
      if (b) w[d + i] = nb_bf16_to_f32(((const uint16_t *)b)[i]);
    }
    gs = w, bs = b ? w + d : NULL;
  }
  const void *src = x;
  void *dst = y;
  if (!dense) {
    char *t = grow(&cc.tx, &cc.t_n, 2 * rows * d * sz);
    if (!t) goto fail;
    for (size_t r = 0; r < rows; r++) memcpy(t + r * d * sz, (const char *)x + r * xs * sz, d * sz);
    src = t, dst = t + rows * d * sz;
  }
  dnnl_memory_set_data_handle(cc.src, (void *)src);
  dnnl_memory_set_data_handle(cc.dst, dst);
  dnnl_memory_set_data_handle(cc.scale, (void *)gs);
  dnnl_exec_arg_t args[4] = {
      {DNNL_ARG_SRC, cc.src}, {DNNL_ARG_DST, cc.dst}, {DNNL_ARG_SCALE, cc.scale}, {DNNL_ARG_SHIFT, cc.shift}};
  if (bs) dnnl_memory_set_data_handle(cc.shift, (void *)bs);
  if (dnnl_primitive_execute(cc.prim, cc.stream, bs ? 4 : 3, args) != dnnl_success ||
      dnnl_stream_wait(cc.stream) != dnnl_success)
    goto fail;
  if (!dense)
    for (size_t r = 0; r < rows; r++) memcpy((char *)y + r * ys * sz, (char *)dst + r * d * sz, d * sz);
  return;
fail:
  fail(dt, y, rows, d, ys);
}

void nb_layernorm_f32_external_onednn(const void *x, const void *g, const void *b, void *y, size_t rows,
                                      size_t d, size_t xs, size_t ys, float eps) {
  run(NB_F32, x, g, b, y, rows, d, xs, ys, eps);
}

void nb_layernorm_bf16_external_onednn(const void *x, const void *g, const void *b, void *y, size_t rows,
                                       size_t d, size_t xs, size_t ys, float eps) {
  run(NB_BF16, x, g, b, y, rows, d, xs, ys, eps);
}
