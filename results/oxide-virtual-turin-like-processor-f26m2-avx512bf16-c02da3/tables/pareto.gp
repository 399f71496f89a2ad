algos = "naive twopass welford accurate fast external f32 f16 bf16"
isas = "scalar avx2 avx512 torch onednn twopass_scalar welford_scalar accurate_scalar twopass_avx2 welford_avx2 fast_avx2 accurate_avx2 twopass_avx512 welford_avx512 fast_avx512 accurate_avx512 avx512bf16"
