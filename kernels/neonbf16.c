/* The bf16 kernels of neon.c with stores by BFCVTN (Armv8.2+ BF16
 * extension, FEAT_BF16) instead of the 6-instruction integer rounding.
 * Outputs are bit-identical to the neon instances (BFCVTN rounds like
 * nb_f32_to_bf16); loads are shifts either way. Built with +bf16; the
 * registry runs it only where HWCAP2_BF16 is set. */
#define NB_NEON_BFCVT 1
#include "isa_neon.h"
#include "body.h"

NB_DEFINE_BF16(twopass, neonbf16)
NB_DEFINE_RMS_BF16(twopass, neonbf16)
NB_DEFINE_BF16(welford, neonbf16)
NB_DEFINE_RMS_BF16(welford, neonbf16)
NB_DEFINE_BF16(fast, neonbf16)
NB_DEFINE_RMS_BF16(fast, neonbf16)
NB_DEFINE_BF16(accurate, neonbf16)
NB_DEFINE_RMS_BF16(accurate, neonbf16)
