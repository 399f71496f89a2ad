names = "f16/twopass_scalar f16/welford_scalar f16/accurate_scalar f16/twopass_avx2 f16/welford_avx2 f16/fast_avx2 f16/accurate_avx2 f16/twopass_avx512 f16/welford_avx512 f16/fast_avx512 f16/accurate_avx512"
inl2 = " 1 2 3 4 5 6 7 8 9 10 11"
inmem = " 4 5 6 8 9 10"
memrule = "cache-resident speed < 1/10 of memory copy"
iqr = 1
iqr_note = "error bars: interquartile range\nof the samples' per-call time (15 samples a point)"
