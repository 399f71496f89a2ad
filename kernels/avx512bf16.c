/* AVX-512 instances of the bf16 kernels whose stores use AVX512-BF16's
 * vcvtneps2bf16 (isa_avx512.h, NB_AVX512BF16): one instruction instead of
 * the integer rounding, except for vectors holding subnormal results, which
 * the instruction would flush to zero. Everything else as avx512.c. */
#define NB_AVX512BF16 1
#include "isa_avx512.h"
#include "body.h"

_Static_assert(NB_U * NB_W == NB_LANES_AVX512, "table.h declares the bounds from these lanes");

#define NB_DEFINE_BF16(algo)                                           \
  NB_DEFINE(rmsnorm, NB_RMSNORM, bf16, NB_BF16, algo, avx512bf16)     \
  NB_DEFINE(layernorm, NB_LAYERNORM, bf16, NB_BF16, algo, avx512bf16)

NB_DEFINE_BF16(twopass)
NB_DEFINE_BF16(welford)
NB_DEFINE_BF16(fast)
NB_DEFINE_BF16(accurate)
