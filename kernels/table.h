/* THE registry table: one line per kernel, read by registry.c (which
 * includes this file twice, for prototypes and for the array). Everything
 * else -- the CLI's list, the tests, the benchmarks, the dispatcher --
 * enumerates nb_kernel_at().
 *
 * K(op, dtype, algo, isa, features needed, lanes in the statistics pass)
 * KALL(algo, isa, needs, lanes) expands to both ops x three dtypes. */
#define KALL(algo, isa, needs, lanes)             \
  K(rmsnorm, f32, algo, isa, needs, lanes)        \
  K(rmsnorm, f16, algo, isa, needs, lanes)        \
  K(rmsnorm, bf16, algo, isa, needs, lanes)       \
  K(layernorm, f32, algo, isa, needs, lanes)      \
  K(layernorm, f16, algo, isa, needs, lanes)      \
  K(layernorm, bf16, algo, isa, needs, lanes)

KALL(naive, scalar, 0, 1)
KALL(twopass, scalar, 0, 16)
KALL(welford, scalar, 0, 16)
KALL(accurate, scalar, 0, 16)

#ifdef NB_HAVE_ONEDNN
K(layernorm, f32, external, onednn, 0, 1)
K(layernorm, bf16, external, onednn, NB_CPU_AVX512F | NB_CPU_AVX512BW | NB_CPU_AVX512VL | NB_CPU_AVX512DQ, 1)
#endif

#undef KALL
