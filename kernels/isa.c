/* The SIMD ISAs' vectorized 16-bit rounding (vd_round_fmt), listed for the
 * test that holds each to nb_round_f64_to_fmt bit for bit. */
#include "internal.h"

#if defined(__x86_64__)
nb_round_fmt_fn nb_round_fmt_avx2, nb_round_fmt_avx512;
#endif

static const nb_isa_round list[] = {
#if defined(__x86_64__)
    {"avx2", NB_NEEDS_AVX2, nb_round_fmt_avx2},
    {"avx512", NB_NEEDS_AVX512, nb_round_fmt_avx512},
#endif
    {NULL, 0, NULL}, /* sentinel, so that the array is never empty */
};

size_t nb_isa_round_count(void) { return sizeof list / sizeof list[0] - 1; }
const nb_isa_round *nb_isa_round_at(size_t i) { return i < nb_isa_round_count() ? &list[i] : NULL; }

/* The quantizing steps of every ISA (vf_st_e4m3, vf_st_i8). */
nb_quant_vec_fn nb_quant_vec_scalar;
#if defined(__x86_64__)
nb_quant_vec_fn nb_quant_vec_avx2, nb_quant_vec_avx512;
#elif defined(__aarch64__)
nb_quant_vec_fn nb_quant_vec_neon;
#endif

static const nb_isa_quant qlist[] = {
    {"scalar", 0, nb_quant_vec_scalar},
#if defined(__x86_64__)
    {"avx2", NB_NEEDS_AVX2, nb_quant_vec_avx2},
    {"avx512", NB_NEEDS_AVX512, nb_quant_vec_avx512},
#elif defined(__aarch64__)
    {"neon", NB_CPU_NEON, nb_quant_vec_neon},
#endif
};

size_t nb_isa_quant_count(void) { return sizeof qlist / sizeof qlist[0]; }
const nb_isa_quant *nb_isa_quant_at(size_t i) { return i < nb_isa_quant_count() ? &qlist[i] : NULL; }
