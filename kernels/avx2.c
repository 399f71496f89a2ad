/* AVX2 + FMA + F16C instances of every SIMD algorithm (body.h): 8 floats a
 * vector, NB_U vectors in flight, so 32 statistics lanes; bounds in
 * registry.c. f16 through F16C (exact widening, RNE narrowing); bf16 by
 * integer shifts and RNE adds; tails by vmaskmov, never past the row. */
#include "isa_avx2.h"
#include "body.h"

_Static_assert(NB_U * NB_W == NB_LANES_AVX2, "table.h declares the bounds from these lanes");

NB_DEFINE_ALGO(twopass, avx2)
NB_DEFINE_RMS(twopass, avx2)
NB_DEFINE_QUANT(twopass, avx2)
NB_DEFINE_ALGO(welford, avx2)
NB_DEFINE_RMS(welford, avx2)
NB_DEFINE_QUANT(welford, avx2)
NB_DEFINE_ALGO(fast, avx2)
NB_DEFINE_RMS(fast, avx2)
NB_DEFINE_QUANT(fast, avx2)
NB_DEFINE_ALGO(accurate, avx2)
NB_DEFINE_RMS(accurate, avx2)
NB_DEFINE_QUANT(accurate, avx2)

void nb_round_fmt_avx2(nb_dtype dt, const double *in, double *out, size_t n) {
  round_fmt_array(dt, in, out, n);
}
NB_DEFINE_QUANT_VEC(avx2)
