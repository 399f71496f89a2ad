/* THE registry table: one line per kernel, read by registry.c (which
 * includes this file twice, for prototypes and for the array). Everything
 * else -- the CLI's list, the tests, the benchmarks, the dispatcher --
 * enumerates nb_kernel_at().
 *
 * K(op, dtype, algo, isa, features needed, lanes in the statistics pass)
 * KALL(algo, isa, needs, lanes) expands to both ops x three dtypes, KBF16 to
 * both ops in bf16 (ISAs that differ only in their bf16 stores). */
#define KALL(algo, isa, needs, lanes)             \
  K(rmsnorm, f32, algo, isa, needs, lanes)        \
  K(rmsnorm, f16, algo, isa, needs, lanes)        \
  K(rmsnorm, bf16, algo, isa, needs, lanes)       \
  K(layernorm, f32, algo, isa, needs, lanes)      \
  K(layernorm, f16, algo, isa, needs, lanes)      \
  K(layernorm, bf16, algo, isa, needs, lanes)
#define KBF16(algo, isa, needs, lanes)            \
  K(rmsnorm, bf16, algo, isa, needs, lanes)       \
  K(layernorm, bf16, algo, isa, needs, lanes)

KALL(naive, scalar, 0, 1)
KALL(twopass, scalar, 0, 16)
KALL(welford, scalar, 0, 16)
KALL(accurate, scalar, 0, 16)

#if defined(__aarch64__)
KALL(twopass, neon, NB_CPU_NEON, 16)
KALL(welford, neon, NB_CPU_NEON, 16)
KALL(fast, neon, NB_CPU_NEON, 16)
KALL(accurate, neon, NB_CPU_NEON, 16)
KBF16(twopass, neonbf16, NB_CPU_NEON | NB_CPU_ARM_BF16, 16)
KBF16(welford, neonbf16, NB_CPU_NEON | NB_CPU_ARM_BF16, 16)
KBF16(fast, neonbf16, NB_CPU_NEON | NB_CPU_ARM_BF16, 16)
KBF16(accurate, neonbf16, NB_CPU_NEON | NB_CPU_ARM_BF16, 16)
#endif

#if defined(__x86_64__) /* needs and lanes: internal.h, checked by avx2.c / avx512.c */
KALL(twopass, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KALL(welford, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KALL(fast, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KALL(accurate, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KALL(twopass, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
KALL(welford, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
KALL(fast, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
KALL(accurate, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
KBF16(twopass, avx512bf16, NB_NEEDS_AVX512 | NB_CPU_AVX512BF16, NB_LANES_AVX512)
KBF16(welford, avx512bf16, NB_NEEDS_AVX512 | NB_CPU_AVX512BF16, NB_LANES_AVX512)
KBF16(fast, avx512bf16, NB_NEEDS_AVX512 | NB_CPU_AVX512BF16, NB_LANES_AVX512)
KBF16(accurate, avx512bf16, NB_NEEDS_AVX512 | NB_CPU_AVX512BF16, NB_LANES_AVX512)
#endif

/* peers: Intel oneDNN's layer normalization, when the build found it */
#ifdef NB_HAVE_ONEDNN
K(layernorm, f32, external, onednn, 0, 1)
K(layernorm, bf16, external, onednn, NB_CPU_AVX512F | NB_CPU_AVX512BW | NB_CPU_AVX512VL | NB_CPU_AVX512DQ, 1)
#endif
/* peers: PyTorch, the seed's RMSNorm module and at::layer_norm (torch.c) */
#ifdef NB_HAVE_TORCH
K(rmsnorm, f32, external, torch, 0, 1)
K(rmsnorm, bf16, external, torch, 0, 1)
K(layernorm, f32, external, torch, 0, 1)
K(layernorm, bf16, external, torch, 0, 1)
#endif

/* The ops engines ship (issue 19): the fused residual add, AddRMSNorm, and
 * Gemma's (1 + w) gain, RMSNorm1p, for every RMSNorm algorithm and ISA
 * (body.h runs the RMSNorm row body on them). KRMS: both ops x three
 * dtypes; KRMSBF16: both in bf16. */
#define KRMS(algo, isa, needs, lanes)             \
  K(addrmsnorm, f32, algo, isa, needs, lanes)     \
  K(addrmsnorm, f16, algo, isa, needs, lanes)     \
  K(addrmsnorm, bf16, algo, isa, needs, lanes)    \
  K(rmsnorm1p, f32, algo, isa, needs, lanes)      \
  K(rmsnorm1p, f16, algo, isa, needs, lanes)      \
  K(rmsnorm1p, bf16, algo, isa, needs, lanes)
#define KRMSBF16(algo, isa, needs, lanes)         \
  K(addrmsnorm, bf16, algo, isa, needs, lanes)    \
  K(rmsnorm1p, bf16, algo, isa, needs, lanes)

KRMS(naive, scalar, 0, 1)
KRMS(twopass, scalar, 0, 16)
KRMS(welford, scalar, 0, 16)
KRMS(accurate, scalar, 0, 16)

#if defined(__aarch64__)
KRMS(twopass, neon, NB_CPU_NEON, 16)
KRMS(welford, neon, NB_CPU_NEON, 16)
KRMS(fast, neon, NB_CPU_NEON, 16)
KRMS(accurate, neon, NB_CPU_NEON, 16)
KRMSBF16(twopass, neonbf16, NB_CPU_NEON | NB_CPU_ARM_BF16, 16)
KRMSBF16(welford, neonbf16, NB_CPU_NEON | NB_CPU_ARM_BF16, 16)
KRMSBF16(fast, neonbf16, NB_CPU_NEON | NB_CPU_ARM_BF16, 16)
KRMSBF16(accurate, neonbf16, NB_CPU_NEON | NB_CPU_ARM_BF16, 16)
#endif

#if defined(__x86_64__)
KRMS(twopass, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KRMS(welford, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KRMS(fast, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KRMS(accurate, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KRMS(twopass, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
KRMS(welford, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
KRMS(fast, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
KRMS(accurate, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
KRMSBF16(twopass, avx512bf16, NB_NEEDS_AVX512 | NB_CPU_AVX512BF16, NB_LANES_AVX512)
KRMSBF16(welford, avx512bf16, NB_NEEDS_AVX512 | NB_CPU_AVX512BF16, NB_LANES_AVX512)
KRMSBF16(fast, avx512bf16, NB_NEEDS_AVX512 | NB_CPU_AVX512BF16, NB_LANES_AVX512)
KRMSBF16(accurate, avx512bf16, NB_NEEDS_AVX512 | NB_CPU_AVX512BF16, NB_LANES_AVX512)
#endif

/* RMSNorm into int8 (per-row scale) and fp8 e4m3 (issue 19; normbench.h):
 * every RMSNorm algorithm but the naive baseline, every ISA but the
 * bf16-store ones (body.h NB_DEFINE_QUANT says why). */
#define KQ(algo, isa, needs, lanes)               \
  K(rmsnorm_i8, f32, algo, isa, needs, lanes)     \
  K(rmsnorm_i8, f16, algo, isa, needs, lanes)     \
  K(rmsnorm_i8, bf16, algo, isa, needs, lanes)    \
  K(rmsnorm_e4m3, f32, algo, isa, needs, lanes)   \
  K(rmsnorm_e4m3, f16, algo, isa, needs, lanes)   \
  K(rmsnorm_e4m3, bf16, algo, isa, needs, lanes)

KQ(twopass, scalar, 0, 16)
KQ(welford, scalar, 0, 16)
KQ(accurate, scalar, 0, 16)

#if defined(__aarch64__)
KQ(twopass, neon, NB_CPU_NEON, 16)
KQ(welford, neon, NB_CPU_NEON, 16)
KQ(fast, neon, NB_CPU_NEON, 16)
KQ(accurate, neon, NB_CPU_NEON, 16)
#endif

#if defined(__x86_64__)
KQ(twopass, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KQ(welford, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KQ(fast, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KQ(accurate, avx2, NB_NEEDS_AVX2, NB_LANES_AVX2)
KQ(twopass, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
KQ(welford, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
KQ(fast, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
KQ(accurate, avx512, NB_NEEDS_AVX512, NB_LANES_AVX512)
#endif

#undef KQ
#undef KALL
#undef KBF16
#undef KRMS
#undef KRMSBF16
