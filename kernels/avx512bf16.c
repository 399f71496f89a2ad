/* AVX-512 instances of the bf16 kernels whose stores use AVX512-BF16's
 * vcvtneps2bf16 (isa_avx512.h, NB_AVX512BF16): one instruction instead of
 * the integer rounding (vcvtne2ps2bf16 for the two vectors an iteration of
 * the f32 algorithms' normalize pass), except for vectors holding subnormal
 * results, which the instruction would flush to zero. Everything else as
 * avx512.c. */
#define NB_AVX512BF16 1
#include "isa_avx512.h"
#include "body.h"

_Static_assert(NB_U * NB_W == NB_LANES_AVX512, "table.h declares the bounds from these lanes");

NB_DEFINE_BF16(twopass, avx512bf16)
NB_DEFINE_RMS_BF16(twopass, avx512bf16)
NB_DEFINE_BF16(welford, avx512bf16)
NB_DEFINE_RMS_BF16(welford, avx512bf16)
NB_DEFINE_BF16(fast, avx512bf16)
NB_DEFINE_RMS_BF16(fast, avx512bf16)
NB_DEFINE_BF16(accurate, avx512bf16)
NB_DEFINE_RMS_BF16(accurate, avx512bf16)
