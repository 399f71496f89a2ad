/* AArch64 NEON instances of the twopass, welford, fast and accurate
 * algorithms (body.h), 4 f32 lanes x NB_U = 16 accumulators; base Armv8-A
 * Advanced SIMD only. Bounds in registry.c from lanes = 16.
 *
 * f16 needs no FP16-extension (ASIMDHP) variant: its conversions
 * FCVTL/FCVTN are base Armv8, and f16 arithmetic (u = 2^-11) anywhere --
 * sums, or even the final (x - mu) * r * g -- adds f16 roundings the
 * declared 0.5 + e/2^13 ulp bounds do not allow. Nor SVE: body.h keeps
 * vectors in arrays and on fixed NB_W-float buffers, which SVE's sizeless
 * types cannot be without fixing the vector length at build time. */
#include "isa_neon.h"
#include "body.h"

NB_DEFINE_ALGO(twopass, neon)
NB_DEFINE_RMS(twopass, neon)
NB_DEFINE_QUANT(twopass, neon)
NB_DEFINE_ALGO(welford, neon)
NB_DEFINE_RMS(welford, neon)
NB_DEFINE_QUANT(welford, neon)
NB_DEFINE_ALGO(fast, neon)
NB_DEFINE_RMS(fast, neon)
NB_DEFINE_QUANT(fast, neon)
NB_DEFINE_ALGO(accurate, neon)
NB_DEFINE_RMS(accurate, neon)
NB_DEFINE_QUANT(accurate, neon)
NB_DEFINE_QUANT_VEC(neon)
