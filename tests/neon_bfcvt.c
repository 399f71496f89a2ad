/* isa_neon.h's BFCVTN store, compiled with +bf16 apart from neon_cvt.c so
 * that nothing else there can use the extension on a CPU without it. */
#define NB_NEON_BFCVT 1
#include "isa_neon.h"

void neon_bfcvt_st4(uint16_t *p, const float *f);
void neon_bfcvt_st4(uint16_t *p, const float *f) { vf_st_bf16(p, vf_ld_f32(f)); }
