/* AVX-512 F/BW/VL/DQ (+ FMA, F16C) instances of every SIMD algorithm
 * (body.h): 16 floats a vector, NB_U vectors in flight, so 64 statistics
 * lanes; bounds in registry.c. f16 through F16C (exact widening, RNE narrowing); bf16 by
 * integer shifts and RNE adds (the normalize pass takes 32 inputs a load as
 * even and odd elements); tails by mask registers, never past the row. */
#include "isa_avx512.h"
#include "body.h"

_Static_assert(NB_U * NB_W == NB_LANES_AVX512, "table.h declares the bounds from these lanes");

NB_DEFINE_ALGO(twopass, avx512)
NB_DEFINE_RMS(twopass, avx512)
NB_DEFINE_QUANT(twopass, avx512)
NB_DEFINE_ALGO(welford, avx512)
NB_DEFINE_RMS(welford, avx512)
NB_DEFINE_QUANT(welford, avx512)
NB_DEFINE_ALGO(fast, avx512)
NB_DEFINE_RMS(fast, avx512)
NB_DEFINE_QUANT(fast, avx512)
NB_DEFINE_ALGO(accurate, avx512)
NB_DEFINE_RMS(accurate, avx512)
NB_DEFINE_QUANT(accurate, avx512)

void nb_round_fmt_avx512(nb_dtype dt, const double *in, double *out, size_t n) {
  round_fmt_array(dt, in, out, n);
}
NB_DEFINE_QUANT_VEC(avx512)
