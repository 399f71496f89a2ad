/* Portable C instances of every algorithm: the reference point for the SIMD
 * ISAs and the only home of the naive baseline. Compiled for the baseline
 * target; bounds in registry.c (lanes = NB_U * NB_W = 16). */
#include "isa_scalar.h"
#include "body.h"

NB_DEFINE_ALGO(naive, scalar)
NB_DEFINE_RMS(naive, scalar)
NB_DEFINE_ALGO(twopass, scalar)
NB_DEFINE_RMS(twopass, scalar)
NB_DEFINE_QUANT(twopass, scalar)
NB_DEFINE_ALGO(welford, scalar)
NB_DEFINE_RMS(welford, scalar)
NB_DEFINE_QUANT(welford, scalar)
NB_DEFINE_ALGO(accurate, scalar)
NB_DEFINE_RMS(accurate, scalar)
NB_DEFINE_QUANT(accurate, scalar)
NB_DEFINE_QUANT_VEC(scalar)
