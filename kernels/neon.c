/* AArch64 NEON instances of the twopass, welford, fast and accurate
 * algorithms (body.h), 4 f32 lanes x NB_U = 16 accumulators; base Armv8-A
 * Advanced SIMD only. Bounds in registry.c from lanes = 16. */
#include "isa_neon.h"
#include "body.h"

NB_DEFINE_ALGO(twopass, neon)
NB_DEFINE_ALGO(welford, neon)
NB_DEFINE_ALGO(fast, neon)
NB_DEFINE_ALGO(accurate, neon)
